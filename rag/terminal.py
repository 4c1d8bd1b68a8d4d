"""Text for a terminal: what a document, a file name or a question holds is shown, never obeyed.

The `rag` command line prints stdout through `safe_stdout()` and its error lines through `safe_line()`, so a
document cannot clear the screen, recolour it, set the window title or plant an OSC 8 hyperlink, and a file
name with a newline cannot forge a second "refused:" line."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# ANSI sequences first, whole (CSI ... final byte; OSC ... BEL or ST; other ESC + one byte), so that no "[2J"
# is left behind; then any other C0 control but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI),
# bidirectional overrides (which reorder what is shown), and lone surrogates (undecodable input).
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?", re.DOTALL)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]+")


def safe(text: object) -> str:
    """`text` with escape sequences and control characters removed; newlines and tabs kept; CR dropped."""
    return _CONTROL.sub("", _SEQUENCE.sub("", str(text)))


def safe_line(text: object) -> str:
    """`safe(text)` on one line: newlines, tabs and carriage returns become a single space."""
    return safe(_LINE_BREAK.sub(" ", str(text)))


class _SafeWriter:
    """A text stream that writes `safe(text)` to the stream it wraps (JSON stays valid: json.dumps escapes C0
    controls itself, and removing a C1 control inside a string leaves a valid string)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(safe(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextmanager
def safe_stdout() -> Iterator[None]:
    """sys.stdout through `safe()` for the duration of the block."""
    original = sys.stdout
    sys.stdout = _SafeWriter(original)
    try:
        yield
    finally:
        sys.stdout = original
