"""Which offline language identifier reads the real pages' lines right: py3langid or lingua.

Gold labels: a line of ../shared/corpus/real/ whose letters are all CJK is Chinese; a line with no CJK and at
least two words is English, except the Portuguese lines listed in PORTUGUESE (read off the pages by hand). Mixed
lines (both scripts) are left out of the line accuracy: they are split into sentences first (index/langid.py).

    python -m eval.langid_compare 0          # one identifier per process (0-3), so load times are honest
    python -m eval.langid_compare 0 4        # only lines of at least 4 words (and all Chinese lines)
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
PORTUGUESE = {  # file -> line numbers (0-based) in Portuguese, read by hand
    "ycpai-2022-02-05-40558562.txt": {1, 4, 7, 10},
    "ysln-2024-10-25-53012008.txt": {2},
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
SET = ("en", "zh", "pt", "es", "fr", "de", "it", "id", "ms", "el", "ru", "ja", "ko", "vi", "nl", "tl")


def gold_lines(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.glob("*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            line = line.strip()
            cjk, latin = len(_CJK.findall(line)), len(_LATIN.findall(line))
            if cjk and not latin:
                out.append((line, "zh"))
            elif latin and not cjk and len(line.split()) >= 2:
                out.append((line, "pt" if number in PORTUGUESE.get(path.name, ()) else "en"))
    return out


def measure(name: str, load, classify, lines: list[tuple[str, str]]) -> None:
    t0 = time.perf_counter()
    model = load()
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    guesses = [classify(model, text) for text, _ in lines]
    per_line = (time.perf_counter() - t0) / len(lines) * 1000
    wrong = [(text, gold, guess) for (text, gold), guess in zip(lines, guesses, strict=True) if guess != gold]
    by = {g: (sum(1 for _, x in lines if x == g), sum(1 for _, x, _ in wrong if x == g)) for g in ("en", "zh", "pt")}
    print(f"{name:38s} load {loaded:6.2f} s  {per_line:6.2f} ms/line  accuracy {1 - len(wrong) / len(lines):.3f}  "
          + "  ".join(f"{g} {n - w}/{n}" for g, (n, w) in by.items()))
    for text, gold, guess in wrong[:8]:
        print(f"      {gold}->{guess}: {text[:70]!r}")


def _langid(langs):
    def load():
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if langs:
            ident.set_languages(list(langs))
        return ident
    return load


def _lingua(langs):
    def load():
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
        if not langs:
            return LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
        chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in langs]
        return LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models().build()
    return load


def _lingua_code(detector, text):
    lang = detector.detect_language_of(text)
    return lang.iso_code_639_1.name.lower() if lang else "?"


RUNS = [
    ("py3langid, all 97 languages", _langid(None), lambda m, t: m.classify(t)[0]),
    (f"py3langid, {len(SET)} languages", _langid(SET), lambda m, t: m.classify(t)[0]),
    ("lingua, all 75 languages", _lingua(None), _lingua_code),
    (f"lingua, {len(SET)} languages", _lingua(SET), _lingua_code),
]


def main(argv: list[str]) -> int:
    which = [int(argv[0])] if argv else range(len(RUNS))
    min_words = int(argv[1]) if len(argv) > 1 else 0
    lines = [(t, g) for t, g in gold_lines(REAL) if g == "zh" or len(t.split()) >= min_words]
    print(f"{len(lines)} single-language lines from {REAL}")
    for i in which:
        measure(*RUNS[i], lines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
