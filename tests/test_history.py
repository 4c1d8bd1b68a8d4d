"""History never hijacks a standalone question: every question of every eval set, asked after an unrelated earlier
turn, gets the answer it gets when asked alone. Only an elliptical or pronoun-led turn borrows from history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Assistant
from rag.followup import needs_context

EVAL = Path(__file__).resolve().parents[1] / "eval"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_PAGES, REAL_QA = SHARED / "corpus" / "real", SHARED / "corpus" / "real_qa.jsonl"
# Earlier turns about something else: a figure of the bundled article, and one of a real page.
UNRELATED = {
    "bundled": [("韶关到深圳的单向时延是多少？", "1.66ms [1]"), ("Which company makes the C919?", "Comac [1]")],
    "real": [("How many standard racks does Shaoguan plan to build?", "546,000 [1]"),
             ("上海迪士尼乐园开幕当天的门票卖多少钱？", "资料中没有提到。")],
}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _same(alone, after) -> bool:
    return (alone.abstained, alone.text, alone.short) == (after.abstained, after.text, after.short)


def _hijacked(kb: Assistant, questions: list[str], earlier: list[tuple[str, str]]) -> list[str]:
    """The questions whose answer changes when an earlier turn comes first (the turns taken in turn)."""
    changed = []
    for i, question in enumerate(questions):
        turn = earlier[i % len(earlier)]
        alone, after = kb.ask(question), kb.ask(question, history=[turn])
        if not _same(alone, after):
            changed.append(f"{question!r} after {turn[0]!r}: {alone.text[:60]!r} -> {after.text[:60]!r}")
    return changed


@pytest.fixture(scope="module")
def bundled(bundled_index) -> Assistant:
    return Assistant.load(bundled_index)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Assistant:
    if not REAL_QA.exists():
        pytest.skip(f"{REAL_QA} is absent: the real pages live in ../shared")
    return Assistant.build(sorted(REAL_PAGES.glob("*.txt")), index_dir=tmp_path_factory.mktemp("real") / "kb")


@pytest.mark.parametrize("name", ["qa.jsonl", "holdout.jsonl", "holdout2.jsonl"])
def test_shipped_questions_are_answered_after_an_unrelated_turn_as_if_asked_alone(bundled, name):
    questions = [row["question"] for row in _rows(EVAL / name) if not row.get("history")]
    assert questions
    assert _hijacked(bundled, questions, UNRELATED["bundled"]) == []


def test_real_page_questions_are_answered_after_an_unrelated_turn_as_if_asked_alone(real):
    questions = [row["question"] for row in _rows(REAL_QA)]
    assert _hijacked(real, questions, UNRELATED["real"]) == []


def test_a_question_that_names_its_subject_stands_alone_and_a_pronoun_led_one_leans():
    assert not needs_context("Who translated the article?", "en")
    assert not needs_context("What is the population of Shaoguan?", "en")
    assert not needs_context("Tell me about Intellifusion.", "en")
    assert not needs_context("What slogan was this session of the Canton Fair themed on?", "en")
    assert needs_context("When did it go public?", "en")
    assert needs_context("And to Shenzhen?", "en")
    assert needs_context("那到深圳呢？", "zh")
    assert needs_context("这些项目总投资多少？", "zh")
    assert not needs_context("韶关到深圳的单向时延是多少？", "zh")


def test_the_searched_question_is_reported_only_when_history_was_borrowed(bundled):
    alone = bundled.ask("Who translated the article?", history=[("韶关到深圳的单向时延是多少？", "1.66ms [1]")])
    assert alone.searched == "Who translated the article?" and alone.resolved_question is None
    assert "盛嘉" in alone.text
    follow = bundled.ask("When did it go public?", history=[("Tell me about Intellifusion.", "…")])
    assert "Intellifusion" in follow.searched and follow.resolved_question == follow.searched
