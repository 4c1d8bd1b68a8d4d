"""`rag index URL`: pages of ../shared/corpus/real served as HTML by a local http.server on 127.0.0.1 are fetched,
decoded, indexed under their URL and answered; a URL that times out, is too big, is missing, fails or is no web
page gets one line naming it and the reason, and the other sources of the run are still indexed. The local
server needs the RAG_FETCH_PRIVATE opt-in: without it a loopback, private or link-local address is refused."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from page_files import as_html, as_pdf, real_lines

from index.errors import SourceError
from index.fetch import _FewRedirects, is_url, read_url, refuse_private, url_stem
from rag import Assistant

SHAOGUAN = "ysln-2024-12-06-53105594.txt"
LION = "ysln-2024-12-10-53113054.txt"
TAIPEI = "taipeitimes-2022-06-21-2003780212.txt"
HUANGPU = "ycpai-2021-05-10-40003184.txt"
SLOW_S = 3.0  # how long the slow endpoints take; the tests allow 1 s
SEEN: list[str] = []  # the paths the local site was asked for, in order


def _routes(tmp_path) -> dict[str, tuple[int, dict, bytes]]:
    """path -> (status, headers, body)."""
    shaoguan = as_html(real_lines(SHAOGUAN), title=real_lines(SHAOGUAN)[0], site="云上岭南", author="李玉凡",
                       date="2024-12-06").encode()
    lion = as_html(real_lines(LION), title=real_lines(LION)[0], site="云上岭南", charset="gbk")
    taipei = as_html(real_lines(TAIPEI), title="Taipei Times bilingual pages", site="Taipei Times", charset="")
    pdf = as_pdf(tmp_path / "huangpu.pdf", real_lines(HUANGPU), title="Huangpu Park").read_bytes()
    html = {"Content-Type": "text/html; charset=utf-8"}
    return {
        "/news/shaoguan.html": (200, html, shaoguan),
        "/news/lion.html": (200, {"Content-Type": "text/html"}, lion.encode("gbk", "xmlcharrefreplace")),
        "/news/taipei.html": (200, {"Content-Type": "text/html; charset=big5"}, taipei.encode("big5", "replace")),
        "/papers/huangpu.pdf": (200, {"Content-Type": "application/pdf"}, pdf),
        "/moved": (301, {"Location": "/news/shaoguan.html"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/missing": (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"),
        "/broken": (500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"),
        "/big.html": (200, html, b"<html><body>" + b"<p>" + b"x" * 200_000 + b"</p></body></html>"),
        "/logo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A local web server: real pages, a redirect, a loop, 404, 500, a page over the size cap, an image, and
    pages that answer (or trickle) slower than the timeout. Yields its base URL."""
    routes = _routes(tmp_path_factory.mktemp("site"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            SEEN.append(self.path)
            if self.path == "/slow":
                time.sleep(SLOW_S)
            if self.path == "/cut-short":  # promises 1000 bytes, sends 20 and hangs up
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"<p>the beginning of a")
                self.close_connection = True
                return
            if self.path in ("/slow", "/trickle"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(int(SLOW_S / 0.2)):
                    self.wfile.write(b"<p>still coming</p>")
                    self.wfile.flush()
                    time.sleep(0.2)
                return
            status, headers, body = routes.get(self.path, (404, {}, b"no such page"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_pages_allowed(monkeypatch):
    """The opt-in every test here needs for `rag index` and `Assistant.add`: the site is on 127.0.0.1."""
    monkeypatch.setenv("RAG_FETCH_PRIVATE", "1")


def test_urls_are_told_from_paths():
    assert is_url("https://www.taipeitimes.com/News/lang/archives/2022/06/21/2003780212")
    assert is_url(" http://example.org/a.html ")
    assert not is_url("news/page.html") and not is_url("ftp://example.org/a") and not is_url(None)


def test_document_id_comes_from_the_url_and_never_collides():
    a = url_stem("https://ycpai.ycwb.com/ycppad/content/2021-05/10/content_40003184.html")
    b = url_stem("https://ycpai.ycwb.com/ycppad/content/2021-05/10/content_40003184.html?page=2")
    assert a.startswith("ycpai.ycwb.com-ycppad-content-2021-05-10-content_40003184-")
    assert a != b


def test_fetched_page_is_read_without_its_chrome_and_keeps_its_url_and_metadata(site):
    url = f"{site}/news/shaoguan.html"
    articles, data = read_url(url, timeout=5, allow_private=True)
    text = "\n".join(p.text for a in articles for p in a.paragraphs)
    assert "他们是为美好生活而奋斗不息的韶关人" in text and "Sidebar story" not in text and "ICP" not in text
    for article in articles:
        assert article.metadata["url"] == url and article.metadata["authors"] == ["李玉凡"]
        assert article.metadata["date"] == "2024-12-06" and "path" not in article.metadata
    assert data.startswith(b"<!doctype html>")


def test_page_is_decoded_by_its_meta_charset_or_its_http_charset(site):
    lion, _ = read_url(f"{site}/news/lion.html", timeout=5, allow_private=True)  # GBK, said only by <meta charset>
    assert "冼村杯" in "\n".join(p.text for a in lion for p in a.paragraphs)
    taipei, _ = read_url(f"{site}/news/taipei.html", timeout=5, allow_private=True)  # Big5, said by the HTTP header
    assert "台灣師範大學「國語教學中心」" in "\n".join(p.text for a in taipei for p in a.paragraphs)


def test_redirect_is_followed_and_a_redirect_loop_is_refused(site):
    articles, _ = read_url(f"{site}/moved", timeout=5, allow_private=True)
    assert any("韶关人" in p.text for a in articles for p in a.paragraphs)
    with pytest.raises(SourceError, match="redirects"):
        read_url(f"{site}/loop", timeout=5, allow_private=True)


@pytest.mark.parametrize("path, reason", [
    ("/slow", "timed out after 1 s"),
    ("/trickle", "timed out after 1 s"),
    ("/missing", "HTTP 404"),
    ("/broken", "HTTP 500"),
    ("/big.html", "over the 0.1 MB limit"),
    ("/logo.png", "not a web page or document (Content-Type: image/png)"),
    ("/cut-short", "the page was cut short (21 of 1000 bytes arrived)"),
])
def test_bad_url_is_refused_naming_it_and_the_reason(site, path, reason):
    started = time.monotonic()
    with pytest.raises(SourceError) as error:
        read_url(site + path, timeout=1, allow_private=True, max_bytes=2**20 // 10)
    assert error.value.path == site + path and reason in error.value.reason
    assert time.monotonic() - started < SLOW_S - 0.5  # gave up at the timeout, did not wait the page out


def test_unreachable_host_is_refused_in_one_line():
    with pytest.raises(SourceError, match="could not be fetched") as error:
        read_url("http://127.0.0.1:9/nothing-listens-here.html", timeout=2, allow_private=True)
    assert "\n" not in str(error.value)


def test_index_urls_beside_files_bad_ones_one_line_each_good_ones_indexed_and_answered(site, tmp_path, rag,
                                                                                        monkeypatch):
    monkeypatch.setenv("RAG_FETCH_TIMEOUT", "1")
    monkeypatch.setenv("RAG_MAX_FILE_MB", "0.1")
    local = tmp_path / "lion.txt"
    local.write_text("\n".join(real_lines(LION)), encoding="utf-8")
    good = [f"{site}/news/shaoguan.html", f"{site}/papers/huangpu.pdf"]
    bad = {f"{site}/slow": "timed out", f"{site}/missing": "HTTP 404", f"{site}/big.html": "MB limit",
           f"{site}/logo.png": "not a web page"}
    code, out, err = rag("index", *good, *bad, local, "--index", tmp_path / "kb")
    refused = [ln for ln in err.splitlines() if ln.startswith("refused:")]
    assert code == 1 and len(refused) == len(bad)
    for url, reason in bad.items():
        assert sum(1 for ln in refused if f"{url}:" in ln and reason in ln) == 1, (url, refused)

    kb = Assistant.load(tmp_path / "kb")
    sources = {d["metadata"].get("url") or d["metadata"]["path"] for d in kb.info()["documents"].values()}
    assert sources == {*good, str(local)}
    answer = kb.ask("Which city's people are relentlessly striving for a better life?")
    assert not answer.abstained and "Shaoguan" in answer.citations[0].quote
    assert answer.citations[0].chunk_id.startswith(url_stem(good[0]))
    answer = kb.ask("How old is Huangpu Park?")  # from the PDF served by URL
    assert not answer.abstained and "22-year-old" in answer.citations[0].quote

    code, out, err = rag("index", good[0], "--index", tmp_path / "kb")  # the same page again: nothing to do
    assert code == 0 and "unchanged: 1 source(s)" in out


def test_assistant_add_takes_a_url(site, tmp_path):
    local = tmp_path / "lion.txt"
    local.write_text("\n".join(real_lines(LION)), encoding="utf-8")
    kb = Assistant.build([local], index_dir=tmp_path / "kb")
    report = kb.add([f"{site}/news/shaoguan.html", f"{site}/missing"])
    assert report.added and [e.reason for e in report.refused] == ["HTTP 404 Not Found"]
    answer = kb.ask("Which city's people are relentlessly striving for a better life?")
    assert not answer.abstained and "Shaoguan" in answer.citations[0].quote


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/a.html", "http://localhost/", "http://10.0.0.7/", "http://172.16.5.4/",
    "http://172.31.255.1/", "http://192.168.1.1/router", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://[fc00::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
])
def test_local_and_private_addresses_are_refused_in_one_line(url):
    with pytest.raises(SourceError) as error:
        refuse_private(url, url)
    message = str(error.value)
    assert message.startswith(url + ": ") and "local or private address" in message and "\n" not in message
    assert "RAG_FETCH_PRIVATE=1" in message


def test_public_addresses_pass_the_check():
    for url in ("http://8.8.8.8/", "https://1.1.1.1:8443/x", "http://[2606:4700:4700::1111]/"):
        refuse_private(url, url)  # no exception: only the address is checked, nothing is fetched


def test_a_page_on_this_machine_needs_the_opt_in(site, monkeypatch, tmp_path, rag):
    url = f"{site}/news/shaoguan.html"
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a local or private address"):
        read_url(url, timeout=5)
    assert read_url(url, timeout=5, allow_private=True)[0]
    monkeypatch.delenv("RAG_FETCH_PRIVATE")
    code, out, err = rag("index", url, "--index", tmp_path / "kb")
    refused = [line for line in (out + err).splitlines() if "local or private address" in line]
    assert code != 0 and len(refused) == 1 and url in refused[0], (code, out, err)


def test_a_redirect_to_a_private_address_is_refused():
    import urllib.request

    handler = _FewRedirects(False, "https://example.org/a")
    request = urllib.request.Request("https://example.org/a")
    with pytest.raises(SourceError, match=r"^https://example.org/a: redirects to http://169\.254\.169\.254/"):
        handler.redirect_request(request, None, 302, "Found", {}, "http://169.254.169.254/latest/")


def test_a_host_whose_address_changes_after_the_check_is_refused_at_the_connection(site, monkeypatch):
    """DNS rebinding: the host looked public when checked, and the connection reaches this machine. The
    address the socket reached is checked again before the request is written."""
    import index.fetch

    requests_seen = []
    monkeypatch.setattr(index.fetch, "refuse_private", lambda url, asked: requests_seen.append(url))  # "public"
    url = f"{site}/news/shaoguan.html"
    with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a local or private address") as error:
        read_url(url, timeout=5)
    assert str(error.value).startswith(url + ": 127.0.0.1 is a local") and requests_seen == [url]
    assert read_url(url, timeout=5, allow_private=True)[0]  # the opt-in still reaches it


def test_a_page_checked_for_replacing_is_indexed_without_a_second_fetch(site, tmp_path):
    from index.fetch import forget
    from ui.library import Library

    url = f"{site}/news/lion.html"
    kb = Assistant.build([], index_dir=tmp_path / "kb")
    library = Library(kb)
    SEEN.clear()
    assert library.url_clashes(url) == []  # fetched once to check, kept
    report = kb.add([url])
    assert report.changed and SEEN == ["/news/lion.html"], SEEN  # indexed from the kept page
    read_url(url, timeout=5, allow_private=True)  # the kept page is used once: this one fetches
    assert SEEN == ["/news/lion.html"] * 2
    read_url(url, timeout=5, allow_private=True, keep=True)
    forget(url)  # the reader kept the old document: the next read fetches anew
    read_url(url, timeout=5, allow_private=True)
    assert SEEN == ["/news/lion.html"] * 4
