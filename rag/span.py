"""The short answer inside the chosen sentence, by a fitted span model.

Every run of up to a few words of the sentence that stays inside one clause is a candidate; each is described by
where it stands against the question's words (next to them, between them, where the question has its question
word), what it is (a number, a date, a name, a title, a noun phrase) and what the typed rules of `rag.compose`
would take; a linear model fitted on the dev halves of CMRC 2018, SQuAD 2.0 and the real pages (`python -m
eval.fit_span`, weights in rag/data/span.json; as shipped, a softmax over each sentence's candidates) scores
them and the best one is the short answer. The sentence stays the cited answer; this only picks the words of it
that answer the question.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.text import CJK, for_cutting, jieba_ready, numbers_in, simplified, tokenize
from rag.errors import ConfigError
from rag.facts import DATE, ERA, FUNCTION_EN, NAME_LATIN, UNIT, WH_ZH
from rag.judge import Linear
from rag.question import Question

SPAN_PATH = Path(__file__).parent / "data" / "span.json"

_LATIN_TOKEN = re.compile(r"\d[\d,.]*\d|[A-Za-z0-9][A-Za-z0-9'’.&-]*[A-Za-z0-9]|[A-Za-z0-9]|\S")
_BOUNDARY = frozenset("，。；：！？,;:!?()（）\n—…")  # a span never crosses one
_QUOTES = {"“": "”", "\"": "\"", "《": "》", "「": "」", "『": "』", "‘": "’", "'": "'"}
# Function words and prepositions: never the first or last word of a span (in simplified characters).
_EDGE_ZH = frozenset("的 了 是 和 与 及 或 也 都 就 而 被 把 将 在 于 为 并 但 至 从 自 向".split())
_WH_EN = re.compile(r"\b(?:what|which|who|whom|whose|when|where|how(?:\s+(?:many|much|long|far|old|large|big))?)\b",
                    re.I)
_NAME_TAGS = ("nr", "ns", "nt", "nz")
LONGEST = {"zh": 10, "en": 8}  # words in a candidate span

_KINDS = ("number", "date", "who", "place", "name", None)
FEATURES = (
    "words", "chars_log", "one_word", "asked_share", "asked_any", "near_left", "near_right", "between",
    "clause_cover", "clause_start", "clause_end", "anchor_left", "anchor_right", "slot", "slot_f1", "rule",
    "rule_f1", "digit", "number", "unit", "date", "capital", "name_tag", "noun_end", "verb_in", "verb_first",
    "quoted", "position", "zh", "zh_anchor_left", "zh_anchor_right", "zh_near_left", "zh_near_right",
    "order_left", "order_right", "window_left", "window_right", "zh_order_left", "zh_order_right",
    "zh_window_left", "zh_window_right", "noun_share", "latin_name", "edge_asked", "typed_exact", "cuts_left",
    "cuts_right", "first_classifier",
    *(f"{kind or 'none'}_{what}" for kind in _KINDS
      for what in ("number", "date", "name", "chars", "verb", "person", "place", "org", "time", "noun", "exact")),
)


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    text: str
    tag: str  # jieba's part of speech for Chinese; "x" punctuation, "m" a number, "w" any other English word


@dataclass(frozen=True, slots=True)
class SpanModel:
    features: tuple[str, ...]
    scorers: dict[str, Linear]  # by the sentence's language

    def best(self, quote: str, q: Question, rule: str | None, slot: str | None) -> str | None:
        scorer = self.scorers.get("zh" if CJK.search(quote) else "en")
        spans = candidates(quote, q) if scorer else []
        if not spans:
            return None
        x = features(quote, q, spans, rule, slot)
        if self.features != FEATURES:
            x = x[:, [FEATURES.index(name) for name in self.features]]
        a, b = spans[int(np.argmax(scorer(x)))]
        return quote[a:b]


@lru_cache(maxsize=4)
def load_span_model(path: str = str(SPAN_PATH)) -> SpanModel | None:
    """The fitted span model, or None when no file is there (the typed rules alone then give the short answer)."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        names = tuple(data["features"])
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(f"unknown features {unknown}")
        return SpanModel(names, {lang: Linear(np.array([m["weights"][n] for n in names], dtype=float),
                                              float(m["intercept"]))
                                 for lang, m in data["languages"].items()})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{p}: not a span model ({exc}); refit with `python -m eval.fit_span`") from exc


# ---------------------------------------------------------------- words and candidates


