"""PDF -> page text: pypdf's text layer, its lines regrouped into paragraphs by where they sit on the page.

pypdf gives each piece of text with its position and font size (`visitor_text`). Lines whose baselines lie
within half a font size are one line (a subscript stays in it); the smallest baseline step between lines of one
size is the line pitch, and a clearly wider step ends a paragraph; a larger font is a heading; without gaps, a
line that runs to the right margin wraps. Page numbers and running headers go, and a paragraph that a page
break cut is joined again. A PDF with no text layer (a scan) is refused: there is no OCR here.
"""

from __future__ import annotations

import io
import re
import statistics
import unicodedata
from dataclasses import dataclass

from index.errors import SourceError
from index.formats import Extracted, authors_in, page_text, title_metadata


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
        if authors := authors_in(str(info.author or "")):
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
