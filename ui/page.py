"""The chat page: layout, and the handlers that call the assistant and format what it returns."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from rag import Answer, Assistant, RagError
from ui.i18n import TOGGLE_LABEL, UI_LANGS, t, ui_lang
from ui.library import MAX_FILES, UPLOAD_TYPES, Library, check_upload
from ui.render import (
    answer_segments,
    doc_choices,
    error_markdown,
    file_name,
    kb_html,
    md_escape,
    plain_text,
    sources_block,
    sources_panel,
    stream_markdown,
    upload_result_html,
)
from ui.static import BROWSER_LANG_JS

EXAMPLES = [
    "How many standard racks does Shaoguan plan to build?",
    "韶关到深圳的单向时延是多少？",
    "How many AI enterprises does Shenzhen have?",
    "韶关计划建设多少标准机架？",
    "Tell me about Intellifusion.",
    "云天励飞是什么时候上市的？",
]
CHAT_CONCURRENCY = 8  # answers at once; the rest wait in the queue
QUEUE_SIZE = 128
STEP_SECONDS = 0.02  # between streamed updates: an answer finishes rendering within ~0.5 s
MAX_TURNS = 50  # answers whose sources stay in the panel
HISTORY_TURNS = 6  # earlier turns passed to the assistant for follow-ups
ANSWER_LANGS = [("Auto / 自动", "auto"), ("English", "en"), ("中文", "zh")]

Turns = list[tuple[int, Answer]]  # (turn number, answer): the sources panel's memory for one browser session


def build_page(assistant: Assistant) -> gr.Blocks:
    """The whole page around one assistant; queue configured, ready for `launch`."""
    library = Library(assistant)
    library.warm_up()
    info = library.info()
    settings = assistant.settings
    with gr.Blocks(title="Bilingual news assistant · 双语新闻问答") as demo:
        ui_state = gr.State("en")
        turns = gr.State([])
        with gr.Row(equal_height=False):
            title = gr.Markdown(t("en", "title"), elem_id="title")
            ui_toggle = gr.Radio(list(UI_LANGS), value="English", label=TOGGLE_LABEL, elem_id="ui-lang",
                                 scale=0, min_width=220)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label=t("en", "chat"), elem_id="chat", height=460, latex_delimiters=[],
                                     placeholder=t("en", "chat_placeholder"), buttons=["copy"])
                with gr.Row():
                    msg = gr.Textbox(label=t("en", "question"), placeholder=t("en", "question_placeholder"),
                                     elem_id="q", scale=5, max_lines=4, autofocus=True)
                    send = gr.Button(t("en", "send"), variant="primary", elem_id="send", scale=1,
                                     min_width=80)
                with gr.Row():
                    answer_lang = gr.Radio(ANSWER_LANGS, value="auto", label=t("en", "answer_lang"),
                                           elem_id="answer-lang")
                    clear = gr.Button(t("en", "clear"), elem_id="clear", scale=0, min_width=160)
                gr.Examples([[q] for q in EXAMPLES], inputs=[msg], label="Examples · 示例问题",
                            examples_per_page=len(EXAMPLES))
            with gr.Column(scale=2):
                sources_title = gr.Markdown(f"### {t('en', 'sources')}")
                sources = gr.HTML(sources_panel([], "en"), elem_id="sources")
        with gr.Accordion(t("en", "add"), open=False, elem_id="add") as add_box:
            files = gr.File(file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="upload",
                            label=t("en", "upload", files=MAX_FILES, mb=f"{library.max_file_mb:g}"))
            upload_status = gr.HTML(upload_result_html([("info", t("en", "upload_idle"))]),
                                    elem_id="upload-status")
        with gr.Accordion(t("en", "kb"), open=False, elem_id="kb-box") as kb_box:
            kb = gr.HTML(kb_html(info, "en"), elem_id="kb")
            with gr.Row():
                remove_pick = gr.Dropdown(doc_choices(info), value=None, label=t("en", "remove_pick"),
                                          elem_id="remove-pick", scale=3)
                remove = gr.Button(t("en", "remove"), variant="stop", elem_id="remove", scale=1)
        with gr.Accordion(t("en", "settings"), open=False, elem_id="settings") as settings_box:
            k_slider = gr.Slider(1, 10, value=settings.top_k, step=1, label=t("en", "k"), elem_id="k")
            generative_box = gr.Checkbox(library.can_generate, label=t("en", "generative", model=library.model_name),
                                         visible=library.can_generate, elem_id="generative")

        def chat(message: str, history: list[dict], lang: str, k: float, generative: bool, ui: str,
                 answered: Turns) -> Iterator[tuple]:
            """Stream one answer: the question shows at once, then the answer a few words at a time."""
            history = list(history or [])
            answered = list(answered or [])
            question = (message or "").strip()
            if not question:
                yield message, history, _panel(answered, ui), answered
                return
            pairs = _history_pairs(history)[-HISTORY_TURNS:]
            history.append({"role": "user", "content": md_escape(question)})
            yield "", history, gr.skip(), answered
            turn = answered[-1][0] + 1 if answered else 1
            try:
                answer = library.ask(question, pairs, k=int(k), lang=lang or "auto", generative=generative)
            except RagError as e:
                yield "", history + [_bot(error_markdown(str(e), ui))], gr.skip(), answered
                return
            answered = (answered + [(turn, answer)])[-MAX_TURNS:]
            panel = _panel(answered, ui)
            steps = list(stream_markdown(answer_segments(answer, turn, ui)))
            for i, markdown in enumerate(steps):
                # The panel goes with the first words, and again with the last: API callers see only that.
                sources_out = panel if i in (0, len(steps) - 1) else gr.skip()
                yield "", history + [_bot(markdown)], sources_out, answered
                if i < len(steps) - 1:
                    time.sleep(STEP_SECONDS)

        def clear_chat(ui: str) -> tuple:
            return [], "", _panel([], ui), []

        def upload(paths: list[str] | None, ui: str, progress=gr.Progress()) -> tuple:  # noqa: B008 (Gradio's way)
            """Index uploaded files; one result line per outcome."""
            accepted, refusals = check_upload([str(p) for p in paths or []], library.max_file_mb)
            lines = [("refused", _refusal(ui, key, fields)) for key, fields in refusals]
            if accepted:
                progress(0.0, desc=t(ui, "indexing"))
                try:
                    report = library.change(accepted, on_progress=lambda f, m: progress(f, desc=m))
                    lines += _report_lines(report, library.info(), ui)
                except RagError as e:
                    lines.append(("refused", str(e)))
            if not lines:
                lines.append(("info", t(ui, "nothing")))
            info = library.info()
            return None, upload_result_html(lines), kb_html(info, ui), gr.update(choices=doc_choices(info),
                                                                                 value=None)

        def remove_doc(doc_id: str | None, ui: str) -> tuple:
            if not doc_id:
                lines = [("info", t(ui, "pick_first"))]
            else:
                try:
                    report = library.change(remove=[doc_id])
                    lines = [("refused", f"{e.path}: {e.reason}") for e in report.refused] or [
                        ("ok", t(ui, "removed", doc=doc_id))]
                except RagError as e:
                    lines = [("refused", str(e))]
            info = library.info()
            return (upload_result_html(lines), kb_html(info, ui),
                    gr.update(choices=doc_choices(info), value=None))

        def relabel(choice: str, answered: Turns) -> tuple:
            """Every label in the chosen interface language (answers already given keep theirs)."""
            ui = ui_lang(choice)
            info = library.info()
            return (
                ui, gr.update(value=choice), t(ui, "title"),
                gr.update(label=t(ui, "chat"), placeholder=t(ui, "chat_placeholder")),
                gr.update(label=t(ui, "question"), placeholder=t(ui, "question_placeholder")),
                gr.update(value=t(ui, "send")), gr.update(value=t(ui, "clear")),
                gr.update(label=t(ui, "answer_lang")), f"### {t(ui, 'sources')}", _panel(answered or [], ui),
                gr.update(label=t(ui, "add")),
                gr.update(label=t(ui, "upload", files=MAX_FILES, mb=f"{library.max_file_mb:g}")),
                gr.update(label=t(ui, "kb")), kb_html(info, ui),
                gr.update(label=t(ui, "remove_pick"), choices=doc_choices(info)),
                gr.update(value=t(ui, "remove")),
                gr.update(label=t(ui, "settings")), gr.update(label=t(ui, "k")),
                gr.update(label=t(ui, "generative", model=library.model_name)),
            )

        def ask(question: str, history: list[list[str]] | None = None, lang: str = "auto", k: int = 5,
                generative: bool | None = None) -> dict:
            """One answer as a dict (Answer.to_dict()); history is [[question, answer], ...]."""
            try:
                answer = library.ask(question, [tuple(p) for p in history or []], k=int(k), lang=lang,
                                     generative=generative)
            except RagError as e:
                raise gr.Error(str(e)) from e
            return _public(answer.to_dict())

        chat_io = dict(fn=chat, inputs=[msg, chatbot, answer_lang, k_slider, generative_box, ui_state, turns],
                       outputs=[msg, chatbot, sources, turns], concurrency_limit=CHAT_CONCURRENCY,
                       concurrency_id="chat", show_progress="minimal")
        msg.submit(**chat_io, api_name="chat")
        send.click(**chat_io, api_name=False)
        clear.click(clear_chat, [ui_state], [chatbot, msg, sources, turns], api_name=False, queue=False)
        chatbot.clear(clear_chat, [ui_state], [chatbot, msg, sources, turns], api_name=False, queue=False)
        files.upload(upload, [files, ui_state], [files, upload_status, kb, remove_pick], api_name="upload",
                     concurrency_limit=1, concurrency_id="index", show_progress_on=[upload_status])
        remove.click(remove_doc, [remove_pick, ui_state], [upload_status, kb, remove_pick], api_name="remove",
                     concurrency_limit=1, concurrency_id="index")
        labelled = [ui_state, ui_toggle, title, chatbot, msg, send, clear, answer_lang, sources_title,
                    sources, add_box, files, kb_box, kb, remove_pick, remove, settings_box, k_slider, generative_box]
        ui_toggle.input(relabel, [ui_toggle, turns], labelled, api_name=False, queue=False)
        demo.load(lambda choice: relabel(choice, []), [ui_toggle], labelled, js=BROWSER_LANG_JS,
                  api_name=False, queue=False)
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE)
    return demo


def _panel(answered: Turns, ui: str) -> str:
    return sources_panel([sources_block(answer, turn, ui) for turn, answer in answered], ui)


def _public(answer: dict) -> dict:
    """The answer without server file paths: they are nobody's business, and gradio_client would try to
    download any {"path": ...} it sees."""
    for context in answer["contexts"]:
        path = context["metadata"].pop("path", None)
        if path:
            context["metadata"]["file"] = Path(path).name
    return answer


def _bot(markdown: str) -> dict:
    return {"role": "assistant", "content": markdown}


def _text(content) -> str:
    """Gradio 6 hands history content over as a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


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


def _report_lines(report, info: dict, ui: str) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if report.added:
        titles = "; ".join(info["documents"].get(d, {}).get("title", d) for d in report.added)
        added = t(ui, "added", docs=len(report.added), chunks=report.chunks_added, titles=titles)
        lines.append(("ok", added))
    lines += [("refused", t(ui, "refused", name=file_name(e.path), reason=e.reason)) for e in report.refused]
    lines += [("info", t(ui, "unchanged", name=file_name(p))) for p in report.unchanged]
    lines += [("info", t(ui, "duplicate", what=d)) for d in report.duplicates]
    return lines
