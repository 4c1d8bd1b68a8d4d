"""Traditional and simplified Chinese finding each other: retrieval with and without OpenCC's t2s step in the
search tokens, on the real pages.

All pages of ../shared/corpus/real are indexed. A page counts as traditional when OpenCC's t2s changes at least
5% of its Chinese characters. Two groups of questions from real_qa.jsonl are asked: the Chinese questions about
the traditional pages as written (in simplified characters), and the Chinese questions about the simplified
pages turned into traditional characters (OpenCC s2t), the reverse case. Scores: hit@5 and MRR@10 of the
first passage holding a gold answer, in hybrid search (as `Assistant.ask` runs it) and in BM25 alone.
Dev and measured pages are reported apart (eval/splits.py); nothing here is fitted.
Also prints what the t2s step costs the tokenizer.

    RAG_THREADS=1 nice -n 10 python -m eval.traditional_chinese   # about 2 minutes the first time
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import index.text as text_module
from eval.splits import real_page_splits
from index import tokens
from index.text import _CJK, detect_lang, tokenize

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config).convert


def traditional_pages(real: Path) -> set[str]:
    t2s = _opencc("t2s")
    found = set()
    for page in real.glob("*.txt"):
        chinese = "".join(_CJK.findall(page.read_text(encoding="utf-8")))
        changed = sum(a != b for a, b in zip(chinese, t2s(chinese), strict=True))
        if chinese and changed >= 0.05 * len(chinese):
            found.add(page.name)
    return found


def tokenizer_cost(real: Path) -> str:
    paragraphs = [p for f in sorted(real.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n") if p]
    timings = {}
    for name, convert in (("without", lambda s: s), ("with", None)):
        original = text_module._to_simplified
        if convert is not None:
            text_module._to_simplified = lambda c=convert: c
        best = float("inf")
        for _ in range(5):
            text_module._tokenize.cache_clear()
            started = time.perf_counter()
            for p in paragraphs:
                tokenize(p)
            best = min(best, time.perf_counter() - started)
        text_module._to_simplified = original
        timings[name] = best
    chars = sum(map(len, paragraphs))
    return (f"tokenizing {len(paragraphs)} real paragraphs ({chars} characters): {timings['without'] * 1e3:.1f} ms "
            f"without t2s, {timings['with'] * 1e3:.1f} ms with (+{(timings['with'] / timings['without'] - 1):.0%})")


def run(real: Path, qa: list[dict], simplify: bool, cache: str) -> dict[str, tuple[int | None, int | None]]:
    """question id -> rank (1-10, None past 10) of the first passage holding a gold answer, in hybrid search and
    in BM25 alone, with the t2s step on or off."""
    from rag import Assistant

    original, version = text_module._to_simplified, tokens.TOKENIZER_VERSION
    if not simplify:
        text_module._to_simplified = lambda: (lambda s: s)
        tokens.TOKENIZER_VERSION = version + "-no-t2s"  # no token list cached by the other run is reused
    text_module._tokenize.cache_clear()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from rag.settings import Settings

            kb = Assistant.build([real], index_dir=Path(tmp) / "kb", settings=Settings.from_env(cache_dir=cache))
            ranks = {}
            for q in qa:
                hybrid = [h.chunk.text for h in kb.searcher.search(q["asked"], "zh", k=10)]
                bm25 = [kb.store.chunk(r).text for r, _ in kb.store.bm25_search(tokenize(q["asked"]), "zh", 10)]
                ranks[q["id"]] = tuple(next((i + 1 for i, t in enumerate(texts) if any(a in t for a in q["answers"])),
                                            None) for texts in (hybrid, bm25))
            return ranks
    finally:
        text_module._to_simplified, tokens.TOKENIZER_VERSION = original, version
        text_module._tokenize.cache_clear()


def main() -> int:
    real, qa_path = SHARED / "real", SHARED / "real_qa.jsonl"
    if not qa_path.exists():
        print(f"needs {qa_path}", file=sys.stderr)
        return 1
    splits = real_page_splits(qa_path)
    traditional = traditional_pages(real)
    s2t = _opencc("s2t")
    questions = []
    for line in qa_path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q["answerable"] and q["lang"] == "zh" and detect_lang(q["question"]) == "zh":
            group = "simplified question, traditional page" if q["file"] in traditional else \
                "traditional question, simplified page"
            asked = q["question"] if q["file"] in traditional else s2t(q["question"])
            questions.append({**q, "asked": asked, "group": group})
    print(f"traditional pages: {sorted(traditional)}")
    print(tokenizer_cost(real))
    cache = str(Path.home() / ".cache" / "bilingual-rag")
    results = {on: run(real, questions, on, cache) for on in (False, True)}
    print(f"{'questions':38} {'split':8} {'n':>3}  hybrid hit@5 / MRR@10 (no t2s -> t2s)   BM25 alone")
    for group in ("simplified question, traditional page", "traditional question, simplified page"):
        for split in ("dev", "measured"):
            ids = [q["id"] for q in questions if q["group"] == group and splits[q["file"]] == split]
            if not ids:
                continue
            cells = []
            for k in (0, 1):  # hybrid, BM25
                hit = [sum((results[on][i][k] or 99) <= 5 for i in ids) / len(ids) for on in (False, True)]
                mrr = [sum(1 / results[on][i][k] for i in ids if results[on][i][k]) / len(ids) for on in (False, True)]
                cells.append(f"{hit[0]:.2f} -> {hit[1]:.2f} / {mrr[0]:.2f} -> {mrr[1]:.2f}")
            print(f"{group:38} {split:8} {len(ids):3}  {cells[0]:28}   {cells[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
