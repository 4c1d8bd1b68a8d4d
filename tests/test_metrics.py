"""The scorer, each figure checked against a small case computed by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    abstention_pr,
    chunk_matches,
    citation_scores,
    cmrc_em,
    cmrc_f1,
    cmrc_segment,
    contains_answer,
    em_f1,
    hit_at,
    ndcg_at,
    normalize_for_match,
    percentile,
    reciprocal_rank,
    relevance_flags,
    retrieval_scores,
    split_statements,
    squad_em,
    squad_f1,
    squad_normalize,
    summarize,
)

# ---------------------------------------------------------------- normalised containment


@pytest.mark.parametrize("answer, alias", [
    ("a planned construction of 546,000 standard racks", "54.6万"),
    ("韶关规划建设54.6万标准机架", "546,000"),
    ("韶关规划建设54.6万标准机架", "546000"),
    ("with a total investment of 62.1 billion yuan", "621亿元"),
    ("总投资621亿元", "62.1 billion yuan"),
    ("延迟降至１．３ｍｓ", "1.3 ms"),  # full-width digits and letters
    ("centered in the Pearl River Delta", "pearl  river delta"),  # case and spaces
    ("the one-way latency is 1.3ms", "1.3 毫秒"),
    ("Shenzhen's over 3,000 AI enterprises", "over 3000"),
])
def test_gold_alias_is_found_in_either_notation(answer, alias):
    assert contains_answer(answer, [alias])


@pytest.mark.parametrize("answer, alias", [
    ("Shaoguan has built 100 networks", "10"),  # a number matches whole, never a prefix
    ("a total scale of 54.6 billion yuan", "54.6万"),  # 54.6 billion is not 546,000
    ("AI industry", "AI+"),  # '+' is kept: "AI+" is a keyword, "AI" is not
    ("", "2025"),
])
def test_near_misses_do_not_count(answer, alias):
    assert not contains_answer(answer, [alias])


def test_numbers_read_the_same_in_both_notations():
    assert normalize_for_match("54.6万") == normalize_for_match("546,000") == "#546000#"
    assert normalize_for_match("621亿元") == normalize_for_match("62.1 Billion Yuan") == "#62100000000#yuan"


# ---------------------------------------------------------------- SQuAD v1.1


def test_squad_normalisation_drops_case_punctuation_articles_and_spaces():
    assert squad_normalize("The  Cat's, hat!") == "cats hat"
    assert squad_em("The Pearl River Delta.", "pearl river delta") == 1.0
    assert squad_em("Pearl River", "pearl river delta") == 0.0


def test_squad_f1_is_token_overlap():
    # prediction [cat, sat], gold [cat, sat, down]: P = 1, R = 2/3, F1 = 2PR / (P + R) = 0.8
    assert squad_f1("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert squad_f1("dog", "cat") == 0.0


# ---------------------------------------------------------------- CMRC 2018


def test_cmrc_segmentation_splits_chinese_characters_and_keeps_words():
    assert cmrc_segment("光荣和ω-force") == ["光", "荣", "和", "ω", "-", "force"]
    # with punctuation removed the official script glues the runs either side of '-' together
    assert cmrc_segment("光荣和ω-force", remove_punct=True) == ["光", "荣", "和", "ωforce"]


def test_cmrc_em_ignores_chinese_punctuation():
    assert cmrc_em("《战国无双3》", "战国无双3") == 1.0
    assert cmrc_em("战国无双", "战国无双3") == 0.0


def test_cmrc_f1_is_longest_common_run_of_characters():
    # gold [光, 荣, 和, ωforce], prediction [光, 荣]: run 2, P = 2/2, R = 2/4, F1 = 2/3
    assert cmrc_f1("光荣", "光荣和ω-force") == pytest.approx(2 / 3)
    # gold [北, 京, 大, 学], prediction [北, 京, 的, 大, 学]: longest *contiguous* run 2, P = 2/5, R = 2/4
    assert cmrc_f1("北京的大学", "北京大学") == pytest.approx(2 * 0.4 * 0.5 / 0.9)


def test_em_f1_scores_each_alias_with_its_own_languages_script():
    # "546,000": SQuAD tokens [546000, standard, racks] vs [546000] -> P 1/3, R 1, F1 0.5.
    # "54.6万": CMRC segments ['546,000', 'standard', 'racks'] vs ['54.6', '万'] -> 0.
    assert em_f1("546,000 standard racks", ["54.6万", "546,000"]) == (0.0, pytest.approx(0.5))
    assert em_f1("54.6万", ["54.6万", "546,000"]) == (1.0, 1.0)
    assert em_f1("anything", []) == (0.0, 0.0)


# ---------------------------------------------------------------- retrieval


def test_a_split_paragraph_or_a_whole_document_matches_its_gold_id():
    assert chunk_matches("doc-en:p5.1", "doc-en:p5")
    assert chunk_matches("dev_0:p0.1", "dev_0")
    assert not chunk_matches("doc-en:p10", "doc-en:p1")


def test_each_gold_passage_is_credited_once():
    flags = relevance_flags(["d:p3", "d:p5.1", "d:p5.2", "e:p5"], ["d:p5", "e:p5"])
    assert flags == [0, 1, 0, 1]


def test_rank_metrics_by_hand():
    flags = [0, 1, 0, 1]  # two gold passages, found at ranks 2 and 4
    assert hit_at(flags, 1) == 0.0 and hit_at(flags, 5) == 1.0
    assert reciprocal_rank(flags) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(flags, 2, 10) == pytest.approx(dcg / ideal)  # 0.6509
    assert ndcg_at([0] * 10 + [1], 1, 10) == 0.0  # rank 11 is outside @10
    assert retrieval_scores([1, 0], 0) == {"hit1": None, "hit5": None, "mrr": None, "ndcg10": None}


# ---------------------------------------------------------------- citations


def test_statements_end_at_their_markers():
    assert split_statements("A is 1. [1] B is 2. [2][3] C.") == [("A is 1.", [1]), ("B is 2.", [2, 3]),
                                                                  ("C.", [])]
    assert split_statements("句子一。 [1]句子二。 [2]") == [("句子一。", [1]), ("句子二。", [2])]


def test_citation_recall_and_precision_as_alce_defines_them():
    passages = {1: "So far, 22 projects have settled in, with 546,000 standard racks planned.",
                2: "Another unrelated claim stands here.", 3: "Something else entirely."}
    text = "Shaoguan plans 546,000 racks. [1] Another unrelated claim stands here. [2][3]"
    # statement 1 states the gold fact (54.6万 = 546,000) and [1] holds it: supported, [1] needed.
    # statement 2 states no gold fact; [2]+[3] hold it verbatim: supported. [2] alone supports it; [3] alone
    # does not and [2] still does without it, so [3] is not needed. Recall 2/2, precision 2/3.
    assert citation_scores(text, passages, ["54.6万"]) == (1.0, pytest.approx(2 / 3))


def test_unsupported_or_uncited_statements_score_zero():
    passages = {1: "Shaoguan plans 546,000 standard racks."}
    assert citation_scores("Shaoguan plans 600,000 racks. [1]", passages, ["546,000"]) == (0.0, 0.0)
    assert citation_scores("Shaoguan plans 546,000 racks.", passages, ["546,000"]) == (0.0, 0.0)
    assert citation_scores("It is 546,000. [7]", passages, ["546,000"]) == (0.0, 0.0)  # no passage [7]
    assert citation_scores("", passages, []) is None


def test_a_quote_from_the_other_version_is_supported_after_its_lead_in():
    passages = {1: "文|羊城晚报记者 孙绮曼 王丹阳\n翻译|盛嘉\n英文审校|王枥焓"}
    assert citation_scores("The Chinese version says: 翻译|盛嘉 [1]", passages, []) == (1.0, 1.0)
    assert citation_scores("The Chinese version says: 翻译|盛嘉 [1]", passages, ["Sheng Jia", "盛嘉"]) == (1.0, 1.0)


# ---------------------------------------------------------------- abstention, latency, summary


def test_abstention_precision_and_recall():
    # abstained on questions 1, 2; unanswerable are 1 and 4: one right of two abstentions, one of two found
    assert abstention_pr([True, True, False, False], [True, False, False, True]) == (0.5, 0.5)
    assert abstention_pr([False, False], [False, False]) == (None, None)


def test_percentiles_interpolate_like_numpy():
    assert percentile([40, 10, 30, 20], 50) == 25
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)  # position 2.85 between 30 and 40
    assert percentile([], 50) is None


def _result(category, correct, abstained, answers, latency, hit5=None, f1=None):
    return {"category": category, "accuracy": float(correct), "abstained": abstained, "answers": answers,
            "latency_ms": latency, "hit5_any": hit5, "f1": f1, "language_match": 1.0, "length": 10}


def test_summary_gives_every_figure_per_category_and_overall():
    results = [_result("en", True, False, ["x"], 10, hit5=1.0, f1=1.0),
               _result("en", False, True, ["y"], 30, hit5=0.0, f1=0.0),
               _result("unanswerable", True, True, [], 20)]
    summary = summarize(results)
    assert list(summary) == ["en", "unanswerable", "overall"]
    assert summary["en"]["accuracy"] == 0.5 and summary["en"]["hit5_any"] == 0.5
    assert summary["unanswerable"]["hit5_any"] is None  # no gold passage: not averaged in
    overall = summary["overall"]
    assert overall["n"] == 3 and overall["accuracy"] == pytest.approx(2 / 3)
    assert overall["hit5_any"] == 0.5 and overall["f1"] == 0.5
    assert (overall["abstain_precision"], overall["abstain_recall"]) == (0.5, 1.0)
    assert overall["latency_p50_ms"] == 20 and overall["latency_p95_ms"] == pytest.approx(29)


def test_a_labelled_quote_of_the_other_version_keeps_the_answers_language():
    from eval.runner import answer_language

    assert answer_language("The Chinese version says: 英文审校|王枥焓 [1]", "en") == "en"
    assert answer_language("英文版原文：In Shaoguan, projects from China Telecom have opened. [1]", "zh") == "zh"
    # Unlabelled text in the other language still counts against it.
    assert answer_language("韶关已建成10条连接大湾区城市的400G全光运力网络。 [1]", "en") == "zh"


def test_summary_has_rows_per_split_and_counts_false_abstentions():
    def result(split, category, lang, answers, abstained):
        return {"split": split, "category": category, "lang": lang, "answers": answers, "abstained": abstained,
                "accuracy": float(abstained != bool(answers)), "latency_ms": 1.0}

    rows = summarize([result("dev", "fact", "en", ["x"], True), result("dev", "fact", "zh", ["x"], False),
                      result("measured", "unanswerable", "en", [], True)])
    assert set(rows) == {"dev:fact", "dev:lang=en", "dev:lang=zh", "dev:overall", "measured:unanswerable",
                         "measured:overall", "overall"}
    assert rows["dev:overall"]["false_abstain"] == 0.5 and rows["measured:overall"]["false_abstain"] is None
    assert rows["overall"]["abstain_recall"] == 1.0 and rows["overall"]["n"] == 3
