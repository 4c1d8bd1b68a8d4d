"""The errors a user can act on. Anything else that escapes is a bug.

They live in `index` (the lowest layer) so that it can raise them; `rag.errors` is the public name."""

from __future__ import annotations


class RagError(Exception):
    """Base class: the message says what went wrong and, where possible, how to fix it."""


class SourceError(RagError):
    """A source file was refused (missing, empty, binary, too large, malformed, unsupported)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexNotFoundError(RagError):
    """No index exists where one was expected."""


class IndexMismatchError(RagError):
    """The index was built with a different embedder or format than the one asked for."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class IndexWriteError(RagError):
    """The index could not be written (read-only folder, full disk); the previous version still answers."""


class QuestionError(RagError):
    """The question or its history cannot be used as given."""


class ConfigError(RagError):
    """A setting holds a value that cannot be used."""
