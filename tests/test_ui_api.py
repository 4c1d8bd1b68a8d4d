"""The page's API through gradio_client, its guards (edits, login, uploads), `rag feedback`, and the rendering
rules that need no browser."""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import time
from pathlib import Path

import httpx
import pytest
from ui_support import serve

from rag import Answer, Assistant, Citation, ConfigError
from ui import conversation as conv
from ui import feedback
from ui.app import parse_auth
from ui.library import figure_in
from ui.render import answer_segments, citation_markers, clip, full_markdown, md_escape, plain_text

RACKS = "How many standard racks does Shaoguan plan to build?"


def client_for(url: str, **kw):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, **kw)


# ------------------------------------------------------------------ the API


def test_gradio_client_gets_answers_with_citations(ui_url: str):
    client = client_for(ui_url)
    try:
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert {"/chat", "/ask", "/upload", "/remove"} <= set(endpoints)
        answer = client.predict(RACKS, [], "auto", 5, api_name="/ask")
        assert "546,000" in answer["text"] and answer["citations"][0]["quote"]
        assert all("path" not in c["metadata"] for c in answer["contexts"])  # no server paths leak
        _, history, sources, _ = client.predict("韶关到深圳的单向时延是多少？", [], "auto", 5, False,
                                                conv.empty(), api_name="/chat")
        final = history[-1]["content"]
        final = final if isinstance(final, str) else "".join(p.get("text", "") for p in final)
        assert "1.66ms" in plain_text(final) and "#src-1-1" in final
        assert "1.66 ms" in sources  # the English counterpart, side by side
        follow = client.predict("When did it go public?", [["Tell me about Intellifusion.", "Intellifusion …"]],
                                "auto", 5, api_name="/ask")
        assert "2023" in follow["text"]
    finally:
        client.close()


@pytest.mark.parametrize(("history", "k", "field"), [
    ([], "5x", "k:"), ([], 0, "k:"), ([], 2.5, "k:"), ([], True, "k:"),
    ("not a list", 5, "history:"), ([["only a question"]], 5, "history:"), ([[1, 2]], 5, "history:"),
])
def test_ask_endpoint_names_the_bad_field(ui_url: str, history, k, field):
    client = client_for(ui_url)
    try:
        with pytest.raises(Exception) as caught:
            client.predict(RACKS, history, "auto", k, api_name="/ask")
    finally:
        client.close()
    message = str(caught.value)
    assert field in message and "upstream" not in message.lower(), message


def test_edits_are_refused_without_a_login_or_allow_edits(ui_index: Path, tmp_path: Path):
    from gradio_client import handle_file

    demo, url = serve(Assistant.load(ui_index), allow_edits=False)
    article = tmp_path / "hijack.jsonl"
    article.write_text(json.dumps({"id": "decoding-guangdong-en", "title": "Hijack", "lang": "en",
                                   "text": "Shaoguan plans 1 rack."}) + "\n", encoding="utf-8")
    client = client_for(url)
    try:
        status = client.predict([handle_file(article)], "en", api_name="/upload")[0]
        assert "Adding and removing articles is off" in status
        removed = client.predict("decoding-guangdong-en", "en", api_name="/remove")[0]
        assert "Adding and removing articles is off" in removed
    finally:
        client.close()
        demo.close()
    docs = Assistant.load(ui_index).info()["documents"]
    assert docs["decoding-guangdong-en"]["title"].startswith("Decoding Guangdong")


def test_upload_limits_are_explained(ui_url: str, tmp_path: Path):
    from gradio_client import handle_file

    wrong_type = tmp_path / "photo.png"
    wrong_type.write_bytes(b"\x89PNG not an article")
    too_big = tmp_path / "huge.txt"
    too_big.write_text("A sentence about nothing in particular.\n" * 70_000, encoding="utf-8")  # ~2.7 MB
    client = client_for(ui_url)
    try:
        status = client.predict([handle_file(wrong_type), handle_file(too_big)], "en", api_name="/upload")[0]
    finally:
        client.close()
    assert "Refused photo.png: not a file type the index reads (use .txt" in status
    assert "Refused huge.txt: 2.7 MB is over the 2 MB limit" in status


def test_uploads_sit_in_a_folder_only_this_user_can_enter(ui_url: str):
    folder = Path(os.environ["GRADIO_TEMP_DIR"])
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not str(folder).startswith("/tmp/gradio")


# ------------------------------------------------------------------ the login


def test_login_is_required_and_rate_limited(ui_index: Path):
    demo, url = serve(Assistant.load(ui_index), auth=parse_auth("reader:s3cret"))
    try:
        with pytest.raises(Exception, match="(?i)auth|login|credentials"):
            client_for(url)
        client = client_for(url, auth=("reader", "s3cret"))
        assert not client.predict("Tell me about Intellifusion.", api_name="/ask")["abstained"]
        client.close()
        started = time.monotonic()
        codes = [httpx.post(f"{url}login", data={"username": "reader", "password": f"guess{i}"}).status_code
                 for i in range(100)]
        elapsed = time.monotonic() - started
        assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}, codes[:8]  # 5 guesses, then locked out
        right = httpx.post(f"{url}login", data={"username": "reader", "password": "s3cret"})
        assert right.status_code == 429 and "try again" in right.json()["detail"]
        print(f"100 wrong passwords: {codes.count(400)} checked, {codes.count(429)} refused in {elapsed:.2f} s")
    finally:
        demo.close()


def test_bad_auth_value_is_refused_with_the_fix():
    assert parse_auth("") is None and parse_auth("a:b:c") == ("a", "b:c")
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth("nopassword")


# ------------------------------------------------------------------ feedback


