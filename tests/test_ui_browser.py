"""The chat page on a desktop (1400x1000), driven in Debian's Chromium through Playwright.

One server per module (the `ui_url` fixture of tests/ui_support.py), in-process on a free loopback port, over
a copy of the bundled article's index (real model, real FAISS) with edits allowed. Screenshots go to
test-artifacts/; the desktop one also to docs/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_support import (
    BOTS,
    PAINTED_OVERLAPS_JS,
    WAIT_MS,
    ask,
    box,
    open_section,
    settle,
    shot,
    submit,
)

from rag import Assistant
from ui import handlers

pytestmark = pytest.mark.browser

RACKS = "How many standard racks does Shaoguan plan to build?"
LATENCY = "韶关到深圳的单向时延是多少？"
NEW_ARTICLE = """Zhuhai opens a marine robotics park

The Zhuhai Marine Robotics Park opened in Hengqin in June 2024.

In its first year the park delivered 1,284 underwater drones to research institutes and offshore wind farms.

The park's director, Lin Haiyan, said the next goal is a testing basin for autonomous ships.
"""
PAYLOAD_ARTICLE = """Qingyuan tea festival <script>window.__pwned = 1; alert(1)</script> report

The Qingyuan tea festival drew 73,000 visitors <img src=x onerror="window.__pwned = 2; alert(2)"> in 2024.

