"""Fit the short-answer span model (rag/span.py) on the dev halves of CMRC 2018 (Chinese) and SQuAD 2.0
(English), and write rag/data/span.json.

Each answerable dev question is paired with the sentence of its paragraph that holds the gold answer; every
candidate span of that sentence is scored by its F1 against the gold answers (SQuAD F1 for English, CMRC's
character F1 for Chinese), and three ways of learning from that (pointwise on the best candidate, pointwise on F1,
a softmax over the sentence's candidates) are compared, each at several C, by 4-fold cross-validation over whole
dev articles; the winner is refitted on all dev questions. The measured halves are scored once, for the report,
never chosen on.

    python -m eval.fit_span                 # prints dev CV and measured figures, writes rag/data/span.json
    python -m eval.fit_span --no-write
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import em_f1
from eval.splits import split_articles
from eval.squad import _article_key, _read
from index.text import detect_lang, split_sentences
from rag.compose import rule_span, slot_span
from rag.judge import Linear
from rag.question import parse_question
from rag.span import FEATURES, SPAN_PATH, candidates, features

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SETS = {"cmrc": SHARED / "datasets" / "cmrc2018_dev.json", "squad2": SHARED / "datasets" / "squad2_dev_subset.json"}
REAL_QA = SHARED / "corpus" / "real_qa.jsonl"
# one model per language of the sentence, each fitted on its sets (the real pages' sentences of either language)
LANG_OF_SET = {"cmrc": "zh", "squad2": "en", "real-zh": "zh", "real-en": "en"}


@dataclass
class Example:
    set: str
    article: str
    split: str
    question: str
    answers: list[str]
    sentence: str
    x: np.ndarray  # (n_spans, n_features)
    f1: np.ndarray  # (n_spans,)
    spans: list[str]
    rule: tuple[float, float]  # (EM, F1) of the typed rules' short answer (or the sentence when they have none)


def examples(name: str, path: Path, limit: int | None = None) -> list[Example]:
    articles = _read(path)
    split_of = split_articles(path.stem, [_article_key(a) for a in articles])
    out = []
    for article in articles:
        key = _article_key(article)
        for paragraph in article.get("paragraphs") or []:
            context = paragraph.get("context") or ""
            sentences = split_sentences(context)
            for qa in paragraph.get("qas") or []:
                if qa.get("is_impossible") or not qa.get("answers"):
                    continue
                first = qa["answers"][0]
                start = first.get("answer_start", -1)
                if not isinstance(start, int) or start < 0:
                    continue
                end = start + len(first["text"])
                sentence = next((context[a:b] for a, b in sentences if a <= start and end <= b), None)
                if not sentence:
                    continue
                answers = list(dict.fromkeys(str(a["text"]).strip() for a in qa["answers"] if a.get("text")))
                lang = detect_lang(qa["question"]) or "en"
                q = parse_question(qa["question"].strip(), lang)
                rule, slot = rule_span(sentence, q), slot_span(sentence, q.searched)
                spans = candidates(sentence, q)
                if not spans:
                    continue
                x = features(sentence, q, spans, rule, slot)
                texts = [sentence[a:b] for a, b in spans]
                f1 = np.array([em_f1(t, answers)[1] for t in texts])
                out.append(Example(name, key, split_of[key], q.text, answers, sentence, x, f1, texts,
                                   em_f1(rule or sentence, answers)))
                if limit and len(out) >= limit:
                    return out
    return out


def real_examples(path: Path = REAL_QA) -> list[Example]:
    """The real pages' answerable fact and cross-lingual questions, each paired with the first sentence of its
    page (in either version) that holds one of its answers verbatim."""
    from eval.metrics import contains_answer
    from eval.splits import real_page_splits
    from index.readers import read_source

    split_of = real_page_splits(path)
    pages: dict[str, list] = {}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if not row or not row["answerable"] or row["kind"] == "meta":
            continue
        if row["file"] not in pages:
            pages[row["file"]] = read_source(path.parent / "real" / row["file"])
        found = next(((article.lang, p.text[a:b]) for article in pages[row["file"]] for p in article.paragraphs
                      for a, b in split_sentences(p.text) if contains_answer(p.text[a:b], row["answers"])), None)
        if not found:
            continue
        lang, sentence = found
        q = parse_question(row["question"], row["lang"])
        answers = [a for a in row["answers"] if contains_answer(sentence, [a])]
        rule, slot = rule_span(sentence, q), slot_span(sentence, q.searched)
        spans = candidates(sentence, q)
        if not spans:
            continue
        texts = [sentence[a:b] for a, b in spans]
        out.append(Example(f"real-{lang}", row["file"], split_of[row["file"]], q.text, answers, sentence,
                           features(sentence, q, spans, rule, slot),
                           np.array([em_f1(t, answers)[1] for t in texts]), texts, em_f1(rule or sentence, answers)))
    return out


def fit(train: list[Example], rule: str = "best", c: float = 1.0) -> Linear:
    """rule "best": a candidate is positive when it has its question's best F1 (above 0); "soft": every
    candidate is positive with weight F1 and negative with weight 1 - F1 (both pointwise logistic regression,
    every question of a set weighing the same however many candidates its sentence has); "list": the candidates
    of one sentence compete in a softmax, trained towards the best-F1 candidates (see `_listwise`)."""
    from eval.fit_judge import _logistic

    if rule == "list":
        return _listwise(train, c)
    x = np.vstack([e.x for e in train])
    w = np.concatenate([np.full(len(e.f1), 1.0 / len(e.f1)) for e in train])
    if rule == "best":
        y = np.concatenate([_best(e) & (e.f1.max() > 0) for e in train]).astype(int)
        return _logistic(x, y, w, c)
    f1 = np.concatenate([e.f1 for e in train])
    keep = np.concatenate([f1 > 0, f1 < 1])
    y = np.concatenate([np.ones(len(f1)), np.zeros(len(f1))]).astype(int)
    return _logistic(np.vstack([x, x])[keep], y[keep], np.concatenate([w * f1, w * (1 - f1)])[keep], c)


def _listwise(train: list[Example], c: float) -> Linear:
    """Softmax over each sentence's candidates (the model only ever picks the argmax within a sentence, so
    this fits what is used), trained towards the best-F1 candidates (`eval.fit_judge.fit_softmax`). A question
    whose candidates all score F1 0 teaches nothing and is left out. The intercept is 0: a softmax does not
    see it."""
    from eval.fit_judge import fit_softmax

    train = [e for e in train if e.f1.max() > 0]
    coef, _ = fit_softmax(np.vstack([e.x for e in train]), np.array([len(e.f1) for e in train]),
                          np.concatenate([_best(e) for e in train]), c)
    return Linear(coef, 0.0)


def _best(e: Example) -> np.ndarray:
    """Which of a question's candidates have its best F1."""
    return e.f1 >= e.f1.max() - 1e-9


