"""Extractive, grounded answers: pick the sentence that carries what the question asks for, quote it verbatim
with its marker, pull out the short answer span, or abstain when the evidence does not cover the question."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from index.align import SENTENCE_MOVES, align_paragraphs
from index.store import Store
from index.text import chinese_names, detect_lang, numbers_in, tokenize, well_known_place
from rag.retrieve import Hit

# What kind of fact a question asks for, and the pattern of text that carries it.
_ASKS = [
    ("number", re.compile(r"\bhow (many|much|far|long|large|big|low|high)\b|"
                          r"\bwhat (is|was) the (total|number|scale|size|one-way|"
                          r"amount|latency|percentage|share)|\bwhat percentage|多少|几[个家只条座]|多大|多远|多久|"
                          r"规模|时延|比例|百分之|占比|\brate\b|\bpercentage\b|\bproportion\b|"
                          r"\bwhat (?:is|was|are|were) (?:the |its |their |[\w&.-]+'s )?(?:[\w-]+ ){0,2}?(?:price|cost|"
                          r"revenue|population|valuation|budget|salary|turnover|profit)s?\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|month|date)\b|\bwhich year\b|什么时候|何时|哪一?年|几月|哪个月|"
                        r"什么时间|日期", re.I)),
    ("who", re.compile(r"\bwho\b|\bwhose\b|\bwhich (company|companies|firm|enterprise|person|people|reporters?|"
                       r"journalists?|authors?|writers?|translators?|editors?|newspapers?|papers?|publications?|media|"
                       r"outlets?|agency|agencies|organi[sz]ations?|institutions?|universit(?:y|ies)|banks?)\b|谁|哪位|"
                       r"哪家|哪些(公司|企业|项目)|哪个公司|什么公司|什么企业", re.I)),
]
_DATE = re.compile(
    r"((January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{4}|"
    r"\d{4}年\d{1,2}月(\d{1,2}日)?|\d{4}年|\d{4}-\d{2}-\d{2}|(at the )?end of (last|this) year|去年底|今年|去年|"
    r"\b(19|20)\d{2}\b)", re.I)
_ORG_ZH = re.compile(r"[\u4e00-\u9fff]{2,}?(公司|企业|集团|科技|工厂|中心|电信|联通|移动|数据|银行|大学)")
_NAME_LATIN = re.compile(r"[A-Z][A-Za-z&'.-]*(?:\s+(?:of|and|&)?\s*[A-Z][A-Za-z&'.-]*)*")
_UNIT = re.compile(r"\s?(ms|毫秒|yuan|元|亿元|万元|acres?|亩|%|percent|racks?|标准机架|个|家|只|条|座|sub-funds?|"
                   r"projects?|enterprises?|cities|networks?)", re.I)
_CLAUSE = re.compile(r"(?<=[;:，；：、—])\s*|(?<=,)(?!\d{3}(?!\d))\s*")  # never inside "546,000"
_ANAPHOR = re.compile(r"(?:It|Its|They|Their|This|These|That|Those|He|She|His|Her|The (?:company|firm|city|"
                      r"project|fund|plant|factory|cent(?:er|re)|group|enterprise|province|province's))\b|"
                      r"这家|该|其|此|它|他|她|这个|这些|这一")
# Words about the document or its language versions, not about what it says: no passage is expected to hold them.
_META_WORDS = {"articl", "report", "stori", "news", "text", "author", "文章", "报道", "本文", "文中", "原文",
               "version", "文版", "英文版", "中文版", "文名", "英文名", "中文名"}

# Events that a date belongs to. "When will it be finished?" is not answered by the day it broke ground, and "when
# did it go public?" is answered by the day it was listed: same event, other words.
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


def events_in(text: str) -> set[str]:
    """The kinds of event a text speaks of ("begin", "finish", "listing", "plan", "founding")."""
    return {name for name, pattern in _EVENTS.items() if pattern.search(text)}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One candidate answer sentence."""

    hit_index: int  # index into the hits list (the cited passage)
    chunk_id: str
    lang: str
    quote: str
    score: float
    coverage: float  # share (idf-weighted) of the question's terms found in the passage
    typed: bool  # carries the kind of fact the question asks for
    sim: float  # e5 cosine of the sentence with the question
    passage_sim: float  # e5 cosine of its whole passage with the question
    context_tokens: frozenset[str] = frozenset()  # tokens of the passage, its heading, title and translation
    readable: bool = True  # the question's words can be looked for (same language, or a translated article)
    translates: str = ""  # the sentence of the aligned passage (other language) that says the same
    context_text: str = ""  # the passage, its heading, title and translation, as one text


