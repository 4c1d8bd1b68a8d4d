"""What the page's events do: ask and stream, regenerate or edit the last question, stop, start a new chat and
open or delete past ones, rate answers, add and remove articles.

Every handler renders the chat and the sources panel from the reader's conversation (ui/conversation.py),
so what is shown is always the whole of what was answered.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from index.build import BUNDLED
from index.fetch import forget, is_url
from rag import Filters, RagError, SourceError
from ui import conversation as conv
from ui import feedback
from ui.i18n import LANG_NAMES, error_text, reason_text, t, ui_lang
from ui.library import MAX_FILES, UPLOAD_TYPES, Library, check_upload
from ui.render import (
    answer_segments,
    clip,
    error_markdown,
    full_markdown,
    md_escape,
    plain_text,
    stopped_markdown,
    stream_markdown,
)
from ui.sources import doc_choices, file_name, kb_html, sources_block, sources_panel, upload_result_html

STEP_SECONDS = 0.02  # between streamed updates: an answer finishes rendering within ~0.5 s
MAX_K = 20


class Handlers:
    def __init__(self, library: Library, allow_edits: bool) -> None:
        self.library, self.allow_edits = library, allow_edits

    # ------------------------------------------------------------ asking

    def chat(self, message: str, history: list[dict], lang: str, k: float, generative: bool, ui: str,
             stored: dict, filter_doc: str = "", filter_lang: str = "") -> Iterator[tuple]:
        """Stream one answer: the question shows at once, then the answer a few words at a time."""
        stored = {"turns": conv.turns_of(stored)}
        prefix = [] if stored["turns"] else _plain_messages(history)  # API callers pass their own history
        question = (message or "").strip()
        if not question:
            yield gr.skip(), prefix + self.messages(stored, ui), self.panel(stored, ui), gr.skip()
            return
        pairs = conv.history_pairs(stored) if stored["turns"] else _history_pairs(prefix)[-conv.HISTORY_TURNS:]
        n = conv.next_number(stored)
        waiting = conv.with_turn(stored, conv.pending_turn(n, question))
        yield "", prefix + self.messages(waiting, ui, live=n), gr.skip(), waiting
        filters = Filters(doc_ids=(filter_doc,) if filter_doc else None, lang=filter_lang or None)
        if filters == Filters():
            filters = None
        try:
            answer = self.library.ask(question, pairs, k=int(k), lang=lang or "auto", generative=generative,
                                      filters=filters)
        except RagError as e:
            done = conv.with_turn(stored, conv.failed_turn(n, question, str(e), type(e).__name__))
            yield gr.skip(), prefix + self.messages(done, ui), gr.skip(), done
            return
        extras = self.library.extras(answer)
        done = conv.with_turn(stored, conv.answered_turn(n, question, answer, extras))
        panel = self.panel(done, ui)
        before = prefix + self.messages(stored, ui) + [{"role": "user", "content": md_escape(question)}]
        steps = list(stream_markdown(answer_segments(answer, n, ui, extras["searched"])))
        for i, markdown in enumerate(steps):
            last = i == len(steps) - 1
            # The panel goes with the first words, and again with the last: API callers see only that.
            yield (gr.skip(), before + [_bot(markdown)], panel if i == 0 or last else gr.skip(),
                   done if i == 0 else gr.skip())
            if not last:
                time.sleep(STEP_SECONDS)

    def regenerate(self, stored: dict, lang: str, k: float, generative: bool, ui: str, filter_doc: str = "",
                   filter_lang: str = "") -> Iterator[tuple]:
        """Ask the last question again; its new answer replaces the old one (the same core call as Ask)."""
        earlier, last = conv.without_last(stored)
        if last is None:
            yield gr.skip(), self.messages(stored, ui), self.panel(stored, ui), gr.skip()
            return
        for update in self.chat(last["question"], [], lang, k, generative, ui, earlier, filter_doc, filter_lang):
            yield (gr.skip(), *update[1:])  # the question box keeps what the reader is typing

    def edit(self, stored: dict, lang: str, k: float, generative: bool, ui: str, filter_doc: str,
             filter_lang: str, data: gr.EditData) -> Iterator[tuple]:
        """The reader edited a question in the chat: the last one is asked again as edited, replacing its
        turn; an earlier one is put back as it was (only the last question can be edited)."""
        turns = conv.turns_of(stored)
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        edited = plain_text(_text(data.value)).strip()
        if not turns or int(index) != 2 * (len(turns) - 1) or not edited:
            if turns and int(index) != 2 * (len(turns) - 1):
                gr.Warning(t(ui, "edit_last_only"))
            yield gr.skip(), self.messages(stored, ui), self.panel(stored, ui), gr.skip()
            return
        earlier, _ = conv.without_last(stored)
        for update in self.chat(edited, [], lang, k, generative, ui, earlier, filter_doc, filter_lang):
            yield (gr.skip(), *update[1:])

    def stop(self, stored: dict, ui: str) -> tuple:
        halted = conv.stopped(stored)
        return self.messages(halted, ui), self.panel(halted, ui), halted

    # ------------------------------------------------------------ chats

    def new_chat(self, stored: dict, past: dict, ui: str) -> tuple:
        """An empty conversation; the current one (if it has turns) becomes the newest past chat."""
        past = conv.filed(past, stored)
        return [], "", self.panel(conv.empty(), ui), conv.empty(), past, *self.chat_list(past, ui)

    def open_chat(self, chat_id: str | None, stored: dict, past: dict, ui: str) -> tuple:
        """Bring back a past chat; the current conversation takes its place in the list."""
        chosen, rest = conv.taken(past, chat_id)
        if chosen is None:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), *self.chat_list(past, ui),
                    t(ui, "chat_pick_first"))
        past = conv.filed(rest, stored)
        return (self.messages(chosen, ui), self.panel(chosen, ui), chosen, past, *self.chat_list(past, ui), "")

    def delete_chat(self, chat_id: str | None, past: dict, ui: str) -> tuple:
        chosen, rest = conv.taken(past, chat_id)
        if chosen is None:
            return gr.skip(), *self.chat_list(past, ui), t(ui, "chat_pick_first")
        return rest, *self.chat_list(rest, ui), t(ui, "chat_deleted", title=clip(conv.chat_title(chosen), 60))

    def chat_list(self, past: dict, ui: str) -> tuple:
        """(the past-chats list, its row's visibility): shown only when there is a past chat."""
        chats = conv.chats_of(past)
        choices = [(t(ui, "chat_label", title=clip(conv.chat_title(c), 60), n=len(c["turns"])), c["id"])
                   for c in chats]
        return gr.update(choices=choices, value=None, label=t(ui, "past_chats")), gr.update(visible=bool(chats))

    def messages(self, stored: dict, ui: str, live: int | None = None) -> list[dict]:
        """The chat, turn by turn, from the conversation: every answer whole."""
        out: list[dict] = []
        for turn in conv.turns_of(stored):
            out.append({"role": "user", "content": md_escape(turn["question"])})
            answer = conv.answer_of(turn)
            if answer is not None:
                markdown = full_markdown(answer_segments(answer, turn["turn"], ui, turn["extras"].get("searched")))
                if turn["state"] == "stopped":
                    markdown += f"\n\n*{md_escape(t(ui, 'stopped_mark'))}*"
            elif turn["error"]:
                markdown = error_markdown(error_text(ui, turn.get("error_kind"), turn["error"]), ui)
            elif turn["state"] == "stopped":
                markdown = stopped_markdown(ui)
            elif turn["turn"] == live:
                continue  # the answer is on its way: Gradio shows its own "thinking" dots
            else:
                markdown = f"*{md_escape(t(ui, 'interrupted'))}*"
            out.append(_bot(markdown))
        return out

    def panel(self, stored: dict, ui: str) -> str:
        blocks = [sources_block(answer, turn["turn"], turn["extras"], ui) for turn in conv.turns_of(stored)
                  if (answer := conv.answer_of(turn)) is not None]
        return sources_panel(blocks, ui)

    def ask(self, question: str, history: list[list[str]] | None = None, lang: str = "auto", k: int = 5,
            generative: bool | None = None) -> dict:
        """One answer as a dict (Answer.to_dict()); history is [[question, answer], ...]."""
        if not isinstance(question, str):
            raise gr.Error(f"question: must be text, not {type(question).__name__}")
        pairs = _checked_history(history)
        try:
            answer = self.library.ask(question, pairs, k=_checked_k(k), lang=lang, generative=generative)
        except RagError as e:
            raise gr.Error(html.escape(str(e))) from e
        return conv.public_answer(answer.to_dict())

    # ------------------------------------------------------------ feedback

    def like(self, stored: dict, ui: str, data: gr.LikeData) -> tuple:
        turns = conv.turns_of(stored)
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn_at = int(index) // 2
        if not (0 <= turn_at < len(turns)) or self.library.index_dir is None:
            return gr.update(visible=False), "", None
        rating = "up" if data.liked is True or data.value == "Like" else "down"
        feedback.record(self.library.index_dir, turns[turn_at], rating)
        return gr.update(visible=True), t(ui, "feedback_thanks"), {"turn": turns[turn_at], "rating": rating}

    def comment(self, text: str, rated: dict | None, ui: str) -> tuple:
        if rated and (text or "").strip() and self.library.index_dir is not None:
            feedback.record(self.library.index_dir, rated["turn"], rated["rating"], text)
        return gr.update(visible=False), "", t(ui, "feedback_thanks")

    # ------------------------------------------------------------ the knowledge base

    def upload(self, paths: list[str] | None, ui: str, progress=gr.Progress()) -> tuple:  # noqa: B008 (Gradio's way)
        """Index uploaded files; one result line per outcome. Files that would replace a document wait for
        the reader to confirm."""
        if not self.allow_edits:
            return (upload_result_html([("refused", t(ui, "edits_off"))]), [], gr.update(visible=False),
                    *self._kb_updates(ui))
        accepted, refusals = check_upload([str(p) for p in paths or []], self.library.max_file_mb)
        lines = [("refused", _refusal(ui, key, fields)) for key, fields in refusals]
        clashes = self.library.would_replace(accepted)
        held_names = {name for name, _, _ in clashes}
        held = [p for p in accepted if file_name(p) in held_names]
        lines += self._index([p for p in accepted if p not in held], ui, progress)
        lines += [("info", t(ui, "would_replace", name=name, doc=doc, title=title)) for name, doc, title in clashes]
        if not lines:
            lines.append(("info", t(ui, "nothing")))
        return upload_result_html(lines), held, gr.update(visible=bool(held)), *self._kb_updates(ui)

    def replace(self, held: list[str], ui: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        lines = self._index(list(held or []), ui, progress) if self.allow_edits else [("refused", t(ui, "edits_off"))]
        return upload_result_html(lines or [("info", t(ui, "nothing"))]), [], gr.update(visible=False), \
            *self._kb_updates(ui)

    def add_url(self, url: str, ui: str, progress=gr.Progress()) -> tuple:  # noqa: B008
        """Fetch and index one web page, through the same core as `rag index URL`. A page that would replace
        a document waits for the reader to confirm, as files do."""
        url = (url or "").strip()
        held: list[str] = []
        if not self.allow_edits:
            lines = [("refused", t(ui, "edits_off"))]
        elif not is_url(url):
            lines = [("refused", t(ui, "not_url", what=url or "''"))]
        else:
            progress(0.0, desc=t(ui, "fetching"))
            try:
                clashes = self.library.url_clashes(url)
            except SourceError as e:
                clashes, lines = [], [("refused", t(ui, "refused", name=url, reason=reason_text(ui, e.reason)))]
            else:
                if clashes:
                    held = [url]
                    lines = [("info", t(ui, "would_replace", name=url, doc=doc, title=title))
                             for _, doc, title in clashes]
                else:
                    lines = self._index([url], ui, progress) or [("info", t(ui, "nothing"))]
        return (upload_result_html(lines), "" if lines[0][0] == "ok" else gr.skip(), held,
                gr.update(visible=bool(held)), *self._kb_updates(ui))

    def keep(self, held: list[str], ui: str) -> tuple:
        for source in held or []:
            if is_url(source):
                forget(source)  # the page fetched for the replace check
        return upload_result_html([("info", t(ui, "kept"))]), [], gr.update(visible=False)

    def ask_remove(self, doc_id: str | None, ui: str) -> tuple:
        if not self.allow_edits:
            return gr.update(visible=False), "", upload_result_html([("refused", t(ui, "edits_off"))])
        documents = self.library.info()["documents"]
        if not doc_id or doc_id not in documents:
            return gr.update(visible=False), "", upload_result_html([("info", t(ui, "pick_first"))])
        path = str((documents[doc_id].get("metadata") or {}).get("path", ""))
        bundled = t(ui, "bundled_warning") if path and path.endswith(BUNDLED.name) else ""
        question = t(ui, "confirm_remove", title=documents[doc_id].get("title", doc_id), doc=doc_id, bundled=bundled)
        return gr.update(visible=True), f"**{md_escape(question)}**", ""

    def remove(self, doc_id: str | None, ui: str) -> tuple:
        if not self.allow_edits:
            lines = [("refused", t(ui, "edits_off"))]
        elif not doc_id:
            lines = [("info", t(ui, "pick_first"))]
        else:
            try:
                report = self.library.change(remove=[doc_id])
                lines = [("refused", f"{e.path}: {reason_text(ui, e.reason)}") for e in report.refused] or [
                    ("ok", t(ui, "removed", doc=doc_id))]
            except RagError as e:
                lines = [("refused", error_text(ui, type(e).__name__, str(e)))]
        return gr.update(visible=False), upload_result_html(lines), *self._kb_updates(ui)

    def cancel_remove(self, ui: str) -> tuple:
        return gr.update(visible=False), upload_result_html([("info", t(ui, "remove_cancelled"))])

    def _index(self, paths: list[str], ui: str, progress) -> list[tuple[str, str]]:
        if not paths:
            return []
        progress(0.0, desc=t(ui, "indexing"))
        try:
            report = self.library.change(paths, on_progress=lambda f, m: progress(f, desc=m))
        except RagError as e:
            return [("refused", error_text(ui, type(e).__name__, str(e)))]
        info = self.library.info()
        lines: list[tuple[str, str]] = []
        if report.added:
            titles = "; ".join(info["documents"].get(d, {}).get("title", d) for d in report.added)
            lines.append(("ok", t(ui, "added", docs=len(report.added), chunks=report.chunks_added, titles=titles)))
        lines += [("refused", t(ui, "refused", name=e.path if is_url(e.path) else file_name(e.path),
                                reason=reason_text(ui, e.reason))) for e in report.refused]
        lines += [("info", t(ui, "unchanged", name=file_name(p))) for p in report.unchanged]
        lines += [("info", t(ui, "duplicate", what=d)) for d in report.duplicates]
        return lines

    def _kb_updates(self, ui: str) -> tuple:
        info = self.library.info()
        return (kb_html(info, ui), gr.update(choices=doc_choices(info), value=None),
                gr.update(choices=self.doc_filter_choices(ui, info)))

    def doc_filter_choices(self, ui: str, info: dict | None = None) -> list[tuple[str, str]]:
        return [(t(ui, "filter_all_docs"), "")] + doc_choices(info or self.library.info())

    def lang_filter_choices(self, ui: str) -> list[tuple[str, str]]:
        return [(t(ui, "filter_any_lang"), ""), (LANG_NAMES["en"], "en"), (LANG_NAMES["zh"], "zh")]

    # ------------------------------------------------------------ the interface language

    def relabel(self, choice: str, stored: dict, past: dict) -> tuple:
        """Every label in the chosen interface language, and the stored conversation drawn again."""
        ui = ui_lang(choice)
        info = self.library.info()
        lib = self.library
        return (
            ui, gr.update(value=choice), t(ui, "title"), gr.update(value=t(ui, "theme")),
            gr.update(value=self.messages(stored, ui), label=t(ui, "chat"), placeholder=t(ui, "chat_placeholder")),
            gr.update(label=t(ui, "question"), placeholder=t(ui, "question_placeholder")),
            gr.update(value=t(ui, "send")), gr.update(value=t(ui, "stop")),
            gr.update(label=t(ui, "feedback_comment")), gr.update(value=t(ui, "feedback_send")),
            gr.update(label=t(ui, "answer_lang")), gr.update(value=t(ui, "clear")),
            *self.chat_list(past, ui), gr.update(value=t(ui, "chat_open")), gr.update(value=t(ui, "chat_delete")),
            gr.update(value=t(ui, "sources")), gr.update(value=t(ui, "close")),
            f"### {t(ui, 'sources')}", self.panel(stored, ui), gr.update(label=t(ui, "examples")),
            gr.update(label=t(ui, "add")), "" if self.allow_edits else t(ui, "edits_off"),
            gr.update(label=t(ui, "upload_button")),
            t(ui, "upload", files=MAX_FILES, mb=f"{lib.max_file_mb:g}", types=" ".join(UPLOAD_TYPES)),
            gr.update(label=t(ui, "url")), gr.update(value=t(ui, "url_add")),
            upload_result_html([("info", t(ui, "upload_idle"))]),
            gr.update(value=t(ui, "replace_yes")), gr.update(value=t(ui, "replace_no")),
            gr.update(label=t(ui, "kb")), kb_html(info, ui),
            gr.update(label=t(ui, "remove_pick"), choices=doc_choices(info)),
            gr.update(value=t(ui, "remove")), gr.update(value=t(ui, "remove_yes")),
            gr.update(value=t(ui, "remove_no")),
            gr.update(label=t(ui, "settings")), gr.update(label=t(ui, "k")),
            gr.update(label=t(ui, "filter_doc"), choices=self.doc_filter_choices(ui, info)),
            gr.update(label=t(ui, "filter_lang"), choices=self.lang_filter_choices(ui)),
            gr.update(label=t(ui, "generative", model=lib.model_name)),
            t(ui, "footer"),
        )


def _checked_k(k: Any) -> int:
    """The API's `k`: a whole number of sources from 1 to MAX_K."""
    if isinstance(k, bool) or not isinstance(k, int | float) or k != int(k) or not 1 <= k <= MAX_K:
        raise gr.Error(html.escape(f"k: must be a whole number of sources from 1 to {MAX_K}, not {k!r}"))
    return int(k)


def _checked_history(history: Any) -> list[tuple[str, str]]:
    """The API's `history`: None or a list of [question, answer] pairs of text."""
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise gr.Error(f"history: must be a list of [question, answer] pairs, not {type(history).__name__}")
    pairs = []
    for i, pair in enumerate(history, start=1):
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise gr.Error(html.escape(f"history: item {i} must be a [question, answer] pair of text, "
                                       f"not {str(pair)[:60]}"))
        pairs.append((pair[0], pair[1]))
    return pairs


def _bot(markdown: str) -> dict:
    return {"role": "assistant", "content": markdown}


def _text(content) -> str:
    """Gradio 6 hands history content over as a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def _plain_messages(history: list[dict] | None) -> list[dict]:
    return [{"role": m.get("role"), "content": _text(m.get("content"))} for m in history or []
            if isinstance(m, dict) and m.get("role") in ("user", "assistant")]


def _history_pairs(history: list[dict]) -> list[tuple[str, str]]:
    """Chat messages -> [(question, answer)] in plain text, for the assistant's follow-up resolution."""
    pairs: list[tuple[str, str]] = []
    question = None
    for message in history:
        text = plain_text(_text(message.get("content")))
        if message.get("role") == "user":
            question = text
        elif question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def _refusal(ui: str, key: str, fields: dict) -> str:
    if key == "too_many":
        return t(ui, key, **fields)
    return t(ui, "refused", name=fields["name"], reason=t(ui, key, **fields))
