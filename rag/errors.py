"""The errors a user can act on: `RagError` and its children. Anything else that escapes is a bug."""

from index.errors import (
    ConfigError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    QuestionError,
    RagError,
    SourceError,
)

__all__ = [
    "ConfigError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "QuestionError",
    "RagError",
    "SourceError",
]
