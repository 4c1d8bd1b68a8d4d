"""`rag bench` end to end on a small corpus, through the CLI: every phase runs and the JSON and Markdown carry
every measure with sane values. Speed targets are shown by the printed benchmark (`make bench`), not asserted.

The corpus is 300 chunks: its full build embeds every chunk and ~1,800 sentences into an empty cache, a couple
of minutes on two cores (the 1k and 10k figures the performance targets name come from `make bench`). The cold
sample is the bundled article's 20 chunks, in 2 rounds, and few questions are timed: the test checks that every
phase runs and reports, not how fast."""

from __future__ import annotations

import json

import pytest

from eval.bench import CMRC_FILES, DATASETS, build_corpus, load_cmrc
from rag.cli import main

needs_cmrc = pytest.mark.skipif(not all((DATASETS / f).exists() for f in CMRC_FILES),
                                reason=f"CMRC 2018 is not in {DATASETS}")


@needs_cmrc
@pytest.mark.slow
def test_bench_writes_every_measure_for_both_sides(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--sizes", "300", "--sample", "20", "--rounds", "2", "--queries", "8",
                 "--recall-queries", "20", "--json", str(out), "--cache-dir", str(tmp_path / "cache"),
                 "--work-dir", str(tmp_path / "work")])
    assert code == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1].startswith("summary: 300: build ") and "LangChain" in printed[-1]

    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1 and results["machine"]["versions"]["faiss-cpu"]
    (r,) = results["sizes"]
    corpus, cold, build = r["corpus"], r["cold_sample"], r["build"]
    # the build also holds the bundled article's two document cards
    assert corpus["chunks"] == 300 and build["chunks"] - corpus["chunks"] in (0, 2) and corpus["zh"] > corpus["en"] > 0
    assert cold["chunks"] == cold["langchain_chunks"] == 20  # both sides embed the same texts
    assert cold["rounds"] == 2 and len(cold["per_round_chunks_per_s"]["lc_build"]) == 2
    assert min(cold["embedder_chunks_per_s"], cold["ours_chunks_per_s"], cold["langchain_chunks_per_s"]) > 0
    assert build["units_embedded"] > 0 and build["rebuild_units_embedded"] == 0  # the cache serves the rebuild
    serve, lc = r["serve"], r["langchain"]
    assert 0 < serve["retrieval_p50_ms"] <= serve["retrieval_p95_ms"]
    assert 0 < serve["answer_p50_ms"] <= serve["answer_p95_ms"]
    assert 0 < lc["retrieval_p50_ms"] <= lc["retrieval_p95_ms"]
    assert serve["index_bytes"] > 0 and lc["index_bytes"] > 0 and serve["faiss"] == "flat"
    assert min(serve["peak_rss_mb"], lc["peak_rss_mb"], build["peak_rss_mb"]) > 50
    assert serve["store_load_s"] > 0 and lc["load_s"] > 0
    assert r["recall"]["chosen_recall_at_10"] == 1.0  # flat is exact search
    assert all(0 < v <= 1 for v in r["recall"]["ann_recall_at_10"].values())
    assert all(0 < v <= 1 for v in r["recall"]["hnsw_reference"]["recall_at_10"].values())
    assert 0 < r["recall"]["ann_recall_at_10_real_text"] <= 1 and r["recall"]["real_text_rows"] < 300
    assert set(r["ratios"]) >= {"build_vs_embedder", "build_vs_langchain", "retrieval_p50_vs_langchain"}
    assert r["targets"] and all(isinstance(t["met"], bool) for t in r["targets"])

    markdown = out.with_suffix(".md").read_text()
    assert "| | this project | LangChain FAISS recipe |" in markdown and results["summary"] in markdown


@needs_cmrc
def test_corpus_has_exactly_the_chunks_asked_for_and_grows_by_extension(tmp_path):
    cmrc = load_cmrc(DATASETS)
    small = build_corpus(150, cmrc, tmp_path / "small", sample=30)
    large = build_corpus(400, cmrc, tmp_path / "large", sample=30)
    assert (small["chunks"], large["chunks"], small["sample_chunks"]) == (150, 400, 30)
    assert small["en"] > 0 and small["bundled_article"] == 20
    first = (tmp_path / "small" / "corpus" / "part-000.jsonl").read_text().splitlines()
    assert (tmp_path / "large" / "corpus" / "part-000.jsonl").read_text().splitlines()[: len(first)] == first


def test_bench_without_the_dataset_skips_with_a_message(tmp_path, capsys):
    assert main(["bench", "--sizes", "100", "--datasets", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().err
