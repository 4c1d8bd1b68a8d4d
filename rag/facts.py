"""What a sentence states, read against an analysed `Question`: whether it carries the kind of fact asked for, and
whether its figure belongs to what the question names. These are features for the judge, not decisions."""

from __future__ import annotations

import re

from index.text import chinese_names, numbers_in, tokenize
from rag.question import NOT_NAMES, OPENERS, Question, is_total, proper_names

_WEEKDAYS = (r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|周[一二三四五六日天]|星期[一二三四五六日天]")
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|" \
          r"Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
DATE = re.compile(
    rf"((?:{_MONTHS})\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+(?:{_MONTHS})\.?(?:\s+\d{{4}})?|(?:{_MONTHS})\s+\d{{4}}|"
    r"\d{4}年\d{1,2}月(\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{4}年|\d{4}-\d{2}-\d{2}|(at the )?end of (last|this) year|"
    rf"去年底|今年|去年|\b(19|20)\d{{2}}\b|{_WEEKDAYS}|"
    # times of day: "5 a.m.", "10:30", "凌晨五点", "上午9时30分"
    r"\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.?|p\.m\.?|o'clock)|\b\d{1,2}:\d{2}\b|"
    r"(?:凌晨|清晨|早上|上午|中午|下午|傍晚|晚上)[零一二三四五六七八九十两\d]{1,3}(?:点|时)(?:半|[零一二三四五六七八九十\d]{1,2}分)?|"
    r"\d{1,2}(?:点|时)(?:半|\d{1,2}分))", re.I)
ORG_ZH = re.compile(r"[\u4e00-\u9fff]{2,}?(公司|企业|集团|科技|工厂|中心|电信|联通|移动|数据|银行|大学|航空|"
                    r"博物馆|医院|学校|政府|委员会|协会|机构|研究院|报|台|社)")
PLACE_ZH = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:省|市|县|区|镇|乡|村|州|岛|港|湾)")  # place-name suffixes
# Dates before the modern years DATE reads: a bare year, a decade, a century ("in 911", "the 1050s", "the 10th
# and 11th centuries").
ERA = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)(?: and \d{1,2}(?:st|nd|rd|th))? centur(?:y|ies)\b|\b[1-9]\d{2,3}s?\b"
                  r"|(?:公元前?)?\d{1,4}年代?|\d{1,2}世纪")


# English function words: never the first or last word of a short answer
FUNCTION_EN = frozenset("a an the of in on at to for by with from and or as is are was were be been being that which "
                         "who whom whose what when where why how this these those it its their his her they he she "
                         "has have had do does did not no but than then there into over after before during about "
                         "also such can could would should will may might".split())
# Chinese question words (and the measure word after 几/多少): where the answer stands in the statement
WH_ZH = re.compile(r"哪(?:里|儿|些)|(?:哪|几|多少)[一二两三四五六七八九十\d]*[个位家种年天座项条名国次所部本只款届]?|"
                    r"什么|谁|何(?:时|地|人|处)?")
NAME_LATIN = re.compile(r"[A-Z][A-Za-z&'.-]*(?:\s+(?:of|and|&|the|de)?\s*[A-Z][A-Za-z&'.-]*)*")
# Units of measure and Chinese classifiers: a general class, what follows a number to say what it measures.
UNIT = re.compile(r"\s?(?:(?:billion|million|trillion|thousand)\s)?(ms|毫秒|seconds?|minutes?|hours?|days?|weeks?|"
                  r"months?|years?|km|kilomet(?:er|re)s?|met(?:er|re)s?|miles?|square met(?:er|re)s?|sq m|kg|tonnes?|"
                  r"tons?|yuan|dollars?|RMB|euros?|美元|[千万亿萬億]*元|acres?|hectares?|[亩畝]|%|％|per ?cent|percent|"
                  r"小[时時]|分[钟鐘]|秒|天|年|[个個]月|[周週]|公里|米|平方米|[吨噸]|[万萬]?人|名|位|[个個]|家|[只隻]|[条條]|"
                  r"座|[台臺]|[辆輛]|[项項]|倍)", re.I)  # simplified and traditional characters
_ANAPHOR = re.compile(r"(?:It|Its|They|Their|This|These|That|Those|He|She|His|Her|The (?:company|firm|city|"
                      r"project|fund|plant|factory|cent(?:er|re)|group|enterprise|province|province's))\b|"
                      r"这家|该|其|此|它|他|她|这个|这些|这一")
