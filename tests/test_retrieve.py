"""Hybrid retrieval: filters, exclusion of chunks, fusion."""

from __future__ import annotations

from rag.retrieve import Filters, HybridSearcher, fuse_rankings


def test_excluded_chunks_and_only_they_never_come_back(bundled_store, embedder):
    searcher = HybridSearcher(bundled_store, embedder)
    question = "How many standard racks does Shaoguan plan to build?"
    before = [h.chunk.chunk_id for h in searcher.search(question, "en", k=5)]
    gone = (before[0], *bundled_store.chunk(bundled_store.row_of(before[0])).counterparts)
    after = [h.chunk.chunk_id for h in searcher.search(question, "en", k=5, filters=Filters(exclude_chunks=gone))]
    assert not set(gone) & set(after)
    assert [c for c in before if c not in gone] == after[: len([c for c in before if c not in gone])]


def test_fusion_is_weighted_reciprocal_rank():
    fused = fuse_rankings([[(1, 0.9), (2, 0.8)], [(2, 5.0)]], [0.5, 0.5], rrf_k=60)
    assert fused[2] == 0.5 / 62 + 0.5 / 61 and fused[1] == 0.5 / 61
