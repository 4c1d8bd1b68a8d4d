"""`rag eval`: ask every question of an eval set, score answers, retrieval and citations, per category.

    rag eval                                      # the shipped set, temporary index of the bundled article
    rag eval --baseline langchain --out out/eval  # and the LangChain recipe on the same questions
    rag eval --squad ../shared/datasets/cmrc2018_dev.json --out out/cmrc-dev
    rag eval --min-accuracy 0.8 --min-hit5 0.95   # exit code 1 when an overall figure is below its threshold
    rag eval --set ../shared/corpus/real_qa.jsonl --baseline langchain     # real pages (see eval/pageset.py)
    rag eval --squad ../shared/datasets/squad2_dev_subset.json --split measured --unanswerable-from-gold

Answers are asked with k = RAG_TOP_K sources, as users get them; the ranking scored for MRR and nDCG@10 is the
same search taken to --depth, untimed. An unanswerable question counts as correct when the assistant
abstains; EM/F1 score the short answer (or the first quoted statement) of answerable questions only.

Real-page sets and SQuAD files are split by article into a dev half (tune on it) and a measured half (quote
it) by eval/splits.py; `--split` asks one half, and the table has rows per split ("dev:fact", "measured:zh",
...). `--unanswerable-from-gold` adds, for every answerable question, the same question asked with its gold
chunks (and their translations) filtered out of retrieval: the rest of its article stays as on-topic
distractors, and the right answer is to abstain (category "gold-removed").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from eval.asking import Bench, answer_language, ask_assistant, ask_baselines  # noqa: F401 (answer_language)
from eval.crosslingual import format_one_language, one_language_rows
from eval.metrics import chunk_matches, summarize
from eval.pageset import eval_rows, find_gold, is_page_set, load_page_sets, page_files
from eval.report import format_table, write_outputs
from eval.squad import load_squad, write_documents
from rag import Assistant, Settings
from rag.errors import ConfigError, RagError, SourceError

SHIPPED_SET = Path(__file__).parent / "qa.jsonl"
# (option, summary key, what it guards): each makes the exit code 1 when the overall figure is below it.
THRESHOLDS = [
    ("min_accuracy", "accuracy", "answer accuracy"),
    ("min_f1", "f1", "answer F1"),
    ("min_hit1", "hit1_any", "hit@1 (any language)"),
    ("min_hit5", "hit5_any", "hit@5 (any language)"),
    ("min_mrr", "mrr_any", "MRR (any language)"),
    ("min_citation_recall", "citation_recall", "citation recall"),
    ("min_citation_precision", "citation_precision", "citation precision"),
    ("min_abstain_precision", "abstain_precision", "abstention precision"),
    ("min_abstain_recall", "abstain_recall", "abstention recall"),
    ("min_language_match", "language_match", "language match"),
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score answers, retrieval and citations on the QA set or SQuAD files",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", metavar="DIR",
                   help="an existing index to ask (default: a temporary index of the bundled article)")
    p.add_argument("--set", nargs="+", metavar="FILE", type=Path,
                   help="eval set JSONL (default: the shipped eval/qa.jsonl); a set whose items name a page "
                        "'file' indexes those pages into a temporary index (several page sets: their pages "
                        "in one index, their questions asked together)")
    p.add_argument("--pages", metavar="DIR", type=Path,
                   help="folder of the pages a page set names (default: real/ beside the set)")
    p.add_argument("--squad", nargs="+", metavar="FILE", type=Path,
                   help="SQuAD v1.1/2.0-format files, indexed into a temporary index (matching question ids: "
                        "parallel languages; is_impossible questions are scored as abstentions)")
    p.add_argument("--split", choices=["dev", "measured", "all"], default="all",
                   help="page sets and SQuAD files: ask the dev half, the measured half or both (default), "
                        "split by article (eval/splits.py)")
    p.add_argument("--unanswerable-from-gold", action="store_true",
                   help="also ask every answerable question with its gold chunks removed from retrieval, "
                        "scored as abstentions")
    p.add_argument("--limit", type=int, metavar="N",
                   help="ask at most N questions, spread over categories (SQuAD: over paragraphs, and only "
                        "their paragraphs are indexed)")
    p.add_argument("--meta-unscoped", action="store_true",
                   help="page sets: ask meta questions ('who translated this article?') over every page, not "
                        "scoped to their own page (eval/pageset.py)")
    p.add_argument("--one-language", action="store_true",
                   help="page sets: also score retrieval with one language's chunks only, asked in the other "
                        "(eval/crosslingual.py), beside dense search alone")
    p.add_argument("--baseline", choices=["langchain"],
                   help="also run the plain LangChain recipe (naive, and hybrid BM25 + FAISS) on the same "
                        "questions, side by side")
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="write report.json, report.md, chart.png and results.jsonl there")
    p.add_argument("-k", type=int, default=None, help="sources per answer (default RAG_TOP_K)")
    p.add_argument("--depth", type=int, default=10, help="ranking depth for MRR and nDCG (default 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    for name, _, what in THRESHOLDS:
        p.add_argument("--" + name.replace("_", "-"), type=_fraction, metavar="X",
                       help=f"exit 1 if the overall {what} is below X (a fraction, 0-1)")
    p.set_defaults(func=run)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1 (write 0.8 for 80%)")
    return value


def run(args: argparse.Namespace) -> int:
    if args.squad and (args.index or args.set):
        raise ConfigError("--squad indexes its files into a temporary index: leave out --index and --set")
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    if args.baseline:
        _check_baseline_installed()
    settings = Settings.from_env()
    progress = not args.no_progress
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        prepare = prepare_squad if args.squad else prepare_set
        bench = prepare(args, settings, Path(tmp))
        k = args.k or settings.top_k
        bench.config.update({"k": k, "depth": max(k, args.depth)})
        one_language = None
        if args.one_language:
            if "pages" not in bench.config:
                raise ConfigError("--one-language needs a page set (--set FILE whose items name a page 'file')")
            one_language = one_language_rows(bench.assistant, bench.items, bench.passages, k)
            bench.config["one_language"] = one_language
        if args.unanswerable_from_gold:
            bench.items += gold_removed(bench)
        results = ask_assistant(bench, k, max(k, args.depth), progress)
        summaries = {"assistant": summarize(results)}
        if args.baseline:
            results += ask_baselines(bench, settings, max(k, args.depth), progress)
            for system in ("langchain", "langchain-hybrid"):
                summaries[system] = summarize([r for r in results if r["system"] == system])
    print(format_table(summaries))
    if one_language:
        print("\n" + format_one_language(one_language))
    if args.out:
        write_outputs(args.out, summaries, results, bench.config)
        print(f"\nwrote {args.out}/report.json, report.md, chart.png, results.jsonl")
    return check_thresholds(args, summaries["assistant"]["overall"])


def _check_baseline_installed() -> None:
    # eval.baseline is imported only for --baseline: langchain-text-splitters is a dev extra, and `rag eval`
    # must work without it.
    try:
        import eval.baseline  # noqa: F401
    except ImportError as e:
        raise ConfigError(f"--baseline langchain needs langchain-text-splitters ({e}); "
                          "pip install langchain-text-splitters, or pip install -e '.[dev]'") from None


def check_thresholds(args: argparse.Namespace, overall: dict) -> int:
    failed = 0
    for name, key, what in THRESHOLDS:
        limit = getattr(args, name, None)
        if limit is None:
            continue
        value = overall.get(key)
        if value is None or value < limit:
            shown = "n/a" if value is None else f"{100 * value:.1f}%"
            print(f"rag eval: overall {what} {shown} is below --{name.replace('_', '-')} {limit:g}",
                  file=sys.stderr)
            failed = 1
    return failed


# ---------------------------------------------------------------- preparing a run


def prepare_set(args: argparse.Namespace, settings: Settings, tmp: Path) -> Bench:
    paths = args.set or [SHIPPED_SET]
    path = paths[0]
    if path.exists() and is_page_set(path):
        return prepare_pages(args, settings, tmp, paths)
    if len(paths) > 1:
        raise ConfigError(f"several --set files must all be page sets (items naming a page 'file'); {path} "
                          "names gold chunk ids")
    if args.pages:
        raise ConfigError(f"--pages is for a set whose items name a page 'file'; {path} names gold chunk ids")
    items = load_set(path)
    if args.limit:
        items = take_spread(items, args.limit, lambda it: it["category"])
    if args.index:
        assistant = Assistant.load(args.index, settings)
    else:
        assistant = Assistant.build(None, tmp / "index", settings, progress=not args.no_progress)
    passages = gold_passages(assistant, {g for it in items for g in it["gold"]})
    wanted = {g for it in items for g in it["gold"]}
    missing = sorted(wanted - set(passages))
    if missing and len(missing) == len(wanted):
        raise RagError(f"none of the gold passages of {path} are in the index (e.g. {missing[0]}); the "
                       "shipped set needs an index of the bundled article (leave out --index)")
    if missing:
        print(f"rag eval: {len(missing)} gold passage id(s) not in the index, e.g. {missing[0]}",
              file=sys.stderr)
    config = {"set": str(path), "questions": len(items), "index": args.index or "temporary: bundled article",
              "chunks": len(assistant.store), "embedder": assistant.store.embedder_id}
    return Bench(assistant, items, passages, config)


def prepare_pages(args: argparse.Namespace, settings: Settings, tmp: Path, paths: list[Path]) -> Bench:
    """Page sets: every page they name indexed into a temporary index; gold found by alias."""
    path = paths[0]
    for other in paths[1:]:
        if not other.exists() or not is_page_set(other):
            raise SourceError(str(other), "not a page set (its items must name a page 'file')")
    if args.index:
        raise ConfigError(f"{path} names pages, which are indexed into a temporary index: leave out --index")
    pages_dir = args.pages or path.parent / "real"
    if not pages_dir.is_dir():
        raise SourceError(str(pages_dir), "no such folder of pages (give it with --pages)")
    every = load_page_sets(paths, pages_dir)
    items = in_split(every, args.split)
    if args.limit:
        items = take_spread(items, args.limit, lambda it: it["category"])
    assistant = Assistant.build(page_files(every, pages_dir), tmp / "index", settings,
                                progress=not args.no_progress)
    passages = find_gold(items, assistant.store, scope_meta=not args.meta_unscoped)
    config = {"set": ", ".join(map(str, paths)), "pages": str(pages_dir), "split": args.split, "questions": len(items),
              "meta_questions": "asked over every page" if args.meta_unscoped else "scoped to their page",
              "pages_indexed": len(page_files(every, pages_dir)), "chunks": len(assistant.store),
              "no_gold_found": [it["id"] for it in items if it["answers"] and not it["gold"]],
              "embedder": assistant.store.embedder_id, "index": "temporary"}
    return Bench(assistant, items, passages, config)


def in_split(items: list[dict], split: str) -> list[dict]:
    return items if split == "all" else [it for it in items if it.get("split") == split]


def prepare_squad(args: argparse.Namespace, settings: Settings, tmp: Path) -> Bench:
    data = load_squad(args.squad)
    items = in_split(data.items, args.split)
    if args.limit:
        items = take_spread(items, args.limit, lambda it: (it["split"], it["category"]), lambda it: it["doc"])
    # Without --limit every paragraph of the files is indexed, whichever half is asked: the other half's
    # paragraphs are distractors as they would be in a user's index.
    needed = {it["doc"] for it in items} if args.limit else {row["id"] for row in data.documents}
    needed |= {g for it in items for g in it["gold"]}
    documents = [row for row in data.documents if row["id"] in needed]
    source = write_documents(documents, tmp / "contexts.jsonl")
    assistant = Assistant.build([source], tmp / "index", settings, progress=not args.no_progress)
    passages = {row["id"]: (row["lang"], row["text"]) for row in documents}
    config = {"squad": [str(p) for p in args.squad], "files": data.files, "split": args.split,
              "questions": len(items),
              "paragraphs_indexed": len(documents), "chunks": len(assistant.store),
              "embedder": assistant.store.embedder_id, "index": "temporary"}
    return Bench(assistant, items, passages, config)


def load_set(path: Path) -> list[dict]:
    """Eval items from JSONL: {"id", "category", "lang", "question", "answers", "gold", "history"?}."""
    if not path.exists():
        raise SourceError(str(path), "no such eval set")
    items = []
    fields = (("id", str), ("category", str), ("lang", str), ("question", str), ("answers", list), ("gold", list))
    for number, item in eval_rows(path, fields):
        history = item.get("history") or []
        if not all(isinstance(t, list) and len(t) == 2 for t in history):
            raise SourceError(str(path),
                              f"line {number}: 'history' must be a list of [question, answer] pairs")
        items.append(item)
    if not items:
        raise SourceError(str(path), "the eval set is empty")
    return items


def take_spread(items: list[dict], n: int, key, within=None) -> list[dict]:
    """At most n items, taken round-robin over key groups (first of each group, then second, ...); with
    `within`, each group's own items are first put in round-robin order over that key."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    if within is not None:
        groups = {g: _round_robin(members, within) for g, members in groups.items()}
    picked: list[dict] = []
    depth = 0
    while len(picked) < n and any(depth < len(g) for g in groups.values()):
        picked += [g[depth] for g in groups.values() if depth < len(g)][: n - len(picked)]
        depth += 1
    order = {id(item): i for i, item in enumerate(items)}
    return sorted(picked, key=lambda item: order[id(item)])


