"""`rag` command line: index, info, ask, chat, plus the subcommands registered by ui and eval (ui, eval, bench).

Thin by design: parse, call `Assistant` / `index_sources`, format. User errors (RagError) print one line on
stderr and exit 1; anything else is a bug and shows its traceback. Everything printed goes through
`rag.terminal` (`echo`, `safe_line`, `safe_json`): text from documents and file names never reaches the
terminal with its control characters.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points
from pathlib import Path

from index.build import index_sources
from index.store import index_size_bytes
from rag.assistant import Assistant, _index_options
from rag.errors import RagError
from rag.settings import Settings
from rag.terminal import echo, safe_json, safe_line


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except RagError as e:
        echo(f"rag: error: {safe_line(e)}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Bilingual (English + Chinese) Q&A with citations.")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("index", help="add sources to an index (no PATH: the bundled article)")
    p.add_argument("paths", nargs="*", metavar="PATH", help=".txt, .md, .html, .jsonl files or folders")
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
        echo(f"No index in {safe_line(index_dir)}: indexing the bundled article first.", err=True)
        return Assistant.build(None, index_dir, settings, progress=progress)
    return Assistant.load(index_dir, settings)


def cmd_index(args) -> int:
    settings = settings_for(args)
    report = index_sources(args.paths or None, settings.index_dir, **_index_options(settings),
                           remove=args.remove, progress=True)
    if args.json:
        echo(safe_json(report.to_dict()))
    else:
        for error in report.refused:  # one line each: the source, then why
            echo(f"refused: {safe_line(error.path)}: {safe_line(error.reason)}", err=True)
        for dup in report.duplicates:
            echo(f"skipped duplicate: {safe_line(dup)}")
        if report.unchanged:
            echo(f"unchanged: {len(report.unchanged)} source(s)")
        if report.removed:
            echo(f"removed: {safe_line(', '.join(report.removed))}")
        if report.added:
            echo(f"indexed {len(report.added)} document(s), {report.chunks_added} chunks "
                 f"({report.embedded} embedded, the rest from cache) into {safe_line(settings.index_dir)}")
    return 1 if report.refused else 0


def cmd_info(args) -> int:
    settings = settings_for(args)
    assistant = Assistant.load(settings.index_dir, settings)
    info = assistant.info()
    info["size_bytes"] = index_size_bytes(Path(settings.index_dir))
    if args.json:
        echo(safe_json(info))
        return 0
    echo(f"index:      {safe_line(settings.index_dir)} ({info['size_bytes'] / 2**20:.2f} MB on disk, "
         f"FAISS {info['faiss']})")
    echo(f"embedder:   {safe_line(info['embedder']['id'])} (dim {info['embedder']['dim']})")
    per = info["chunks_per_language"]
    echo(f"chunks:     {info['chunks']} (en {per['en']}, zh {per['zh']}); "
         f"aligned en-zh pairs: {info['aligned_pairs']}")
    echo(f"documents:  {len(info['documents'])}")
    for doc_id, d in info["documents"].items():
        echo(safe_line(f"  {doc_id:32} {d['lang']}  {d['chunks']:4} chunks  group={d['group']}  {d['title'][:50]}"))
    return 0


def cmd_ask(args) -> int:
    settings = settings_for(args)
    assistant = load_or_build(settings)
    answer = assistant.ask(args.question, k=args.k, lang=args.lang)
    if args.json:
        echo(safe_json(answer.to_dict()))
    else:
        echo(format_answer(answer))
    return 0


def format_answer(answer) -> str:
    lines = [answer.text]
    if answer.short:
        lines.append(f"Short answer: {answer.short}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(safe_line(f"  [{c.n}] {c.title} ({c.lang}, {c.chunk_id})"))
            lines.append(safe_line(f"      \u201c{c.quote[:200]}\u201d"))
    elif answer.contexts:
        lines.append("")
        lines.append("Nearest sources:")
        for i, c in enumerate(answer.contexts[:3], start=1):
            lines.append(safe_line(f"  {i}. {c.title} ({c.lang}, {c.chunk_id}): {c.text[:100]}"))
    return "\n".join(lines)  # printed through echo(): the answer text is made safe there


def cmd_chat(args) -> int:
    settings = settings_for(args)
    assistant = load_or_build(settings)
    history: list[tuple[str, str]] = []
    # Bytes that are not UTF-8 arrive as lone surrogates, which ask() refuses as a QuestionError: the chat goes on.
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="surrogateescape")
    echo("Ask in English or Chinese; an empty line or Ctrl-D quits.")
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
            echo(f"error: {safe_line(e)}")
            continue
        echo(format_answer(answer))
        history.append((question, answer.text))


if __name__ == "__main__":
    sys.exit(main())