_NOT_NAMES = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "do",
              "does", "did", "the", "in", "on", "by", "and", "apart", "roughly", "name", "tell", "ai", "i", "english",
              "chinese"}


# Capitalised because they open a sentence, not because they name anything.
_OPENERS = {"in", "the", "as", "so", "for", "at", "meanwhile", "through", "multiple", "this", "these", "it", "its",
            "with", "by", "on", "from", "since", "after", "before", "during", "over", "according", "however", "also",
            "and", "but", "to", "a", "an", "there", "while", "when", "although", "last", "next", "today", "recently",
            "currently", "such", "other", "all", "some", "many", "most", "each", "both", "one", "two"}


def proper_names(question: str) -> list[str]:
    """Capitalised English words inside the question (names of places, companies, people), as tokens."""
    words = re.findall(r"(?<![\w'-])([A-Z][a-zA-Z]+(?:-[A-Za-z]+)*)", question)  # "Eco-Factory" is one word
    return [t for w in words if w.lower() not in _NOT_NAMES and w.lower() not in _OPENERS for t in tokenize(w)]


_ASKS_ENGLISH = re.compile(r"英文|英语|English")
_ASKS_CHINESE = re.compile(r"中文|汉语|Chinese (version|text|name|original)|in Chinese", re.I)


def asked_language(question: str, q_lang: str) -> str:
    """The language whose version the question asks about: its own, unless it names the other one."""
    if q_lang == "zh" and _ASKS_ENGLISH.search(question):
        return "en"
    if q_lang == "en" and _ASKS_CHINESE.search(question):
        return "zh"
    return q_lang


def question_kind(question: str) -> str | None:
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


