"""Bilingual (English + Chinese) retrieval Q&A with verifiable citations.

    from rag import Assistant
    answer = Assistant.load("kb/").ask("How many standard racks does Shaoguan plan to build?")
    print(answer.text, answer.citations[0].title)
"""

import logging

from rag.assistant import Assistant
from rag.errors import (
    ConfigError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    QuestionError,
    RagError,
    SourceError,
)
from rag.retrieve import Filters
from rag.settings import Settings
from rag.types import Answer, Citation, Context

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "ConfigError",
    "Context",
    "Filters",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "QuestionError",
    "RagError",
    "Settings",
    "SourceError",
]
