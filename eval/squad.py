"""SQuAD v1.1-format datasets (SQuAD, CMRC 2018, ...) as eval items over a temporary index of their contexts.

Each paragraph becomes one document of a JSONL source (`{"id", "title", "text", "lang", "group"}`), so its
chunks are `{doc_id}:p0` (or `{doc_id}:p0.1`, ... when a long paragraph is split) and the gold passage of a
question is any chunk of its paragraph's document. Files whose question ids match are parallel translations:
the paragraphs holding the same question ids share a translation group, and each is the other's gold in the
"any language" retrieval figures. SQuAD 2.0's unanswerable questions (`is_impossible: true`) become items with
no answers in the "unanswerable" category, scored as abstentions (correct when refused). Every item carries
its article's split (`eval.splits.squad_splits`: dev or measured).

    rag eval --squad ../shared/datasets/cmrc2018_dev.json --out out/cmrc-dev
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from eval.splits import split_articles
from index.text import detect_lang
from rag.errors import SourceError


@dataclass(slots=True)
class SquadSet:
    items: list[dict]  # eval items: id, category, lang, question, answers, gold (doc ids, every language), split
    documents: list[dict]  # JSONL rows to index: id, title, text, lang, group
    passages: dict[str, str] = field(default_factory=dict)  # doc id -> context, for gold-passage matching
    files: list[dict] = field(default_factory=list)  # per file: path, lang, paragraphs, questions, ...


def load_squad(paths: list[str | Path]) -> SquadSet:
    """Eval items and documents from SQuAD v1.1-format files (raises SourceError on a malformed file)."""
    out = SquadSet([], [])
    doc_of_question: dict[str, str] = {}  # question id -> doc id of its paragraph, over earlier files
    group_of_doc: dict[str, str] = {}
    seen_text: dict[tuple[str, str], str] = {}  # (title, context) -> doc id: identical paragraphs index once
    prefix_files = len(paths) > 1
    for path in map(Path, paths):
        articles = _read(path)
        lang = _file_lang(articles, path)
        split_of = split_articles(path.stem, [_article_key(a) for a in articles])
        stem = slug(path.stem)
        n_questions = n_paragraphs = n_parallel = 0
        for a_index, article in enumerate(articles):
            title = str(article.get("title") or path.stem)
            split = split_of[_article_key(article)]
            for p_index, paragraph in enumerate(article.get("paragraphs") or []):
                context = paragraph.get("context")
                if not isinstance(context, str) or not context.strip():
                    continue
                pid = str(paragraph.get("id") or f"{a_index}-{p_index}")
                doc_id = slug(f"{stem}-{pid}" if prefix_files else pid)
                while doc_id in out.passages and out.passages[doc_id] != context:
                    doc_id += "-x"  # two paragraphs share an id but not a text
                twin = seen_text.get((title, context))
                qas = [q for q in paragraph.get("qas") or []
                       if q.get("question") and (q.get("answers") or q.get("is_impossible") is True)]
                # A paragraph parallel to one in an earlier file shares that paragraph's translation group.
                earlier = [doc_of_question[qid] for qid in (str(q.get("id")) for q in qas)
                           if qid in doc_of_question]
                if twin is not None:
                    doc_id = twin
                elif doc_id not in out.passages:
                    group = group_of_doc[Counter(earlier).most_common(1)[0][0]] if earlier else doc_id
                    group_of_doc[doc_id] = group
                    out.passages[doc_id] = context
                    out.documents.append({"id": doc_id, "title": title, "text": context, "lang": lang,
                                          "group": group})
                    n_paragraphs += 1
                n_parallel += len(earlier)
                for q in qas:
                    qid = str(q.get("id") or f"{doc_id}-q{len(out.items)}")
                    answers = list(dict.fromkeys(str(a.get("text", "")).strip() for a in q["answers"]))
                    answers = [a for a in answers if a]
                    impossible = q.get("is_impossible") is True
                    if impossible:
                        answers = []  # SQuAD 2.0 keeps the plausible span apart, in `plausible_answers`
                    elif not answers:
                        continue
                    out.items.append({"id": f"{stem}/{qid}" if prefix_files else qid,
                                      "category": "unanswerable" if impossible else lang,
                                      "lang": lang, "question": str(q["question"]).strip(),
                                      "answers": answers, "gold": [] if impossible else [doc_id], "qid": qid,
                                      "doc": doc_id, "article": title, "split": split})
                    doc_of_question.setdefault(qid, doc_id)
                    n_questions += 1
        out.files.append({"path": str(path), "lang": lang, "paragraphs": n_paragraphs,
                          "questions": n_questions, "parallel_questions": n_parallel})
    _link_parallel(out)
    return out


def _link_parallel(out: SquadSet) -> None:
    """Add the parallel paragraphs (same translation group, other files) to each question's gold."""
    group_of = {row["id"]: row["group"] for row in out.documents}
    members: dict[str, list[str]] = {}
    for row in out.documents:
        members.setdefault(row["group"], []).append(row["id"])
    for item in out.items:
        if item["gold"]:
            item["gold"] = list(dict.fromkeys([item["doc"], *members[group_of[item["doc"]]]]))


def _article_key(article: dict) -> str:
    """What `eval.splits.squad_splits` splits by: the title, or the id when there is none."""
    return str(article.get("title") or article.get("id"))


def _read(path: Path) -> list[dict]:
    if not path.exists():
        raise SourceError(str(path), "no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SourceError(str(path), f"not a SQuAD JSON file ({e})") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list) or not all(isinstance(a, dict) for a in articles):
        raise SourceError(str(path), "expected SQuAD v1.1 format: {\"data\": [{\"title\", \"paragraphs\": "
                                     "[{\"context\", \"qas\": [{\"id\", \"question\", \"answers\"}]}]}]}")
    return articles


def _file_lang(articles: list[dict], path: Path) -> str:
    sample = " ".join(p.get("context", "") for a in articles[:20] for p in (a.get("paragraphs") or [])[:2])
    lang = detect_lang(sample)
    if lang is None:
        raise SourceError(str(path), "no English or Chinese text in its contexts")
    return lang


def slug(name: str) -> str:
    """The id the index gives a JSONL document (lower case; runs outside [\\w.-] become '-')."""
    return re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFKC", name).strip().lower()).strip("-.") or "doc"


def write_documents(documents: list[dict], path: Path) -> Path:
    """The documents as a JSONL source file the indexer reads."""
    with path.open("w", encoding="utf-8") as f:
        for row in documents:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
