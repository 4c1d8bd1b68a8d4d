"""The one home of the chat page's test fixtures and helpers: serve the page in-process, open it in Debian's
Chromium, ask, measure what is painted where.

tests/conftest.py loads this module as a plugin, so its fixtures (`ui_index`, `ui_url`, `browser`, `page`) exist
once for tests/test_ui_api.py, test_ui_browser.py and test_ui_layout.py. Gradio and the page are imported only
when a server is started: other test modules pay nothing for them."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

if TYPE_CHECKING:
    from rag import Assistant

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WAIT_MS = 30_000  # generous: the CI machine is small and shared
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
BOTS = '#chat [data-testid="bot"]'


def serve(assistant: Assistant, allow_edits: bool = True, **launch) -> tuple:
    """(demo, url): the page around `assistant`, served in this process on a free loopback port."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.app import build_demo, launch_options

    demo = build_demo(assistant, allow_edits=allow_edits)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            **launch_options(assistant.settings), **launch)
    return demo, url


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def ui_index(bundled_index: Path, tmp_path_factory) -> Path:
    """A writable copy of the bundled index for one test module (its uploads and removals stay there)."""
    import shutil

    return Path(shutil.copytree(bundled_index, tmp_path_factory.mktemp("ui") / "kb"))


@pytest.fixture(scope="module")
def ui_url(ui_index: Path) -> Iterator[str]:
    """The page over `ui_index`, edits allowed, a 2 MB file limit (so a "too big" file stays small), and
    fetching from this machine allowed (the URL tests serve their pages on 127.0.0.1)."""
    from rag import Assistant, Settings

    demo, url = serve(Assistant.load(ui_index, Settings.from_env(max_file_mb=2, fetch_private=True)))
    yield url
    demo.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session; each page gets its own context."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, ui_url: str) -> Iterator[Page]:
    """A fresh desktop page (1400x1000, light, en-US): its own storage, so no chat carries over."""
    pg = open_page(browser, ui_url)
    yield pg
    pg.context.close()


# ------------------------------------------------------------------ driving a page


def open_page(browser: Browser, url: str, locale: str = "en-US", viewport: dict | None = None,
              dark: bool = False, phone: bool = False) -> Page:
    """A fresh page in its own context; `page.dialogs` collects every alert/confirm it tries to open."""
    context = browser.new_context(viewport=viewport or (PHONE if phone else DESKTOP), locale=locale,
                                  color_scheme="dark" if dark else "light", is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="load")
    expect(page.locator("#q textarea")).to_be_visible(timeout=WAIT_MS)
    return page


def submit(page: Page, question: str) -> None:
    box = page.locator("#q textarea")
    box.fill(question)
    box.press("Enter")


def settle(page: Page, index: int = -1) -> str:
    """The text of bot message `index` once it has stopped changing (the stream has ended)."""
    bots = page.locator(BOTS)
    last, stable, deadline = None, 0, time.monotonic() + WAIT_MS / 1000
    while stable < 4 and time.monotonic() < deadline:  # unchanged for ~0.6 s
        text = bots.nth(index).inner_text() if bots.count() else ""
        stable = stable + 1 if text == last and text else 0
        last = text
        time.sleep(0.15)
    return last or ""


def ask(page: Page, question: str) -> str:
    """Submit `question` and return the newest answer's text once it has stopped streaming."""
    bots = page.locator(BOTS)
    before = bots.count()
    submit(page, question)
    expect(bots).to_have_count(before + 1, timeout=WAIT_MS)
    return settle(page)


def shot(page: Page, name: str, docs_name: str | None = None, full_page: bool = True) -> Path:
    """A screenshot in test-artifacts/ (and, named, in docs/ for the README)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if docs_name:
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / docs_name), full_page=full_page)
    return path


def open_section(page: Page, elem_id: str) -> None:
    """Open an accordion (#add, #kb-box, #settings) if it is closed."""
    header = page.locator(f"#{elem_id} > button.label-wrap")
    if "open" not in (header.get_attribute("class") or "").split():
        header.click()
    expect(header).to_have_class(re.compile(r"\bopen\b"))


# Measured in the page: what of the sources panel is painted (each element's box clipped by every scrolling
# ancestor up to the panel), and the boxes of the panels below it.
PAINTED_OVERLAPS_JS = """() => {
  const below = ['#add', '#kb-box', '#settings', '#footer', '#examples']
      .map(s => document.querySelector(s)).filter(Boolean).map(e => [e.id, e.getBoundingClientRect()]);
  const panel = document.querySelector('#sources');
  const clip = (el) => {
    let r = el.getBoundingClientRect();
    let box = {l: r.left, t: r.top, r: r.right, b: r.bottom};
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowY !== 'visible' || cs.overflowX !== 'visible') {
        const c = a.getBoundingClientRect();
        box = {l: Math.max(box.l, c.left), t: Math.max(box.t, c.top), r: Math.min(box.r, c.right),
               b: Math.min(box.b, c.bottom)};
      }
      if (a === panel) { break; }
    }
    return box;
  };
  const hits = [];
  let n = 0;
  for (const el of panel.querySelectorAll('*')) {
    const b = clip(el);
    if (b.r - b.l <= 0 || b.b - b.t <= 0) { continue; }
    n += 1;
    for (const [id, o] of below) {
      if (b.l < o.right && o.left < b.r && b.t < o.bottom && o.top < b.b) {
        hits.push(`${el.tagName}.${el.className} over #${id}`);
      }
    }
  }
  return {painted: n, hits: hits.slice(0, 5)};
}"""

CONTRAST_JS = """(selector) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const el = document.querySelector(selector);
  if (!el) { return null; }
  const cs = getComputedStyle(el);
  const fg = parse(cs.color), bg = parse(cs.backgroundColor);
  if (bg.length === 4 && bg[3] < 1) { return {error: 'translucent background ' + cs.backgroundColor}; }
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return {ratio: (a + 0.05) / (b + 0.05), color: cs.color, background: cs.backgroundColor};
}"""


def contrast(page: Page, selector: str) -> float:
    measured = page.evaluate(CONTRAST_JS, selector)
    assert measured and "ratio" in measured, (selector, measured)
    return measured["ratio"]


def box(page: Page, selector: str) -> dict:
    b = page.locator(selector).first.bounding_box()
    assert b is not None, f"{selector} is not rendered"
    return b
