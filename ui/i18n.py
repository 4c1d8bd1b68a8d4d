"""Every piece of UI text, in English and Chinese. `t(lang, key, **fields)` picks one; `error_text` renders the
core's errors (RagError and its children) in the interface language."""

from __future__ import annotations

import re
from typing import Literal

UiLang = Literal["en", "zh"]
UI_LANGS = {"English": "en", "中文": "zh"}  # the toggle's choices -> language code
TOGGLE_LABEL = "Interface · 界面语言"  # in both languages, so a reader who can read neither label finds it

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "## Bilingual news assistant\nAsk in English or Chinese. Every answer cites its sources; "
                 "click a marker like **[1]** to see the passage and its translation.",
        "chat": "Conversation",
        "chat_placeholder": "Ask about the articles in the knowledge base.",
        "question": "Your question",
        "question_placeholder": "Ask in English or Chinese",
        "send": "Ask",
        "clear": "New chat",
        "answer_lang": "Answer language",
        "examples": "Example questions",
        "sources": "Sources",
        "sources_empty": "Sources behind each answer appear here.",
        "sources_for": "Sources for",
        "nearest_for": "Nearest passages for",
        "section": "Section: ",
        "quoted": "quoted sentence highlighted",
        "no_counterpart": "No aligned passage in the other language.",
        "not_found": "Not in the sources",
        "nearest": "Nearest passages",
        "error": "Cannot answer",
        "generated": "Worded by the chat model; every cited sentence was checked against its passage.",
        "add": "Add articles",
        "upload": "Add {types} files (at most {files} at a time, {mb} MB each)",
        "upload_idle": "Indexed articles stay in the knowledge base.",
        "kb": "Knowledge base",
        "kb_summary": "{docs} documents · {chunks} chunks (English {en}, 中文 {zh}) · {pairs} aligned pairs",
        "kb_title": "Title",
        "kb_lang": "Language",
        "kb_chunks": "Chunks",
        "kb_id": "Document id",
        "remove_pick": "Document to remove",
        "remove": "Remove document",
        "settings": "Settings",
        "k": "Number of sources",
        "generative": "Generative answers (model: {model})",
        "added": "Added {docs} document(s), {chunks} chunks: {titles}",
        "refused": "Refused {name}: {reason}",
        "unchanged": "Already indexed, unchanged: {name}",
        "duplicate": "Skipped duplicate: {what}",
        "nothing": "Nothing was added.",
        "too_many": "At most {limit} files per upload; refused the other {extra}.",
        "too_big": "{mb:.1f} MB is over the {limit} MB limit",
        "wrong_type": "not a file type the index reads (use {types})",
        "removed": "Removed {doc}.",
        "pick_first": "Choose a document to remove first.",
        "indexing": "Indexing",
        "new_chat": "New chat",
        "stop": "Stop",
        "stopped": "Stopped before the answer was complete.",
        "stopped_mark": "(stopped: the whole answer is shown)",
        "interrupted": "This answer was interrupted; ask again to see it.",
        "theme": "Dark / light",
        "not_found_text": "The sources don't say that.",
        "searched_for": "Searched for",
        "copy": "Copy answer",
        "copied": "Copied",
        "copy_sources": "Sources",
        "original": "original",
        "show_source": "Show in sources",
        "open_full": "Open both languages",
        "translation": "Translation",
        "close": "Close",
        "upload_button": "Choose files to add",
        "url": "Or a web page's address",
        "url_add": "Add page",
        "not_url": "{what} is not a web address (it must start with http:// or https://)",
        "edits_off": "Adding and removing articles is off: start the page with a login (--auth or RAG_UI_AUTH) "
                     "or with --allow-edits.",
        "would_replace": "{name} would replace the existing document “{title}” ({doc}). Replace it?",
        "replace_yes": "Replace",
        "replace_no": "Keep the existing one",
        "kept": "Kept the existing documents; nothing was replaced.",
        "confirm_remove": "Remove “{title}” ({doc}) from the knowledge base? This cannot be undone.{bundled}",
        "bundled_warning": " It is the bundled example article.",
        "remove_yes": "Yes, remove it",
        "remove_no": "Cancel",
        "remove_cancelled": "Nothing was removed.",
        "filter_doc": "Search in",
        "filter_all_docs": "All documents",
        "filter_lang": "Passages in",
        "filter_any_lang": "Both languages",
        "feedback_comment": "What was wrong or right? (optional)",
        "feedback_send": "Send comment",
        "feedback_thanks": "Thank you: your feedback was saved.",
        "footer": "Answers quote the articles in this knowledge base; check each source before relying on it.",
        "error_title": "Cannot answer",
        "bad_field": "{field}: {problem}",
        "past_chats": "Past chats",
        "chat_label": "{title} · {n} question(s)",
        "chat_open": "Open chat",
        "chat_delete": "Delete chat",
        "chat_pick_first": "Choose a past chat first.",
        "chat_deleted": "Deleted the chat “{title}”.",
        "edit_last_only": "Only the last question can be edited; ask a new one instead.",
        "fetching": "Fetching the page",
    },
    "zh": {
        "title": "## 双语新闻问答助手\n可用中文或英文提问。每个回答都注明出处；点击 **[1]** 这样的标记，"
                 "即可查看原文段落及其译文。",
        "chat": "对话",
        "chat_placeholder": "就知识库中的文章提问。",
        "question": "你的问题",
        "question_placeholder": "用中文或英文提问",
        "send": "提问",
        "clear": "新对话",
        "answer_lang": "回答语言",
        "examples": "示例问题",
        "sources": "出处",
        "sources_empty": "每个回答引用的段落会显示在这里。",
        "sources_for": "出处：",
        "nearest_for": "最接近的段落：",
        "section": "小节：",
        "quoted": "引用的句子已高亮",
        "no_counterpart": "另一种语言中没有对应段落。",
        "not_found": "资料中没有答案",
        "nearest": "最接近的段落",
        "error": "无法回答",
        "generated": "由对话模型组织语言；每个引用的句子都已与原文段落核对。",
        "add": "添加文章",
        "upload": "添加 {types} 文件（每次最多 {files} 个，每个不超过 {mb} MB）",
        "upload_idle": "添加的文章会保存在知识库中。",
        "kb": "知识库",
        "kb_summary": "{docs} 篇文档 · {chunks} 个片段（English {en}，中文 {zh}）· {pairs} 对中英对齐段落",
        "kb_title": "标题",
        "kb_lang": "语言",
        "kb_chunks": "片段数",
        "kb_id": "文档 ID",
        "remove_pick": "要删除的文档",
        "remove": "删除文档",
        "settings": "设置",
        "k": "检索段落数",
        "generative": "生成式回答（模型：{model}）",
        "added": "已添加 {docs} 篇文档，{chunks} 个片段：{titles}",
        "refused": "未接受 {name}：{reason}",
        "unchanged": "已在知识库中，未改变：{name}",
        "duplicate": "跳过重复内容：{what}",
        "nothing": "没有添加任何内容。",
        "too_many": "每次最多上传 {limit} 个文件；其余 {extra} 个未接受。",
        "too_big": "{mb:.1f} MB，超过 {limit} MB 的上限",
        "wrong_type": "不是索引能读取的文件类型（请用 {types}）",
        "removed": "已删除 {doc}。",
        "pick_first": "请先选择要删除的文档。",
        "indexing": "正在建立索引",
        "new_chat": "新对话",
        "stop": "停止",
        "stopped": "回答尚未完成就已停止。",
        "stopped_mark": "（已停止：下面是完整回答）",
        "interrupted": "这个回答被中断了；请再问一次。",
        "theme": "深色 / 浅色",
        "not_found_text": "资料中没有提到这一点。",
        "searched_for": "实际检索",
        "copy": "复制回答",
        "copied": "已复制",
        "copy_sources": "出处",
        "original": "原文",
        "show_source": "在出处中查看",
        "open_full": "查看中英对照",
        "translation": "译文",
        "close": "关闭",
        "upload_button": "选择要添加的文件",
        "url": "或输入网页地址",
        "url_add": "添加网页",
        "not_url": "{what} 不是网址（必须以 http:// 或 https:// 开头）",
        "edits_off": "添加和删除文章已关闭：请用登录（--auth 或 RAG_UI_AUTH）或 --allow-edits 启动页面。",
        "would_replace": "{name} 会替换已有文档“{title}”（{doc}）。要替换吗？",
        "replace_yes": "替换",
        "replace_no": "保留已有文档",
        "kept": "已保留原有文档，没有替换任何内容。",
        "confirm_remove": "要从知识库中删除“{title}”（{doc}）吗？此操作无法撤销。{bundled}",
        "bundled_warning": "这是自带的示例文章。",
        "remove_yes": "确认删除",
        "remove_no": "取消",
        "remove_cancelled": "没有删除任何内容。",
        "filter_doc": "检索范围",
        "filter_all_docs": "全部文档",
        "filter_lang": "段落语言",
        "filter_any_lang": "中英文都检索",
        "feedback_comment": "哪里好或不好？（可选）",
        "feedback_send": "发送意见",
        "feedback_thanks": "谢谢，您的反馈已保存。",
        "footer": "回答引用的是本知识库中的文章；使用前请核对每个出处。",
        "error_title": "无法回答",
        "bad_field": "{field}：{problem}",
        "past_chats": "以往的对话",
        "chat_label": "{title} · {n} 个问题",
        "chat_open": "打开对话",
        "chat_delete": "删除对话",
        "chat_pick_first": "请先选择一个以往的对话。",
        "chat_deleted": "已删除对话“{title}”。",
        "edit_last_only": "只能修改最后一个问题；请直接提一个新问题。",
        "fetching": "正在获取网页",
    },
}