@lru_cache(maxsize=4096)
def words(quote: str) -> tuple[Word, ...]:
    """The sentence's words with their offsets: jieba's tagged words where it has Chinese, else English words,
    numbers and punctuation marks."""
    if CJK.search(quote):
        tags = _tags()
        cut = for_cutting(quote)  # traditional text in simplified characters: 縮短至 -> 缩短 至, not 縮 短至
        out, at = [], 0
        for piece in jieba_ready().cut(cut):
            start = cut.find(piece, at)
            if start < 0:
                continue
            at = start + len(piece)
            word = quote[start:at]
            if word.strip():
                tag = _tag(word, tags)
                if out and out[-1].tag == "m" and len(word) == 1 and UNIT.fullmatch(word):
                    tag = "q"  # a measure word after its number ("10条"): the dictionary calls 条 a noun
                out.append(Word(start, at, word, tag))
        return tuple(out)
    out = []
    for m in _LATIN_TOKEN.finditer(quote):
        text = m.group()
        tag = "x" if not text[0].isalnum() else "m" if text[0].isdigit() else "w"
        out.append(Word(m.start(), m.end(), text, tag))
    return tuple(out)


@lru_cache(maxsize=1)
def _tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tags (its tagger's own HMM costs ~50 ms a sentence; a dictionary look-up
    is enough for what the features ask: name, place, organisation, time, noun, verb, number)."""
    import jieba.posseg

    jieba_ready()
    return jieba.posseg.dt.word_tag_tab


def _tag(word: str, tags: dict[str, str]) -> str:
    if word in _BOUNDARY or not any(ch.isalnum() for ch in word):
        return "x"
    if (tag := tags.get(word) or tags.get(simplified(word))) is not None:
        return tag
    if word[0].isdigit():
        return "m"
    # a word the dictionary lacks that jieba's segmenter put together: most often a name
    return "nz" if CJK.match(word) and len(word) > 1 else "eng" if word.isascii() else "un"


def candidates(quote: str, q: Question) -> list[tuple[int, int]]:
    """(start, end) character offsets of every candidate span: up to LONGEST words inside one clause, not
    starting or ending on a function word, not made only of the question's own words."""
    ws = words(quote)
    longest = LONGEST["zh" if CJK.search(quote) else "en"]
    asked = _asked(ws, q)
    out = []
    for i, w in enumerate(ws):
        if w.tag == "x" or _edge(w.text) or _joined(ws, i - 1, i):
            continue
        for j in range(i, min(len(ws), i + longest)):
            if ws[j].tag == "x" and ws[j].text in _BOUNDARY:
                break
            if ws[j].tag == "x" or _edge(ws[j].text) or all(asked[i : j + 1]) or _joined(ws, j, j + 1):
                continue
            out.append((w.start, ws[j].end))
    return out


def _joined(ws: tuple[Word, ...], a: int, b: int) -> bool:
    """Whether words a and b belong together so that no span may end at a and start at b: a number and its
    measure word ("10" "条"), two capitalised words of one English name ("Hisense" "Visual")."""
    if a < 0 or b >= len(ws):
        return False
    x, y = ws[a], ws[b]
    if x.tag == "m" and y.tag == "q":
        return True
    return (x.tag == "w" and y.tag == "w" and x.text[:1].isupper() and y.text[:1].isupper()
            and not _edge(x.text) and x.end + 1 >= y.start)


@lru_cache(maxsize=65536)
def _edge(text: str) -> bool:
    return text in _EDGE_ZH or text.lower() in FUNCTION_EN or (len(text) == 1 and simplified(text) in _EDGE_ZH)


def _asked(ws: tuple[Word, ...], q: Question) -> list[bool]:
    """Whether each word is one of the question's (its search tokens, or, for Chinese, a word it writes)."""
    tokens = set(q.tokens) | set(q.carried)
    return [w.tag != "x" and (bool(tokens & set(tokenize(w.text)))
                              or (len(w.text) > 1 and bool(CJK.match(w.text)) and w.text in q.searched))
            for w in ws]


# ---------------------------------------------------------------- features


