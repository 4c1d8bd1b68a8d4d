"""Checks of the Python API's arguments: a wrong type or value is a `QuestionError` naming the argument, never
a raw Python error from deep inside retrieval. `Assistant.ask` and `Filters` call these in a few lines."""

from __future__ import annotations

import re
from datetime import date
from numbers import Integral

from index.errors import QuestionError

MAX_QUESTION_CHARS = 2000  # a question, and each question or answer carried in the history
MAX_K = 100  # sources one question may ask for
LANGS = ("en", "zh")

_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def check_text(text: object, what: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """`text` as a string free of lone surrogates (what invalid UTF-8 on a command line decodes to)."""
    if not isinstance(text, str):
        raise QuestionError(f"{what} must be a string, not {type(text).__name__}")
    if bad := _SURROGATE.search(text):
        raise QuestionError(f"{what} is not valid text (an undecodable character at position {bad.start()}; "
                            "was it UTF-8?)")
    return text


def check_ask(question: object, lang: object, k: object, filters: object, default_k: int) -> tuple[str, str, int]:
    """(question, lang, k) for `Assistant.ask`, each checked; raises QuestionError naming the bad argument."""
    from rag.retrieve import Filters  # not at the top: rag.retrieve imports this module

    if filters is not None and not isinstance(filters, Filters):
        raise QuestionError(f"filters must be a Filters, not {type(filters).__name__}")
    return check_question(question), check_lang(lang), check_k(k, default_k)


def check_question(question: object) -> str:
    """The question, stripped; refused when it is not text, empty or over MAX_QUESTION_CHARS."""
    question = check_text(question, "the question").strip()
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is "
                            f"{MAX_QUESTION_CHARS}. Ask about one thing at a time.")
    return question


def check_k(k: object, default: int) -> int:
    """The number of sources: `default` for None, else a whole number from 1 to MAX_K (not "5", 2.5, True)."""
    if k is None:
        return default
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise QuestionError(f"k must be a whole number from 1 to {MAX_K}, not {k!r:.40} ({type(k).__name__})")
    if not 1 <= int(k) <= MAX_K:
        raise QuestionError(f"k must be from 1 to {MAX_K}, not {k}")
    return int(k)


def check_lang(lang: object) -> str:
    if lang not in ("auto", *LANGS):
        raise QuestionError(f"lang must be 'auto', 'en' or 'zh', not {lang!r:.40}")
    return lang  # type: ignore[return-value]


def check_filters(filters) -> None:
    """Every field of a `Filters`: doc_ids a list of strings, lang 'en' or 'zh', dates ISO (YYYY[-MM[-DD]])."""
    if filters.doc_ids is not None and (isinstance(filters.doc_ids, str) or not all(
            isinstance(d, str) for d in filters.doc_ids)):
        raise QuestionError(f"Filters.doc_ids must be a list of document ids (strings), not {filters.doc_ids!r:.60}")
    if filters.lang is not None and filters.lang not in LANGS:
        raise QuestionError(f"Filters.lang must be 'en', 'zh' or None, not {filters.lang!r:.40}")
    exclude = getattr(filters, "exclude_chunks", ())
    if isinstance(exclude, str) or not all(isinstance(c, str) for c in exclude):
        raise QuestionError(f"Filters.exclude_chunks must be a list of chunk ids (strings), not {exclude!r:.60}")
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value is not None and not is_iso_date(value):
            raise QuestionError(f"Filters.{name} must be an ISO date string such as '2024-05-31', "
                                f"not {value!r:.40}")


def is_iso_date(value: object) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD naming a real month or day."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value if len(value) == 10 else (value + "-01-01")[:10])
    except ValueError:
        return False
    return True
