"""The bundled article as chunks: two languages, metadata kept, chrome dropped, offsets exact, paragraphs aligned."""

import pytest

from index.align import align_paragraphs
from index.build import index_sources
from index.card import is_card
from index.chunk import chunk_article
from index.readers import BUNDLED, Article, Paragraph, read_source
from index.store import Store

EN, ZH = "decoding-guangdong-en", "decoding-guangdong-zh"

# The true paragraph pairs of the bundled article, read off the two versions by hand: the first eight
# paragraphs translate one to one; the English splits the last Chinese paragraph in two (the pilot-programme
# sentence and the factories); the Chinese ends with the credits, which have no English counterpart.
TRUE_PAIRS = {
    **{f"{EN}:p{i}": (f"{ZH}:p{i}",) for i in range(8)},
    f"{EN}:p8": (f"{ZH}:p8",),
    f"{EN}:p9": (f"{ZH}:p8",),
    **{f"{ZH}:p{i}": (f"{EN}:p{i}",) for i in range(8)},
    f"{ZH}:p8": (f"{EN}:p8", f"{EN}:p9"),
    f"{ZH}:p9": (),
    # The document cards (title, outlet, date, credits) translate each other.
    f"{EN}:card": (f"{ZH}:card",),
    f"{ZH}:card": (f"{EN}:card",),
}


def chunks_of(store: Store, doc_id: str):
    """The chunks of the article's text (its document card aside)."""
    return [c for c in store.chunks() if c.doc_id == doc_id and not is_card(c)]


def test_bundled_article_gives_ten_english_and_ten_chinese_chunks(bundled_store):
    assert [c.chunk_id for c in chunks_of(bundled_store, EN)] == [f"{EN}:p{i}" for i in range(10)]
    assert [c.chunk_id for c in chunks_of(bundled_store, ZH)] == [f"{ZH}:p{i}" for i in range(10)]
    assert {c.lang for c in chunks_of(bundled_store, EN)} == {"en"}
    assert {c.lang for c in chunks_of(bundled_store, ZH)} == {"zh"}
    assert {c.group for c in bundled_store.chunks()} == {"decoding-guangdong"}


def test_bundled_article_keeps_its_title_outlet_authors_date_and_credits(bundled_store):
    docs = bundled_store.manifest["documents"]
    assert docs[EN]["title"] == "Decoding Guangdong: green energy, intelligent technologies, and digital ecosystems"
    assert docs[ZH]["title"] == "解码广东“绿色×智能×数字”密码"
    for doc_id in (EN, ZH):
        meta = docs[doc_id]["metadata"]
        assert meta["outlet"] == "羊城晚报-云上岭南"
        assert meta["authors"] == ["孙绮曼", "王丹阳"]
        assert meta["date"] == "2025-03-06T23:14"
        assert meta["title_en"] == docs[EN]["title"] and meta["title_zh"] == docs[ZH]["title"]
        assert meta["translators"] == ["盛嘉"] and meta["credits"]["proofreading"] == ["王枥焓"]
    assert all(c.metadata["date"] == "2025-03-06T23:14" for c in bundled_store.chunks())
    assert all(c.metadata["outlet"] == "羊城晚报-云上岭南" for c in bundled_store.chunks())


def test_bundled_article_has_a_document_card_in_each_language(bundled_store):
    cards = {c.lang: c for c in bundled_store.chunks() if is_card(c)}
    assert cards["en"].chunk_id == f"{EN}:card" and cards["zh"].chunk_id == f"{ZH}:card"
    assert "Published by 羊城晚报-云上岭南 on 2025-03-06 23:14." in cards["en"].sentence_texts()
    assert "Translator | 盛嘉 (Sheng Jia)" in cards["en"].sentence_texts()
    assert "翻译|盛嘉" in cards["zh"].sentence_texts()
    assert "发表时间：2025-03-06 23:14。" in cards["zh"].sentence_texts()


def test_bundled_page_chrome_is_dropped(bundled_store):
    for chunk in bundled_store.chunks():
        for chrome in ("首页 > English", "粤ICP备", "新出网证", "信息网络传播视听节目许可证", "版权所有",
                       "来源:", "Source:Lingnan"):
            assert chrome not in chunk.text, chunk.chunk_id
            assert chrome not in chunk.section, chunk.chunk_id


def test_bundled_credit_lines_are_kept_as_chinese_content(bundled_store):
    [credits] = [c for c in chunks_of(bundled_store, ZH) if "翻译|盛嘉" in c.text]
    assert credits.sentence_texts() == ["文|羊城晚报记者 孙绮曼 王丹阳", "翻译|盛嘉", "英文审校|王枥焓"]
    assert not any("盛嘉" in c.text for c in chunks_of(bundled_store, EN))


