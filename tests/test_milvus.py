"""Milvus Lite round trip: the FAISS store's chunks and vectors, written to Milvus through langchain-milvus, give
the same top hits for real questions, and RAG_STORE switches the assistant's dense search over to Milvus."""

from __future__ import annotations

import shutil

import pytest

from index.milvus import MilvusDenseIndex, attach_milvus, connection_uri
from index.store import Store
from rag import Assistant, ConfigError, Settings

pytest.importorskip("milvus_lite")

QUESTIONS = [
    "How many server racks is Shaoguan planning?",
    "韶关规划了多少标准机架？",
    "Roughly how many AI companies does Shenzhen have?",
    "广州科技创新母基金设立了多少只子基金？",
    "Who translated the article?",
    "What is Intellifusion known as?",
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """The bundled article indexed with FAISS, and the path of an empty Milvus Lite file."""
    root = tmp_path_factory.mktemp("milvus")
    settings = Settings(cache_dir=str(root / "cache"))
    assistant = Assistant.build(None, index_dir=root / "kb", settings=settings)
    return assistant, root / "kb", root / "vectors.db"


def test_milvus_lite_returns_the_same_top_hits_as_faiss(kb):
    faiss_kb, index_dir, db = kb
    milvus_kb = Assistant.load(index_dir, Settings.from_env({"RAG_STORE": str(db)}, cache_dir=""))
    assert isinstance(milvus_kb.store.faiss, MilvusDenseIndex)
    assert milvus_kb.store.faiss.ntotal == len(faiss_kb.store)
    for question in QUESTIONS:
        qvec = faiss_kb.embedder.encode_query(question)
        expected = faiss_kb.store.dense_search(qvec, 5)
        got = milvus_kb.store.dense_search(qvec, 5)
        assert [row for row, _ in got] == [row for row, _ in expected], question
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-4)


def test_answers_through_milvus_cite_what_faiss_cites(kb):
    faiss_kb, index_dir, db = kb
    milvus_kb = Assistant.load(index_dir, Settings(store=str(db), cache_dir=""))
    for question in QUESTIONS:
        a, b = faiss_kb.ask(question), milvus_kb.ask(question)
        assert (b.text, [c.chunk_id for c in b.citations]) == (a.text, [c.chunk_id for c in a.citations])


def test_a_new_index_version_gets_its_own_collection_and_the_old_one_is_dropped(kb, tmp_path):
    faiss_kb, shared_dir, _ = kb
    index_dir, db = shutil.copytree(shared_dir, tmp_path / "kb"), tmp_path / "versions.db"
    settings = Settings(store=str(db), cache_dir=str(shared_dir.parent / "cache"))
    first = attach_milvus(Store.load(index_dir), str(db), faiss_kb.embedder, index_dir)
    article = tmp_path / "harbour.txt"
    article.write_text("Harbour report\n\nThe harbour handled 4.2 million containers last year, a record.\n")
    milvus_kb = Assistant.load(index_dir, settings)
    milvus_kb.add([article])
    current = milvus_kb.store.faiss
    assert current.collection != first.collection
    assert current.client.list_collections() == [current.collection]
    assert current.ntotal == len(milvus_kb.store)
    answer = milvus_kb.ask("How many containers did the harbour handle last year?")
    assert "4.2 million" in answer.text


def test_store_setting_names_faiss_a_lite_file_or_a_server():
    assert connection_uri("faiss") is None
    assert connection_uri("milvus://10.0.0.5:19530") == "http://10.0.0.5:19530"
    assert connection_uri("https://in01.example.zillizcloud.com") == "https://in01.example.zillizcloud.com"
    assert connection_uri("/data/kb-vectors.db") == "/data/kb-vectors.db"
    with pytest.raises(ConfigError, match="RAG_STORE"):
        connection_uri("postgres://db")


def test_an_unreachable_milvus_server_is_a_config_error_naming_the_fix(kb):
    faiss_kb, index_dir, _ = kb
    with pytest.raises(ConfigError, match="cannot open Milvus at http://127.0.0.1:1.*RAG_STORE=faiss"):
        Assistant.load(index_dir, Settings(store="milvus://127.0.0.1:1", cache_dir=""))
