"""The chat page, driven in Debian's Chromium through Playwright, and its API through gradio_client.

The app runs in-process on a free port over a real index of the bundled article (built once per module
with the real model). Screenshots of each step go to test-artifacts/; the citation one also to
docs/screenshot.png.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from rag import Assistant, ConfigError  # noqa: E402
from ui.app import build_demo, launch_options, parse_auth  # noqa: E402
from ui.render import md_escape, plain_text  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WAIT_MS = 30_000  # generous: the CI machine is small and shared

NEW_ARTICLE = """Zhuhai opens a marine robotics park

The Zhuhai Marine Robotics Park opened in Hengqin in June 2024.

In its first year the park delivered 1,284 underwater drones to research institutes and offshore wind farms.

The park's director, Lin Haiyan, said the next goal is a testing basin for autonomous ships.
"""
PAYLOAD_ARTICLE = """Qingyuan tea festival <script>window.__pwned = 1; alert(1)</script> report

The Qingyuan tea festival drew 73,000 visitors <img src=x onerror="window.__pwned = 2; alert(2)"> in 2024.

Organisers said <b>bold</b> claims about tea prices were [not verified](javascript:alert(3)) by anyone.
"""


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def ui_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("ui") / "kb"
    Assistant.build(None, index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="module")
def ui_url(ui_index: Path) -> Iterator[str]:
    demo, url = serve(Assistant.load(ui_index))
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, ui_url: str) -> Iterator[Page]:
    pg = open_page(browser, ui_url)
    yield pg
    pg.context.close()


def serve(assistant: Assistant, **launch) -> tuple:
    """(demo, url): the page around `assistant`, served in this process on a free loopback port."""
    demo = build_demo(assistant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            **launch_options(assistant.settings), **launch)
    return demo, url


def open_page(browser: Browser, url: str, locale: str = "en-US") -> Page:
    """A fresh page; `page.dialogs` collects every alert/confirm the page tries to open."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    expect(page.locator("#q textarea")).to_be_visible(timeout=WAIT_MS)
    return page


def ask(page: Page, question: str) -> str:
    """Submit `question` and return the newest answer's text once it has stopped streaming."""
    bots = page.locator('#chat [data-testid="bot"]')
    before = bots.count()
    box = page.locator("#q textarea")
    box.fill(question)
    box.press("Enter")
    expect(bots).to_have_count(before + 1, timeout=WAIT_MS)
    last, stable, deadline = None, 0, time.monotonic() + WAIT_MS / 1000
    while stable < 4 and time.monotonic() < deadline:  # unchanged for ~0.6 s: the stream has ended
        text = bots.last.inner_text()
        stable = stable + 1 if text == last and text else 0
        last = text
        time.sleep(0.15)
    return last or ""


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def upload(page: Page, path: Path) -> None:
    """Open "Add articles", watch for the progress display, and upload `path`."""
    page.locator("#add").get_by_text("Add articles").click()
    expect(page.locator("#upload-status")).to_be_attached()
    page.evaluate("""() => {
        window.__progressSeen = false;
        const status = document.querySelector('#upload-status');
        new MutationObserver(() => {
            if (status.querySelector('[class*="progress"], [class*="eta-bar"]')) {
                window.__progressSeen = true;
            }
        }).observe(status, {subtree: true, childList: true, attributes: true});
    }""")
    page.locator("#upload input[type=file]").set_input_files(str(path))


# ------------------------------------------------------------------ the page


def test_answer_cites_its_source_and_the_marker_reveals_both_languages(page: Page):
    answer = ask(page, "How many standard racks does Shaoguan plan to build?")
    assert "546,000" in answer and "[1]" in answer
    bot = page.locator('#chat [data-testid="bot"]').last
    expect(bot.locator("strong")).to_have_count(1)  # the short answer is emphasised
    bot.locator('a[href^="#src-"]').first.click()
    cited = page.locator("#sources li.src.active")
    expect(cited).to_be_visible()
    expect(cited.locator('.col[lang="en"] mark')).to_contain_text("546,000 standard racks")
    expect(cited.locator('.col[lang="zh-CN"]')).to_contain_text("54.6万标准机架")
    expect(cited.locator(".src-head")).to_contain_text("Decoding Guangdong")
    path = shot(page, "01-citation")
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(path, ROOT / "docs" / "screenshot.png")


