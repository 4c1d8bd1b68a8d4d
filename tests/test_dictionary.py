"""The CC-CEDICT bridge: question words mapped into the other language, weighted per source word."""

from __future__ import annotations

import pytest

from index.dictionary import bridge, parse_cedict, romanise
from index.text import tokenize


@pytest.fixture(scope="module")
def cedict():
    return bridge()


def test_chinese_words_map_to_english_search_tokens(cedict):
    assert set(tokenize("translator")) <= set(cedict.zh_to_en["翻译"])
    assert "shenzhen" in cedict.zh_to_en["深圳"]  # a proper noun also maps to its romanisation


def test_english_words_map_back_to_chinese(cedict):
    assert "桥" in cedict.en_to_zh[tokenize("bridge")[0]]
    assert "深圳" in cedict.en_to_zh["shenzhen"]


def test_each_question_word_shares_a_weight_of_one_among_its_renderings(cedict):
    weights = cedict.translate(tokenize("Which bridge opened?"), "en")
    bridge_words = cedict.en_to_zh[tokenize("bridge")[0]]
    assert abs(sum(weights[w] for w in set(bridge_words) if w in weights) - 1.0) < 1e-6 or not bridge_words
    kept = cedict.translate(tokenize("Which bridge opened?"), "en", vocab={"桥": 0})
    assert kept == {"桥": 1.0}


def test_cross_references_classifiers_and_descriptions_are_not_renderings():
    line = "橋 桥 [qiao2] /bridge/CL:座[zuo4]/see 橋梁|桥梁[qiao2 liang2]/a very long description of many words/"
    parsed = parse_cedict([line, "# a comment", "broken line"])
    assert parsed.zh_to_en["桥"] == ("bridg",) == parsed.zh_to_en["橋"]
    assert romanise("Zhong1 shan1") == "zhongshan" and romanise("lu:4") == "lu"


def test_a_name_is_rendered_by_the_name_its_senses_open_with():
    lines = ["廣西 广西 [Guang3 xi1] /Guangxi Zhuang Autonomous Region 廣西壯族自治區|广西壮族自治区 in South Central "
             "China, abbr. 桂, capital Nanning 南寧|南宁/until 1959, Guangxi province/",
             "中國銀行 中国银行 [Zhong1 guo2 Yin2 hang2] /Bank of China/"]
    parsed = parse_cedict(lines)
    assert set(parsed.zh_to_en["广西"]) == {"guangxi", "zhuang", "autonom", "region"}  # not "south", "until"
    assert "provinc" not in parsed.en_to_zh and set(tokenize("bank china")) <= set(parsed.zh_to_en["中国银行"])
