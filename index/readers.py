"""Sources -> articles. Reads .txt/.md/.html/.jsonl in any common encoding, drops page chrome, splits a
bilingual web page into an English and a Chinese article of one translation group, keeps the metadata."""

from __future__ import annotations

import errno
import hashlib
import json
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

from index.errors import SourceError
from index.text import Lang, detect_lang, normalize_width

SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl")
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
    text = decode(data, str(path))
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    stem = _slug(path.stem)
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            articles = list(parse_jsonl(text, str(path)))
        elif suffix in (".html", ".htm"):
            articles = parse_page(html_to_text(text), stem)
        else:
            articles = parse_page(text, stem)
    except RecursionError:
        raise SourceError(str(path), "nested too deeply to read") from None
    if not articles:
        raise SourceError(str(path), "no article text found (only page chrome or headings)")
    return [_with_path(a, str(path)) for a in articles]


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


def _with_path(article: Article, path: str) -> Article:
    return Article(article.doc_id, article.title, article.lang, article.group, article.paragraphs,
                   {**article.metadata, "path": path})


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
        doc_id = _slug(row["id"])
        metadata = {k: row[k] for k in ("url", "date", "source", "authors") if row.get(k)}
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


# ---------------------------------------------------------------- HTML


class _MainText(HTMLParser):
    _SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "form", "svg", "button", "template"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote",
              "pre", "table", "ul", "ol", "dd", "dt", "figcaption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCK:
            self.parts.append("\n\n")
            if tag in ("h1", "h2", "h3") and not self.skip:
                self.parts.append("#" * int(tag[1]) + " ")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of a page: tags, scripts, styles and navigation stripped, blocks as paragraphs."""
    parser = _MainText()
    parser.feed(html)
    parser.close()
    body = re.sub(r"\n[ \t]+|[ \t]+\n", "\n", "".join(parser.parts))
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    if parser.title.strip() and "\n# " not in "\n" + body:
        body = f"# {parser.title.strip()}\n\n{body}"
    return body


# ---------------------------------------------------------------- plain text and web-page dumps

_CHROME = [
    re.compile(p)
    for p in (
        r"^(首页|主页|Home)\s*[>»›/]",  # breadcrumbs
        r"\S\s+>\s+\S.*?\s>\s",  # a > b > c (lazy: linear in the line, where `\S+.*` was quadratic)
        r"ICP备|ICP证|新出网证|信息网络传播视听节目许可证|公网安备|增值电信业务经营许可证",
        r"^版权所有|^Copyright\b|©|All [Rr]ights [Rr]eserved",
        r"^(分享到|打印|关闭窗口|返回顶部|扫一扫|【?纠错】?)",
    )
]
_CREDIT = re.compile(
    r"^(文|图|文图|图文|翻译|译|英文审校|审校|编辑|校对|责编|责任编辑|摄影|记者|通讯员|策划|统筹|视频)\s*[|｜]"
)
_META_ZH = re.compile(r"(来源|作者|发表时间|发布时间|时间)\s*[:：]")
_META_EN = re.compile(r"^(Source|By|Author|Authors|Published|Date)\s*[:：]", re.IGNORECASE)
_END_PUNCT = re.compile(r"[.。!?！？:：;；…)”\"'’」』]$")


def parse_page(text: str, stem: str) -> list[Article]:
    """A text or Markdown page as articles: one, or an English and a Chinese one when the page holds both."""
    text = normalize_width_spaces(text)
    paragraphs = [p for p in _unwrap_blocks(text) if not any(rx.search(p) for rx in _CHROME)]
    metadata: dict = {}
    title = ""
    body: list[str] = []
    for para in paragraphs:
        if _META_ZH.search(para) and len(para) < 200 and detect_lang(_META_ZH.sub("", para)) != "en":
            metadata.update(_parse_zh_meta(para))
            # A title line right above the meta line; anything above the title is site chrome.
            if body and _is_heading(body[-1]):
                title = body[-1]
            body = []
            continue
        if _META_EN.match(para) and len(para) < 200:
            key, _, value = para.partition(":") if ":" in para else para.partition("：")
            key = key.strip().lower()
            key = {"by": "authors", "author": "authors", "published": "date"}.get(key, key)
            metadata.setdefault(key, value.strip())
            continue
        body.append(para)
    if body and body[0].startswith("# "):
        title, body = body[0], body[1:]
    title = title.lstrip("# ").strip()
    body = [p.lstrip("# ").strip() if p.startswith("#") else p for p in body]

    parts = _split_languages(body)
    if len(parts) == 1:
        lang, paras = parts[0]
        if not title and paras and _is_heading(paras[0]):
            title, paras = paras[0], paras[1:]
        article = _article(stem, stem, lang, title or stem, paras, metadata)
        return [article] if article else []

    articles = []
    for lang, paras in parts:
        own_title = title if title and detect_lang(title) == lang else ""
        if not own_title and paras and _is_heading(paras[0]):
            own_title, paras = paras[0], paras[1:]
        article = _article(f"{stem}-{lang}", stem, lang, own_title or title or stem, paras, metadata)
        if article:
            articles.append(article)
    return articles


def normalize_width_spaces(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")


def _article(doc_id: str, group: str, lang: Lang, title: str, paras: list[str], metadata: dict) -> Article | None:
    sectioned = _sectioned([Paragraph(p) for p in paras])
    if not sectioned:
        return None
    return Article(doc_id, title, lang, group, tuple(sectioned), dict(metadata))


def _sectioned(paras: list[Paragraph]) -> list[Paragraph]:
    """Headings become the section of the paragraphs under them instead of paragraphs of their own."""
    out: list[Paragraph] = []
    section = ""
    for i, p in enumerate(paras):
        following = paras[i + 1].text if i + 1 < len(paras) else ""
        if _is_heading(p.text) and len(following) > len(p.text):
            section = p.text
            continue
        out.append(Paragraph(p.text, p.section or section))
    return out


def is_credit_block(para: str) -> bool:
    """Every line is a credit line: 文|…, 翻译|…, 英文审校|…"""
    lines = [ln for ln in para.split("\n") if ln.strip()]
    return bool(lines) and all(_CREDIT.match(ln.strip()) for ln in lines)


def _is_heading(para: str) -> bool:
    if "\n" in para or _CREDIT.match(para) or _END_PUNCT.search(para):
        return False
    limit = 40 if detect_lang(para) == "zh" else 120
    return 0 < len(para) <= limit


def _unwrap_blocks(text: str) -> list[str]:
    """Blank-line separated blocks -> paragraphs. Inside a block, a line ending a sentence (or a credit line)
    ends a paragraph; other line breaks are soft wraps and are joined."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        credits = [ln for ln in lines if _CREDIT.match(ln)]
        if credits and len(credits) == len(lines):
            paragraphs.append("\n".join(lines))  # a credit block stays one paragraph, one line per credit
            continue
        widest = max((len(ln) for ln in lines), default=0)
        current = ""
        for line in lines:
            if current and _is_soft_wrap(current.rsplit("\n", 1)[-1], line, widest):
                cjk_join = detect_lang(current[-1:] + line[:1]) == "zh"
                current += ("" if cjk_join else " ") + line
                continue
            if current:
                paragraphs.append(current)
            current = line
        if current:
            paragraphs.append(current)
    return [re.sub(r"[ \t]+", " ", p).strip() for p in paragraphs if p.strip()]


