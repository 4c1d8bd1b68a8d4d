"""The shapes the assistant returns: `Answer`, its `Citation`s and ranked `Context`s."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Lang = Literal["en", "zh"]


@dataclass(frozen=True, slots=True)
class Context:
    """A retrieved passage, ranked."""

    chunk_id: str
    doc_id: str
    group: str
    title: str
    lang: str
    text: str
    score: float
    metadata: dict = field(default_factory=dict)  # section, paragraph, date, source, counterparts, ...

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Citation:
    """The passage behind marker [n] in the answer text, and the sentence quoted from it."""

    n: int
    chunk_id: str
    doc_id: str
    group: str
    title: str
    lang: str
    text: str  # the whole passage
    quote: str  # the sentence (or clause) the answer uses, verbatim from `text`
    aligned_text: str | None = None  # the counterpart passage in the other language, if aligned
    section: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str  # with [n] markers
    abstained: bool
    language: Lang
    short: str | None = None  # the short answer span, e.g. "546,000"
    citations: tuple[Citation, ...] = ()
    contexts: tuple[Context, ...] = ()
    mode: Literal["extractive", "generative"] = "extractive"
    resolved_question: str | None = None  # `searched` when it differs from the question (kept for old callers)
    support: float = 0.0  # the judge's log-odds that the best sentence answers (compared with its threshold)
    notes: tuple[str, ...] = ()  # e.g. "quoted from the Chinese version", "unsupported citation dropped"
    searched: str = ""  # the question actually searched: the question itself, or a follow-up with its subject

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "language": self.language,
            "short": self.short,
            "citations": [c.to_dict() for c in self.citations],
            "contexts": [c.to_dict() for c in self.contexts],
            "mode": self.mode,
            "resolved_question": self.resolved_question,
            "support": self.support,
            "notes": list(self.notes),
            "searched": self.searched,
        }