class Answerer:
    """Chooses sentences from retrieved chunks; knows term rarity from the store's BM25 statistics."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._idf: dict[tuple[str, str], float] = {}
        self._aligned: dict[tuple[str, str], dict[int, tuple[list[str], int]]] = {}
        self.group_langs: dict[str, set[str]] = {}  # translation group -> languages it has documents in
        for info in store.manifest["documents"].values():
            self.group_langs.setdefault(info["group"], set()).add(info["lang"])

    def unreadable(self, chunk, q_lang: str) -> bool:
        """A passage in the other language whose article has no version in the question's language at all:
        its words cannot be compared with the question's, only its meaning can."""
        return chunk.lang != q_lang and q_lang not in self.group_langs.get(chunk.group, {chunk.lang})

    def idf(self, token: str, lang: str) -> float:
        known = self._idf.get((token, lang))
        if known is not None:
            return known
        index = self.store.bm25.get(lang)
        if index is None or len(index) == 0:
            value = 1.0
        else:
            n, df = len(index), self._df(token, lang)
            value = math.log(1 + (n - df + 0.5) / (df + 0.5))
        if len(self._idf) < 200_000:  # the store never changes under an Answerer; bound the memory anyway
            self._idf[(token, lang)] = value
        return value

    def _df(self, token: str, lang: str) -> int:
        """How many passages in `lang` have the token (0 when there is no such index or word)."""
        index = self.store.bm25.get(lang)
        col = None if index is None else index.vocab.get(token)
        return 0 if col is None else int(index.df[col])

    def known(self, name: str, lang: str) -> bool:
        """Whether some passage of the index in `lang` has every search token of `name`."""
        return all(self._df(t, lang) > 0 for t in tokenize(name))

    def coverage(self, q_tokens: list[str], text_tokens: set[str], lang: str) -> float:
        """idf-weighted share of the question's content tokens that occur in the text."""
        q = [t for t in dict.fromkeys(q_tokens) if t not in _META_WORDS]
        if not q:
            return 0.0
        weights = [self.idf(t, lang) for t in q]
        got = sum(w for t, w in zip(q, weights, strict=True) if t in text_tokens)
        return got / sum(weights)

    def candidates(self, question: str, q_lang: str, hits: list[Hit], qvec: np.ndarray, carried: list[str],
                   n_hits: int = 4, prefer: str | None = None) -> list[Evidence]:
        """Scored sentences from the top hits. A sentence is judged by its meaning (its own e5 vector against
        the question's), the question words it and its passage cover, and whether it holds the kind of fact
        asked for. Foreign-language passages are judged by their translation's words when they have one."""
        q_tokens = tokenize(question)
        kind = question_kind(question)
        measure = measure_asked(question)
        counted = [] if measure else counted_thing(question)
        asked_events = events_in(question) if kind in ("date", "number") else set()
        wanted = prefer or asked_language(question, q_lang)
        # "What is GDS called in the Chinese version?": the sentence wanted is the one whose translation names it.
        looked_up = (proper_names(question), chinese_names(question)) if wanted != q_lang else ([], ())
        out: list[Evidence] = []
        for i, hit in enumerate(hits[:n_hits]):
            chunk = hit.chunk
            context_tokens = set(tokenize(chunk.search_text)) | set(tokenize(chunk.title))
            context_text = [chunk.title, chunk.search_text]
            for cid in chunk.counterparts:
                row = self.store.row_of(cid)
                if row is not None:
                    context_tokens |= set(tokenize(self.store.chunk(row).search_text))
                    context_text.append(self.store.chunk(row).search_text)
            chunk_cov = self.coverage(q_tokens, context_tokens, q_lang)
            if self.unreadable(chunk, q_lang):
                # No version to read the question's words in: word overlap says nothing either way, so the
                # passage is judged by meaning alone (a neutral coverage).
                chunk_cov = max(chunk_cov, 0.5)
            vecs = self.store.sentence_vecs(hit.row)  # (n_sentences, dim)
            sims = vecs @ qvec  # (n_sentences,)
            sentences = chunk.sentence_texts()
            same = chunk.lang == q_lang
            # A sentence in the other language is judged by the words of its translation: the sentence of the
            # aligned passage closest to it in meaning.
            translated = self._translations(chunk, vecs, q_lang if not same else ("zh" if q_lang == "en" else "en"))
            for j, quote in enumerate(_quotes(sentences, q_tokens + carried, kind)):
                rendered = translated[j][0][translated[j][1]] if j in translated else ""
                if same:
                    s_cov = self._sentence_coverage(q_tokens, [*sentences[:j], quote], j, q_lang)
                    carried_cov = self.coverage(carried, set(tokenize(quote)), q_lang) if carried else 0.0
                elif rendered:
                    s_cov = self._sentence_coverage(q_tokens, *translated[j], q_lang)
                    carried_cov = self.coverage(carried, set(tokenize(rendered)), q_lang) if carried else 0.0
                else:
                    s_cov = carried_cov = 0.0
                typed = _has_kind(quote, kind, counted if same else None, measure, question)
                if typed and counted and not same and rendered:  # counts what is asked, in translation
                    typed = _counts_thing(rendered, counted)
                told = events_in(f"{quote} {rendered}") if asked_events else set()
                if typed and told:
                    typed = bool(asked_events & told)  # the date or figure of the event asked about, not another
                sim = float(sims[j])
                if j and _ANAPHOR.match(sentences[j]):  # "The company was listed…": read with the sentence naming it
                    pair = vecs[j - 1].astype(np.float32) + vecs[j]
                    sim = max(sim, (sim + float(pair @ qvec) / (float(np.linalg.norm(pair)) + 1e-9)) / 2)
                sim += 0.0 if same else 0.03  # cross-lingual cosines run lower
                type_term = 0.0 if kind is None else (0.45 if typed else -0.15)
                if kind in ("number", "date") and not typed and same and rendered:  # its translation has it
                    type_term = 0.2 if _has_kind(rendered, kind, None, measure, question) else type_term
                if typed and asked_events & told:
                    type_term += 0.2  # the date or figure of the very event asked about
                score = (5.0 * (sim - 0.8) + 0.5 * s_cov + 0.3 * chunk_cov + 0.2 * carried_cov
                         + type_term - 0.03 * i - (0.08 if not same else 0.0))
                if wanted != q_lang:  # "what is it called in the English version?"
                    score += 1.0 if chunk.lang == wanted else -1.0
                    score += 0.5 if _renders(rendered, *looked_up) else 0.0
                out.append(Evidence(i, chunk.chunk_id, chunk.lang, quote, score, chunk_cov, typed, sim, hit.dense,
                                    frozenset(context_tokens), not self.unreadable(chunk, q_lang), rendered,
                                    "\n".join(context_text)))
        return sorted(out, key=lambda e: -e.score)

    def _sentence_coverage(self, q_tokens: list[str], sentences: list[str], j: int, lang: str) -> float:
        """Question-term coverage of sentence j. The sentence before may name what this one calls "the company"
        or "这家公司": for such a sentence it counts fully, otherwise by half."""
        own = set(tokenize(sentences[j]))
        with_before = own | set(tokenize(sentences[j - 1])) if j else own
        if j and _ANAPHOR.match(sentences[j]):
            return self.coverage(q_tokens, with_before, lang)
        return 0.5 * self.coverage(q_tokens, own, lang) + 0.5 * self.coverage(q_tokens, with_before, lang)

    def _translations(self, chunk, vecs: np.ndarray, lang: str) -> dict[int, tuple[list[str], int]]:
        """For each sentence of `chunk`, the sentences of its aligned passages in `lang` and the index of the one
        that says the same, when there is one. Translations split and merge sentences, so this is a monotone
        alignment (one sentence to one, two or three, or to none) by meaning, shared figures and length, as for
        paragraphs; a sentence rendered by several is given their join. Computed once per passage and language."""
        key = (chunk.chunk_id, lang)
        if key in self._aligned:
            return self._aligned[key]
        texts: list[str] = []
        there: list[np.ndarray] = []
        for cid in chunk.counterparts:
            row = self.store.row_of(cid)
            if row is not None and (other := self.store.chunk(row)).lang == lang:
                texts += other.sentence_texts()
                there.append(np.asarray(self.store.sentence_vecs(row), dtype=np.float32))
        out: dict[int, tuple[list[str], int]] = {}
        if texts:
            here_texts = chunk.sentence_texts()
            here, other_vecs = np.asarray(vecs, dtype=np.float32), np.concatenate(there)
            en_side = chunk.lang == "en"
            beads = align_paragraphs(*((here_texts, texts, here, other_vecs) if en_side
                                       else (texts, here_texts, other_vecs, here)), moves=SENTENCE_MOVES)
            for en_ids, zh_ids in beads:
                mine, theirs = (en_ids, zh_ids) if en_side else (zh_ids, en_ids)
                if not mine or not theirs:
                    continue
                merged = [*texts[: theirs[0]], " ".join(texts[k] for k in theirs), *texts[theirs[-1] + 1 :]]
                for j in mine:
                    out[j] = (merged, theirs[0])
        if len(self._aligned) < 50_000:  # the store never changes under an Answerer; bound the memory anyway
            self._aligned[key] = out
        return out

    def support(self, best: Evidence, kind: str | None, question: str = "") -> float:
        """One number for "is this answered?": meaning match, term coverage, the fact type, and whether the
        names in the question are in the passage at all (a passage about Shenzhen doesn't answer for
        Guangzhou)."""
        type_term = 0.0 if kind is None else (0.1 if best.typed else -0.2)
        q_lang = detect_lang(question)
        same = best.lang == q_lang
        measure = measure_asked(question)
        counted = [] if measure else counted_thing(question)  # as in `candidates`
        if kind == "number" and counted and not best.typed and same:
            type_term = -1.0  # "how many cars" and the passage counts no cars
        if kind == "number" and not best.typed and not _has_kind(best.translates, kind):
            type_term = -1.0  # "how many" and neither the sentence nor its translation gives a number
        if measure and not best.typed:
            type_term = -1.0  # "how much is it investing" and the sentence gives acres
        if kind == "who" and not best.typed and best.lang == "en" == q_lang:
            # "Who manages the fund?" and the sentence names no one but the fund. English only: a capital letter
            # marks a name there; Chinese person names have no mark that a pattern can see.
            type_term = -1.0
        english, chinese = proper_names(question), chinese_names(question)
        if kind == "number" and counted and same and _counted_for_others(best.quote, counted, question, english,
                                                                         chinese):
            type_term = -1.0  # "how many AI firms in all of Guangdong" and the sentence counts Shenzhen's
        if kind == "number" and (measure or counted) and _total_for_others(best, question, measure, counted, english,
                                                                            chinese):
            type_term = -1.0  # "how much is Tencent itself investing" and the figure is the total of 22 projects
        if kind == "number" and same and _pairs_others(best, question, counted, english, chinese):
            type_term = -1.0  # "韶关到香港的时延" and the sentence gives it to 广州 and 深圳 only
        asked = events_in(question) if kind in ("date", "number") else set()
        if asked:
            told = events_in(f"{best.quote} {best.translates}")
            if asked & told:  # "go public" and "was listed on": the event asked about, in other words, with its date
                type_term += 0.3 if best.typed else 0.0
            elif told:
                # "when will it be finished" and the date is when it broke ground; "how many racks are in operation"
                # and the number is of racks planned: it never fits
                type_term = -2.0
        if best.readable:
            # Nothing in the passage or its translation says that name. A capitalised English word is a name; what
            # jieba tags as a Chinese name is often an ordinary word (籍贯, 大洋 on CMRC) or another spelling, so it
            # weighs half, unless it is a well-known place that no passage of the index mentions (成都 asked of an
            # article about Shaoguan).
            type_term -= 1.0 * sum(not _says_name(best, n) for n in english)
            type_term -= sum(1.0 if well_known_place(n) and not self.known(n, "zh") else 0.5 for n in chinese
                             if not set(tokenize(n)) <= best.context_tokens and n not in best.context_text)
            if asked_language(question, q_lang) != q_lang and _renders(best.translates, english, chinese):
                type_term += 0.5  # "what is 爱特云翔 called in the English version": the sentence renders it
        if best.coverage == 0:
            type_term -= 0.5  # not one of the question's words in the passage or its translation
        # A sentence that says "the company" matches less than its passage does: take the better of the two.
        return round(5.0 * (max(best.sim, best.passage_sim - 0.02) - 0.8) + best.coverage + type_term, 4)


