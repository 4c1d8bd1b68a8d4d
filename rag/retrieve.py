"""Hybrid, language-aware retrieval: dense (FAISS, multilingual) fused with BM25 in the question's language
and, across the languages, BM25 over the other language's chunks with the question's words mapped by a
bilingual dictionary (`index.dictionary`).

Same-language BM25 votes only among chunks in the question's language: raw question words matched in the
other language are noise. The dictionary bridge gives the other language's chunks (all a one-language index
has, when asked in the other language) a lexical vote of their own. Scores then flow across translation
links, so an English hit lifts its Chinese counterpart and the other way round.

The weights (fusion, RRF constant, sentence re-rank, propagation, bridge) are fitted on the development splits
by `eval/fit_retrieval.py` and read from index/data/retrieval.json (`RetrievalParams.load`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.card import CARD, is_card
from index.chunk import Chunk
from index.dictionary import bridge
from index.store import LANGS, Store
from index.text import tokenize
from rag.checks import check_filters
from rag.question import about_document, asked_language

PARAMS_FILE = Path(__file__).resolve().parents[1] / "index" / "data" / "retrieval.json"


@dataclass(frozen=True, slots=True)
class RetrievalParams:
    bm25_weight: float = 0.5  # same-language BM25's weight in the fusion; dense has 1 - bm25_weight
    rrf_k: int = 60  # reciprocal-rank constant: larger flattens the top of each ranking
    depth: int = 50  # candidates taken from each ranking
    rerank: float = 0.5  # dense re-rank: share of the best sentence's cosine beside the passage's
    propagate: float = 0.9  # a chunk scores at least this share of its best translation counterpart (0: off)
    bridge_weight: float = 0.0  # weight of dictionary-bridged BM25 over the other language's chunks (0: off)
    one_card: bool = False  # at most one document card per translation group among the hits (they say the same)
    bridge_counterparts: bool = False  # a bridged hit also votes for its translation in the question's language
    own_language_first: bool = False  # a hit in the other language is preceded by its translation in the asker's
    card_weight: float = 0.0  # questions about the document: weight of a ranking of the document cards (0: off)
    cards_for_meta_only: bool = False  # other questions do not search the cards (they hold no article text)
    other_version_slot: int = 0  # rank S (from 1) given to the best other-language passage that translates
    #                              none of the first S hits, when they hold none (0: off): a fact only the
    #                              other version states. Any top k is a prefix of a longer one.

    @classmethod
    def load(cls, path: Path = PARAMS_FILE) -> RetrievalParams:
        """The fitted parameters ("search" in retrieval.json), defaults for any it lacks or when it is absent."""
        if not path.exists():
            return cls()
        fitted = json.loads(path.read_text(encoding="utf-8")).get("search", {})
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in fitted.items() if k in names})


@dataclass(frozen=True, slots=True)
class Hit:
    row: int
    chunk: Chunk
    score: float  # fused
    dense: float  # cosine with the question
    bm25: float  # 0 when not matched in the question's language


@dataclass(frozen=True, slots=True)
class Filters:
    doc_ids: tuple[str, ...] | None = None
    lang: str | None = None
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None
    exclude_chunks: tuple[str, ...] = ()  # chunk ids never returned (the eval's gold-removed questions)

    def __post_init__(self) -> None:
        check_filters(self)  # QuestionError naming the field


class HybridSearcher:
    """Dense + same-language BM25, fused by weighted reciprocal rank, with counterpart propagation."""

    def __init__(self, store: Store, embedder, bm25_weight: float | None = None,
                 params: RetrievalParams | None = None) -> None:
        """`params` default to the fitted ones; `bm25_weight` (RAG_BM25_WEIGHT), when given and not negative,
        overrides the fitted fusion weight."""
        self.store, self.embedder = store, embedder
        params = params or RetrievalParams.load()
        if bm25_weight is not None and bm25_weight >= 0:
            params = replace(params, bm25_weight=bm25_weight)
        self.params = params
        self._cards_key: tuple[int, int] | None = None  # what _card_rows last read (the store, its size)
        self._cards = np.zeros(0, dtype=np.int64)
        if params.bridge_weight > 0:  # CC-CEDICT takes a few seconds to read: not on the first question's time
            threading.Thread(target=bridge, name="dictionary-warm-up", daemon=True).start()

    def search(self, query: str, lang: str, k: int = 5, filters: Filters | None = None,
               extra_terms: list[str] | None = None) -> list[Hit]:
        """The top `k` chunks for `query` asked in `lang`. `extra_terms` are BM25 tokens carried over from
        earlier turns (follow-ups)."""
        if len(self.store) == 0:
            return []
        return self.search_vector(self.embedder.encode_query(query), query, lang, k, filters, extra_terms)

    def search_vector(self, qvec: np.ndarray, query: str, lang: str, k: int = 5, filters: Filters | None = None,
                      extra_terms: list[str] | None = None, meta: bool | None = None,
                      asked: str | None = None) -> list[Hit]:
        """`search` with the query already embedded (qvec: (dim,) normalised). `meta`: the question asks about
        the document (its credits, outlet, date) rather than what it says (None: tell from `query`). `asked`:
        the version the question asks about ("According to the Chinese text, ..."; None: tell from `query`);
        when it is not the question's own language, each hit is preceded by its translation in that version,
        so the passage asked about is read first."""
        store = self.store
        if len(store) == 0:
            return []
        p = self.params
        meta = about_document(query) if meta is None else meta
        asked = asked_language(query, lang) if asked is None else asked
        mask = self._mask(filters or Filters())
        cards = self._card_rows() if p.card_weight > 0 or p.cards_for_meta_only else np.zeros(0, dtype=np.int64)
        if p.cards_for_meta_only and not meta and len(cards):
            mask = np.ones(len(store), dtype=bool) if mask is None else mask.copy()
            mask[cards] = False
        dense = self._sentence_rerank(store.dense_search(qvec, p.depth, mask), qvec)
        tokens = tokenize(query) + list(extra_terms or [])
        sparse = store.bm25_search(tokens, lang, p.depth, mask)
        rankings, weights = [dense, sparse], [1.0 - p.bm25_weight, p.bm25_weight]
        if p.bridge_weight > 0:
            rankings.append(self._bridged(tokens, lang, mask))
            weights.append(p.bridge_weight)
        if meta and p.card_weight > 0 and len(cards):
            rankings.append(self._cards_by_meaning(cards, qvec, mask))
            weights.append(p.card_weight)
        fused = fuse_rankings(rankings, weights, p.rrf_k)
        if p.propagate > 0:
            fused = self._propagate(fused, mask)
        dense_of = dict(dense)
        bm25_of = dict(sparse)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        if p.one_card:
            ranked = self._one_card_per_group(ranked)
        if p.own_language_first:
            ranked = self._own_language_first(ranked, lang, mask)
        if p.other_version_slot and k >= p.other_version_slot:
            ranked = self._other_version_slot(ranked, lang)
        if asked != lang:
            ranked = self._own_language_first(ranked, asked, mask)
        top = ranked[:k]
        missing = [row for row, _ in top if row not in dense_of]
        if missing:  # chunks reached only by BM25 or a translation link: give them a real cosine too
            vecs = np.asarray(store.vectors[missing])
            dense_of.update(zip(missing, (vecs @ qvec).tolist(), strict=True))
        return [Hit(row, store.chunk(row), score, float(dense_of[row]), float(bm25_of.get(row, 0.0)))
                for row, score in top]

    def _card_rows(self) -> np.ndarray:
        """Rows of the document cards (one per document that has one), for this version of the store."""
        key = (id(self.store), len(self.store))
        if self._cards_key != key:
            rows = (self.store.row_of(f"{doc}:{CARD}") for doc in self.store.doc_ids)
            self._cards = np.array(sorted(r for r in rows if r is not None), dtype=np.int64)
            self._cards_key = key
        return self._cards

    def _cards_by_meaning(self, cards: np.ndarray, qvec: np.ndarray,
                          mask: np.ndarray | None) -> list[tuple[int, float]]:
        """The document cards the filters leave, by cosine with the question."""
        if mask is not None:
            cards = cards[mask[cards]]
        sims = np.asarray(self.store.vectors[cards]) @ qvec
        order = np.argsort(-sims, kind="stable")[: self.params.depth]
        return [(int(cards[i]), float(sims[i])) for i in order]

    def _mask(self, f: Filters) -> np.ndarray | None:
        mask = self.store.mask(f.doc_ids, f.lang, f.date_from, f.date_to)
        rows = [r for r in map(self.store.row_of, f.exclude_chunks) if r is not None]
        if rows:
            mask = np.ones(len(self.store), dtype=bool) if mask is None else mask.copy()
            mask[rows] = False
        return mask

    def _own_language_first(self, ranked: list[tuple[int, float]], lang: str,
                            mask: np.ndarray | None) -> list[tuple[int, float]]:
        """The ranking with each hit not in `lang` preceded by its translation in `lang` (when the index has
        one): the question's own version of a passage, or the version it names, comes first."""
        out, placed = [], set()
        for row, score in ranked:
            if row in placed:
                continue
            chunk = self.store.chunk(row)
            if chunk.lang != lang:
                for r in map(self.store.row_of, chunk.counterparts):
                    if r is not None and r not in placed and (mask is None or mask[r]):
                        placed.add(r)
                        out.append((r, score))
            placed.add(row)
            out.append((row, score))
        return out

    def _other_version_slot(self, ranked: list[tuple[int, float]], lang: str) -> list[tuple[int, float]]:
        """The ranking with the best passage of the other language that translates none of the first S
        passages (S = `other_version_slot`) moved up to rank S, when those S hold no such passage."""
        store = self.store
        k = self.params.other_version_slot
        mine = LANGS.index(lang)

        top = [r for r, _ in ranked[:k]]
        near = {x for r in top for x in map(store.row_of, store.chunk(r).counterparts) if x is not None}
        if any(store.lang_of[r] != mine and r not in near for r in top):
            return ranked
        for i in range(k, len(ranked)):
            row = ranked[i][0]
            if store.lang_of[row] != mine and row not in near and not is_card(store.chunk(row)):
                return [*ranked[: k - 1], ranked[i], *ranked[k - 1 : i], *ranked[i + 1 :]]
        return ranked

    def _one_card_per_group(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The ranking without a document card whose translation (the other version's card) ranks higher."""
        seen: set[str] = set()
        out = []
        for row, score in ranked:
            chunk = self.store.chunk(row)
            if is_card(chunk):
                if chunk.group in seen:
                    continue
                seen.add(chunk.group)
            out.append((row, score))
        return out

    def _bridged(self, tokens: list[str], lang: str, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """BM25 over the other language's chunks, the question's words mapped there by the dictionary, plus
        its numbers (canonical in both languages)."""
        other = "zh" if lang == "en" else "en"
        index = self.store.bm25.get(other)
        if index is None or len(index) == 0:
            return []
        weights = bridge().translate(tokens, lang, index.vocab)
        for t in tokens:
            if t.startswith("#"):
                weights[t] = weights.get(t, 0.0) + 1.0
        if not weights:
            return []
        ranked = self.store.bm25_search(list(weights), other, self.params.depth, mask, list(weights.values()))
        if not self.params.bridge_counterparts:
            return ranked
        out, seen = [], set()
        for row, score in ranked:  # each hit, then its counterparts: the same evidence in the asker's language
            for r in (row, *map(self.store.row_of, self.store.chunk(row).counterparts)):
                if r is not None and r not in seen and (mask is None or mask[r]):
                    seen.add(r)
                    out.append((r, score))
        return out

    def _sentence_rerank(self, dense: list[tuple[int, float]], qvec: np.ndarray) -> list[tuple[int, float]]:
        """Re-rank dense hits by a mix of the passage cosine and its best sentence's cosine: one sentence
        that says exactly what was asked should not be drowned by the rest of its passage."""
        share = self.params.rerank
        if share <= 0:
            return dense
        rescored = [(row, (1 - share) * score
                     + share * float((self.store.sentence_vecs(row) @ qvec).max(initial=score)))
                    for row, score in dense]
        return sorted(rescored, key=lambda rs: -rs[1])

    def _propagate(self, fused: dict[int, float], mask: np.ndarray | None) -> dict[int, float]:
        """A chunk scores at least `propagate` of its best-scoring translation counterpart."""
        out = dict(fused)
        for row, score in sorted(fused.items(), key=lambda kv: -kv[1])[: self.params.depth]:
            for cid in self.store.chunk(row).counterparts:
                other = self.store.row_of(cid)
                if other is not None and (mask is None or mask[other]):
                    out[other] = max(out.get(other, 0.0), self.params.propagate * score)
        return out


def fuse_rankings(rankings: list[list[tuple[int, float]]], weights: list[float], rrf_k: int = 60) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: row -> sum over rankings of weight / (rrf_k + rank), rank from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (rrf_k + rank)
    return fused


def hit_to_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(
        id=c.chunk_id,
        page_content=c.text,
        metadata={"chunk_id": c.chunk_id, "doc_id": c.doc_id, "group": c.group, "lang": c.lang, "title": c.title,
                  "section": c.section, "paragraph": c.paragraph, "score": hit.score, "dense": hit.dense,
                  "counterparts": list(c.counterparts), **c.metadata},
    )


class KnowledgeBaseRetriever(BaseRetriever):
    """The hybrid searcher as a LangChain retriever: `invoke(question, k=3)` -> list[Document]."""

    searcher: object
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs) -> list[Document]:
        from index.text import detect_lang

        lang = kwargs.get("lang") or detect_lang(query) or "en"
        hits = self.searcher.search(query, lang, k=kwargs.get("k", self.k))
        return [hit_to_document(h) for h in hits]
