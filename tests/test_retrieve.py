"""Hybrid retrieval: filters, exclusion of chunks, fusion."""

from __future__ import annotations

from rag.retrieve import Filters, HybridSearcher, fuse_rankings


def test_excluded_chunks_and_only_they_never_come_back(bundled_store, embedder):
    from dataclasses import replace

    from rag.retrieve import RetrievalParams

    # the other version's slot re-ranks what is left: off here, where only the exclusion is tested
    searcher = HybridSearcher(bundled_store, embedder, params=replace(RetrievalParams.load(), other_version_slot=0))
    question = "How many standard racks does Shaoguan plan to build?"
    before = [h.chunk.chunk_id for h in searcher.search(question, "en", k=5)]
    gone = (before[0], *bundled_store.chunk(bundled_store.row_of(before[0])).counterparts)
    after = [h.chunk.chunk_id for h in searcher.search(question, "en", k=5, filters=Filters(exclude_chunks=gone))]
    assert not set(gone) & set(after)
    assert [c for c in before if c not in gone] == after[: len([c for c in before if c not in gone])]


def test_fusion_is_weighted_reciprocal_rank():
    fused = fuse_rankings([[(1, 0.9), (2, 0.8)], [(2, 5.0)]], [0.5, 0.5], rrf_k=60)
    assert fused[2] == 0.5 / 62 + 0.5 / 61 and fused[1] == 0.5 / 61


def test_parameters_come_from_the_fitted_file_with_defaults_for_what_it_lacks(tmp_path):
    import json

    from rag.retrieve import PARAMS_FILE, RetrievalParams

    path = tmp_path / "retrieval.json"
    path.write_text(json.dumps({"search": {"bm25_weight": 0.2, "rrf_k": 7, "unknown": 1}}))
    params = RetrievalParams.load(path)
    assert (params.bm25_weight, params.rrf_k, params.rerank) == (0.2, 7, RetrievalParams().rerank)
    assert RetrievalParams.load(tmp_path / "absent.json") == RetrievalParams()
    shipped = json.loads(PARAMS_FILE.read_text())
    assert shipped["script"] == "python -m eval.fit_retrieval" and shipped["data"]["split"] == "dev"
    assert RetrievalParams.load() == RetrievalParams(**shipped["search"])


def test_a_settings_weight_overrides_the_fitted_one(bundled_store, embedder):
    assert HybridSearcher(bundled_store, embedder, bm25_weight=0.8).params.bm25_weight == 0.8
    fitted = HybridSearcher(bundled_store, embedder, bm25_weight=-1.0).params
    assert fitted.bm25_weight == HybridSearcher(bundled_store, embedder).params.bm25_weight


def test_a_one_language_index_is_searched_across_languages_through_the_dictionary(bundled_store, embedder):
    from dataclasses import replace

    from rag.retrieve import RetrievalParams

    question = "深圳有多少家人工智能企业？"
    only_en = Filters(lang="en")
    base = RetrievalParams(bridge_weight=0.0)
    bridged = HybridSearcher(bundled_store, embedder, params=replace(base, bridge_weight=1.0))
    plain = HybridSearcher(bundled_store, embedder, params=base)
    hits = bridged.search(question, "zh", k=5, filters=only_en)
    assert hits and all(h.chunk.lang == "en" for h in hits)
    assert bridged._bridged(["深圳", "人工智能"], "zh", None)  # the bridge gives English chunks a lexical vote
    assert not plain.store.bm25_search(["深圳"], "en", 5)  # same-language BM25 alone has nothing to match there


def test_a_passage_only_the_other_version_has_gets_a_place_in_the_top_k(bundled_store, embedder):
    from dataclasses import replace

    from rag.retrieve import RetrievalParams

    store = bundled_store
    slotted = HybridSearcher(store, embedder, params=replace(RetrievalParams.load(), other_version_slot=3))
    rows = range(len(store))
    zh = [r for r in rows if store.chunk(r).lang == "zh" and store.chunk(r).paragraph >= 0]
    top = zh[:3]
    linked = {store.row_of(c) for r in top for c in store.chunk(r).counterparts}
    en = [r for r in rows if store.chunk(r).lang == "en" and store.chunk(r).paragraph >= 0]
    ranking = [(r, 1.0) for r in top + [r for r in en if r in linked] + [r for r in en if r not in linked]]
    moved = slotted._other_version_slot(ranking, "zh")
    first_unlinked = next(r for r in en if r not in linked)
    assert [r for r, _ in moved[:4]] == [*top[:2], first_unlinked, top[2]]  # rank 3, the rest pushed down
    assert sorted(moved) == sorted(ranking)  # nothing lost
    # a top k that already holds such a passage is left as it was
    ranking = [(r, 1.0) for r in [top[0], first_unlinked, *top[1:]]]
    assert slotted._other_version_slot(ranking, "zh") == ranking


def test_a_question_that_names_the_other_version_reads_that_version_first(bundled_store, embedder):
    from rag.question import asked_language

    searcher = HybridSearcher(bundled_store, embedder)
    asked = "爱特云翔在英文版里被写成什么名字？"
    assert asked_language(asked, "zh") == "en"
    hits = searcher.search(asked, "zh", k=5)
    own = searcher.search_vector(embedder.encode_query(asked), asked, "zh", k=5, asked="zh")
    assert sum(h.chunk.lang == "en" for h in hits[:3]) > sum(h.chunk.lang == "en" for h in own[:3])
    # each passage of the version it names comes before its own-language translation
    for i, h in enumerate(hits):
        if h.chunk.lang == "zh" and h.chunk.counterparts:
            assert any(x.chunk.chunk_id in h.chunk.counterparts for x in hits[:i])
    # the language as a subject is not a version asked for
    assert asked_language("改版后的双语版与哪家英语学习机构合作？", "zh") == "zh"
    assert asked_language("According to the Chinese text, how many firms are there?", "en") == "zh"
