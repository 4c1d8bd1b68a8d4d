"""Paragraph alignment between the English and Chinese versions of one article.

Translations are not 1:1 (the Chinese may add sentences, names and credits; one English paragraph may be two
Chinese ones). `align_paragraphs` finds the best monotone path with dynamic programming over the moves
1-1, 1-2, 2-1, 1-0 and 0-1, scoring a pairing by embedding similarity, shared numbers and length ratio.
Similarity is taken as a margin over each paragraph's nearest neighbours (as in margin-based bitext
mining), because multilingual-e5 cosines are bunched: unrelated pairs score nearly as high as translations.
"""

from __future__ import annotations

import math

import numpy as np

from index.text import numbers_in

# Moves (English paragraphs consumed, Chinese paragraphs consumed) and a small prior against merges.
_MOVES = {(1, 1): 0.0, (1, 2): -0.5, (2, 1): -0.5, (1, 0): -1.0, (0, 1): -1.0}
# A pair the page's layout puts side by side (an interleaved page) is worth what leaving both unaligned costs.
LAYOUT_PRIOR = -(_MOVES[(1, 0)] + _MOVES[(0, 1)])
# Sentences: one long Chinese sentence often carries what three English ones say.
SENTENCE_MOVES = {**_MOVES, (1, 3): -1.0, (3, 1): -1.0}


def pair_score(en_texts: list[str], zh_texts: list[str], en_vec: np.ndarray, zh_vec: np.ndarray,
               background: float = 0.8) -> float:
    """How likely these English paragraphs translate these Chinese ones; above 0 means more likely than not.

    `background` is the cosine these paragraphs have with their typical non-translation neighbours."""
    cos = float(en_vec @ zh_vec / (np.linalg.norm(en_vec) * np.linalg.norm(zh_vec) + 1e-9))
    score = (cos - background) / 0.02
    en_nums = {v for t in en_texts for _, _, v in numbers_in(t)}
    zh_nums = {v for t in zh_texts for _, _, v in numbers_in(t)}
    if en_nums or zh_nums:
        shared = len(en_nums & zh_nums) / len(en_nums | zh_nums)
        score += 3.0 * shared - (0.5 if not (en_nums & zh_nums) else 0.0)
    en_len = sum(len(t) for t in en_texts)
    zh_len = sum(len(t) for t in zh_texts) * 3.0  # one Chinese character carries about three English ones
    score -= 1.0 * abs(math.log((en_len + 20) / (zh_len + 20)))
    return score


def align_paragraphs(
    en_texts: list[str], zh_texts: list[str], en_vecs: np.ndarray, zh_vecs: np.ndarray,
    en_sections: list[int] | None = None, zh_sections: list[int] | None = None,
    moves: dict[tuple[int, int], float] | None = None, layout: set[tuple[int, int]] | None = None,
) -> list[tuple[list[int], list[int]]]:
    """Aligned beads [(english indices, chinese indices)] in order; a bead with an empty side is unaligned.

    en_vecs: (len(en_texts), dim), zh_vecs: (len(zh_texts), dim), one embedding per paragraph. Sections
    (any ids, one per paragraph) keep a merge from joining paragraphs under different headings. `moves` (default:
    1-1, 1-2, 2-1 and skips) maps (English consumed, Chinese consumed) to a prior. `layout`: (english, chinese)
    pairs an interleaved page sets side by side; a 1-1 pairing among them gets LAYOUT_PRIOR.
    """
    en_sections = en_sections or [0] * len(en_texts)
    zh_sections = zh_sections or [0] * len(zh_texts)
    m, n = len(en_texts), len(zh_texts)
    en_n = en_vecs / (np.linalg.norm(en_vecs, axis=1, keepdims=True) + 1e-9)
    zh_n = zh_vecs / (np.linalg.norm(zh_vecs, axis=1, keepdims=True) + 1e-9)
    sims = en_n @ zh_n.T  # (m, n)
    k = max(1, min(3, m - 1, n - 1))
    # Mean cosine of each paragraph with its k nearest paragraphs on the other side: its "background".
    en_bg = np.sort(sims, axis=1)[:, -k:].mean(1) if n else np.zeros(m)
    zh_bg = np.sort(sims, axis=0)[-k:, :].mean(0) if m else np.zeros(n)
    best = np.full((m + 1, n + 1), -np.inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0, 0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            if best[i, j] == -np.inf:
                continue
            for (di, dj), prior in (moves or _MOVES).items():
                ni, nj = i + di, j + dj
                if ni > m or nj > n:
                    continue
                if len(set(en_sections[i:ni])) > 1 or len(set(zh_sections[j:nj])) > 1:
                    continue
                if di and dj:
                    background = (en_bg[i:ni].mean() + zh_bg[j:nj].mean()) / 2
                    gain = prior + pair_score(en_texts[i:ni], zh_texts[j:nj], en_vecs[i:ni].mean(0),
                                              zh_vecs[j:nj].mean(0), background)
                    if layout and (di, dj) == (1, 1) and (i, j) in layout:
                        gain += LAYOUT_PRIOR
                else:
                    gain = prior  # leaving a paragraph unaligned scores 0
                if best[i, j] + gain > best[ni, nj]:
                    best[ni, nj] = best[i, j] + gain
                    back[(ni, nj)] = (i, j)
    beads = []
    cell = (m, n)
    while cell != (0, 0):
        prev = back[cell]
        beads.append((list(range(prev[0], cell[0])), list(range(prev[1], cell[1]))))
        cell = prev
    return beads[::-1]

