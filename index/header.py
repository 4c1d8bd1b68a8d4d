"""The header of a page: which line is its title in each language, and which header lines are furniture.

General page structure, no page's words: a byline in the header has the titles right above it (then below
it); without one, the titles are in the last block of headlines before the first body paragraph; a version
whose title is not in the header may open with it. A headline is one line with no sentence inside it, short,
and shares a content word (a Chinese character bigram) with the page's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.langid import identify
from index.meta import SITE_SUFFIX, is_credit_line
from index.text import split_sentences

END = re.compile(r"[.。!?！？;；…:：][\"'”’」』)）]*$")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
BULLET = re.compile(r"^\s*([-•·*▪●◦]|\d{1,2}[.)、])\s+")
_COLUMN_TAG = re.compile(r"^\s*[【\[]([^】\]\d\n]{1,12})[】\]]\s*")
_LABEL_PREFIX = re.compile(r"^\s*([^丨|｜\n]{1,10})\s*[丨|｜]\s*")
_STOP = set("a an the of to in on for and or is are was were be by with at from as its it this that their "
            "you your we our will can new".split())


@dataclass(slots=True)
class Item:
    text: str
    kind: str  # "text", "byline", "credit", "glossary"
    block: int  # blank-line separated block the paragraph came from
    para: int  # index of the source paragraph (pieces of one mixed paragraph share it)
    lang: str | None = None
    fields: dict = field(default_factory=dict)



# ---------------------------------------------------------------- the header


_KICKER = re.compile(r"^\s*([^丨|｜\n]{2,40}?)\s*[丨|｜]\s*(?=\S)")


def split_kicker(text: str, lang: str | None) -> tuple[str, str] | None:
    """A column label glued before a paragraph's first sentence ("City Life | At 5 a.m. in early winter, …",
    "Lingnan:Beauty Beyond Borders|In winter, …"): the label and the paragraph without it. None for anything
    else: a credit line (its value is a name, not sentences), a table row (more bars), a short line."""
    m = _KICKER.match(text)
    if not m or "\n" in text:
        return None
    label, rest = m.group(1).strip(), text[m.end():].strip()
    if re.search(r"[丨|｜]", rest) or len(rest) < 60 or not re.search(r"[.。!?！？]", rest) \
            or not is_heading(label, lang):
        return None
    return label, rest


def clean_title(text: str) -> str:
    """A headline without its column tag (【大美广东】), a label in the other language (英语新闻丨), a site suffix."""
    text = _COLUMN_TAG.sub("", text).strip().lstrip("#").strip()
    if (m := _LABEL_PREFIX.match(text)) and identify(m.group(1)) != identify(text[m.end():]):
        text = text[m.end():]
    if m := SITE_SUFFIX.match(text):
        text = m.group("title")
    text = text.strip()
    if len(text) > 2 and text[0] in "“\"'" and text[-1] in "”\"'":
        text = text[1:-1].strip()
    return text


def is_heading(text: str, lang: str | None, header: bool = False) -> bool:
    """A line that can head something: one line, no sentence end (a headline may end in ? or !), short."""
    if "\n" in text or BULLET.match(text) or is_credit_line(text):
        return False
    ends = r"[.。;；:：…,，][\"'”’」』)）]*$" if header else END.pattern
    if re.search(ends, text) or re.search(r"(?<![A-Z])\.\s*[A-Z]|。\s*\S", text):
        return False
    if lang == "zh":
        return 0 < len(text) <= 50
    return 0 < len(text) <= 120 and len(text.split()) <= 16


def _candidate(item: Item, body_words: dict[str, set[str]]) -> bool:
    if item.kind != "text":
        return False
    title = clean_title(item.text)
    if not is_heading(title, item.lang, header=True):
        return False
    words = _content_words(title, item.lang)
    enough = len(title) >= 4 if item.lang == "zh" else len(title.split()) >= 2
    return enough and bool(words & body_words.get(item.lang or "", set()))  # a headline shares words with its text


def _content_words(text: str, lang: str | None) -> set[str]:
    if lang == "zh":
        chars = [c for c in text if CJK.match(c)]
        return {a + b for a, b in zip(chars, chars[1:], strict=False)}
    return {w.lower().removesuffix("’s").removesuffix("'s").rstrip("s") for w in re.findall(r"[A-Za-z]{3,}", text)
            if w.lower() not in _STOP}


def _body_start(items: list[Item]) -> int:
    """Where the article text begins: the first substantial paragraph, else the first line that is no heading."""
    start = next((i for i, it in enumerate(items) if _is_body(it)), None)
    if start is None:
        start = next((i for i, it in enumerate(items) if it.kind == "text"
                      and not is_heading(clean_title(it.text), it.lang, header=True)), len(items))
    return start


def _is_body(item: Item) -> bool:
    if item.kind != "text" or is_heading(clean_title(item.text), item.lang, header=True):
        return False
    return len(item.text) >= (30 if item.lang == "zh" else 80)


def find_titles(items: list[Item]) -> tuple[dict[str, int], int]:
    """({language: item index of its title}, index of the first item kept): the header's lines above the
    title (site name, breadcrumb, tags) are dropped.

    With a byline in the header, the titles are the nearest headlines above it (then below it); without one,
    the titles are in the last block of headlines before the first body paragraph; a version whose title is
    not in the header may open with it (an English-then-Chinese page gives its Chinese title mid-page)."""
    start = _body_start(items)
    marked = [i for i, it in enumerate(items) if it.fields.get("md") == 1]
    if marked:  # a Markdown page says which line is its title
        return {items[marked[0]].lang: marked[0]}, min(marked[0], start)
    lead = _lead_title(items, start)
    if lead is not None:
        start = lead
    body_words = _page_words(items, start)
    header = range(start)
    titles: dict[str, int] = {}
    bylines = [i for i in header if items[i].kind == "byline"]
    if bylines:
        for i in [*range(bylines[0] - 1, -1, -1), *range(bylines[0] + 1, start)]:
            if _candidate(items[i], body_words) and items[i].lang not in titles:
                titles[items[i].lang] = i
    else:
        blocks = [items[i].block for i in header if _candidate(items[i], body_words)]
        for i in header:
            if blocks and items[i].block == blocks[-1] and _candidate(items[i], body_words):
                titles.setdefault(items[i].lang, i)
    for lang in ("en", "zh"):
        if lang in titles:
            continue
        first = next((i for i in range(start, len(items)) if items[i].lang == lang and items[i].kind == "text"),
                     None)
        following = next((it for it in items[first + 1:] if it.lang == lang), None) if first is not None else None
        if first is not None and following is not None and _candidate(items[first], body_words) \
                and len(following.text) > len(items[first].text):
            titles[lang] = first
    keep_from = min([*titles.values(), *(i for i in header if items[i].kind == "byline")], default=0)
    return titles, min(keep_from, start)


def header_furniture(items: list[Item], titles: dict[str, int], keep_from: int, metadata: dict) -> set[int]:
    """Short lines of the header that are not a title: the one next to the byline names the outlet (a WeChat
    account, a translation platform); the others (a place, a tag, a link to another story) are dropped."""
    start = _body_start(items)
    words = _page_words(items, start)
    drop = set()
    for i in range(keep_from, start):
        it = items[i]
        if it.kind != "text" or i in titles.values() or it.fields.get("md"):
            continue
        short = len(it.text) <= 12 if it.lang == "zh" else len(it.text.split()) <= 3
        near_byline = any(items[j].kind == "byline" for j in (i - 1, i + 1) if 0 <= j < len(items))
        if short and near_byline and "outlet" not in metadata and not re.search(r"[。.,，!?！？:：]", it.text):
            metadata["outlet"] = it.text
        heading = is_heading(clean_title(it.text), it.lang, header=True)
        if heading and (short or not _content_words(it.text, it.lang) & words.get(it.lang or "", set())):
            drop.add(i)  # a heading that is neither the title nor about the article; a sentence always stays
    return drop


def _page_words(items: list[Item], start: int) -> dict[str, set[str]]:
    """Content words per language of the page's text: the body, and the header's sentences (not its headings)."""
    return _body_words([it for i, it in enumerate(items)
                        if i >= start or not is_heading(clean_title(it.text), it.lang, header=True)])


def _body_words(items: list[Item]) -> dict[str, set[str]]:
    words: dict[str, set[str]] = {}
    for it in items:
        if it.kind == "text":
            words.setdefault(it.lang or "", set()).update(_content_words(it.text, it.lang))
    return words


def _lead_title(items: list[Item], start: int) -> int | None:
    """A page that opens with one short sentence per language, then a paragraph three times as long: the
    opening is the headline even though it ends with a full stop (machine-translated news does that)."""
    if start != 0 or not items:
        return None
    lead = [i for i, it in enumerate(items) if it.para == items[0].para and it.kind == "text"]
    rest = [it for it in items[len(lead):] if it.kind == "text"]
    if len(lead) > 2 or not rest:
        return None
    for i in lead:
        it = items[i]
        short = len(it.text) <= (45 if it.lang == "zh" else 110)
        if not short or len(split_sentences(it.text)) != 1:
            return None
    next_para = [it for it in rest if it.para == rest[0].para]
    if sum(len(it.text) for it in next_para) < 3 * sum(len(items[i].text) for i in lead):
        return None
    for i in lead:
        items[i].text = items[i].text.rstrip(".。")
    return len(lead)
