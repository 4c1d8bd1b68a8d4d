"""The assistant the page serves, and the rules for what a reader may upload.

Questions never wait for indexing: an upload or removal works on a fresh `Assistant` over the same index
directory and swaps it in when done, so a question in flight keeps the one it started with.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.readers import SUPPORTED, read_source
from index.text import detect_lang, numbers_in
from rag import Answer, Assistant, Citation, Filters, SourceError

UPLOAD_TYPES = tuple(SUPPORTED)  # what the index reads; the page itself refuses anything else
SECRET_FILE = ".ui-secret"
MAX_FILES = 10  # per upload; the size limit per file is Settings.max_file_mb (RAG_MAX_FILE_MB), as for `rag index`


class Library:
    """Holds the current assistant; `change` builds the next one, one change at a time."""

    def __init__(self, assistant: Assistant) -> None:
        self.current = assistant
        self._changing = threading.Lock()

    @property
    def can_generate(self) -> bool:
        """A chat model is configured (RAG_LLM_MODEL, or one handed to the assistant)."""
        return self.current.llm is not None

    @property
    def model_name(self) -> str:
        llm = self.current.llm
        return self.current.settings.llm_model or (type(llm).__name__ if llm is not None else "")

    @property
    def index_dir(self) -> Path | None:
        return self.current.index_dir

    def storage_secret(self) -> str | None:
        """The key that encrypts conversations kept in readers' browsers, stored beside the index (0600) so
        they survive a restart of the page; None (a fresh key each start) without an index directory."""
        if self.index_dir is None:
            return None
        path = self.index_dir / SECRET_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24))
        return path.read_text().strip()

    @property
    def max_file_mb(self) -> float:
        return self.current.settings.max_file_mb

    def ask(self, question: str, history: list[tuple[str, str]], k: int, lang: str,
            generative: bool | None = None, filters: Filters | None = None) -> Answer:
        """`generative` None: the assistant's default (on when a chat model is configured)."""
        assistant = self.current
        answer = assistant.ask(question, history, k=k, lang=lang, generative=generative, filters=filters)
        asked_in = detect_lang(question)
        if answer.abstained or not answer.short or asked_in in (None, answer.language):
            return answer
        # The short span is picked in the question's language; an answer given in the other language must
        # emphasise its own rendering of that figure (54.6万 for 546,000), never another number it holds.
        same_lang = assistant.ask(question, history, k=k, lang=asked_in, generative=False, filters=filters)
        return dataclasses.replace(answer, short=figure_in(answer.text, same_lang.short))

    def extras(self, answer: Answer) -> dict:
        """What the page shows beside each source and the answer alone cannot say: the sentence of the other
        language that renders the quote, and the document's outlet, date, link and authors."""
        documents = self.current.info()["documents"]
        cited = {str(c.n): {"aligned_quote": self.aligned_quote(c),
                            **source_facts(documents.get(c.doc_id, {}), _context_metadata(answer, c.chunk_id))}
                 for c in answer.citations}
        nearest = {str(i): source_facts(documents.get(c.doc_id, {}), c.metadata)
                   for i, c in enumerate(answer.contexts, start=1)}
        searched = getattr(answer, "searched", None) or answer.resolved_question
        return {"cited": cited, "nearest": nearest,
                "searched": searched if searched and searched != answer.question else None}

    def aligned_quote(self, c: Citation) -> str | None:
        """The sentence of the counterpart passage that says what the quote says: the most similar by the
        stored sentence vectors, preferring one that states the same figures."""
        store = self.current.store
        row = store.row_of(c.chunk_id)
        if row is None:
            return None
        chunk = store.chunk(row)
        own = chunk.sentence_texts()
        at = next((i for i, s in enumerate(own) if c.quote and (c.quote in s or s in c.quote)), None)
        if at is None:
            return None
        qvec = np.asarray(store.sentence_vecs(row)[at], dtype=np.float32)
        figures = {v for _, _, v in numbers_in(c.quote)}
        best, best_score = None, -1.0
        for cid in chunk.counterparts:
            other_row = store.row_of(cid)
            if other_row is None:
                continue
            other = store.chunk(other_row)
            sims = np.asarray(store.sentence_vecs(other_row), dtype=np.float32) @ qvec  # (n_sentences,)
            for sentence, sim in zip(other.sentence_texts(), sims.tolist(), strict=False):
                shared = figures & {v for _, _, v in numbers_in(sentence)}
                score = sim + (0.2 * len(shared) / len(figures) if figures else 0.0)
                if score > best_score:
                    best, best_score = sentence, score
        return best

    def would_replace(self, paths: Sequence[str]) -> list[tuple[str, str, str]]:
        """(file name, doc id, existing title) for each article in `paths` whose id is already in the index
        with different text: indexing it would replace that document."""
        documents = self.current.info()["documents"]
        clashes = []
        for path in paths:
            try:
                articles = read_source(Path(path), int(self.max_file_mb * 2**20))
            except SourceError:
                continue  # the index will refuse it and say why
            for a in articles:
                known = documents.get(a.doc_id)
                if known is not None and known.get("hash") != a.content_hash:
                    clashes.append((Path(path).name, a.doc_id, str(known.get("title", a.doc_id))))
        return clashes

    def url_clashes(self, url: str) -> list[tuple[str, str, str]]:
        """`would_replace` for a web page: fetched (as `rag index URL` would) and compared with the index; the
        page is kept for the indexing that follows (it is not fetched twice). Raises SourceError when the page
        cannot be fetched or read."""
        from index.fetch import read_url

        settings = self.current.settings
        articles, _ = read_url(url, timeout=settings.fetch_timeout, max_bytes=int(settings.max_file_mb * 2**20),
                               allow_private=settings.fetch_private, keep=True)
        documents = self.current.info()["documents"]
        return [(url, a.doc_id, str(documents[a.doc_id].get("title", a.doc_id))) for a in articles
                if a.doc_id in documents and documents[a.doc_id].get("hash") != a.content_hash]

    def change(self, paths: Sequence[str | Path] = (), remove: Sequence[str] = (),
               on_progress: Callable[[float, str], None] | None = None):
        """Index `paths` and drop `remove` doc ids; returns the IndexReport."""
        with self._changing:
            base = self.current
            if base.index_dir is None:  # nothing on disk to reload: let the assistant say so
                return base.add(list(paths), on_progress=on_progress, remove=list(remove))
            fresh = Assistant.load(base.index_dir, base.settings, llm=base.llm)
            report = fresh.add(list(paths), on_progress=on_progress, remove=list(remove))
            if report.changed:
                self.current = fresh
            return report

    def info(self) -> dict:
        return self.current.info()

    def warm_up(self) -> None:
        """One question per language, so the first reader doesn't wait for lazy loads (tokenizers, model)."""
        for question in ("What is this about?", "这是关于什么的？"):
            self.current.ask(question)


