"""The assistant the page serves, and the rules for what a reader may upload.

Questions never wait for indexing: an upload or removal works on a fresh `Assistant` over the same index
directory and swaps it in when done, so a question in flight keeps the one it started with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from rag import Answer, Assistant

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".jsonl")
MAX_FILES = 10  # per upload
MAX_FILE_MB = 10.0  # per file, and never above Settings.max_file_mb


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
    def max_file_mb(self) -> float:
        return min(MAX_FILE_MB, self.current.settings.max_file_mb)

    def ask(self, question: str, history: list[tuple[str, str]], k: int, lang: str,
            generative: bool | None = None) -> Answer:
        """`generative` None: the assistant's default (on when a chat model is configured)."""
        return self.current.ask(question, history, k=k, lang=lang, generative=generative)

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


def check_upload(paths: list[str], max_file_mb: float) -> tuple[list[str], list[tuple[str, dict]]]:
    """(accepted paths, refusals as (message key, fields)) under the count and size limits.

    Gradio itself refuses a file type outside UPLOAD_TYPES, and the index refuses what it cannot read."""
    refusals: list[tuple[str, dict]] = []
    if len(paths) > MAX_FILES:
        refusals.append(("too_many", {"limit": MAX_FILES, "extra": len(paths) - MAX_FILES}))
        paths = paths[:MAX_FILES]
    accepted = []
    for path in paths:
        p = Path(path)
        mb = p.stat().st_size / 2**20
        if mb > max_file_mb:
            refusals.append(("too_big", {"name": p.name, "mb": mb, "limit": f"{max_file_mb:g}"}))
        else:
            accepted.append(path)
    return accepted, refusals
