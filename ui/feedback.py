"""Readers' thumbs up / down on answers, kept as JSON lines next to the index; `rag feedback` prints them.

    rag feedback --index kb            # one JSON object per line: time, rating, comment, question, answer, sources

An answer readers mark down is a question the eval set should hold (see eval/).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

FILE_NAME = "feedback.jsonl"
MAX_COMMENT_CHARS = 2000
MAX_FILE_MB = 20  # a page without a login must not be a way to fill the disk

_lock = threading.Lock()


def feedback_path(index_dir: str | Path) -> Path:
    return Path(index_dir) / FILE_NAME


def record(index_dir: str | Path, turn: dict, rating: str, comment: str = "") -> dict:
    """Append one feedback line for a conversation turn; returns what was written."""
    answer = turn.get("answer") or {}
    line = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rating": rating,
        "comment": comment.strip()[:MAX_COMMENT_CHARS],
        "question": turn.get("question", ""),
        "answer": answer.get("text") or turn.get("error") or "",
        "abstained": bool(answer.get("abstained")),
        "language": answer.get("language"),
        "sources": [c.get("chunk_id") for c in answer.get("citations") or []],
    }
    path = feedback_path(index_dir)
    with _lock:
        if path.exists() and path.stat().st_size > MAX_FILE_MB * 2**20:
            return line  # full: the line is dropped, not the page
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line


def register(subparsers) -> None:
    """Add the `feedback` subcommand to the `rag` command line (through the rag.commands entry point)."""
    p = subparsers.add_parser("feedback", help="print readers' feedback on answers (JSON lines)")
    p.add_argument("--index", metavar="DIR", default=None, help="index directory (default RAG_INDEX_DIR or kb)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rag import Settings

    path = feedback_path(Settings.from_env(index_dir=args.index).index_dir)
    if not path.exists():
        print(f"No feedback yet ({path} does not exist).", file=sys.stderr)
        return 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            sys.stdout.write(line)
    return 0
