"""Read the retrieved passages: every sentence of the top hits (and of their translations) becomes a `Candidate`
with the features the judge weighs. Nothing here decides; `rag/judge.py` applies the fitted weights."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from index.align import SENTENCE_MOVES, align_paragraphs
from index.card import as_written, is_card
from index.dictionary import bridge
from index.store import Store
from index.text import CJK, numbers_in, simplified, tokenize, well_known_place
from rag.facts import (
    WH_ZH,
    counted_for_others,
    has_kind,
    new_names,
    opens_with_anaphor,
    pairs_others,
    renders,
    says_name,
    total_for_others,
)
from rag.question import META_WORDS, Question, credit_roles, events_in
from rag.retrieve import Hit

READ_HITS = 4  # passages read per question (plus the translations of the top two)

# The judge's inputs, in order. rag/data/judge.json names the same features with their fitted weights.
FEATURES = (
    "sim",  # e5 cosine of the sentence (read with the one before when it opens "The company…") and the question
    "passage_sim",  # e5 cosine of its passage and the question
    "best_sim",  # the better of the two (a sentence that says "it" matches less than its passage)
    "sentence_coverage",  # idf-weighted share of the question's words in the sentence (or its translation)
    "bridged_coverage",  # ... in a sentence of the other language, the words mapped by the dictionary (else 0)
    "typed_coverage",  # the better coverage of the two, when the sentence carries the kind of fact asked (else 0)
    "untyped_coverage",  # ... when a number or date is asked and neither the sentence nor its translation has one
    "bigram_coverage",  # share of the question's adjacent word pairs (Chinese: character pairs) the sentence (or,
    # for the other language, its translation) has adjacent too
    "focus_coverage",  # share of the question's focus words the sentence or its translation has: its words that
    # neither the passage's title nor two of its sentences say (what it asks about the passage's subject)
    "passage_coverage",  # ... in the passage, its heading, title and translation
    "carried_coverage",  # ... of the words borrowed from an earlier turn, in the sentence
    "no_coverage",  # not one of the question's words in the passage or its translation
    "missing_rare",  # idf of the rarest question word the passage does not have, over the question's rarest
    "rank",  # the passage's place in the retrieval ranking (0 first)
    "other_language",  # the sentence is in the other language than the question
    "unreadable",  # ... and its article has no version in the question's language
    "kind_number", "kind_date", "kind_who", "kind_place", "kind_name", "kind_none",
    "typed",  # the sentence carries the kind of fact asked for
    "typed_translation",  # its translation does, and it does not
    "no_number",  # a number is asked and neither the sentence nor its translation has one
    "measure_missing",  # a measure (money, rate, people) is asked and the sentence has none
    "count_missing",  # "how many X" and no number of X
    "counted_for_others",  # every count of X belongs to someone the question does not name
    "total_for_others",  # the figure is a total over many, the question names one
    "pairs_others",  # "A and B ... respectively", the question's item not among them
    "event_match",  # the sentence speaks of the event the date or figure is asked of
    "event_other",  # it speaks of another event only
    "names_missing",  # English names of the question that the passage does not say
    "chinese_missing",  # Chinese names of the question that the passage does not say
    "place_unknown",  # a well-known place the question names that no passage of the index mentions
    "wanted_language",  # the question asks about the other version, and the sentence is in it
    "unwanted_language",  # the question asks about the other version, and the sentence is not
    "renders_names",  # the sentence's translation says every name of the question
    "new_names",  # the sentence names something the question does not
    "new_words",  # share of the sentence's words the question does not have
    "log_length",  # log of the sentence's length in characters
    "fragment",  # under 25 characters and not a credit line: a heading or a piece cut off by the splitter
    "meta",  # the question asks about the document (author, source, credits)
    "credit_line",  # the sentence is a credit line ("文|…", "Source: …")
    "credit_role_match",  # ... whose role ("Editor", "翻译") is a word of the question or the role it asks about
    "title_line",  # the document card's title line ("Title: …", "标题：…", "Chinese title: …")
)
_CREDIT = re.compile(r"[|｜]|^(?:source|by|photo|editor|reporter|translat\w*|来源|作者|记者|编辑|责编|摄影|翻译|策划)\b"
                     r"|^(?:来源|作者|记者|编辑|责编|摄影|翻译|策划|文)\s*[:：|]", re.I)

_ROLE = re.compile(r"^([^|｜:：\n]{1,30}?)\s*[|｜:：]\s*\S")  # "Final review | 程敏苏", "翻译：邓芷欣"
_TITLE_LINE = re.compile(r"^(?:(?:english|chinese)\s+)?title\s*[:：]|^(?:英文|中文)?[标標][题題]\s*[:：]", re.I)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence that may answer the question, with the passage it is quoted from and its features."""

    hit: Hit  # the passage (cited when the sentence is chosen)
    rank: int  # the passage's index in the read pool
    quote: str  # verbatim from the passage
    before: str  # the sentence before it in the passage ("" for the first)
    translation: str  # the aligned sentence of the other language's version ("" when none)
    typed: bool
    context_tokens: frozenset[str]  # tokens of the passage, its title and translation
    context_text: str
    features: tuple[float, ...]  # in the order of FEATURES

    @property
    def lang(self) -> str:
        return self.hit.chunk.lang

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]