def test_feedback_lines_are_printed_by_rag_feedback(tmp_path: Path, capsys):
    turn = conv.failed_turn(1, "Who won?", "boom")
    feedback.record(tmp_path, turn, "down", "wrong language")
    feedback.record(tmp_path, turn, "up")
    parser = argparse.ArgumentParser()
    feedback.register(parser.add_subparsers())
    args = parser.parse_args(["feedback", "--index", str(tmp_path)])
    assert args.func(args) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["rating"], x["comment"], x["question"]) for x in lines] == [
        ("down", "wrong language", "Who won?"), ("up", "", "Who won?")]


# ------------------------------------------------------------------ rendering, without a browser


def test_document_text_round_trips_through_chat_markdown():
    text = "R&D <script>x</script> *not bold* [link](javascript:y) it's $5 \\ `code` #1 https://a.b www.c.d e@f.g"
    markdown = md_escape(text)
    assert "<" not in markdown and "](javascript" not in markdown and "https://" not in markdown
    assert plain_text(markdown) == text


def _answer(text: str, quote: str, short: str | None = None) -> Answer:
    citation = Citation(1, "d:p1", "d", "g", "T", "en", quote, quote)
    return Answer("q?", text, False, "en", short, (citation,))


def test_only_the_assistants_markers_become_links():
    answer = _answer("Footnote [2] says 7 [1]", "Footnote [2] says 7", "7")
    assert [n for _, _, n in citation_markers(answer)] == [1]
    markdown = full_markdown(answer_segments(answer, 3, "en"))
    assert markdown.count("](#src-") == 1 and "**7**" in markdown and "\\[2\\]" in markdown


def test_the_figure_is_found_in_the_other_languages_notation():
    assert figure_in("规划建设54.6万标准机架。", "546,000") == "54.6万"
    assert figure_in("to Shenzhen to 1.3 ms and 1.66 ms respectively", "1.66ms") == "1.66 ms"
    assert figure_in("作为10个国家数据中心集群之一", "546,000") is None  # never another number


def test_a_stored_conversation_that_does_not_fit_is_dropped_not_trusted():
    good = conv.answered_turn(1, "q?", _answer("x [1]", "x"), {})
    stored = {"turns": [good, {"turn": "2"}, {"turn": 3, "question": "q", "answer": {"bogus": 1},
                                               "error": None, "state": "done", "extras": {}}, "junk"]}
    assert [t["turn"] for t in conv.turns_of(stored)] == [1]
    assert conv.turns_of("not a dict") == [] and conv.turns_of(None) == []
    assert conv.answer_of(good).citations[0].quote == "x"


def test_clip_cuts_at_a_word_with_an_ellipsis():
    assert clip("Decoding Guangdong: green energy, intelligent technologies", 30) == "Decoding Guangdong: green…"
    assert clip("短标题", 30) == "短标题"


# ------------------------------------------------------------------ past chats, errors in Chinese, the URL box


def test_past_chats_are_filed_taken_back_and_junk_is_dropped():
    first = conv.with_turn(conv.empty(), conv.answered_turn(1, "q1?", _answer("x [1]", "x"), {}))
    past = conv.filed({"chats": []}, first)
    assert [conv.chat_title(c) for c in conv.chats_of(past)] == ["q1?"]
    assert conv.filed(past, conv.empty()) == past  # an empty chat is not filed
    chat_id = conv.chats_of(past)[0]["id"]
    chosen, rest = conv.taken(past, chat_id)
    assert chosen["turns"][0]["question"] == "q1?" and conv.chats_of(rest) == []
    assert conv.taken(past, "no-such-chat")[0] is None
    stored = {"chats": [{"id": 3, "turns": first["turns"]}, {"id": "ok", "turns": []}, "junk",
                        {"id": "good", "turns": first["turns"] + [{"turn": "bad"}]}]}
    assert [c["id"] for c in conv.chats_of(stored)] == ["good"] and conv.chats_of("junk") == []
    many: dict = {"chats": []}
    for _ in range(conv.MAX_CHATS + 5):
        many = conv.filed(many, first)
    assert len(conv.chats_of(many)) == conv.MAX_CHATS


def test_core_errors_read_in_chinese_and_fall_back_to_english():
    from index.fetch import refuse_private
    from rag import QuestionError, SourceError
    from rag.checks import check_question
    from ui.i18n import error_text, reason_text

    with pytest.raises(QuestionError) as long_question:
        check_question("x" * 2100)
    with pytest.raises(SourceError) as private:
        refuse_private("http://192.168.1.1/a", "http://192.168.1.1/a")
    for error, chinese in [(long_question.value, "问题有 2100 个字符"),
                           (private.value, "http://192.168.1.1/a：192.168.1.1 是本机或内网地址")]:
        shown = error_text("zh", type(error).__name__, str(error))
        assert shown.startswith(chinese) and not re.search(r"[A-Za-z]{4,} [a-z]{3,}", shown), shown
        assert error_text("en", type(error).__name__, str(error)) == str(error)
    assert reason_text("zh", "HTTP 404 Not Found") == "网站返回 HTTP 404 Not Found"
    assert error_text("zh", "ConfigError", "RAG_LLM_MODEL is set but …") == "RAG_LLM_MODEL is set but …"
    assert error_text("zh", "SourceError", "a.txt: a reason nobody translated") == "a.txt: a reason nobody translated"


def test_url_box_refuses_this_machine_without_the_opt_in(ui_index: Path):
    demo, url = serve(Assistant.load(ui_index))  # RAG_FETCH_PRIVATE off, as a served page has it
    client = client_for(url)
    try:
        status = client.predict("http://127.0.0.1:9/admin", "en", api_name="/add_url")[0]
    finally:
        client.close()
        demo.close()
    assert "Refused http://127.0.0.1:9/admin: 127.0.0.1 is a local or private address" in status
    assert status.count("<li") == 1
