"""The store as a LangChain `VectorStore`, for code that expects one (and for LangChain's standard tests).

It works with any LangChain `Embeddings`; documents added through it keep their metadata verbatim. The
assistant itself uses the hybrid retriever (`Assistant.retriever`), which also ranks by BM25 and language.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.chunk import Chunk
from index.store import Store
from index.text import detect_lang, split_sentences


class KnowledgeBaseVectorStore(VectorStore):
    """FAISS-backed vector store; `save(dir)` writes the same versioned, pickle-free format as `rag index`."""

    def __init__(self, embedding: Embeddings, store: Store | None = None) -> None:
        self._embedding = embedding
        self.store = store

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.get("ids") or [d.id or str(uuid.uuid4()) for d in documents]
        texts = [d.page_content for d in documents]
        vectors = _normalise(np.asarray(self._embedding.embed_documents(texts), dtype="float32"))
        if self.store is None:
            self.store = Store.empty(f"langchain:{type(self._embedding).__name__}", vectors.shape[1])
        self.store.remove_chunks(ids)  # re-adding an id replaces it
        chunks = [_chunk(i, d) for i, d in zip(ids, documents, strict=True)]
        sentence_vectors = np.repeat(vectors, [len(c.sentences) for c in chunks], axis=0)
        self.store.add(chunks, vectors, sentence_vectors)
        return list(ids)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if self.store is not None and ids:
            self.store.remove_chunks(ids)
        return True

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        if self.store is None:
            return []
        rows = [self.store.row_of(i) for i in ids]
        return [_document(self.store.chunk(r)) for r in rows if r is not None]

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        if self.store is None or len(self.store) == 0:
            return []
        q = _normalise(np.asarray(self._embedding.embed_query(query), dtype="float32").reshape(1, -1))[0]
        return [(_document(self.store.chunk(row)), score) for row, score in self.store.dense_search(q, k)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return lambda score: (score + 1) / 2  # cosine -> [0, 1]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, *,
                   ids: list[str] | None = None, **kwargs: Any) -> KnowledgeBaseVectorStore:
        store = cls(embedding)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        metadatas = metadatas or [{} for _ in texts]
        docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas, strict=True)]
        return self.add_documents(docs, ids=ids)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _chunk(chunk_id: str, doc: Document) -> Chunk:
    text = doc.page_content
    sentences = tuple(split_sentences(text)) or ((0, len(text)),)
    return Chunk(chunk_id, chunk_id, chunk_id, detect_lang(text) or "en", "", "", 0, 0, len(text), text, sentences,
                 dict(doc.metadata))


def _document(chunk: Chunk) -> Document:
    return Document(id=chunk.chunk_id, page_content=chunk.text, metadata=dict(chunk.metadata))
