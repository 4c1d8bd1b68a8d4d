"""Extractive, grounded answers: pick the sentence that carries what the question asks for, quote it verbatim
with its marker, pull out the short answer span, or abstain when the evidence does not cover the question."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from index.store import Store
from index.text import numbers_in, tokenize
from rag.retrieve import Hit

# What kind of fact a question asks for, and the pattern of text that carries it.
_ASKS = [
    ("number", re.compile(r"\bhow (many|much|far|long|large|big)\b|\bwhat (is|was) the (total|number|scale|size|"
                          r"amount|latency|percentage|share)|\bwhat percentage|多少|几[个家只条座]|多大|多远|多久|"
                          r"规模|时延|比例|百分之", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|month|date)\b|\bwhich year\b|什么时候|何时|哪一?年|几月|哪个月|"
                        r"什么时间|日期", re.I)),
    ("who", re.compile(r"\bwho\b|\bwhose\b|\bwhich (company|companies|firm|enterprise|person|people)\b|谁|哪位|"
                       r"哪家|哪些(公司|企业|项目)|哪个公司|什么公司|什么企业", re.I)),
]
_DATE = re.compile(
    r"((January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{4}|"
    r"\d{4}年\d{1,2}月(\d{1,2}日)?|\d{4}年|\d{4}-\d{2}-\d{2}|(at the )?end of (last|this) year|去年底|今年|去年|"
    r"\b(19|20)\d{2}\b)", re.I)
_NAME = re.compile(r"([A-Z][\w&'.-]*(?:\s+(?:of|and|&)?\s*[A-Z][\w&'.-]*)*)")
_UNIT = re.compile(r"\s?(ms|毫秒|yuan|元|亿元|万元|acres?|亩|%|percent|racks?|标准机架|个|家|只|条|座|sub-funds?|"
                   r"projects?|enterprises?|cities|networks?)", re.I)
_CLAUSE = re.compile(r"(?<=[,;:，；：、—])\s*")
_META_WORDS = {"articl", "report", "stori", "news", "text", "author", "文章", "报道", "本文", "文中", "原文"}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One candidate answer sentence."""

    hit_index: int  # index into the hits list (the cited passage)
    chunk_id: str
    lang: str
    quote: str
    score: float
    coverage: float  # share (idf-weighted) of the question's terms found in the passage
    typed: bool  # carries the kind of fact the question asks for


def question_kind(question: str) -> str | None:
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


class Answerer:
    """Chooses sentences from retrieved chunks; knows term rarity from the store's BM25 statistics."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def idf(self, token: str, lang: str) -> float:
        index = self.store.bm25.get(lang)
        if index is None or len(index) == 0:
            return 1.0
        col = index.vocab.get(token)
        n = len(index)
        df = 0 if col is None else int(index.counts[:, col].nnz)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, q_tokens: list[str], text_tokens: set[str], lang: str) -> float:
        """idf-weighted share of the question's content tokens that occur in the text."""
        q = [t for t in dict.fromkeys(q_tokens) if t not in _META_WORDS]
        if not q:
            return 0.0
        weights = [self.idf(t, lang) for t in q]
        got = sum(w for t, w in zip(q, weights, strict=True) if t in text_tokens)
        return got / sum(weights)

    def candidates(self, question: str, q_lang: str, hits: list[Hit], carried: list[str],
                   n_hits: int = 4) -> list[Evidence]:
        """Scored sentences from the top hits, in the question's language where a counterpart exists."""
        q_tokens = tokenize(question)
        kind = question_kind(question)
        out: list[Evidence] = []
        top_dense = max((h.dense for h in hits), default=0.0)
        for i, hit in enumerate(hits[:n_hits]):
            chunk = hit.chunk
            context_tokens = set(tokenize(chunk.search_text)) | set(tokenize(chunk.title))
            for cid in chunk.counterparts:  # a foreign passage is judged by its translation, when it has one
                row = self.store.row_of(cid)
                if row is not None:
                    context_tokens |= set(tokenize(self.store.chunk(row).search_text))
            chunk_cov = self.coverage(q_tokens, context_tokens, q_lang)
            prior = 0.25 * (hit.dense - top_dense) / 0.05 - 0.04 * i  # rank prior: dense gap and position
            for quote in _quotes(chunk.sentence_texts(), q_tokens + carried):
                s_tokens = set(tokenize(quote))
                s_cov = self.coverage(q_tokens, s_tokens, q_lang) if chunk.lang == q_lang else chunk_cov * 0.8
                carried_cov = self.coverage(carried, s_tokens, q_lang) if carried else 0.0
                typed = _has_kind(quote, kind)
                score = 0.9 * s_cov + 0.4 * chunk_cov + 0.25 * carried_cov + (0.3 if typed else 0.0) + prior
                if chunk.lang != q_lang:
                    score -= 0.1  # prefer the question's language when both versions say it
                out.append(Evidence(i, chunk.chunk_id, chunk.lang, quote, score, chunk_cov, typed))
        return sorted(out, key=lambda e: -e.score)

    def support(self, best: Evidence, hits: list[Hit], kind: str | None) -> float:
        """One number for "is this answered?": term coverage, dense similarity and the fact type."""
        dense = hits[best.hit_index].dense
        type_term = 0.0 if kind is None else (0.1 if best.typed else -0.25)
        return round(best.coverage + 4.0 * (dense - 0.82) + type_term, 4)


