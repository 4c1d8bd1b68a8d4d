"""Compose the answer from the judgement: the chosen sentences quoted verbatim with their markers (a sentence of
the other language's version labelled as such), the short answer span inside the first, and the citations; or
the abstention, with the nearest passages."""

from __future__ import annotations

import re

from index.card import as_written
from index.text import CJK, numbers_in, stem, tokenize
from rag.facts import DATE, ERA, FUNCTION_EN, UNIT, WH_ZH, counted_after, measured_at, new_names, respective_pairs
from rag.judge import Judgement
from rag.question import Question
from rag.read import Candidate
from rag.span import load_span_model
from rag.types import Answer, Citation, Context

ABSTAIN = {  # the question is never echoed back (Answer.searched holds what was searched)
    "en": "The sources don't say that. The nearest passages are listed below.",
    "zh": "资料中没有提到这一点。以下是最接近的段落。",
}
FOREIGN_QUOTE = {  # how an answer labels a sentence quoted from the other language's version
    "en": "The Chinese version says: {quote}",
    "zh": "英文版原文：{quote}",
}
_SENTENCE_END = re.compile(r"[.!?。！？…]+[\"'”’」』)）]*$")
_CLAUSE = re.compile(r"(?<=[;:，；：、—])\s*|(?<=,)(?!\d{3}(?!\d))\s*")  # never inside "546,000"
_TITLE = re.compile(r"[“\"《「『]([^”\"》」』]{2,80})[”\"》」』]")
_NAME_QUESTION = re.compile(r"^\s*(?:which|what)\s+[a-z-]+|\bname of\b|哪|什么|叫什么", re.I)
_QUOTE_LIMIT = 300  # characters: a longer sentence is quoted by its best part
_WHOLE_LIMIT = 480  # ... unless it is the whole of a descriptive answer


def compose(q: Question, judgement: Judgement, contexts: tuple[Context, ...], aligned_text) -> Answer:
    """The answer (or abstention) for `q`. `aligned_text(chunk)` gives a passage's translation for its citation."""
    searched = q.searched if q.resolved else None
    if judgement.abstain:
        return abstention(q, contexts, judgement.score)
    citations: list[Citation] = []
    parts, notes = [], []
    quotes = [_shown(c, q) for c in judgement.chosen]
    for c, quote in zip(judgement.chosen, quotes, strict=True):
        chunk = c.hit.chunk
        n = next((x.n for x in citations if x.chunk_id == chunk.chunk_id), len(citations) + 1)
        if n == len(citations) + 1:
            citations.append(Citation(n, chunk.chunk_id, chunk.doc_id, chunk.group, chunk.title, chunk.lang,
                                      chunk.text, quote, aligned_text(chunk), chunk.section))
        if chunk.lang != q.answer_lang:
            parts.append(FOREIGN_QUOTE[q.answer_lang].format(quote=quote) + f" [{n}]")
            notes.append(f"quoted from the {'Chinese' if chunk.lang == 'zh' else 'English'} version")
        else:
            parts.append(f"{quote} [{n}]")
    text = (" " if q.answer_lang == "en" else "").join(parts)
    short = next((s for quote in quotes if (s := short_span(quote, q))), None)
    return Answer(q.text, text, False, q.answer_lang, short, tuple(citations), contexts, "extractive",
                  searched, round(judgement.score, 4), tuple(notes), searched=q.searched)


def abstention(q: Question, contexts: tuple[Context, ...], score: float = 0.0) -> Answer:
    score = score if score > -1e9 else -1e9
    return Answer(q.text, ABSTAIN[q.answer_lang], True, q.answer_lang, None, (), contexts,
                  "extractive", q.searched if q.resolved else None, round(score, 4), searched=q.searched)


def _shown(c: Candidate, q: Question) -> str:
    """The sentence as quoted: a descriptive, place or name answer gets the whole sentence a clause was cut from;
    a very long sentence its best part (verbatim, contiguous)."""
    if q.kind in (None, "place", "name") and len(whole := whole_sentence(c.hit.chunk, c.quote)) <= _WHOLE_LIMIT:
        return whole
    return c.quote if len(c.quote) <= _QUOTE_LIMIT else best_part(c.quote, q)


def whole_sentence(chunk, quote: str, limit: int = 480) -> str:
    """The full sentence a clause was cut from (verbatim, from the passage), when it is at most `limit`
    characters: "driven by Guangzhou and Shenzhen, centered in the Pearl River Delta" is one statement."""
    spans, text = chunk.sentences, chunk.text
    at = next((i for i, (a, b) in enumerate(spans) if quote in text[a:b] or text[a:b] in quote), None)
    if at is None:
        return quote
    lo = hi = at
    while lo > 0 and not _SENTENCE_END.search(text[spans[lo - 1][0] : spans[lo - 1][1]]):
        lo -= 1
    while hi < len(spans) - 1 and not _SENTENCE_END.search(text[spans[hi][0] : spans[hi][1]]):
        hi += 1
    whole = text[spans[lo][0] : spans[hi][1]].strip()
    return whole if (lo, hi) != (at, at) and len(whole) <= limit else quote