LANG_NAMES = {"en": "English", "zh": "中文"}

# The core's error messages in Chinese, keyed by the error's class name: (pattern of the English message, the
# Chinese with the pattern's groups). A SourceError is matched on its reason (the part after "path: "). A message
# no pattern matches keeps its English text: a wrong translation would be worse than none.
ERRORS_ZH: dict[str, list[tuple[str, str]]] = {
    "QuestionError": [
        (r"the question is empty", "问题是空的。"),
        (r"the question is (\d+) characters long; the limit is (\d+)\. Ask about one thing at a time\.",
         "问题有 {0} 个字符，上限是 {1}。请一次只问一件事。"),
        (r"the question is not valid text \(an undecodable character at position (\d+); was it UTF-8\?\)",
         "问题不是有效的文本（第 {0} 个字符无法解码；是 UTF-8 吗？）"),
        (r"k must be from 1 to (\d+), not (.+)", "检索段落数必须在 1 到 {0} 之间，而不是 {1}"),
        (r"this assistant has no index directory to add to", "这个助手没有可以添加文章的索引目录"),
    ],
    "IndexNotFoundError": [
        (r"no index in (.+): build one with `rag index --index (.+)`",
         "{0} 中没有索引：请用 `rag index --index {1}` 建立"),
    ],
    "IndexLockedError": [
        (r"(.+) is being written by another process; try again when it ends",
         "另一个进程正在写入 {0}；请等它结束后再试"),
    ],
    "SourceError": [
        (r"file is empty", "文件是空的"),
        (r"unsupported file type '(.+)' \(use (.+)\)", "不支持的文件类型“{0}”（请用 {1}）"),
        (r"file is ([\d.]+) MB, over the (\d+) MB limit.*", "文件有 {0} MB，超过 {1} MB 的上限"),
        (r"file is over the (\d+) MB limit.*", "文件超过 {0} MB 的上限"),
        (r"no article text found \(only page chrome or headings\)", "没有找到正文（只有页面框架或标题）"),
        (r"looks like a binary file.*", "看起来是二进制文件，不是文本"),
        (r"is not valid UTF-8 .*; re-save it as UTF-8", "不是有效的 UTF-8 文本；请另存为 UTF-8"),
        (r"line (\d+): not valid JSON \((.+)\)", "第 {0} 行：不是有效的 JSON（{1}）"),
        (r"line (\d+): expected a JSON object", "第 {0} 行：应为 JSON 对象"),
        (r"line (\d+): field '(\w+)' is missing or not a non-empty string",
         "第 {0} 行：字段“{1}”缺失或不是非空字符串"),
        (r"line (\d+): field 'lang' must be 'en' or 'zh', not (.+)",
         "第 {0} 行：字段“lang”必须是 'en' 或 'zh'，而不是 {1}"),
        (r"HTTP (\d+) (.*)", "网站返回 HTTP {0} {1}"),
        (r"timed out after ([\d.]+) s \(raise RAG_FETCH_TIMEOUT to wait longer\)",
         "{0} 秒后仍未取到（调大 RAG_FETCH_TIMEOUT 可以多等一会儿）"),
        (r"could not be fetched \((.+)\)", "无法获取（{0}）"),
        (r"is not a web page or document \(Content-Type: (.+)\)", "不是网页或文档（Content-Type：{0}）"),
        (r"page is (?:[\d.]+ MB, )?over the ([\d.]+) MB limit.*",
         "网页超过 {0} MB 的上限（调大 RAG_MAX_FILE_MB 可以放宽）"),
        (r"more than (\d+) redirects", "重定向超过 {0} 次"),
        (r"not a valid URL \((.+)\)", "不是有效的网址（{0}）"),
        (r"redirects to (\S+), and (.+) is a local or private address; only public web pages are fetched "
         r"\(RAG_FETCH_PRIVATE=1 allows this machine's network\)",
         "重定向到 {0}，而 {1} 是本机或内网地址；只获取公开网页（RAG_FETCH_PRIVATE=1 允许访问本机所在的网络）"),
        (r"(.+) is a local or private address; only public web pages are fetched "
         r"\(RAG_FETCH_PRIVATE=1 allows this machine's network\)",
         "{0} 是本机或内网地址；只获取公开网页（RAG_FETCH_PRIVATE=1 允许访问本机所在的网络）"),
        (r"no such document in the index \(see `rag info`\)", "索引中没有这篇文档（见 `rag info`）"),
    ],
}


