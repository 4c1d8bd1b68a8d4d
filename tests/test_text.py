"""Sentences, numbers, languages and search tokens, for English and Chinese alike."""

from index.text import detect_lang, numbers_in, split_sentences, tokenize


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def canonical(text: str) -> list[str]:
    return [value for _, _, value in numbers_in(text)]


def test_chinese_sentences_end_at_full_stop_exclamation_question_mark_and_semicolon():
    text = "韶关规划了54.6万标准机架。算力需求很大！时延是多少？单向时延降至1.3ms；能满足大部分业务需求。"
    assert sentences(text) == [
        "韶关规划了54.6万标准机架。",
        "算力需求很大！",
        "时延是多少？",
        "单向时延降至1.3ms；",
        "能满足大部分业务需求。",
    ]


def test_chinese_closing_quote_stays_with_its_sentence():
    assert sentences("他说：“项目已经开工。”随后离开了现场。") == ["他说：“项目已经开工。”", "随后离开了现场。"]


def test_a_stop_with_the_space_after_it_lost_still_ends_a_sentence():
    """Real pages lose the space between sentences (../shared/corpus/real/ft-csccsc-001099780.txt)."""
    assert sentences("after years of delays for the project.The single-aisle C919 flew on Sunday.") == [
        "after years of delays for the project.", "The single-aisle C919 flew on Sunday."]
    assert sentences("Have you heard of it?Come and see!") == ["Have you heard of it?", "Come and see!"]
    # not a lost space: initials, abbreviations, domain names
    assert sentences("He met Mr.Smith of the U.S.Navy at example.com today.") == [
        "He met Mr.Smith of the U.S.Navy at example.com today."]


def test_english_abbreviations_do_not_end_a_sentence():
    text = "Mr. Li met U.S. investors in Shenzhen. They discussed chips, e.g. GPUs and NPUs, for hours. It went well."
    assert sentences(text) == [
        "Mr. Li met U.S. investors in Shenzhen.",
        "They discussed chips, e.g. GPUs and NPUs, for hours.",
        "It went well.",
    ]


def test_decimals_do_not_end_a_sentence():
    text = "Latency to Guangzhou fell to 1.3 ms. Latency to Shenzhen fell to 1.66 ms. Both meet the demand."
    assert sentences(text) == [
        "Latency to Guangzhou fell to 1.3 ms.",
        "Latency to Shenzhen fell to 1.66 ms.",
        "Both meet the demand.",
    ]


def test_each_credit_line_is_its_own_sentence():
    assert sentences("文|羊城晚报记者 孙绮曼 王丹阳\n翻译|盛嘉\n英文审校|王枥焓") == [
        "文|羊城晚报记者 孙绮曼 王丹阳", "翻译|盛嘉", "英文审校|王枥焓"]


def test_sentence_spans_slice_the_text_without_surrounding_whitespace():
    text = "  First sentence here.   Second one follows!  第三句。 "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First sentence here.", "Second one follows!", "第三句。"]
    assert all(a < b for a, b in spans) and spans == sorted(spans)


def test_comma_grouped_number_equals_chinese_wan():
    assert canonical("546,000 standard racks") == canonical("54.6万标准机架") == ["546000"]


def test_billion_equals_chinese_yi():
    assert canonical("62.1 billion yuan") == canonical("总投资621亿元") == ["62100000000"]


def test_plain_and_full_width_digits_are_the_same_number():
    assert canonical("５４６０００个") == canonical("546000") == ["546000"]


def test_number_offsets_point_at_the_number():
    text = "a total investment of 62.1 billion yuan and 546,000 racks"
    assert [text[a:b] for a, b, _ in numbers_in(text)] == ["62.1 billion", "546,000"]


def test_decimal_number_keeps_its_fraction():
    assert canonical("1.3 ms and 1.66 ms") == ["1.3", "1.66"]


def test_language_is_detected_for_english_chinese_and_neither():
    assert detect_lang("Shaoguan plans to build standard racks.") == "en"
    assert detect_lang("韶关规划建设54.6万标准机架。") == "zh"
    assert detect_lang("12,345 — 67%") is None


def test_chinese_text_with_a_few_english_words_is_chinese():
    assert detect_lang("在宝洁萝岗工厂，GPT技术优化着全球供应链路由。") == "zh"


def test_search_tokens_match_the_same_number_across_languages():
    english, chinese = tokenize("plans 546,000 standard racks"), tokenize("规划54.6万标准机架")
    assert "#546000" in english and "#546000" in chinese


def test_search_tokens_drop_stop_words_and_stem_english():
    tokens = tokenize("The racks are planned by the city")
    assert "the" not in tokens and "are" not in tokens
    assert tokenize("rack") == tokenize("racks")


def test_search_tokens_segment_chinese_into_words():
    tokens = tokenize("韶关规划建设标准机架")
    assert "韶关" in tokens and "机架" in tokens


def test_chinese_names_of_traditional_text_are_found_as_in_simplified_and_kept_as_written():
    from index.text import chinese_names

    assert chinese_names("深中通道開通後，深圳到中山要多久？") == chinese_names("深中通道开通后，深圳到中山要多久？")
    assert "臺灣" in chinese_names("臺灣師範大學和國語教學中心合作")  # the characters as written
