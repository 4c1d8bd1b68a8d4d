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

from index.text import tokenize

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "1"  # bump when tokenize() changes what it returns: old cache entries are then never read
PARALLEL_FROM = 2000  # texts to tokenise before a second process pays for its start-up (~1 s of jieba loading)


class TokenCache:
    """Token lists keyed by sha256(tokenizer version, text), as JSON shards under `root`/tokens."""

    def __init__(self, root: str | Path | None) -> None:
        self.dir = Path(root) / "tokens" if root else None
        self._tokens: dict[str, list[str]] = {}
        self._loaded = False

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{TOKENIZER_VERSION}\x00{text}".encode()).hexdigest()[:32]

    def _load(self) -> None:
        if self._loaded or self.dir is None:
            return
        self._loaded = True
        for shard in sorted(self.dir.glob("*.json")) if self.dir.exists() else []:
            try:
                data = json.loads(shard.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                log.warning("ignoring damaged token cache shard %s: %s", shard, e)
                continue
            if isinstance(data, dict):
                self._tokens.update(data)

    def get(self, texts: list[str]) -> list[list[str] | None]:
        self._load()
        return [self._tokens.get(self.key(t)) for t in texts]

    def put(self, texts: list[str], tokens: list[list[str]]) -> None:
        entries = {self.key(t): list(toks) for t, toks in zip(texts, tokens, strict=True)}
        self._tokens.update(entries)
        if self.dir is None or not entries:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("".join(entries).encode()).hexdigest()[:16]
        tmp = self.dir / f".{name}.tmp"
        tmp.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.dir / f"{name}.json")


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
