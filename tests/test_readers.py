"""Reading sources: plain text, Markdown, HTML, JSON Lines, in every encoding a user is likely to have."""

import json
from pathlib import Path

from index.build import index_sources
from index.readers import iter_source_files, read_source
from index.store import Store
from index.text import tokenize

PORT_EN = [
    "Ningbo-Zhoushan Port handled 35.3 million containers in 2023, the third most of any port in the world.",
    "The port opened a new automated terminal at Meishan in June, with 12 remote-controlled cranes.",
    "Rail-sea freight grew by 20% as trains carried 1.45 million containers inland.",
]
PORT_ZH = [
    "2023年，宁波舟山港完成集装箱吞吐量3530万标准箱，位居全球第三。",
    "6月，该港梅山新建的自动化码头投入使用，配备12台远程操控桥吊。",
    "海铁联运增长20%，火车向内陆运送了145万标准箱。",
]
TEA_ZH = ("西湖龙井茶园今年春茶开采，茶农忙着采摘新茶。\n\n"
          "杭州市茶叶产量预计达到三千二百吨，茶农收入明显增加。\n\n"
          "茶博会将于五月在杭州举行。")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def paragraphs(article) -> list[str]:
    return [p.text for p in article.paragraphs]


def jsonl(*rows: dict) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


# ---------------------------------------------------------------- text and Markdown


def test_text_file_is_one_article_titled_by_its_first_line(tmp_path):
    source = write(tmp_path / "Port News.txt", "Ningbo port breaks its record\n\n" + "\n\n".join(PORT_EN))
    [article] = read_source(source)
    assert article.title == "Ningbo port breaks its record"
    assert article.lang == "en" and article.doc_id == "port-news"
    assert paragraphs(article) == PORT_EN
    assert article.metadata["path"] == str(source)


def test_markdown_heading_is_the_title_and_hard_wrapped_lines_are_joined(tmp_path):
    source = write(tmp_path / "ports.md", """# Ports of the Yangtze delta

The harbour of Ningbo handled 4.2 million containers last year, a record
for the port, according to figures released by the city government. The
port of Shanghai stayed ahead, with more than 49 million containers and
Shenzhen came third with 30 million containers moved through its terminals.

A second paragraph about rail freight.
""")
    [article] = read_source(source)
    assert article.title == "Ports of the Yangtze delta"
    assert paragraphs(article) == [
        "The harbour of Ningbo handled 4.2 million containers last year, a record for the port, according to "
        "figures released by the city government. The port of Shanghai stayed ahead, with more than 49 million "
        "containers and Shenzhen came third with 30 million containers moved through its terminals.",
        "A second paragraph about rail freight.",
    ]


def test_markdown_subheadings_become_sections(tmp_path):
    source = write(tmp_path / "ports.md", "# Ports\n\n## Ningbo\n\n" + PORT_EN[0] + "\n\n## Rail\n\n" + PORT_EN[2])
    [article] = read_source(source)
    assert [(p.section, p.text) for p in article.paragraphs] == [("Ningbo", PORT_EN[0]), ("Rail", PORT_EN[2])]


