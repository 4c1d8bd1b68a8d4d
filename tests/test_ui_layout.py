"""The chat page on a phone (390x844, touch), in dark mode and under a Chinese interface, in Debian's Chromium.

These assert what is painted where (bounding boxes, computed colours), not only text. One server per module
(tests/ui_support.py); the phone and dark-mode screenshots for the README go to docs/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from ui_support import (
    BOTS,
    PAINTED_OVERLAPS_JS,
    PHONE,
    ask,
    box,
    contrast,
    open_page,
    open_section,
    settle,
    shot,
)

from ui.i18n import TEXT

pytestmark = pytest.mark.browser

RACKS = "How many standard racks does Shaoguan plan to build?"
LATENCY = "韶关到深圳的单向时延是多少？"
WCAG_AA = 4.5


@pytest.fixture(scope="module")
def phone(browser: Browser, ui_url: str) -> Iterator[Page]:
    """One phone page shared by the phone tests, with three answers asked."""
    page = open_page(browser, ui_url, phone=True)
    for question in (RACKS, "Who won the 2022 FIFA World Cup?", LATENCY):
        ask(page, question)
    yield page
    page.context.close()


# ------------------------------------------------------------------ phone


def test_phone_title_breaks_only_between_words_and_sits_above_the_toggle(phone: Page):
    split_words = phone.evaluate("""() => {
        const h = document.querySelector('#title h2'), text = h.firstChild, bad = [];
        const words = [...text.textContent.matchAll(/\\S+/g)];
        for (const m of words) {
            const r = document.createRange();
            r.setStart(text, m.index); r.setEnd(text, m.index + m[0].length);
            const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
            if (lines.size > 1) { bad.push(m[0]); }
        }
        return bad;
    }""")
    assert split_words == []
    title, tools = box(phone, "#title"), box(phone, "#header-tools")
    assert title["y"] + title["height"] <= tools["y"] + 1  # stacked, not squeezed side by side
    assert title["width"] >= 0.8 * PHONE["width"] - 40


def test_phone_placeholder_fits_its_box(phone: Page):
    fits = phone.evaluate("""() => {
        const area = document.querySelector('#q textarea'), cs = getComputedStyle(area);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const room = area.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        return [ctx.measureText(area.placeholder).width, room];
    }""")
    assert fits[0] <= fits[1], fits


def test_phone_sources_come_before_the_examples_and_stay_in_their_box(phone: Page):
    assert box(phone, "#sources")["y"] < box(phone, "#examples")["y"]
    phone.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    measured = phone.evaluate(PAINTED_OVERLAPS_JS)
    assert measured["painted"] > 20 and measured["hits"] == [], measured


def test_phone_tap_on_a_marker_previews_in_place(phone: Page):
    marker = phone.locator(BOTS).first.locator('a[href^="#src-"]').first
    marker.scroll_into_view_if_needed()
    y = phone.evaluate("window.scrollY")
    marker.tap()
    pop = phone.locator(".rag-pop")
    expect(pop).to_be_visible()
    expect(pop.locator(".quote mark")).to_contain_text("546,000")
    expect(pop).to_be_in_viewport()
    assert abs(phone.evaluate("window.scrollY") - y) < 50  # no jump down the page
    shot(phone, "11-phone-popover")
    pop.locator(".pop-show").tap()
    expect(phone.locator("#sources li.src.active")).to_be_in_viewport()


def test_phone_question_box_is_pinned_at_the_bottom(phone: Page):
    phone.evaluate("window.scrollTo(0, 0)")
    row, height = box(phone, "#ask-row"), phone.evaluate("window.innerHeight")
    assert row["y"] + row["height"] <= height + 1 and row["y"] > height / 2, (row, height)
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    row = box(phone, "#ask-row")
    assert row["y"] + row["height"] <= height + 1 and row["y"] > height / 2, (row, height)
    footer = box(phone, "#footer")
    assert footer["y"] + footer["height"] <= row["y"] + 1  # the last of the page is not hidden under it


def test_phone_knowledge_base_shows_whole_document_ids(phone: Page):
    open_section(phone, "kb-box")
    kb = box(phone, "#kb")
    for code in phone.locator("#kb code").all():
        b = code.bounding_box()
        assert b["x"] >= kb["x"] - 1 and b["x"] + b["width"] <= kb["x"] + kb["width"] + 1, code.inner_text()
        assert code.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    phone.evaluate("window.scrollTo(0, 0)")
    shot(phone, "12-phone", docs_name="screenshot-phone.png", full_page=False)  # as the reader sees it


# ------------------------------------------------------------------ themes


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_highlights_meet_wcag_aa_contrast(browser: Browser, ui_url: str, dark: bool):
    page = open_page(browser, ui_url, dark=dark)
    try:
        page.wait_for_function(f"document.body.classList.contains('dark') === {str(dark).lower()}")
        ask(page, RACKS)
        page.locator(BOTS).last.locator('a[href^="#src-"]').first.click()
        for selector in ("#sources li.src .col.cited mark", "#sources li.src .col.other mark"):
            assert contrast(page, selector) >= WCAG_AA, selector
        if dark:
            shot(page, "13-dark", docs_name="screenshot-dark.png")
        ask(page, "x" * 2100)
        assert contrast(page, "#chat .rag-error") >= WCAG_AA
        page.locator(BOTS).first.locator('a[href^="#src-"]').first.hover()
        assert contrast(page, ".rag-pop .quote mark") >= WCAG_AA
    finally:
        page.context.close()


# ------------------------------------------------------------------ a Chinese interface


def _english_leftovers(page: Page) -> list[str]:
    for section in ("add", "kb-box", "settings"):
        open_section(page, section)
    shown = page.evaluate("""() => {  // the interface's own text: articles and answers are content, not labels
        const content = [...document.querySelectorAll('#sources .srcs, #chat [data-testid="bot"], #kb tbody')];
        content.forEach(e => { e.dataset.display = e.style.display; e.style.display = 'none'; });
        const text = document.body.innerText;
        content.forEach(e => { e.style.display = e.dataset.display; });
        return text;
    }""")
    english = [line for value in TEXT["en"].values() if "{" not in value
               for line in value.splitlines() if len(line) > 3 and line not in TEXT["zh"].values()]
    gradio = ["Drop File Here", "Click to Upload", "Built with Gradio", "Use via API", "Settings"]
    return [s for s in english + gradio if s in shown]


@pytest.mark.parametrize("how", ["browser", "toggle"])
def test_chinese_interface_leaves_no_english_behind(browser: Browser, ui_url: str, how: str):
    page = open_page(browser, ui_url, locale="zh-CN" if how == "browser" else "en-US")
    try:
        if how == "toggle":
            page.locator("#ui-lang").get_by_text("中文").click()
        expect(page.locator("#send")).to_have_text("提问")
        answer = ask(page, "Who won the 2022 FIFA World Cup?")
        assert "资料中没有提到这一点" in answer and not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", answer.split(
            "最接近的段落")[0]), answer
        expect(page.locator("#sources summary").first).to_contain_text("最接近的段落")
        assert _english_leftovers(page) == []
        expect(page.locator("#footer")).to_contain_text("回答引用的是本知识库中的文章")
        shot(page, f"14-chinese-{how}")
        page.reload(wait_until="load")  # the choice is remembered, and the conversation too
        expect(page.locator("#send")).to_have_text("提问")
        assert "资料中没有提到这一点" in settle(page)
    finally:
        page.context.close()



def test_page_loads_without_a_spinner_on_every_component(browser: Browser, ui_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(ui_url, wait_until="commit")
        seen = page.evaluate("""() => new Promise(done => {
            let most = 0;
            const t0 = performance.now();
            const look = () => {
                const shown = [...document.querySelectorAll('[data-testid="status-tracker"]')]
                    .filter(e => !e.classList.contains('hide') && e.getBoundingClientRect().height > 0)
                    .filter(e => e.parentElement.closest('[id]'));  // a component's, not the app's own loader
                if (shown.length > most) { most = shown.length; window.__which = shown.map(e => e.className); }
                if (performance.now() - t0 < 2500) { setTimeout(look, 40); } else { done(most); }
            };
            look();
        })""")
        assert seen == 0, (seen, page.evaluate("window.__which"))
        expect(page.locator("#q textarea")).to_be_visible()
    finally:
        context.close()