def figure_in(text: str, short: str | None) -> str | None:
    """The span of `text` that states the figure `short` (same value, any notation), or None."""
    if not short:
        return None
    if short in text:
        return short
    wanted = {v for _, _, v in numbers_in(short)}
    if len(wanted) != 1:
        return None
    unit = short[max(e for _, e, _ in numbers_in(short)):].strip()
    for start, end, value in numbers_in(text):
        if value in wanted:
            rest = text[end:]
            if unit and rest.lstrip().lower().startswith(unit.lower()):
                end += len(rest) - len(rest.lstrip()) + len(unit)
            return text[start:end]
    return None


def source_facts(document: dict, metadata: dict) -> dict:
    """Outlet, date, link and authors of a source, from the document card (older indexes call the outlet
    "source"). A link is kept only when it is an http(s) address."""
    md = {**(document.get("metadata") or {}), **(metadata or {})}
    authors = md.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    url = str(md.get("url") or "")
    date = str(md.get("date") or "")
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", date):
        date = date.replace("T", " ")  # an ISO time of day reads better without the T
    return {"outlet": str(md.get("outlet") or md.get("source") or ""), "date": date,
            "url": url if url.startswith(("https://", "http://")) else "",
            "authors": [str(a) for a in authors if isinstance(a, str | int)][:6]}


def _context_metadata(answer: Answer, chunk_id: str) -> dict:
    return next((c.metadata for c in answer.contexts if c.chunk_id == chunk_id), {})


def check_upload(paths: list[str], max_file_mb: float) -> tuple[list[str], list[tuple[str, dict]]]:
    """(accepted paths, refusals as (message key, fields)) under the type, count and size limits; the index
    refuses what it cannot read."""
    refusals: list[tuple[str, dict]] = []
    if len(paths) > MAX_FILES:
        refusals.append(("too_many", {"limit": MAX_FILES, "extra": len(paths) - MAX_FILES}))
        paths = paths[:MAX_FILES]
    accepted = []
    for path in paths:
        p = Path(path)
        mb = p.stat().st_size / 2**20
        if p.suffix.lower() not in UPLOAD_TYPES:
            refusals.append(("wrong_type", {"name": p.name, "types": ", ".join(UPLOAD_TYPES)}))
        elif mb > max_file_mb:
            refusals.append(("too_big", {"name": p.name, "mb": mb, "limit": f"{max_file_mb:g}"}))
        else:
            accepted.append(path)
    return accepted, refusals
