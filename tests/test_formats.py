"""The formats people bring: real pages of ../shared/corpus/real as HTML (with navigation, sidebar and footer),
Word and PDF files are read, indexed and answered; traditional and simplified Chinese find each other; a bad
file of each kind is refused in one line and never costs the other sources."""

from __future__ import annotations

import datetime
import re
import shutil

import pytest
from page_files import REAL, as_docx, as_html, as_pdf, as_pdfs, real_lines, scanned_pdf

from index.errors import SourceError
from index.formats import read_html
from index.readers import read_source
from index.text import detect_lang, tokenize
from rag import Assistant

SHAOGUAN = "ysln-2024-12-06-53105594.txt"  # EN -> ZH, title pair, credits 翻译/审校/终审
HUANGPU = "ycpai-2021-05-10-40003184.txt"  # EN/ZH interleaved by paragraph
LION = "ysln-2024-12-10-53113054.txt"  # EN -> ZH
TAIPEI = "taipeitimes-2022-06-21-2003780212.txt"  # EN -> ZH in traditional characters
WENWEIPO = "wenweipo-2013-04-12-ed1304120029.txt"  # ZH (traditional) -> EN

CHROME = ("首页", "新闻中心", "English Channel", "Sign in", "Sidebar story", "侧栏", "相关稿件", "Copyright",
          "ICP", "analytics-tracker", "color: #333")


def text_of(articles) -> str:
    """Everything read: titles, section headings, paragraphs."""
    return "\n".join([a.title for a in articles] + [t for a in articles for p in a.paragraphs
                                                   for t in (p.section, p.text)])


def html_file(path, name, **meta):
    lines = real_lines(name)
    path.write_text(as_html(lines, title=meta.pop("title", lines[0]), **meta), encoding="utf-8")
    return path


# ---------------------------------------------------------------- every format reads as the page's text does


@pytest.fixture(scope="module")
def real_pdfs(tmp_path_factory) -> dict:
    """Every real page as a PDF of its own (set in one run: the CJK font is subset once)."""
    names = sorted(p.name for p in REAL.glob("*.txt")) if REAL.exists() else []
    if not names:
        pytest.skip(f"needs the real pages of {REAL}")
    return as_pdfs(tmp_path_factory.mktemp("pdfs"), {name: real_lines(name) for name in names})


def versions(articles, squeeze: bool = False) -> list[tuple[str, list[str]]]:
    """Each version's language and paragraphs (whitespace dropped with `squeeze`: PDF text spacing)."""
    fix = (lambda t: re.sub(r"\s+", "", t)) if squeeze else (lambda t: t)
    return [(a.lang, [fix(p.text) for p in a.paragraphs]) for a in articles]


@pytest.mark.parametrize("name", [SHAOGUAN, HUANGPU, WENWEIPO, "okread-20230907-47017.txt"])
@pytest.mark.parametrize("kind", ["html", "docx", "pdf"])
def test_page_in_any_format_gives_the_versions_its_plain_text_gives(tmp_path, real_pdfs, name, kind):
    lines = real_lines(name)
    text_file = tmp_path / "page.txt"
    text_file.write_text("\n".join(lines), encoding="utf-8")
    if kind == "html":
        source = html_file(tmp_path / "page.html", name, site="Example Daily")
    elif kind == "docx":
        source = as_docx(tmp_path / "page.docx", lines, title="", author="")
    else:
        source = real_pdfs[name]
    squeeze = kind == "pdf"  # pypdf's spaces around Chinese text differ from the page's
    assert versions(read_source(source), squeeze) == versions(read_source(text_file), squeeze)


@pytest.mark.slow
def test_every_real_page_in_every_format_reads_as_its_plain_text(tmp_path, real_pdfs, capsys):
    """All of ../shared/corpus/real: how many pages give, as HTML, Word and PDF, the versions their text gives."""
    names = sorted(real_pdfs)
    same = {"html": 0, "docx": 0, "pdf": 0}
    pdfs = real_pdfs
    for name in names:
        lines = real_lines(name)
        (tmp_path / "page.txt").write_text("\n".join(lines), encoding="utf-8")
        expected = read_source(tmp_path / "page.txt")
        sources = {"html": html_file(tmp_path / "page.html", name, site="Example Daily"),
                   "docx": as_docx(tmp_path / "page.docx", lines, title="", author=""), "pdf": pdfs[name]}
        for kind, source in sources.items():
            squeeze = kind == "pdf"
            same[kind] += versions(read_source(source), squeeze) == versions(expected, squeeze)
    with capsys.disabled():
        print(f"\nreal pages read as their plain text ({len(names)}): {same}")
    # Word and HTML hand the page parser the page's lines as they are; PDF text is rebuilt from positions and
    # set in a font that lacks a few glyphs (•, ˈ, ‧), so a few pages differ there.
    assert same["docx"] == len(names) and same["html"] >= len(names) - 1 and same["pdf"] >= len(names) - 8


