"""Language-level text helpers shared by indexing and answering: language, sentences, tokens, numbers."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Literal

Lang = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def cjk_ratio(text: str) -> float:
    """Share of letters (CJK or Latin) that are CJK ideographs."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return cjk / (cjk + latin / 4) if cjk + latin else 0.0  # four Latin letters weigh about one ideograph


def detect_lang(text: str) -> Lang | None:
    """'zh', 'en', or None when the text has neither enough Chinese nor Latin letters to tell."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0 and latin < 2:
        return None
    return "zh" if cjk_ratio(text) >= 0.5 else "en"


def normalize_width(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC), keeping CJK text as is."""
    return unicodedata.normalize("NFKC", text)


# ---------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "no", "vs", "etc", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "e.g", "i.e",
    "fig", "approx", "dept", "gov", "mt",
}
# A sentence ends at Chinese 。！？； (plus closing quotes), or at . ! ? followed by space and a capital/CJK/quote.
_ZH_END = re.compile(r"[。！？；!?][”’」』）)]*")
_EN_END = re.compile(r"[.!?][\"'”’)]*(?=\s+[\"'“‘(]?[A-Z0-9\u4e00-\u9fff]|\s*$)")
# A stop with no space after it, between a lower-case word and a capitalised one: pages that lost the space
# between two sentences ("…delays for the project.The single-aisle C919 flew…"). "U.S.The" and "Mr.Smith" are
# left alone (no two lower-case letters before the stop), abbreviations as above.
_GLUED_END = re.compile(r"(?<=[a-z]{2})[.!?](?=[A-Z][a-z])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) covering `text`, whitespace trimmed, for English and Chinese alike.

    Newlines always end a sentence (credit lines, lists). Abbreviations and decimals (`1.3 ms`) never do.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, body = line.start(), line.group()  # group() copies: take it once per line, not per sentence
        cuts = [m.end() for m in _ZH_END.finditer(body)]
        for m in (*_EN_END.finditer(body), *_GLUED_END.finditer(body)):
            # Only the word before the stop decides (abbreviation, initial, unit), so look at a bounded window:
            # searching the whole prefix at every stop made a long line quadratic.
            before = body[max(0, m.start() + 1 - _WINDOW) : m.start() + 1]
            word = _WORD_BEFORE_STOP.search(before)
            if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS \
                    and not _UNIT_BEFORE_STOP.search(before):  # "1.3 ms." is a unit, not "Ms."
                continue
            if word and len(word.group(1)) == 1 and word.group(1).isupper():  # initials: "J. Smith"
                continue
            cuts.append(m.end())
        prev = 0
        for cut in sorted(set(cuts)) + [len(body)]:
            if cut > prev:
                _append_trimmed(spans, text, start + prev, start + cut)
                prev = cut
    return spans


_WINDOW = 64  # characters before a full stop that decide whether it ends a sentence
_WORD_BEFORE_STOP = re.compile(r"([A-Za-z.]+)\.$")
_UNIT_BEFORE_STOP = re.compile(r"\d\s*[a-z]+\.$")


def _append_trimmed(spans: list[tuple[int, int]], text: str, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a and _HAS_WORD.search(text, a, b):
        spans.append((a, b))


_HAS_WORD = re.compile(r"\w")


# ---------------------------------------------------------------- numbers

_SCALE = {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2, "万亿": 1e12,
          "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3}
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(万亿|万|亿|千|百|thousand|million|billion|trillion))?(?![0-9])",
    re.IGNORECASE,
)


def numbers_in(text: str) -> list[tuple[int, int, str]]:
    """Every number in `text` as (start, end, canonical value) — `546,000`, `54.6万` and `546000` all give '546000'."""
    found = []
    for m in _NUMBER.finditer(normalize_width(text)):
        whole, frac, scale = m.group(1).replace(",", ""), m.group(2), m.group(3)
        value = float(f"{whole}.{frac}" if frac else whole) * _SCALE.get((scale or "").lower(), 1)
        canonical = f"{value:.6f}".rstrip("0").rstrip(".")
        found.append((m.start(), m.end(), canonical))
    return found


# ---------------------------------------------------------------- tokens for BM25 and lexical overlap

_STOP_EN = set(
    """a an the of and or to in on at for by with from as is are was were be been being has have had do does did
    this that these those it its their there here which who whom whose what when where why how than then so such
    into over under about after before also very can could will would should may might must not no yes any all
    some many much more most other others own same too just only both each few per via up out off if but because
    while during between through across against among upon i you he she we they me him her us them my your our
    his hers ours theirs mine yours tell please name kind sort type roughly approximately exactly currently
    now still already ever get got give gave make made say said does doing done one ones""".split()
)
_STOP_ZH = set(
    "的 了 是 在 和 与 及 或 等 也 都 就 而 被 把 对 为 以 于 从 到 向 个 这 那 这个 那个 什么 哪 哪个 哪些 哪家 "
    "多少 几 怎么 怎样 如何 为什么 吗 呢 吧 啊 呀 有 没有 是否 请问 请 一下 告诉 我 你 他 她 它 我们 他们 其 之 "
    "中 上 下 里 可以 能 会 已 已经 将 还 又 再 并 且 但 所 该 此 各 每 约 近 超过 多 少 要 来 用 把 让 给 "
    "时候 什么时候 一共 总共 哪类 哪种 哪方面 哪些方面 方面 这些 那些 那到 到底 究竟 目前 现在 如今 提到 "
    "是不是 有没有 多大 多久 怎样 那么 还有 其中 之一 属于 称为 叫做 叫 指 正 在于".split()
)

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff]+")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_STEM_LOCK = threading.Lock()  # a snowball stemmer keeps its word in the object: two threads at once corrupt it


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _STEM_LOCK:
        return _stemmer().stemWord(word)


