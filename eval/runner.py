"""`rag eval`: ask every question of an eval set, score answers, retrieval and citations, per category.

    rag eval                                      # the shipped set, temporary index of the bundled article
    rag eval --baseline langchain --out out/eval  # and the LangChain recipe on the same questions
    rag eval --squad ../shared/datasets/cmrc2018_dev.json --out out/cmrc-dev
    rag eval --min-accuracy 0.8 --min-hit5 0.95   # exit code 1 when an overall figure is below its threshold

Answers are asked with k = RAG_TOP_K sources, as users get them; the ranking scored for MRR and nDCG@10 is the
same search taken to --depth, untimed. An unanswerable question counts as correct when the assistant
abstains; EM/F1 score the short answer (or the first quoted statement) of answerable questions only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import (
    chunk_matches,
    citation_scores,
    contains_answer,
    em_f1,
    relevance_flags,
    retrieval_scores,
    split_statements,
    summarize,
)
from eval.report import format_table, write_outputs
from eval.squad import load_squad, write_documents
from index.text import detect_lang
from rag import Assistant, Settings
from rag.assistant import FOREIGN_QUOTE
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
    p.add_argument("--set", metavar="FILE", type=Path,
                   help="eval set JSONL (default: the shipped eval/qa.jsonl)")
    p.add_argument("--squad", nargs="+", metavar="FILE", type=Path,
                   help="SQuAD v1.1-format files, indexed into a temporary index (matching question ids: "
                        "parallel languages)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="ask at most N questions, spread over categories (SQuAD: over paragraphs, and only "
                        "their paragraphs are indexed)")
    p.add_argument("--baseline", choices=["langchain"],
                   help="also run the plain LangChain recipe on the same questions, side by side")
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


@dataclass(slots=True)
class Bench:
    assistant: Assistant
    items: list[dict]
    passages: dict[str, tuple[str, str]]  # gold id -> (lang, passage text)
    config: dict


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
        results = ask_assistant(bench, k, max(k, args.depth), progress)
        summaries = {"assistant": summarize(results)}
        if args.baseline:
            results += ask_baseline(bench, settings, max(k, args.depth), progress)
            summaries["langchain"] = summarize([r for r in results if r["system"] == "langchain"])
    print(format_table(summaries))
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
    path = args.set or SHIPPED_SET
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


def prepare_squad(args: argparse.Namespace, settings: Settings, tmp: Path) -> Bench:
    data = load_squad(args.squad)
    items = data.items
    if args.limit:
        items = take_spread(items, args.limit, lambda it: it["doc"])
    needed = {g for it in items for g in it["gold"]}
    documents = [row for row in data.documents if row["id"] in needed]
    source = write_documents(documents, tmp / "contexts.jsonl")
    assistant = Assistant.build([source], tmp / "index", settings, progress=not args.no_progress)
    passages = {row["id"]: (row["lang"], row["text"]) for row in documents}
    config = {"squad": [str(p) for p in args.squad], "files": data.files, "questions": len(items),
              "paragraphs_indexed": len(documents), "chunks": len(assistant.store),
              "embedder": assistant.store.embedder_id, "index": "temporary"}
    return Bench(assistant, items, passages, config)


def load_set(path: Path) -> list[dict]:
    """Eval items from JSONL: {"id", "category", "lang", "question", "answers", "gold", "history"?}."""
    if not path.exists():
        raise SourceError(str(path), "no such eval set")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(str(path), f"line {number}: not valid JSON ({e.msg})") from None
        for key, kind in (("id", str), ("category", str), ("lang", str), ("question", str), ("answers", list),
                          ("gold", list)):
            if not isinstance(item.get(key), kind):
                raise SourceError(str(path),
                                  f"line {number}: field '{key}' is missing or not a {kind.__name__}")
        if item["lang"] not in ("en", "zh"):
            raise SourceError(str(path), f"line {number}: 'lang' must be 'en' or 'zh', not {item['lang']!r}")
        history = item.get("history") or []
        if not all(isinstance(t, list) and len(t) == 2 for t in history):
            raise SourceError(str(path),
                              f"line {number}: 'history' must be a list of [question, answer] pairs")
        items.append(item)
    if not items:
        raise SourceError(str(path), "the eval set is empty")
    return items


def take_spread(items: list[dict], n: int, key) -> list[dict]:
    """At most n items, taken round-robin over key groups (first of each group, then second, ...)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    picked: list[dict] = []
    depth = 0
    while len(picked) < n and any(depth < len(g) for g in groups.values()):
        picked += [g[depth] for g in groups.values() if depth < len(g)][: n - len(picked)]
        depth += 1
    order = {id(item): i for i, item in enumerate(items)}
    return sorted(picked, key=lambda item: order[id(item)])