# ---------------------------------------------------------------- HTML


def test_html_page_keeps_its_article_and_drops_navigation_sidebar_footer_and_scripts(tmp_path):
    source = html_file(tmp_path / "shaoguan.html", SHAOGUAN, site="云上岭南 Lingnan on the Cloud", author="李玉凡",
                       date="2024-12-06")
    text = text_of(read_source(source))
    assert "他们是为美好生活而奋斗不息的韶关人" in text
    for chrome in CHROME:
        assert chrome not in text, chrome


def test_html_author_date_and_site_name_go_into_the_metadata(tmp_path):
    source = html_file(tmp_path / "shaoguan.html", SHAOGUAN, site="云上岭南 Lingnan on the Cloud",
                       author="李玉凡; Luo Jie", date="2024-12-06")
    for article in read_source(source):
        meta = article.metadata
        assert meta["authors"] == ["李玉凡", "Luo Jie"]
        assert meta["date"] == "2024-12-06"
        assert meta["outlet"] == "云上岭南 Lingnan on the Cloud"  # as the page spells it
        assert meta["path"] == str(source)


def test_html_title_heads_a_page_whose_text_has_no_headline(tmp_path):
    lines = real_lines("kekenet-201501-354171.txt")  # an FT piece reposted without its headline
    headline = "China's trade surplus is third highest on record"
    source = tmp_path / "kekenet.html"
    body = "".join(f"<p>{ln}</p>" for ln in lines)
    source.write_text(f"<html><head><title>{headline} | 可可英语</title></head><body><article>{body}</article>"
                      "</body></html>", encoding="utf-8")
    assert {a.metadata.get("title_en") for a in read_source(source)} == {headline}  # no " | site name"
    assert read_html(source.read_text(encoding="utf-8"), "kekenet").text.startswith(headline + "\n")


def test_html_page_without_a_date_gets_none_from_its_copyright_line(tmp_path):
    source = html_file(tmp_path / "taipei.html", TAIPEI, site="Taipei Times")  # footer: "Copyright © 2024 …"
    assert all("date" not in a.metadata for a in read_source(source))


def test_html_in_gbk_declared_by_its_meta_charset_is_read(tmp_path):
    lines = real_lines(LION)
    source = tmp_path / "lion.html"
    page = as_html(lines, title=lines[0], site="云上岭南", charset="gbk")
    source.write_bytes(page.encode("gbk", "xmlcharrefreplace"))  # © written as &#169;, as GBK pages do
    assert "冼村杯" in text_of(read_source(source))


def test_html_in_big5_declared_by_its_meta_charset_is_read(tmp_path):
    lines = real_lines(TAIPEI)  # a Taiwan page: Big5 is its region's legacy encoding
    source = tmp_path / "taipei.html"
    source.write_bytes(as_html(lines, title=lines[0], site="Taipei Times", charset="big5").encode("big5", "replace"))
    assert "本報特別和台灣師範大學「國語教學中心」聯手" in text_of(read_source(source))


@pytest.mark.parametrize("container", ["<table><tr><td>{}</td></tr></table>", "<div class='content'>{}</div>"])
def test_html_body_of_br_separated_paragraphs_keeps_them_apart(tmp_path, container):
    lines = real_lines(HUANGPU)
    body = "<br><br>\n".join(lines[1:])  # an older CMS: one cell or div, paragraphs between <br><br>
    source = tmp_path / "cms.html"
    source.write_text(f"<html><head><title>{lines[0]}</title></head><body>{container.format(body)}</body></html>",
                      encoding="utf-8")
    handed_on = read_html(source.read_text(encoding="utf-8"), str(source)).text.split("\n")
    assert handed_on == lines  # one paragraph a line, the <title> first, as the page parser reads a page


