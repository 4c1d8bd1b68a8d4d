"""`rag` command line: index, info, ask, chat, plus the subcommands registered by ui and eval (ui, eval, bench).

Thin by design: parse, call `Assistant` / `index_sources`, format. User errors (RagError) print one line on
stderr and exit 1; anything else is a bug and shows its traceback. What a command prints to stdout passes
through `rag.terminal.safe_stdout()`, and error lines through `safe_line()`: text from documents, file names
and questions never reaches the terminal with its control characters.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path

from index.build import index_sources
from index.store import index_size_bytes
from rag.assistant import Assistant, _index_options
from rag.errors import RagError
from rag.settings import Settings
from rag.terminal import safe_line, safe_stdout


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        with safe_stdout():
            return int(args.func(args) or 0)
    except RagError as e:
        print(f"rag: error: {safe_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Bilingual (English + Chinese) Q&A with citations.")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("index", help="add sources to an index (no PATH: the bundled article)")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=".txt, .md, .html, .pdf, .docx, .jsonl files, folders, or http(s) URLs")
    add_index_option(p)
    p.add_argument("--remove", action="append", default=[], metavar="DOC_ID", help="remove a document")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("info", help="documents, chunks per language, aligned pairs, embedder, size")
    add_index_option(p)
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("ask", help="answer one question with numbered sources")
    p.add_argument("question")
    add_index_option(p)
    p.add_argument("-k", type=int, default=None, help="number of sources (default RAG_TOP_K)")
    p.add_argument("--lang", choices=["auto", "en", "zh"], default="auto", help="answer language")
    p.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="ask questions in the terminal, with follow-ups")
    add_index_option(p)
    p.set_defaults(func=cmd_chat)

    for ep in entry_points(group="rag.commands"):
        try:
            register = ep.load()
        except ImportError as e:  # an optional part not installed: its command is simply absent
            sub.add_parser(ep.name, help=f"(unavailable: {e})")
            continue
        register(sub)
    return parser


def add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", default=None, help="index directory (default RAG_INDEX_DIR or kb)")


def settings_for(args: argparse.Namespace) -> Settings:
    return Settings.from_env(index_dir=getattr(args, "index", None))


def load_or_build(settings: Settings, progress: bool = True) -> Assistant:
    """The assistant over settings.index_dir, indexing the bundled article first if it holds no index."""
    index_dir = Path(settings.index_dir)
    if not (index_dir / "CURRENT").exists():
        print(f"No index in {index_dir}: indexing the bundled article first.", file=sys.stderr)
        return Assistant.build(None, index_dir, settings, progress=progress)
    return Assistant.load(index_dir, settings)


def cmd_index(args) -> int:
    settings = settings_for(args)
    report = index_sources(args.paths or None, settings.index_dir, **_index_options(settings),
                           remove=args.remove, progress=True)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        for error in report.refused:
            print(f"refused: {safe_line(error.path)}: {safe_line(error.reason)}", file=sys.stderr)  # one line each
        for dup in report.duplicates:
            print(f"skipped duplicate: {dup}")
        for line in report.set_apart:
            print(line)
        if report.updated:
            print(f"updated (same source, new text): {', '.join(report.updated)}")
        if report.unchanged:
            print(f"unchanged: {len(report.unchanged)} source(s)")
        if report.removed:
            print(f"removed: {', '.join(report.removed)}")
        if report.added:
            print(f"indexed {len(report.added)} document(s), {report.chunks_added} chunks "
                  f"({report.embedded} embedded, the rest from cache) into {settings.index_dir}")
    return 1 if report.refused else 0


def cmd_info(args) -> int:
    settings = settings_for(args)
    assistant = Assistant.load(settings.index_dir, settings)
    info = assistant.info()
    info["size_bytes"] = index_size_bytes(Path(settings.index_dir))
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=1))
        return 0
    print(f"index:      {settings.index_dir} ({info['size_bytes'] / 2**20:.2f} MB on disk, FAISS {info['faiss']})")
    print(f"embedder:   {info['embedder']['id']} (dim {info['embedder']['dim']})")
    per = info["chunks_per_language"]
    print(f"chunks:     {info['chunks']} (en {per['en']}, zh {per['zh']}); "
          f"aligned en-zh pairs: {info['aligned_pairs']}")
    print(f"documents:  {len(info['documents'])}")
    for doc_id, d in info["documents"].items():
        print(f"  {doc_id:32} {d['lang']}  {d['chunks']:4} chunks  group={d['group']}  {d['title'][:50]}")
    return 0


def cmd_ask(args) -> int:
    settings = settings_for(args)
    assistant = load_or_build(settings)
    answer = assistant.ask(args.question, k=args.k, lang=args.lang)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    lines = [f"Searched for: {answer.searched}"] if answer.searched and answer.searched != answer.question else []
    lines.append(answer.text)
    if answer.short:
        lines.append(f"Short answer: {answer.short}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {c.title} ({c.lang}, {c.chunk_id})")
            lines.append(f"      \u201c{clip(c.quote, 200)}\u201d")
    elif answer.contexts:
        lines.append("")
        lines.append("Nearest sources:")
        for i, c in enumerate(answer.contexts[:3], start=1):
            lines.append(f"  {i}. {c.title} ({c.lang}, {c.chunk_id}): {clip(c.text, 100)}")
    return "\n".join(lines)


def clip(text: str, limit: int) -> str:
    """`text` cut at a word (or between Chinese characters) within `limit`, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not "\u4e00" <= cut[-1] <= "\u9fff":
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:，、") + "…"


def cmd_chat(args) -> int:
    settings = settings_for(args)
    assistant = load_or_build(settings)
    history: list[tuple[str, str]] = []
    if hasattr(sys.stdin, "reconfigure"):  # bytes that are not UTF-8 become lone surrogates, which ask() refuses
        sys.stdin.reconfigure(errors="surrogateescape")
    print("Ask in English or Chinese; an empty line or Ctrl-D quits.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = assistant.ask(question, history)
        except RagError as e:
            print(f"error: {e}")
            continue
        print(format_answer(answer))
        history.append((question, answer.text))


if __name__ == "__main__":
    sys.exit(main())