_TOTAL = re.compile(r"\b(?:total|combined|altogether|in all|aggregate|cumulative)\b|总|合计|累计|一共|共计", re.I)


def _total_for_others(best: Evidence, question: str, measure: str | None, counted: list[str], english: list[str],
                      chinese: tuple[str, ...]) -> bool:
    """Whether the figure is a total over many ("a total investment of 62.1 billion yuan" across 22 projects)
    while the question asks about one of them by a name that neither the sentence, the one before it nor its
    translation says. A question that asks for the total itself is answered by it."""
    if _TOTAL.search(question) or not _TOTAL.search(best.quote) or (not english and not chinese):
        return False
    answering = [start for start, end, _ in numbers_in(best.quote)  # the figures of what is asked
                 if (_MEASURE_UNIT[measure].match(best.quote, end) if measure
                     else _counted_after(best.quote, end, counted))]
    if not answering or not all(_TOTAL.search(_clause_before(best.quote, start)) for start in answering):
        return False  # "22 projects have settled in, with a total investment of…": the count is not the total
    at = best.context_text.find(best.quote)
    head = best.context_text[:at] if at > 0 else ""
    sentences = [t for t in re.split(r"(?<=[.!?。！？\n])\s*", head) if re.search(r"\w", t)]
    before = sentences[-1] if sentences else ""
    around = f"{before} {best.quote} {best.translates}"
    words = set(tokenize(around))
    return any(n not in words for n in english) or any(n not in around for n in chinese)


