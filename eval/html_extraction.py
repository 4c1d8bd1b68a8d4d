"""How well trafilatura's modes keep an article and drop the chrome around it, on the real pages.

Every page of ../shared/corpus/real is wrapped in three page templates that news sites use: semantic HTML5
(<nav>, <article>, <aside>, <footer>), a `<div>` soup with no semantic tags, and a CMS body of `<br><br>`
separated paragraphs inside a table layout. Each is given to trafilatura in its default, `favor_recall` and
`favor_precision` modes and to the shipped reader (favor_recall, plus the <title> as the first line when the
body lacks it). Scores: line recall (share of the page's lines found in the extracted text), exact paragraphs
(share of lines that come out as a paragraph of their own, neither glued nor cut), and chrome leaked (share of
the navigation, sidebar, share-button, comment and footer strings that got through). The "+ page parser" row
is what reaches the index; its recall is lower by design (bylines, credits and the page's own chrome lines
leave the body for the metadata), its chrome column is the one to read.

    python -m eval.html_extraction            # prints the table; about 15 s
"""

from __future__ import annotations

import html
import re
import statistics
import sys
from pathlib import Path

from index.formats import read_html
from index.readers import parse_page

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
NAV = ["首页", "新闻中心", "国际频道", "Business English"]
SIDE = ["相关新闻推荐阅读", "Another story in the sidebar about the weather", "侧栏热点:城市交通新规出台"]
SHARE = ["分享到微信朋友圈", "Share on Weibo"]
COMMENTS = ["网友评论:写得真好,支持!", "Great article, thanks for sharing"]
FOOT = ["Copyright © 2024 Example Daily. All Rights Reserved.", "粤ICP备12345678号-1"]
CHROME = NAV + SIDE + SHARE + COMMENTS + FOOT


def _esc(lines: list[str]) -> list[str]:
    return [html.escape(ln) for ln in lines]


def semantic(lines: list[str]) -> str:
    nav = "".join(f'<a href="/{i}">{t}</a> ' for i, t in enumerate(_esc(NAV)))
    side = "".join(f'<li><a href="/s{i}">{t}</a></li>' for i, t in enumerate(_esc(SIDE)))
    body = "".join(f"<p>{ln}</p>\n" for ln in _esc(lines[1:]))
    return (f"<html><head><title>{html.escape(lines[0])}</title></head><body><nav>{nav}</nav><article>"
            f"<h1>{html.escape(lines[0])}</h1>{body}<div class='share'>{' '.join(_esc(SHARE))}</div></article>"
            f"<section class='comments'>{''.join(f'<p>{c}</p>' for c in _esc(COMMENTS))}</section>"
            f"<aside><ul>{side}</ul></aside><footer>{'<br>'.join(_esc(FOOT))}</footer></body></html>")


def div_soup(lines: list[str]) -> str:
    nav = " | ".join(f'<a href="/{i}">{t}</a>' for i, t in enumerate(_esc(NAV)))
    side = "".join(f'<div class="item"><a href="/s{i}">{t}</a></div>' for i, t in enumerate(_esc(SIDE)))
    body = "".join(f'<div class="para">{ln}</div>\n' for ln in _esc(lines[1:]))
    return (f"<html><head><title>{html.escape(lines[0])}</title></head><body><div class='top'><div class='menu'>"
            f"{nav}</div></div><div class='main'><div class='title'>{html.escape(lines[0])}</div>"
            f"<div class='content'>{body}</div><div class='share'>{' '.join(_esc(SHARE))}</div>"
            f"<div id='comment'>{''.join(f'<div>{c}</div>' for c in _esc(COMMENTS))}</div></div>"
            f"<div class='right'>{side}</div><div class='foot'>{'<br>'.join(_esc(FOOT))}</div></body></html>")


def br_table(lines: list[str]) -> str:
    nav = "".join(f'<td><a href="/{i}">{t}</a></td>' for i, t in enumerate(_esc(NAV)))
    side = "<br>".join(f'<a href="/s{i}">{t}</a>' for i, t in enumerate(_esc(SIDE)))
    body = "<br><br>\n".join(_esc(lines[1:]))
    return (f"<html><head><title>{html.escape(lines[0])}</title></head><body><table><tr>{nav}</tr></table>"
            f"<table><tr><td width='70%'><font size='5'><b>{html.escape(lines[0])}</b></font><br><br>{body}"
            f"<br><br>{' '.join(_esc(SHARE))}<br>{'<br>'.join(_esc(COMMENTS))}</td><td>{side}</td></tr></table>"
            f"<table><tr><td>{'<br>'.join(_esc(FOOT))}</td></tr></table></body></html>")


def extracted_blocks(page: str, mode: dict | str | None) -> list[str]:
    """The blocks trafilatura keeps in `mode`; None: the shipped reader (index.formats.read_html); "parsed":
    that reader's text after the page parser (chrome lines, bylines and credits taken out of the body)."""
    import trafilatura

    from index.formats import _html_blocks

    if mode == "parsed":  # what reaches the index: the page parser's versions, titles and sections
        extracted = read_html(page, "page")
        articles = parse_page(extracted.text, "page", extracted.metadata)
        return [t for a in articles for t in (a.title, *(x for p in a.paragraphs for x in (p.section, p.text)))]
    if mode is None:
        return read_html(page, "page").text.split("\n")
    doc = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, **mode)
    return _html_blocks(doc.body) if doc is not None else []


def score(lines: list[str], blocks: list[str]) -> tuple[float, float, float]:
    blocks = [re.sub(r"^#+ ", "", b) for b in blocks]
    text = "\n".join(blocks)
    parts = {p.strip() for b in blocks for p in b.split("\n")}
    recall = sum(ln in text for ln in lines) / len(lines)
    exact = sum(ln in parts for ln in lines) / len(lines)
    chrome = [c for c in CHROME if not any(c in ln for ln in lines)]  # not counted where the page itself has it
    leaked = sum(c in text for c in chrome) / len(chrome)
    return recall, exact, leaked


def main() -> int:
    if not REAL.exists():
        print(f"needs {REAL}", file=sys.stderr)
        return 1
    pages = [[re.sub(r"\s+", " ", ln).strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
             for p in sorted(REAL.glob("*.txt"))]
    modes = {"default": {}, "favor_recall": {"favor_recall": True}, "favor_precision": {"favor_precision": True},
             "shipped reader": None, "+ page parser": "parsed"}
    print(f"{len(pages)} real pages x 3 templates; mean over pages")
    print(f"{'template':10} {'mode':16} {'line recall':>11} {'exact paras':>11} {'chrome leaked':>13}")
    for template in (semantic, div_soup, br_table):
        for name, mode in modes.items():
            rows = [score(lines, extracted_blocks(template(lines), mode)) for lines in pages]
            r, e, c = (statistics.mean(col) for col in zip(*rows, strict=True))
            print(f"{template.__name__:10} {name:16} {r:11.3f} {e:11.3f} {c:13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
