"""Asking an eval set: the assistant and the LangChain recipe on the same questions, one scored result each.

A gold-removed item (`exclude`: chunk ids) is asked with those chunks filtered out of retrieval, so its
article's other passages stay as on-topic distractors; it has no answers, so it is scored as an abstention.
A scoped item (`scope`: doc ids) is asked of those documents only, as a reader asks "who translated this
article?" of the article in front of them; both systems get the same scope.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass

from eval.metrics import (
    citation_scores,
    contains_answer,
    em_f1,
    relevance_flags,
    retrieval_scores,
    split_statements,
)
from index.text import detect_lang
from rag import Assistant, Settings
from rag.assistant import FOREIGN_QUOTE
from rag.retrieve import Filters

SCOPES = ("same", "any")


@dataclass(slots=True)
class Bench:
    assistant: Assistant
    items: list[dict]
    passages: dict[str, tuple[str, str]]  # gold id -> (lang, passage text)
    config: dict


def _progress(items: list[dict], desc: str, show: bool):
    if not show or len(items) < 20:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", mininterval=1.0)


def ask_assistant(bench: Bench, k: int, depth: int, progress: bool) -> list[dict]:
    results = []
    for item in _progress(bench.items, "Asking", progress):
        history = [tuple(t) for t in item.get("history") or []]
        filters = None
        if item.get("exclude") or item.get("scope"):
            filters = Filters(doc_ids=tuple(item["scope"]) if item.get("scope") else None,
                              exclude_chunks=tuple(item.get("exclude") or ()))
        start = time.perf_counter()
        answer = bench.assistant.ask(item["question"], history, k=k, filters=filters)
        latency = (time.perf_counter() - start) * 1000
        retrieved = [c.chunk_id for c in answer.contexts]
        if depth > k and item["gold"]:
            retrieved = deeper_ranking(bench.assistant, item["question"], history, depth, filters)
        flags = {}
        for scope in SCOPES:
            gold = _gold(item, bench.passages, scope)
            flags[scope] = (relevance_flags(retrieved, gold), len(gold))
        passages = {c.n: c.text for c in answer.citations}
        results.append(score(item, "assistant", answer.text, answer.short, answer.abstained, answer.language,
                             passages, flags, latency, retrieved, [c.chunk_id for c in answer.citations],
                             answer.support))
    return results


def deeper_ranking(assistant: Assistant, question: str, history: list, depth: int,
                   filters: Filters | None = None) -> list[str]:
    """The chunk ids `ask` would rank to `depth`: the searcher's ranking (the same search) for a question
    without history, else a second ask, since follow-ups are resolved inside `ask`."""
    if history:
        return [c.chunk_id for c in assistant.ask(question, history, k=depth, filters=filters).contexts]
    lang = detect_lang(question) or "en"
    return [h.chunk.chunk_id for h in assistant.searcher.search(question, lang, k=depth, filters=filters)]


def ask_baselines(bench: Bench, settings: Settings, depth: int, progress: bool) -> list[dict]:
    """The naive recipe ("langchain") and its hybrid BM25 + FAISS variant ("langchain-hybrid")."""
    from eval.baseline import LangChainBaseline

    documents = article_texts(bench.assistant)
    results = []
    for system, hybrid in (("langchain", False), ("langchain-hybrid", True)):
        baseline = LangChainBaseline(documents, settings.embeddings, settings.cache_dir or None, settings.threads,
                                     progress=progress, hybrid=hybrid)
        results += ask_baseline(bench, baseline, system, depth, progress)
    return results


def ask_baseline(bench: Bench, baseline, system: str, depth: int, progress: bool) -> list[dict]:
    from eval.baseline import holds_key, key_clause

    results = []
    for item in _progress(bench.items, system, progress):
        answer = baseline.ask(item["question"], k=depth, doc_ids=item.get("scope"))
        flags = {}
        for scope in SCOPES:
            if "file" in item:  # a page set: gold is any chunk of the question's page holding an alias
                wanted = [c for c in baseline.chunks if c.doc_id in item.get("docs", ())
                          and (scope == "any" or c.lang == item["lang"]) and contains_answer(c.text, item["answers"])]
                if not item["gold"] or (scope == "same" and not _gold(item, bench.passages, "same")):
                    wanted = []
                ids = {c.chunk_id for c in wanted}
                flags[scope] = ([int(c.chunk_id in ids) for c in answer.chunks], len(ids))
                continue
            texts = [c.text for c in answer.chunks]
            gold = _gold(item, bench.passages, scope)
            item_keys = list(dict.fromkeys(key_clause(bench.passages[g][1], item["answers"])
                                           for g in gold if g in bench.passages))
            n = len(item_keys) + sum(g not in bench.passages for g in gold)
            flags[scope] = (relevance_flags(texts, item_keys, match=holds_key), n)
        passages = {1: answer.chunks[0].text} if answer.chunks else {}
        results.append(score(item, system, answer.text, None, False, answer.language, passages, flags,
                             answer.latency_ms, [c.chunk_id for c in answer.chunks],
                             [answer.chunks[0].chunk_id] if answer.chunks else []))
    return results


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
    if item.get("split"):
        result["split"] = item["split"]
    for scope, (scope_flags, n_relevant) in flags.items():
        for name, value in retrieval_scores(scope_flags, n_relevant).items():
            result[f"{name}_{scope}"] = value
    return result