def evaluate(model: Linear, test: list[Example]) -> dict[str, dict[str, float]]:
    """Per set: mean EM/F1 of the model's span and of the rules' span, and the oracle (best candidate) F1."""
    out: dict[str, dict[str, list]] = {}
    for e in test:
        pick = int(np.argmax(model(e.x)))
        em, f1 = em_f1(e.spans[pick], e.answers)
        row = out.setdefault(e.set, {k: [] for k in ("em", "f1", "rule_em", "rule_f1", "oracle_f1")})
        row["em"].append(em)
        row["f1"].append(f1)
        row["rule_em"].append(e.rule[0])
        row["rule_f1"].append(e.rule[1])
        row["oracle_f1"].append(e.f1.max())
    return {s: {k: round(100 * float(np.mean(v)), 1) for k, v in row.items()} | {"n": len(row["f1"])}
            for s, row in out.items()}


def cross_validate(dev: list[Example], rule: str, c: float, folds: int = 4) -> dict:
    """Folds by article, whole articles only: a set with one dev article (SQuAD's) is scored by a model that
    never saw it, as a reader's new article would be."""
    units = sorted({(e.set, e.article) for e in dev})
    fold_of = {a: i % folds for i, a in enumerate(units)}
    scored = []
    for k in range(folds):
        train = [e for e in dev if fold_of[e.set, e.article] != k]
        test = [e for e in dev if fold_of[e.set, e.article] == k]
        model = fit(train, rule, c)
        scored += [(e, int(np.argmax(model(e.x)))) for e in test]
    out: dict[str, list] = {}
    for e, pick in scored:
        out.setdefault(e.set, []).append(em_f1(e.spans[pick], e.answers))
    return {s: {"em": round(100 * float(np.mean([v[0] for v in rows])), 1),
                "f1": round(100 * float(np.mean([v[1] for v in rows])), 1), "n": len(rows)}
            for s, rows in out.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-write", action="store_true", help="print the figures, keep rag/data/span.json")
    p.add_argument("--limit", type=int, default=None, help="at most this many questions per set (a quick look)")
    p.add_argument("--out", type=Path, default=SPAN_PATH)
    args = p.parse_args(argv)
    missing = [str(path) for path in SETS.values() if not path.exists()]
    if missing:
        print(f"missing {', '.join(missing)}: the datasets live in ../shared", file=sys.stderr)
        return 2
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("refitting needs scikit-learn: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    every = [e for name, path in SETS.items() for e in examples(name, path, args.limit)]
    every += real_examples() if REAL_QA.exists() else []
    dev = [e for e in every if e.split == "dev"]
    measured = [e for e in every if e.split == "measured"]
    print(f"{len(dev)} dev, {len(measured)} measured questions; {sum(len(e.f1) for e in dev)} dev candidates")
    chosen: dict[str, dict] = {}
    for lang in ("zh", "en"):
        sets = {s for s, v in LANG_OF_SET.items() if v == lang}
        lang_dev = [e for e in dev if e.set in sets]
        variants = [(rule, c) for rule in ("best", "soft") for c in (0.01, 0.1, 1.0)]
        variants += [("list", c) for c in (0.01, 0.03, 0.1, 0.3, 1.0)]
        results = {}
        for rule, c in variants:
            cv = cross_validate(lang_dev, rule, c)
            results[(rule, c)] = cv
            print(f"{lang} dev CV  label={rule:4} C={c:<4}  "
                  + "  ".join(f"{s} EM/F1 {v['em']}/{v['f1']}" for s, v in cv.items()))
        rule, c = max(variants, key=lambda v: np.mean([r["f1"] for r in results[v].values()]))
        model = fit(lang_dev, rule, c)
        print(f"{lang}: chosen label={rule} C={c}")
        for title, part in (("dev (fitted on)", lang_dev),
                            ("MEASURED (never fitted on)", [e for e in measured if e.set in sets])):
            for s, v in evaluate(model, part).items():
                print(f"{title:28} {s:7} n={v['n']:5}  model EM/F1 {v['em']}/{v['f1']}   rules {v['rule_em']}/"
                      f"{v['rule_f1']}   best candidate F1 {v['oracle_f1']}")
        chosen[lang] = {"weights": {n: round(float(w), 6) for n, w in zip(FEATURES, model.coef, strict=True)},
                        "intercept": round(model.intercept, 6), "label": rule, "C": c,
                        "trained_on": sorted(s for s in sets), "questions": len(lang_dev),
                        "dev_cv": {f"{r}/C={cc}": v for (r, cc), v in results.items()}}
    if not args.no_write:
        payload = {
            "model": "linear score over rag/span.py FEATURES of a candidate span of the chosen sentence (logistic "
                     "log-odds for labels 'best'/'soft', softmax logits for 'list'); the highest-scored span is "
                     "the short answer",
            "features": list(FEATURES),
            "languages": chosen,  # the sentence's language picks the model
            "trained_on": "dev split (eval/splits.py); label 'best': the best-F1 candidate; 'soft': F1 as the "
                          "probability; 'list': a softmax over a sentence's candidates; label and C chosen by "
                          "4-fold CV over dev articles",
            "command": "python -m eval.fit_span",
            "date": datetime.date.today().isoformat(),
        }
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
