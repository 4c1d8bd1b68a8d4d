"""The formats people bring -> plain page text plus what the file says about itself.

HTML goes through trafilatura (main text without navigation, sidebars and footers; title, authors, date, site
name), PDF through pypdf (text per page, lines regrouped into paragraphs by their position on the page), Word
through python-docx (paragraphs in body order, headings as headings, core properties). Each reader returns an
`Extracted`: the text as a page's text dump has it, one paragraph per line (a line break the source itself
made, a `<br>` in a credit block, is a line too), which is what `readers.parse_page` reads best.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import statistics
import unicodedata
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


def _authors(raw: str | None) -> list[str]:
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
    if authors := _authors(doc.author) or _meta_authors(html):
        metadata["authors"] = authors
    if doc.date:
        metadata["date"] = doc.date
    if doc.sitename:
        # trafilatura title-cases a site name that does not start with a capital ("云上岭南 Lingnan On The
        # Cloud"); the page's own spelling is kept.
        as_written = re.search(re.escape(doc.sitename.strip()), html, re.IGNORECASE)
        metadata["outlet"] = as_written.group(0) if as_written else doc.sitename.strip()
    return Extracted(page_text(blocks), metadata)


def _meta_authors(html: str) -> list[str]:
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
    return [a for value in found if not value.startswith("http") for a in _authors(value)]


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


# ---------------------------------------------------------------- PDF


@dataclass(slots=True)
class _Line:
    y: float  # baseline, PDF user space (grows upwards)
    x: float  # left edge
    size: float  # font size in points
    text: str


def read_pdf(data: bytes, name: str) -> Extracted:
    """The text layer of a PDF, page by page, with its lines regrouped into paragraphs (pypdf)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError(name, "the PDF is encrypted with a password; save an unprotected copy")
        pages = [_page_lines(page) for page in reader.pages]
        info = reader.metadata
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise SourceError(name, f"not a readable PDF ({type(e).__name__}: {e})") from None
    lines = [ln for page in pages for ln in page]
    if not any(re.search(r"\w", ln.text) for ln in lines):
        raise SourceError(name, f"no text layer in the PDF ({len(pages)} page(s); scanned PDF?) - run OCR on it "
                                "first")
    body = statistics.median([ln.size for ln in lines if ln.text.strip()] or [0])
    blocks = _across_pages([_pdf_blocks(page, body) for page in _without_running_lines(pages)])
    metadata: dict = {}
    if info is not None:
        title = str(info.title or "")
        if title and not re.search(r"\.\w{2,4}$|^(Microsoft Word|untitled)\b", title, re.IGNORECASE):
            metadata.update(title_metadata(title))  # not a file name a writer left in the field
        if authors := _authors(str(info.author or "")):
            metadata["authors"] = authors
        try:
            created = info.creation_date
        except ValueError:  # a malformed date string
            created = None
        if created:
            metadata["created"] = created.date().isoformat()  # when the file was made, not the article
    return Extracted(page_text(blocks), metadata)


def _page_lines(page) -> list[_Line]:
    """The page's text as pypdf lays it out (its spacing between words), each line with the baseline and font
    size of its longest piece. A line whose baseline lies within half a font size of the one before (a
    subscript set apart, such as the 2 of CO2) is joined to it."""
    pieces: list[tuple[str, float, float, float]] = []  # (text, x, y, size) in the order pypdf writes them

    def visit(text, cm, tm, font_dict, font_size):
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        pieces.append((text, x, y, font_size * scale))

    page.extract_text(visitor_text=visit)
    rows: list[list[tuple[str, float, float, float]]] = [[]]
    for text, x, y, size in pieces:
        for i, segment in enumerate(text.split("\n")):
            if i:
                rows.append([])
            if segment:
                rows[-1].append((segment, x, y, size))
    lines: list[_Line] = []
    for row in rows:
        text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", "".join(seg for seg, *_ in row)).strip()  # justified lines
        if not text:
            continue
        _, _, y, size = max(row, key=lambda piece: len(piece[0].strip()))
        x = next(piece[1] for piece in row if piece[0].strip())  # where the line starts
        last = lines[-1] if lines else None
        if last and abs(y - last.y) < 0.5 * min(size, last.size):
            last.text += text
            continue
        lines.append(_Line(y, x, size, text))
    return lines


