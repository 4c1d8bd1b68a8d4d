"""Answers as chat Markdown, and as the plain text a reader copies.

Every piece of document text goes through `md_escape` before it reaches the chat: HTML escaped, Markdown
punctuation backslashed, and the characters that would let the renderer turn a bare address into a link
(`https://`, `www.`, `a@b`) broken with escapes, so a URL, `![x](…)` or a literal `[2]` in an article stays
literal text. Only the markers the assistant placed, and that name one of its citations, become links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from rag import Answer
from ui.i18n import t

# ("md", ready Markdown, shown whole) or ("text", document text: escaped and streamed piece by piece)
Segment = tuple[str, str]

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$:.@])")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_PIECE = re.compile(rf"[{_CJK}]{{1,4}}|[^\s{_CJK}]+\s*|\s+")  # up to 4 CJK characters, or a word
_CITE_MD = re.compile(r"\[\\\[(\d+)\\\]\]\(#[^)]*\)")
_TAG = re.compile(r"<[^>]+>")
MAX_STEPS = 24  # streamed updates per answer: enough to look live, few enough to stay cheap


def md_escape(text: str) -> str:
    """Document text as Markdown that renders literally (see the module docstring).

    Quotes stay as they are: the chat's Markdown shows a numeric entity such as &#x27; literally."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def source_id(turn: int, key: str | int) -> str:
    """The DOM id of a source in the panel; chat markers link to `#src-<turn>-<n>`."""
    return f"src-{turn}-{key}"


def marker_md(turn: int, key: str | int, label: int) -> str:
    return f"[\\[{label}\\]](#{source_id(turn, key)})"


# ------------------------------------------------------------------ chat Markdown


def answer_segments(answer: Answer, turn: int, ui: str, searched: str | None = None) -> list[Segment]:
    """The answer as segments: text with its short span in bold and [n] markers linking to the panel."""
    if answer.abstained:
        return _abstention_segments(answer, turn, ui)
    text = answer.text
    events = [(s, e, "marker", n) for s, e, n in citation_markers(answer)]
    short = (answer.short or "").strip()
    at = _outside(text, short, events) if short else -1
    if at >= 0:
        events.append((at, at + len(short), "bold", 0))
    segments: list[Segment] = []
    if searched:
        segments.append(("md", f"*{md_escape(t(ui, 'searched_for'))}: {md_escape(searched)}*\n\n"))
    pos = 0
    for start, end, kind, n in sorted(events):
        segments.append(("text", text[pos:start]))
        segments.append(("md", marker_md(turn, n, n) if kind == "marker" else f"**{md_escape(text[start:end])}**"))
        pos = end
    segments.append(("text", text[pos:]))
    notes = list(answer.notes) + ([t(ui, "generated")] if answer.mode == "generative" else [])
    for note in notes:
        segments.append(("md", f"\n\n*{md_escape(note)}*"))
    return [s for s in segments if s[1]]


def citation_markers(answer: Answer) -> list[tuple[int, int, int]]:
    """(start, end, n) of the [n] markers the assistant placed: n names a citation, and the marker is not
    inside a quoted sentence (an article's own "[2]" is text)."""
    known = {c.n for c in answer.citations}
    quoted = []
    for c in answer.citations:
        at = answer.text.find(c.quote) if c.quote else -1
        while at >= 0:
            quoted.append((at, at + len(c.quote)))
            at = answer.text.find(c.quote, at + 1)
    return [(m.start(), m.end(), int(m.group(1))) for m in _MARKER.finditer(answer.text)
            if int(m.group(1)) in known and not any(s <= m.start() < e for s, e in quoted)]


def _outside(text: str, span: str, events: list) -> int:
    """The first occurrence of `span` in `text` that overlaps no marker, or -1."""
    at = text.find(span)
    while at >= 0 and any(s < at + len(span) and at < e for s, e, *_ in events):
        at = text.find(span, at + 1)
    return at


def _abstention_segments(answer: Answer, turn: int, ui: str) -> list[Segment]:
    """The interface's own sentence (never the question echoed), then the nearest passages, told apart by
    section and first words."""
    said = t(ui, "not_found_text") if answer.contexts else answer.text
    segments: list[Segment] = [("md", f"> **{md_escape(t(ui, 'not_found'))}**\n>\n> "), ("text", said)]
    nearest = [f"{marker_md(turn, f'c{i}', i)} {md_escape(passage_label(c.title, c.metadata, c.text))}"
               for i, c in enumerate(answer.contexts[:3], start=1)]
    if nearest:
        segments.append(("md", f"\n>\n> {md_escape(t(ui, 'nearest'))}:\n>\n> " + "\n>\n> ".join(nearest)))
    return segments


def passage_label(title: str, metadata: dict, text: str) -> str:
    """A short label that tells passages of one document apart: section or title, then the opening words."""
    section = str((metadata or {}).get("section") or "")
    return f"{clip(section or title, 40)}: “{clip(' '.join(text.split()), 50)}”"


def clip(text: str, limit: int) -> str:
    """`text` cut at a word (or, in Chinese, a character) boundary within `limit`, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not re.search(f"[{_CJK}]", cut[-1]):
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:，、") + "…"


def error_markdown(message: str, ui: str) -> str:
    """An error, styled apart from an abstention (red, a plain-text label: no emoji font is needed)."""
    return f'<span class="rag-error">{html.escape(t(ui, "error"))}</span> {md_escape(message)}'


def stopped_markdown(ui: str) -> str:
    return f'<span class="rag-stopped">{html.escape(t(ui, "stopped"))}</span>'


def stream_markdown(segments: list[Segment], max_steps: int = MAX_STEPS) -> Iterator[str]:
    """Growing prefixes of the answer's Markdown, a few words (or CJK characters) more each time."""
    pieces: list[str] = []
    for kind, value in segments:
        if kind == "md":
            pieces.append(value)
        else:
            pieces += [md_escape(p) for p in _PIECE.findall(value)]
    per_step = max(1, -(-len(pieces) // max_steps))
    for end in range(per_step, len(pieces) + per_step, per_step):
        yield "".join(pieces[:end])


def full_markdown(segments: list[Segment]) -> str:
    return list(stream_markdown(segments, max_steps=1))[-1] if segments else ""


def plain_text(markdown: str) -> str:
    """Chat Markdown back to the text the assistant or the reader wrote."""
    text = _CITE_MD.sub(r"[\1]", markdown)
    text = _TAG.sub("", text)
    text = re.sub(r"^> ?", "", text, flags=re.M).replace("**", "")
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text).strip()


def copy_text(answer: Answer, extras: dict, ui: str) -> str:
    """The answer as plain text with a numbered reference list, for the clipboard."""
    if answer.abstained:
        lines = [t(ui, "not_found_text") if answer.contexts else answer.text, "", f"{t(ui, 'nearest')}:"]
        for i, c in enumerate(answer.contexts[:3], start=1):
            lines.append(f"[{i}] {_reference(c.title, extras.get('nearest', {}).get(str(i), {}))}")
            lines.append(f"    {clip(' '.join(c.text.split()), 160)}")
        return "\n".join(lines)
    lines = [answer.text, "", f"{t(ui, 'copy_sources')}:"]
    for c in answer.citations:
        lines.append(f"[{c.n}] {_reference(c.title, extras.get('cited', {}).get(str(c.n), {}))}")
        lines.append(f"    “{c.quote}”")
    return "\n".join(lines)


def _reference(title: str, facts: dict) -> str:
    parts = [title] + [facts[k] for k in ("outlet", "date", "url") if facts.get(k)]
    return " · ".join(parts)
