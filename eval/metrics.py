"""Scoring: pure functions over one answer (or one ranking), and `summarize` over per-question results.

- Answers: normalised containment of a gold alias (`contains_answer`); EM/F1 exactly as the official
  SQuAD v1.1 script (`squad_em`, `squad_f1`) and the CMRC 2018 script (`cmrc_em`, `cmrc_f1`, characters for
  Chinese).
- Retrieval: hit@k, reciprocal rank and nDCG@10 over binary relevance flags (`relevance_flags`).
- Citations: ALCE's recall and precision (`citation_scores`), with fact containment in place of an NLI model.
- Abstention precision/recall, language match, answer length, latency percentiles (`summarize`).
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

from index.text import numbers_in

# ---------------------------------------------------------------- normalised containment

# Units written differently in the two languages, mapped to one spelling after numbers are canonical.
_UNITS = [("毫秒", "ms"), ("元", "yuan"), ("percent", "%"), ("per cent", "%")]
# Punctuation that never changes a fact: quotes, brackets, separators, dashes. '+', '%', '×', '#' are kept
# ("AI+", "100%", "绿色×智能").
_DROP = re.compile(r"[\s,.;:!?'\"()\[\]{}<>`~_\-–—/\\|·、，。；：！？“”‘’「」『』《》〈〉（）【】…]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def normalize_for_match(text: str) -> str:
    """Width (NFKC), case, spaces and punctuation folded; every number canonical, so `54.6万`, `546,000` and
    `546000` all read `#546000#`, and `621亿元` and `62.1 billion yuan` both read `#62100000000#yuan`."""
    text = unicodedata.normalize("NFKC", text)
    pieces, last = [], 0
    for start, end, value in numbers_in(text):  # offsets into the NFKC text, which numbers_in keeps
        pieces.append(_fold(text[last:start]))
        pieces.append(f"#{value}#")
        last = end
    pieces.append(_fold(text[last:]))
    return "".join(pieces)


def _fold(text: str) -> str:
    text = text.lower()
    for a, b in _UNITS:
        text = text.replace(a, b)
    return _DROP.sub("", text)


def contains_answer(text: str, aliases: Iterable[str]) -> bool:
    """Whether `text` contains any gold alias, after `normalize_for_match` on both."""
    haystack = normalize_for_match(text)
    return any(needle and needle in haystack for needle in map(normalize_for_match, aliases))


# ---------------------------------------------------------------- SQuAD v1.1 (official evaluate-v1.1.py)


def squad_normalize(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def squad_em(prediction: str, gold: str) -> float:
    return float(squad_normalize(prediction) == squad_normalize(gold))


def squad_f1(prediction: str, gold: str) -> float:
    pred_tokens = squad_normalize(prediction).split()
    gold_tokens = squad_normalize(gold).split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- CMRC 2018 (official cmrc2018_evaluate.py)

# The official script's punctuation list, verbatim ('……' is two characters there, so it never matches).
_CMRC_PUNCT = {"-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“", "”",
               "；", "’", "《", "》", "……", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』"}
# Stands in for nltk.word_tokenize on the non-Chinese runs: words, numbers with separators, single symbols.
_WORD_TOKENS = re.compile(r"\d+(?:[.,]\d+)+|\w+|[^\w\s]")


def cmrc_segment(text: str, remove_punct: bool = False) -> list[str]:
    """The official mixed_segmentation: each Chinese character (U+4E00-U+9FA5) and each listed punctuation
    mark is a segment; the runs between them are word-tokenised."""
    out: list[str] = []
    run = ""
    for ch in text.lower().strip():
        if remove_punct and ch in _CMRC_PUNCT:
            continue
        if "\u4e00" <= ch <= "\u9fa5" or ch in _CMRC_PUNCT:
            out.extend(_WORD_TOKENS.findall(run))
            run = ""
            out.append(ch)
        else:
            run += ch
    out.extend(_WORD_TOKENS.findall(run))
    return out


def cmrc_remove_punctuation(text: str) -> str:
    return "".join(ch for ch in text.lower().strip() if ch not in _CMRC_PUNCT)


def longest_common_run(a: list[str], b: list[str]) -> int:
    """Length of the longest common contiguous run of segments (the official find_lcs)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        row = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                row[j + 1] = prev[j] + 1
                best = max(best, row[j + 1])
        prev = row
    return best


