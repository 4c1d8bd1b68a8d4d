"""`rag index URL`: fetch one web page and read it like a file.

A page is fetched with a total time limit (RAG_FETCH_TIMEOUT) and a size cap (RAG_MAX_FILE_MB), following at most
a few redirects, decoded by the HTTP charset or the page's own <meta charset>, and read by its Content-Type: HTML
through trafilatura, plain text, PDF or Word like the files of the same kind. Every failure is one SourceError
naming the URL and the reason (timed out, too big, HTTP 404, not a web page), so the other sources of a run are
still indexed. Standard library only (urllib): one GET needs no more.

The server fetches what a reader of the chat page types, so a page whose host resolves to a loopback, private,
link-local or other non-public address (127.0.0.0/8, 10/8, 172.16/12, 192.168/16, 169.254/16, ::1, fc00::/7,
fe80::/10, ...) is refused before anything is sent, and so is a redirect to one, unless `allow_private`
(RAG_FETCH_PRIVATE) is on. The address is checked twice: the host's DNS answer before anything is sent, and the
address the connection actually reached, before the request is written (a host whose DNS answer changes between
the two lookups, "DNS rebinding", is refused too). Through a proxy from the environment (http_proxy, ...) only the
first check applies: the proxy connects, and is trusted as it is.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.errors import SourceError
from index.formats import BINARY, declared_charset, known_encoding
from index.readers import Article, read_document

MAX_REDIRECTS = 5
KEEP_S = 600.0  # how long a page fetched with keep=True waits for the read that indexes it
_kept: dict[str, tuple[float, Page]] = {}
_kept_lock = threading.Lock()
USER_AGENT = "bilingual-rag/0.1 (rag index URL)"
_KINDS = {  # Content-Type -> the suffix of the reader that takes it
    "text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


def is_url(source: object) -> bool:
    """Whether a source names a web page (http:// or https://) rather than a file or folder."""
    return isinstance(source, str) and bool(re.match(r"https?://", source.strip(), re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # where it was fetched from, after redirects
    data: bytes
    suffix: str  # the reader: ".html", ".txt", ".md", ".pdf", ".docx"
    encoding: str | None  # declared by the server or the page; None: guessed like a file's


def read_url(url: str, *, timeout: float = 15.0, max_bytes: int = 50 * 2**20, allow_private: bool = False,
             keep: bool = False) -> tuple[list[Article], bytes]:
    """The articles of the page at `url` (its URL in metadata "url") and the bytes they were read from. `keep`:
    the next read of the same URL in this process, within KEEP_S, takes this page instead of fetching it again
    (the chat page checks whether a page would replace a document, then indexes what it checked)."""
    url = url.strip()
    with _kept_lock:
        fetched_at, page = _kept.pop(url, (0.0, None))
    if page is None or time.monotonic() - fetched_at > KEEP_S or len(page.data) > max_bytes:
        page = fetch(url, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private)
    if keep:
        with _kept_lock:
            _kept[url] = (time.monotonic(), page)
            while len(_kept) > 8:  # the oldest first
                _kept.pop(next(iter(_kept)))
    articles = read_document(page.data, page.suffix, url, url_stem(url), {"url": url}, page.encoding)
    return articles, page.data


def forget(url: str) -> None:
    """Drop a page kept by `read_url(..., keep=True)` (the reader chose not to index it)."""
    with _kept_lock:
        _kept.pop(url.strip(), None)


def url_stem(url: str) -> str:
    """A document id from a URL: host and path as a slug, with a short hash of the whole URL so two pages
    whose slugs agree (query strings, long paths) never share an id."""
    parts = urlsplit(url)
    path = re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", parts.path.rstrip("/"), flags=re.IGNORECASE)
    slug = re.sub(r"[^\w.-]+", "-", f"{parts.hostname or ''}{path}".lower()).strip("-.")[:80].strip("-.")
    return f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:6]}"


def fetch(url: str, *, timeout: float, max_bytes: int, allow_private: bool = False) -> Page:
    """GET one page: at most `timeout` seconds in all and `max_bytes` of body. Raises SourceError(url, reason)."""
    if urlsplit(url).hostname is None:
        raise SourceError(url, "not a valid URL (no host name)")
    if not allow_private:
        refuse_private(url, url)
    handlers = [_FewRedirects(allow_private, url)]
    if not allow_private:
        handlers += [_CheckedHTTP(url), _CheckedHTTPS(url)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain, "
                                                   "application/pdf, */*;q=0.5"})
    deadline = time.monotonic() + timeout
    limit = f"the {max_bytes / 2**20:.3g} MB limit (raise RAG_MAX_FILE_MB to allow it)"
    try:
        with opener.open(request, timeout=timeout) as response:
            kind = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            suffix = _KINDS.get(kind)
            if suffix is None:
                raise SourceError(url, f"is not a web page or document (Content-Type: {kind or 'none given'})")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(url, f"page is {int(length) / 2**20:.1f} MB, over {limit}")
            body = bytearray()
            while chunk := response.read1(64 * 1024):  # what has arrived: a page that trickles meets the deadline
                body += chunk
                if len(body) > max_bytes:
                    raise SourceError(url, f"page is over {limit}")
                if time.monotonic() > deadline:
                    raise SourceError(url, f"timed out after {timeout:g} s (raise RAG_FETCH_TIMEOUT to wait longer)")
            if length and length.isdigit() and len(body) < int(length):
                raise SourceError(url, f"the page was cut short ({len(body)} of {int(length)} bytes arrived)")
            charset = response.headers.get_content_charset()
            final_url = response.geturl()
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            raise SourceError(url, f"more than {MAX_REDIRECTS} redirects") from None
        raise SourceError(url, f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError | socket.timeout):
            raise SourceError(url, f"timed out after {timeout:g} s (raise RAG_FETCH_TIMEOUT to wait longer)") from None
        raise SourceError(url, f"could not be fetched ({e.reason})") from None
    except TimeoutError:
        raise SourceError(url, f"timed out after {timeout:g} s (raise RAG_FETCH_TIMEOUT to wait longer)") from None
    except (OSError, ValueError, http.client.HTTPException) as e:  # reset, cut short, bad status line, bad URL
        raise SourceError(url, f"could not be fetched ({type(e).__name__}: {e})") from None
    data = bytes(body)
    encoding = known_encoding(charset) or (declared_charset(data) if suffix == ".html" else None)
    return Page(final_url, data, suffix, encoding if suffix not in BINARY else None)


