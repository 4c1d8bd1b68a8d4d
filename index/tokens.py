"""BM25 tokens for many texts at once: reused from a cache keyed by content hash, the rest tokenised in two
processes when there are thousands. Re-indexing an unchanged corpus then costs no jieba segmentation, which is
most of a re-index once the vectors come from the embedding cache."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from index.text import tokenize

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "2"  # bump when tokenize() changes what it returns (2: Chinese as simplified characters)
PARALLEL_FROM = 2000  # texts to tokenise before a second process pays for its start-up (~1 s of jieba loading)


class TokenCache:
    """Token lists keyed by sha256(tokenizer version, text), under `root`/tokens. Each shard is three files: its
    keys (JSON list), one JSON line of tokens a key, and the byte offset of each line (npy), so a build reads
    only the lines it needs: the cache grows with everything ever indexed, a build's memory with its corpus."""

    def __init__(self, root: str | Path | None) -> None:
        self.dir = Path(root) / "tokens" if root else None
        self._tokens: dict[str, list[str]] = {}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{TOKENIZER_VERSION}\x00{text}".encode()).hexdigest()[:32]

    def get(self, texts: list[str]) -> list[list[str] | None]:
        keys = [self.key(t) for t in texts]
        wanted = {k for k in keys if k not in self._tokens}
        for keys_file in sorted(self.dir.glob("*.keys.json")) if wanted and self.dir and self.dir.exists() else []:
            try:
                self._read_shard(keys_file, wanted)
            except (OSError, ValueError, IndexError) as e:
                log.warning("ignoring damaged token cache shard %s: %s", keys_file, e)
            if not wanted:
                break
        return [self._tokens.get(k) for k in keys]

    def _read_shard(self, keys_file: Path, wanted: set[str]) -> None:
        stem = keys_file.name.removesuffix(".keys.json")
        keys = json.loads(keys_file.read_text())
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("the keys file is not a list of keys")  # valid JSON of the wrong shape
        rows = [(i, k) for i, k in enumerate(keys) if k in wanted]
        if not rows:
            return
        offsets = np.load(keys_file.with_name(f"{stem}.offsets.npy"), allow_pickle=False)
        with open(keys_file.with_name(f"{stem}.jsonl"), "rb") as f:
            for i, k in rows:
                f.seek(int(offsets[i]))
                tokens = json.loads(f.readline())
                if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                    raise ValueError(f"line {i} is not a token list")
                self._tokens[k] = tokens
                wanted.discard(k)

    def put(self, texts: list[str], tokens: list[list[str]]) -> None:
        entries = {self.key(t): list(toks) for t, toks in zip(texts, tokens, strict=True)}
        self._tokens.update(entries)
        if self.dir is None or not entries:
            return
        try:
            self._write(entries)
        except OSError as e:  # the cache is optional: a read-only or full cache folder costs only the cache
            log.warning("token cache %s cannot be written (%s); building without it", self.dir, e)
            self.dir = None

    def _write(self, entries: dict[str, list[str]]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("".join(entries).encode()).hexdigest()[:16]
        offsets, lines = [], bytearray()
        for toks in entries.values():
            offsets.append(len(lines))
            lines += json.dumps(toks, ensure_ascii=False).encode() + b"\n"
        # Lines and offsets land before the keys that announce them.
        for suffix, write in ((".jsonl", lambda f: f.write(bytes(lines))),
                              (".offsets.npy", lambda f: np.save(f, np.array(offsets, dtype="int64"),
                                                                 allow_pickle=False)),
                              (".keys.json", lambda f: f.write(json.dumps(list(entries)).encode()))):
            tmp = self.dir / f".{name}{suffix}.tmp"
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, self.dir / f"{name}{suffix}")


def tokenize_many(texts: list[str], cache: TokenCache | None = None) -> list[list[str]]:
    """tokenize() of each text, in order."""
    found = cache.get(texts) if cache else [None] * len(texts)
    missing = [i for i, toks in enumerate(found) if toks is None]
    todo = [texts[i] for i in missing]
    if len(todo) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        # forkserver, not fork: the parent may be running OpenMP (the embedder, FAISS) or Gradio threads.
        with ProcessPoolExecutor(2, mp_context=get_context("forkserver")) as pool:
            fresh = list(pool.map(tokenize, todo, chunksize=256))
    else:
        fresh = [tokenize(t) for t in todo]
    for i, toks in zip(missing, fresh, strict=True):
        found[i] = toks
    if cache and todo:
        cache.put(todo, fresh)
    return found  # type: ignore[return-value]
