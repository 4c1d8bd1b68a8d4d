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
    PHONE,
    WAIT_MS,
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


# What of the sources panel is painted (clipped by its scroll box) and where: every box must lie inside the drawer
# and above the pinned question box.
DRAWER_PAINT_JS = """() => {
  const drawer = document.querySelector('#sources-col').getBoundingClientRect();
  const ask = document.querySelector('#ask-row').getBoundingClientRect();
  const scroll = document.querySelector('#sources .sources-scroll').getBoundingClientRect();
  const out = [];
  let n = 0;
  for (const el of document.querySelectorAll('#sources *')) {
    const r = el.getBoundingClientRect();
    const t = Math.max(r.top, scroll.top), b = Math.min(r.bottom, scroll.bottom);
    if (r.width <= 0 || b - t <= 0) { continue; }
    n += 1;
    if (t < drawer.top - 1 || b > drawer.bottom + 1 || b > ask.top + 1 || r.left < drawer.left - 1
        || r.right > drawer.right + 1) { out.push(`${el.tagName}.${el.className} ${t}-${b} ${r.left}-${r.right}`); }
  }
  return {painted: n, outside: out.slice(0, 5), drawer: [drawer.left, drawer.top, drawer.right, drawer.bottom]};
}"""


def _drawer_open(page: Page) -> bool:
    return page.evaluate("document.body.classList.contains('rag-drawer')")


def test_phone_sources_are_a_drawer_that_leaves_the_question_box_reachable(phone: Page):
    height = phone.evaluate("window.innerHeight")
    assert not _drawer_open(phone)
    assert box(phone, "#sources-col")["y"] >= height  # closed: below the screen, not in the page's flow
    assert phone.evaluate("getComputedStyle(document.querySelector('#sources-col')).visibility") == "hidden"
    tab = phone.locator("#drawer-open")
    expect(tab).to_be_in_viewport()
    assert box(phone, "#drawer-open")["y"] + box(phone, "#drawer-open")["height"] <= box(phone, "#ask-row")["y"] + 1
    tab.tap()
    phone.wait_for_function("getComputedStyle(document.querySelector('#sources-col')).transform === 'none'")
    drawer, row = box(phone, "#sources-col"), box(phone, "#ask-row")
    assert drawer["y"] >= 0 and drawer["y"] + drawer["height"] <= row["y"] + 1, (drawer, row)
    assert drawer["height"] > 0.5 * height
    # The question box is still there and takes a tap: nothing of the drawer lies over it.
    on_top = phone.evaluate("""() => {
        const r = document.querySelector('#q textarea').getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!hit && !!hit.closest('#q');
    }""")
    assert on_top
    background = phone.evaluate("getComputedStyle(document.querySelector('#sources-col')).backgroundColor")
    assert background.startswith("rgb(") or background.endswith(", 1)"), background  # opaque: no page shows through
    phone.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    measured = phone.evaluate(DRAWER_PAINT_JS)
    assert measured["painted"] > 20 and measured["outside"] == [], measured
    phone.locator("#drawer-close").tap()
    phone.wait_for_function("getComputedStyle(document.querySelector('#sources-col')).visibility === 'hidden'")
    assert box(phone, "#sources-col")["y"] >= height


def test_phone_tap_on_a_marker_opens_the_drawer_at_its_source(phone: Page):
    phone.evaluate("document.querySelectorAll('#sources details').forEach((d, i) => d.open = i === 0)")
    marker = phone.locator(BOTS).first.locator('a[href^="#src-"]').first  # the oldest answer's [1]
    marker.scroll_into_view_if_needed()
    y = phone.evaluate("window.scrollY")
    marker.tap()
    phone.wait_for_function("getComputedStyle(document.querySelector('#sources-col')).transform === 'none'")
    assert abs(phone.evaluate("window.scrollY") - y) < 50  # the page does not jump
    active = phone.locator("#sources li.src.active")
    expect(active).to_have_count(1)
    expect(active.locator(".col.cited mark")).to_contain_text("546,000")
    expect(active).to_be_in_viewport()
    drawer, source = box(phone, "#sources-col"), box(phone, "#sources li.src.active")
    assert drawer["y"] - 1 <= source["y"] < drawer["y"] + drawer["height"] - 40, (drawer, source)
    expect(phone.locator(".rag-pop")).to_have_count(0)  # the drawer shows the source; no popover on top
    shot(phone, "11-phone-drawer", docs_name="screenshot-phone-drawer.png", full_page=False)
    phone.keyboard.press("Escape")
    phone.wait_for_function("!document.body.classList.contains('rag-drawer')")


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



def test_core_errors_are_shown_in_the_interface_language(browser: Browser, ui_url: str):
    page = open_page(browser, ui_url, locale="zh-CN")
    try:
        expect(page.locator("#send")).to_have_text("提问")
        answer = ask(page, "x" * 2100)
        assert "问题有 2100 个字符，上限是 2000。请一次只问一件事。" in answer and "characters long" not in answer
        expect(page.locator(BOTS).last.locator(".rag-error")).to_have_text("无法回答")
        open_section(page, "add")
        page.locator("#url input").fill("http://127.0.0.1:9/nothing-here")
        page.locator("#url-add").click()
        status = page.locator("#upload-status")
        expect(status).to_contain_text("未接受 http://127.0.0.1:9/nothing-here：无法获取", timeout=WAIT_MS)
        expect(status.locator("li")).to_have_count(1)
        page.locator("#ui-lang").get_by_text("English").click()  # the same stored error, now in English
        expect(page.locator(BOTS).last).to_contain_text("the question is 2100 characters long")
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
