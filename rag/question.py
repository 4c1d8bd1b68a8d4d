"""A question, analysed once: its language, the kind of fact it asks for, the measure or thing it counts, the
names, numbers and events it speaks of. Every later stage reads these fields; none derives them again."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import Lang, chinese_names, numbers_in, tokenize

# What kind of fact a question asks for. The patterns name question words and general classes of measured
# things (prices, rates, populations), never a word of one article.
_SOLD_FOR = r"\b(?:sells?|selling|sold|retails?|retailing|retailed|priced) (?:for|at)\b"  # what a thing sells for
_ASKS = [
    ("number", re.compile(r"\bhow (many|much|far|long|large|big|low|high|old)\b|"
                          r"\bwhat (is|was) the (total|number|scale|size|one-way|"
                          r"amount|latency|percentage|share)|\bwhat percentage|多少|几[个家只条座天年位名]|"
                          r"多大|多远|多久|多长|多高|多宽|多深|多快|几岁|规模|时延|比例|百分之|占比|\brate\b|\bpercentage\b|\bproportion\b|"
                          # a change's size or a range of values: "股价涨幅在什么区间？", "in what range"
                          r"涨幅|跌幅|增幅|降幅|区间|\b(?:what|which) range\b|"
                          r"\bwhat (?:is|was|are|were) (?:the |its |their |[\w&.-]+'s )?(?:[\w-]+ ){0,2}?(?:price|cost|"
                          r"revenue|population|valuation|budget|salary|turnover|profit)s?\b|"
                          # a price asked with a verb: "what does it sell for?", "what will it retail at?"
                          rf"{_SOLD_FOR}|"
                          r"\bwhat (?:does|do|did|will|would) .{1,60}? cost\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|month|date|day|time|hour)\b|\bat what (time|hour)\b|几点|"
                        r"\bwhich (year|month|date|day)\b|\bon what date\b|"
                        r"什么时候|何时|哪一?年|几月|哪个月|哪一天|哪天|什么时间|日期|星期几", re.I)),
    ("who", re.compile(r"\bwho\b|\bwhose\b|\bwhich (company|companies|firm|enterprise|person|people|reporters?|"
                       r"journalists?|authors?|writers?|translators?|editors?|newspapers?|papers?|publications?|media|"
                       r"outlets?|agency|agencies|organi[sz]ations?|institutions?|universit(?:y|ies)|banks?|airlines?|"
                       r"team|club|brand|museum|school|hospital)\b|谁|哪位|哪家|哪个机构|哪些(公司|企业|项目)|"
                       r"哪个公司|什么公司|什么企业|什么名字|叫什么", re.I)),
    ("place", re.compile(r"\bwhere\b|\bwhich (city|cities|town|country|countries|province|region|district|port|"
                         r"airport|place|state|island|village)\b|\bin what (city|town|country|place)\b|哪里|哪儿|"
                         r"什么地方|哪座|哪个(城市|国家|省|地区|地方|区|镇|港口)|哪[国省市镇县]", re.I)),
    # "Which expressway…", "What slogan…", "哪种主题": a name or title of a thing the question classifies.
    ("name", re.compile(r"^\s*(?:which|what)\s+(?!(?:is|was|are|were|do|does|did|has|have|had|can|will|would|"
                        r"kind|kinds|sort|type|types|happened|happens)\b)[a-z-]+|\bname of\b|哪[个种类款部本首]|"
                        r"什么(?:名|主题|口号|品牌|产品|项目)", re.I)),
]

# Events that a date or figure belongs to. "When will it be finished?" is not answered by the day it broke ground,
# and "when did it go public?" is answered by the day it was listed: same event, other words.
_EVENTS = {
    "begin": re.compile(r"\b(?:break|breaks|broke|breaking) ground\b|\bground-?breaking\b|\b(?:start|starts|started|"
                        r"began|begin|begins|commenc\w*) (?:construction|building|work)\b|\bconstruction (?:start|"
                        r"began|begin|commenc)\w*|开工|动工|奠基|破土", re.I),
    "finish": re.compile(r"\b(?:finish(?:ed|es)?|complet(?:e|ed|es|ion)|operational|(?:in|into) (?:operation|service)|"
                         r"up and running)\b|建成|竣工|完工|投产|投入(?:使用|运营|运行)|落成|点亮", re.I),
    "listing": re.compile(r"\b(?:go|goes|going|went|gone) public\b|\bIPO\b|\blist(?:s|ed|ing)? on\b|上市|挂牌|"
                          r"登陆[\u4e00-\u9fff]{0,3}板", re.I),
    "plan": re.compile(r"\bplan(?:s|ned|ning)?\b|\bto be built\b|\btarget(?:s|ed)?\b|规划|计划|拟建|目标", re.I),
    "founding": re.compile(r"\b(?:founded|incorporated)\b|\b(?:was|were) (?:established|set up)\b|成立|创立|创办",
                           re.I),
}

# The roles of a byline or credit line, in either language: "Who did the final review?" is answered by the line
# "终审|程敏苏" or "Final review | 程敏苏", "the chief planner" by "Planning | …" (a planner plans).
_ROLES = {
    "author": re.compile(r"\b(?:authors?|authored|wr[io]te|written|writers?|byline|reporters?|reported by|"
                         r"correspondents?)\b|作者|记者|撰稿|撰文|^文$", re.I),
    "translator": re.compile(r"\btranslat\w*|翻译|译者|^译$", re.I),
    "editor": re.compile(r"\b(?:edit|edited|editing|editors?)\b|编辑|责编|编审", re.I),
    "proofreading": re.compile(r"\bproof-?read\w*|\bcopy[- ]?edit\w*|审校|校对", re.I),
    "final review": re.compile(r"\b(?:final )?review(?:s|ed|er|ing)?\b|终审", re.I),
    "planning": re.compile(r"\bplan(?:s|ned|ner|ners|ning)?\b|策划|统筹", re.I),
    "supervision": re.compile(r"\bsupervis\w*|\bproducers?\b|\bproduced by\b|监制|出品", re.I),
    "photo": re.compile(r"\bphoto\w*|\bpictures?\b|\bimages?\b|摄影|拍摄|^图$", re.I),
    "video": re.compile(r"\bvideos?\b|\bfilm(?:ed|ing)?\b|视频|摄像", re.I),
}

# Question words and sentence openers: capitalised because of where they stand, not because they name anything.
NOT_NAMES = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "do",
             "does", "did", "the", "in", "on", "by", "and", "apart", "roughly", "name", "tell", "ai", "i", "english",
             "chinese", "exactly", "about", "approximately", "between", "according", "now", "counting"}
OPENERS = {"in", "the", "as", "so", "for", "at", "meanwhile", "through", "multiple", "this", "these", "it", "its",
           "with", "by", "on", "from", "since", "after", "before", "during", "over", "according", "however", "also",
           "and", "but", "to", "a", "an", "there", "while", "when", "although", "last", "next", "today", "recently",
           "currently", "such", "other", "all", "some", "many", "most", "each", "both", "one", "two"}

# Words about the document or its language versions, not about what it says: no passage is expected to hold them.
META_WORDS = {"articl", "report", "stori", "news", "text", "author", "文章", "报道", "本文", "文中", "原文",
              "version", "文版", "英文版", "中文版", "文名", "英文名", "中文名"}
# A question about the document itself (its credits, outlet, publication, headline) rather than what it says:
# the roles of a byline or credit line, publishing, and the headline, in either language. "The article" alone
# does not make one ("According to the article, how many ...?" asks what it says).
_META = re.compile(r"\b(authors?|byline|copyright|credited|credits?|publish\w*|posted|publisher|source|outlet|"
                   r"newspaper|news (?:organi[sz]ation|agency|outlet)|media outlet|reporters?|correspondents?|"
                   r"photographers?|photos? by|editors?|edited|translat\w+|proofread\w*|review(?:ed|er)?|"
                   r"copy[- ]?edit\w*|headline|title of (?:this|the) (?:article|piece|story|report|item)|who wrote|"
                   r"written by)\b|作者|记者|编辑|责编|审校|终审|"
                   r"校对|编审|监制|统筹|撰稿|来源|版权|出处|发布|发表|刊登|刊发|翻译|译者|摄影师|摄影记者|拍摄者|策划|标题|题目|"
                   r"哪家(?:媒体|报纸|报社|网站|通讯社)", re.I)
# The piece itself named as the thing credited ("the article", "this piece", "这篇稿件", "本文"), not a work the
# text is about ("九命奇冤的作者是谁？", "What does Seerhein translate to?").
_THE_PIECE = re.compile(r"\b(?:the|this)\s+(?:article|piece|story|report|news item|item|post|text|video)\b|"
                        r"(?:这|此|该|本)(?:篇|则|条|个)?(?:文章|稿件|报道|新闻|视频|文)|这篇|稿件", re.I)
# a version or a rendering named, not the language as a subject ("英语学习机构" asks what the page says)
_ASKS_ENGLISH = re.compile(r"英[文语](?:版|原文|报道|稿|名|中|里|怎么|叫|写|称|译|表述|说法|标题|题目)|用英[文语]|"
                           r"English")
_ASKS_CHINESE = re.compile(r"中文|汉语|Chinese (version|text|name|original|title|headline)|in Chinese", re.I)
# A question for the document's headline ("What is the headline?", "这篇文章的标题是什么？"), not for a title
# something in it holds ("What title does the factory hold?").
_ASKS_TITLE = re.compile(r"\bheadlines?\b|\btitle of (?:this|the) (?:article|piece|story|report|item|news)|"
                         r"\b(?:article|piece|story|report)(?:'s| is) (?:title|called|titled|headlined)\b|"
                         r"\b(?:titled|headlined)\b|标题|题目|题为", re.I)
_TOTAL = re.compile(r"\b(?:total|combined|altogether|in all|aggregate|cumulative)\b|总|合计|累计|一共|共计", re.I)

_COUNTED_EN = re.compile(r"\bhow (?:many|much) ((?:[a-z-]+ ){0,2}?[a-z-]+?)(?= (?:is|are|was|were|do|does|did|has|have|"
                         r"had|will|can|would|in|of|from|to|at|by|for)\b|[?.]|$)", re.I)
_COUNTED_ZH = re.compile(r"(?:多少|几)([个家条只座亩辆吨台项名位人元]?)([\u4e00-\u9fff]{0,4})")

# "How much is it investing?" wants an amount of money and "what is the utilization rate?" a percentage: a number
# of anything else does not answer them.
_RATE = re.compile(r"\brate\b|\bpercentage\b|\bproportion\b|\bshare of\b|比例|占比|百分比|[^频]率", re.I)
_MEASURE_ASKED = [
    ("money", re.compile(r"\binvest|\bcost|\bspen[dt]|\bprice|\bworth|\bbudget|\brevenue|\bmoney\b|\bfunding\b|"
                         r"\brais(?:e|ed|ing)\b|\bput (?:in|into)\b|"
                         rf"{_SOLD_FOR}|投资|资金|钱|金额|花费|"
                         r"成本|造价|融资|营收|收入|售价|价格", re.I)),
    ("people", re.compile(r"\bpopulation\b|人口", re.I)),
    ("rate", _RATE),
]
# Verbs of change: "how much did prices rise?" is answered by an amount or by a percentage alike.
_CHANGE = re.compile(r"\b(?:ris(?:e|es|en|ing)|rose|f[ae]ll(?:s|en|ing)?|increas\w*|decreas\w*|drop\w*|gr[eo]w\w*|"
                     r"declin\w*|climb\w*|jump\w*|surg\w*|shr[iu]nk\w*|(?:go|goes|went|gone) (?:up|down))\b|"
                     r"涨|跌|增长|下降|上升|下滑|提高|降低|增加|减少|增幅|降幅|上调|下调", re.I)


@dataclass(frozen=True, slots=True)
class Question:
    """One question, analysed once. `searched` is the text actually searched: the question itself, or, for an
    elliptical or pronoun-led follow-up, the question with the earlier turn it leans on."""

    text: str  # as asked
    searched: str  # after follow-up resolution; every field below describes this text
    lang: Lang  # the language it is written in
    answer_lang: Lang  # the language to answer in (the caller's choice, else `lang`)
    asked_lang: Lang  # the version it asks about ("what is it called in the English version?": "en")
    kind: str | None  # "number", "date", "who", "place", "name", or None for a descriptive question
    measure: str | None  # "money", "rate", "people" for a number asked in that measure
    counted: tuple[str, ...]  # tokens of the thing a "how many" question counts
    names: tuple[str, ...]  # English proper names, as search tokens
    chinese: tuple[str, ...]  # Chinese names (places, people, organisations)
    numbers: tuple[str, ...]  # canonical values of the numbers it says
    events: frozenset[str]  # events a date or figure is asked of ("listing", "finish", ...)
    tokens: tuple[str, ...]  # search tokens of `searched`
    carried: tuple[str, ...] = ()  # tokens borrowed from an earlier turn (empty for a standalone question)
    asks_total: bool = False  # "what is the total investment": a total answers it
    meta: bool = False  # asks about the document (author, source, version) rather than what it says
    roles: frozenset[str] = frozenset()  # the credit roles it asks about ("translator", "final review", ...)
    asks_title: bool = False  # asks for the document's headline (in the version `asked_lang`)
    asks_credit: bool = False  # asks who held a credit role of the piece itself ("Who translated the article?")
    preferred: Lang | None = None  # the language the caller asked the answer in, when it was not "auto"

    @property
    def resolved(self) -> bool:
        return self.searched != self.text


def parse_question(text: str, lang: Lang, *, searched: str | None = None, carried: tuple[str, ...] = (),
                   answer_lang: Lang | None = None) -> Question:
    """Analyse `searched` (default: `text`), a question in `lang`; `answer_lang` is the caller's choice of answer
    language (None: the question's own)."""
    searched = searched or text
    preferred = answer_lang if answer_lang and answer_lang != lang else None
    kind = question_kind(searched)
    meta = about_document(searched)
    roles = credit_roles(searched) if meta else frozenset()
    measure = measure_asked(searched) if kind == "number" else None
    return Question(
        text=text, searched=searched, lang=lang, answer_lang=answer_lang or lang,
        asked_lang=preferred or asked_language(searched, lang), kind=kind, measure=measure,
        counted=() if measure else tuple(counted_thing(searched)) if kind == "number" else (),
        names=tuple(proper_names(searched)), chinese=chinese_names(searched),
        numbers=tuple(v for _, _, v in numbers_in(searched)),
        events=frozenset(events_in(searched)) if kind in ("date", "number") else frozenset(),
        tokens=tuple(tokenize(searched)), carried=tuple(carried), asks_total=bool(_TOTAL.search(searched)),
        meta=meta, roles=roles, asks_title=meta and bool(_ASKS_TITLE.search(searched)), preferred=preferred,
        asks_credit=bool(roles) and bool(_THE_PIECE.search(searched)))



def about_document(question: str) -> bool:
    """Whether the question asks about the document (its credits, outlet, publication, headline)."""
    return bool(_META.search(question))


def credit_roles(text: str) -> frozenset[str]:
    """The credit roles a question asks about, or a credit line's label names ("Final review", "策划")."""
    return frozenset(role for role, pattern in _ROLES.items() if pattern.search(text.strip()))


def question_kind(question: str) -> str | None:
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def events_in(text: str) -> set[str]:
    """The kinds of event a text speaks of ("begin", "finish", "listing", "plan", "founding")."""
    return {name for name, pattern in _EVENTS.items() if pattern.search(text)}


def proper_names(text: str) -> list[str]:
    """Capitalised English words inside the text (names of places, companies, people), as tokens."""
    words = re.findall(r"(?<![\w'-])([A-Z][a-zA-Z0-9]+(?:-[A-Za-z0-9]+)*)", text)  # "Eco-Factory", "C919"
    return [t for w in words if w.lower() not in NOT_NAMES and w.lower() not in OPENERS for t in tokenize(w)]


def asked_language(question: str, q_lang: Lang) -> Lang:
    """The language whose version the question asks about: its own, unless it names the other one."""
    if q_lang == "zh" and _ASKS_ENGLISH.search(question):
        return "en"
    if q_lang == "en" and _ASKS_CHINESE.search(question):
        return "zh"
    return q_lang


def counted_thing(question: str) -> list[str]:
    """What a "how many X" / "多少X" question counts: words of X to find right after the number."""
    if m := _COUNTED_EN.search(question):
        words = [w for w in tokenize(m.group(1)) if not w.startswith("#")]
        return words[-1:]  # the head noun: "server racks" -> "rack"
    if m := _COUNTED_ZH.search(question):
        unit, noun = m.group(1), re.split(r"[的了吗呢是有在]", m.group(2))[0]
        return [t for t in (unit, noun[:2]) if t]
    return []


def measure_asked(question: str) -> str | None:
    """"money", "rate" or "people" when a number question asks for an amount of money, a percentage or a
    population. A change in an amount ("how much did prices rise?") asks for no one measure: the amount or
    the percentage answers it; only a rate asked by name stays a rate ("增长率")."""
    if question_kind(question) != "number":
        return None
    counted = counted_thing(question)
    for name, pattern in _MEASURE_ASKED:  # "多少比例": the ratio is what is measured, not a thing counted
        if pattern.search(question) and (not counted or pattern.search("".join(counted))):
            if name != "rate" and _CHANGE.search(question):
                return "rate" if _RATE.search(question) else None
            return name
    return None


def is_total(text: str) -> bool:
    return bool(_TOTAL.search(text))
