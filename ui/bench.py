"""UI benchmark: the chat page in a real browser, then 20 concurrent API sessions, all on loopback.

    HF_HUB_OFFLINE=1 .venv/bin/python -m ui.bench                  # bundled article, fresh temp index
    HF_HUB_OFFLINE=1 .venv/bin/python -m ui.bench --index kb --sessions 20 --seconds 60 --rounds 2

1. Browser (Debian's Chromium through Playwright): for each question, the time from clicking "Ask" to the
   first rendered answer text, and to the last change of the answer (the complete answer), both measured
   inside the page with a MutationObserver. Prints p50 and max over all questions and rounds.
2. Load: `--sessions` gradio_client sessions ask `/chat` back to back for `--seconds`; prints the number of
   answers, errors, and p50/p95 latency.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from ui.page import EXAMPLES  # noqa: E402  (imports gradio, which reads the variable above)

QUESTIONS = [*EXAMPLES, "Who won the 2022 FIFA World Cup?"]  # the page's examples, and one it must refuse
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# Clicks "Ask" and timestamps, inside the page, the new answer's first non-empty text and its last change.
_START = """(question) => {
    const chat = document.querySelector('#chat');
    const before = chat.querySelectorAll('[data-testid="bot"]').length;
    const box = document.querySelector('#q textarea');
    box.value = question;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    const bench = window.__bench = {start: 0, first: null, last: null, text: ''};
    new MutationObserver(() => {
        const bots = chat.querySelectorAll('[data-testid="bot"]');
        if (bots.length <= before) { return; }
        const text = bots[bots.length - 1].innerText.trim();
        if (!text || text === bench.text) { return; }
        const now = performance.now();
        if (bench.first === null) { bench.first = now; bench.firstText = text; }
        bench.text = text;
        bench.last = now;
    }).observe(chat, {subtree: true, childList: true, characterData: true});
    bench.start = performance.now();
    document.querySelector('#send').click();
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=None,
                        help="index directory (default: a temp index of the bundled article)")
    parser.add_argument("--rounds", type=int, default=2, help="times each browser question is asked")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent gradio_client sessions")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the load run")
    args = parser.parse_args(argv)

    from rag import Assistant
    from ui.app import build_demo, launch_options

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(args.index) if args.index else Path(tmp) / "kb"
        assistant = Assistant.load(index_dir) if args.index else Assistant.build(None, index_dir=index_dir)
        demo = build_demo(assistant)
        _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                                quiet=True, **launch_options(assistant.settings))
        try:
            print(f"app: {url} over {index_dir}")
            bench_browser(url, args.rounds)
            bench_load(url, args.sessions, args.seconds)
        finally:
            demo.close()
    return 0


def bench_browser(url: str, rounds: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    first, complete = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        expect(page.locator("#q textarea")).to_be_visible(timeout=30_000)
        for _ in range(rounds):
            for question in QUESTIONS:
                page.locator("#clear").click()
                page.evaluate(_START, question)
                page.wait_for_function("() => window.__bench.first !== null"
                                       " && performance.now() - window.__bench.last > 1000", timeout=60_000)
                b = page.evaluate("window.__bench")
                first.append((b["first"] - b["start"]) / 1000)
                complete.append((b["last"] - b["start"]) / 1000)
                print(f"  {question[:40]:42} first text {first[-1]:.2f} s  complete {complete[-1]:.2f} s"
                      f"  ({b['firstText'][:30]!r}...)")
        browser.close()
    print(f"browser, {len(first)} answers: submit -> first answer text p50 {statistics.median(first):.2f} s "
          f"(max {max(first):.2f}); -> complete answer p50 {statistics.median(complete):.2f} s "
          f"(max {max(complete):.2f})")


def bench_load(url: str, sessions: int, seconds: float) -> None:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def session(i: int) -> None:
        client = Client(url, verbose=False, analytics_enabled=False)
        n = i
        try:
            while time.monotonic() < deadline:
                question = QUESTIONS[n % len(QUESTIONS)]
                n += 1
                t0 = time.perf_counter()
                try:
                    _, history, _, _ = client.predict(question, [], "auto", 5, False, {"turns": []},
                                                      api_name="/chat")
                    ok = bool(history) and history[-1]["role"] == "assistant" and history[-1]["content"]
                    error = None if ok else f"empty answer to {question!r}"
                except Exception as e:  # noqa: BLE001  (any failure counts as an error; the run goes on)
                    error = f"{type(e).__name__}: {e}"
                with lock:
                    if error:
                        errors.append(error)
                    else:
                        latencies.append(time.perf_counter() - t0)
        finally:
            client.close()

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    lat = sorted(latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
    print(f"load, {sessions} gradio_client sessions for {elapsed:.0f} s: {len(lat)} answers, "
          f"{len(errors)} errors, {len(lat) / elapsed:.1f} answers/s, "
          f"latency p50 {p50:.2f} s, p95 {p95:.2f} s")
    for error in errors[:5]:
        print(f"  error: {error[:200]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    raise SystemExit(main())