# ---------------------------------------------------------------- Word


def test_docx_paragraphs_heading_and_core_properties_are_read(tmp_path):
    lines = real_lines(HUANGPU)
    source = as_docx(tmp_path / "huangpu.docx", lines, title="Huangpu Park", author="吴瑕",
                     created=datetime.datetime(2021, 5, 10, 20, 20))
    articles = read_source(source)
    assert not any(p.text.startswith("【中英双语】") for a in articles for p in a.paragraphs)  # the heading
    meta = articles[0].metadata
    assert meta["authors"] == ["吴瑕"] and meta["created"] == "2021-05-10"
    assert meta["title_en"] != "Huangpu Park"  # the page's own headline wins over the file's title field
    untitled = as_docx(tmp_path / "kekenet.docx", ["", *real_lines("kekenet-201501-354171.txt")],
                       title="China's trade surplus is third highest on record", author="FT")
    assert read_source(untitled)[0].metadata["title_en"] == "China's trade surplus is third highest on record"


def test_docx_table_cells_are_paragraphs_of_their_own(tmp_path):
    import docx

    lines = real_lines(HUANGPU)[3:9]  # EN, ZH, EN, ZH, ... : a two-column translation table
    document = docx.Document()
    table = document.add_table(rows=0, cols=2)
    for en, zh in zip(lines[::2], lines[1::2], strict=True):
        row = table.add_row()
        row.cells[0].text, row.cells[1].text = en, zh
    document.save(tmp_path / "table.docx")
    paragraphs = [p.text for a in read_source(tmp_path / "table.docx") for p in a.paragraphs]
    assert [ln for ln in lines if ln in paragraphs] == lines


def test_docx_written_by_python_docx_claims_no_author_or_date(tmp_path):
    lines = real_lines(LION)
    import docx

    document = docx.Document()  # its template says author "python-docx", created 2013
    for line in lines:
        document.add_paragraph(line)
    document.save(tmp_path / "plain.docx")
    meta = read_source(tmp_path / "plain.docx")[0].metadata
    assert "authors" not in meta and "created" not in meta


# ---------------------------------------------------------------- PDF


def test_pdf_wrapped_lines_are_joined_back_into_their_paragraphs(tmp_path):
    lines = real_lines(SHAOGUAN)
    source = as_pdf(tmp_path / "shaoguan.pdf", lines, title="The life of Shaoguan", author="Li Yufan")
    paragraphs = [p.text for a in read_source(source) for p in a.paragraphs]
    english, chinese = lines[2], lines[3]  # each wraps over several lines of the page
    english = english.removeprefix("City Life | ")  # its column label heads it (index.header.split_kicker)
    assert english in paragraphs and chinese in paragraphs
    meta = read_source(source)[0].metadata
    assert meta["authors"] == ["Li Yufan"] and meta["created"] == datetime.date.today().isoformat()


def test_pdf_subscript_stays_inside_its_sentence(tmp_path):
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.write(6, "Coastal (low-lying) factories use sealed furnace rooms to lower the output of CO")
    pdf.char_vpos = "SUB"
    pdf.write(6, "2")
    pdf.char_vpos = "LINE"
    pdf.write(6, " around the harbour and, when needed, the river mouth. The furnaces are checked every month by "
                 "inspectors from the city, who publish what they measure.")
    pdf.ln(10)
    pdf.write(6, "Inland plants report their output to the province once a year, in the spring.")
    source = tmp_path / "co2.pdf"
    source.write_bytes(bytes(pdf.output()))
    paragraphs = [p.text for a in read_source(source) for p in a.paragraphs]
    assert paragraphs[0].startswith("Coastal (low-lying) factories") and "of CO2 around the harbour" in paragraphs[0]
    assert paragraphs[0].endswith("publish what they measure.")
    assert not any(p.startswith("2 around") for p in paragraphs)


