"""The sources panel, the knowledge-base table and upload results, as HTML.

gr.HTML is not sanitised, so every piece of document text goes through `esc`: an article holding `<script>`,
`<img onerror=...>`, a bare URL or `[2]` arrives as text. The only links are the ones built here from a
document card's http(s) address.
"""

from __future__ import annotations

import html
from pathlib import Path

from rag import Answer, Citation, Context
from ui.i18n import LANG_NAMES, t
from ui.render import clip, copy_text, passage_label, source_id


def esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def sources_panel(blocks: list[str], ui: str) -> str:
    """All answers' sources, newest first, in one scroll box of bounded height; only the newest is open."""
    if not blocks:
        return f'<div class="sources-scroll"><div class="sources-empty">{esc(t(ui, "sources_empty"))}</div></div>'
    newest, *older = reversed(blocks)
    return ('<div class="sources-scroll">' + newest + "".join(b.replace(" open>", ">", 1) for b in older)
            + "</div>")


def sources_block(answer: Answer, turn: int, extras: dict, ui: str) -> str:
    """The panel section for one answer: its cited passages (or, for an abstention, the nearest ones)."""
    if answer.abstained:
        heading = t(ui, "nearest_for")
        items = "".join(_context_item(c, turn, i, extras.get("nearest", {}).get(str(i), {}), ui)
                        for i, c in enumerate(answer.contexts[:3], start=1))
    else:
        heading = t(ui, "sources_for")
        items = "".join(_citation_item(c, turn, extras.get("cited", {}).get(str(c.n), {}), ui)
                        for c in answer.citations)
    kind = "abstained" if answer.abstained else "answered"
    copy = (f'<button type="button" class="copy-answer" data-copy="{esc(copy_text(answer, extras, ui))}" '
            f'data-done="{esc(t(ui, "copied"))}">{esc(t(ui, "copy"))}</button>')
    return (f'<details class="turn {kind}" id="turn-{turn}" open><summary>{esc(heading)} '
            f'<q>{esc(answer.question)}</q></summary>{copy}<ol class="srcs">{items}</ol></details>')


def _citation_item(c: Citation, turn: int, facts: dict, ui: str) -> str:
    other_lang = "zh" if c.lang == "en" else "en"
    translation = facts.get("aligned_quote") or ""
    own = _highlight(c.text, c.quote)
    if c.aligned_text:
        other = _highlight(c.aligned_text, translation)
    else:
        other = f'<em class="none">{esc(t(ui, "no_counterpart"))}</em>'
    data = {"quote": c.quote, "translation": translation, "title": c.title, "outlet": facts.get("outlet", ""),
            "date": facts.get("date", ""), "url": facts.get("url", ""), "show": t(ui, "show_source"),
            "full": t(ui, "open_full"), "original": t(ui, "original"), "close": t(ui, "close")}
    attrs = " ".join(f'data-{k}="{esc(v)}"' for k, v in data.items())
    return (f'<li class="src" id="{source_id(turn, c.n)}" value="{c.n}" {attrs}>'
            f"{_head(c.n, c.title, c.section, c.lang, facts, ui)}"
            f'<div class="pair">{_column(c.lang, own, True)}{_column(other_lang, other, False)}</div></li>')


def _context_item(c: Context, turn: int, i: int, facts: dict, ui: str) -> str:
    section = str(c.metadata.get("section") or "")
    data = {"quote": clip(" ".join(c.text.split()), 200), "translation": "", "title": c.title,
            "outlet": facts.get("outlet", ""), "date": facts.get("date", ""), "url": facts.get("url", ""),
            "show": t(ui, "show_source"), "full": t(ui, "open_full"), "original": t(ui, "original"),
            "close": t(ui, "close")}
    attrs = " ".join(f'data-{k}="{esc(v)}"' for k, v in data.items())
    return (f'<li class="src nearest" id="{source_id(turn, f"c{i}")}" value="{i}" {attrs}>'
            f"{_head(i, c.title, section, c.lang, facts, ui)}"
            f'<div class="opening">{esc(passage_label(c.title, c.metadata, c.text))}</div>'
            f'<div class="passage" lang="{_html_lang(c.lang)}">{esc(c.text)}</div></li>')


def _head(n: int, title: str, section: str, lang: str, facts: dict, ui: str) -> str:
    label = esc(t(ui, "section"))
    section_html = f' · <span class="section">{label}{esc(section)}</span>' if section else ""
    card = "".join(f' · <span class="{k}">{esc(facts[k])}</span>' for k in ("outlet", "date") if facts.get(k))
    link = (f' · <a class="original" href="{esc(facts["url"])}" target="_blank" rel="noopener noreferrer nofollow">'
            f'{esc(t(ui, "original"))}</a>' if facts.get("url") else "")
    return (f'<div class="src-head"><span class="n">[{n}]</span> <b class="title">{esc(title)}</b>{card}'
            f'{section_html} · <span class="lang">{esc(LANG_NAMES.get(lang, lang))}</span>{link}</div>')


def _column(lang: str, body: str, cited: bool) -> str:
    cls = "col cited" if cited else "col other"
    return (f'<div class="{cls}" lang="{_html_lang(lang)}"><div class="col-lang">{LANG_NAMES[lang]}</div>'
            f'<div class="passage">{body}</div></div>')


def _highlight(text: str, quote: str) -> str:
    at = text.find(quote) if quote else -1
    if at < 0:
        return esc(text)
    return f"{esc(text[:at])}<mark>{esc(quote)}</mark>{esc(text[at + len(quote):])}"


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
    return (f'<div class="kb"><p class="kb-summary">{esc(summary)}</p><div class="kb-scroll">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></div>")


def doc_choices(info: dict) -> list[tuple[str, str]]:
    """(label, doc id) pairs for the document dropdowns. Dropdown labels are shown as text."""
    docs = sorted(info["documents"].items())
    return [(f"{clip(d.get('title', ''), 70)} ({doc_id})", doc_id) for doc_id, d in docs]


def upload_result_html(lines: list[tuple[str, str]]) -> str:
    """Result lines as ("ok" | "refused" | "info", message)."""
    return '<ul class="upload-result">' + "".join(
        f'<li class="{kind}">{esc(message)}</li>' for kind, message in lines) + "</ul>"


def file_name(path: str) -> str:
    return Path(path).name
