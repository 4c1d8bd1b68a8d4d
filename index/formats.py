"""The formats people bring -> plain page text plus what the file says about itself.

HTML goes through trafilatura (main text without navigation, sidebars and footers; title, authors, date, site
name), Word through python-docx (paragraphs in body order, headings as headings, core properties), PDF through
pypdf in index/pdf.py (text per page, lines regrouped into paragraphs by their position). Each reader returns an
`Extracted`: the text as a page's text dump has it, one paragraph per line (a line break the source itself
made, a `<br>` in a credit block, is a line too), which is what `readers.parse_page` reads best.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from index.errors import SourceError
from index.text import detect_lang

log = logging.getLogger(__name__)

BINARY = (".pdf", ".docx")  # read from bytes; every other format is decoded text first


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str  # one paragraph (or source line) per line
    metadata: dict = field(default_factory=dict)  # title_en/title_zh, authors, date (ISO), outlet


def page_text(blocks: list[str]) -> str:
    """Blocks as the page parser reads a page's text: one paragraph (or one line the source broke) per line,
    heading marks dropped. Measured on the real pages written as HTML and Word: read this way, 28 and 29 of
    29 give the very articles their plain text gives; with blank lines and `#` headings, 3 of 29."""
    lines = (re.sub(r"^#+ ", "", ln) for b in blocks for ln in b.split("\n"))
    return "\n".join(ln for ln in lines if ln.strip())


def title_metadata(title: str) -> dict:
    """{"title_en": …} or {"title_zh": …}: the title under the key of its language."""
    title = re.sub(r"\s+", " ", title or "").strip()
    lang = detect_lang(title)
    return {f"title_{lang}": title} if title and lang else {}


def authors_in(raw: str | None) -> list[str]:
    """Names from one author field: "A; B", "甲、乙", "A and B"."""
    return [a.strip() for a in re.split(r"[;；、]|\s+and\s+", raw or "") if a.strip()]


def _lines(text: str) -> str:
    """Spaces collapsed inside each line, blank lines dropped."""
    lines = (re.sub(r"[ \t\u00a0\u3000]+", " ", ln).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


# ---------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The encoding a page declares in its first 4 KB (<meta charset> or http-equiv), if Python knows it."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None  # a byte-order mark says more than a <meta>
    m = _META_CHARSET.search(data[:4096])
    return known_encoding(m.group(1).decode("ascii")) if m else None


def known_encoding(name: str | None) -> str | None:
    """Python's codec for a declared charset; GB2312 and GBK pages are read as GB18030, their superset (a
    page that says GB2312 often holds GBK characters)."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None  # an unknown charset: the text is decoded as a file would be
    return "gb18030" if codec in ("gb2312", "gbk") else codec


def read_html(html: str, name: str) -> Extracted:
    """The main text of a web page and its title, authors, date and site name (trafilatura)."""
    import trafilatura

    # favor_recall: on short bilingual news pages precision mode drops credit lines and one-line paragraphs.
    # extensive_search off: otherwise a page with no date gets its copyright year as "2024-01-01".
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=True,
                                      favor_recall=True, date_extraction_params={"extensive_search": False,
                                                                                 "original_date": True})
    if doc is None or doc.body is None:
        raise SourceError(name, "no article text found in the HTML page")
    blocks = [b for b in _html_blocks(doc.body) if b]
    title = re.sub(r"\s+", " ", doc.title or "").strip()
    if title and not any(b.startswith("#") or title in b for b in blocks[:3]):
        blocks.insert(0, f"# {title}")  # a headline set outside the article's container (a <div class=title>)
    metadata: dict = {**title_metadata(title)}
    if authors := authors_in(doc.author) or _metaauthors_in(html):
        metadata["authors"] = authors
    if doc.date:
        metadata["date"] = doc.date
    if doc.sitename:
        # trafilatura title-cases a site name that does not start with a capital ("云上岭南 Lingnan On The
        # Cloud"); the page's own spelling is kept.
        as_written = re.search(re.escape(doc.sitename.strip()), html, re.IGNORECASE)
        metadata["outlet"] = as_written.group(0) if as_written else doc.sitename.strip()
    return Extracted(page_text(blocks), metadata)


def _metaauthors_in(html: str) -> list[str]:
    """<meta name="author"> as written. Trafilatura drops an author without a space in it, which is every
    Chinese name (李玉凡)."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found = tree.xpath("//meta[@name='author' or @name='Author' or @property='article:author' "
                       "or @name='dc.creator']/@content")
    return [a for value in found if not value.startswith("http") for a in authors_in(value)]


_BLOCKS = {"p", "head", "item", "cell", "quote", "code", "list", "table", "row", "div"}


def _html_blocks(element) -> list[str]:
    """Trafilatura's cleaned tree (<head rend="h2">, <p>, <list><item>, <table><row><cell>, <quote>) as text
    blocks in reading order; text that sits between blocks (a cell's own text before its <p>s) is a block too."""
    blocks: list[str] = []
    inline = [element.text or ""]

    def flush() -> None:  # <br><br> ends a paragraph, one <br> a line
        blocks.extend(text for part in re.split(r"\n[ \t]*\n", "".join(inline)) if (text := _lines(part)))
        inline.clear()

    for child in element:
        if child.tag == "head":
            flush()
            level = int(m.group(1)) if (m := re.search(r"(\d)", child.get("rend") or "")) else 2
            if text := _lines(_inline_text(child)).replace("\n", " "):
                blocks.append(f"{'#' * min(level, 3)} {text}")
        elif child.tag in _BLOCKS:
            flush()
            blocks.extend(_html_blocks(child))
        else:
            inline.append("\n" if child.tag == "lb" else _inline_text(child))
        inline.append(child.tail or "")
    flush()
    return blocks


def _inline_text(element) -> str:
    """Text of an element with <lb/> (an HTML <br>) as a newline."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# ---------------------------------------------------------------- Word


def read_docx(data: bytes, name: str) -> Extracted:
    """The paragraphs and tables of a .docx in body order, headings as headings, and its core properties."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise SourceError(name, f"not a readable Word .docx file ({type(e).__name__}: {e})") from None
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            # A merged cell comes back once per grid cell it spans. The cells stay referenced in `kept` so
            # that id() of a cell's element is never reused for another while the table is read.
            kept, seen = [], set()
            for row in item.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        kept.append(cell._tc)
                        seen.add(id(cell._tc))
                        blocks.extend(_lines(p.text) for p in cell.paragraphs)
            continue
        text = _lines(item.text)
        style = (item.style.name if item.style is not None else "") or ""
        if m := re.match(r"(Heading|Title)\s*(\d?)", style):
            level = 1 if m.group(1) == "Title" else int(m.group(2) or 2)
            text = f"{'#' * min(level, 3)} {text.replace(chr(10), ' ')}" if text else ""
        blocks.append(text)
    props = document.core_properties
    metadata: dict = {**title_metadata(props.title or "")}
    if (authors := authors_in(props.author)) and not _is_template_default(props):
        metadata["authors"] = authors
    if isinstance(props.created, datetime) and not _is_template_default(props):
        metadata["created"] = props.created.date().isoformat()  # when the file was made, not the article
    return Extracted(page_text(blocks), metadata)


def _is_template_default(props) -> bool:
    """python-docx's own template says author 'python-docx', created 2013-12-23: no fact about the article."""
    return props.author == "python-docx" and props.created is not None and props.created.year == 2013