def _round_robin(items: list[dict], key) -> list[dict]:
    """The items reordered: the first of each key group, then the second of each, ..."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    longest = max(map(len, groups.values()), default=0)
    return [g[i] for i in range(longest) for g in groups.values() if i < len(g)]


def gold_removed(bench: Bench) -> list[dict]:
    """For every answerable item with a gold passage, the same question asked with its gold chunks and their
    translation counterparts filtered out of retrieval; the right answer is then to abstain."""
    store = bench.assistant.store
    of_doc: dict[str, list] = defaultdict(list)
    for c in store.chunks():
        of_doc[c.doc_id].append(c)
    out = []
    for item in bench.items:
        if not item["answers"] or not item["gold"] or item.get("history"):
            continue
        gone = {c.chunk_id for g in item["gold"] for c in of_doc.get(g.split(":")[0], ())
                if chunk_matches(c.chunk_id, g)}
        gone |= {cp for c in (store.chunk(store.row_of(cid)) for cid in list(gone)) for cp in c.counterparts}
        out.append({**item, "id": f"{item['id']}/gold-removed", "category": "gold-removed", "answers": [],
                    "gold": [], "exclude": sorted(gone)})
    return out


def gold_passages(assistant: Assistant, gold_ids: set[str]) -> dict[str, tuple[str, str]]:
    """gold id -> (lang, text of the chunks it names), for the gold ids found in the index."""
    found: dict[str, list] = defaultdict(list)
    for chunk in assistant.store.chunks():
        for g in gold_ids:
            if chunk_matches(chunk.chunk_id, g):
                found[g].append(chunk)
    return {g: (cs[0].lang, "\n".join(c.text for c in sorted(cs, key=lambda c: c.start)))
            for g, cs in found.items()}