def _is_soft_wrap(line: str, following: str, widest: int) -> bool:
    """Whether the break after `line` wraps one paragraph (hard-wrapped prose) rather than ending it."""
    if line.startswith("#") or following.startswith("#") or _CREDIT.match(line) or _CREDIT.match(following):
        return False
    if _END_PUNCT.search(line) or len(line) < max(40, 0.6 * widest):
        return False
    if detect_lang(line) != detect_lang(following):
        return False
    if detect_lang(line) == "zh":
        return len(line) >= 0.9 * widest  # Chinese wraps at a fixed width
    return following[:1].islower() or len(line) >= 0.85 * widest  # a full-width line wraps


def _split_languages(paras: list[str]) -> list[tuple[Lang, list[str]]]:
    """[(lang, paragraphs)]: two runs when the page holds an English and a Chinese version one after the
    other (each substantial), otherwise one run in the majority language."""
    langs = [detect_lang(p) for p in paras]
    chars = {"en": 0, "zh": 0}
    for p, lang in zip(paras, langs, strict=True):
        if lang:
            chars[lang] += len(p) * (3 if lang == "zh" else 1)  # a Chinese character carries ~3 Latin ones
    total = sum(chars.values()) or 1
    if min(chars.values()) / total >= 0.15:
        best: tuple[int, int, Lang, Lang] | None = None
        for first, second in (("en", "zh"), ("zh", "en")):
            for cut in range(1, len(paras)):
                agree = sum(1 for lang in langs[:cut] if lang == first) + sum(
                    1 for lang in langs[cut:] if lang == second)
                if best is None or agree > best[0]:
                    best = (agree, cut, first, second)
        agree, cut, first, second = best or (0, 0, "en", "zh")
        known = sum(1 for lang in langs if lang)
        if agree >= 0.85 * known and cut >= 2 and len(paras) - cut >= 2:
            return [(first, paras[:cut]), (second, paras[cut:])]
    major: Lang = "zh" if chars["zh"] > chars["en"] else "en"
    return [(major, paras)]


def _parse_zh_meta(line: str) -> dict:
    meta = {}
    if m := re.search(r"来源\s*[:：]\s*(\S+)", line):
        meta["source"] = m.group(1)
    if m := re.search(r"作者\s*[:：]\s*(\S+)", line):
        meta["authors"] = [a for a in re.split(r"[、,，;；]", m.group(1)) if a]
    if m := re.search(r"(?:发表|发布)?时间\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2})", line):
        meta["date"] = m.group(1)
    return meta


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", normalize_width(name).strip().lower()).strip("-.")
    return slug or hashlib.sha256(name.encode()).hexdigest()[:10]
