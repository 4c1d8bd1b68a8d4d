"""Real pages of ../shared/corpus/real written out in the formats readers bring: an HTML page with navigation
and a footer around the article, a Word document, a PDF. Used by test_formats.py and test_fetch.py."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian fonts-wqy-zenhei


def real_lines(name: str) -> list[str]:
    """The non-empty lines of one real page (the test is skipped when ../shared is absent)."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"needs the real pages of ../shared/corpus/real ({path} is absent)")
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def as_html(lines: list[str], *, title: str, site: str, author: str = "", date: str = "",
            charset: str = "utf-8") -> str:
    """A web page: the first line as <h1>, the others as <p>, inside navigation, a sidebar and a footer
    (`charset` "" leaves out the <meta charset>)."""
    body = "\n".join(f"<p>{html.escape(ln)}</p>" for ln in lines[1:])
    return f"""<!doctype html>
<html><head>{f'<meta charset="{charset}">' if charset else ""}<title>{html.escape(title)} - {html.escape(site)}</title>
<meta name="author" content="{html.escape(author)}"><meta name="date" content="{date}">
<meta property="og:site_name" content="{html.escape(site)}">
<script>var tracker = "analytics-tracker-code";</script><style>body {{ color: #333 }}</style></head>
<body>
<nav><a href="/">首页</a> &gt; <a href="/news">新闻中心</a> &gt; <a href="/en">English Channel</a></nav>
<header><div class="logo">{html.escape(site)}</div><a href="/login">登录 Sign in</a></header>
<main><article><h1>{html.escape(lines[0])}</h1>
{body}
</article></main>
<aside><h3>相关稿件 Related stories</h3><ul><li><a href="/a">Sidebar story about something else entirely</a></li>
<li><a href="/b">侧栏里另一篇无关的新闻标题</a></li></ul></aside>
<footer><p>Copyright © 2024 {html.escape(site)}. All Rights Reserved.</p><p>粤ICP备12345678号</p></footer>
</body></html>"""


def as_docx(path: Path, lines: list[str], *, title: str, author: str, created=None) -> Path:
    """A Word document: the first line as a Heading 1, the others as paragraphs, with core properties."""
    import docx

    document = docx.Document()
    document.add_heading(lines[0], level=1)
    for line in lines[1:]:
        document.add_paragraph(line)
    document.core_properties.title = title
    document.core_properties.author = author
    if created is not None:
        document.core_properties.created = created
    document.save(str(path))
    return path


def as_pdf(path: Path, lines: list[str], *, title: str = "", author: str = "") -> Path:
    """A PDF with a text layer: the first line as a 16 pt heading, the others as wrapped 11 pt paragraphs
    with space between them, set in the CJK font (skips when the font or fpdf2 is absent)."""
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2 (pip install -e '.[dev]')")
    if not CJK_FONT.exists():
        pytest.skip(f"PDF fixtures with Chinese text need {CJK_FONT} (Debian package fonts-wqy-zenhei)")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("wqy", "", str(CJK_FONT))
    _set_lines(pdf, lines)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    path.write_bytes(bytes(pdf.output()))
    return path


def _set_lines(pdf, lines: list[str]) -> None:
    """A page's headline in 16 pt, then each line of its text in 11 pt, in the CJK font added as "wqy"."""
    pdf.set_font("wqy", size=16)
    pdf.multi_cell(0, 9, lines[0])
    pdf.ln(4)
    pdf.set_font("wqy", size=11)
    for line in lines[1:]:
        pdf.multi_cell(0, 6, line)
        pdf.ln(3)


def as_pdfs(folder: Path, pages: dict[str, list[str]]) -> dict[str, Path]:
    """Many pages as one PDF each, set in one run: the CJK font is loaded and subset once (about 1.5 s) and
    each page's sheets are then copied into a file of its own."""
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2 (pip install -e '.[dev]')")
    from pypdf import PdfReader, PdfWriter

    if not CJK_FONT.exists():
        pytest.skip(f"PDF fixtures with Chinese text need {CJK_FONT} (Debian package fonts-wqy-zenhei)")
    pdf = fpdf.FPDF()
    pdf.add_font("wqy", "", str(CJK_FONT))
    spans = {}
    for name, lines in pages.items():
        pdf.add_page()
        first = pdf.page_no()
        _set_lines(pdf, lines)
        spans[name] = range(first - 1, pdf.page_no())
    whole = PdfReader(io.BytesIO(bytes(pdf.output())))
    out = {}
    for name, span in spans.items():
        writer = PdfWriter()
        for i in span:
            writer.add_page(whole.pages[i])
        out[name] = folder / f"{Path(name).stem}.pdf"
        with open(out[name], "wb") as f:
            writer.write(f)
    return out


def scanned_pdf(path: Path) -> Path:
    """A PDF with no text layer: one page holding only a drawn rectangle, as a scan without OCR would."""
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2 (pip install -e '.[dev]')")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_fill_color(120, 120, 120)
    pdf.rect(20, 20, 170, 250, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path
