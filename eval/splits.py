"""Development and measured splits, by article, for every eval set.

Rules, weights and thresholds are tuned on the "dev" half only; the "measured" half is what the README quotes.
A split is decided by article (a real page's file, a CMRC/SQuAD article title or id, the bundled article's
sets by file), never by question, so no article contributes to both halves.

The assignment is deterministic and needs no list: the articles of a set are ordered by a hash of
(set name, article) and alternate dev, measured, dev, ... in that order. Any number of articles splits into
halves that differ by at most one, and adding an article to a set moves at most the articles after it in
hash order (which is why callers should pass the set's whole list of articles, not a filtered one).

    python -m eval.splits ../shared/corpus/real_qa.jsonl    # prints each article's split
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

Split = Literal["dev", "measured"]

# The bundled article's own sets: qa.jsonl and holdout.jsonl were used to write rules; holdout2 was not.
SHIPPED_SPLITS: dict[str, Split] = {"qa.jsonl": "dev", "holdout.jsonl": "dev", "holdout2.jsonl": "measured"}


def _order(set_name: str, article: str) -> str:
    return hashlib.sha256(f"{set_name}\x00{article}".encode()).hexdigest()


def split_articles(set_name: str, articles: Iterable[str]) -> dict[str, Split]:
    """article -> "dev" | "measured" for every article of one set (set_name: e.g. "real_qa", "cmrc2018_dev")."""
    ranked = sorted(set(articles), key=lambda a: _order(set_name, a))
    return {a: ("dev" if i % 2 == 0 else "measured") for i, a in enumerate(ranked)}


def real_page_splits(qa_path: str | Path) -> dict[str, Split]:
    """Split of every page of a real-page QA file (its `file` field names the page)."""
    files = [json.loads(line)["file"] for line in Path(qa_path).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return split_articles(Path(qa_path).stem, files)


def squad_splits(path: str | Path) -> dict[str, Split]:
    """Split of every article of a SQuAD-format file, keyed by its title (or id when it has no title)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return split_articles(Path(path).stem, [str(a.get("title") or a.get("id")) for a in data])


def main(argv: list[str]) -> int:
    for arg in argv:
        path = Path(arg)
        splits = real_page_splits(path) if path.suffix == ".jsonl" else squad_splits(path)
        for article, split in sorted(splits.items()):
            print(f"{split}\t{article}")
        counts = {s: sum(1 for v in splits.values() if v == s) for s in ("dev", "measured")}
        print(f"# {path.name}: {counts['dev']} dev, {counts['measured']} measured articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
