"""Answers, sources and the knowledge base as chat Markdown and panel HTML.

Every piece of document text goes through `esc` (HTML) or `md_escape` (chat Markdown) before it reaches the
page: gr.HTML is not sanitised, so an article holding `<script>` or `<img onerror=...>` must arrive as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from rag import Answer, Citation, Context
from ui.i18n import LANG_NAMES, t

# ("md", ready Markdown, shown whole) or ("text", document text: escaped and streamed piece by piece)
Segment = tuple[str, str]

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_PIECE = re.compile(rf"[{_CJK}]{{1,4}}|[^\s{_CJK}]+\s*|\s+")  # up to 4 CJK characters, or a word
_CITE_MD = re.compile(r"\[\\\[(\d+)\\\]\]\(#[^)]*\)")
MAX_STEPS = 24  # streamed updates per answer: enough to look live, few enough to stay cheap


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def md_escape(text: str) -> str:
    """Document text as Markdown that renders literally: HTML escaped, Markdown punctuation backslashed.

    Quotes stay as they are: the chat's Markdown shows a numeric entity such as &#x27; literally."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def source_id(turn: int, key: str | int) -> str:
    """The DOM id of a source in the panel; chat markers link to `#src-<turn>-<n>`."""
    return f"src-{turn}-{key}"


# ------------------------------------------------------------------ chat Markdown


def answer_segments(answer: Answer, turn: int, ui: str) -> list[Segment]:
    """The answer as segments: text with its short span in bold and [n] markers linking to the panel."""
    if answer.abstained:
        return _abstention_segments(answer, turn, ui)
    segments: list[Segment] = []
    short = (answer.short or "").strip()
    parts = _MARKER.split(answer.text)  # text, n, text, n, ...
    for i, part in enumerate(parts):
        if i % 2:
            segments.append(("md", f"[\\[{part}\\]](#{source_id(turn, part)})"))
        elif short and short in part:
            before, after = part.split(short, 1)
            segments += [("text", before), ("md", f"**{md_escape(short)}**"), ("text", after)]
            short = ""
        else:
            segments.append(("text", part))
    notes = list(answer.notes) + ([t(ui, "generated")] if answer.mode == "generative" else [])
    for note in notes:
        segments.append(("md", f"\n\n*{md_escape(note)}*"))
    return [s for s in segments if s[1]]


def _abstention_segments(answer: Answer, turn: int, ui: str) -> list[Segment]:
    banner = f"> ⚠️ **{md_escape(t(ui, 'not_found'))}**\n>\n> "
    segments: list[Segment] = [("md", banner), ("text", answer.text)]
    nearest = [f"[\\[{i}\\]](#{source_id(turn, f'c{i}')}) {md_escape(_clip(c.title, 60))}"
               for i, c in enumerate(answer.contexts[:3], start=1)]
    if nearest:
        segments.append(("md", f"\n>\n> {md_escape(t(ui, 'nearest'))}: " + " · ".join(nearest)))
    return segments


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:") + "…"


def error_markdown(message: str, ui: str) -> str:
    return f"> ❌ **{md_escape(t(ui, 'error'))}**: {md_escape(message)}"


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


def plain_text(markdown: str) -> str:
    """Chat Markdown back to the text the assistant or the reader wrote (for the follow-up history)."""
    text = _CITE_MD.sub(r"[\1]", markdown)
    text = re.sub(r"^> ?", "", text, flags=re.M).replace("**", "")
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text).strip()


# ------------------------------------------------------------------ sources panel


def sources_block(answer: Answer, turn: int, ui: str) -> str:
    """The panel section for one answer: its cited passages (or, for an abstention, the nearest ones)."""
    if answer.abstained:
        heading = t(ui, "nearest_for")
        items = "".join(_context_item(c, turn, i, ui) for i, c in enumerate(answer.contexts[:3], start=1))
    else:
        heading = t(ui, "sources_for")
        items = "".join(_citation_item(c, turn, ui) for c in answer.citations)
    kind = "abstained" if answer.abstained else "answered"
    return (f'<details class="turn {kind}" id="turn-{turn}" open><summary>{esc(heading)} '
            f'<q>{esc(answer.question)}</q></summary><ol class="srcs">{items}</ol></details>')