def features(quote: str, q: Question, spans: list[tuple[int, int]], rule: str | None,
             slot: str | None) -> np.ndarray:
    """The (n_spans, len(FEATURES)) matrix for `spans` of `quote`; `rule` and `slot` are the typed rules' short
    answer and the Chinese question-word slot (compose.short_span, compose.slot_span), or None."""
    ws = words(quote)
    asked = _asked(ws, q)
    zh = 1.0 if CJK.search(quote) else 0.0
    index_of = {w.start: i for i, w in enumerate(ws)}
    end_of = {w.end: i for i, w in enumerate(ws)}
    clause = _clauses(ws)
    folded = [w.text.lower() for w in ws]
    in_clause: dict[int, set[str]] = {}  # the question's words in each clause
    first_at: dict[str, int] = {}  # where each of the question's words first and last stands
    last_at: dict[str, int] = {}
    for i, key in enumerate(folded):
        if asked[i]:
            in_clause.setdefault(clause[i], set()).add(key)
            first_at.setdefault(key, i)
            last_at[key] = i
    q_words = set(first_at)  # the question's words this sentence has
    n_q = len(q_words) or 1
    before, after = _question_sides(q)
    q_before, q_after = _question_words(q)
    rule_at = _find(quote, rule)
    slot_at = _find(quote, slot)
    dates = [m.span() for m in DATE.finditer(quote)] + [m.span() for m in ERA.finditer(quote)]
    numbers = [(a, b) for a, b, _ in numbers_in(quote)]
    kind = q.kind if q.kind in _KINDS else None
    rows = []
    for a, b in spans:
        i, j = index_of[a], end_of[b]
        inner = ws[i : j + 1]
        content = [k for k in range(i, j + 1) if ws[k].tag != "x"]
        left = next((i - k for k in range(i - 1, -1, -1) if asked[k]), None)
        right = next((k - j for k in range(j + 1, len(ws)) if asked[k]), None)
        same_left = left is not None and clause[i - left] == clause[i]
        same_right = right is not None and clause[j + right] == clause[j]
        text = quote[a:b]
        is_number = any(a <= s and e <= b for s, e in numbers)
        is_date = any(a <= s and e <= b for s, e in dates)
        # the span is a date or a number (with its unit) and nothing more
        exact = float(any((s, e) == (a, b) for s, e in dates)
                      or any(s == a and (e == b or (m := UNIT.match(quote, e)) and m.end() == b) for s, e in numbers))
        capital = sum(w.text[:1].isupper() for w in inner if w.tag == "w") / max(1, len(content))
        name_tag = float(any(w.tag.startswith(_NAME_TAGS) for w in inner))
        name = max(capital if not zh else 0.0, name_tag)
        verb = float(any(w.tag.startswith("v") for w in inner))
        chars = math.log1p(len(text))
        anchor_left = _common_suffix(before, quote[max(0, a - 8) : a].strip()) / 4
        anchor_right = _common_prefix(after, quote[b : b + 8].strip()) / 4
        near_left = 1.0 / left if left else 0.0
        near_right = 1.0 / right if right else 0.0
        # the question's words before its question word stand before the span, those after it after
        order_left = (sum(1 for t in q_before if t in first_at and first_at[t] < i) / len(q_before)
                      if q_before else 0.0)
        order_right = (sum(1 for t in q_after if t in last_at and last_at[t] > j) / len(q_after)
                       if q_after else 0.0)
        window_left = len(set(folded[max(0, i - 4) : i]) & q_words) / n_q
        window_right = len(set(folded[j + 1 : j + 5]) & q_words) / n_q
        tags = [w.tag for w in inner if w.tag != "x"]
        person = float(any(t.startswith("nr") for t in tags))
        place = float(any(t.startswith("ns") for t in tags))
        org = float(any(t.startswith("nt") for t in tags))
        time = float(any(t.startswith("t") for t in tags) or is_date)
        noun_share = sum(t.startswith("n") for t in tags) / max(1, len(tags))
        latin_name = float(not zh and bool(NAME_LATIN.fullmatch(text)))
        # the span starts or ends inside a name or a noun phrase ("Visual Technology" of "Hisense Visual
        # Technology", "中心二期" of "深圳中心二期", "条连接" after "10")
        prev = ws[i - 1] if i and ws[i - 1].tag != "x" and not _edge(ws[i - 1].text) else None
        nxt = ws[j + 1] if j + 1 < len(ws) and ws[j + 1].tag != "x" and not _edge(ws[j + 1].text) else None
        if zh:
            cuts_left = float(prev is not None and prev.tag[:1] in "nm" and ws[i].tag[:1] in "nq")
            cuts_right = float(nxt is not None and ws[j].tag[:1] in "nmq" and nxt.tag[:1] == "n")
        else:
            cuts_left = float(prev is not None and prev.text[:1].isupper() and ws[i].text[:1].isupper())
            cuts_right = float(nxt is not None and ws[j].text[:1].isupper() and nxt.text[:1].isupper())
        f = {
            "cuts_left": cuts_left, "cuts_right": cuts_right,
            "first_classifier": float(ws[i].tag.startswith("q")),
            "words": len(content), "chars_log": chars, "one_word": float(len(content) == 1),
            "asked_share": sum(asked[k] for k in content) / max(1, len(content)),
            "asked_any": float(any(asked[k] for k in content)),
            "near_left": near_left, "near_right": near_right, "between": float(same_left and same_right),
            "clause_cover": len(in_clause.get(clause[i], ())) / n_q,
            "clause_start": float(i == 0 or ws[i - 1].text in _BOUNDARY),
            "clause_end": float(j == len(ws) - 1 or ws[j + 1].text in _BOUNDARY),
            "anchor_left": min(1.0, anchor_left), "anchor_right": min(1.0, anchor_right),
            "slot": float(slot_at == (a, b)), "slot_f1": _overlap((a, b), slot_at),
            "rule": float(rule_at == (a, b)), "rule_f1": _overlap((a, b), rule_at),
            "digit": float(any(ch.isdigit() for ch in text)), "number": float(is_number),
            "unit": float(bool(UNIT.fullmatch(ws[j].text)) or bool(j + 1 < len(ws) and UNIT.fullmatch(ws[j + 1].text))),
            "date": float(is_date), "capital": capital, "name_tag": name_tag,
            "noun_end": float(ws[j].tag.startswith("n")), "verb_in": verb,
            "verb_first": float(ws[i].tag.startswith("v")),
            "quoted": float(0 < a and b < len(quote) and quote[a - 1] in _QUOTES
                            and quote[b] == _QUOTES[quote[a - 1]]),
            "position": a / max(1, len(quote)), "zh": zh,
            "zh_anchor_left": zh * min(1.0, anchor_left), "zh_anchor_right": zh * min(1.0, anchor_right),
            "zh_near_left": zh * near_left, "zh_near_right": zh * near_right,
            "order_left": order_left, "order_right": order_right, "window_left": window_left,
            "window_right": window_right, "zh_order_left": zh * order_left, "zh_order_right": zh * order_right,
            "zh_window_left": zh * window_left, "zh_window_right": zh * window_right, "noun_share": noun_share,
            "latin_name": latin_name, "edge_asked": float(asked[i]) + float(asked[j]),
            "typed_exact": exact,
        }
        for k in _KINDS:
            on = float(kind == k)
            key = k or "none"
            f[f"{key}_number"] = on * float(is_number)
            f[f"{key}_date"] = on * float(is_date)
            f[f"{key}_name"] = on * name
            f[f"{key}_chars"] = on * chars
            f[f"{key}_verb"] = on * verb
            f[f"{key}_person"] = on * max(person, latin_name)
            f[f"{key}_place"] = on * place
            f[f"{key}_org"] = on * org
            f[f"{key}_time"] = on * time
            f[f"{key}_noun"] = on * noun_share
            f[f"{key}_exact"] = on * exact
        rows.append([f[name] for name in FEATURES])
    return np.array(rows, dtype=float).reshape(len(spans), len(FEATURES))


