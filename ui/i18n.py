"""Every piece of UI text, in English and Chinese. `t(lang, key, **fields)` picks one."""

from __future__ import annotations

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
        "question_placeholder": "e.g. How many standard racks does Shaoguan plan to build?",
        "send": "Ask",
        "clear": "Clear conversation",
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
        "upload": "Upload .txt, .md, .html or .jsonl (at most {files} files, {mb} MB each)",
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
        "removed": "Removed {doc}.",
        "pick_first": "Choose a document to remove first.",
        "indexing": "Indexing",
    },
    "zh": {
        "title": "## 双语新闻问答助手\n可用中文或英文提问。每个回答都注明出处；点击 **[1]** 这样的标记，"
                 "即可查看原文段落及其译文。",
        "chat": "对话",
        "chat_placeholder": "就知识库中的文章提问。",
        "question": "你的问题",
        "question_placeholder": "例如：韶关到深圳的单向时延是多少？",
        "send": "提问",
        "clear": "清空对话",
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
        "upload": "上传 .txt、.md、.html 或 .jsonl 文件（最多 {files} 个，每个不超过 {mb} MB）",
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
        "removed": "已删除 {doc}。",
        "pick_first": "请先选择要删除的文档。",
        "indexing": "正在建立索引",
    },
}

LANG_NAMES = {"en": "English", "zh": "中文"}


def t(lang: str, key: str, **fields: object) -> str:
    """The UI string `key` in `lang` (English when the language is unknown)."""
    text = TEXT.get(lang, TEXT["en"])[key]
    return text.format(**fields) if fields else text


def ui_lang(choice: str | None) -> UiLang:
    """'中文' / 'zh' / 'zh-CN' -> 'zh'; anything else -> 'en'."""
    if not choice:
        return "en"
    return "zh" if UI_LANGS.get(choice, choice).lower().startswith("zh") else "en"