def english_tokens(text: str, stemmer) -> list[str]:
    """`tokenize`'s tokens for the English words of `text`, stemmed by the caller's own snowball `stemmer`
    (a stemmer object is not thread-safe: a background thread must not share tokenize's)."""
    return [stemmer.stemWord(w) for w in _WORD.findall(normalize_width(text).lower())
            if not _CJK.match(w) and not w.isdigit() and w not in _STOP_EN]


_CJK_WORD = re.compile(_CJK.pattern + "+")
_NAME_TAGS = {"ns", "nr", "nt", "nz", "nrt", "nrfg"}  # jieba's tags for places, people, organisations, other names
_LANGUAGE_WORD = re.compile(r"英文|中文|英语|汉语|文版")  # "英文版", "英文名": the versions, not names in them
# jieba tags these as names; they name no one in particular
_NOT_NAMES_ZH = {"上市", "中国", "国内", "全国", "全省", "全市", "城市"}


@lru_cache(maxsize=4096)
def chinese_names(text: str) -> tuple[str, ...]:
    """Names of places, people and organisations in Chinese text, by jieba's part-of-speech tags, as written
    (traditional text is tagged in its simplified form, whose words jieba's dictionary knows)."""
    import jieba.posseg

    _jieba()
    tagged = for_cutting(text)
    words, at = [], 0
    for w in jieba.posseg.cut(tagged):
        start = tagged.find(w.word, at)
        at = start + len(w.word) if start >= 0 else at
        if start >= 0 and w.flag in _NAME_TAGS and len(w.word) >= 2:
            words.append(text[start:at])
    return tuple(dict.fromkeys(w for w in words if _CJK_WORD.fullmatch(w) and w not in _NOT_NAMES_ZH
                               and not _LANGUAGE_WORD.search(w) and not re.search(r"哪|什么|多少", w)))


_COMMON_WORD = 100  # dictionary frequency; 成都 2770, 珠海 366, 韶关 68, coined words 0


@lru_cache(maxsize=4096)
def well_known_place(name: str) -> bool:
    """Whether jieba's dictionary knows `name` as a place and as a common word (成都, 香港; not the 巴士-like tags
    or the names it coins for unknown words). A question about such a place that no passage mentions is out of
    scope; a rare or coined "name" may just be spelled another way in the text."""
    import jieba.posseg

    _jieba()
    words = list(jieba.posseg.cut(name))
    return len(words) == 1 and words[0].flag == "ns" and jieba.dt.FREQ.get(name, 0) >= _COMMON_WORD


def tokenize(text: str) -> list[str]:
    """Search tokens for BM25: jieba words for Chinese (in simplified characters, whichever script the text is
    in), lower-cased stemmed words for English, and every number in canonical form prefixed '#' so `546,000`
    and `54.6万` match across languages."""
    return list(_tokenize(text))


@lru_cache(maxsize=1)
def _to_simplified():
    """OpenCC's traditional -> simplified character converter (Hong Kong, Macao and Taiwan sources)."""
    import opencc

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=65_536)  # answering re-reads the same few passages for every question
def _tokenize(text: str) -> tuple[str, ...]:
    text = normalize_width(text).lower()
    if _CJK.search(text):  # simplified tokens: 臺灣師範大學 and 台湾师范大学 match; the text stays as written
        text = _to_simplified()(text)
    tokens = ["#" + value for _, _, value in numbers_in(text)]
    text = _NUMBER.sub(" ", text)
    for m in _WORD.finditer(text):
        word = m.group()
        if _CJK.match(word):
            for w in _jieba().lcut_for_search(word):
                if w not in _STOP_ZH:
                    tokens.append(w)
        elif word not in _STOP_EN:
            tokens.append(_stem(word))
    return tuple(tokens)


# ---------------------------------------------------------------- for the answer stages (rag/)

CJK = _CJK  # one Chinese character


def stem(word: str) -> str:
    """The snowball stem `tokenize` gives a lower-cased English word."""
    return _stem(word)


def simplified(text: str) -> str:
    """`text` in simplified characters (OpenCC t2s), as `tokenize` reads it."""
    return _to_simplified()(text)


def for_cutting(text: str) -> str:
    """The text jieba should cut: `text` in simplified characters, whose words its dictionary knows, when OpenCC
    maps it one character for one (so offsets into it are offsets into `text`), else `text` as written."""
    plain = _to_simplified()(text)
    return plain if len(plain) == len(text) else text


def jieba_ready():
    """jieba, initialised once, quiet."""
    return _jieba()