_MEASURE_UNIT = {
    "money": re.compile(r"\s?(?:(?:billion|million|trillion|thousand|bn|m)\s?)?(?:yuan|dollars?|RMB|euros?)\b|"
                        r"\s?[千万亿萬億]*元|\s?美元|\s?(?:bn|billion|million|m)\b", re.I),
    "rate": re.compile(r"\s?(?:%|％|percent\b|per cent\b)"),
    "people": re.compile(r"\s?(?:(?:million|thousand|billion)\s)?(?:people|persons|residents|inhabitants)\b|"
                         r"\s?[万亿萬億]?[多余餘]?人", re.I),
}
_MONEY_BEFORE = re.compile(r"[$€£¥]\s?$")
_POPULATION_BEFORE = re.compile(r"(?:人口|population)[^，,。;；.]{0,8}$", re.I)  # "常住人口5万余人", "人口为8.57万"
# Head nouns that count the same things: "how many AI companies" is answered by "3,000 AI enterprises".
_SAME_COUNT = [("compani", "enterpris", "firm", "busi"), ("公司", "企业")]
_MEASURE_WORDS_ZH = {"亩", "吨", "元"}  # units of measure, where the other words after 多少 are classifiers
_CLAUSE_START = re.compile(r".*[,;:，；：、—(（]", re.S)
_OWNER_EN = re.compile(r"([A-Z][\w&.-]*)(?:'s|’s|\s+(?:has|have|had|boasts|counts))\s+(?:[a-z]+\s+){0,2}$")
_OWNER_ZH = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:有|拥有|共有|现有)(?:超过|约|近|逾|达)?$")
_RESPECTIVELY = re.compile(r"respectively|分别")


def opens_with_anaphor(sentence: str) -> bool:
    """"The company was listed…": the sentence is about what an earlier one names."""
    return bool(_ANAPHOR.match(sentence))


def has_kind(text: str, q: Question, *, counted: bool = True) -> bool:
    """Whether `text` carries the kind of fact the question asks for (`counted=False`: any number will do)."""
    if q.kind == "number":
        if q.measure:
            return measures(text, q.measure)
        return counts_thing(text, q.counted) if q.counted and counted else bool(numbers_in(text))
    if q.kind == "date":
        return bool(DATE.search(text))
    if q.kind in ("who", "place", "name"):  # a credit line, or a name the question does not already say
        return bool(re.search(r"[|｜]", text)) or bool(new_names(text, q, tagged=False))
    return False


def new_names(text: str, q: Question, tagged: bool = True) -> list[str]:
    """Names in `text` (capitalised English runs, Chinese organisations and, when `tagged`, what jieba's tagger
    calls a name: slow, so only where a name is asked for) that the question does not say."""
    known = set(q.tokens) | NOT_NAMES
    found = [m.group() for m in NAME_LATIN.finditer(text)
             if (m.start() or m.group().split()[0].lower() not in OPENERS) and not set(tokenize(m.group())) <= known]
    if not text.isascii():
        found += [m.group() for m in ORG_ZH.finditer(text) if m.group() not in q.searched]
        found += [m.group() for m in PLACE_ZH.finditer(text) if m.group() not in q.searched]
        found += [n for n in chinese_names(text) if n not in q.searched] if tagged else []
    return found


def measures(text: str, measure: str) -> bool:
    """A number in `text` carrying the measure's unit ("62.1 billion yuan", "621亿元", "30%", "$72bn")."""
    if measure == "rate" and "百分之" in text:
        return True
    return any(measured_at(text, start, end, measure) for start, end, _ in numbers_in(text))


def measured_at(text: str, start: int, end: int, measure: str) -> bool:
    """Whether the number at text[start:end] carries the measure's unit."""
    return bool(_MEASURE_UNIT[measure].match(text, end)
                or (measure == "money" and _MONEY_BEFORE.search(text[max(0, start - 2) : start]))
                or (measure == "people" and _POPULATION_BEFORE.search(text[max(0, start - 16) : start]))
                or (measure == "rate" and text[max(0, start - 3) : start] == "百分之"))


def counts_thing(text: str, counted: tuple[str, ...]) -> bool:
    """A number in `text` followed closely by what the question counts."""
    return any(counted_after(text, end, counted) for _, end, _ in numbers_in(text))


def _count_forms(t: str) -> tuple[str, ...]:
    return next((group for group in _SAME_COUNT if t in group), (t,))


def _after_number(text: str, end: int, counted: tuple[str, ...]) -> str:
    """Where the counted thing may follow the number ending at `end`: 40 characters of English, 12 of Chinese."""
    return text[end : end + (40 if counted[0].isascii() else 12)]


def counted_after(text: str, end: int, counted: tuple[str, ...]) -> bool:
    """Whether the number ending at `end` counts the thing: "546,000 standard racks", "54.6万标准机架"."""
    after = _after_number(text, end, counted)
    if counted[0].isascii():  # by substring, so web-dump glued words ("enterprisesforming") still count
        return all(any(f in after.lower() for f in _count_forms(t)) for t in counted)
    if counted[0] in _MEASURE_WORDS_ZH:  # "多少吨水": tonnes right after the number, not "30%用电用水"
        return re.match(r"\s*[多余十百千万亿]*" + counted[0], text[end:]) is not None
    return any(f in after for t in counted for f in _count_forms(t))


def thing_end(text: str, end: int, counted: tuple[str, ...]) -> int:
    """Where the counted thing after the number ending at `end` ends ("650头" -> after 头)."""
    lower = _after_number(text, end, counted).lower()
    found = [lower.find(f) + len(f) for t in counted for f in _count_forms(t) if f in lower]
    return end + (max(found) if found else 0)


