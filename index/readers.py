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

from index import formats
from index.errors import SourceError
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
        extracted = formats.read_pdf(data, name) if suffix == ".pdf" else formats.read_docx(data, name)
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
    articles = list(parse_jsonl(text, name)) if suffix == ".jsonl" else parse_page(text, stem)
    if not articles:
        raise SourceError(name, "no article text found (only page chrome or headings)")
    return [_with_metadata(a, stem, found, extra) for a in articles]


def _with_metadata(article: Article, stem: str, found: dict, extra: dict) -> Article:
    """What the page text says wins over what the file says about itself (HTML <meta>, PDF info, Word
    properties); a title the page text did not give comes from there, in the article's language if it can."""
    title = article.title
    if title in ("", stem, article.doc_id):
        title = found.get(f"title_{article.lang}") or found.get("title_en") or found.get("title_zh") or title
    return Article(article.doc_id, title, article.lang, article.group, article.paragraphs,
                   {**found, **article.metadata, **extra})


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
        metadata = {k: row[k] for k in ("url", "date", "source", "authors") if row.get(k)}
        yield Article(doc_id, str(row.get("title") or row["id"]), lang, _slug(str(row.get("group") or doc_id)),
                      tuple(_sectioned(body)), metadata)


# ---------------------------------------------------------------- plain text and web-page dumps

_CHROME = [
    re.compile(p)
    for p in (
        r"^(首页|主页|Home)\s*[>»›/]",  # breadcrumbs
        r"\S+\s+>\s+\S+.*\s>\s",  # a > b > c
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