def t(lang: str, key: str, **fields: object) -> str:
    """The UI string `key` in `lang` (English when the language is unknown)."""
    text = TEXT.get(lang, TEXT["en"])[key]
    return text.format(**fields) if fields else text


def error_text(lang: str, kind: str | None, message: str) -> str:
    """The message of a core error of class `kind` in `lang`: translated when a pattern of ERRORS_ZH matches,
    else the English message as it was. A SourceError's "path: " prefix is kept as it is."""
    if lang != "zh" or not kind:
        return message
    prefix, reason = "", message
    if kind == "SourceError" and ": " in message:
        for cut in (m.start() for m in re.finditer(": ", message)):  # the path itself may hold ": "
            if _translated(kind, message[cut + 2:]) is not None:
                prefix, reason = message[:cut] + "：", message[cut + 2:]
                break
    translated = _translated(kind, reason)
    return prefix + translated if translated is not None else message


def _translated(kind: str, message: str) -> str | None:
    for pattern, chinese in ERRORS_ZH.get(kind, []):
        if m := re.fullmatch(pattern, message.strip(), re.DOTALL):
            return chinese.format(*m.groups())
    return None


def ui_lang(choice: str | None) -> UiLang:
    """'中文' / 'zh' / 'zh-CN' -> 'zh'; anything else -> 'en'."""
    if not choice:
        return "en"
    return "zh" if UI_LANGS.get(choice, choice).lower().startswith("zh") else "en"


def reason_text(lang: str, reason: str) -> str:
    """A SourceError's reason alone (no path) in `lang`, or as it was."""
    return (_translated("SourceError", reason) if lang == "zh" else None) or reason