def gold_passages(assistant: Assistant, gold_ids: set[str]) -> dict[str, tuple[str, str]]:
    """gold id -> (lang, text of the chunks it names), for the gold ids found in the index."""
    found: dict[str, list] = defaultdict(list)
    for chunk in assistant.store.chunks():
        for g in gold_ids:
            if chunk_matches(chunk.chunk_id, g):
                found[g].append(chunk)
    return {g: (cs[0].lang, "\n".join(c.text for c in sorted(cs, key=lambda c: c.start)))
            for g, cs in found.items()}


def article_texts(assistant: Assistant) -> list[tuple[str, str, str]]:
    """(doc_id, lang, text) of every document, rebuilt from its chunks with section headings between."""
    by_doc: dict[str, list] = defaultdict(list)
    for chunk in assistant.store.chunks():
        by_doc[chunk.doc_id].append(chunk)
    out = []
    for doc_id, chunks in by_doc.items():
        parts, section, paragraph = [], "", None
        for c in sorted(chunks, key=lambda c: c.start):
            if c.section and c.section != section:
                parts.append("\n\n" + c.section)
                section = c.section
            parts.append((" " if c.paragraph == paragraph else "\n\n") + c.text)
            paragraph = c.paragraph
        out.append((doc_id, chunks[0].lang, "".join(parts).strip()))
    return out


# ---------------------------------------------------------------- asking and scoring


def _progress(items: list[dict], desc: str, show: bool):
    if not show or len(items) < 20:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", mininterval=1.0)


def ask_assistant(bench: Bench, k: int, depth: int, progress: bool) -> list[dict]:
    results = []
    for item in _progress(bench.items, "Asking", progress):
        history = [tuple(t) for t in item.get("history") or []]
        start = time.perf_counter()
        answer = bench.assistant.ask(item["question"], history, k=k)
        latency = (time.perf_counter() - start) * 1000
        retrieved = [c.chunk_id for c in answer.contexts]
        if depth > k:
            retrieved = deeper_ranking(bench.assistant, item["question"], history, depth)
        flags = {}
        for scope in ("same", "any"):
            gold = _gold(item, bench.passages, scope)
            flags[scope] = (relevance_flags(retrieved, gold), len(gold))
        passages = {c.n: c.text for c in answer.citations}
        results.append(score(item, "assistant", answer.text, answer.short, answer.abstained, answer.language,
                             passages, flags, latency, retrieved, [c.chunk_id for c in answer.citations],
                             answer.support))
    return results


def deeper_ranking(assistant: Assistant, question: str, history: list, depth: int) -> list[str]:
    """The chunk ids `ask` would rank to `depth`: the retriever's ranking (the same search) for a question
    without history, else a second ask, since follow-ups are resolved inside `ask`."""
    if history:
        return [c.chunk_id for c in assistant.ask(question, history, k=depth).contexts]
    return [d.metadata["chunk_id"] for d in assistant.retriever.invoke(question, k=depth)]