def test_bundled_headings_are_sections_not_chunks(bundled_store):
    headings = {
        "Guangdong has gradually established a full AI industry chain": [f"{EN}:p{i}" for i in (2, 3, 4, 5)],
        "Guangdong strengthens its computing power": [f"{EN}:p6", f"{EN}:p7"],
        "Guangdong leads the way in green and low-carbon initiatives": [f"{EN}:p8", f"{EN}:p9"],
        "广东已逐步构建人工智能全产业链": [f"{ZH}:p{i}" for i in (2, 3, 4, 5)],
        "广东筑牢算力根基": [f"{ZH}:p6", f"{ZH}:p7"],
        "广东积极开展绿色低碳试点": [f"{ZH}:p8", f"{ZH}:p9"],
    }
    for heading, chunk_ids in headings.items():
        assert [c.chunk_id for c in bundled_store.chunks() if c.section == heading] == chunk_ids
        assert not any(c.text.strip() == heading for c in bundled_store.chunks())
    assert [c.section for c in bundled_store.chunks() if 0 <= c.paragraph < 2] == [""] * 4


def test_bundled_title_is_not_a_chunk(bundled_store):
    titles = {d["title"] for d in bundled_store.manifest["documents"].values()}
    assert not any(c.text in titles for c in bundled_store.chunks())


def test_chunk_ids_and_texts_are_the_same_after_a_separate_rebuild(bundled_store, tmp_path, embedding_cache_dir):
    index_sources(None, tmp_path / "again", cache_dir=str(embedding_cache_dir))
    rebuilt = Store.load(tmp_path / "again")
    assert [(c.chunk_id, c.text, c.counterparts) for c in rebuilt.chunks()] == \
        [(c.chunk_id, c.text, c.counterparts) for c in bundled_store.chunks()]


def test_sentence_offsets_slice_the_chunk_text(bundled_store):
    for chunk in bundled_store.chunks():
        assert chunk.sentences, chunk.chunk_id
        assert " ".join(chunk.sentence_texts()).replace(" ", "") == chunk.text.replace(" ", "").replace("\n", "")
    [racks] = [c for c in bundled_store.chunks() if c.chunk_id == f"{EN}:p5"]
    assert racks.sentence_texts()[0] == ("At the end of last year, Tencent's Greater Bay Area (Shaoguan) Intelligent "
                                         "Computing Center officially broke ground.")
    assert racks.sentence_texts()[-1].startswith("Shaoguan has built 10 all-optical 400G networks")
    assert racks.sentence_texts()[-1].endswith("low-latency services in the area.")


def test_chunk_offsets_slice_the_article_body(bundled_store):
    for article in read_source(BUNDLED):
        body = "\n\n".join(p.text for p in article.paragraphs)
        stored = chunks_of(bundled_store, article.doc_id)
        assert stored
        for chunk in stored:
            assert body[chunk.start:chunk.end] == chunk.text


LONG_PARAGRAPH = (
    "Shaoguan has allocated a startup zone for data centres. So far, 22 intelligent computing projects have "
    "settled in. Their total investment is 62.1 billion yuan. The plan is to build 546,000 standard racks. "
    "Ten all-optical 400G networks connect the city with the Greater Bay Area. Latency to Guangzhou fell to 1.3 ms "
    "and to Shenzhen to 1.66 ms. That meets the demands of most low-latency services. More projects are expected "
    "next year."
)


def test_a_long_paragraph_is_split_between_sentences_with_exact_offsets():
    article = Article("racks", "Racks", "en", "racks", (Paragraph("Shaoguan builds data centres."),
                                                       Paragraph(LONG_PARAGRAPH)))
    chunks = chunk_article(article, max_tokens=40)
    body = "\n\n".join(p.text for p in article.paragraphs)
    parts = chunks[1:]
    assert [c.chunk_id for c in chunks] == ["racks:p0"] + [f"racks:p1.{i}" for i in range(len(parts))]
    assert len(parts) >= 3
    assert " ".join(c.text for c in parts) == LONG_PARAGRAPH
    for chunk in chunks:
        assert body[chunk.start:chunk.end] == chunk.text
        assert " ".join(chunk.sentence_texts()) == chunk.text  # whole sentences only
        assert chunk.paragraph == (0 if chunk is chunks[0] else 1)


