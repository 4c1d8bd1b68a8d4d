"""The chat page: layout, and the wiring of its events to the handlers in ui/handlers.py."""

from __future__ import annotations

import gradio as gr

from rag import Assistant
from ui import conversation as conv
from ui.handlers import Handlers
from ui.i18n import TOGGLE_LABEL, UI_LANGS, t
from ui.library import MAX_FILES, UPLOAD_TYPES, Library
from ui.sources import doc_choices, kb_html, sources_panel, upload_result_html
from ui.static import BROWSER_LANG_JS, REMEMBER_LANG_JS, STREAMING_OFF_JS, STREAMING_ON_JS

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
ANSWER_LANGS = [("Auto / 自动", "auto"), ("English", "en"), ("中文", "zh")]
STORAGE_KEY = "rag-conversation"
PAST_CHATS_KEY = "rag-past-chats"


def build_page(assistant: Assistant, allow_edits: bool = False) -> gr.Blocks:
    """The whole page around one assistant; queue configured, ready for `launch`. `allow_edits`: readers may
    add and remove articles (the app turns it on with a login or --allow-edits)."""
    library = Library(assistant)
    library.warm_up()
    h = Handlers(library, allow_edits)
    info = library.info()
    settings = assistant.settings
    upload_label = t("en", "upload", files=MAX_FILES, mb=f"{library.max_file_mb:g}", types=" ".join(UPLOAD_TYPES))
    with gr.Blocks(title="Bilingual news assistant · 双语新闻问答") as demo:
        ui_state = gr.State("en")
        secret = library.storage_secret()
        conversation = gr.BrowserState(conv.empty(), storage_key=STORAGE_KEY, secret=secret)
        past = gr.BrowserState({"chats": []}, storage_key=PAST_CHATS_KEY, secret=secret)
        pending = gr.State([])  # uploads waiting for the reader to confirm a replacement
        rated = gr.State(None)  # the turn last rated, for an optional comment
        with gr.Row(equal_height=False, elem_id="header"):
            title = gr.Markdown(t("en", "title"), elem_id="title")
            with gr.Column(scale=0, elem_id="header-tools"):
                ui_toggle = gr.Radio(list(UI_LANGS), value="English", label=TOGGLE_LABEL, elem_id="ui-lang")
                theme = gr.Button(t("en", "theme"), size="sm", elem_id="theme")
        with gr.Row(equal_height=False, elem_id="main"):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(label=t("en", "chat"), elem_id="chat", height=460, latex_delimiters=[],
                                     placeholder=t("en", "chat_placeholder"), buttons=[], editable="user")
                with gr.Row(elem_id="ask-row"):
                    msg = gr.Textbox(label=t("en", "question"), placeholder=t("en", "question_placeholder"),
                                     elem_id="q", scale=5, max_lines=4, autofocus=True, min_width=160)
                    send = gr.Button(t("en", "send"), variant="primary", elem_id="send", scale=1, min_width=70)
                    stop = gr.Button(t("en", "stop"), variant="secondary", elem_id="stop", scale=1, min_width=70)
                    # Phone only (CSS): opens the sources drawer; the page's script handles the click.
                    drawer_open = gr.Button(t("en", "sources"), elem_id="drawer-open", scale=0, min_width=70)
                with gr.Row(visible=False, elem_id="comment-row") as comment_row:
                    comment = gr.Textbox(label=t("en", "feedback_comment"), elem_id="comment", scale=4, max_lines=3)
                    comment_send = gr.Button(t("en", "feedback_send"), elem_id="comment-send", scale=1)
                feedback_status = gr.Markdown("", elem_id="feedback-status")
                with gr.Row():
                    answer_lang = gr.Radio(ANSWER_LANGS, value="auto", label=t("en", "answer_lang"),
                                           elem_id="answer-lang")
                    clear = gr.Button(t("en", "clear"), elem_id="clear", scale=0, min_width=120)
                with gr.Row(visible=False, elem_id="chats-row", equal_height=False) as chats_row:
                    chat_pick = gr.Radio([], value=None, label=t("en", "past_chats"), elem_id="chats", scale=4)
                    with gr.Column(scale=0, min_width=140):
                        chat_open = gr.Button(t("en", "chat_open"), size="sm", elem_id="chat-open")
                        chat_delete = gr.Button(t("en", "chat_delete"), size="sm", variant="stop",
                                                elem_id="chat-delete")
                chat_status = gr.Markdown("", elem_id="chat-status")
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                with gr.Row(elem_id="sources-head", equal_height=True):
                    sources_title = gr.Markdown(f"### {t('en', 'sources')}", elem_id="sources-title")
                    drawer_close = gr.Button(t("en", "close"), size="sm", elem_id="drawer-close", scale=0,
                                             min_width=80)
                sources = gr.HTML(sources_panel([], "en"), elem_id="sources")
        examples = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[[q] for q in EXAMPLES],
                              label=t("en", "examples"), elem_id="examples", samples_per_page=len(EXAMPLES))
        with gr.Accordion(t("en", "add"), open=False, elem_id="add") as add_box:
            edits_note = gr.Markdown("" if allow_edits else t("en", "edits_off"), elem_id="edits-note")
            # No file_types: Gradio's own refusal would be an untranslated toast; the page explains it instead.
            files = gr.UploadButton(t("en", "upload_button"), file_count="multiple", elem_id="upload",
                                    interactive=allow_edits)
            upload_hint = gr.Markdown(upload_label, elem_id="upload-hint")
            with gr.Row(visible=allow_edits):
                url_box = gr.Textbox(label=t("en", "url"), placeholder="https://", elem_id="url", scale=4, max_lines=1)
                url_add = gr.Button(t("en", "url_add"), elem_id="url-add", scale=1, min_width=100)
            upload_status = gr.HTML(upload_result_html([("info", t("en", "upload_idle"))]), elem_id="upload-status")
            with gr.Row(visible=False, elem_id="replace-row") as replace_row:
                replace_yes = gr.Button(t("en", "replace_yes"), elem_id="replace-yes", scale=0, min_width=120)
                replace_no = gr.Button(t("en", "replace_no"), elem_id="replace-no", scale=0, min_width=160)
        with gr.Accordion(t("en", "kb"), open=False, elem_id="kb-box") as kb_box:
            kb = gr.HTML(kb_html(info, "en"), elem_id="kb")
            with gr.Row(visible=allow_edits):
                remove_pick = gr.Dropdown(doc_choices(info), value=None, label=t("en", "remove_pick"),
                                          elem_id="remove-pick", scale=3)
                remove = gr.Button(t("en", "remove"), variant="stop", elem_id="remove", scale=1)
            with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                confirm_text = gr.Markdown("", elem_id="confirm-text")
                remove_yes = gr.Button(t("en", "remove_yes"), variant="stop", elem_id="remove-yes", scale=0,
                                       min_width=140)
                remove_no = gr.Button(t("en", "remove_no"), elem_id="remove-no", scale=0, min_width=100)
            remove_status = gr.HTML("", elem_id="remove-status")
        with gr.Accordion(t("en", "settings"), open=False, elem_id="settings") as settings_box:
            k_slider = gr.Slider(1, 10, value=settings.top_k, step=1, label=t("en", "k"), elem_id="k")
            with gr.Row():
                filter_doc = gr.Dropdown(h.doc_filter_choices("en"), value="", label=t("en", "filter_doc"),
                                         elem_id="filter-doc")
                filter_lang = gr.Radio(h.lang_filter_choices("en"), value="", label=t("en", "filter_lang"),
                                       elem_id="filter-lang")
            generative_box = gr.Checkbox(library.can_generate, label=t("en", "generative", model=library.model_name),
                                         visible=library.can_generate, elem_id="generative")
        footer = gr.Markdown(t("en", "footer"), elem_id="footer")

        chat_inputs = [msg, chatbot, answer_lang, k_slider, generative_box, ui_state, conversation, filter_doc,
                       filter_lang]
        chat_outputs = [msg, chatbot, sources, conversation]
        asking = gr.on([msg.submit, send.click], h.chat, chat_inputs, chat_outputs, api_name="chat",
                       concurrency_limit=CHAT_CONCURRENCY, concurrency_id="chat", show_progress="hidden",
                       trigger_mode="always_last", js=STREAMING_ON_JS)
        asking.then(None, js=STREAMING_OFF_JS)
        again_inputs = [conversation, answer_lang, k_slider, generative_box, ui_state, filter_doc, filter_lang]
        regenerating = chatbot.retry(h.regenerate, again_inputs, chat_outputs, api_name=False,
                                     concurrency_limit=CHAT_CONCURRENCY, concurrency_id="chat", show_progress="hidden",
                                     js=STREAMING_ON_JS)
        regenerating.then(None, js=STREAMING_OFF_JS)
        editing = chatbot.edit(h.edit, again_inputs, chat_outputs, api_name=False, concurrency_limit=CHAT_CONCURRENCY,
                               concurrency_id="chat", show_progress="hidden", js=STREAMING_ON_JS)
        editing.then(None, js=STREAMING_OFF_JS)
        example_run = examples.click(lambda sample: sample[0], examples, msg, api_name=False, queue=False,
                                     show_progress="hidden")
        example_run.then(h.chat, chat_inputs, chat_outputs, api_name=False, concurrency_limit=CHAT_CONCURRENCY,
                         concurrency_id="chat", show_progress="hidden", js=STREAMING_ON_JS
                         ).then(None, js=STREAMING_OFF_JS)
        stop.click(h.stop, [conversation, ui_state], [chatbot, sources, conversation],
                   cancels=[asking, regenerating, editing],
                   api_name=False, queue=False, js=STREAMING_ON_JS).then(None, js=STREAMING_OFF_JS)
        new_chat_outputs = [chatbot, msg, sources, conversation, past, chat_pick, chats_row]
        for starts_afresh in (clear.click, chatbot.clear):
            starts_afresh(h.new_chat, [conversation, past, ui_state], new_chat_outputs, api_name=False, queue=False,
                          show_progress="hidden")
        chat_open.click(h.open_chat, [chat_pick, conversation, past, ui_state],
                        [chatbot, sources, conversation, past, chat_pick, chats_row, chat_status], api_name=False,
                        queue=False, show_progress="hidden")
        chat_delete.click(h.delete_chat, [chat_pick, past, ui_state], [past, chat_pick, chats_row, chat_status],
                          api_name=False, queue=False, show_progress="hidden")
        chatbot.like(h.like, [conversation, ui_state], [comment_row, feedback_status, rated], api_name=False,
                     queue=False, show_progress="hidden")
        comment_send.click(h.comment, [comment, rated, ui_state], [comment_row, comment, feedback_status],
                           api_name=False, queue=False, show_progress="hidden")

        kb_outputs = [kb, remove_pick, filter_doc]
        files.upload(h.upload, [files, ui_state], [upload_status, pending, replace_row, *kb_outputs],
                     api_name="upload", concurrency_limit=1, concurrency_id="index",
                     show_progress_on=[upload_status])
        gr.on([url_box.submit, url_add.click], h.add_url, [url_box, ui_state],
              [upload_status, url_box, pending, replace_row, *kb_outputs],
              api_name="add_url", concurrency_limit=1, concurrency_id="index", show_progress_on=[upload_status])
        replace_yes.click(h.replace, [pending, ui_state], [upload_status, pending, replace_row, *kb_outputs],
                          api_name=False, concurrency_limit=1, concurrency_id="index",
                          show_progress_on=[upload_status])
        replace_no.click(h.keep, [pending, ui_state], [upload_status, pending, replace_row], api_name=False,
                         queue=False)
        remove.click(h.ask_remove, [remove_pick, ui_state], [confirm_row, confirm_text, remove_status],
                     api_name=False, queue=False)
        remove_yes.click(h.remove, [remove_pick, ui_state], [confirm_row, remove_status, *kb_outputs],
                         api_name="remove", concurrency_limit=1, concurrency_id="index")
        remove_no.click(h.cancel_remove, [ui_state], [confirm_row, remove_status], api_name=False, queue=False)

        labelled = [ui_state, ui_toggle, title, theme, chatbot, msg, send, stop, comment, comment_send, answer_lang,
                    clear, chat_pick, chats_row, chat_open, chat_delete, drawer_open, drawer_close, sources_title,
                    sources, examples, add_box, edits_note, files, upload_hint, url_box, url_add, upload_status,
                    replace_yes, replace_no, kb_box, kb, remove_pick, remove, remove_yes, remove_no, settings_box,
                    k_slider, filter_doc, filter_lang, generative_box, footer]
        ui_toggle.input(h.relabel, [ui_toggle, conversation, past], labelled, api_name=False, queue=False,
                        js=REMEMBER_LANG_JS, show_progress="hidden")
        demo.load(h.relabel, [ui_toggle, conversation, past], labelled, js=BROWSER_LANG_JS, api_name=False,
                  queue=False, show_progress="hidden")
        gr.api(h.ask, api_name="ask")
    demo.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE)
    return demo