def best_part(sentence: str, q: Question) -> str:
    """The part of a long sentence that holds most of the question's words (and its short answer): first the
    semicolon part, then the run of comma clauses around the best clause, about 120 characters or more."""
    asked = set(q.tokens) | set(q.carried)

    def score(part: str) -> float:
        return len(asked & set(tokenize(part))) + (1.5 if rule_span(part, q) else 0.0)

    parts = [p for p in re.split(r"(?<=[;；])\s*", sentence) if p.strip()]
    part = max(parts, key=score)
    if len(part) > _QUOTE_LIMIT:
        clauses = [c for c in _CLAUSE.split(part) if c]
        scores = [score(c) for c in clauses]
        lo = hi = max(range(len(clauses)), key=lambda i: scores[i])
        while len("".join(clauses[lo : hi + 1])) < 120 and (lo > 0 or hi < len(clauses) - 1):
            if hi < len(clauses) - 1 and (lo == 0 or scores[hi + 1] >= scores[lo - 1]):
                hi += 1
            else:
                lo -= 1
        start = part.find(clauses[lo])
        part = part[start : part.find(clauses[hi], start) + len(clauses[hi])]
    return part.strip().rstrip(",;:，；：、— ")


_CREDIT = re.compile(r"^([^|｜:：\n]{1,30}?)\s*[|｜:：]\s*(.+)$", re.M)
# The English card's publishing line (index/card.py writes it): outlet and date in one statement.
_PUBLISHED = re.compile(r"Published(?: by (?P<outlet>.+?))?(?: on (?P<date>\d{4}-\d{2}-\d{2}(?: [\d:]+)?))?\.?")


def card_value(quote: str, q: Question) -> str | None:
    """A document card line's value: "翻译|盛嘉" -> "盛嘉"; "Published by X on D." -> D for a date question, else X."""
    line = quote.strip()
    if published := _PUBLISHED.fullmatch(line):
        return published["date"] if q.kind == "date" else as_written(published["outlet"] or "") or published["date"]
    if credit := _CREDIT.fullmatch(line):
        return as_written(credit.group(2).strip().rstrip("。.;；"))
    return None


def short_span(quote: str, q: Question) -> str | None:
    """The short answer inside `quote`: the span the fitted span model (rag/span.py) scores best, with the typed
    rules' span (`rule_span`) among its features; a card's credit line ("翻译｜…") answers with its value."""
    if q.meta and (value := card_value(quote, q)):  # a document card's line: "翻译|…", "来源：…。", "Published by …"
        return value
    rule = rule_span(quote, q)
    model = load_span_model()
    if model is None or (q.kind == "number" and pair_value(quote, q)):
        return rule
    return model.best(quote, q, rule, slot_span(quote, q.searched)) or rule


def rule_span(quote: str, q: Question) -> str | None:
    """The typed rules' short answer inside `quote`: the number, date, name, place or title nearest the
    question's words."""
    asked = set(q.tokens)
    if q.kind not in ("number", "date") and (slot := slot_span(quote, q.searched)):
        return slot

    def closeness(start: int, end: int) -> float:
        window = quote[max(0, start - 40) : end + 40]
        return len(asked & set(tokenize(window))) - 0.001 * start

    if q.kind == "number":
        return _number_span(quote, q, closeness)
    if q.kind == "date":
        found = [(closeness(m.start(), m.end()), m.group(0)) for m in DATE.finditer(quote)]
        found = found or [(closeness(m.start(), m.end()), m.group(0)) for m in ERA.finditer(quote)]
        return max(found)[1] if found else None
    if q.kind in ("who", "place", "name") or (q.kind is None and _NAME_QUESTION.search(q.searched)):
        if credit := _CREDIT.findall(quote):
            return credit[0][1].strip().rstrip("。.;；")
        names = [(closeness(quote.find(n), quote.find(n) + len(n)), n) for n in new_names(quote, q)]
        if q.kind in (None, "name"):
            names += [(closeness(m.start(), m.end()) + 0.5, m.group(1)) for m in _TITLE.finditer(quote)]
        if names:
            return max(names)[1].strip()
    if q.lang == "en" and quote.isascii() and (run := novel_run(quote, q.searched)):
        return run
    return _clause(quote, q)


_WORD_EN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