def clause_before(text: str, start: int, reach: int = 80) -> str:
    """The words of the clause that lead up to position `start` ("with a total investment of")."""
    before = text[max(0, start - reach) : start]
    return before[m.end():] if (m := _CLAUSE_START.match(before)) else before


def counted_for_others(text: str, q: Question) -> bool:
    """Whether every count of the thing in `text` belongs to a place or body the question does not name:
    "Shenzhen's over 3,000 AI enterprises" for a question about all of Guangdong."""
    if not q.counted or (not q.names and not q.chinese):
        return False  # the question names no one: it does not ask for anyone's count in particular
    asked = set(q.tokens)
    owned = []
    for start, end, _ in numbers_in(text):
        if not counted_after(text, end, q.counted):
            continue
        before, between = clause_before(text, start, reach=40), text[end : thing_end(text, end, q.counted)]
        if re.search(r"[,;:，；：。、]", between):
            continue  # the thing belongs to another number, in another clause
        names: set[str] = set()
        if m := _OWNER_EN.search(before):
            names |= set(proper_names(m.group(1)))
        if m := _OWNER_ZH.search(before):
            names |= set(chinese_names(m.group(1)))
        names |= set(chinese_names(between)) if not between.isascii() else set(proper_names(between))
        if not names:
            return False  # a count with no owner of its own: the question's subject may be the sentence's
        owned.append(bool(names & asked) or any(a in before + between for a in q.chinese))
    return bool(owned) and not any(owned)


def total_for_others(quote: str, before: str, translation: str, q: Question) -> bool:
    """Whether the figure is a total over many ("a total investment of 62.1 billion yuan" across 22 projects)
    while the question asks about one of them by a name that neither the sentence, the one before it nor its
    translation says. A question that asks for the total itself is answered by it."""
    if q.asks_total or not is_total(quote) or (not q.names and not q.chinese) or not (q.measure or q.counted):
        return False
    answering = [start for start, end, _ in numbers_in(quote)  # the figures of what is asked
                 if (_MEASURE_UNIT[q.measure].match(quote, end) if q.measure else counted_after(quote, end, q.counted))]
    if not answering or not all(is_total(clause_before(quote, start)) for start in answering):
        return False  # "22 projects have settled in, with a total investment of…": the count is not the total
    around = f"{before} {quote} {translation}"
    words = set(tokenize(around))
    return any(n not in words for n in q.names) or any(n not in around for n in q.chinese)


def respective_pairs(quote: str) -> list[tuple[str, tuple[int, int]]]:
    """"to Guangzhou and Shenzhen ... 1.3 ms and 1.66 ms respectively": each item with the span of its value, by
    position; empty when the sentence pairs nothing."""
    marker = _RESPECTIVELY.search(quote)
    if not marker:
        return []
    spans = [(a, b) for a, b, _ in numbers_in(quote)]
    after = [(a, b) for a, b in spans if marker.end() <= a <= marker.end() + 30]  # 分别降至1.3ms、1.66ms
    before = [(a, b) for a, b in spans if marker.start() - 40 <= a < marker.start()]  # to 1.3 and 1.66 ms respectively
    values = after if len(after) >= 2 else before
    if len(values) < 2:
        return []
    items_text = quote[: min(values[0][0], marker.start())]
    items = re.split(r"、|,|，| and |和|与|及", items_text)[-len(values):]
    return [(item[-16:], value) for item, value in zip(items, values, strict=False)]  # the item's own words


def pairs_others(quote: str, context_tokens: frozenset[str], context_text: str, q: Question) -> bool:
    """Whether the sentence pairs values with items ("to Guangzhou and Shenzhen … respectively"), none of them the
    question's, and the question names something that neither the passage nor its translation says."""
    pairs = respective_pairs(quote)
    if not pairs or (q.counted and not any(counted_after(quote, end, q.counted) for _, (_, end) in pairs)):
        return False
    asked = set(q.tokens)
    for item, _ in pairs:  # an item is known by its name ("深圳"), not by words it shares with the question (时延)
        names = set(proper_names(item)) | {t for n in chinese_names(item) for t in tokenize(n)}
        if asked & (names or set(tokenize(item))):
            return False
    return any(n not in context_tokens for n in q.names) or any(n not in context_text for n in q.chinese)


def says_name(token: str, context_tokens: frozenset[str], context_text: str) -> bool:
    """Whether the passage (or its translation) says an English name, given as its search token: as a token, or as
    the start of a word ("stam" of "Stam1na", "mp" of "MP3", "star" of "STAR-listed")."""
    head = token.split("-")[0]
    return token in context_tokens or bool(re.search(r"(?<![a-z0-9])" + re.escape(head), context_text.lower()))


def renders(translation: str, q: Question) -> bool:
    """Whether a sentence's translation says every name of the question (English names as tokens)."""
    if not q.names and not q.chinese:
        return False
    words = set(tokenize(translation)) if q.names else set()
    return all(n in words for n in q.names) and all(n in translation for n in q.chinese)
