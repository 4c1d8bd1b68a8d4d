"""Dense search in Milvus, for when the vectors should live past one machine.

`RAG_STORE` names where nearest-neighbour search runs: `faiss` (the default: the index files next to the
chunks), a Milvus Lite file (any path ending `.db`, for tests and laptops) or a Milvus server or cluster
(`milvus://host:19530`, or an `http(s)://` URI). The same rows and vectors the FAISS store holds are written,
through langchain-milvus, to one collection per index version, and `MilvusDenseIndex.search` answers in the
shape `faiss.Index.search` does, so `Store.dense_search` (masks, over-fetching) works unchanged. Chunks, BM25
and the vectors used to re-score a few hits stay in the local store; only the nearest-neighbour search moves.

    from index.milvus import attach_milvus
    attach_milvus(store, "milvus://10.0.0.5:19530", embedder, "kb/")   # store.dense_search now asks Milvus
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import ConfigError
from index.store import Store, ann_threshold

log = logging.getLogger(__name__)

MAX_TOP_K = 16_384  # Milvus refuses a larger limit per search
INSERT_BATCH = 1_000


def connection_uri(store_setting: str) -> str | None:
    """The pymilvus URI for a RAG_STORE value, or None when the local FAISS index is meant."""
    value = store_setting.strip()
    if value in ("", "faiss"):
        return None
    if value.startswith("milvus://"):
        return "http://" + value[len("milvus://"):]
    if value.startswith(("http://", "https://")):
        return value
    if value.endswith(".db"):
        return str(Path(value).expanduser().resolve())  # Milvus Lite: a local file, no server
    raise ConfigError(f"RAG_STORE={store_setting!r} is not a store: use 'faiss', a Milvus Lite file "
                      "ending in '.db', or a server URI such as 'milvus://host:19530'")


def collection_name(store: Store, name: str = "kb") -> str:
    """`rag_<index name>_<fingerprint>`: a new index version (other chunks) gets a new collection."""
    documents = [(d, info.get("hash"), info.get("chunks")) for d, info in store.manifest["documents"].items()]
    fingerprint = hashlib.sha256(json.dumps([store.embedder_id, len(store), documents]).encode()).hexdigest()
    return f"{_prefix(name)}{fingerprint[:16]}"


def _prefix(name: str) -> str:
    return "rag_" + (re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")[:64] or "kb") + "_"


class MilvusDenseIndex:
    """One Milvus collection of (chunk id, text, row, vector) rows; `search` answers like a FAISS index."""

    def __init__(self, uri: str, collection: str, embeddings: Embeddings, hnsw: bool = False) -> None:
        from langchain_milvus import Milvus
        from pymilvus import MilvusException

        # Inner product on normalised vectors is the cosine FAISS uses. HNSW gets the FAISS store's settings.
        index = {"index_type": "FLAT", "metric_type": "IP", "params": {}}
        if hnsw:
            index = {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 32, "efConstruction": 80}}
        self.hnsw, self.uri, self.collection = hnsw, uri, collection
        try:
            self.vectorstore = Milvus(embedding_function=embeddings, collection_name=collection,
                                      connection_args={"uri": uri}, index_params=index,
                                      search_params=self._search_params(10), consistency_level="Strong")
        except MilvusException as e:
            raise ConfigError(f"cannot open Milvus at {uri} ({e}); start the server or set RAG_STORE=faiss") \
                from None

    @property
    def client(self):
        return self.vectorstore.client

    @property
    def ntotal(self) -> int:
        if not self.client.has_collection(self.collection):
            return 0
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def add_store(self, store: Store) -> None:
        """Write every row of `store`: chunk id as primary key, shown text, row number, language, vector."""
        chunks = store.chunks()
        for start in range(0, len(chunks), INSERT_BATCH):
            part = chunks[start : start + INSERT_BATCH]
            vectors = np.asarray(store.vectors[start : start + len(part)], dtype="float32")
            metadatas = [{"row": start + i, "doc_id": c.doc_id, "lang": c.lang} for i, c in enumerate(part)]
            self.vectorstore.add_embeddings(texts=[c.text for c in part], embeddings=vectors.tolist(),
                                            metadatas=metadatas, ids=[c.chunk_id for c in part])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Like faiss: (scores, rows), each (n_queries, k), best first, rows -1 where fewer than k exist."""
        k = min(int(k), MAX_TOP_K)
        queries = np.asarray(queries, dtype="float32").reshape(-1, np.shape(queries)[-1])
        scores = np.full((len(queries), k), -np.inf, dtype="float32")
        rows = np.full((len(queries), k), -1, dtype="int64")
        for qi, query in enumerate(queries):
            hits = self.vectorstore.similarity_search_with_score_by_vector(
                query.tolist(), k=k, param=self._search_params(k))
            for j, (doc, score) in enumerate(hits):
                scores[qi, j], rows[qi, j] = score, doc.metadata["row"]
        return scores, rows

    def drop_other_versions(self, name: str) -> list[str]:
        """Drop the collections of older versions of the index called `name`; returns their names."""
        prefix = _prefix(name)
        stale = [c for c in self.client.list_collections() if c.startswith(prefix) and c != self.collection]
        for c in stale:
            self.client.drop_collection(c)
        return stale

    def _search_params(self, k: int) -> dict:
        if self.hnsw:
            return {"metric_type": "IP", "params": {"ef": max(128, k)}}  # Milvus needs ef >= k
        return {"metric_type": "IP", "params": {}}


def attach_milvus(store: Store, store_setting: str, embeddings: Embeddings,
                  index_dir: str | Path | None = None) -> MilvusDenseIndex | None:
    """Serve `store`'s dense search from Milvus when `store_setting` (RAG_STORE) names one; else do nothing.

    The collection for this version is written on first use (its rows are counted, not trusted), and the
    collections of the same index's older versions are dropped.
    """
    uri = connection_uri(store_setting)
    if uri is None:
        return None
    name = Path(index_dir).name if index_dir else "kb"
    hnsw = len(store) >= ann_threshold(store.manifest)
    index = MilvusDenseIndex(uri, collection_name(store, name), embeddings, hnsw=hnsw)
    if index.ntotal != len(store):
        if index.ntotal:
            index.client.drop_collection(index.collection)
            index = MilvusDenseIndex(uri, index.collection, embeddings, hnsw=hnsw)
        log.info("writing %d vectors to Milvus collection %s at %s", len(store), index.collection, uri)
        index.add_store(store)
    index.drop_other_versions(name)
    store.faiss = index  # duck-typed: Store.dense_search only calls .search(q, k)
    return index