Organisers said <b>bold</b> claims about tea prices were [not verified](javascript:alert(3)) by anyone.
"""
LINKY_ARTICLE = (
    "Foshan ceramics fair report\n\n"
    "The Foshan ceramics fair sold 4,417 kilns, see https://example.com/kilns and www.example.org [2] or mail "
    "fair@example.com for details. Photos of the kilns: ![x](https://example.com/x.png) by the organisers.\n\n"
    "Organisers expect the fair to return next spring with more exhibitors from Jingdezhen.\n"
)


# ------------------------------------------------------------------ helpers


def upload(page: Page, *paths: Path) -> None:
    """Open "Add articles", watch for the progress display, and upload `paths`."""
    open_section(page, "add")
    expect(page.locator("#upload-status")).to_be_visible()
    page.evaluate("""() => {
        window.__progressSeen = false;
        const status = document.querySelector('#upload-status');
        new MutationObserver(() => {
            if (status.querySelector('[class*="progress"], [class*="eta-bar"]')) {
                window.__progressSeen = true;
            }
        }).observe(status, {subtree: true, childList: true, attributes: true});
    }""")
    page.locator("#add input[type=file]").set_input_files([str(p) for p in paths])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ answers and sources


def test_marker_reveals_the_source_with_both_languages_highlighted(page: Page):
    answer = ask(page, RACKS)
    assert "546,000" in answer and "[1]" in answer
    bot = page.locator(BOTS).last
    expect(bot.locator("strong")).to_contain_text("546,000")  # the short answer (the span model's) is emphasised
    bot.locator('a[href^="#src-"]').first.click()
    cited = page.locator("#sources li.src.active")
    expect(cited).to_be_visible()
    expect(cited.locator(".col.cited mark")).to_contain_text("546,000")
    # The other language's sentence that says the same is highlighted too, not just its whole paragraph.
    other = cited.locator('.col.other[lang="zh-CN"] mark')
    expect(other).to_contain_text("54.6万")
    assert float(other.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 14
    head = cited.locator(".src-head")
    expect(head.locator(".title")).to_contain_text("Decoding Guangdong")
    expect(head.locator(".outlet")).to_have_text("羊城晚报-云上岭南")  # the document card: outlet and date
    expect(head.locator(".date")).to_have_text(re.compile(r"^2025-03-06( \d\d:\d\d)?$"))
    shot(page, "01-citation", docs_name="screenshot-desktop.png")
    shot(page, "01-citation", docs_name="screenshot.png")  # the README's first picture


def test_the_other_languages_sentence_is_picked_out_of_its_paragraph(page: Page):
    ask(page, LATENCY)
    page.locator(BOTS).last.locator('a[href^="#src-"]').first.click()
    cited = page.locator("#sources li.src.active")
    expect(cited.locator(".col.cited mark")).to_contain_text("1.66ms")
    other = cited.locator('.col.other[lang="en"] mark')
    expect(other).to_contain_text("1.66 ms")
    assert len(other.inner_text()) < 0.6 * len(cited.locator(".col.other .passage").inner_text())


@pytest.mark.parametrize(("question", "lang", "figure"), [
    (RACKS, "Auto / 自动", "546,000"), (RACKS, "中文", "54.6万"),
    (LATENCY, "Auto / 自动", "1.66ms"), (LATENCY, "English", "1.66 ms"),
])
def test_bold_span_is_the_answers_figure_in_either_answer_language(page: Page, question, lang, figure):
    page.locator("#answer-lang").get_by_text(lang, exact=True).click()
    answer = ask(page, question)
    expect(page.locator(BOTS).last.locator("strong")).to_contain_text(figure)  # the span may keep a word around it
    assert figure in answer


def test_sources_panel_never_runs_under_the_panels_below(page: Page):
    for question in (RACKS, "Who won the 2022 FIFA World Cup?", LATENCY, "Tell me about Intellifusion."):
        ask(page, question)
    page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    scroll = page.locator("#sources .sources-scroll")
    assert scroll.evaluate("e => e.scrollHeight > e.clientHeight + 100"), "the test needs a panel taller than its box"
    assert scroll.evaluate("e => getComputedStyle(e).overflowY") in ("auto", "scroll")
    measured = page.evaluate(PAINTED_OVERLAPS_JS)
    assert measured["painted"] > 20 and measured["hits"] == [], measured
    assert box(page, "#sources .sources-scroll")["y"] + box(page, "#sources .sources-scroll")["height"] <= \
        box(page, "#examples")["y"] + 1
    # An old answer's [1] reveals its source inside the panel; the page itself does not jump.
    y = page.evaluate("window.scrollY")
    page.locator(BOTS).first.locator('a[href^="#src-"]').first.click()
    expect(page.locator("#sources li.src.active")).to_be_in_viewport()
    assert abs(page.evaluate("window.scrollY") - y) < 50
    shot(page, "02-tall-sources")


def test_second_question_while_streaming_leaves_the_first_answer_complete(page: Page, monkeypatch, ui_index):
    whole = Assistant.load(ui_index).ask(RACKS).text  # what the first answer must end up showing
    monkeypatch.setattr(handlers, "STEP_SECONDS", 0.15)  # a slow stream, so the second question lands in it
    bots = page.locator(BOTS)
    submit(page, RACKS)
    expect(bots).to_have_count(1, timeout=WAIT_MS)
    expect(bots.first).to_contain_text(whole.split()[0], timeout=WAIT_MS)
    partial = bots.first.inner_text()
    submit(page, LATENCY)
    assert "[1]" not in partial, "the first answer had finished before the second question was asked"
    expect(bots).to_have_count(2, timeout=WAIT_MS)
    second = settle(page, 1)
    first = bots.first.inner_text()
    assert " ".join(first.split()) == " ".join(whole.split()), (first, whole)
    assert "546,000" in first and "1.66ms" in second
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(2)
    expect(page.locator("#sources details.turn")).to_have_count(2)


def test_stop_ends_the_stream_and_says_so(page: Page, monkeypatch):
    monkeypatch.setattr(handlers, "STEP_SECONDS", 0.3)
    submit(page, RACKS)
    stop = page.locator("#stop")
    expect(stop).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(BOTS)).to_have_count(1, timeout=WAIT_MS)
    stop.click()
    text = settle(page)
    assert "(stopped" in text and "546,000" in text and "[1]" in text, text  # whole, and marked
    expect(stop).to_be_hidden()
    assert ask(page, LATENCY)  # the page still answers


def test_abstention_says_so_in_the_interface_language_and_tells_passages_apart(page: Page):
    answer = ask(page, "Who won the 2022 FIFA World Cup?")
    assert "Not in the sources" in answer and "The sources don't say that." in answer
    assert "FIFA" not in answer  # the question is not echoed back
    labels = page.locator(BOTS).last.locator("blockquote p").all_inner_texts()
    nearest = [line for line in "\n".join(labels).splitlines() if line.startswith("[")]
    assert len(nearest) == 3 and len(set(nearest)) == 3, nearest
    expect(page.locator("#sources .turn.abstained li.src.nearest")).to_have_count(3)
    assert not re.search("[\u2600-\u27bf\U0001f300-\U0001faff]", answer)  # no glyph needing an emoji font
    shot(page, "03-abstention")
    page.locator("#ui-lang").get_by_text("中文").click()
    chinese = settle(page)
    assert "资料中没有答案" in chinese and "资料中没有提到这一点" in chinese and "sources don't" not in chinese


def test_errors_look_unlike_abstentions(page: Page):
    ask(page, "Who won the 2022 FIFA World Cup?")
    ask(page, "x" * 2100)
    error = page.locator(BOTS).last.locator(".rag-error")
    expect(error).to_have_text("Cannot answer")
    assert page.locator(BOTS).last.locator("blockquote").count() == 0
    colour = error.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour != page.locator(BOTS).first.locator("blockquote").evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert re.match(r"rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)", colour), colour  # red


def test_follow_up_uses_the_previous_turn_and_says_what_it_searched(page: Page):
    ask(page, "Tell me about Intellifusion.")
    answer = ask(page, "When did it go public?")
    assert "April 2023" in answer or "2023年4月" in answer, answer
    expect(page.locator(BOTS).last.locator("em").first).to_contain_text("Searched for: ")
    expect(page.locator(BOTS).last).to_contain_text("Intellifusion")


def test_popover_previews_the_citation_and_opens_both_languages(page: Page):
    ask(page, RACKS)
    page.locator(BOTS).last.locator('a[href^="#src-"]').first.hover()
    pop = page.locator(".rag-pop")
    expect(pop).to_be_visible()
    expect(pop.locator(".quote mark")).to_contain_text("546,000")
    expect(pop.locator(".translation mark")).to_contain_text("54.6万")
    expect(pop).to_contain_text("羊城晚报-云上岭南 · 2025-03-06")
    pop.locator(".pop-full").click()
    full = page.locator(".rag-full")
    expect(full).to_be_visible()
    en, zh = full.locator(".col.cited").bounding_box(), full.locator(".col.other").bounding_box()
    assert abs(en["y"] - zh["y"]) < 2 and zh["x"] > en["x"] + en["width"] - 1  # side by side
    expect(full.locator(".col.other mark")).to_contain_text("54.6万")
    shot(page, "04-full-source")
    page.keyboard.press("Escape")
    expect(full).to_have_count(0)


def test_copy_gives_plain_text_with_a_numbered_reference_list(page: Page, ui_index: Path):
    whole = Assistant.load(ui_index).ask(RACKS).text
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, RACKS)
    page.locator("#sources .copy-answer").first.click()
    expect(page.locator("#sources .copy-answer").first).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(whole + "\n") and whole.endswith("[1]")
    assert "Sources:\n[1] Decoding Guangdong" in copied and "羊城晚报-云上岭南 · 2025-03-06" in copied
    assert "**" not in copied and "](#src" not in copied and "\\" not in copied


def test_conversation_survives_a_reload_until_new_chat(page: Page):
    ask(page, RACKS)
    ask(page, LATENCY)
    page.reload(wait_until="load")
    expect(page.locator(BOTS)).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    expect(page.locator("#sources details.turn")).to_have_count(2)
    assert "Intellifusion" in ask(page, "Tell me about Intellifusion.")  # the restored chat goes on
    expect(page.locator(BOTS)).to_have_count(3)
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    page.locator("#clear").click()
    expect(page.locator(BOTS)).to_have_count(0)
    expect(page.locator("#sources li.src")).to_have_count(0)
    page.reload(wait_until="load")
    expect(page.locator("#q textarea")).to_be_visible()
    time.sleep(1.0)
    expect(page.locator(BOTS)).to_have_count(0)


def _chat_options(page: Page) -> list[str]:
    return page.locator("#chats label").all_inner_texts()


def test_past_chats_are_kept_switched_and_deleted_across_reloads(page: Page):
    ask(page, RACKS)
    expect(page.locator("#chats-row")).to_be_hidden()  # no past chat yet
    page.locator("#clear").click()  # New chat: the first one is filed, not lost
    expect(page.locator(BOTS)).to_have_count(0)
    expect(page.locator("#chats-row")).to_be_visible()
    assert [o.startswith("How many standard racks") and "1 question" in o for o in _chat_options(page)] == [True]
    # The list sits under New chat, in the conversation's column, clear of the sources beside it.
    chats, clear, chat = box(page, "#chats-row"), box(page, "#clear"), box(page, "#chat")
    assert 0 <= chats["y"] - (clear["y"] + clear["height"]) < 120, (chats, clear)
    assert chats["x"] >= chat["x"] - 1 and chats["x"] + chats["width"] <= chat["x"] + chat["width"] + 1
    sources = box(page, "#sources-col")
    assert chats["x"] + chats["width"] <= sources["x"] + 1

    ask(page, LATENCY)
    page.reload(wait_until="load")  # both the current chat and the list come back
    expect(page.locator(BOTS)).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(BOTS).first).to_contain_text("1.66ms")
    expect(page.locator("#chats label")).to_have_count(1)

    page.locator("#chats label").first.click()
    page.locator("#chat-open").click()  # switch: the racks chat comes back, the latency one is filed
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    expect(page.locator(BOTS)).to_have_count(1)
    expect(page.locator("#sources details.turn")).to_have_count(1)
    expect(page.locator("#sources summary").first).to_contain_text("standard racks")
    assert [o.startswith("韶关到深圳的单向时延") for o in _chat_options(page)] == [True]

    page.locator("#chats label").first.click()
    page.locator("#chat-delete").click()
    expect(page.locator("#chat-status")).to_contain_text("Deleted the chat “韶关到深圳的单向时延是多少？”")
    expect(page.locator("#chats-row")).to_be_hidden()
    page.reload(wait_until="load")
    expect(page.locator(BOTS)).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    time.sleep(0.5)
    expect(page.locator("#chats-row")).to_be_hidden()  # the deleted chat stays deleted


def test_regenerate_asks_the_last_question_again_and_replaces_its_answer(page: Page):
    ask(page, RACKS)
    ask(page, LATENCY)
    assert "1.66ms" in settle(page)
    retry = page.locator('#chat button[aria-label="Retry"]')
    expect(retry).to_have_count(1)  # only the last answer can be regenerated
    page.locator("#answer-lang").get_by_text("English", exact=True).click()
    retry.click()  # the same question, now answered in English by the same core call
    expect(page.locator(BOTS).last).to_contain_text("1.66 ms", timeout=WAIT_MS)
    settle(page)
    expect(page.locator(BOTS)).to_have_count(2)
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(2)
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    expect(page.locator("#sources details.turn")).to_have_count(2)
    expect(page.locator("#sources details[open] li.src .col.cited").first).to_have_attribute("lang", "en")
    page.reload(wait_until="load")  # what is kept is the regenerated answer
    expect(page.locator(BOTS)).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator(BOTS).last).to_contain_text("1.66 ms")


def test_editing_the_last_question_asks_it_and_replaces_its_turn(page: Page):
    ask(page, RACKS)
    ask(page, "Tell me about Intellifusion.")
    page.locator('#chat button[aria-label="Edit"]').last.click()
    editor = page.locator("#chat textarea")
    expect(editor).to_be_visible()
    editor.fill("How many AI enterprises does Shenzhen have?")
    page.locator('#chat button[aria-label="Submit"]').click()
    expect(page.locator(BOTS).last).to_contain_text("3,000", timeout=WAIT_MS)
    settle(page)
    users = page.locator('#chat [data-testid="user"]')
    expect(users).to_have_count(2)
    expect(users.last).to_have_text("How many AI enterprises does Shenzhen have?")
    expect(page.locator(BOTS)).to_have_count(2)
    expect(page.locator(BOTS).first).to_contain_text("546,000")
    expect(page.locator("#sources details.turn")).to_have_count(2)
    expect(page.locator("#sources summary").first).to_contain_text("AI enterprises")
    # An earlier question cannot be edited: it is put back, and the reader is told why.
    page.locator('#chat button[aria-label="Edit"]').first.click()
    page.locator("#chat textarea").fill("Something else entirely")
    page.locator('#chat button[aria-label="Submit"]').click()
    expect(page.get_by_text("Only the last question can be edited")).to_be_visible(timeout=WAIT_MS)
    expect(users.first).to_have_text(RACKS)
    expect(page.locator(BOTS).first).to_contain_text("546,000")


def test_example_asks_at_once(page: Page):
    page.locator("#examples").get_by_text(LATENCY).click()
    expect(page.locator(BOTS)).to_have_count(1, timeout=WAIT_MS)
    assert "1.66ms" in settle(page)


def test_theme_toggle_switches_and_is_remembered(page: Page):
    assert "dark" not in page.evaluate("document.body.className")
    page.locator("#theme").click()
    assert "dark" in page.evaluate("document.body.className")
    page.reload(wait_until="load")
    expect(page.locator("#q textarea")).to_be_visible()
    page.wait_for_function("document.body.classList.contains('dark')", timeout=WAIT_MS)
    page.locator("#theme").click()
    assert "dark" not in page.evaluate("document.body.className")


def test_feedback_is_stored_next_to_the_index(page: Page, ui_index: Path):
    ask(page, RACKS)
    page.locator("#chat button[aria-label='Dislike']").last.click()
    expect(page.locator("#comment textarea")).to_be_visible()
    page.locator("#comment textarea").fill("The Chinese figure was missing")
    page.locator("#comment-send").click()
    expect(page.locator("#comment textarea")).to_be_hidden()  # the comment's handler has run
    expect(page.locator("#feedback-status")).to_contain_text("saved")  # (the rating alone says so too)
    lines = [json.loads(x) for x in (ui_index / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines[-2]["rating"] == "down" and lines[-2]["question"] == RACKS and lines[-2]["comment"] == ""
    assert lines[-1]["comment"] == "The Chinese figure was missing" and "546,000" in lines[-1]["answer"]


def test_filter_asks_within_one_document(page: Page):
    open_section(page, "settings")
    page.locator("#filter-doc input").click()
    page.get_by_role("option", name=re.compile(r"\(decoding-guangdong-zh\)")).click()
    ask(page, RACKS)
    titles = page.locator("#sources details[open] li.src .title").all_inner_texts()
    assert titles and set(titles) == {"解码广东“绿色×智能×数字”密码"}, titles
    page.locator("#filter-doc input").click()
    page.get_by_role("option", name="All documents").click()
    ask(page, RACKS)
    assert page.locator("#sources details[open] li.src .title").first.inner_text().startswith("Decoding")


# ------------------------------------------------------------------ the knowledge base


def test_uploaded_article_is_indexed_and_cited(page: Page, tmp_path: Path, ui_index: Path):
    upload(page, write(tmp_path, "marine-robotics.txt", NEW_ARTICLE))
    status = page.locator("#upload-status")
    expect(status).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
    expect(status).to_contain_text("Zhuhai opens a marine robotics park")
    assert page.evaluate("window.__progressSeen"), "no progress display while indexing"
    expect(page.locator("#upload-hint")).to_contain_text("2 MB each")  # the index's own limit, RAG_MAX_FILE_MB
    open_section(page, "kb-box")
    expect(page.locator("#kb")).to_contain_text("marine-robotics")
    answer = ask(page, "How many underwater drones did the Zhuhai Marine Robotics Park deliver?")
    assert "1,284" in answer and "[1]" in answer
    expect(page.locator("#sources li.src").first).to_contain_text("Zhuhai opens a marine robotics park")
    assert "marine-robotics" in Assistant.load(ui_index).info()["documents"]  # persisted on disk
    shot(page, "05-upload-cited")
    # A later refusal starts a clean result list: the old "Added" line does not linger beside it.
    big = tmp_path / "huge.txt"
    big.write_text("A sentence about nothing in particular.\n" * 70_000, encoding="utf-8")  # ~2.7 MB
    upload(page, big)
    expect(status).to_contain_text("Refused huge.txt", timeout=WAIT_MS)
    expect(status).not_to_contain_text("Added")


def test_upload_that_would_replace_a_document_waits_for_confirmation(page: Page, tmp_path: Path, ui_index: Path):
    hijack = {"id": "decoding-guangdong-en", "title": "Hijack", "lang": "en",
              "text": "Shaoguan plans to build 1 standard rack, said nobody in particular today."}
    path = write(tmp_path, "hijack.jsonl", json.dumps(hijack) + "\n")
    upload(page, path)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("would replace the existing document", timeout=WAIT_MS)
    expect(page.locator("#replace-row")).to_be_visible()
    page.locator("#replace-no").click()
    expect(status).to_contain_text("Kept the existing documents")
    docs = Assistant.load(ui_index).info()["documents"]
    assert docs["decoding-guangdong-en"]["title"].startswith("Decoding Guangdong")
    assert "546,000" in ask(page, RACKS)


def test_remove_asks_first_and_reports_where_the_reader_looks(page: Page, tmp_path: Path):
    upload(page, write(tmp_path, "tea-removal.txt", NEW_ARTICLE.replace("Zhuhai", "Zhaoqing")))
    expect(page.locator("#upload-status")).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
    open_section(page, "kb-box")
    remove = page.locator("#remove")
    assert re.match(r"rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)", remove.evaluate(
        "e => getComputedStyle(e).backgroundColor")), "the remove button should look destructive"
    page.locator("#remove-pick input").click()
    page.get_by_role("option", name=re.compile(r"\(decoding-guangdong-en\)")).click()
    remove.click()
    expect(page.locator("#confirm-text")).to_contain_text("bundled example article")
    page.locator("#remove-no").click()
    expect(page.locator("#remove-status")).to_contain_text("Nothing was removed")
    expect(page.locator("#kb")).to_contain_text("decoding-guangdong-en")

    page.locator("#remove-pick input").click()
    page.get_by_role("option", name=re.compile(r"\(tea-removal\)")).click()
    remove.click()
    page.locator("#remove-yes").click()
    expect(page.locator("#remove-status")).to_contain_text("Removed tea-removal", timeout=WAIT_MS)
    expect(page.locator("#remove-status")).to_be_in_viewport()
    expect(page.locator("#upload-status")).not_to_contain_text("Removed")
    expect(page.locator("#kb")).not_to_contain_text("tea-removal")


def test_article_with_script_payload_shows_as_text_and_runs_nothing(page: Page, tmp_path: Path):
    upload(page, write(tmp_path, "tea-festival.txt", PAYLOAD_ARTICLE))
    expect(page.locator("#upload-status")).to_contain_text("<script>window.__pwned", timeout=WAIT_MS)
    answer = ask(page, "How many visitors did the Qingyuan tea festival draw?")
    assert '<img src=x onerror="window.__pwned = 2; alert(2)">' in answer
    ask(page, "What was not verified about tea prices?")
    open_section(page, "kb-box")
    expect(page.locator("#kb")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
    expect(page.locator("#sources")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
    expect(page.locator("#sources")).to_contain_text("[not verified](javascript:alert(3))")
    page.locator(BOTS).last.locator('a[href^="#src-"]').first.hover()
    expect(page.locator(".rag-pop")).to_be_visible()
    shot(page, "06-payload-as-text")
    time.sleep(0.5)  # give a broken image's onerror the chance to fire
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    for selector in ("#sources script", "#chat script", "#kb script", 'img[src="x"]', ".rag-pop b",
                     '#chat a[href^="javascript"]', "#sources .passage b", "#chat b"):
        assert page.locator(selector).count() == 0, selector


def test_urls_images_and_bracketed_numbers_in_articles_stay_text(page: Page, tmp_path: Path):
    upload(page, write(tmp_path, "ceramics.txt", LINKY_ARTICLE))
    expect(page.locator("#upload-status")).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
    answer = ask(page, "How many kilns did the Foshan ceramics fair sell?")
    for literal in ("https://example.com/kilns", "www.example.org", "[2]", "fair@example.com"):
        assert literal in answer, literal
    links = page.locator(BOTS).last.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#src-1-1"], hrefs  # only the assistant's own marker is a link
    assert page.locator("#sources .passage a, #sources mark a, #chat img").count() == 0
    expect(page.locator("#sources li.src").first.locator(".passage").first).to_contain_text(
        "![x](https://example.com/x.png)")


def test_a_web_page_is_added_by_its_address_and_a_changed_one_asks_first(page: Page):
    import http.server
    import threading

    html_page = (b"<html><head><title>Jiangmen opens a kelp farm</title></head><body><article>"
                 b"<h1>Jiangmen opens a kelp farm</h1><p>The Jiangmen kelp farm harvested 8,350 tonnes of kelp "
                 b"in its first season, the city said on Monday.</p><p>Its operators plan a second farm near "
                 b"Taishan next year, with room for more growers.</p></article></body></html>")

    class Article(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            nonlocal html_page
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html_page)))
            self.end_headers()
            self.wfile.write(html_page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Article)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        open_section(page, "add")
        page.locator("#url input").fill("not-a-url")
        page.locator("#url-add").click()
        expect(page.locator("#upload-status")).to_contain_text("is not a web address", timeout=WAIT_MS)
        address = f"http://127.0.0.1:{server.server_port}/kelp.html"
        page.locator("#url input").fill(address)
        page.locator("#url-add").click()
        status = page.locator("#upload-status")
        expect(status).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
        assert "8,350" in ask(page, "How many tonnes of kelp did the Jiangmen farm harvest?")
        # The page changed: adding it again would replace the document, so the page asks first, as for files.
        html_page = html_page.replace(b"8,350", b"9,120")
        page.locator("#url input").fill(address)
        page.locator("#url-add").click()
        expect(status).to_contain_text("would replace the existing document “Jiangmen opens a kelp farm”",
                                       timeout=WAIT_MS)
        expect(page.locator("#replace-row")).to_be_visible()
        assert "8,350" in ask(page, "How many tonnes of kelp did the Jiangmen farm harvest?")  # not yet replaced
        page.locator("#replace-yes").click()
        expect(status).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
        expect(page.locator("#replace-row")).to_be_hidden()
        assert "9,120" in ask(page, "How many tonnes of kelp did the Jiangmen farm harvest?")
    finally:
        server.shutdown()
