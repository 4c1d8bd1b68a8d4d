"""Follow-up questions without an LLM: when a turn is elliptical or leans on a pronoun, the previous
question's subject is carried into the retrieval query."""

from __future__ import annotations

import re

from index.errors import QuestionError
from index.text import tokenize
from rag.checks import MAX_QUESTION_CHARS, check_text

_PRONOUN_EN = re.compile(
    r"\b(it|its|it's|they|them|their|this|that|these|those|there|he|she|his|her|the company|the city|"
    r"the project|the centre|the center|the fund|the factory|what about|how about|and)\b", re.I)
_PRONOUN_ZH = re.compile(r"^(那|那么|还有|而|又)|[它其该此这那]家|它|其|该|这家|那家|他|她|这个|那个|这些|那些|上述|"
                         r"呢[？?]?$")


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
    """Elliptical ("那到深圳呢？", "And Shenzhen?") or pronoun-led ("When did it go public?")."""
    if lang == "zh":
        return bool(_PRONOUN_ZH.search(question.strip())) or len(re.sub(r"\W", "", question)) <= 6
    return bool(_PRONOUN_EN.search(question)) or len(tokenize(question)) <= 2


def resolve(question: str, lang: str, history: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """(retrieval query, carried tokens). Without history, or for a self-contained turn: the question itself."""
    if not history or not needs_context(question, lang):
        return question, []
    previous = history[-1][0]
    own = set(tokenize(question))
    carried = [t for t in tokenize(previous) if t not in own]
    return f"{previous} {question}", carried
