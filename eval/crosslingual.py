"""Cross-lingual retrieval on a one-language index: index only one language version of the bundled article,
ask the shipped questions written in the other language, and score where the evidence lands.

    .venv/bin/python -m eval.crosslingual                # both directions, answers included
    .venv/bin/python -m eval.crosslingual --plain-fusion   # and the language-unaware 50/50 fusion
    rag eval --set ../shared/corpus/real_qa.jsonl --one-language      # the real pages (`one_language_rows`)

On a page set, `one_language_rows` keeps one language's chunks only (a language filter: dense search is exact
and BM25 is kept per language, so this ranks as an index of that language alone would) and asks every
answerable question written in the other language whose answer that language's chunks hold; hit@1/hit@5 of
the assistant's retrieval beside dense search alone over the same chunks, per split.

This is the case the usual hybrid recipe gets wrong: BM25 in the question's language has nothing to match in
the other language, so an unaware 50/50 fusion lets noise vote. `--plain-fusion` shows that recipe on the same
index (BM25 over every chunk whatever its language, fused 50/50), next to the assistant's language-aware fusion.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from eval.metrics import contains_answer
from index.readers import BUNDLED, read_source
from index.text import tokenize
from rag import Assistant
from rag.retrieve import Filters, fuse_rankings

QA_SET = Path(__file__).parent / "qa.jsonl"


def one_language_index(lang: str, directory: Path) -> tuple[Assistant, str]:
    article = next(a for a in read_source(BUNDLED) if a.lang == lang)
    source = directory / f"{lang}.jsonl"
    text = "\n\n".join(p.text for p in article.paragraphs)
    row = {"id": article.doc_id, "title": article.title, "lang": lang, "text": text}
    source.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return Assistant.build([source], index_dir=directory / f"kb-{lang}"), article.doc_id


def plain_fusion_top(kb: Assistant, question: str) -> str:
    """The language-unaware recipe: dense and BM25 over all chunks, whatever their language, fused 50/50."""
    store = kb.store
    qvec = kb.embedder.encode_query(question)
    dense = store.dense_search(qvec, 50)
    tokens = tokenize(question)
    sparse = [hit for lang in ("en", "zh") for hit in store.bm25_search(tokens, lang, 50)]
    sparse.sort(key=lambda rs: -rs[1])
    fused = fuse_rankings([dense, sparse], [0.5, 0.5])
    return store.chunk(max(fused, key=fused.get)).chunk_id


def run(indexed: str, asked: str, directory: Path, plain: bool) -> dict:
    kb, doc_id = one_language_index(indexed, directory)
    items = [json.loads(line) for line in QA_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [it for it in items if it["lang"] == asked and it["category"] in ("en", "zh")
             and any(g.startswith(doc_id + ":") for g in it["gold"])]
    hit1 = hit5 = answered = plain_hit1 = 0
    for it in items:
        gold = {g for g in it["gold"] if g.startswith(doc_id + ":")}
        answer = kb.ask(it["question"])
        ranked = [c.chunk_id for c in answer.contexts]
        hit1 += ranked[:1] and ranked[0] in gold
        hit5 += bool(gold & set(ranked[:5]))
        answered += (not answer.abstained) and contains_answer(answer.text, it["answers"])
        if plain:
            plain_hit1 += plain_fusion_top(kb, it["question"]) in gold
    n = len(items)
    row = {"indexed": indexed, "asked": asked, "questions": n, "hit@1": hit1 / n, "hit@5": hit5 / n,
           "answer_accuracy": answered / n}
    if plain:
        row["plain_fusion_hit@1"] = plain_hit1 / n
    return row


def one_language_rows(assistant: Assistant, items: list[dict], passages: dict[str, tuple[str, str]],
                      k: int = 5) -> list[dict]:
    """Per (split, indexed language): questions asked in the other language, hit@1 and hit@k of the
    assistant's retrieval and of dense search alone, over the indexed language's chunks only."""
    store = assistant.store
    tally: dict[tuple[str, str], dict] = {}
    for item in items:
        for indexed in ("en", "zh"):
            gold = {g for g in item["gold"] if passages.get(g, ("",))[0] == indexed}
            if item["lang"] == indexed or not item["answers"] or not gold:
                continue
            scope = tuple(item["scope"]) if item.get("scope") else None  # meta questions: their own page
            hits = assistant.searcher.search(item["question"], item["lang"], k=k,
                                             filters=Filters(doc_ids=scope, lang=indexed))
            ranked = [h.chunk.chunk_id for h in hits]
            qvec = assistant.embedder.encode_query(item["question"])
            dense = [store.chunk(r).chunk_id
                     for r, _ in store.dense_search(qvec, k, store.mask(doc_ids=scope, lang=indexed))]
            for split in (item.get("split") or "all", "all") if item.get("split") else ("all",):
                row = tally.setdefault((split, indexed), {"split": split, "indexed": indexed,
                                                         "asked": "zh" if indexed == "en" else "en", "n": 0,
                                                         "hit1": 0, "hit5": 0, "dense_hit1": 0, "dense_hit5": 0})
                row["n"] += 1
                row["hit1"] += bool(ranked[:1]) and ranked[0] in gold
                row["hit5"] += bool(gold & set(ranked[:k]))
                row["dense_hit1"] += bool(dense[:1]) and dense[0] in gold
                row["dense_hit5"] += bool(gold & set(dense[:k]))
    rows = sorted(tally.values(), key=lambda r: (("dev", "measured", "all").index(r["split"]), r["indexed"]))
    for row in rows:
        for key in ("hit1", "hit5", "dense_hit1", "dense_hit5"):
            row[key] = row[key] / row["n"]
    return rows


def format_one_language(rows: list[dict]) -> str:
    lines = ["One-language index (the other language's chunks filtered out), retrieval (%)",
             "split     indexed  asked    n  hit@1  hit@5  dense hit@1  dense hit@5"]
    lines += [f"{r['split']:<9} {r['indexed']:<8} {r['asked']:<5} {r['n']:>4}  {100 * r['hit1']:5.1f}  "
              f"{100 * r['hit5']:5.1f}  {100 * r['dense_hit1']:11.1f}  {100 * r['dense_hit5']:11.1f}" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-fusion", action="store_true", help="also score the language-unaware 50/50 fusion")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run("en", "zh", Path(tmp), args.plain_fusion), run("zh", "en", Path(tmp), args.plain_fusion)]
    for r in rows:
        extra = f"  plain 50/50 fusion hit@1 {r['plain_fusion_hit@1']:.3f}" if "plain_fusion_hit@1" in r else ""
        print(f"index {r['indexed']}, questions in {r['asked']} (n={r['questions']}): hit@1 {r['hit@1']:.3f}  "
              f"hit@5 {r['hit@5']:.3f}  answer accuracy {r['answer_accuracy']:.3f}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
