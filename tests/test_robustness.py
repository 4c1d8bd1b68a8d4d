"""Robustness (issue 12): one bad file never costs the good ones, long text never hangs, a rebuild never breaks
a reader, bad values are refused naming the field, nothing printed can drive the terminal, the embedding cache
is checked before it is trusted. The soak test (20 clients against `rag ui` while another process rebuilds the
index) is in tests/test_soak.py."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index.build import index_sources
from index.chunk import chunk_article
from index.embed import EmbeddingCache
from index.readers import BUNDLED, decode, read_source
from index.store import Store
from index.text import split_sentences, tokenize
from rag import Assistant, ConfigError, QuestionError, RagError, Settings, SourceError
from rag.checks import MAX_QUESTION_CHARS
from rag.followup import MAX_HISTORY_TURNS, check_history
from rag.retrieve import Filters
from rag.terminal import safe, safe_line

RACKS = "How many standard racks does Shaoguan plan to build?"
PORT = ("Ningbo-Zhoushan Port handled 35.3 million containers in 2023, the third most of any port in the world.\n\n"
        "The port opened a new automated terminal at Meishan in June, with 12 remote-controlled cranes.\n\n"
        "Rail-sea freight grew by 20% as trains carried 1.45 million containers inland.\n")
TEA = ("Longjing tea growers around West Lake began the spring harvest this week.\n\n"
       "Hangzhou expects to produce 3,200 tonnes of tea this year, up from last year.\n")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def documents(index_dir: Path) -> set[str]:
    return set(Store.load(index_dir).manifest["documents"])


def refused_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("refused:")]


@contextlib.contextmanager
def unprivileged():
    """File permissions as an ordinary user sees them. Root reads anything whatever the mode bits, so as root the
    block runs with the effective user `nobody` (and back to root after)."""
    if os.geteuid() != 0:
        yield
        return
    # `nobody` cannot read root's Python install: load now what the code under test imports lazily (zipfile's
    # cp437 codec for py3langid's model, the model itself), or the first test to need them fails on that.
    import encodings.cp437  # noqa: F401

    from index.langid import identify

    identify("warm up the language identifier")
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def open_dir():
    """A folder every user may enter and write (pytest's tmp_path is private to root when run as root)."""
    path = Path(tempfile.mkdtemp(prefix="rag-robust-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- one bad source never costs the good ones


def test_jsonl_nested_100000_deep_is_refused_and_the_good_file_is_indexed(rag, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.jsonl").write_text('{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (folder / "port.txt").write_text(PORT)
    code, _, err = rag("index", folder, "--index", tmp_path / "kb")
    assert code == 1
    [line] = refused_lines(err)
    assert "deep.jsonl" in line and "nested too deeply" in line
    assert documents(tmp_path / "kb") == {"port"}


@pytest.mark.parametrize("data, reason", [
    (b"\xff\xfe" + "Ningbo port news".encode("utf-16-le") + b"\x00", "odd byte count"),
    (b"\xff\xfe" + "Ningbo \ud800 port".encode("utf-16-le", errors="surrogatepass"), "surrogate"),
], ids=["odd-byte-count", "lone-surrogate"])
def test_broken_utf16_is_refused_with_the_reason_and_the_good_file_is_indexed(rag, tmp_path, data, reason):
    (tmp_path / "broken.txt").write_bytes(data)
    (tmp_path / "port.txt").write_text(PORT)
    code, _, err = rag("index", tmp_path / "broken.txt", tmp_path / "port.txt", "--index", tmp_path / "kb")
    [line] = refused_lines(err)
    assert code == 1 and "broken.txt" in line and "not valid UTF-16" in line and reason in line
    assert "Traceback" not in err
    assert documents(tmp_path / "kb") == {"port"}


def test_unreadable_file_is_refused_and_the_good_file_is_indexed(open_dir, embedding_cache_dir):
    (open_dir / "secret.txt").write_text(TEA)
    (open_dir / "secret.txt").chmod(0o000)
    (open_dir / "port.txt").write_text(PORT)
    (open_dir / "port.txt").chmod(0o644)
    with unprivileged():
        report = index_sources([open_dir / "secret.txt", open_dir / "port.txt"], open_dir / "kb", cache_dir=None)
    [error] = report.refused
    assert error.path.endswith("secret.txt") and "permission denied" in error.reason
    assert report.added == ["port"]


def test_a_fifo_named_txt_is_refused_without_being_opened(rag, tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    (tmp_path / "port.txt").write_text(PORT)
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        out=rag("index", tmp_path, "--index", tmp_path / "kb")), daemon=True)
    worker.start()
    worker.join(timeout=120)
    if worker.is_alive():  # it opened the FIFO and blocks: unblock it, then fail
        with open(fifo, "w"):
            pass
        worker.join(timeout=30)
        pytest.fail("rag index opened the FIFO and blocked on it")
    code, _, err = result["out"]
    [line] = refused_lines(err)
    assert code == 1 and "pipe.txt" in line and "FIFO" in line and "without reading" in line
    assert documents(tmp_path / "kb") == {"port"}


def test_a_symlink_loop_is_reported_as_a_loop(rag, tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "port.txt").write_text(PORT)
    code, _, err = rag("index", tmp_path, "--index", tmp_path / "kb")
    lines = refused_lines(err)
    assert code == 1 and len(lines) == 2
    assert all("symbolic link loop" in line for line in lines) and "no such file" not in err
    assert documents(tmp_path / "kb") == {"port"}


def test_a_folder_with_no_supported_files_says_so_and_fails(rag, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0 not text")
    code, out, err = rag("index", folder, "--index", tmp_path / "kb")
    [line] = refused_lines(err)
    assert code == 1 and "photos" in line and "no supported files" in line and ".txt" in line


def test_a_read_only_index_folder_is_one_clear_line_and_the_index_is_intact(rag, bundled_index, open_dir):
    kb = Path(shutil.copytree(bundled_index, open_dir / "kb"))
    before = documents(kb)
    (open_dir / "port.txt").write_text(PORT)
    for p in [kb, *kb.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    with unprivileged():
        code, out, err = rag("index", open_dir / "port.txt", "--index", kb)
    assert code == 1
    assert err.strip().count("\n") == 0 and err.startswith("rag: error: cannot write the index in")
    assert "Permission denied" in err and "previous index is unchanged" in err
    assert documents(kb) == before


def test_a_read_only_cache_folder_warns_once_and_the_build_goes_on(rag, tmp_path, open_dir, monkeypatch, caplog):
    cache = open_dir / "cache"
    cache.mkdir(mode=0o555)
    cache.chmod(0o555)
    (open_dir / "port.txt").write_text(PORT)
    (open_dir / "tea.txt").write_text(TEA)
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache))
    with unprivileged(), caplog.at_level(logging.WARNING):
        code, out, err = rag("index", open_dir / "port.txt", open_dir / "tea.txt", "--index", open_dir / "kb")
    assert code == 0, err
    assert "indexed 2 document(s)" in out
    warnings = [r.getMessage() for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len([w for w in warnings if "embedding cache" in w]) == 1
    assert documents(open_dir / "kb") == {"port", "tea"}


def _mount_tmpfs(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "none", str(path)],
                          capture_output=True).returncode == 0


def test_a_full_disk_is_one_clear_line_and_the_old_index_answers(rag, bundled_index, tmp_path, monkeypatch):
    disk = tmp_path / "disk"
    mounted = _mount_tmpfs(disk, 2048)  # a real, small file system, where this machine allows it
    try:
        kb = Path(shutil.copytree(bundled_index, disk / "kb"))
        before = documents(kb)
        (tmp_path / "port.txt").write_text(PORT * 20)
        if mounted:
            with open(disk / "filler", "wb") as f, contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        else:  # no mount rights: the same error where the build writes its first file
            def full(*args, **kwargs):
                raise OSError(28, "No space left on device")
            monkeypatch.setattr(np, "save", full)
        code, out, err = rag("index", tmp_path / "port.txt", "--index", kb)
        monkeypatch.undo()
        assert code == 1 and err.strip().count("\n") == 0
        assert "No space left on device" in err and "previous index is unchanged" in err
        assert documents(kb) == before
        assert not [p for p in kb.iterdir() if p.name.startswith(".tmp")]
        answer = Assistant.load(kb).ask(RACKS)
        assert "546,000" in answer.text
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=False)


# ---------------------------------------------------------------- reading is linear in the input


def _bundled_prose(lang: str) -> str:
    """The bundled article's body paragraphs of one language, as the reader reads them, joined into one line
    (Chinese without spaces)."""
    paragraphs = [p.text for a in read_source(BUNDLED) if a.lang == lang for p in a.paragraphs if len(p.text) > 40]
    return "".join(p.replace(" ", "") for p in paragraphs) if lang == "zh" else " ".join(paragraphs)


def _one_line(lang: str, n_bytes: int) -> str:
    prose = _bundled_prose(lang)
    text = prose * (n_bytes // len(prose.encode()) + 1)
    return text.encode()[:n_bytes].decode(errors="ignore")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_1_mb_single_line_file_is_indexed_in_seconds(tmp_path, embedding_cache_dir, lang):
    source = tmp_path / f"long-{lang}.txt"
    source.write_text(_one_line(lang, 2**20))
    assert "\n" not in source.read_text() and source.stat().st_size > 0.99 * 2**20
    started = time.perf_counter()
    report = index_sources([source], tmp_path / "kb", cache_dir=str(embedding_cache_dir))
    seconds = time.perf_counter() - started
    print(f"1 MB single-line {lang} file: indexed in {seconds:.1f} s, {report.chunks_added} chunks, "
          f"{report.embedded} texts embedded (the rest repeat sentences already cached)")
    assert report.added == [f"long-{lang}"] and report.chunks_added > 500
    assert seconds < 60  # a hang guard: measured 4-10 s on 2 busy cores; main never finished (killed at 300 s)


def _read_and_chunk_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for article in read_source(path):
            chunk_article(article)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reading_time_grows_linearly_with_a_long_line(tmp_path, lang):
    times = {}
    for n in (50_000, 100_000, 200_000):
        path = tmp_path / f"{lang}{n}.txt"
        path.write_text(_one_line(lang, n))
        times[n] = _read_and_chunk_seconds(path)
    print(f"read + chunk, {lang}: " + ", ".join(f"{n // 1000}k {t:.3f} s" for n, t in times.items()))
    assert times[200_000] < 8 * times[50_000] + 0.05  # linear: 4x; quadratic: 16x


@pytest.mark.parametrize("line", [
    "中国" * (2**20 // 6),  # Chinese: no spaces, no punctuation
    "word " * (2**20 // 5),  # English: spaces, no '>'
    "Home > News " + "word " * (2**20 // 5),  # one breadcrumb step, then no second one
    "a > " * (2**20 // 4),  # nothing but breadcrumb steps
    "© 2024 " + "版权所有 " * (2**20 // 13),  # copyright words all along
    "来源：新华社 作者：" + "记者" * (2**20 // 6),  # a meta line that never ends
    "#" * 2**20,
], ids=["cjk", "words", "one-step", "many-steps", "copyright", "meta", "hashes"])
def test_page_reading_is_linear_on_a_1_mb_line_of_any_shape(tmp_path, line):
    """Whatever patterns the page reader uses (chrome, breadcrumbs, bylines), a 1 MB line is read in seconds."""
    source = tmp_path / "line.txt"
    source.write_text(line)
    started = time.perf_counter()
    with contextlib.suppress(SourceError):  # a line of only chrome may well be refused: that is not the point
        read_source(source)
    assert time.perf_counter() - started < 20  # measured: under 1 s each; the old breadcrumb pattern, hours


def test_split_sentences_of_a_1_mb_line_takes_under_a_few_seconds():
    line = ("Dr. Smith measured 1.3 ms. The port handled 4.2 million boxes. J. Lee agreed! " * 14_000)[:2**20]
    started = time.perf_counter()
    spans = split_sentences(line)
    seconds = time.perf_counter() - started
    assert seconds < 5, seconds
    assert [line[a:b] for a, b in spans[:3]] == ["Dr. Smith measured 1.3 ms.", "The port handled 4.2 million boxes.",
                                                "J. Lee agreed!"]


# ---------------------------------------------------------------- history is capped like a question


def test_history_keeps_only_the_last_turns_each_capped_like_a_question():
    history = [(f"question {i} " + "x" * 5000, "answer " + "y" * 5000) for i in range(20)]
    turns = check_history(history)
    assert len(turns) == MAX_HISTORY_TURNS
    assert turns[-1][0].startswith("question 19") and turns[0][0].startswith(f"question {20 - MAX_HISTORY_TURNS}")
    assert all(len(q) <= MAX_QUESTION_CHARS and len(a) <= MAX_QUESTION_CHARS for q, a in turns)


def test_a_600_kb_history_entry_makes_no_slow_question(bundled_index):
    kb = Assistant.load(bundled_index)
    started = time.perf_counter()
    answer = kb.ask("When did it open?", history=[("Tell me about Shaoguan " + "数据中心" * 150_000, "")])
    assert time.perf_counter() - started < 20  # main: 410 s
    assert answer.resolved_question is None or len(answer.resolved_question) < 2 * MAX_QUESTION_CHARS + 100


def test_a_lone_surrogate_in_the_history_is_refused_naming_the_turn():
    with pytest.raises(QuestionError, match=r"history\[0\] question"):
        check_history([("caf\udce9", "")])


# ---------------------------------------------------------------- a rebuild never breaks a reader


def _rag_index_in_another_process(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "rag.cli", "index", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_reader_keeps_answering_while_another_process_rebuilds_and_then_sees_the_new_documents(
        bundled_copy, tmp_path):
    kb = Assistant.load(bundled_copy)
    assert "546,000" in kb.ask(RACKS).text
    old = Store.load(bundled_copy)  # a store opened before the rebuild, as a reader holds it
    (tmp_path / "port.txt").write_text(PORT)
    done = _rag_index_in_another_process(tmp_path / "port.txt", "--index", bundled_copy)
    assert done.returncode == 0, done.stderr
    assert not (bundled_copy / old.version).exists()  # the old version is deleted ...
    assert len(old.chunks()) == len(old) and old.chunk(len(old) - 1).text  # ... and still reads
    answer = kb.ask(RACKS)
    assert "546,000" in answer.text
    ningbo = kb.ask("How many containers did Ningbo-Zhoushan Port handle in 2023?")
    assert "35.3 million" in ningbo.text and ningbo.citations[0].doc_id == "port"
    assert "port" in kb.info()["documents"]


def test_a_question_in_flight_during_a_reopen_finishes_on_the_version_it_started_with(bundled_copy, tmp_path,
                                                                                      monkeypatch):
    from rag.retrieve import HybridSearcher

    kb = Assistant.load(bundled_copy)
    (tmp_path / "port.txt").write_text(PORT)
    asker, started_on, reopened, other = threading.current_thread(), [], [], []
    search, read_chunk = HybridSearcher.search_vector, Store.chunk

    def search_while_the_index_changes(searcher, *args, **kwargs):
        if not started_on:  # the first question, half-way: a new version appears and another question reopens it
            started_on.append(searcher.store)
            index_sources([tmp_path / "port.txt"], bundled_copy)
            worker = threading.Thread(target=lambda: other.append(kb.ask(
                "How many containers did Ningbo-Zhoushan Port handle in 2023?")))
            worker.start()
            worker.join()
            reopened.append(True)
        return search(searcher, *args, **kwargs)

    read_by_the_first: list[Store] = []

    def chunk(store, row):
        if threading.current_thread() is asker and reopened:  # the rest of the first question
            read_by_the_first.append(store)
        return read_chunk(store, row)

    monkeypatch.setattr(HybridSearcher, "search_vector", search_while_the_index_changes)
    monkeypatch.setattr(Store, "chunk", chunk)
    answer = kb.ask(RACKS)
    assert "546,000" in answer.text
    assert read_by_the_first and all(store is started_on[0] for store in read_by_the_first)
    assert "35.3 million" in other[0].text  # the other question already ran on the new version
    assert kb.store is not started_on[0] and "port" in kb.store.manifest["documents"]


# ---------------------------------------------------------------- nothing printed drives the terminal


def test_safe_strips_escape_sequences_and_controls_but_keeps_newlines():
    evil = ("Hello \x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 "
            "\x1b]0;title\x1b\\ bell\x07 back\x08space \x9b31m c1 \u202eevil\r\nnext\tline")
    assert safe(evil) == "Hello red link  bell backspace 31m c1 evil\nnext\tline"
    assert safe_line("name.txt\n\x1b[2Jrefused: forged.txt") == "name.txt refused: forged.txt"


def test_rag_ask_prints_no_control_characters_from_a_document(rag, tmp_path):
    row = {"id": "evil", "title": "Evil \x1b]8;;http://x.example\x07title\x1b]8;;\x07",
           "text": "Shaoguan \x1b[2J\x1b[31mplans to build 546,000 standard racks\x1b[0m in its data centre "
                   "cluster.\x07 The \x9b31m racks serve Guangzhou and Shenzhen."}
    (tmp_path / "evil.jsonl").write_text(json.dumps(row) + "\n")
    assert rag("index", tmp_path / "evil.jsonl", "--index", tmp_path / "kb")[0] == 0
    for extra in ((), ("--json",)):
        code, out, err = rag("ask", RACKS, "--index", tmp_path / "kb", *extra)
        assert code == 0 and "546,000" in out
        assert not CONTROL.search(out.replace("\n", "").replace("\t", "")), repr(out)


def test_a_file_name_with_a_newline_and_escapes_cannot_forge_a_refused_line(rag, tmp_path):
    (tmp_path / "a\n\x1b[2Jrefused: forged.txt").write_text("")
    code, _, err = rag("index", tmp_path, "--index", tmp_path / "kb")
    assert code == 1
    assert len(refused_lines(err)) == 1 and "\x1b" not in err and "file is empty" in err


def test_rag_ask_with_invalid_utf8_on_the_command_line_is_one_error_line(rag, bundled_index):
    question = os.fsdecode(b"How many racks \xff\xfe?")  # what Python makes of such bytes in argv
    code, out, err = rag("ask", question, "--index", bundled_index)
    assert code == 1 and err.startswith("rag: error: the question is not valid text") and "\n" not in err.strip()


def test_rag_chat_survives_invalid_utf8_and_answers_the_next_question(rag, bundled_index, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe racks?\n" + RACKS.encode() + b"\n\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, err = rag("chat", "--index", bundled_index)
    assert code == 0
    assert "error: the question is not valid text" in out and "546,000" in out


# ---------------------------------------------------------------- values are checked, naming the field


@pytest.mark.parametrize("field, value, message", [
    ("title", {"en": "x"}, "field 'title' must be a string, not dict"),
    ("date", 20240531, "field 'date' must be a string, not int"),
    ("date", "yesterday", "field 'date' must be an ISO date"),
    ("date", "2024-02-30", "field 'date' must be an ISO date"),
    ("url", ["http://a"], "field 'url' must be a string, not list"),
    ("authors", [1, 2], "field 'authors' must be a string or a list of strings"),
    ("group", 7, "field 'group' must be a string, not int"),
])
def test_jsonl_fields_of_the_wrong_type_are_refused_naming_line_and_field(tmp_path, field, value, message):
    good = {"id": "a", "text": "Ningbo port handled 35.3 million containers.", "date": "2024-05-31"}
    (tmp_path / "x.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "b", field: value}) + "\n")
    with pytest.raises(SourceError, match=f"line 2: {re.escape(message)}"):
        read_source(tmp_path / "x.jsonl")


def test_jsonl_iso_dates_and_author_lists_are_accepted(tmp_path):
    rows = [{"id": f"d{i}", "text": f"Ningbo port item {i} handled containers.", "date": d, "authors": ["Li", "Wu"]}
            for i, d in enumerate(["2024", "2024-05", "2024-05-31", "2024-05-31T08:00:00+08:00"])]
    (tmp_path / "x.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    assert [a.metadata["date"] for a in read_source(tmp_path / "x.jsonl")] == [r["date"] for r in rows]


@pytest.mark.parametrize("kwargs, message", [
    ({"k": "5"}, "k must be a whole number"),
    ({"k": 2.5}, "k must be a whole number"),
    ({"k": True}, "k must be a whole number"),
    ({"k": 0}, "k must be from 1 to"),
    ({"k": 10**6}, "k must be from 1 to"),
    ({"lang": "xx"}, "lang must be 'auto', 'en' or 'zh'"),
    ({"filters": {"lang": "zh"}}, "filters must be a Filters"),
    ({"history": "hello"}, "history must be a list"),
], ids=lambda v: repr(v)[:30])
def test_ask_refuses_bad_arguments_naming_them(bundled_index, kwargs, message):
    with pytest.raises(QuestionError, match=re.escape(message)):
        Assistant.load(bundled_index).ask(RACKS, **kwargs)


@pytest.mark.parametrize("question, message", [
    ("caf\udce9 racks?", "not valid text"), (42, "must be a string"), ("   ", "empty"),
    ("x" * (MAX_QUESTION_CHARS + 1), "the limit is"),
], ids=["lone-surrogate", "not-a-string", "empty", "too-long"])
def test_ask_refuses_a_question_that_is_not_usable_text(bundled_index, question, message):
    with pytest.raises(QuestionError, match=message):
        Assistant.load(bundled_index).ask(question)


@pytest.mark.parametrize("kwargs, field", [
    ({"lang": "xx"}, "Filters.lang"), ({"date_from": 20240101}, "Filters.date_from"),
    ({"date_to": "2024-13-01"}, "Filters.date_to"), ({"date_from": "May 2024"}, "Filters.date_from"),
    ({"doc_ids": "abc"}, "Filters.doc_ids"), ({"doc_ids": [1, 2]}, "Filters.doc_ids"),
])
def test_filters_refuse_bad_values_naming_the_field(kwargs, field):
    with pytest.raises(QuestionError, match=re.escape(field)):
        Filters(**kwargs)


def test_good_filters_still_filter(bundled_index):
    answer = Assistant.load(bundled_index).ask(RACKS, filters=Filters(lang="zh", date_from="2000", date_to="2100-12"))
    assert all(c.lang == "zh" for c in answer.contexts)


@pytest.mark.parametrize("variable, value", [
    ("RAG_MAX_FILE_MB", "nan"), ("RAG_MAX_FILE_MB", "-1"), ("RAG_MAX_FILE_MB", "0"),
    ("RAG_ABSTAIN_THRESHOLD", "nan"), ("RAG_ABSTAIN_THRESHOLD", "inf"), ("RAG_CHUNK_TOKENS", "0"),
    ("RAG_CHUNK_TOKENS", "-5"), ("RAG_TOP_K", "0"), ("RAG_TOP_K", "2.5"), ("RAG_BM25_WEIGHT", "1.5"),
    ("RAG_BM25_WEIGHT", "nan"), ("RAG_THREADS", "-1"), ("RAG_LLM_TIMEOUT", "nan"), ("RAG_LLM_TIMEOUT", "0"),
    ("RAG_ANN_THRESHOLD", "0"),
])
def test_a_setting_out_of_range_is_refused_naming_it(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_every_numeric_setting_has_a_range():
    import dataclasses

    from rag.settings import RANGES

    numeric = {f.name for f in dataclasses.fields(Settings) if type(f.default) in (int, float)}
    assert numeric and numeric <= set(RANGES), numeric - set(RANGES)


def test_a_bad_setting_on_the_command_line_is_one_line(rag, tmp_path, monkeypatch):
    (tmp_path / "port.txt").write_text(PORT)
    monkeypatch.setenv("RAG_MAX_FILE_MB", "nan")
    code, out, err = rag("index", tmp_path / "port.txt", "--index", tmp_path / "kb")
    assert code == 1 and err == "rag: error: RAG_MAX_FILE_MB=nan is not a finite number\n"


# ---------------------------------------------------------------- decoding never guesses


def test_utf8_with_one_stray_cp1252_byte_is_refused_not_read_as_gb18030():
    head = "Café au lait at the port café. ".encode() * 20 + b"A short d"
    data = head + b"\xe9tour.\n"  # "détour" in cp1252
    assert "Caf茅" in data.decode("gb18030")  # what guessing GB18030 made of it
    with pytest.raises(SourceError, match=rf"is UTF-8 with 1 invalid byte\(s\) \(first at byte {len(head)}: e9\)"):
        decode(data, "menu.txt")


def test_a_cp1252_file_is_refused_not_read_as_gbk():
    with pytest.raises(SourceError, match="re-save it as UTF-8"):
        decode("Le café était très réussi, déjà vu.".encode("cp1252"), "menu.txt")


def test_gbk_chinese_still_reads():
    text = "韶关数据中心集群计划建设五十四点六万架标准机架，服务广州和深圳。"
    assert decode(text.encode("gbk"), "gbk.txt") == text


@pytest.mark.parametrize("data", [
    b"Ningbo port news. " * 1000 + b"\x00 hidden",  # after the first 8 KB
    b"\xef\xbb\xbf" + b"Ningbo port news. " * 1000 + b"\x00",
    b"\xff\xfe" + ("Ningbo port news. " * 1000 + "\x00").encode("utf-16-le"),
], ids=["utf8", "utf8-bom", "utf16"])
def test_nul_anywhere_refuses_the_file(data):
    with pytest.raises(SourceError, match="NUL"):
        decode(data, "x.txt")


def test_utf8_with_bom_and_a_bad_byte_is_refused_not_replaced():
    with pytest.raises(SourceError, match="is not valid UTF-8"):
        decode(b"\xef\xbb\xbfCaf\xe9 au lait", "x.txt")


def test_control_characters_are_removed_from_what_is_stored():
    tail = " The port handled 35.3 million containers." * 10
    text = decode(b"Port \x1b[2Jnews\x07 here.\x0cNext page." + tail.encode(), "x.txt")
    assert text == "Port [2Jnews here.\nNext page." + tail


# ---------------------------------------------------------------- the embedding cache is checked


def _build_with_cache(sources: list[Path], index_dir: Path, cache: Path):
    return index_sources(sources, index_dir, cache_dir=str(cache))


def _shards(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*.keys.json") if "tokens" not in p.parts)  # not the token cache


@pytest.fixture
def cached_port(tmp_path):
    """A cache filled by one build of port.txt, and the answer that build gives."""
    (tmp_path / "port.txt").write_text(PORT)
    cache = tmp_path / "cache"
    _build_with_cache([tmp_path / "port.txt"], tmp_path / "kb0", cache)
    question = "How many containers did Ningbo-Zhoushan Port handle in 2023?"
    return tmp_path / "port.txt", cache, np.asarray(Store.load(tmp_path / "kb0").vectors).copy(), question


@pytest.mark.parametrize("damage", ["nan", "random"])
def test_a_damaged_shard_is_ignored_and_its_texts_embedded_again(cached_port, tmp_path, caplog, damage):
    source, cache, clean_vectors, _ = cached_port
    for keys_file in _shards(cache):
        npy = keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))
        vecs = np.load(npy)
        bad = np.full_like(vecs, np.nan) if damage == "nan" else \
            np.random.default_rng(0).standard_normal(vecs.shape).astype("float32")
        np.save(npy, bad / (1 if damage == "nan" else np.linalg.norm(bad, axis=1, keepdims=True)))
    with caplog.at_level(logging.WARNING):
        report = _build_with_cache([source], tmp_path / "kb1", cache)
    assert report.embedded > 0
    assert any("ignoring embedding cache shard" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(np.asarray(Store.load(tmp_path / "kb1").vectors), clean_vectors, atol=1e-5)
    assert _build_with_cache([source], tmp_path / "kb2", cache).embedded == 0  # the re-embedded shard is good


@pytest.mark.parametrize("content", ['{"keys": 5}', "[1, 2, 3]", '"just a string"', "null", '{"format": 2}',
                                     '{"format": 2, "dim": 384, "sha256": "x", "keys": [1]}', "one list per row"])
def test_a_keys_file_of_the_wrong_shape_is_ignored(cached_port, tmp_path, content):
    source, cache, clean_vectors, _ = cached_port
    for keys_file in _shards(cache):
        if content == "one list per row":  # as many "keys" as the shard has vectors, each an (unhashable) list
            rows = len(np.load(keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))))
            content = json.dumps([[i] for i in range(rows)])
        keys_file.write_text(content)
    report = _build_with_cache([source], tmp_path / "kb1", cache)
    assert report.added == ["port"] and report.embedded > 0
    np.testing.assert_allclose(np.asarray(Store.load(tmp_path / "kb1").vectors), clean_vectors, atol=1e-5)


def test_cache_keys_files_record_a_checksum_of_their_vectors(cached_port):
    import hashlib

    _, cache, _, _ = cached_port
    for keys_file in _shards(cache):
        entry = json.loads(keys_file.read_text())
        npy = keys_file.with_name(keys_file.name.replace(".keys.json", ".npy"))
        assert entry["sha256"] == hashlib.sha256(npy.read_bytes()).hexdigest()


def test_non_finite_vectors_are_never_cached(tmp_path):
    cache = EmbeddingCache(tmp_path, "m", 2)
    cache.put(["ok", "bad"], np.array([[0.6, 0.8], [np.nan, 1.0]], dtype="float32"))
    again = EmbeddingCache(tmp_path, "m", 2).get(["ok", "bad"])
    assert again[1] is None and np.allclose(again[0], [0.6, 0.8])


# ---------------------------------------------------------------- RagError at the edges


def test_every_refusal_above_is_a_rag_error():
    assert all(issubclass(e, RagError) for e in (SourceError, QuestionError, ConfigError))


@pytest.mark.parametrize("content", ['{"a": 1}', "[[1]]", "[1, 2]", "7"])
def test_a_token_cache_keys_file_of_the_wrong_shape_is_ignored(tmp_path, content):
    (tmp_path / "port.txt").write_text(PORT)
    cache = tmp_path / "cache"
    _build_with_cache([tmp_path / "port.txt"], tmp_path / "kb0", cache)
    for keys_file in (cache / "tokens").glob("*.keys.json"):
        keys_file.write_text(content)
    report = _build_with_cache([tmp_path / "port.txt"], tmp_path / "kb1", cache)
    assert report.added == ["port"]
    assert Store.load(tmp_path / "kb1").bm25_search(tokenize("containers"), "en", 3)


# ---------------------------------------------------------------- concurrent questions


def test_english_stemming_is_right_when_many_threads_stem_at_once():
    """Found by the soak test: one snowball stemmer shared by the threads of `rag ui` raised IndexError (and can
    return wrong stems) when two questions stemmed new words at the same moment."""
    import snowballstemmer

    from index.text import _stem

    words = [f"{stem}{i}{suffix}" for i in range(1500) for stem, suffix in
             (("connect", "ional"), ("generalizat", "ions"), ("rel", "ational"), ("hope", "fulness"))]
    expected = snowballstemmer.stemmer("english").stemWords(words)
    got: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def stem_share(n: int) -> None:
        try:
            got[n] = [_stem(w) for w in words[n::8]]
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=stem_share, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(got[n] == expected[n::8] for n in range(8))
