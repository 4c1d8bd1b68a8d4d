"""The document card: a citable passage, in the article's language, built from its metadata.

"Who translated this article?", "这篇报道是哪天发表的？", "Which newspaper published it?" are questions about the
page, not its text; the card holds the answer (title in both languages, outlet, date, authors, translators,
editors and the other credits) in one retrievable chunk, `{doc_id}:card`, linked to the card of the other
language's version. Values are quoted as the page gives them (names stay in Chinese in the English card).
"""

from __future__ import annotations

import re

from index.chunk import Chunk, chunk_metadata
from index.readers import Article
from index.text import CJK, split_sentences

CARD = "card"
# Credits are written as a masthead writes them ("Translator | 盛嘉", "翻译|盛嘉"): the form credit lines take on
# the pages themselves, which answering already reads as "who" evidence.
_ROLE_EN = {"proofreading": "Proofreading", "final review": "Final review", "planning": "Planning",
            "supervision": "Supervision", "photo": "Photos", "video": "Video"}
_ROLE_ZH = {"proofreading": "审校", "final review": "终审", "planning": "策划", "supervision": "监制",
            "photo": "摄影", "video": "视频"}
_FIELDS = ("outlet", "date", "authors", "translators", "editors", "credits", "copyright")


def card_text(article: Article) -> str:
    """The card's text in the article's language, one statement a line; "" when the page names nothing but
    its title."""
    meta = article.metadata
    if not any(meta.get(k) for k in _FIELDS):
        return ""
    credits = meta.get("credits") or {}
    date = str(meta.get("date") or "").replace("T", " ")
    own_title = _own_title(article)
    if article.lang == "zh":
        lines = [own_title and f"标题：{own_title}。",
                 meta.get("title_en") and f"英文标题：{meta['title_en']}。",
                 meta.get("outlet") and f"来源：{_in_chinese(meta['outlet'])}。",
                 date and f"发表时间：{date}。",
                 meta.get("authors") and f"作者|{'、'.join(meta['authors'])}",
                 meta.get("translators") and f"翻译|{'、'.join(meta['translators'])}",
                 meta.get("editors") and f"编辑|{'、'.join(meta['editors'])}",
                 *(f"{label}|{'、'.join(credits[role])}" for role, label in _ROLE_ZH.items() if credits.get(role)),
                 meta.get("copyright") and f"版权：{meta['copyright']}。"]
        return "\n".join(line for line in lines if line)
    outlet = meta.get("outlet") and _in_english(meta["outlet"], person=False)
    published = " ".join(filter(None, ["Published", outlet and f"by {outlet}", date and f"on {date}"]))

    def people(found: list[str]) -> str:
        return ", ".join(_in_english(name, person=True) for name in found)

    lines = [own_title and _ended(f"Title: {own_title}"),
             meta.get("title_zh") and _ended(f"Chinese title: {meta['title_zh']}"),
             published != "Published" and f"{published}.",
             meta.get("authors") and f"Author | {people(meta['authors'])}",
             meta.get("translators") and f"Translator | {people(meta['translators'])}",
             meta.get("editors") and f"Editor | {people(meta['editors'])}",
             *(f"{label} | {people(credits[role])}" for role, label in _ROLE_EN.items() if credits.get(role)),
             meta.get("copyright") and f"Copyright: {meta['copyright']}."]
    return "\n".join(line for line in lines if line)


def _in_english(value: str, person: bool) -> str:
    """`value` followed by its English rendering when it is a Chinese name English writes otherwise."""
    from index.names import names

    table = names()
    english = (person and table.person(value)) or table.organisation(value)
    return f"{value} ({english})" if english else value


def _in_chinese(value: str) -> str:
    """`value` followed by its Chinese name when it is a name written in English that Chinese writes otherwise."""
    from index.names import names

    chinese = None if CJK.search(value) else names().chinese(value)
    return f"{value}（{chinese}）" if chinese else value


# The renderings `_in_english` and `_in_chinese` add after a name.
_RENDERING = re.compile(r"(?<=[\u3400-\u9fff])\s\([A-Z][A-Za-z'. -]*\)|(?<=[A-Za-z.])（[\u3400-\u9fff]+）")


def as_written(value: str) -> str:
    """A card value as the page gives it: "李玉凡 (Li Yufan), 罗洁 (Luo Jie)" -> "李玉凡, 罗洁",
    "Bloomberg News（彭博社）" -> "Bloomberg News"."""
    return _RENDERING.sub("", value)


def _own_title(article: Article) -> str | None:
    """The headline in the article's own language; None where the page gives it only in the other language
    (the card says that one as the other language's title) or not at all (the title is then the file's name)."""
    other = "en" if article.lang == "zh" else "zh"
    if own := article.metadata.get(f"title_{article.lang}"):
        return own
    if article.title in (article.metadata.get(f"title_{other}"), article.group, article.doc_id):
        return None
    return article.title


def _ended(sentence: str) -> str:
    return sentence if sentence[-1] in ".。!?！？" else sentence + "."


def card_chunk(article: Article) -> Chunk | None:
    """The article's card as a chunk (one sentence a line, paragraph -1, outside the body's offsets)."""
    text = card_text(article)
    if not text:
        return None
    sentences = tuple(split_sentences(text)) or ((0, len(text)),)
    return Chunk(f"{article.doc_id}:{CARD}", article.doc_id, article.group, article.lang, article.title, "", -1,
                 0, 0, text, sentences, {**chunk_metadata(article), "kind": CARD})


def is_card(chunk: Chunk) -> bool:
    return chunk.paragraph < 0 and chunk.chunk_id.endswith(f":{CARD}")
