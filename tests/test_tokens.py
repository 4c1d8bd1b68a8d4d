"""BM25 tokens for many texts: the cache and the two-process path give exactly what tokenize() gives."""

import index.tokens as tokens_module
from index.text import tokenize
from index.tokens import TokenCache, tokenize_many

TEXTS = ["韶关规划了54.6万标准机架。", "Shaoguan plans 546,000 standard racks.", "深圳同样表现亮眼。", ""]


def test_two_processes_tokenize_like_one(monkeypatch):
    texts = TEXTS * 3
    monkeypatch.setattr(tokens_module, "PARALLEL_FROM", 4)
    assert tokenize_many(texts) == [tokenize(t) for t in texts]


def test_cached_tokens_are_reused_across_instances(tmp_path, monkeypatch):
    first = tokenize_many(TEXTS, TokenCache(tmp_path))
    assert list((tmp_path / "tokens").glob("*.json"))

    def no_tokenizing(text):
        raise AssertionError(f"tokenised again: {text!r}")

    monkeypatch.setattr(tokens_module, "tokenize", no_tokenizing)
    assert tokenize_many(TEXTS, TokenCache(tmp_path)) == first
    assert first[1] == tokenize(TEXTS[1]) and "#546000" in first[0] and "#546000" in first[1]


def test_a_damaged_shard_is_skipped_not_fatal(tmp_path):
    tokenize_many(TEXTS[:2], TokenCache(tmp_path))
    (tmp_path / "tokens" / "broken.keys.json").write_text("{not json", encoding="utf-8")
    for lines in (tmp_path / "tokens").glob("*.jsonl"):
        lines.write_bytes(b"garbage\n" * 2)
    assert tokenize_many(TEXTS, TokenCache(tmp_path)) == [tokenize(t) for t in TEXTS]