def test_chinese_question_gets_a_chinese_answer(page: Page):
    answer = ask(page, "韶关到深圳的单向时延是多少？")
    assert "1.66ms" in answer and re.search(r"[\u4e00-\u9fff]{5}", answer)
    expect(page.locator("#sources li.src").first.locator('.col[lang="en"]')).to_contain_text("1.66 ms")
    shot(page, "02-chinese")


def test_follow_up_uses_the_previous_turn(page: Page):
    ask(page, "Tell me about Intellifusion.")
    answer = ask(page, "When did it go public?")
    shot(page, "03-follow-up")
    assert "April 2023" in answer or "2023年4月" in answer, answer


def test_uploaded_article_is_indexed_and_cited(page: Page, tmp_path: Path, ui_index: Path):
    article = tmp_path / "marine-robotics.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    upload(page, article)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("Added 1 document(s)", timeout=WAIT_MS)
    expect(status).to_contain_text("Zhuhai opens a marine robotics park")
    assert page.evaluate("window.__progressSeen"), "no progress display while indexing"
    page.locator("#kb-box").get_by_text("Knowledge base").click()
    expect(page.locator("#kb")).to_contain_text("marine-robotics")
    shot(page, "04-upload")
    answer = ask(page, "How many underwater drones did the Zhuhai Marine Robotics Park deliver?")
    assert "1,284" in answer and "[1]" in answer
    expect(page.locator("#sources li.src").first).to_contain_text("Zhuhai opens a marine robotics park")
    assert "marine-robotics" in Assistant.load(ui_index).info()["documents"]  # persisted on disk
    shot(page, "05-upload-cited")