def cmrc_em(prediction: str, gold: str) -> float:
    return float(cmrc_remove_punctuation(prediction) == cmrc_remove_punctuation(gold))


def cmrc_f1(prediction: str, gold: str) -> float:
    gold_segs = cmrc_segment(gold, remove_punct=True)
    pred_segs = cmrc_segment(prediction, remove_punct=True)
    lcs = longest_common_run(gold_segs, pred_segs)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred_segs), lcs / len(gold_segs)
    return 2 * precision * recall / (precision + recall)


def em_f1(prediction: str, aliases: list[str]) -> tuple[float, float]:
    """(EM, F1), each the max over the aliases; an alias with Chinese characters is scored as CMRC 2018 does,
    any other as SQuAD v1.1 does (both official scripts take the max over the gold answers)."""
    if not aliases:
        return 0.0, 0.0
    em = f1 = 0.0
    for gold in aliases:
        if _CJK.search(gold):
            em, f1 = max(em, cmrc_em(prediction, gold)), max(f1, cmrc_f1(prediction, gold))
        else:
            em, f1 = max(em, squad_em(prediction, gold)), max(f1, squad_f1(prediction, gold))
    return em, f1


# ---------------------------------------------------------------- retrieval


def chunk_matches(chunk_id: str, gold_id: str) -> bool:
    """A chunk answers for a gold id naming it, the paragraph it was split from (`doc:p5` for `doc:p5.1`) or
    its whole document (`doc`)."""
    return chunk_id == gold_id or chunk_id.startswith(gold_id + ".") or chunk_id.split(":")[0] == gold_id


def relevance_flags(retrieved: list[str], gold: Iterable[str],
                    match: Callable[[str, str], bool] = chunk_matches) -> list[int]:
    """1 where a retrieved item matches a gold passage not already credited higher up, else 0."""
    pending = list(dict.fromkeys(gold))
    flags = []
    for item in retrieved:
        hit = next((g for g in pending if match(item, g)), None)
        if hit is not None:
            pending.remove(hit)
        flags.append(int(hit is not None))
    return flags


def hit_at(flags: list[int], k: int) -> float:
    return float(any(flags[:k]))


def reciprocal_rank(flags: list[int]) -> float:
    return next((1.0 / rank for rank, f in enumerate(flags, start=1) if f), 0.0)


def ndcg_at(flags: list[int], n_relevant: int, k: int = 10) -> float:
    """Binary-relevance nDCG@k: DCG = sum rel_i / log2(i + 1); the ideal has min(n_relevant, k) hits first."""
    if n_relevant <= 0:
        return 0.0
    dcg = sum(f / math.log2(i + 1) for i, f in enumerate(flags[:k], start=1))
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(n_relevant, k) + 1))
    return dcg / ideal


def retrieval_scores(flags: list[int], n_relevant: int) -> dict[str, float | None]:
    """hit@1, hit@5, MRR and nDCG@10 of one ranking; all None when the question has no gold passage."""
    if n_relevant <= 0:
        return {"hit1": None, "hit5": None, "mrr": None, "ndcg10": None}
    return {"hit1": hit_at(flags, 1), "hit5": hit_at(flags, 5), "mrr": reciprocal_rank(flags),
            "ndcg10": ndcg_at(flags, n_relevant, 10)}


# ---------------------------------------------------------------- citations (ALCE, fact containment for NLI)

_MARKER_RUN = re.compile(r"((?:\s*\[\d+\])+)")


def split_statements(text: str) -> list[tuple[str, list[int]]]:
    """(statement, cited numbers) for each stretch of text that a run of [n] markers closes; trailing text
    without markers is a statement with no citation."""
    parts = _MARKER_RUN.split(text)
    out = []
    for i in range(0, len(parts), 2):
        body = parts[i].strip()
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", parts[i + 1])] if i + 1 < len(parts) else []
        if re.search(r"\w", body):
            out.append((body, list(dict.fromkeys(cited))))
    return out


def supports(evidence: str, statement: str, facts: list[str]) -> bool:
    """Fact containment in place of NLI: the evidence holds a gold fact that the statement states; for a
    statement stating none, the evidence holds the statement verbatim (after a lead-in such as "The Chinese
    version says:")."""
    stated = [f for f in facts if contains_answer(statement, [f])]
    if stated:
        return contains_answer(evidence, stated)
    body = normalize_for_match(statement)
    held = normalize_for_match(evidence)
    if body and body in held:
        return True
    lead_in = re.split(r"[:：]", statement, maxsplit=1)
    tail = normalize_for_match(lead_in[1]) if len(lead_in) == 2 else ""
    return len(tail) >= 4 and tail in held


