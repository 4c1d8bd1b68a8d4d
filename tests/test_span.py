"""The fitted short-answer span model (rag/span.py, rag/data/span.json): candidates, features, and the spans it
picks in sentences written for these tests (not taken from any eval set)."""

import json

import numpy as np
import pytest

from rag.compose import short_span
from rag.errors import ConfigError
from rag.question import parse_question
from rag.span import FEATURES, SPAN_PATH, candidates, features, load_span_model, words


def ask(text: str):
    return parse_question(text, "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en")


def test_the_shipped_model_scores_every_feature_in_both_languages():
    data = json.loads(SPAN_PATH.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES
    assert set(data["languages"]) == {"zh", "en"}
    for model in data["languages"].values():
        assert set(model["weights"]) == set(FEATURES) and model["questions"] > 50
    assert load_span_model() is not None


def test_candidates_stay_inside_a_clause_and_never_start_on_a_function_word():
    quote = "The museum, which opened in 1998, holds the largest collection of maps in the region."
    q = ask("When did the museum open?")
    spans = [quote[a:b] for a, b in candidates(quote, q)]
    assert "1998" in spans
    assert not any("," in s for s in spans)
    assert not any(s.split()[0].lower() in ("the", "of", "in", "which") for s in spans)
    assert "museum" not in spans  # only the question's own word


def test_chinese_words_carry_offsets_and_tags():
    quote = "这座大桥由中交集团设计建造，于2024年6月30日通车。"
    ws = words(quote)
    assert all(quote[w.start : w.end] == w.text for w in ws)
    assert any(w.tag == "x" and w.text == "，" for w in ws)
    q = ask("这座大桥由哪家公司设计建造？")
    x = features(quote, q, candidates(quote, q), None, None)
    assert x.shape[1] == len(FEATURES) and np.isfinite(x).all()


@pytest.mark.parametrize("question, quote, expected", [
    ("这座大桥由哪家公司设计建造？", "这座大桥由中交集团设计建造，于去年通车。", "中交集团"),
    ("这座大桥什么时候通车？", "这座大桥由中交集团设计建造，于2024年6月30日通车。", "2024年6月30日"),
    ("博物馆收藏了多少件文物？", "该博物馆目前收藏文物12万件，每年接待游客三百万人次。", "12万件"),
    ("In what year did the museum open?", "The museum, which opened in 1998, holds the largest collection of maps.",
     "1998"),
    ("Who designed the bridge?", "The bridge was designed by Maria Costa and built by a local firm.", "Maria Costa"),
])
def test_the_model_picks_the_answering_words(question, quote, expected):
    assert short_span(quote, ask(question)) == expected


def test_a_credit_line_answers_with_its_value():
    assert short_span("翻译｜王小明", ask("这篇文章是谁翻译的？")) == "王小明"


def test_a_damaged_model_file_is_named_in_one_line(tmp_path):
    bad = tmp_path / "span.json"
    bad.write_text('{"features": ["no_such_feature"], "languages": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="span.json.*not a span model.*fit_span"):
        load_span_model(str(bad))
    assert load_span_model(str(tmp_path / "absent.json")) is None


def test_the_refit_script_writes_a_model_that_loads_and_scores(tmp_path, capsys):
    from eval import fit_span

    pytest.importorskip("sklearn", reason="refitting needs the dev extras (scikit-learn)")
    if any(not path.exists() for path in fit_span.SETS.values()):
        pytest.skip("../shared/datasets (CMRC 2018, SQuAD 2.0) is absent")
    out = tmp_path / "span.json"
    assert fit_span.main(["--limit", "40", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "MEASURED (never fitted on)" in printed and "dev CV" in printed
    model = load_span_model(str(out))
    quote = "该博物馆目前收藏文物12万件，每年接待游客三百万人次。"
    assert model.best(quote, ask("博物馆收藏了多少件文物？"), None, None) in quote


def test_the_listwise_fit_learns_which_candidate_of_a_sentence_is_best():
    """Synthetic lists: feature 0 marks the best candidate only relative to its neighbours (each list is shifted
    by its own offset); feature 1 is wide noise. The softmax fit, on standardised features folded back onto the
    raw ones, ranks the marked candidate first in lists it never saw, and keeps no intercept (a softmax has
    none to learn)."""
    from eval import fit_span

    pytest.importorskip("scipy", reason="the listwise fit needs the dev extras (scipy, via scikit-learn)")
    rng = np.random.default_rng(0)

    def example(n: int, best: int) -> fit_span.Example:
        x = np.column_stack([rng.normal(size=n) * 0.1 + rng.normal() * 5, rng.normal(size=n) * 10])
        x[best, 0] += 1.0
        f1 = np.where(np.arange(n) == best, 1.0, 0.0)
        return fit_span.Example("synthetic", "a", "dev", "q", ["a"], "s", x, f1, ["a"] * n, (0.0, 0.0))

    train = [example(int(rng.integers(3, 9)), 1) for _ in range(200)]
    model = fit_span.fit(train, "list", 1.0)
    assert model.intercept == 0.0 and model.coef[0] > 0 and abs(model.coef[1]) < model.coef[0] / 10
    test = [example(6, int(rng.integers(0, 6))) for _ in range(100)]
    right = sum(int(np.argmax(model(e.x))) == int(np.argmax(e.f1)) for e in test)
    assert right >= 90