def test_article_with_script_payload_shows_as_text_and_runs_nothing(page: Page, tmp_path: Path):
    article = tmp_path / "tea-festival.txt"
    article.write_text(PAYLOAD_ARTICLE, encoding="utf-8")
    upload(page, article)
    expect(page.locator("#upload-status")).to_contain_text("<script>window.__pwned", timeout=WAIT_MS)
    answer = ask(page, "How many visitors did the Qingyuan tea festival draw?")
    assert '<img src=x onerror="window.__pwned = 2; alert(2)">' in answer
    ask(page, "What was not verified about tea prices?")
    page.locator("#kb-box").get_by_text("Knowledge base").click()
    expect(page.locator("#kb")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
    expect(page.locator("#sources")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
    expect(page.locator("#sources")).to_contain_text("[not verified](javascript:alert(3))")
    shot(page, "06-payload-as-text")
    time.sleep(0.5)  # give a broken image's onerror the chance to fire
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    for selector in ("#sources script", "#chat script", "#kb script", 'img[src="x"]',
                     '#chat a[href^="javascript"]', "#sources .passage b", "#chat b"):
        assert page.locator(selector).count() == 0, selector

    page.locator("#remove-pick input").click()
    page.get_by_role("option", name=re.compile(r"\(tea-festival\)")).click()
    page.locator("#remove").click()
    expect(page.locator("#upload-status")).to_contain_text("Removed tea-festival", timeout=WAIT_MS)
    expect(page.locator("#kb")).not_to_contain_text("tea-festival")


def test_question_the_sources_do_not_cover_is_an_abstention(page: Page):
    answer = ask(page, "Who won the 2022 FIFA World Cup?")
    assert "Not in the sources" in answer and "[1]" in answer  # nearest passages, linked
    expect(page.locator('#chat [data-testid="bot"]').last.locator("blockquote")).to_be_visible()
    expect(page.locator("#sources .turn.abstained li.src.nearest").first).to_be_visible()
    shot(page, "07-abstention")


def test_clear_empties_the_conversation_and_the_sources(page: Page):
    ask(page, "How many standard racks does Shaoguan plan to build?")
    page.locator("#clear").click()
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(0)
    expect(page.locator("#sources li.src")).to_have_count(0)
    page.locator("#settings").get_by_text("Settings").click()
    expect(page.locator("#k")).to_be_visible()
    expect(page.locator("#generative")).to_be_hidden()  # no chat model configured


def test_generative_mode_is_offered_with_a_model_and_can_be_turned_off(browser: Browser, ui_index: Path):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    model = FakeListChatModel(responses=["Shaoguan plans to build 546,000 standard racks [1]."])
    demo, url = serve(Assistant.load(ui_index, llm=model))
    try:
        page = open_page(browser, url)
        page.locator("#settings").get_by_text("Settings").click()
        toggle = page.locator("#generative input")
        expect(toggle).to_be_checked()
        answer = ask(page, "How many standard racks does Shaoguan plan to build?")
        assert answer.startswith("Shaoguan plans to build 546,000 standard racks") and "[1]" in answer
        assert "every cited sentence was checked" in answer
        toggle.uncheck()
        answer = ask(page, "How many standard racks does Shaoguan plan to build?")
        assert answer.startswith("So far, 22 intelligent computing projects")
        page.context.close()
    finally:
        demo.close()


def test_labels_follow_a_chinese_browser_and_the_toggle(browser: Browser, ui_url: str):
    page = open_page(browser, ui_url, locale="zh-CN")
    expect(page.locator("#send")).to_have_text("提问", timeout=WAIT_MS)
    expect(page.get_by_text("你的问题")).to_be_visible()
    ask(page, "韶关计划建设多少标准机架？")
    expect(page.locator("#sources summary").first).to_contain_text("出处")
    shot(page, "08-chinese-interface")
    page.locator("#ui-lang").get_by_text("English").click()
    expect(page.locator("#send")).to_have_text("Ask")
    expect(page.locator("#sources summary").first).to_contain_text("Sources for")
    page.context.close()


# ------------------------------------------------------------------ the API


def test_gradio_client_gets_answers_with_citations(ui_url: str):
    from gradio_client import Client

    client = Client(ui_url, verbose=False, analytics_enabled=False)
    try:
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert {"/chat", "/ask"} <= set(endpoints)
        answer = client.predict("How many standard racks does Shaoguan plan to build?", [], "auto", 5,
                                api_name="/ask")
        assert "546,000" in answer["text"] and answer["citations"][0]["quote"]
        _, history, sources = client.predict("韶关到深圳的单向时延是多少？", [], "auto", 5, False,
                                             api_name="/chat")
        final = history[-1]["content"]
        final = final if isinstance(final, str) else "".join(p.get("text", "") for p in final)
        assert "1.66ms" in final and "#src-1-1" in final
        assert "1.66 ms" in sources  # the English counterpart, side by side
    finally:
        client.close()


def test_login_is_required_when_auth_is_set(ui_index: Path):
    from gradio_client import Client

    demo, url = serve(Assistant.load(ui_index), auth=parse_auth("reader:s3cret"))
    try:
        with pytest.raises(Exception, match="(?i)auth|login|credentials"):
            Client(url, verbose=False, analytics_enabled=False)
        client = Client(url, auth=("reader", "s3cret"), verbose=False, analytics_enabled=False)
        assert not client.predict("Tell me about Intellifusion.", api_name="/ask")["abstained"]
        client.close()
    finally:
        demo.close()


# ------------------------------------------------------------------ rendering, without a browser


def test_document_text_round_trips_through_chat_markdown():
    text = "R&D <script>x</script> *not bold* [link](javascript:y) it's $5 \\ `code` #1"
    markdown = md_escape(text)
    assert "<" not in markdown and "](javascript" not in markdown  # no tag, no live link
    assert plain_text(markdown) == text


def test_bad_auth_value_is_refused_with_the_fix():
    assert parse_auth("") is None and parse_auth("a:b:c") == ("a", "b:c")
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth("nopassword")


def test_upload_limits_are_explained(ui_url: str, tmp_path: Path):
    from gradio_client import Client, handle_file

    wrong_type = tmp_path / "slides.pdf"
    wrong_type.write_bytes(b"%PDF-1.4 not an article")
    too_big = tmp_path / "huge.txt"
    too_big.write_text("A sentence about nothing in particular.\n" * 300_000, encoding="utf-8")  # ~12 MB
    client = Client(ui_url, verbose=False, analytics_enabled=False)
    try:
        with pytest.raises(Exception, match=r"Invalid file type.*\.jsonl"):
            client.predict([handle_file(wrong_type)], api_name="/upload")
        _, status, _, _ = client.predict([handle_file(too_big)], api_name="/upload")
    finally:
        client.close()
    assert "Refused huge.txt: 11.4 MB is over the 10 MB limit" in status
