"""Every real page of ../shared/corpus/real/ read right: its versions, the language of every paragraph and
chunk, its title in each language and its byline, against tests/data/real_pages_expected.json (written by
reading the pages, not from the parser). Parse only, plus one small end-to-end build through `rag index`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from index.card import card_chunk, is_card
from index.chunk import chunk_article
from index.readers import read_source
from index.store import Store

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
EXPECTED = json.loads((Path(__file__).parent / "data" / "real_pages_expected.json").read_text(encoding="utf-8"))
PAGES = sorted(name for name in EXPECTED if not name.startswith("_"))
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"the real-page corpus is not at {REAL}")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@pytest.fixture(scope="module")
def lingua():
    """An identifier the parser does not use (it uses py3langid), as the independent check."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.PORTUGUESE, Language.SPANISH, Language.FRENCH, Language.GERMAN,
        Language.ITALIAN, Language.INDONESIAN, Language.DUTCH, Language.TAGALOG, Language.CHINESE).build()


def cjk_share(text: str) -> float:
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return cjk / (cjk + latin / 4) if cjk + latin else 0.0


def language_problem(text: str, lang: str, lingua) -> str | None:
    """Why `text` is not in `lang`, or None. Chinese: mostly ideographs. English: (almost) no ideographs, and
    lingua says English when there are enough words to tell."""
    share = cjk_share(text)
    if lang == "zh":
        return None if share >= 0.5 else f"Chinese share {share:.2f}"
    if share > 0.15:
        return f"Chinese share {share:.2f} in English text"
    if len(re.findall(r"[A-Za-z]{2,}", text)) >= 6:
        found = lingua.detect_language_of(text)
        if found is None or found.name != "ENGLISH":
            return f"lingua says {found.name if found else 'nothing'}"
    return None


def read(name: str):
    return read_source(REAL / name)


def squash(title: str | None) -> str | None:
    return re.sub(r"\s+", " ", title).strip().rstrip(".。") if title else title


@pytest.mark.parametrize("name", PAGES)
def test_page_splits_into_its_english_and_chinese_versions(name):
    expected = EXPECTED[name]
    articles = read(name)
    assert [a.lang for a in articles] == ["en", "zh"], expected["layout"]
    for article in articles:
        low, high = expected[article.lang]
        assert low <= len(article.paragraphs) <= high, [p.text[:50] for p in article.paragraphs]
    assert articles[0].group == articles[1].group


@pytest.mark.parametrize("name", PAGES)
def test_every_paragraph_is_in_the_language_of_its_version(name, lingua):
    for article in read(name):
        for p in article.paragraphs:
            assert language_problem(p.text, article.lang, lingua) is None, (article.lang, p.text[:80])


@pytest.mark.parametrize("name", PAGES)
def test_page_title_in_each_language(name):
    expected = EXPECTED[name]
    meta = read(name)[0].metadata
    assert squash(meta.get("title_en")) == squash(expected["title_en"])
    assert squash(meta.get("title_zh")) == squash(expected["title_zh"])


BYLINE = ("outlet", "date", "authors", "translators", "editors", "copyright")


@pytest.mark.parametrize("name", PAGES)
def test_page_byline_and_credits(name):
    expected = EXPECTED[name]
    meta = read(name)[0].metadata
    for field in BYLINE:
        if field in expected:
            assert meta.get(field) == expected[field], field
    for role, names in expected.get("credits", {}).items():
        assert meta.get("credits", {}).get(role) == names, role
    assert (meta.get("set_apart") or {}) == expected.get("set_apart", {})


def test_no_byline_field_is_found_that_the_page_does_not_give():
    """The table lists every field a page names: a field found beyond it is a false reading."""
    wrong = []
    for name in PAGES:
        meta = read(name)[0].metadata
        wrong += [f"{name}: {f}={meta[f]!r}" for f in BYLINE if f in meta and f not in EXPECTED[name]]
    assert not wrong