def _pdf_blocks(lines: list[_Line], body_size: float) -> list[str]:
    """Lines -> blocks. A vertical gap clearly wider than the usual line pitch, or a change of font size,
    ends a block; a line set in a larger font is a heading. Inside a block the lines are joined when the page
    shows paragraph gaps at all (then a block is a paragraph); otherwise by where each line ends."""
    if not lines:
        return []
    # The line pitch, in font sizes, is the smallest baseline step between lines of one size; a page "shows
    # paragraph gaps" when some steps are clearly wider.
    steps = [(a.y - b.y) / a.size for a, b in zip(lines, lines[1:], strict=False)
             if abs(a.size - b.size) <= 1.0 and 0.5 * a.size < a.y - b.y < 4 * a.size]
    pitch = min(steps) if steps else 0.0
    gapped = bool(steps) and max(steps) > 1.3 * pitch
    groups: list[list[_Line]] = []
    for line in lines:
        prev = groups[-1][-1] if groups else None
        new = (prev is None or _is_heading_size(line.size, body_size) != _is_heading_size(prev.size, body_size)
               or not 0 < prev.y - line.y <= 1.3 * max(pitch, 0.1) * prev.size or abs(line.size - prev.size) > 1.0)
        if new:
            groups.append([line])
        else:
            groups[-1].append(line)
    # Without gaps, a line that runs to the right margin wraps and one that stops short (or an indented one
    # after it) starts anew. The margin is the widest body line of the page, if it is a text column at all.
    column = max((_ems(ln.text) for ln in lines if not _is_heading_size(ln.size, body_size)), default=0.0)
    blocks = []
    for group in groups:
        if _is_heading_size(group[0].size, body_size):
            blocks.append("# " + _join([ln.text for ln in group]))
        elif gapped:
            blocks.append(_join([ln.text for ln in group]))
        else:
            left = min(ln.x for ln in group)
            paragraph = [group[0].text]
            for prev, line in zip(group, group[1:], strict=False):
                width = _ems(prev.text) / column if column >= 25 else 0.0
                ended = re.search(r"[.!?。！？:：;；…”\"')）」』]$", prev.text)
                wraps = (width >= 0.85 or width >= 0.6 and not ended) and line.x <= left + 0.8 * line.size
                if not wraps:
                    blocks.append(_join(paragraph))
                    paragraph = []
                paragraph.append(line.text)
            blocks.append(_join(paragraph))
    return blocks


def _ems(text: str) -> float:
    """A line's width estimated in ems: a Chinese character is one, a Latin letter about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–]?\s*\d{1,4}\s*[-–]?(\s*(/|of)\s*\d{1,4})?$|^第\s*\d+\s*页", re.IGNORECASE)


def _without_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Pages without their page numbers and without running headers or footers (a line repeated at the top or
    the bottom of most pages)."""
    edges: dict[str, int] = {}
    for page in pages:
        for line in {ln.text for ln in page[:2] + page[-2:]}:
            edges[line] = edges.get(line, 0) + 1
    repeated = {t for t, n in edges.items() if len(pages) >= 3 and n > len(pages) / 2}
    return [[ln for ln in page if ln.text not in repeated and not _PAGE_NUMBER.match(ln.text)] for page in pages]


def _across_pages(pages: list[list[str]]) -> list[str]:
    """The blocks of all pages; a paragraph that runs on over a page break (no sentence end before it, no
    heading after it) is joined again."""
    blocks: list[str] = []
    for page in pages:
        for i, block in enumerate(page):
            if (i == 0 and blocks and not blocks[-1].startswith("#") and not block.startswith("#")
                    and not re.search(r"[.!?。！？:：;；”\"')）]$", blocks[-1])):
                blocks[-1] = _join([blocks[-1], block])
            else:
                blocks.append(block)
    return blocks


def _is_heading_size(size: float, body_size: float) -> bool:
    return body_size > 0 and size >= 1.2 * body_size


def _cjk_edge(before: str, after: str) -> bool:
    """Whether two pieces meet at Chinese text or punctuation (joined without a space)."""
    return bool(re.match(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef,.;:!?)]", after) or
                re.match(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef(]", before))


def _join(lines: list[str]) -> str:
    """Wrapped lines of one paragraph as one line: a space between words, none inside Chinese text (where a
    line may also break inside a number: 20|09年)."""
    out = ""
    for line in lines:
        chinese_around = re.search(r"[\u3400-\u9fff]", out[-3:] + line[:3])
        script_change = bool(re.match(r"[A-Za-z]", line[:1]) and re.match(r"[\u3000-\u303f\u3400-\u9fff]", out[-1:])
                             or re.match(r"[A-Za-z.,;:!?]", out[-1:]) and re.match(r"[\u3400-\u9fff]", line[:1]))
        if out and not out.endswith("-") and (script_change or not _cjk_edge(out[-1], line[:1]) and not
                                              chinese_around):
            out += " "  # "措施。 Ragasa": the wrap took the space between a Chinese and an English sentence
        out += line
    return out


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
    if (authors := _authors(props.author)) and not _is_template_default(props):
        metadata["authors"] = authors
    if isinstance(props.created, datetime) and not _is_template_default(props):
        metadata["created"] = props.created.date().isoformat()  # when the file was made, not the article
    return Extracted(page_text(blocks), metadata)


def _is_template_default(props) -> bool:
    """python-docx's own template says author 'python-docx', created 2013-12-23: no fact about the article."""
    return props.author == "python-docx" and props.created is not None and props.created.year == 2013