def test_pdf_over_several_pages_loses_page_numbers_and_running_header_and_keeps_paragraphs_whole(tmp_path):
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2")
    lines = [ln for name in (HUANGPU, LION) for ln in real_lines(name) if detect_lang(ln) == "en" and len(ln) > 80]

    class Paper(fpdf.FPDF):
        def header(self):
            self.set_font("helvetica", size=8)
            self.cell(0, 5, "Yangcheng Evening News - Bilingual", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self):
            self.set_y(-12)
            self.set_font("helvetica", size=8)
            self.cell(0, 5, str(self.page_no()), align="C")

    pdf = Paper(format=(90, 100))
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line.encode("latin-1", "replace").decode("latin-1"))
        pdf.ln(3)
    assert pdf.page_no() >= 3
    source = tmp_path / "paper.pdf"
    source.write_bytes(bytes(pdf.output()))
    paragraphs = [p.text for a in read_source(source) for p in a.paragraphs]
    assert not any("Yangcheng Evening News - Bilingual" in p for p in paragraphs)
    assert not any(re.fullmatch(r"\d+", p) for p in paragraphs)
    assert all(ln.strip() in paragraphs for ln in lines)  # no paragraph cut at a page break


# ---------------------------------------------------------------- each format indexed and answered


@pytest.fixture(scope="module")
def formats_kb(tmp_path_factory, real_pdfs):
    """One small index: a real page as HTML, one as Word, one as PDF."""
    folder = tmp_path_factory.mktemp("formats")
    html_file(folder / "shaoguan.html", SHAOGUAN, site="云上岭南", author="李玉凡", date="2024-12-06")
    as_docx(folder / "huangpu.docx", real_lines(HUANGPU), title="Huangpu Park", author="吴瑕")
    shutil.copy(real_pdfs[LION], folder / "lion.pdf")
    return Assistant.build([folder], index_dir=folder / "kb")


def cited(answer) -> str:
    return "\n".join(c.quote for c in answer.citations)


def test_every_format_is_indexed_as_documents(formats_kb):
    report = formats_kb.last_report
    assert not report.refused
    paths = {d["metadata"]["path"].rsplit(".", 1)[-1] for d in formats_kb.info()["documents"].values()}
    assert paths == {"html", "docx", "pdf"}


def test_question_about_the_html_page_is_answered_from_it(formats_kb):
    answer = formats_kb.ask("Which city's people are relentlessly striving for a better life?")
    assert not answer.abstained and "Shaoguan" in cited(answer)
    assert answer.citations[0].chunk_id.startswith("shaoguan")


def test_question_about_the_word_document_is_answered_from_it(formats_kb):
    answer = formats_kb.ask("How old is Huangpu Park?")
    assert not answer.abstained and "22-year-old" in cited(answer)
    answer = formats_kb.ask("公园里的文化广场有多大?")  # real_qa r111; gold 6800平方米 / 6800 m2
    assert not answer.abstained and any(gold in cited(answer) for gold in ("6800平方米", "6800 m2"))


def test_question_about_the_pdf_is_answered_from_it(formats_kb):
    answer = formats_kb.ask("这次狮王争霸赛在广州哪个公园举行?")  # real_qa r131; gold 珠江公园 / Zhujiang Park
    assert not answer.abstained and any(gold in cited(answer) for gold in ("珠江公园", "Zhujiang Park"))
    assert answer.citations[0].chunk_id.startswith("lion")


# ---------------------------------------------------------------- bad files: one line each, the others indexed


def test_pdf_without_a_text_layer_is_refused_as_probably_scanned(tmp_path):
    source = scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(SourceError, match=r"no text layer .*scanned PDF\?") as error:
        read_source(source)
    assert error.value.path == str(source)


def test_pdf_locked_with_a_password_is_refused_and_one_with_an_owner_password_only_is_read(tmp_path):
    fpdf = pytest.importorskip("fpdf", reason="PDF fixtures need fpdf2")
    from fpdf.enums import EncryptionMethod

    line = next(ln for ln in real_lines(LION) if detect_lang(ln) == "en" and len(ln) > 80)
    for name, user_password in (("locked.pdf", "reader"), ("protected.pdf", "")):
        pdf = fpdf.FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, line)
        pdf.set_encryption(owner_password="owner", user_password=user_password,
                           encryption_method=EncryptionMethod.RC4)
        (tmp_path / name).write_bytes(bytes(pdf.output()))
    with pytest.raises(SourceError, match="encrypted with a password"):
        read_source(tmp_path / "locked.pdf")
    assert line in text_of(read_source(tmp_path / "protected.pdf"))


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n%% cut off here", "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 this is no zip archive", "not a readable Word .docx file"),
    ("notes.docx", b"plain words saved with the wrong extension", "not a readable Word .docx file"),
])
def test_corrupt_pdf_or_docx_is_refused_in_one_line(tmp_path, name, data, reason):
    source = tmp_path / name
    source.write_bytes(data)
    with pytest.raises(SourceError, match=reason) as error:
        read_source(source)
    assert str(source) in str(error.value) and "\n" not in str(error.value)


