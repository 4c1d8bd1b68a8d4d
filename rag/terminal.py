"""Text for a terminal: what a document, a file name or a question holds is shown, never obeyed.

Every line the `rag` command line prints goes through `safe()` (or `safe_line()` for one-line fields such as
file names), so a document cannot clear the screen, recolour it, set the window title or plant an OSC 8
hyperlink, and a file name with a newline cannot forge a second "refused:" line."""

from __future__ import annotations

import json
import re
import sys

# ANSI sequences first, whole (CSI ... final byte; OSC ... BEL or ST; other ESC + one byte), so that no
# "[2J" is left behind; then any other C0 control but tab and newline, DEL, C1 controls (0x9b is a one-byte
# CSI), bidirectional overrides (which reorder what is shown), and lone surrogates (undecodable input).
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?", re.DOTALL)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]+")


def safe(text: object) -> str:
    """`text` with escape sequences and control characters removed; newlines and tabs kept; CR dropped."""
    return _CONTROL.sub("", _SEQUENCE.sub("", str(text)))


def safe_line(text: object) -> str:
    """`safe(text)` on one line: newlines, tabs and carriage returns become a single space."""
    return safe(_LINE_BREAK.sub(" ", str(text)))


def safe_json(value: object) -> str:
    """JSON for a terminal: json.dumps escapes C0 controls already; C1 controls and bidi overrides too here."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def echo(text: object = "", *, err: bool = False) -> None:
    """print() of safe(text), to stderr when `err`."""
    print(safe(text), file=sys.stderr if err else sys.stdout)
