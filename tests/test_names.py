"""index/names.py: how English writes a Chinese name, from CC-CEDICT and pypinyin, and what the English document
card and its answers do with it (real pages of ../shared/corpus/real/, the real bundled model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.card import as_written, card_text
from index.names import names
from index.readers import read_source

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"the real-page corpus is not at {REAL}")


def test_a_publication_gets_its_dictionary_name_and_a_common_noun_none():
    table = names()
    assert table.organisation("纽约时报") == "New York Times"
    assert table.organisation("紐約時報") == "New York Times"  # the traditional headword too
    assert table.organisation("中新社") == "China News Service"  # cut before ", abbr. for ..."
    assert table.organisation("文摘") is None  # "digest": a common noun, not a name
    assert table.organisation("火星译客") is None  # not in the dictionary


def test_a_person_is_written_surname_first_in_pinyin_with_the_surname_reading():
    table = names()
    assert table.person("李玉凡") == "Li Yufan"
    assert table.person("曾乐") .startswith("Zeng ")  # 曾 as a surname is Zeng, not ceng
    assert table.person("单雄信") == "Shan Xiongxin"  # 单 as a surname is Shan, not dan
    assert table.person("欧阳修") == "Ouyang Xiu"  # a two-character surname
    assert table.person("傅瑩") == "Fu Ying"  # traditional characters


@pytest.mark.parametrize("value", ["中新社", "文摘", "程", "Melody", "史蒂夫·乔布斯", "广东台对外传播中心"])
def test_what_is_not_a_chinese_personal_name_gets_no_rendering(value):
    assert names().person(value) is None


def test_an_outlet_written_in_english_gets_its_full_chinese_name():
    table = names()
    assert table.chinese("Bloomberg News") == "彭博新闻社"
    assert table.chinese("The New York Times") == "纽约时报"  # the full name, not the abbreviation 纽时
    assert table.chinese("Lingnan on the Cloud") is None


def test_as_written_takes_the_rendering_off_and_leaves_other_brackets():
    assert as_written("李子俊 (Li Zijun), 刘帅 (Liu Shuai)") == "李子俊, 刘帅"
    assert as_written("纽约时报 (New York Times)") == "纽约时报"
    assert as_written("Bloomberg News（彭博新闻社）") == "Bloomberg News"
    assert as_written("Bloomberg News (US)") == "Bloomberg News (US)"
    assert as_written("广东台（对外）") == "广东台（对外）"


@needs_real
def test_the_english_card_writes_chinese_names_as_english_does_and_the_chinese_card_as_the_page_does():
    en, zh = read_source(REAL / "ysln-2024-12-06-53105594.txt")
    assert "Translator | 李玉凡 (Li Yufan)" in card_text(en).splitlines()
    assert "翻译|李玉凡" in card_text(zh).splitlines()
    (en, _) = read_source(REAL / "okread-20230907-47017.txt")
    lines = card_text(en).splitlines()
    assert "Published by 纽约时报 (New York Times) on 2023-09-07 01:54." in lines
    assert "Chinese title: 中国出口连续第四个月下降." in lines  # ended: its own statement, not glued to the next
    (_, zh) = read_source(REAL / "ixue-16933847838030.txt")
    assert "来源：Bloomberg News（彭博新闻社）。" in card_text(zh).splitlines()


@needs_real
def test_a_card_gives_no_title_the_page_does_not_give_in_its_language():
    """A version with no headline of its own says the other version's as that version's title, and a page
    with no headline at all gets no title line (the file's name is not a title)."""
    en, zh = read_source(REAL / "wuwenjie-58613.txt")
    assert card_text(zh).splitlines()[0] == (
        "英文标题：135th Canton Fair Set to Open Tomorrow: Global Buyers from 215 Countries Ready to Engage。")
    assert not any(line.startswith("标题") for line in card_text(zh).splitlines())
    for article in read_source(REAL / "hmguojiribao-99562.txt"):
        assert "hmguojiribao" not in card_text(article) and "Title" not in card_text(article)


@needs_real
def test_an_english_question_about_a_chinese_credit_is_answered_in_english_quoting_the_page(tmp_path):
    from rag import Assistant

    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(REAL / "ysln-2024-12-06-53105594.txt", folder)
    kb = Assistant.build([folder], tmp_path / "kb")
    answer = kb.ask("Who translated the piece?")
    assert not answer.abstained
    assert "Li Yufan" in answer.text and "李玉凡" in answer.text
    assert answer.short == "李玉凡"  # the short answer quotes the page
    chinese = kb.ask("这篇稿件由谁翻译？")
    assert chinese.short == "李玉凡" and "Li Yufan" not in chinese.text


@pytest.fixture(scope="module")
def credited(tmp_path_factory):
    """A knowledge base of one real page whose Chinese credit lines name a translator, a proofreader and a
    final reviewer (three roles, three names)."""
    from rag import Assistant

    folder = tmp_path_factory.mktemp("credits")
    shutil.copy(REAL / "ysln-2024-10-25-53012008.txt", folder)
    return Assistant.build([folder], folder / "kb")


@needs_real
@pytest.mark.parametrize(("question", "name"), [("Who proofread the piece?", "罗洁"),
                                                ("Who did the final review of the piece?", "程敏苏"),
                                                ("这篇稿件的终审是谁？", "程敏苏"),
                                                ("Who translated it?", "蔡燕娣")])
def test_each_credit_role_is_answered_by_its_own_line(credited, question, name):
    answer = credited.ask(question)
    assert not answer.abstained and answer.short == name, answer.text
