"""Document ids come from the source: a file never silently replaces another article, re-adding a source
updates it and says so, and a JSON Lines row may not take an id another source already holds."""

import json

from index.build import index_sources
from index.store import Store

PORT = ("Ningbo port breaks its record\n\nNingbo-Zhoushan Port handled 35.3 million containers in 2023, the third "
        "most of any port in the world.")
TEA = ("Tea harvest in Hangzhou\n\nTea farmers around the West Lake began picking the spring crop, and the city "
       "expects 3,200 tonnes this year.")
RICE = "Rice planting\n\nFarmers in Guangdong planted early rice on 1.2 million hectares this spring."


def docs(index_dir) -> dict:
    return Store.load(index_dir).manifest["documents"]


def test_two_files_with_the_same_name_in_two_folders_are_two_documents(tmp_path, embedding_cache_dir):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "news.txt").write_text(PORT)
    (tmp_path / "b" / "news.txt").write_text(TEA)
    report = index_sources([tmp_path / "a", tmp_path / "b"], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    assert len(report.added) == 2 and report.added[0] == "news" and report.added[1].startswith("news-")
    titles = {d["title"] for d in docs(tmp_path / "kb").values()}
    assert titles == {"Ningbo port breaks its record", "Tea harvest in Hangzhou"}


def test_re_adding_a_changed_source_updates_its_document_and_says_so(tmp_path, embedding_cache_dir):
    source = tmp_path / "news.txt"
    source.write_text(PORT)
    first = index_sources([source], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    assert first.added == ["news"] and first.updated == []
    source.write_text(PORT.replace("35.3", "36.1"))
    again = index_sources([source], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    assert again.updated == ["news"]
    assert list(docs(tmp_path / "kb")) == ["news"]
    assert any("36.1" in c.text for c in Store.load(tmp_path / "kb").chunks())


def test_a_jsonl_row_taking_another_sources_id_is_refused_and_the_rest_indexed(tmp_path, embedding_cache_dir):
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "port", "title": "Port", "text": PORT}) + "\n")
    second = tmp_path / "second.jsonl"
    second.write_text(json.dumps({"id": "rice", "title": "Rice", "text": RICE}) + "\n"
                      + json.dumps({"id": "port", "title": "Tea", "text": TEA}) + "\n")
    index_sources([first], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    report = index_sources([second], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    [refused] = report.refused
    assert refused.path == str(second) and "line 2: id 'port' is already used by" in refused.reason
    assert report.added == ["rice"]
    assert docs(tmp_path / "kb")["port"]["title"] == "Port"