def refuse_private(url: str, asked: str) -> None:
    """Raise SourceError(asked, ...) when the host of `url` resolves to any address that is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError as e:
        raise SourceError(asked, f"not a valid URL ({e})") from None
    except (socket.gaierror, UnicodeError) as e:
        raise SourceError(asked, f"could not be fetched (host {host!r} not found: {e})") from None
    via = "" if url == asked else f"redirects to {url}, and "
    for *_, sockaddr in found:
        _refuse_address(str(sockaddr[0]), host, asked, via)


def _refuse_address(ip: str, host: str, asked: str, via: str = "") -> None:
    """Raise SourceError(asked, ...) when `ip` (what `host` resolved to) is not a public address."""
    address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if not address.is_global or address.is_multicast:
        named = host if host.strip("[]") == str(address) else f"{host} ({address})"
        raise SourceError(asked, f"{via}{named} is a local or private address; only public web "
                                 "pages are fetched (RAG_FETCH_PRIVATE=1 allows this machine's network)")


def _checked_connection(asked: str):
    """socket.create_connection that refuses, before anything is written, a peer whose address is not public
    (what the host resolved to when the connection was made, not when it was first checked)."""
    def connect(address, timeout, source_address=None, **kwargs):
        sock = socket.create_connection(address, timeout, source_address, **kwargs)
        try:
            _refuse_address(str(sock.getpeername()[0]), address[0], asked)
        except BaseException:
            sock.close()
            raise
        return sock

    return connect


class _CheckedConnections:
    """An HTTP(S) handler whose connections check the address they reached (unless a proxy carries them)."""

    def __init__(self, asked: str) -> None:
        super().__init__()
        self.asked = asked

    def do_open(self, http_class, req, **kwargs):
        if req.has_proxy() or getattr(req, "_tunnel_host", None):
            return super().do_open(http_class, req, **kwargs)
        asked = self.asked

        def checked(*args, **kw):
            conn = http_class(*args, **kw)
            conn._create_connection = _checked_connection(asked)
            return conn

        return super().do_open(checked, req, **kwargs)


class _CheckedHTTP(_CheckedConnections, urllib.request.HTTPHandler):
    pass


class _CheckedHTTPS(_CheckedConnections, urllib.request.HTTPSHandler):
    pass


class _FewRedirects(urllib.request.HTTPRedirectHandler):
    """At most MAX_REDIRECTS redirects, each to a public address unless private ones are allowed."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, allow_private: bool, asked: str) -> None:
        super().__init__()
        self.allow_private, self.asked = allow_private, asked

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not self.allow_private:
            refuse_private(newurl, self.asked)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