def _pairs_others(best: Evidence, question: str, counted: list[str], english: list[str],
                  chinese: tuple[str, ...]) -> bool:
    """Whether the sentence pairs values with items ("to Guangzhou and Shenzhen … respectively"), none of them the
    question's, and the question names something that neither the passage nor its translation says: the value
    asked for is not in the list."""
    quote = best.quote
    pairs = _respective_pairs(quote)
    if not pairs or (counted and not any(_counted_after(quote, end, counted) for _, (_, end) in pairs)):
        return False  # "how many networks…": the paired values are not what is asked
    q_tokens = set(tokenize(question))
    for item, _ in pairs:  # an item is known by its name ("深圳"), not by words it shares with the question (时延)
        names = set(proper_names(item)) | {t for n in chinese_names(item) for t in tokenize(n)}
        if q_tokens & (names or set(tokenize(item))):
            return False
    return any(n not in best.context_tokens for n in english) or any(n not in best.context_text for n in chinese)


def _says_name(best: Evidence, token: str) -> bool:
    """Whether the passage (or its translation) says an English name, given as its search token: as a token, or as
    the start of a word ("stam" of "Stam1na", "mp" of "MP3", "star" of "STAR-listed")."""
    head = token.split("-")[0]  # "star" of "STAR-listed": the name is the first part
    return token in best.context_tokens or bool(re.search(r"(?<![a-z0-9])" + re.escape(head),
                                                          best.context_text.lower()))


def _renders(translation: str, english: list[str], chinese: tuple[str, ...]) -> bool:
    """Whether a sentence's translation says every name of the question (English names as tokens)."""
    if not english and not chinese:
        return False
    words = set(tokenize(translation)) if english else set()
    return all(n in words for n in english) and all(n in translation for n in chinese)


