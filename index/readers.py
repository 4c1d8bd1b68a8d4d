"""Sources -> articles. Reads .txt/.md/.jsonl in any common encoding and .html/.pdf/.docx through
index/formats.py, drops page chrome, splits a bilingual web page into an English and a Chinese article of one
translation group, keeps the metadata."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index import formats, pdf
from index.errors import SourceError
from index.header import is_heading
from index.meta import is_credit_line
from index.page import describe_set_apart, read_page, sectioned, unwrap
from index.text import Lang, detect_lang, normalize_width

SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl", ".pdf", ".docx")
BUNDLED = Path(__file__).parent / "data" / "decoding-guangdong.txt"


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    section: str = ""  # the heading this paragraph sits under


@dataclass(frozen=True, slots=True)
class Article:
    doc_id: str
    title: str
    lang: Lang
    group: str
    paragraphs: tuple[Paragraph, ...]
    metadata: dict = field(default_factory=dict)  # source, authors, date, url, path

    @property
    def content_hash(self) -> str:
        body = "\n\n".join(p.text for p in self.paragraphs)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def iter_source_files(paths: list[Path]) -> Iterator[Path]:
    """Every file named, and every supported file inside the folders named (sorted, recursive)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
        else:
            yield path


def read_source(path: Path, max_bytes: int = 50 * 2**20) -> list[Article]:
    """The articles in one file. Raises SourceError naming the file and the reason."""
    if not path.exists():
        raise SourceError(str(path), "no such file or folder")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise SourceError(str(path), f"unsupported file type '{suffix or '(none)'}' (use {', '.join(SUPPORTED)})")
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(str(path), f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit "
                                     "(raise RAG_MAX_FILE_MB to allow it)")
    return read_document(path.read_bytes(), suffix, str(path), _slug(path.stem), {"path": str(path)})


def read_document(data: bytes, suffix: str, name: str, stem: str, extra: dict,
                  encoding: str | None = None) -> list[Article]:
    """The articles in the bytes of one source whose format `suffix` names (a file's, or a fetched page's).
    `encoding` is the one the source declared (an HTTP charset); `extra` (path or url) goes into every
    article's metadata."""
    found: dict = {}
    if suffix in formats.BINARY:
        extracted = pdf.read_pdf(data, name) if suffix == ".pdf" else formats.read_docx(data, name)
        text, found = extracted.text, extracted.metadata
    else:
        if suffix in (".html", ".htm"):
            encoding = encoding or formats.declared_charset(data)  # <meta charset="big5">
        text = data.decode(encoding, errors="replace") if encoding else decode(data, name)
        if not text.strip():
            raise SourceError(name, "file is empty")
        if suffix in (".html", ".htm"):
            extracted = formats.read_html(text, name)
            text, found = extracted.text, extracted.metadata
    # What the page text says wins over what the file says about itself (HTML <meta>, PDF info, Word
    # properties): `found` only fills what the page's own header lacks.
    articles = list(parse_jsonl(text, name)) if suffix == ".jsonl" else parse_page(text, stem, found)
    if not articles:
        raise SourceError(name, "no article text found (only page chrome or headings)")
    return [Article(a.doc_id, a.title, a.lang, a.group, a.paragraphs, {**a.metadata, **extra}) for a in articles]


# ---------------------------------------------------------------- decoding


def decode(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, or GB18030/GBK; anything else is refused as binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise SourceError(name, "looks like a binary file (NUL bytes), not text")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls > 0.01 * min(len(text), 8192):
            raise SourceError(name, "looks like a binary file (control characters), not text")
        return text
    raise SourceError(name, "is neither UTF-8, UTF-16 (with BOM) nor GB18030/GBK text")


# ---------------------------------------------------------------- JSONL


def parse_jsonl(text: str, name: str) -> Iterator[Article]:
    """One article per line: {"id", "title", "text", "lang"?, "group"?, "url"?, "date"?, "source"?}."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(name, f"line {number}: not valid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise SourceError(name, f"line {number}: expected a JSON object")
        for key in ("id", "text"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise SourceError(name, f"line {number}: field '{key}' is missing or not a non-empty string")
        body = [Paragraph(p) for p in _unwrap_blocks(row["text"])]
        lang = row.get("lang") or detect_lang(row["text"]) or "en"
        if lang not in ("en", "zh"):
            raise SourceError(name, f"line {number}: field 'lang' must be 'en' or 'zh', not {lang!r}")
        doc_id = _slug(row["id"])
        metadata = {k: row[k] for k in ("url", "date", "source", "outlet", "authors") if row.get(k)}
        if "source" in metadata:  # the old name of the outlet
            metadata.setdefault("outlet", metadata["source"])
        metadata["line"] = number
        yield Article(doc_id, str(row.get("title") or row["id"]), lang, _slug(str(row.get("group") or doc_id)),
                      tuple(_sectioned(body)), metadata)


# ---------------------------------------------------------------- plain text and web-page dumps


def parse_page(text: str, stem: str, known: dict | None = None) -> list[Article]:
    """A page's text as articles: one when it holds one language, else its English and its Chinese version
    (one translation group). `known`: metadata the caller already has (title, authors, date, outlet, url, from
    an HTML page's tags); the page's own header fills what it lacks. Third-language text is left out and
    counted in each article's metadata["set_apart"] (see index/page.py)."""
    page = read_page(text)
    metadata = dict(page.metadata)
    for key, value in (known or {}).items():
        if key == "title" and value:
            lang = detect_lang(str(value)) or "en"
            metadata.setdefault(f"title_{lang}", str(value).strip())
        elif value and key not in metadata:
            metadata[key] = value
    if "source" in metadata and "outlet" not in metadata:
        metadata["outlet"] = metadata.pop("source")
    if page.set_apart:
        metadata["set_apart"] = dict(page.set_apart)
    langs = [lang for lang in ("en", "zh") if page.versions[lang]]
    if len(langs) == 2 and page.pairs:
        metadata["pairs"] = [list(p) for p in page.pairs]
    articles = []
    for lang in langs:
        doc_id = stem if len(langs) == 1 else f"{stem}-{lang}"
        other = "zh" if lang == "en" else "en"
        title = metadata.get(f"title_{lang}") or metadata.get(f"title_{other}") or stem
        paragraphs = tuple(Paragraph(t, s) for t, s in page.versions[lang])
        articles.append(Article(doc_id, title, lang, stem, paragraphs, dict(metadata)))
    return articles


def set_apart_note(article: Article) -> str:
    """"3 paragraphs in Portuguese" when the article's page had text in a third language, else ""."""
    return describe_set_apart(article.metadata.get("set_apart") or {})


def normalize_width_spaces(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")


def is_credit_block(para: str) -> bool:
    """Every line is a credit line: 文|…, 翻译|…, 英文审校|…"""
    lines = [ln for ln in para.split("\n") if ln.strip()]
    return bool(lines) and all(is_credit_line(ln) for ln in lines)


def _sectioned(paras: list[Paragraph]) -> list[Paragraph]:
    """Headings become the section of the paragraphs under them instead of paragraphs of their own."""
    texts = [p.text for p in paras]
    kept, _ = sectioned(texts, {i for i, t in enumerate(texts) if is_heading(t, detect_lang(t))})
    return [Paragraph(t, s) for t, s in kept]


def _unwrap_blocks(text: str) -> list[str]:
    return [p for _, p in unwrap(text)]


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", normalize_width(name).strip().lower()).strip("-.")
    return slug or hashlib.sha256(name.encode()).hexdigest()[:10]
