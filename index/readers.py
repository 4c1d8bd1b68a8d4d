"""Sources -> articles. Reads .txt/.md/.jsonl in any common encoding and .html/.pdf/.docx through
index/formats.py, drops page chrome, splits a bilingual web page into an English and a Chinese article of one
translation group, keeps the metadata."""

from __future__ import annotations

import errno
import hashlib
import json
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
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
    """Every file named, and every entry with a supported suffix inside the folders named (sorted, recursive;
    symlinked folders are not followed). Entries that are not regular files (FIFOs, broken or looping
    symlinks) are yielded too, so that `read_source` refuses them by name instead of skipping them silently."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED and not p.is_dir())
        else:
            yield path


def read_source(path: Path, max_bytes: int = 50 * 2**20) -> list[Article]:
    """The articles in one file. Raises SourceError naming the file and the reason; nothing else escapes."""
    data = read_bytes(path, max_bytes)
    return read_document(data, path.suffix.lower(), str(path), _slug(path.stem), {"path": str(path)})


def read_bytes(path: Path, max_bytes: int = 50 * 2**20) -> bytes:
    """The bytes of a regular, readable, supported file under the size limit. Checked with stat() before the
    file is opened: a FIFO, socket or device is refused without being opened (opening a FIFO would block)."""
    name = str(path)
    try:
        info = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise SourceError(name, "is a symbolic link loop (it points back to itself)") from None
        if e.errno == errno.ENOENT:
            reason = "is a broken symbolic link" if path.is_symlink() else "no such file or folder"
            raise SourceError(name, reason) from None
        raise SourceError(name, f"cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError(name, "is a folder; name the folder itself to index what it holds")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else \
            "a socket" if stat.S_ISSOCK(info.st_mode) else "a device or other special file"
        raise SourceError(name, f"is {kind}, not a regular file; refused without reading it")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise SourceError(name, f"unsupported file type '{suffix or '(none)'}' (use {', '.join(SUPPORTED)})")
    if info.st_size > max_bytes:
        raise SourceError(name, f"file is {info.st_size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB "
                                "limit (raise RAG_MAX_FILE_MB to allow it)")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except PermissionError:
        raise SourceError(name, "permission denied: this user may not read the file") from None
    except OSError as e:
        raise SourceError(name, f"cannot be read ({e.strerror or e})") from None
    if len(data) > max_bytes:  # it grew after stat()
        raise SourceError(name, f"file is over the {max_bytes / 2**20:.0f} MB limit (raise RAG_MAX_FILE_MB)")
    return data


def read_document(data: bytes, suffix: str, name: str, stem: str, extra: dict,
                  encoding: str | None = None) -> list[Article]:
    """The articles in the bytes of one source whose format `suffix` names (a file's, or a fetched page's).
    `encoding` is the one the source declared (an HTTP charset); `extra` (path or url) goes into every
    article's metadata."""
    try:
        return _read_document(data, suffix, name, stem, extra, encoding)
    except RecursionError:  # JSON, HTML or a PDF nested 100,000 deep
        raise SourceError(name, "nested too deeply to read") from None