def _quotes(sentences: list[str], q_tokens: list[str]) -> list[str]:
    """Each sentence, or for a very long one its best run of clauses (verbatim, contiguous)."""
    out = []
    for s in sentences:
        if len(s) <= 260:
            out.append(s)
            continue
        clauses = [c for c in _CLAUSE.split(s) if c]
        q = set(q_tokens)
        scores = [len(q & set(tokenize(c))) for c in clauses]
        best = max(range(len(clauses)), key=lambda i: scores[i])
        lo = hi = best
        while len("".join(clauses[lo : hi + 1])) < 90 and (lo > 0 or hi < len(clauses) - 1):
            if hi < len(clauses) - 1 and (lo == 0 or scores[hi + 1] >= scores[lo - 1]):
                hi += 1
            else:
                lo -= 1
        start = s.find(clauses[lo])
        end = s.find(clauses[hi], start) + len(clauses[hi])
        out.append(s[start:end].rstrip(",;:，；：、— "))
    return out


def _has_kind(text: str, kind: str | None) -> bool:
    if kind == "number":
        return bool(numbers_in(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "who":
        return bool(re.search(r"[|｜]", text)) or bool(_NAME.search(text[1:])) or bool(
            re.search(r"[\u4e00-\u9fff]{2,}(公司|企业|集团|科技|工厂|中心|电信|联通|移动|数据)", text))
    return False


def short_span(quote: str, question: str, kind: str | None) -> str | None:
    """The short answer inside `quote`: the number, date or name nearest the question's own words."""
    q_tokens = set(tokenize(question))

    def closeness(start: int, end: int) -> float:
        window = quote[max(0, start - 40) : end + 40]
        return len(q_tokens & set(tokenize(window))) - 0.001 * start

    if kind == "number":
        spans = []
        for start, end, _ in numbers_in(quote):
            if re.fullmatch(r"(19|20)\d{2}", quote[start:end]) and "年" not in question:
                continue  # a year is rarely the answer to "how many"
            unit = _UNIT.match(quote, end)
            spans.append((closeness(start, end), start, unit.end() if unit and unit.group(1) in (
                "ms", "毫秒", "yuan", "元", "亿元", "万元", "%", "percent", "亩") else end))
        if spans:
            _, start, end = max(spans)
            return quote[start:end].strip()
    if kind == "date":
        found = [(closeness(m.start(), m.end()), m.group(0)) for m in _DATE.finditer(quote)]
        if found:
            return max(found)[1]
    if kind == "who":
        credit = re.findall(r"^(\S+?)\s*[|｜]\s*(.+)$", quote, flags=re.M)
        if credit:
            return credit[0][1].strip()
    return None
