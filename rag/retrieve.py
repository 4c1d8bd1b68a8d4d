"""Hybrid, language-aware retrieval: dense (FAISS, multilingual) fused with BM25 in the question's language.

BM25 votes only among chunks in the question's language: across languages its matches are noise, and a
one-language index asked in the other language must fall back to dense alone. Scores then flow across
translation links, so an English hit lifts its Chinese counterpart and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.chunk import Chunk
from index.store import Store
from index.text import tokenize
from rag.checks import check_filters


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

    def __post_init__(self) -> None:
        check_filters(self)  # QuestionError naming the field


class HybridSearcher:
    """Dense + same-language BM25, fused by weighted reciprocal rank, with counterpart propagation."""

    def __init__(self, store: Store, embedder, bm25_weight: float = 0.5, rrf_k: int = 60,
                 depth: int = 50) -> None:
        self.store, self.embedder = store, embedder
        self.bm25_weight, self.rrf_k, self.depth = bm25_weight, rrf_k, depth

    def search(self, query: str, lang: str, k: int = 5, filters: Filters | None = None,
               extra_terms: list[str] | None = None) -> list[Hit]:
        """The top `k` chunks for `query` asked in `lang`. `extra_terms` are BM25 tokens carried over from
        earlier turns (follow-ups)."""
        if len(self.store) == 0:
            return []
        return self.search_vector(self.embedder.encode_query(query), query, lang, k, filters, extra_terms)

    def search_vector(self, qvec: np.ndarray, query: str, lang: str, k: int = 5, filters: Filters | None = None,
                      extra_terms: list[str] | None = None) -> list[Hit]:
        """`search` with the query already embedded (qvec: (dim,) normalised)."""
        store = self.store
        if len(store) == 0:
            return []
        f = filters or Filters()
        mask = store.mask(f.doc_ids, f.lang, f.date_from, f.date_to)
        dense = self._sentence_rerank(store.dense_search(qvec, self.depth, mask), qvec)
        tokens = tokenize(query) + list(extra_terms or [])
        sparse = store.bm25_search(tokens, lang, self.depth, mask)
        fused = fuse_rankings([dense, sparse], [1.0 - self.bm25_weight, self.bm25_weight], self.rrf_k)
        fused = self._propagate(fused, mask)
        dense_of = dict(dense)
        bm25_of = dict(sparse)
        top = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        missing = [row for row, _ in top if row not in dense_of]
        if missing:  # chunks reached only by BM25 or a translation link: give them a real cosine too
            vecs = np.asarray(store.vectors[missing])
            dense_of.update(zip(missing, (vecs @ qvec).tolist(), strict=True))
        return [Hit(row, store.chunk(row), score, float(dense_of[row]), float(bm25_of.get(row, 0.0)))
                for row, score in top]

    def _sentence_rerank(self, dense: list[tuple[int, float]], qvec: np.ndarray) -> list[tuple[int, float]]:
        """Re-rank dense hits by the mean of the passage cosine and its best sentence's cosine: one sentence
        that says exactly what was asked should not be drowned by the rest of its passage."""
        rescored = [(row, 0.5 * score + 0.5 * float((self.store.sentence_vecs(row) @ qvec).max(initial=score)))
                    for row, score in dense]
        return sorted(rescored, key=lambda rs: -rs[1])

    def _propagate(self, fused: dict[int, float], mask: np.ndarray | None) -> dict[int, float]:
        """A chunk scores at least 0.9 of its best-scoring translation counterpart."""
        out = dict(fused)
        for row, score in sorted(fused.items(), key=lambda kv: -kv[1])[: self.depth]:
            for cid in self.store.chunk(row).counterparts:
                other = self.store.row_of(cid)
                if other is not None and (mask is None or mask[other]):
                    out[other] = max(out.get(other, 0.0), 0.9 * score)
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