_SENTENCE_END = re.compile(r"[.!?。！？…]+[\"'”’」』)）]*$")


def whole_sentence(chunk, quote: str, limit: int = 320) -> str:
    """The full sentence a clause was cut from (verbatim, from the passage), when it is at most `limit`
    characters: "driven by Guangzhou and Shenzhen, centered in the Pearl River Delta" is one statement."""
    spans = chunk.sentences
    text = chunk.text
    at = next((i for i, (a, b) in enumerate(spans) if quote in text[a:b] or text[a:b] in quote), None)
    if at is None:
        return quote
    lo = hi = at
    while lo > 0 and not _SENTENCE_END.search(text[spans[lo - 1][0] : spans[lo - 1][1]]):
        lo -= 1
    while hi < len(spans) - 1 and not _SENTENCE_END.search(text[spans[hi][0] : spans[hi][1]]):
        hi += 1
    whole = text[spans[lo][0] : spans[hi][1]].strip()
    return whole if (lo, hi) != (at, at) and len(whole) <= limit else quote


def _quotes(sentences: list[str], q_tokens: list[str], kind: str | None = None) -> list[str]:
    """Each sentence, or for a very long one its best part (verbatim, contiguous): first the semicolon
    part, then, if still long, the run of comma clauses around the best-matching clause."""
    parts = [s if len(s) <= 300 else _best_part(s, set(q_tokens), kind) for s in sentences]
    return [p.rstrip(",;:，；：、— ") for p in parts]  # a clause ends without its trailing comma


def _best_part(sentence: str, q: set[str], kind: str | None) -> str:
    def score(part: str) -> float:
        return len(q & set(tokenize(part))) + (1.5 if _has_kind(part, kind) else 0.0)

    parts = [p for p in re.split(r"(?<=[;；])\s*", sentence) if p.strip()]
    part = max(parts, key=score)
    if len(part) > 300:
        clauses = [c for c in _CLAUSE.split(part) if c]
        scores = [score(c) for c in clauses]
        lo = hi = max(range(len(clauses)), key=lambda i: scores[i])
        while len("".join(clauses[lo : hi + 1])) < 120 and (lo > 0 or hi < len(clauses) - 1):
            if hi < len(clauses) - 1 and (lo == 0 or scores[hi + 1] >= scores[lo - 1]):
                hi += 1
            else:
                lo -= 1
        start = part.find(clauses[lo])
        part = part[start : part.find(clauses[hi], start) + len(clauses[hi])]
    return part.strip().rstrip(",;:，；：、— ")


_COUNTED_EN = re.compile(r"\bhow (?:many|much) ((?:[a-z-]+ ){0,2}?[a-z-]+?)(?= (?:is|are|was|were|do|does|did|has|have|"
                         r"had|will|can|would|in|of|from|to|at|by|for)\b|[?.]|$)", re.I)
_COUNTED_ZH = re.compile(r"(?:多少|几)([个家条只座亩辆吨台项名位人元]?)([\u4e00-\u9fff]{0,4})")


def counted_thing(question: str) -> list[str]:
    """What a "how many X" / "多少X" question counts: words of X to find right after the number."""
    if m := _COUNTED_EN.search(question):
        words = [w for w in tokenize(m.group(1)) if not w.startswith("#")]
        return words[-1:]  # the head noun: "server racks" -> "rack"
    if m := _COUNTED_ZH.search(question):
        unit, noun = m.group(1), re.split(r"[的了吗呢是有在]", m.group(2))[0]
        return [t for t in (unit, noun[:2]) if t]
    return []


# "How much is it investing?" wants an amount of money and "what is the utilization rate?" a percentage: a number
# of anything else (acres, racks) does not answer them. Units are matched in either language.
_MEASURE_ASKED = [
    ("money", re.compile(r"\binvest|\bcost|\bspen[dt]|\bprice|\bworth|\bbudget|\brevenue|\bmoney\b|\bfunding\b|"
                         r"\brais(?:e|ed|ing)\b|\bput (?:in|into)\b|投资|资金|钱|金额|花费|"
                         r"成本|造价|融资|营收|收入", re.I)),
    ("people", re.compile(r"\bpopulation\b|人口", re.I)),
    ("rate", re.compile(r"\brate\b|\bpercentage\b|\bproportion\b|\bshare of\b|比例|占比|百分比|[^频]率", re.I)),
]
_MEASURE_UNIT = {
    "money": re.compile(r"\s?(?:(?:billion|million|trillion|thousand)\s)?(?:yuan|dollars?|RMB|euros?)\b|\s?[千万亿]*元|"
                        r"\s?美元", re.I),
    "rate": re.compile(r"\s?(?:%|％|percent\b|per cent\b)"),
    "people": re.compile(r"\s?(?:(?:million|thousand|billion)\s)?(?:people|persons|residents|inhabitants)\b|"
                         r"\s?[万亿]?[多余]?人", re.I),
}
_POPULATION_BEFORE = re.compile(r"(?:人口|population)[^，,。;；.]{0,8}$", re.I)  # "常住人口5万余人", "人口为8.57万"