def test_folder_yields_every_supported_file_and_skips_others(tmp_path):
    for name in ("b.md", "a.txt", "sub/c.jsonl", "sub/d.html", "photo.png", "notes.odt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files([tmp_path])]
    assert found == ["a.txt", "b.md", "sub/c.jsonl", "sub/d.html"]


# ---------------------------------------------------------------- HTML


def test_html_keeps_the_article_text_and_drops_scripts_styles_and_navigation(tmp_path):
    source = write(tmp_path / "port.html", """<!doctype html><html><head><title>Port news</title>
<style>body { color: red }</style><script>var tracker = "secret-tracker-code";</script></head>
<body><nav><a href="/">Home</a> <a href="/sports">Sports section</a></nav>
<article><h1>Ningbo port breaks its record</h1>
<p>The harbour of Ningbo handled <b>4.2 million</b> containers last year, a record for the port.</p>
<p>Rail freight to the port grew by 12% &amp; the new depot opened.</p></article>
<footer>Copyright 2025 Example News</footer></body></html>""")
    [article] = read_source(source)
    assert article.title == "Ningbo port breaks its record"
    assert paragraphs(article) == [
        "The harbour of Ningbo handled 4.2 million containers last year, a record for the port.",
        "Rail freight to the port grew by 12% & the new depot opened.",
    ]
    everything = " ".join([article.title, *paragraphs(article)])
    for chrome in ("tracker", "color", "Sports section", "Home", "Copyright"):
        assert chrome not in everything


# ---------------------------------------------------------------- JSON Lines


def test_jsonl_reads_one_article_per_line_with_its_fields(tmp_path):
    source = write(tmp_path / "news.jsonl", jsonl(
        {"id": "port-2023", "title": "Port record", "text": "\n\n".join(PORT_EN), "lang": "en",
         "url": "https://example.com/port", "date": "2024-01-10", "source": "Example News"},
        {"id": "tea", "title": "Tea harvest", "text": TEA_ZH, "lang": "zh"},
    ))
    port, tea = read_source(source)
    assert (port.doc_id, port.title, port.lang, port.group) == ("port-2023", "Port record", "en", "port-2023")
    assert paragraphs(port) == PORT_EN
    assert port.metadata["url"] == "https://example.com/port"
    assert port.metadata["date"] == "2024-01-10" and port.metadata["source"] == "Example News"
    assert (tea.doc_id, tea.lang, len(tea.paragraphs)) == ("tea", "zh", 3)


def test_jsonl_language_is_detected_when_absent(tmp_path):
    source = write(tmp_path / "news.jsonl", jsonl({"id": "tea", "title": "茶", "text": TEA_ZH},
                                                   {"id": "port", "title": "Port", "text": PORT_EN[0]}))
    assert [a.lang for a in read_source(source)] == ["zh", "en"]


def test_jsonl_articles_sharing_a_group_are_one_translation_group(tmp_path):
    source = write(tmp_path / "news.jsonl", jsonl(
        {"id": "port-en", "title": "Port record", "text": "\n\n".join(PORT_EN), "group": "port"},
        {"id": "port-zh", "title": "宁波舟山港创纪录", "text": "\n\n".join(PORT_ZH), "group": "port"},
    ))
    en, zh = read_source(source)
    assert (en.lang, zh.lang) == ("en", "zh")
    assert en.group == zh.group == "port"


def counterparts(store: Store) -> dict[str, tuple[str, ...]]:
    return {c.chunk_id: c.counterparts for c in store.chunks()}


def test_jsonl_translations_are_aligned_paragraph_by_paragraph_after_indexing(tmp_path, embedding_cache_dir):
    source = write(tmp_path / "news.jsonl", jsonl(
        {"id": "port-en", "title": "Port record", "text": "\n\n".join(PORT_EN), "group": "port"},
        {"id": "port-zh", "title": "宁波舟山港创纪录", "text": "\n\n".join(PORT_ZH), "group": "port"},
    ))
    index_sources([source], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    links = counterparts(Store.load(tmp_path / "kb"))
    for i in range(3):
        assert links[f"port-en:p{i}"] == (f"port-zh:p{i}",)
        assert links[f"port-zh:p{i}"] == (f"port-en:p{i}",)


def test_translations_in_two_files_indexed_separately_are_aligned(tmp_path, embedding_cache_dir):
    english = write(tmp_path / "port-en.jsonl", jsonl(
        {"id": "port-en", "title": "Port record", "text": "\n\n".join(PORT_EN), "group": "port"}))
    chinese = write(tmp_path / "port-zh.jsonl", jsonl(
        {"id": "port-zh", "title": "宁波舟山港创纪录", "text": "\n\n".join(PORT_ZH), "group": "port"}))
    index_sources([english], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    assert all(not links for links in counterparts(Store.load(tmp_path / "kb")).values())
    index_sources([chinese], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    links = counterparts(Store.load(tmp_path / "kb"))
    assert [links[f"port-en:p{i}"] for i in range(3)] == [(f"port-zh:p{i}",) for i in range(3)]
    assert [links[f"port-zh:p{i}"] for i in range(3)] == [(f"port-en:p{i}",) for i in range(3)]


# ---------------------------------------------------------------- encodings


def test_gbk_encoded_chinese_file_is_indexed_and_searchable(tmp_path, bundled_copy, embedder, embedding_cache_dir):
    source = write(tmp_path / "tea.txt", "龙井茶园春茶开采\n\n" + TEA_ZH, encoding="gbk")
    report = index_sources([source], bundled_copy, cache_dir=str(embedding_cache_dir))
    assert report.added == ["tea"] and not report.refused
    store = Store.load(bundled_copy)
    texts = [c.text for c in store.chunks() if c.doc_id == "tea"]
    assert "杭州市茶叶产量预计达到三千二百吨，茶农收入明显增加。" in texts

    [(row, _), *_] = store.bm25_search(tokenize("杭州茶叶产量"), "zh", k=3)
    assert store.chunk(row).doc_id == "tea"
    [(row, _), *_] = store.dense_search(embedder.encode_query("杭州今年的茶叶产量是多少？"), k=3)
    assert store.chunk(row).doc_id == "tea"


def test_gb18030_and_gbk_read_the_same(tmp_path):
    gbk = read_source(write(tmp_path / "a.txt", TEA_ZH, encoding="gbk"))
    gb18030 = read_source(write(tmp_path / "b.txt", TEA_ZH, encoding="gb18030"))
    assert paragraphs(gbk[0]) == paragraphs(gb18030[0]) == [p.replace("\n", "") for p in TEA_ZH.split("\n\n")]


def test_utf8_with_byte_order_mark_reads_without_it(tmp_path):
    [article] = read_source(write(tmp_path / "tea.txt", "茶叶新闻\n\n" + TEA_ZH, encoding="utf-8-sig"))
    assert article.title == "茶叶新闻"
    assert paragraphs(article)[1] == "杭州市茶叶产量预计达到三千二百吨，茶农收入明显增加。"


def test_utf16_with_byte_order_mark_reads_correctly(tmp_path):
    for encoding in ("utf-16", "utf-16-be"):
        data = "\ufeff" + "Port news\n\n" + "\n\n".join(PORT_EN) if encoding == "utf-16-be" else \
            "Port news\n\n" + "\n\n".join(PORT_EN)
        [article] = read_source(write(tmp_path / f"port-{encoding}.txt", data, encoding=encoding))
        assert article.title == "Port news"
        assert paragraphs(article) == PORT_EN


# ---------------------------------------------------------------- lines are not paragraphs


def test_a_line_break_inside_a_sentence_neither_makes_a_heading_nor_splits_the_paragraph(tmp_path):
    text = ("Harbour industry\n\n"
            "Coastal (low-lying) factories use sealed furnace rooms to lower the output of CO\n"
            "2 around the harbour and, when needed, the river mouth. The city inspects them twice a year.\n\n"
            "Inland plants report their output to the same office every month, and the office publishes it.")
    source = write(tmp_path / "harbour.jsonl", jsonl({"id": "harbour", "title": "Harbour", "text": text}))
    [article] = read_source(source)
    assert [(p.section, p.text) for p in article.paragraphs] == [
        ("Harbour industry", "Coastal (low-lying) factories use sealed furnace rooms to lower the output of CO2 "
                             "around the harbour and, when needed, the river mouth. "
                             "The city inspects them twice a year."),
        ("Harbour industry", "Inland plants report their output to the same office every month, and the office "
                             "publishes it."),
    ]


def test_pdf_line_ends_inside_sentences_are_joined(tmp_path):
    source = write(tmp_path / "port.txt", "Port record\n\nThe port handled a record number of\ncontainers last "
                   "year, the city said on\nMonday.\nIt plans a new terminal.\n\n港口去年的集装箱吞吐量\n创下纪录。")
    articles = read_source(source)
    assert [paragraphs(a) for a in articles] == [
        ["The port handled a record number of containers last year, the city said on Monday.",
         "It plans a new terminal."],
        ["港口去年的集装箱吞吐量创下纪录。"],
    ]


# ---------------------------------------------------------------- languages of a page


def test_a_third_language_is_set_apart_and_counted(tmp_path):
    source = write(tmp_path / "port.txt", "\n\n".join([
        PORT_EN[0],
        "Pelabuhan Ningbo-Zhoushan menangani 35,3 juta kontainer pada tahun 2023, terbanyak ketiga di dunia.",
        "Το λιμάνι Νινγκμπό-Τζουσάν διακίνησε 35,3 εκατομμύρια εμπορευματοκιβώτια το 2023, τρίτο στον κόσμο.",
        PORT_ZH[0], PORT_EN[1], PORT_ZH[1]]))
    en, zh = read_source(source)
    assert paragraphs(en) == PORT_EN[:2] and paragraphs(zh) == PORT_ZH[:2]
    assert sum(en.metadata["set_apart"].values()) == 2 and "el" in en.metadata["set_apart"]


def test_a_page_in_one_language_is_one_document(tmp_path):
    [article] = read_source(write(tmp_path / "port.txt", "Port record\n\n" + "\n\n".join(PORT_EN)))
    assert article.doc_id == "port" and article.lang == "en" and "set_apart" not in article.metadata


def test_english_and_chinese_glued_in_one_paragraph_are_split_by_sentence(tmp_path):
    glued = "".join(f"{e}{z}" for e, z in zip(PORT_EN, PORT_ZH, strict=True))
    en, zh = read_source(write(tmp_path / "port.txt", glued))
    assert paragraphs(en) == PORT_EN and paragraphs(zh) == PORT_ZH
    assert {tuple(p) for p in en.metadata["pairs"]} >= {(0, 0), (1, 1), (2, 2)}
