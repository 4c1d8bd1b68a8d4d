"""Real-page eval sets: questions about pages in a folder, whose gold passage is found by its answer.

A page set is JSONL, one question a line: `id`, `file` (a page in the pages folder, by default `real/`
beside the set), `lang`, `question`, `answers` (aliases, each verbatim in the page), `answerable`, `kind`
(fact, crosslingual, meta), and optionally `split`. Nobody wrote chunk ids for these pages, and the chunker may
cut them any way, so the gold passage of a question is any chunk of its page whose text holds an alias (normalised as
`contains_answer` does); a meta question's gold is then the document card, or any chunk naming the answer.
Every item carries its page's split (`eval.splits.real_page_splits`), unless its row names one: a set written
later about pages another set already split (eval/real_more.jsonl, about real_qa's dev pages) names the split
its pages have there, and `load_page_sets` refuses two sets that put one page in different halves.

A meta question ("Who translated the piece?", "这篇报道是哪天发表的?") names no subject: it is about the page
a reader has open, and over a folder of 29 pages no retrieval can tell which page "the piece" is. So meta
items are scoped to their page's documents (`scope`, a doc-id filter that the API, CLI and UI offer), for
the assistant and the recipe alike; `--meta-unscoped` asks them over everything instead.

    rag eval --set ../shared/corpus/real_qa.jsonl --baseline langchain --split measured
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from eval.metrics import contains_answer
from eval.splits import real_page_splits
from index.chunk import Chunk
from index.store import Store
from rag.errors import SourceError

KINDS = ("fact", "crosslingual", "meta")
_FIELDS = (("id", str), ("file", str), ("lang", str), ("question", str), ("answers", list), ("answerable", bool),
           ("kind", str))


def eval_rows(path: Path, fields: tuple[tuple[str, type], ...]):
    """(line number, row) of every non-blank line of an eval set's JSONL, each row checked for valid JSON, the
    types of `fields` and a language of 'en' or 'zh'; raises SourceError naming the file and line."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(str(path), f"line {number}: not valid JSON ({e.msg})") from None
        for key, kind in fields:
            if not isinstance(row.get(key), kind):
                raise SourceError(str(path), f"line {number}: field '{key}' is missing or not a {kind.__name__}")
        if row["lang"] not in ("en", "zh"):
            raise SourceError(str(path), f"line {number}: 'lang' must be 'en' or 'zh', not {row['lang']!r}")
        yield number, row


def is_page_set(path: Path) -> bool:
    """Whether the JSONL's first item names a page file (a page set) rather than gold chunk ids."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                return False
            return isinstance(first, dict) and "file" in first and "gold" not in first
    return False


def load_page_set(path: Path, pages_dir: Path) -> list[dict]:
    """Eval items of a page set: category = kind (or "unanswerable"), gold filled later by `find_gold`."""
    splits = real_page_splits(path)
    items = []
    for number, row in eval_rows(path, _FIELDS):
        if row["kind"] not in KINDS:
            raise SourceError(str(path), f"line {number}: 'kind' must be one of {', '.join(KINDS)}, "
                                         f"not {row['kind']!r}")
        if not (pages_dir / row["file"]).is_file():
            raise SourceError(str(path), f"line {number}: page '{row['file']}' is not in {pages_dir} "
                                         "(give the folder with --pages)")
        if "split" in row and row["split"] not in ("dev", "measured"):
            raise SourceError(str(path), f"line {number}: 'split' must be 'dev' or 'measured', not {row['split']!r}")
        answers = [a for a in row["answers"] if isinstance(a, str) and a.strip()] if row["answerable"] else []
        if row["answerable"] and not answers:
            raise SourceError(str(path), f"line {number}: an answerable question needs at least one answer")
        items.append({"id": row["id"], "category": row["kind"] if row["answerable"] else "unanswerable",
                      "kind": row["kind"], "lang": row["lang"], "question": row["question"], "answers": answers,
                      "gold": [], "file": row["file"], "split": row.get("split") or splits[row["file"]],
                      "set": path.stem})
    if not items:
        raise SourceError(str(path), "the eval set is empty")
    return items


def load_page_sets(paths: list[Path], pages_dir: Path) -> list[dict]:
    """The items of several page sets over one folder of pages: ids unique across them, and every page in one
    split whichever set names it (else SourceError naming the set and page)."""
    items: list[dict] = []
    split_of: dict[str, tuple[str, str]] = {}  # page -> (split, the set that first put it there)
    for path in paths:
        for item in load_page_set(path, pages_dir):
            first = split_of.setdefault(item["file"], (item["split"], path.name))
            if first[0] != item["split"]:
                raise SourceError(str(path), f"question {item['id']}: page '{item['file']}' is in the "
                                             f"{item['split']} half here but in the {first[0]} half in {first[1]}")
            items.append(item)
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise SourceError(str(paths[-1]), f"question id '{item['id']}' appears in more than one row")
        seen.add(item["id"])
    return items


def page_files(items: list[dict], pages_dir: Path) -> list[Path]:
    return [pages_dir / f for f in dict.fromkeys(it["file"] for it in items)]


def chunks_by_file(store: Store) -> dict[str, list[Chunk]]:
    """File name -> the chunks of every document indexed from it."""
    docs_of_file: dict[str, set[str]] = defaultdict(set)
    for source, info in store.manifest["sources"].items():
        docs_of_file[Path(source).name].update(info["doc_ids"])
    file_of_doc = {d: name for name, docs in docs_of_file.items() for d in docs}
    out: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in store.chunks():
        if chunk.doc_id in file_of_doc:
            out[file_of_doc[chunk.doc_id]].append(chunk)
    return out


def find_gold(items: list[dict], store: Store, scope_meta: bool = True) -> dict[str, tuple[str, str]]:
    """Fill each item's `docs` (its page's documents) and, when answerable, its `gold` (the chunks of its page
    holding an alias); returns gold chunk id -> (lang, text), as the runner's gold passages."""
    by_file = chunks_by_file(store)
    passages: dict[str, tuple[str, str]] = {}
    for item in items:
        item["docs"] = sorted({c.doc_id for c in by_file.get(item["file"], [])})
        if item["kind"] == "meta" and scope_meta:
            item["scope"] = item["docs"]
        if not item["answers"]:
            continue
        gold = [c for c in by_file.get(item["file"], []) if holds_alias(c, item["answers"])]
        item["gold"] = [c.chunk_id for c in gold]
        passages.update((c.chunk_id, (c.lang, c.text)) for c in gold)
    return passages


def holds_alias(chunk: Chunk, aliases: list[str]) -> bool:
    return contains_answer(chunk.text, aliases)
