"""The short answer inside a quoted sentence, for questions of every language and kind (rag/compose.py)."""

from rag.compose import novel_run, short_span, slot_span
from rag.question import parse_question


def test_a_chinese_answer_stands_where_the_question_has_its_question_word():
    assert slot_span("这座桥由中交集团设计建造。", "这座桥由哪家公司设计建造？") == "中交集团"
    assert slot_span("沿线设有东站、西站和南站。", "沿线设有哪些车站？") == "东站、西站和南站"
    # only the words before it are found: up to the clause's end
    assert slot_span("他最早的老师是他的祖父，一位乡村医生。", "他最早的老师是谁？") == "他的祖父"


def test_no_chinese_slot_when_the_span_is_the_questions_own_words_or_crosses_a_clause():
    assert slot_span("于乐出身于北京国安。", "于乐在哪里出身？") is None  # "于乐" is the question's own word
    assert slot_span("The bridge opened in 2024.", "这座桥哪一年通车？") is None  # not a Chinese sentence
    assert slot_span("这座桥由中交集团设计建造。", "这座桥有多长") is None  # no anchor on either side


def test_an_english_answer_is_the_open_words_nearest_the_questions():
    assert novel_run("Their style was characterised by rounded arches over windows.",
                     "What were the arches of their style characterised by?") == "rounded"
    assert novel_run("Nothing here is shared.", "What colour is the sky?") is None


def test_dates_before_the_modern_years_are_short_answers():
    q = parse_question("When was the duchy founded?", "en")
    assert short_span("The duchy was founded in 911 by treaty.", q) == "911"
    q = parse_question("When did the Normans settle there?", "en")
    assert short_span("They settled there in the 10th and 11th centuries.", q) == "10th and 11th centuries"


def test_a_time_of_day_is_a_date_in_both_languages():
    from rag.facts import DATE, has_kind

    q = parse_question("At what hour does the market open?", "en")
    assert q.kind == "date" and has_kind("The market opens at 5 a.m. every day.", q)
    assert "5 a.m." in short_span("The market opens at 5 a.m. every day.", q)
    assert [m.group(0) for m in DATE.finditer("凌晨五点开市，上午9时30分开始拍卖。")] == ["凌晨五点", "上午9时30分"]
    assert not DATE.search("他提出了5点建议，最终以3:1获胜。")  # points and scores are not times


def test_word_pairs_are_read_in_order_and_across_scripts():
    from rag.read import pairs_of

    assert pairs_of("深中通道", "zh") == {"深中", "中通", "通道"}
    assert pairs_of("深中通道", "zh") <= pairs_of("臺灣的深中通道開通", "zh")
    assert pairs_of("臺灣", "zh") == pairs_of("台湾", "zh")  # traditional and simplified
    assert pairs_of("the capital of France", "en") == {("capit", "franc")}  # search tokens: stemmed, no stopwords


def test_the_english_cards_publishing_line_answers_with_the_outlet_or_the_date_asked():
    line = "Published by Bloomberg News on 2023-08-30 11:55."
    assert short_span(line, parse_question("Which news organisation is the article by?", "en")) == "Bloomberg News"
    assert short_span(line, parse_question("On what date was this item posted?", "en")) == "2023-08-30 11:55"
    assert short_span("Published on 2025-03-06.", parse_question("Which paper published it?", "en")) == "2025-03-06"
    assert short_span("翻译|蔡燕娣", parse_question("这篇稿件由谁翻译?", "zh")) == "蔡燕娣"


def test_traditional_chinese_is_cut_into_the_words_of_its_simplified_form():
    """Real page abnicoacademy-642097 (Hong Kong): jieba's dictionary knows 缩短 but cut 縮短至 as 縮 + 短至."""
    from rag.span import words

    sentence = "6月30日,深中通道正式通車,深圳到中山的車程從約2小時縮短至30分鐘。"
    cut = [w.text for w in words(sentence)]
    assert ["縮短", "至", "30", "分鐘"] == cut[-5:-1]  # as written, offsets and all
    q = parse_question("深中通道开通后深圳到中山要多久？", "zh")
    assert short_span(sentence, q) == "30分鐘"  # not "短至30分鐘": a preposition never opens a span


def test_a_number_inside_a_date_does_not_answer_a_number_question():
    from rag.compose import rule_span

    q = parse_question("深中通道开通后深圳到中山要多久？", "zh")
    assert rule_span("6月30日,深中通道正式通车,车程缩短至30分钟。", q) == "30分钟"
