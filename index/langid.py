"""The language of a paragraph, and of each sentence of a paragraph that mixes languages.

Scripts settle what they can (Chinese ideographs, kana, hangul); text in Latin, Greek or Cyrillic letters goes
to py3langid, restricted to the languages a bilingual news page is likely to carry besides English and Chinese.
py3langid was measured against lingua on the real pages' lines (`python -m eval.langid_compare`, numbers in
docs/notes/pages.md): as accurate there, 20x faster per line and loaded in 0.4 s instead of 1.4-8 s.
Text too short to tell (a name, "1,000 episodes") gets None and takes its neighbours' language.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.text import split_sentences

# English, Chinese, and the languages bilingual Chinese news pages add (Portuguese for Macao, Indonesian and
# Malay for South-East Asia, Greek, Spanish, French, ...). Restricting the model keeps it from answering with
# a language nobody writes here (Welsh, Nigerian Pidgin) on short English lines.
LANGUAGES = ("en", "zh", "pt", "es", "fr", "de", "it", "id", "ms", "el", "ru", "ja", "ko", "vi", "nl", "tl")
NAMES = {"en": "English", "zh": "Chinese", "pt": "Portuguese", "es": "Spanish", "fr": "French", "de": "German",
         "it": "Italian", "id": "Indonesian", "ms": "Malay", "el": "Greek", "ru": "Russian", "ja": "Japanese",
         "ko": "Korean", "vi": "Vietnamese", "nl": "Dutch", "tl": "Tagalog"}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]{2,}")
MIN_LETTERS = 12  # below this (and three words) a Latin line is too short to tell English from Portuguese


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in LANGUAGES if code != "zh"])  # Chinese is told by its script
    return identifier


def identify(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it is too short or has no letters to tell by."""
    cjk = len(_CJK.findall(text))
    letters = len(_LETTER.findall(text))
    if len(_KANA.findall(text)) >= 2:
        return "ja"
    if len(_HANGUL.findall(text)) >= 2:
        return "ko"
    if cjk and cjk >= letters / 4:  # four Latin letters weigh about one ideograph
        return "zh" if cjk >= 2 or not letters else None
    if letters < MIN_LETTERS or len(_WORD.findall(text)) < 3:
        return None
    return str(_identifier().classify(text)[0])


# Where one language ends and the next begins inside a paragraph: after a sentence end followed directly by
# the other script ("said.据介绍", "world.2023年", "热情。Yu said"), or at a run of 4+ spaces between them.
_GLUED = re.compile(r"(?:(?<=[A-Za-z)\]\"”’'][.!?])|(?<=[.!?][\"”’)]))(?=[^\sA-Za-z]{0,6}[\u3400-\u9fff“「])"
                    r"|(?<=[。！？!?”」])(?=[A-Z\"“])")
_GAP = re.compile(r" {4,}|\t+")


def segments(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, language) runs covering the text's sentences, neighbours of one language merged."""
    cuts = {0, len(text)}
    for m in _GLUED.finditer(text):
        cuts.add(m.start())
    for m in _GAP.finditer(text):
        cuts.update((m.start(), m.end()))
    for a, b in split_sentences(text):
        cuts.update((a, b))
    edges = sorted(cuts)
    pieces = []
    for a, b in zip(edges, edges[1:], strict=False):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            pieces.append([a, b, identify(text[a:b]), text[a:b]])
    _fill_unknown(pieces)
    merged: list[list] = []
    for piece in pieces:
        if merged and merged[-1][2] == piece[2]:
            merged[-1][1] = piece[1]
        else:
            merged.append(piece)
    return [(a, b, lang) for a, b, lang, _ in merged]


def _fill_unknown(pieces: list[list]) -> None:
    """A piece too short to tell takes the language of the piece before it in the same script (else after)."""
    for i, piece in enumerate(pieces):
        if piece[2] is not None:
            continue
        latin = not _CJK.search(piece[3])
        for j in [*range(i - 1, -1, -1), *range(i + 1, len(pieces))]:
            other = pieces[j][2]
            if other is not None and (other != "zh") == latin:
                piece[2] = other
                break


def paragraph_languages(text: str) -> list[tuple[str, str | None]]:
    """The paragraph as [(text, language)]: one item when it is in one language, else one per language run."""
    runs = segments(text)
    if len({lang for _, _, lang in runs if lang}) <= 1:
        langs = [lang for _, _, lang in runs if lang]
        return [(text, langs[0] if langs else None)]
    return [(text[a:b], lang) for a, b, lang in runs]
