"""Okapi BM25 as a sparse matrix: a query is a sum of a few columns, not a loop over every chunk."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse


class BM25Index:
    """Term counts (CSR, one row per chunk) and precomputed BM25 weights (CSC, for column sums).

    `rows[i]` is the store row of matrix row i, so one index can cover one language's chunks only.
    """

    def __init__(self, vocab: dict[str, int], counts: sparse.csr_matrix, rows: np.ndarray,
                 k1: float = 1.5, b: float = 0.75) -> None:
        self.vocab, self.counts, self.rows, self.k1, self.b = vocab, counts, rows, k1, b
        self.df = np.bincount(counts.indices, minlength=counts.shape[1])  # (vocab,) chunks holding each term
        self.weights = self._weights()

    @classmethod
    def build(cls, token_lists: list[list[str]], rows: np.ndarray, vocab: dict[str, int] | None = None,
              counts: sparse.csr_matrix | None = None) -> BM25Index:
        """A new index of `token_lists`, appended to an existing vocab and counts if given."""
        vocab = dict(vocab or {})
        indptr, indices, data = [0], [], []
        for tokens in token_lists:
            for term, tf in Counter(tokens).items():
                indices.append(vocab.setdefault(term, len(vocab)))
                data.append(tf)
            indptr.append(len(indices))
        new = sparse.csr_matrix((np.array(data, dtype="float32"), np.array(indices, dtype="int64"),
                                 np.array(indptr, dtype="int64")), shape=(len(token_lists), max(len(vocab), 1)))
        if counts is not None and counts.shape[0]:
            old = counts.copy()
            old.resize((counts.shape[0], new.shape[1]))
            new = sparse.vstack([old, new], format="csr")
        return cls(vocab, new, np.asarray(rows, dtype="int64"))

    def _weights(self) -> sparse.csc_matrix:
        counts = self.counts
        n = counts.shape[0]
        if n == 0:
            return sparse.csc_matrix(counts.shape, dtype="float32")
        df = self.df
        # Okapi idf, floored at a small epsilon times the mean idf as rank_bm25 does (never negative).
        idf = np.log((n - df + 0.5) / (df + 0.5))
        present = df > 0  # terms of removed chunks stay in the vocabulary with df 0: not part of the mean
        idf = np.where(idf < 0, 0.25 * max(float(idf[present].mean()) if present.any() else 0.0, 0.0), idf)
        dl = np.asarray(counts.sum(axis=1)).ravel()
        avgdl = dl.mean() or 1.0
        row_of = np.repeat(np.arange(n), np.diff(counts.indptr))
        tf = counts.data
        norm = tf + self.k1 * (1 - self.b + self.b * dl[row_of] / avgdl)
        w = idf[counts.indices] * tf * (self.k1 + 1) / norm
        return sparse.csr_matrix((w.astype("float32"), counts.indices, counts.indptr), shape=counts.shape).tocsc()

    def __len__(self) -> int:
        return self.counts.shape[0]

    def scores(self, tokens: list[str], weights: list[float] | None = None) -> np.ndarray:
        """(len(self),) BM25 score of every chunk for the query tokens (repeated tokens count once each);
        `weights`, one per token, make it a weighted sum of the tokens' columns."""
        if weights is None:
            weights = [1.0] * len(tokens)
        pairs = [(self.vocab[t], w) for t, w in zip(tokens, weights, strict=True) if t in self.vocab]
        if not pairs or len(self) == 0:
            return np.zeros(len(self), dtype="float32")
        cols, w = zip(*pairs, strict=True)
        return np.asarray(self.weights[:, list(cols)] @ np.asarray(w, dtype="float32"), dtype="float32").ravel()

    def subset(self, keep: np.ndarray, new_rows: np.ndarray) -> BM25Index:
        """An index of the matrix rows `keep` (a boolean mask), renumbered to store rows `new_rows`."""
        return BM25Index(self.vocab, self.counts[keep], new_rows)

    def save(self, directory: Path, name: str) -> None:
        c = self.counts
        for part, arr in (("data", c.data), ("indices", c.indices), ("indptr", c.indptr), ("rows", self.rows)):
            np.save(directory / f"{name}.{part}.npy", arr, allow_pickle=False)
        (directory / f"{name}.vocab.txt").write_text("\n".join(sorted(self.vocab, key=self.vocab.get)))

    @classmethod
    def load(cls, directory: Path, name: str) -> BM25Index:
        arrays = {p: np.load(directory / f"{name}.{p}.npy", allow_pickle=False)
                  for p in ("data", "indices", "indptr", "rows")}
        terms = (directory / f"{name}.vocab.txt").read_text().split("\n")
        vocab = {t: i for i, t in enumerate(terms)} if terms != [""] else {}
        counts = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                                   shape=(len(arrays["indptr"]) - 1, max(len(vocab), 1)))
        return cls(vocab, counts, arrays["rows"])