def test_no_chunk_carries_text_of_another_language_than_its_label(lingua):
    problems = []
    for name in PAGES:
        for article in read(name):
            chunks = chunk_article(article)
            card = card_chunk(article)
            for chunk in chunks + ([card] if card else []):
                text = chunk.text
                if is_card(chunk):  # a card quotes names and titles as the page gives them: judge its own words
                    for value in _values(article.metadata):
                        text = text.replace(value, " ")
                if problem := language_problem(text, chunk.lang, lingua):
                    problems.append(f"{chunk.chunk_id}: {problem}: {chunk.text[:60]!r}")
    assert not problems


def _values(meta: dict) -> list[str]:
    out = []
    for key in ("title_en", "title_zh", "outlet", "copyright", "authors", "translators", "editors", "credits"):
        value = meta.get(key)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out += value
        elif isinstance(value, dict):
            out += [n for names in value.values() for n in names]
    return sorted(out, key=len, reverse=True)


def test_pages_that_name_a_byline_get_a_card_in_both_languages():
    for name in PAGES:
        articles = read(name)
        fields = [f for f in (*BYLINE, "credits") if f in EXPECTED[name]]
        cards = [card_chunk(a) for a in articles]
        if fields:
            assert all(cards), name
            assert [c.chunk_id for c in cards] == [f"{a.doc_id}:card" for a in articles]


def test_interleaved_pages_offer_their_true_pairs_to_the_aligner():
    """Line-by-line pages: paragraph i of the English pairs with paragraph i of the Chinese."""
    for name in ("kekenet-201501-354171.txt", "okread-20221202-45981.txt", "ycpai-2021-05-10-40003184.txt"):
        en, _ = read(name)
        candidates = {tuple(p) for p in en.metadata["pairs"]}
        assert {(i, i) for i in range(4)} <= candidates, name


def test_a_page_in_english_then_chinese_offers_no_layout_pairs():
    en, _ = read("ysln-2024-12-06-53105594.txt")
    assert "pairs" not in en.metadata


# ---------------------------------------------------------------- one small end-to-end build


def test_rag_index_says_what_it_set_apart_and_links_cards_and_pairs(rag, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("ycpai-2022-02-05-40558562.txt", "ysln-2024-12-06-53105594.txt", "kekenet-201501-354171.txt"):
        shutil.copy(REAL / name, folder / name)
    code, out, err = rag("index", folder, "--index", tmp_path / "kb")
    assert code == 0, err
    assert f"set apart 4 paragraphs in Portuguese from {folder / 'ycpai-2022-02-05-40558562.txt'}" in out
    store = Store.load(tmp_path / "kb")
    chunks = {c.chunk_id: c for c in store.chunks()}
    assert not any("Quando chega" in c.text or "pincelada" in c.text for c in chunks.values())
    card = chunks["ysln-2024-12-06-53105594-en:card"]
    assert "Translator | 李玉凡 (Li Yufan)" in card.sentence_texts()
    assert card.counterparts == ("ysln-2024-12-06-53105594-zh:card",)
    for i in range(5):  # the layout's pairs, confirmed by the embeddings
        assert chunks[f"kekenet-201501-354171-en:p{i}"].counterparts == (f"kekenet-201501-354171-zh:p{i}",)


def test_a_column_label_glued_before_the_first_sentence_heads_the_paragraph():
    en, _ = read("ysln-2024-12-06-53105594.txt")
    first = en.paragraphs[0]
    assert first.section == "City Life" and first.text.startswith("At 5 a.m. in early winter")
    en, _ = read("ysln-2025-12-31-53885561.txt")  # no space around the bar
    assert en.paragraphs[0].section == "Lingnan:Beauty Beyond Borders"


def test_credit_lines_and_table_rows_are_not_column_labels():
    from index.header import split_kicker

    assert split_kicker("Translator | 李玉凡", "en") is None
    assert split_kicker("翻译|蔡燕娣", "zh") is None
    assert split_kicker("Year | Exports | Imports | Balance of trade in billions of dollars, by quarter.", "en") is None
    sentence = "At 5 a.m. in early winter, the mountains of northern Guangdong are cold."
    assert split_kicker(f"City Life | {sentence}", "en") == ("City Life", sentence)