def citation_scores(text: str, passages: dict[int, str], facts: list[str]) -> tuple[float, float] | None:
    """ALCE citation (recall, precision) of one answer; None when it makes no statement.

    Recall: share of statements whose cited passages, joined, support them. Precision: share of citations
    that are needed: a citation in a supported statement counts unless it does not support the statement alone
    and the statement stays supported without it; citations of unsupported statements never count."""
    statements = split_statements(text)
    if not statements:
        return None
    supported = needed = total = 0
    for statement, cited in statements:
        if not cited or any(n not in passages for n in cited):
            total += len(cited)
            continue
        total += len(cited)
        joint = supports("\n".join(passages[n] for n in cited), statement, facts)
        supported += joint
        if not joint:
            continue
        if len(cited) == 1:
            needed += 1
            continue
        for n in cited:
            alone = supports(passages[n], statement, facts)
            rest = supports("\n".join(passages[m] for m in cited if m != n), statement, facts)
            needed += alone or not rest
    return supported / len(statements), (needed / total if total else 0.0)


# ---------------------------------------------------------------- abstention, latency


def abstention_pr(abstained: list[bool], unanswerable: list[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) of abstaining, unanswerable questions being the positives; None when undefined."""
    both = sum(a and u for a, u in zip(abstained, unanswerable, strict=True))
    n_abstained, n_unanswerable = sum(abstained), sum(unanswerable)
    return (both / n_abstained if n_abstained else None, both / n_unanswerable if n_unanswerable else None)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# ---------------------------------------------------------------- aggregate

CATEGORIES = ("en", "zh", "cross", "followup", "fact", "crosslingual", "meta", "unanswerable", "gold-removed")
# Per-question fields averaged as they are (None = not applicable to that question, left out).
_MEANS = ["accuracy", "em", "f1", "hit1_same", "hit1_any", "hit5_same", "hit5_any", "mrr_same", "mrr_any",
          "ndcg10_same", "ndcg10_any", "citation_recall", "citation_precision", "language_match", "length"]


def summarize(results: list[dict]) -> dict[str, dict]:
    """Figures per category (in CATEGORIES order, then any others), per question language when that is not
    already a category, and "overall", from per-question results. Results that carry a `split` (dev or
    measured) get those rows once per split, named "dev:fact", "measured:overall", ...; "overall" stays the
    figure over every question asked."""
    splits = [s for s in SPLITS if any(r.get("split") == s for r in results)]
    if not splits:
        return {**_groups(results), "overall": _figures(results)}
    out: dict[str, dict] = {}
    for split in splits:
        part = [r for r in results if r.get("split") == split]
        out.update({f"{split}:{name}": fig for name, fig in _groups(part).items()})
        out[f"{split}:overall"] = _figures(part)
    out["overall"] = _figures(results)
    return out


SPLITS = ("dev", "measured")


def _groups(results: list[dict]) -> dict[str, dict]:
    order = [c for c in CATEGORIES if any(r["category"] == c for r in results)]
    order += sorted({r["category"] for r in results} - set(order))
    out = {c: _figures([r for r in results if r["category"] == c]) for c in order}
    for lang in ("en", "zh"):
        mine = [r for r in results if r.get("lang") == lang]
        if lang not in out and mine and len(mine) < len(results):
            out[f"lang={lang}"] = _figures(mine)
    return out


def _figures(results: list[dict]) -> dict:
    fig: dict = {"n": len(results)}
    for key in _MEANS:
        values = [float(r[key]) for r in results if r.get(key) is not None]
        fig[key] = sum(values) / len(values) if values else None
    abstained = [bool(r["abstained"]) for r in results]
    fig["abstain_precision"], fig["abstain_recall"] = abstention_pr(
        abstained, [not r["answers"] for r in results])
    fig["abstained"] = sum(abstained) / len(results) if results else None
    answerable = [a for a, r in zip(abstained, results, strict=True) if r["answers"]]
    fig["false_abstain"] = sum(answerable) / len(answerable) if answerable else None
    latencies = [r["latency_ms"] for r in results]
    fig["latency_p50_ms"], fig["latency_p95_ms"] = percentile(latencies, 50), percentile(latencies, 95)
    return fig