def pairs_of(text: str, lang: str) -> set:
    """Adjacent pairs of `text`: Chinese characters (in simplified form), or English search tokens."""
    if lang == "zh":
        chars = [ch for ch in simplified(text) if CJK.match(ch)]
        return {a + b for a, b in zip(chars, chars[1:], strict=False)}
    tokens = tokenize(text)
    return set(zip(tokens, tokens[1:], strict=False))


def focus_words(asked: tuple[str, ...], title: str, sentences: list[str]) -> set[str]:
    """The question's words that say what it asks about a passage's subject: those neither the passage's title
    nor two or more of its sentences say (the subject is repeated; "本鱼体呈长梭型" answers "美洲似银汉鱼整体呈
    什么形状？" with the one word the subject does not explain)."""
    words = set(asked)
    seen: dict[str, int] = {}
    for sentence in sentences:
        for t in set(tokenize(sentence)) & words:
            seen[t] = seen.get(t, 0) + 1
    return words - {t for t, n in seen.items() if n >= 2} - set(tokenize(title or ""))


class Reader:
    """Turns hits into candidates; knows term rarity from the store's BM25 statistics and caches sentence
    alignments of translated passages (the store never changes under a Reader)."""

    def __init__(self, store: Store, other_slot: int = 0) -> None:
        """`other_slot`: the retrieval's other-version slot (rank S, from 1; 0: none). A passage of the other
        language ranked there, beyond the READ_HITS read, is read too when its article is among those read: it
        holds what only the other version says (RetrievalParams.other_version_slot)."""
        self.store = store
        self.other_slot = other_slot
        self._idf: dict[tuple[str, str], float] = {}
        self._aligned: dict[tuple[str, str], dict[int, str]] = {}
        self.group_langs: dict[str, set[str]] = {}  # translation group -> languages it has documents in
        for info in store.manifest["documents"].values():
            self.group_langs.setdefault(info["group"], set()).add(info["lang"])

    # ------------------------------------------------------------ the stage

    def read(self, q: Question, hits: list[Hit], qvec: np.ndarray,
             allowed: np.ndarray | None = None) -> list[Candidate]:
        """Candidates from the top hits (and the other-version slot's hit) and the translations of the top two,
        in passage order. `allowed`: the rows the question's filters leave (None: all)."""
        read = hits[:READ_HITS]
        groups = {h.chunk.group for h in read}  # the other version of an article read, from the retriever's slot
        read += [h for h in hits[READ_HITS:self.other_slot] if h.chunk.lang != q.lang and h.chunk.group in groups]
        pool = self.with_counterparts(read, qvec, allowed)
        rare = max((self.idf(t, q.lang) for t in q.tokens if t not in META_WORDS), default=1.0)
        asked_pairs = pairs_of(WH_ZH.sub(" ", q.searched) if q.lang == "zh" else q.searched, q.lang)
        out: list[Candidate] = []
        for rank, hit in enumerate(pool):
            out += self._read_passage(q, hit, rank, qvec, rare, asked_pairs)
        return out

    def with_counterparts(self, hits: list[Hit], qvec: np.ndarray, allowed: np.ndarray | None = None) -> list[Hit]:
        """The hits, then the translations of the top two: the fact may be only in the other version (unless
        the filters leave that version out)."""
        pool, seen = list(hits), {h.row for h in hits}
        for hit in hits[:2]:
            for cid in hit.chunk.counterparts:
                row = self.store.row_of(cid)
                if row is not None and row not in seen and (allowed is None or allowed[row]):
                    seen.add(row)
                    dense = float(np.asarray(self.store.vectors[row]) @ qvec)
                    pool.append(Hit(row, self.store.chunk(row), 0.9 * hit.score, dense, 0.0))
        return pool

    def _read_passage(self, q: Question, hit: Hit, rank: int, qvec: np.ndarray, rare: float,
                      asked_pairs: set) -> list[Candidate]:
        chunk = hit.chunk
        tokens, texts = set(tokenize(chunk.search_text)) | set(tokenize(chunk.title)), [chunk.title, chunk.search_text]
        same = chunk.lang == q.lang
        asked_side: list[str] = []  # the passage's sentences in the question's language (its translation's)
        asked_title = chunk.title
        for cid in chunk.counterparts:
            if (row := self.store.row_of(cid)) is not None:
                other = self.store.chunk(row)
                tokens |= set(tokenize(other.search_text))
                texts.append(other.search_text)
                if not same and other.lang == q.lang:
                    asked_side += other.sentence_texts()
                    asked_title = other.title
        context_tokens, context_text = frozenset(tokens), "\n".join(texts)
        unreadable = chunk.lang != q.lang and q.lang not in self.group_langs.get(chunk.group, {chunk.lang})
        rendered = None if same else bridge().zh_to_en if q.lang == "zh" else bridge().en_to_zh  # CC-CEDICT
        # a passage of the other language without a translation is read through the dictionary
        passage_cov = self.coverage(q.tokens, context_tokens, q.lang, None if same or asked_side else rendered)
        missing = [self.idf(t, q.lang) for t in q.tokens if t not in META_WORDS and t not in context_tokens]
        vecs = self.store.sentence_vecs(hit.row)  # (n_sentences, dim)
        sims = vecs @ qvec  # (n_sentences,)
        sentences = chunk.sentence_texts()
        translated = self._translations(chunk, vecs)
        names_missing = sum(not says_name(n, context_tokens, context_text) for n in q.names)
        chinese_missing = sum(not set(tokenize(n)) <= context_tokens and n not in context_text
                              and not self._renders(n, context_tokens, rendered) for n in q.chinese)
        place_unknown = sum(well_known_place(n) and not self._known(n) for n in q.chinese
                            if not set(tokenize(n)) <= context_tokens and n not in context_text)
        focus = focus_words(q.tokens, asked_title, asked_side or sentences)  # what the passage repeats, as asked
        card = is_card(chunk)
        out = []
        for j, sentence in enumerate(sentences):
            quote = sentence.rstrip(",;:，；：、— ")
            written = as_written(quote) if card else quote  # a card line as the page gives it, renderings off
            translation = translated.get(j, "")
            own, translated_words = set(tokenize(quote)), set(tokenize(translation))
            plain = own if written is quote else set(tokenize(written))
            words = (own | (set(tokenize(sentences[j - 1])) if j else set())) if same else translated_words
            sentence_cov = self.coverage(q.tokens, words, q.lang) if (same or translation) else 0.0
            bridged_cov = 0.0 if same else self.coverage(q.tokens, own, q.lang, rendered)
            best_cov = max(sentence_cov, bridged_cov)
            own_text = quote if same else translation
            bigram_cov = (len(asked_pairs & pairs_of(own_text, q.lang)) / len(asked_pairs)
                          if asked_pairs and own_text else 0.0)
            carried_cov = self.coverage(q.carried, words, q.lang) if q.carried else 0.0
            typed = has_kind(quote, q, counted=same)
            typed_tr = not typed and bool(translation) and has_kind(translation, q, counted=False)
            told = events_in(f"{quote} {translation}") if q.events else set()
            sim = float(sims[j])
            if j and opens_with_anaphor(sentence):  # read with the sentence naming what "it" is
                pair = vecs[j - 1].astype(np.float32) + vecs[j]
                sim = max(sim, (sim + float(pair @ qvec) / (float(np.linalg.norm(pair)) + 1e-9)) / 2)
            before = sentences[j - 1] if j else ""
            credit = bool(_CREDIT.search(quote))
            role = _ROLE.match(quote)
            f = {
                "sim": sim, "passage_sim": hit.dense, "best_sim": max(sim, hit.dense - 0.02),
                "sentence_coverage": sentence_cov, "bridged_coverage": bridged_cov,
                "typed_coverage": best_cov if typed else 0.0,
                "untyped_coverage": best_cov if q.kind in ("number", "date") and not (typed or typed_tr) else 0.0,
                "bigram_coverage": bigram_cov,
                "focus_coverage": (sum(t in own or t in translated_words
                                       or not translation and self._renders(t, own, rendered)
                                       for t in focus) / len(focus)) if focus else 0.0,
                "passage_coverage": 0.5 if unreadable else passage_cov,
                "carried_coverage": carried_cov, "no_coverage": float(passage_cov == 0 and not unreadable),
                "missing_rare": 0.0 if unreadable else max(missing, default=0.0) / (rare or 1.0),
                "rank": float(rank), "other_language": float(not same), "unreadable": float(unreadable),
                "kind_number": float(q.kind == "number"), "kind_date": float(q.kind == "date"),
                "kind_who": float(q.kind == "who"), "kind_place": float(q.kind == "place"),
                "kind_name": float(q.kind == "name"),
                "kind_none": float(q.kind is None), "typed": float(typed), "typed_translation": float(typed_tr),
                "no_number": float(q.kind == "number" and not numbers_in(quote) and not numbers_in(translation)),
                "measure_missing": float(bool(q.measure) and not typed),
                "count_missing": float(bool(q.counted) and same and not typed),
                "counted_for_others": float(same and counted_for_others(quote, q)),
                "total_for_others": float(total_for_others(quote, before, translation, q)),
                "pairs_others": float(same and q.kind == "number" and pairs_others(quote, context_tokens,
                                                                                   context_text, q)),
                "event_match": float(bool(q.events & told)), "event_other": float(bool(told) and not q.events & told),
                "names_missing": float(names_missing), "chinese_missing": float(chinese_missing),
                "place_unknown": float(place_unknown),
                "wanted_language": float(q.asked_lang != q.lang and chunk.lang == q.asked_lang),
                "unwanted_language": float(q.asked_lang != q.lang and chunk.lang != q.asked_lang),
                "renders_names": float(q.asked_lang != q.lang and renders(translation, q)),
                "new_names": float(typed if q.kind in ("who", "place", "name") else bool(new_names(quote, q, False))),
                "new_words": len(plain - set(q.tokens)) / max(1, len(plain)),
                "log_length": math.log1p(len(written)), "meta": float(q.meta),
                "credit_line": float(credit), "fragment": float(len(written) < 25 and not credit),
                "credit_role_match": float(bool(role) and bool(set(tokenize(role.group(1))) & set(q.tokens)
                                                                or q.roles and q.roles & credit_roles(role.group(1)))),
                "title_line": float(bool(_TITLE_LINE.match(quote))),
            }
            out.append(Candidate(hit, rank, quote, before, translation, typed, context_tokens, context_text,
                                 tuple(float(f[name]) for name in FEATURES)))
        return out

    # ------------------------------------------------------------ word statistics

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
        if len(self._idf) < 200_000:
            self._idf[(token, lang)] = value
        return value

    def _df(self, token: str, lang: str) -> int:
        index = self.store.bm25.get(lang)
        col = None if index is None else index.vocab.get(token)
        return 0 if col is None else int(index.df[col])

    @staticmethod
    def _renders(name: str, tokens, rendered: dict | None) -> bool:
        """Whether every search token of `name` (a question word or name) has a dictionary rendering among
        `tokens` (the words of a passage in the other language); False without a dictionary."""
        if not rendered:  # a passage in the question's language: no tokenising on the hot path
            return False
        parts = tokenize(name)
        return bool(parts) and all(any(r in tokens for r in rendered.get(t, ())) for t in parts)

    def _known(self, name: str) -> bool:
        """Whether some Chinese passage of the index has every search token of `name`."""
        return all(self._df(t, "zh") > 0 for t in tokenize(name))

    def coverage(self, q_tokens, text_tokens, lang: str, renderings: dict | None = None) -> float:
        """idf-weighted share of the question's content tokens that occur in the text. `renderings` (token ->
        its words in the text's language) lets a question of the other language count a word the text renders."""
        q = [t for t in dict.fromkeys(q_tokens) if t not in META_WORDS]
        if not q:
            return 0.0
        renderings = renderings or {}
        weights = [self.idf(t, lang) for t in q]
        got = sum(w for t, w in zip(q, weights, strict=True)
                  if t in text_tokens or any(r in text_tokens for r in renderings.get(t, ())))
        return got / sum(weights)

    def _translations(self, chunk, vecs: np.ndarray) -> dict[int, str]:
        """For each sentence of `chunk`, what its aligned passages in the other language say for it, when they
        do: a monotone alignment (one sentence to one, two or three, or none) by meaning, figures and length."""
        key = (chunk.chunk_id, chunk.lang)
        if key in self._aligned:
            return self._aligned[key]
        lang = "zh" if chunk.lang == "en" else "en"
        texts: list[str] = []
        there: list[np.ndarray] = []
        for cid in chunk.counterparts:
            row = self.store.row_of(cid)
            if row is not None and (other := self.store.chunk(row)).lang == lang:
                texts += other.sentence_texts()
                there.append(np.asarray(self.store.sentence_vecs(row), dtype=np.float32))
        out: dict[int, str] = {}
        if texts:
            here_texts = chunk.sentence_texts()
            here, other_vecs = np.asarray(vecs, dtype=np.float32), np.concatenate(there)
            en_side = chunk.lang == "en"
            beads = align_paragraphs(*((here_texts, texts, here, other_vecs) if en_side
                                       else (texts, here_texts, other_vecs, here)), moves=SENTENCE_MOVES)
            for en_ids, zh_ids in beads:
                mine, theirs = (en_ids, zh_ids) if en_side else (zh_ids, en_ids)
                for j in mine if theirs else ():
                    out[j] = " ".join(texts[k] for k in theirs)
        if len(self._aligned) < 50_000:
            self._aligned[key] = out
        return out
