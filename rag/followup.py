"""Follow-up questions without an LLM: when a turn is elliptical or leans on a pronoun and names no subject of its
own, the previous question's subject is carried into the search; any other question is searched as asked."""

from __future__ import annotations

import re

from index.errors import QuestionError
from index.text import chinese_names, tokenize
from rag.checks import MAX_QUESTION_CHARS, check_text
from rag.question import proper_names

# A turn that leans on an earlier one: it opens with a connective or a pronoun ("And to Shenzhen?", "那到深圳呢？"),
# or speaks of "it", "they", "这些项目" without naming any subject of its own.
_LEADS_EN = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|what of|it|its|they|their|them|he|she|his|"
                       r"her)\b", re.I)
_LEANS_EN = re.compile(r"\b(?:it|its|it's|they|them|their|he|she|his|her|this|that|these|those|there|the company|"
                       r"the city|the project|the firm|the fund|the factory|the plant)\b", re.I)
_LEADS_ZH = re.compile(r"^\s*(?:那么|还有|而|又|另外|那(?![些个家里时])|它|其|他|她)")
_LEANS_ZH = re.compile(r"[它其该此这那]家|它|其|该|这家|那家|他|她|这个|那个|这些|那些|上述|此|呢[？?]?\s*$")

# "this article", "这篇报道": the document itself, not a subject of an earlier turn.
_DOCUMENT_EN = re.compile(r"\b(?:this|that|these)\s+(?:(?:bilingual|english|chinese|news)\s+)*(?:article|report|story|"
                          r"piece|page|version|item|text|post|translation|photo|video)s?\b", re.I)
_DOCUMENT_ZH = re.compile(r"(?:这|此|本)(?:篇|条|则|份|个)?(?:双语)?(?:文章|报道|新闻|稿件|版本|译文|视频|图片)")

# A question word makes a short turn a question of its own ("Who translated it?" still leans, by its pronoun).
_ASKS_EN = re.compile(r"\b(?:what|who|whom|whose|when|where|which|why|how|tell|name|list|describe)\b", re.I)
_ASKS_ZH = re.compile(r"什么|谁|哪|多少|几|何|怎么|怎样|吗|介绍")


MAX_HISTORY_TURNS = 6  # only the latest turns can be what a follow-up refers to


def check_history(history) -> list[tuple[str, str]]:
    """History as [(question, answer), ...]: only the last MAX_HISTORY_TURNS turns, each question and answer cut
    to MAX_QUESTION_CHARS (a 600 KB entry would otherwise be embedded with the question). Raises QuestionError
    naming what is wrong with its shape."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise QuestionError(f"history must be a list of (question, answer) pairs, not {type(history).__name__}")
    pairs = []
    first = max(0, len(history) - MAX_HISTORY_TURNS)
    for i, turn in enumerate(history[first:], start=first):
        if isinstance(turn, dict) and "question" in turn:
            turn = (turn.get("question"), turn.get("answer", ""))
        if not isinstance(turn, (list, tuple)) or len(turn) != 2:
            raise QuestionError(f"history[{i}] must be a (question, answer) pair, got {turn!r:.80}")
        q, a = turn
        if not isinstance(q, str) or not isinstance(a, str | type(None)):
            raise QuestionError(f"history[{i}] must hold two strings, got {type(q).__name__}, {type(a).__name__}")
        q = check_text(q[:MAX_QUESTION_CHARS], f"history[{i}] question")
        a = check_text((a or "")[:MAX_QUESTION_CHARS], f"history[{i}] answer")
        pairs.append((q, a))
    return pairs


def needs_context(question: str, lang: str) -> bool:
    """Whether a turn borrows its subject from earlier turns: it is elliptical ("And Shenzhen?", "那到深圳呢？")
    or pronoun-led ("When did it go public?"), and does not name a subject of its own. "What is the population
    of Shaoguan?" asked after anything is answered as if asked alone."""
    text = question.strip()
    if lang == "zh":
        words = re.sub(r"\W", "", text)
        if (len(words) <= 6 and not _ASKS_ZH.search(words)) or _LEADS_ZH.search(text):
            return True
        named = chinese_names(text) or re.search(r"[A-Za-z]{2,}", text)
        return bool(_LEANS_ZH.search(_DOCUMENT_ZH.sub("", text))) and not named
    if (len(tokenize(text)) <= 2 and not _ASKS_EN.search(text)) or _LEADS_EN.search(text):
        return True
    return bool(_LEANS_EN.search(_DOCUMENT_EN.sub(" ", text))) and not proper_names(text)


def resolve(question: str, lang: str, history: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]]:
    """(the text to search, the tokens it borrows). A standalone question, or one without history, is searched
    as it is; a turn that leans on the previous one is searched together with that turn's question."""
    if not history or not needs_context(question, lang):
        return question, ()
    previous = history[-1][0]
    own = set(tokenize(question))
    carried = tuple(t for t in tokenize(previous) if t not in own)
    return f"{previous} {question}", carried