def sources_panel(blocks: list[str], ui: str) -> str:
    """All answers' sources, newest first; only the newest is open."""
    if not blocks:
        return f'<div class="sources-empty">{esc(t(ui, "sources_empty"))}</div>'
    newest, *older = reversed(blocks)
    return newest + "".join(b.replace(" open>", ">", 1) for b in older)


def _citation_item(c: Citation, turn: int, ui: str) -> str:
    own = _highlight(c.text, c.quote)
    other = esc(c.aligned_text) if c.aligned_text else f'<em class="none">{esc(t(ui, "no_counterpart"))}</em>'
    columns = {c.lang: own, _other(c.lang): other}
    return (f'<li class="src" id="{source_id(turn, c.n)}" value="{c.n}">'
            f"{_head(c.n, c.title, c.section, c.lang, ui)}"
            f'<div class="pair">{_column("en", columns["en"], c.lang == "en")}'
            f'{_column("zh", columns["zh"], c.lang == "zh")}</div></li>')


def _context_item(c: Context, turn: int, i: int, ui: str) -> str:
    section = str(c.metadata.get("section") or "")
    return (f'<li class="src nearest" id="{source_id(turn, f"c{i}")}" value="{i}">'
            f"{_head(i, c.title, section, c.lang, ui)}"
            f'<div class="passage" lang="{_html_lang(c.lang)}">{esc(c.text)}</div></li>')


def _head(n: int, title: str, section: str, lang: str, ui: str) -> str:
    label = esc(t(ui, "section"))
    section_html = f' · <span class="section">{label}{esc(section)}</span>' if section else ""
    return (f'<div class="src-head"><span class="n">[{n}]</span> <b class="title">{esc(title)}</b>'
            f'{section_html} · <span class="lang">{esc(LANG_NAMES.get(lang, lang))}</span></div>')


def _column(lang: str, body: str, cited: bool) -> str:
    cls = "col cited" if cited else "col"
    return (f'<div class="{cls}" lang="{_html_lang(lang)}"><div class="col-lang">{LANG_NAMES[lang]}</div>'
            f'<div class="passage">{body}</div></div>')


def _highlight(text: str, quote: str) -> str:
    at = text.find(quote) if quote else -1
    if at < 0:
        return esc(text)
    return f"{esc(text[:at])}<mark>{esc(quote)}</mark>{esc(text[at + len(quote):])}"


def _other(lang: str) -> str:
    return "zh" if lang == "en" else "en"


def _html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


# ------------------------------------------------------------------ knowledge base and uploads


def kb_html(info: dict, ui: str) -> str:
    """Documents with their chunk counts, and the totals per language."""
    per = info["chunks_per_language"]
    summary = t(ui, "kb_summary", docs=len(info["documents"]), chunks=info["chunks"], en=per.get("en", 0),
                zh=per.get("zh", 0), pairs=info.get("aligned_pairs", 0))
    rows = "".join(
        f'<tr><td>{esc(d.get("title", ""))}</td><td>{esc(LANG_NAMES.get(d.get("lang"), str(d.get("lang"))))}'
        f'</td><td class="num">{int(d.get("chunks", 0))}</td><td><code>{esc(doc_id)}</code></td></tr>'
        for doc_id, d in sorted(info["documents"].items()))
    head = "".join(f"<th>{esc(t(ui, k))}</th>" for k in ("kb_title", "kb_lang", "kb_chunks", "kb_id"))
    return (f'<div class="kb"><p class="kb-summary">{esc(summary)}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def doc_choices(info: dict) -> list[tuple[str, str]]:
    """(label, doc id) pairs for the remove-document dropdown. Dropdown labels are shown as text."""
    docs = sorted(info["documents"].items())
    return [(f"{d.get('title', '')[:70]} ({doc_id})", doc_id) for doc_id, d in docs]


def upload_result_html(lines: list[tuple[str, str]]) -> str:
    """Result lines as ("ok" | "refused" | "info", message)."""
    return '<ul class="upload-result">' + "".join(
        f'<li class="{kind}">{esc(message)}</li>' for kind, message in lines) + "</ul>"


def file_name(path: str) -> str:
    return Path(path).name