def test_a_long_chinese_paragraph_is_split_between_sentences_with_exact_offsets():
    [_, chinese] = read_source(BUNDLED)
    chunks = chunk_article(chinese, max_tokens=100)
    body = "\n\n".join(p.text for p in chinese.paragraphs)
    assert len(chunks) > len(chinese.paragraphs)
    for chunk in chunks:
        assert body[chunk.start:chunk.end] == chunk.text
        assert "".join(chunk.sentence_texts()) == chunk.text.replace("\n", "")
    split = [c for c in chunks if c.chunk_id.startswith(f"{ZH}:p5.")]
    assert [c.chunk_id for c in split] == [f"{ZH}:p5.{i}" for i in range(len(split))] and len(split) > 1
    assert "".join(c.text for c in split) == chinese.paragraphs[5].text


def test_an_over_long_sentence_is_cut_between_words_and_every_part_keeps_a_sentence():
    sentence = ("Guangdong is answering this call through integrated strategies that amplify the synergies of "
                "green energy, intelligent technologies, and digital ecosystems, from powering all National "
                "Games venues with renewable electricity, to Shaoguan's plan to build 546,000 standard racks, "
                "and Shenzhen's over 3,000 AI enterprises forming a complete supply chain from chips to "
                "real-world applications.")
    article = Article("long", "Long", "en", "long", (Paragraph(sentence),))
    parts = chunk_article(article, max_tokens=30)
    assert len(parts) > 1
    assert " ".join(c.text for c in parts) == sentence
    for chunk in parts:
        assert sentence[chunk.start:chunk.end] == chunk.text == chunk.text.strip()
        # a fragment is still something to embed and quote: its sentences (clauses) cover it
        joined = "".join(chunk.sentence_texts())
        assert joined.replace(" ", "") == chunk.text.replace(" ", "")
    for before, after in zip(parts, parts[1:], strict=False):
        assert sentence[before.end] == " " and after.start == before.end + 1  # never inside a word


# ---------------------------------------------------------------- alignment


def test_bundled_paragraphs_are_aligned_to_their_true_counterparts(bundled_store):
    assert {c.chunk_id: c.counterparts for c in bundled_store.chunks()} == TRUE_PAIRS


def test_every_english_chunk_of_the_bundled_article_has_a_chinese_counterpart(bundled_store):
    for chunk in chunks_of(bundled_store, EN):
        assert chunk.counterparts and all(cid.startswith(ZH) for cid in chunk.counterparts)


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


def test_translated_paragraphs_align_one_to_one(embedder):
    beads = align_paragraphs(PORT_EN, PORT_ZH, embedder.encode_passages(PORT_EN),
                             embedder.encode_passages(PORT_ZH))
    assert beads == [([0], [0]), ([1], [1]), ([2], [2])]


@pytest.mark.parametrize("extra", [
    "记者从宁波市气象局获悉，本周末全市将迎来强降雨，市民出行请注意安全。",
    "延伸阅读：宁波的历史可以追溯到七千年前的河姆渡文化，是中国大运河南端出海口。",
], ids=["weather-note", "further-reading"])
def test_an_extra_chinese_paragraph_is_left_without_an_english_counterpart(embedder, extra):
    chinese = [PORT_ZH[0], extra, PORT_ZH[1], PORT_ZH[2]]
    beads = align_paragraphs(PORT_EN, chinese, embedder.encode_passages(PORT_EN),
                             embedder.encode_passages(chinese))
    assert beads == [([0], [0]), ([], [1]), ([1], [2]), ([2], [3])]


def test_an_english_paragraph_split_in_two_chinese_ones_is_aligned_to_both(embedder):
    chinese = [PORT_ZH[0], "6月，该港梅山新建的自动化码头投入使用。", "码头配备12台远程操控桥吊。", PORT_ZH[2]]
    beads = align_paragraphs(PORT_EN, chinese, embedder.encode_passages(PORT_EN),
                             embedder.encode_passages(chinese))
    assert beads == [([0], [0]), ([1], [1, 2]), ([2], [3])]


def test_alignment_covers_every_paragraph_once_and_in_order(embedder):
    chinese = [PORT_ZH[0], "本报讯（记者 张伟 通讯员 王芳）", PORT_ZH[1], PORT_ZH[2], "翻译|盛嘉"]
    beads = align_paragraphs(PORT_EN, chinese, embedder.encode_passages(PORT_EN),
                             embedder.encode_passages(chinese))
    assert [i for en, _ in beads for i in en] == [0, 1, 2]
    assert [j for _, zh in beads for j in zh] == [0, 1, 2, 3, 4]
