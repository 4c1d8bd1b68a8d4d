"""How `rag ask` prints an answer: quotes cut at a word, with an ellipsis."""

from __future__ import annotations

from rag import Answer, Citation
from rag.cli import clip, format_answer


def test_long_quotes_are_cut_at_a_word_with_an_ellipsis():
    quote = "So far, 22 intelligent computing projects have settled in, " * 6
    answer = Answer("q?", f"{quote} [1]", False, "en", None, (Citation(1, "d:p1", "d", "g", "T", "en", quote, quote),))
    printed = format_answer(answer).splitlines()[-1]
    assert printed.endswith("…\u201d") and len(printed) < 215
    assert printed[:-2].rstrip("…").split()[-1] in quote.split()  # a whole word before the ellipsis


def test_short_text_is_left_whole_and_chinese_is_cut_between_characters():
    assert clip("Tell me about Intellifusion.", 100) == "Tell me about Intellifusion."
    assert clip("韶关规划建设54.6万标准机架" * 3, 10) == "韶关规划建设54.…"