def novel_run(quote: str, question: str, longest: int = 8) -> str | None:
    """For an English question: the run of the sentence's words that the question does not have, nearest the
    words it does have (an answer says what the question leaves open), at most `longest` words, without
    function words at its ends. None when the sentence shares no word with the question."""
    asked = {stem(w) for w in (w.lower() for w in _WORD_EN.findall(question)) if w not in FUNCTION_EN}
    words = list(_WORD_EN.finditer(quote))
    seen = [stem(w.group(0).lower()) in asked for w in words]  # the search tokens' stemmer: "arches" ~ "arch"
    hits = [i for i, s in enumerate(seen) if s]
    if not hits:
        return None
    runs, start = [], None
    for i, s in enumerate([*seen, True]):
        if not s and start is None:
            start = i
        elif s and start is not None:
            runs.append((start, i))
            start = None
    best, best_score = None, 0.0
    for a, b in runs:
        while a < b and words[a].group(0).lower() in FUNCTION_EN:
            a += 1
        while b > a and words[b - 1].group(0).lower() in FUNCTION_EN:
            b -= 1
        if a == b or b - a > longest:
            continue
        near = sum(1.0 / (1 + min(abs(h - a), abs(h - (b - 1)))) for h in hits)
        if near > best_score:
            best, best_score = (a, b), near
    if best is None:
        return None
    return quote[words[best[0]].start() : words[best[1] - 1].end()]


# A Chinese question keeps its question word where the answer stands in the statement ("是由哪两个公司开发的"
# ~ "是由光荣和ω-force开发的"): the words around it anchor the answer in the sentence.
_STOP_ZH = re.compile(r"[，。；：！？,.;:!?\n()（）]")
_LINK_ZH = set("由是在于被为从向对给和与把将到")  # one character that still anchors: "由X开发", "是X"


def slot_span(quote: str, question: str, longest: int = 30) -> str | None:
    """For a Chinese question and a Chinese sentence: the words of the sentence that stand where the question
    has its question word, between the question's own words before and after it. None when no side is found,
    the span would cross a clause, or it is mostly the question's own words."""
    wh = WH_ZH.search(question)
    if not wh or not CJK.search(quote):
        return None
    left = re.split(r"[，。？！,?!]", question[: wh.start()])[-1][-8:]
    right = re.split(r"[，。？！,?!]", question[wh.end():])[0][:8]
    ends = [at for i in range(len(right) - 1) if (at := quote.find(right[i : i + 2])) >= 0]
    end = min(ends) if ends else None
    start = None
    for size in range(len(left), 0, -1):  # the longest end of the words before it, before the right anchor
        piece = left[-size:]
        if size == 1 and piece not in _LINK_ZH:
            break
        at = quote.rfind(piece, 0, end if end is not None else len(quote))
        if at >= 0:
            start = at + size
            break
    if start is None and end is None:
        return None
    if start is None:  # only the words after it: back to the clause's start
        stops = [m.end() for m in _STOP_ZH.finditer(quote, 0, end)]
        start = stops[-1] if stops else 0
    if end is None or end <= start:  # only the words before it: up to the clause's end
        stop = _STOP_ZH.search(quote, start)
        end = stop.start() if stop else len(quote)
    span = quote[start:end].strip(" ，,、的了是")
    new = [ch for ch in span if ch not in question]
    if not span or len(span) > longest or _STOP_ZH.search(span) or len(new) < len(span) / 2:
        return None
    return span


def _clause(quote: str, q: Question) -> str | None:
    """For a descriptive question (or when no typed span is found): the clause of the sentence that holds most
    of the question's words, where the answer usually sits; None when that is the whole sentence."""
    clauses = [c.strip(" ,;:，；：、—") for c in _CLAUSE.split(quote) if c.strip(" ,;:，；：、—")]
    if len(clauses) < 2:
        return None
    asked = set(q.tokens)
    scored = [(len(asked & set(tokenize(c))) - 0.001 * len(c), c) for c in clauses]
    best = max(scored)
    return best[1] if best[0] > 0 else None


def pair_value(quote: str, q: Question) -> str | None:
    """"1.3 ms and 1.66 ms respectively": the value of the item the question names (its own words first, as in
    "那到深圳呢？"), or None."""
    pairs = respective_pairs(quote)
    for words in (set(tokenize(q.text)), set(q.tokens)):
        for item, (a, b) in pairs:
            if words & set(tokenize(item)):
                unit = UNIT.match(quote, b)
                return quote[a : unit.end() if unit else b].strip()
    return None


def _number_span(quote: str, q: Question, closeness) -> str | None:
    if value := pair_value(quote, q):
        return value
    spans = []
    dates = [m.span() for m in DATE.finditer(quote)]
    for start, end, _ in numbers_in(quote):
        if any(a <= start and end <= b for a, b in dates):
            continue  # "6月30日" dates the fact; it does not count anything
        if q.measure and not measured_at(quote, start, end, q.measure):
            continue  # "how much was invested": not the 3 centres before the 62.1 billion yuan
        if q.counted and quote.isascii() == q.searched.isascii() and not counted_after(quote, end, q.counted):
            continue  # "how many racks": not the number of projects before it
        if re.fullmatch(r"(19|20)\d{2}", quote[start:end]) and "年" not in q.searched:
            continue  # a year is rarely the answer to "how many"
        if start and quote[start - 1] in "$€£¥":
            start -= 1
        unit = UNIT.match(quote, end)
        spans.append((closeness(start, end), start, unit.end() if unit else end))
    if not spans:
        return None
    _, start, end = max(spans)
    return quote[start:end].strip()