def measure_asked(question: str) -> str | None:
    """"money", "rate" or "people" when a number question asks for an amount of money, a percentage or a
    population."""
    if question_kind(question) != "number":
        return None
    counted = counted_thing(question)
    for name, pattern in _MEASURE_ASKED:  # "多少比例": the ratio is what is measured, not a thing counted
        if pattern.search(question) and (not counted or pattern.search("".join(counted))):
            return name
    return None


def _measures(text: str, measure: str) -> bool:
    """A number in `text` carrying the measure's unit ("62.1 billion yuan", "621亿元", "30%", "百分之三十")."""
    if measure == "rate" and "百分之" in text:
        return True
    unit = _MEASURE_UNIT[measure]
    return any(unit.match(text, end)
               or (measure == "people" and _POPULATION_BEFORE.search(text[max(0, start - 16) : start]))
               for start, end, _ in numbers_in(text))


def _counts_thing(text: str, counted: list[str]) -> bool:
    """A number in `text` followed closely by what the question counts."""
    return any(_counted_after(text, end, counted) for _, end, _ in numbers_in(text))


# Head nouns that count the same things: "how many AI companies" is answered by "3,000 AI enterprises".
_SAME_COUNT = [("compani", "enterpris", "firm", "busi"), ("公司", "企业")]
_MEASURE_WORDS_ZH = {"亩", "吨", "元"}  # units of measure, where the other words after 多少 are classifiers


def _count_forms(t: str) -> tuple[str, ...]:
    return next((group for group in _SAME_COUNT if t in group), (t,))


def _after_number(text: str, end: int, counted: list[str]) -> str:
    """Where the counted thing may follow the number ending at `end`: 40 characters of English, 12 of Chinese."""
    return text[end : end + (40 if counted[0].isascii() else 12)]


def _counted_after(text: str, end: int, counted: list[str]) -> bool:
    """Whether the number ending at `end` counts the thing: "546,000 standard racks", "54.6万标准机架"."""
    after = _after_number(text, end, counted)
    if counted[0].isascii():  # by substring, so web-dump glued words ("enterprisesforming") still count
        return all(any(f in after.lower() for f in _count_forms(t)) for t in counted)
    if counted[0] in _MEASURE_WORDS_ZH:  # "多少吨水": tonnes right after the number, not "30%用电用水"
        return re.match(r"\s*[多余十百千万亿]*" + counted[0], text[end:]) is not None
    return any(f in after for t in counted for f in _count_forms(t))


_CLAUSE_START = re.compile(r".*[,;:，；：、—(（]", re.S)


def _clause_before(text: str, start: int, reach: int = 80) -> str:
    """The words of the clause that lead up to position `start` ("with a total investment of")."""
    before = text[max(0, start - reach) : start]
    return before[m.end():] if (m := _CLAUSE_START.match(before)) else before


def _thing_end(text: str, end: int, counted: list[str]) -> int:
    """Where the counted thing after the number ending at `end` ends ("650头" -> after 头), so that what follows
    it ("栖息在伊朗") is not read as the count's owner."""
    lower = _after_number(text, end, counted).lower()
    found = [lower.find(f) + len(f) for t in counted for f in _count_forms(t) if f in lower]
    return end + (max(found) if found else 0)  # the noun after the measure word: "家深圳人工" of "家…人工智能企业"


# Who owns a count, right before its number: "Shenzhen's over 3,000…", "Shenzhen has about 3,000…", "深圳有3000家…".
_OWNER_EN = re.compile(r"([A-Z][\w&.-]*)(?:'s|’s|\s+(?:has|have|had|boasts|counts))\s+(?:[a-z]+\s+){0,2}$")
_OWNER_ZH = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:有|拥有|共有|现有)(?:超过|约|近|逾|达)?$")