def test_bad_files_of_each_kind_are_refused_one_line_each_and_the_good_one_is_indexed(tmp_path, rag):
    good = html_file(tmp_path / "shaoguan.html", SHAOGUAN, site="云上岭南")
    scan = scanned_pdf(tmp_path / "scan.pdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    code, out, err = rag("index", good, scan, tmp_path / "broken.pdf", tmp_path / "broken.docx",
                         "--index", tmp_path / "kb")
    refused = [ln for ln in err.splitlines() if ln.startswith("refused:")]
    assert len(refused) == 3 and code == 1
    assert any(str(scan) in ln and "no text layer" in ln for ln in refused)
    assert any(str(tmp_path / "broken.pdf") in ln and "PDF" in ln for ln in refused)
    assert any(str(tmp_path / "broken.docx") in ln and ".docx" in ln for ln in refused)
    assert "indexed" in out
    kb = Assistant.load(tmp_path / "kb")
    assert {d["metadata"]["path"] for d in kb.info()["documents"].values()} == {str(good)}


# ---------------------------------------------------------------- traditional and simplified Chinese


def test_traditional_and_simplified_text_give_the_same_search_tokens():
    traditional, simplified = "本報特別和台灣師範大學「國語教學中心」聯手", "本报特别和台湾师范大学「国语教学中心」联手"
    assert tokenize(traditional) == tokenize(simplified)
    assert tokenize("Taipei Times 雙語版") == tokenize("Taipei Times 双语版")


@pytest.mark.parametrize("question, passage_holds", [
    ("改版后台北时报双语版与哪家英语学习机构合作?", "常春藤解析英語"),  # real_qa r093, about a traditional page
    ("公园里的文化广场有多大?", "6800平方米"),  # real_qa r111, about a simplified page
])
def test_bm25_scores_every_passage_the_same_whichever_script_the_question_is_in(question, passage_holds):
    import numpy as np
    import opencc

    from index.bm25 import BM25Index

    passages = [ln for name in (TAIPEI, WENWEIPO, SHAOGUAN, HUANGPU) for ln in real_lines(name)
                if detect_lang(ln) == "zh"]
    index = BM25Index.build([tokenize(p) for p in passages], np.arange(len(passages)))
    as_written = index.scores(tokenize(question))
    other_script = index.scores(tokenize(opencc.OpenCC("s2t").convert(question)))
    assert np.allclose(as_written, other_script)
    assert passage_holds in passages[int(as_written.argmax())]


@pytest.fixture(scope="module")
def scripts_kb(tmp_path_factory):
    """The Chinese of two traditional-character pages (Taipei Times, Wen Wei Po) and of two simplified ones."""
    folder = tmp_path_factory.mktemp("scripts")
    for name, stem in ((TAIPEI, "taipei"), (WENWEIPO, "wenweipo"), (SHAOGUAN, "shaoguan"), (HUANGPU, "huangpu")):
        chinese = [ln for ln in real_lines(name) if detect_lang(ln) == "zh"]
        (folder / f"{stem}.txt").write_text("\n\n".join(chinese), encoding="utf-8")
    return Assistant.build([folder], index_dir=folder / "kb")


def _source_text(name: str) -> str:
    return "\n".join(real_lines(name))


def test_simplified_question_is_answered_from_traditional_text_quoted_as_written(scripts_kb):
    answer = scripts_kb.ask("本报和哪所大学的国语教学中心联手?")
    assert not answer.abstained
    quote = answer.citations[0].quote
    assert "台灣師範大學" in quote and quote in _source_text(TAIPEI)  # verbatim, in traditional characters


def test_traditional_question_is_answered_from_simplified_text_quoted_as_written(scripts_kb):
    answer = scripts_kb.ask("他們是為美好生活而奮鬥不息的哪裡人?")
    assert not answer.abstained
    assert any("韶关人" in c.quote and c.quote in _source_text(SHAOGUAN) for c in answer.citations)
    answer = scripts_kb.ask("公園裡的文化廣場有多大?")
    assert not answer.abstained and "6800平方米的文化广场" in cited(answer)