def _read_document(data: bytes, suffix: str, name: str, stem: str, extra: dict,
                   encoding: str | None) -> list[Article]:
    found: dict = {}
    if suffix in formats.BINARY:
        extracted = pdf.read_pdf(data, name) if suffix == ".pdf" else formats.read_docx(data, name)
        text, found = extracted.text, extracted.metadata
    else:
        if suffix in (".html", ".htm"):
            encoding = encoding or formats.declared_charset(data)  # <meta charset="big5">
        text = strip_controls(data.decode(encoding, errors="replace")) if encoding else decode(data, name)
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
    """The text of a file in UTF-8 (BOM or not), UTF-16 with a BOM, or GB18030/GBK. Never guesses: bytes that
    fit none of them cleanly are refused with the reason and the byte offset, never decoded with replacement
    characters or as the wrong encoding. Control characters (other than tab, newline, carriage return, form
    feed) are removed; a file with many of them, or with any NUL character, is refused as binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data[2:].decode("utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be")
        except UnicodeDecodeError as e:
            raise SourceError(name, f"is not valid UTF-16 ({_why(e, len(data), 2)}); re-save it as UTF-8") \
                from None
    elif data.startswith(b"\xef\xbb\xbf"):
        text = _utf8(data[3:], name, 3)
    else:
        if (nul := data.find(b"\x00")) >= 0:
            raise SourceError(name, f"looks like a binary file (NUL byte at offset {nul}), not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _gb18030(data, name)
    if (nul := text.find("\x00")) >= 0:
        raise SourceError(name, f"looks like a binary file (NUL character at position {nul}), not text")
    head = text[:8192]
    if len(_CONTROL.findall(head)) > 0.01 * len(head):
        raise SourceError(name, "looks like a binary file (control characters), not text")
    return strip_controls(text)


# C0 controls but tab, newline, carriage return; DEL; C1 controls. Form feed and vertical tab become newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """`text` without control characters (ESC, BEL, backspace, C1 ...): nothing stored can drive a terminal."""
    return _CONTROL.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))


def _utf8(data: bytes, name: str, skipped: int = 0) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SourceError(name, f"is not valid UTF-8 ({_why(e, len(data), 1, skipped)}); re-save it as UTF-8") \
            from None


def _why(e: UnicodeDecodeError, size: int, unit: int, skipped: int = 0) -> str:
    if size % 2 and unit == 2:
        return f"odd byte count {size}"
    return f"{e.reason} at byte {e.start + skipped}: {e.object[e.start:e.start + 4].hex(' ')}"


def _gb18030(data: bytes, name: str) -> str:
    """GB18030/GBK when the bytes are Chinese text in it; otherwise a refusal that says why.

    A file that is mostly valid UTF-8 with a few stray bytes (one cp1252 "é" in an English page) also decodes
    as GB18030, into nonsense ("Café" -> "Caf茅"): it is refused naming the first stray byte instead. Real GBK
    Chinese text is hardly ever valid UTF-8, and nearly all of its characters are in the GB2312 core."""
    as_utf8 = data.decode("utf-8", errors="surrogateescape")
    stray = len(_STRAY.findall(as_utf8))
    valid = sum(1 for ch in as_utf8 if ord(ch) > 127) - stray
    first = next(i for i, ch in enumerate(as_utf8) if "\udc80" <= ch <= "\udcff")
    offset = len(as_utf8[:first].encode("utf-8", errors="surrogateescape"))
    where = f"first at byte {offset}: {data[offset:offset + 1].hex()}"
    if valid >= stray:
        raise SourceError(name, f"is UTF-8 with {stray} invalid byte(s) ({where}), perhaps from another "
                                "encoding such as cp1252; re-save it as UTF-8")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise SourceError(name, f"is neither UTF-8 ({where}), UTF-16 (with BOM) nor GB18030/GBK text; "
                                "re-save it as UTF-8") from None
    wide = [ch for ch in text if ord(ch) > 127]
    core = sum(1 for ch in wide if _in_gb2312(ch))
    if core < 0.8 * len(wide):
        raise SourceError(name, f"is not UTF-8 ({where}), and read as GB18030 it gives unlikely characters "
                                f"({len(wide) - core} of {len(wide)} outside common Chinese); re-save it as UTF-8")
    return text


_STRAY = re.compile("[\udc80-\udcff]")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


# ---------------------------------------------------------------- JSONL


def parse_jsonl(text: str, name: str) -> Iterator[Article]:
    """One article per line: {"id", "title", "text", "lang"?, "group"?, "url"?, "date"?, "source"?,
    "authors"?}. A field of the wrong type is refused naming the line and the field."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(name, f"line {number}: not valid JSON ({e.msg})") from None
        except RecursionError:
            raise SourceError(name, f"line {number}: JSON nested too deeply") from None
        if not isinstance(row, dict):
            raise SourceError(name, f"line {number}: expected a JSON object")
        row = _checked_row(row, name, number)
        body = [Paragraph(p) for p in _unwrap_blocks(row["text"])]
        lang = row.get("lang") or detect_lang(row["text"]) or "en"
        if lang not in ("en", "zh"):
            raise SourceError(name, f"line {number}: field 'lang' must be 'en' or 'zh', not {lang!r}")
        doc_id = _slug(row["id"])
        metadata = {k: row[k] for k in ("url", "date", "source", "outlet", "authors") if row.get(k)}
        if "source" in metadata:  # the old name of the outlet
            metadata.setdefault("outlet", metadata["source"])
        metadata["line"] = number
        yield Article(doc_id, row.get("title") or row["id"], lang, _slug(row.get("group") or doc_id),
                      tuple(_sectioned(body)), metadata)


_STRING_FIELDS = ("id", "text", "title", "lang", "group", "url", "source", "outlet", "date")
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _checked_row(row: dict, name: str, number: int) -> dict:
    """The row's known fields, type-checked and stripped of control characters; unknown fields are ignored."""
    def refuse(key: str, want: str) -> SourceError:
        got = type(row[key]).__name__ if key in row else "missing"
        return SourceError(name, f"line {number}: field '{key}' must be {want}, not {got}")

    out: dict = {}
    for key in _STRING_FIELDS:
        value = row.get(key)
        if value is None and key not in ("id", "text"):
            continue
        if not isinstance(value, str) or (key in ("id", "text") and not value.strip()):
            if key in ("id", "text"):
                raise SourceError(name, f"line {number}: field '{key}' is missing or not a non-empty string")
            raise refuse(key, "a string")
        out[key] = strip_controls(value)
    if out.get("lang") and out["lang"] not in ("en", "zh"):
        raise SourceError(name, f"line {number}: field 'lang' must be 'en' or 'zh', not {out['lang']!r}")
    if "date" in out and not _is_iso_date(out["date"]):
        raise SourceError(name, f"line {number}: field 'date' must be an ISO date (2024-05-31), not "
                                f"{out['date'][:40]!r}")
    authors = row.get("authors")
    if authors is not None:
        if isinstance(authors, str):
            authors = [authors]
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            raise refuse("authors", "a string or a list of strings")
        out["authors"] = [strip_controls(a) for a in authors]
    return out


def _is_iso_date(value: str) -> bool:
    """YYYY, YYYY-MM, YYYY-MM-DD, or a full ISO date-time, naming a real day."""
    try:
        if len(value) > 10:
            datetime.fromisoformat(value)
        elif _ISO_DATE.fullmatch(value):
            date.fromisoformat((value + "-01-01")[:10] if len(value) < 10 else value)
        else:
            return False
    except ValueError:
        return False
    return True


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