def _clauses(ws: tuple[Word, ...]) -> list[int]:
    out, n = [], 0
    for w in ws:
        if w.text in _BOUNDARY:
            n += 1
        out.append(n)
    return out


def _question_sides(q: Question) -> tuple[str, str]:
    """The question's words just before and just after its question word (lower-cased)."""
    text = q.searched.strip().rstrip("?？ ")
    m = (WH_ZH if CJK.search(text) else _WH_EN).search(text)
    if not m:
        return "", ""
    return text[: m.start()].strip().lower()[-8:], text[m.end():].strip().lower()[:8]


def _question_words(q: Question) -> tuple[list[str], list[str]]:
    """The question's content words (as the sentence's words would be folded) before and after its question
    word."""
    text = q.searched.strip()
    m = (WH_ZH if CJK.search(text) else _WH_EN).search(text)
    cut = m.start() if m else len(text)
    tokens = set(q.tokens)

    def content(part: str) -> list[str]:
        return [w.text.lower() for w in words(part)
                if w.tag != "x" and not _edge(w.text) and (tokens & set(tokenize(w.text)))]

    return content(text[:cut]), content(text[m.end():] if m else "")


def _common_suffix(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _find(quote: str, span: str | None) -> tuple[int, int] | None:
    if not span or (at := quote.find(span)) < 0:
        return None
    return at, at + len(span)


def _overlap(x: tuple[int, int], y: tuple[int, int] | None) -> float:
    """Character-overlap F1 of two spans."""
    if y is None:
        return 0.0
    shared = min(x[1], y[1]) - max(x[0], y[0])
    if shared <= 0:
        return 0.0
    p, r = shared / (x[1] - x[0]), shared / (y[1] - y[0])
    return 2 * p * r / (p + r)