def ask_baseline(bench: Bench, settings: Settings, depth: int, progress: bool) -> list[dict]:
    from eval.baseline import LangChainBaseline, holds_key, key_clause

    baseline = LangChainBaseline(article_texts(bench.assistant), settings.embeddings,
                                 settings.cache_dir or None, settings.threads, progress=progress)
    results = []
    for item in _progress(bench.items, "Baseline", progress):
        answer = baseline.ask(item["question"], k=depth)
        texts = [c.text for c in answer.chunks]
        flags = {}
        for scope in ("same", "any"):
            gold = _gold(item, bench.passages, scope)
            item_keys = list(dict.fromkeys(key_clause(bench.passages[g][1], item["answers"])
                                           for g in gold if g in bench.passages))
            n = len(item_keys) + sum(g not in bench.passages for g in gold)
            flags[scope] = (relevance_flags(texts, item_keys, match=holds_key), n)
        passages = {1: answer.chunks[0].text} if answer.chunks else {}
        results.append(score(item, "langchain", answer.text, None, False, answer.language, passages, flags,
                             answer.latency_ms, [c.chunk_id for c in answer.chunks],
                             [answer.chunks[0].chunk_id] if answer.chunks else []))
    return results


def _gold(item: dict, passages: dict[str, tuple[str, str]], scope: str) -> list[str]:
    """The item's gold ids: all of them ("any" language), or those in the question's language ("same")."""
    if scope == "any":
        return list(item["gold"])
    return [g for g in item["gold"] if g in passages and passages[g][0] == item["lang"]]


# A sentence quoted from the other version, after its label, up to its citation marker.
_LABELLED_QUOTE = re.compile("(" + "|".join(re.escape(t.split("{quote}")[0]) for t in FOREIGN_QUOTE.values())
                             + r").*?(?=\s*\[\d+\]|$)", re.S)


def answer_language(text: str, declared: str) -> str:
    """The language the answer speaks in: a labelled quote of the other version ("The Chinese version says:
    …") is what the question's language should say when only that version has the fact, so the quote itself
    is left out and its label counts."""
    own = re.sub(r"\s*\[\d+\]", "", _LABELLED_QUOTE.sub(lambda m: m.group(1), text))
    return detect_lang(own) or declared


def score(item: dict, system: str, text: str, short: str | None, abstained: bool, declared_lang: str,
          passages: dict[int, str], flags: dict[str, tuple[list[int], int]], latency_ms: float,
          retrieved: list[str], cited: list[str], support: float | None = None) -> dict:
    """One per-question result: the answer, what it retrieved and cited, and every per-question figure
    (`support`: the assistant's support score, which the abstention threshold is compared with)."""
    answers = item["answers"]
    plain = re.sub(r"\s*\[\d+\]", "", text).strip()
    if answers:
        correct = not abstained and contains_answer(f"{plain} {short or ''}", answers)
        statements = split_statements(text)
        prediction = "" if abstained else (short or (statements[0][0] if statements else plain))
        em, f1 = em_f1(prediction, answers)
    else:
        correct, em, f1 = abstained, None, None
    citation = None if abstained else citation_scores(text, passages, answers)
    answer_lang = answer_language(text, declared_lang)
    result = {
        "id": item["id"], "system": system, "category": item["category"], "lang": item["lang"],
        "question": item["question"], "history": item.get("history") or [], "answers": answers,
        "gold": item["gold"], "correct": correct, "accuracy": float(correct), "answer": text, "short": short,
        "abstained": abstained, "answer_lang": answer_lang,
        "language_match": float(answer_lang == item["lang"]),
        "em": em, "f1": f1, "citation_recall": citation[0] if citation else None,
        "citation_precision": citation[1] if citation else None, "length": len(plain),
        "latency_ms": round(latency_ms, 2), "retrieved": retrieved, "cited": cited,
        "support": None if support is None else round(support, 4),
    }
    for scope, (scope_flags, n_relevant) in flags.items():
        for name, value in retrieval_scores(scope_flags, n_relevant).items():
            result[f"{name}_{scope}"] = value
    return result
