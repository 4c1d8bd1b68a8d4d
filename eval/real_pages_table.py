"""How the page reader does on ../shared/corpus/real/ against the hand-read table tests/data/real_pages_expected.json:
pages split right, paragraphs in the wrong language, titles and byline fields found. Parse only.

    python -m eval.real_pages_table              # the summary table of docs/notes/pages.md
    python -m eval.real_pages_table --pages      # and one line per page

Run it on an older tree (PYTHONPATH=that tree) to compare: it reads the older metadata names too ("source",
the article's title).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from index.readers import read_source

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"
TABLE = ROOT / "tests" / "data" / "real_pages_expected.json"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
FIELDS = ("outlet", "date", "authors", "translators", "editors", "credits", "copyright")


def _squash(title: str | None) -> str | None:
    return re.sub(r"\s+", " ", title).strip().rstrip(".。") if title else None


def _share(text: str) -> float:
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return cjk / (cjk + latin / 4) if cjk + latin else 0.0


def _wrong_language(text: str, lang: str) -> bool:
    return _share(text) < 0.5 if lang == "zh" else _share(text) > 0.15


def score_page(name: str, expected: dict) -> dict:
    articles = read_source(REAL / name)
    stem = (REAL / name).stem
    by_lang = {a.lang: a for a in articles}
    meta = dict(articles[0].metadata)
    meta.setdefault("outlet", meta.get("source"))
    titles = {}
    for lang in ("en", "zh"):
        a = by_lang.get(lang)
        own = a.title if a is not None and a.title.lower() != stem.lower() and not a.title.startswith(stem) else None
        titles[lang] = meta.get(f"title_{lang}", own if own and _wrong_language(own, lang) is False else None)
    paragraphs = [(a.lang, p.text) for a in articles for p in a.paragraphs]
    fields = [f for f in FIELDS if f in expected]
    found = 0
    for f in fields:
        if f == "credits":
            found += all((meta.get("credits") or {}).get(r) == n for r, n in expected["credits"].items())
        else:
            found += meta.get(f) == expected[f]
    return {
        "split": sorted(by_lang) == ["en", "zh"] and all(
            expected[lang][0] <= len(by_lang[lang].paragraphs) <= expected[lang][1] for lang in ("en", "zh")),
        "wrong_language": sum(_wrong_language(t, lang) for lang, t in paragraphs),
        "paragraphs": len(paragraphs),
        "titles": sum(_squash(titles[lang]) == _squash(expected[f"title_{lang}"]) for lang in ("en", "zh")),
        "fields": len(fields), "fields_found": found,
        "set_apart": (meta.get("set_apart") or {}) == expected.get("set_apart", {}),
    }


def main(argv: list[str]) -> int:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    pages = sorted(n for n in table if not n.startswith("_"))
    rows = {name: score_page(name, table[name]) for name in pages}
    if "--pages" in argv:
        for name, r in rows.items():
            print(f"{name:42s} split {'ok' if r['split'] else 'NO':2s}  wrong-language {r['wrong_language']:2d}/"
                  f"{r['paragraphs']:<3d} titles {r['titles']}/2  fields {r['fields_found']}/{r['fields']}")
    n = len(rows)
    total = lambda key: sum(r[key] for r in rows.values())  # noqa: E731
    print(f"pages split into the right English and Chinese versions: {total('split')}/{n}")
    print(f"paragraphs in a version of the other language: {total('wrong_language')}/{total('paragraphs')}")
    print(f"titles right (English and Chinese, 'none' included): {total('titles')}/{2 * n}")
    print(f"byline fields found (outlet, date, authors, translators, editors, credits, copyright): "
          f"{total('fields_found')}/{total('fields')}")
    print(f"third-language and vocabulary text set apart as the table says: {total('set_apart')}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