def _counted_for_others(text: str, counted: list[str], question: str, english: list[str],
                        chinese: tuple[str, ...]) -> bool:
    """Whether every count of the thing in `text` belongs to a place or body the question does not name:
    "Shenzhen's over 3,000 AI enterprises" / "3000家深圳人工智能企业" for a question about all of Guangdong. The
    owner is the possessor or subject right before the number, or a name between the number and the thing; the
    question may say it in lower case ("the science and technology fund"). `english` and `chinese` are the
    question's names."""
    if not english and not chinese:
        return False  # the question names no one: it does not ask for anyone's count in particular
    asked = set(tokenize(question))
    owned = []
    for start, end, _ in numbers_in(text):
        if not _counted_after(text, end, counted):
            continue
        before, between = _clause_before(text, start, reach=40), text[end : _thing_end(text, end, counted)]
        if re.search(r"[,;:，；：。、]", between):
            continue  # "5533万元，新建C类机位两个": the thing belongs to another number, in another clause
        names: set[str] = set()
        if m := _OWNER_EN.search(before):
            names |= set(proper_names(m.group(1)))
        if m := _OWNER_ZH.search(before):
            names |= set(chinese_names(m.group(1)))
        names |= set(chinese_names(between)) if not between.isascii() else set(proper_names(between))
        if not names:
            return False  # a count with no owner of its own: the question's subject may be the sentence's
        owned.append(bool(names & asked) or any(a in before + between for a in chinese))
    return bool(owned) and not any(owned)


def _has_kind(text: str, kind: str | None, counted: list[str] | None = None, measure: str | None = None,
              question: str = "") -> bool:
    if kind == "number":
        if measure:
            return _measures(text, measure)
        return _counts_thing(text, counted) if counted else bool(numbers_in(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "who":  # a credit line, or a name the question does not already say
        known = set(tokenize(question)) | _NOT_NAMES
        names = (m.group() for m in _NAME_LATIN.finditer(text)
                 if m.start() or m.group().split()[0].lower() not in _OPENERS)
        return bool(re.search(r"[|｜]", text)) or any(not set(tokenize(n)) <= known for n in names) or any(
            m.group() not in question for m in _ORG_ZH.finditer(text))
    return False


_RESPECTIVELY = re.compile(r"respectively|分别")


def _respective_pairs(quote: str) -> list[tuple[str, tuple[int, int]]]:
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


def _respectively(quote: str, q_tokens: set[str]) -> str | None:
    """The value paired with the item the question names, in a sentence that pairs items with values."""
    for item, (a, b) in _respective_pairs(quote):
        if q_tokens & set(tokenize(item)):
            unit = _UNIT.match(quote, b)
            return quote[a : unit.end() if unit and unit.group(1) in ("ms", "毫秒", "%", "yuan", "元") else b].strip()
    return None


def short_span(quote: str, question: str, kind: str | None) -> str | None:
    """The short answer inside `quote`: the number, date or name nearest the question's own words."""
    q_tokens = set(tokenize(question))

    def closeness(start: int, end: int) -> float:
        window = quote[max(0, start - 40) : end + 40]
        return len(q_tokens & set(tokenize(window))) - 0.001 * start

    if kind == "number" and (pick := _respectively(quote, q_tokens)):
        return pick
    counted = counted_thing(question)
    if kind == "number":
        spans = []
        for start, end, _ in numbers_in(quote):
            if counted and detect_lang(question) == detect_lang(quote) and not _counted_after(quote, end, counted):
                continue  # "多少标准机架": not the 22 projects before it
            if re.fullmatch(r"(19|20)\d{2}", quote[start:end]) and "年" not in question:
                continue  # a year is rarely the answer to "how many"
            unit = _UNIT.match(quote, end)
            spans.append((closeness(start, end), start, unit.end() if unit and unit.group(1) in (
                "ms", "毫秒", "yuan", "元", "亿元", "万元", "%", "percent", "亩") else end))
        if spans:
            _, start, end = max(spans)
            return quote[start:end].strip()
    if kind == "date":
        found = [(closeness(m.start(), m.end()), m.group(0)) for m in _DATE.finditer(quote)]
        if found:
            return max(found)[1]
    if kind == "who":
        credit = re.findall(r"^(\S+?)\s*[|｜]\s*(.+)$", quote, flags=re.M)
        if credit:
            return credit[0][1].strip()
    return None
