"""Fit the answer judge (rag/judge.py) on the development splits and write rag/data/judge.json.

Every question of every set is asked up to the read stage (retrieve -> read: candidate sentences and their
features). A candidate is labelled 1 when its sentence contains a gold answer; an unanswerable question (SQuAD 2.0
`is_impossible`, the sets' own unanswerables) and a question asked with its gold passages removed from the hits
(the rest of its article stays, so the distractors are on topic) have only 0s. A logistic regression over the
dev split's candidates gives the sentence score; the abstention threshold is the highest one that refuses at most
5% of every dev set's answerable questions (2% for CMRC). In-sample scores are optimistic, so the script also
prints what that threshold refuses out of fold (each dev question scored by models fitted without its article).
The measured split is scored with the same judge() and compose() the assistant runs, and printed; it is never
used to fit.

    nice -n 10 env RAG_THREADS=1 python -m eval.fit_judge --work /tmp/fit-judge
    python -m eval.fit_judge --work /tmp/fit-judge --no-write   # refit and print, keep the JSON as it is

Sets: one-language (one version indexed, asked in the other language: the shipped sets over each version of
the bundled article, and the real pages' questions over every real page's English or Chinese version),
../shared/corpus/real (+ real_qa.jsonl and eval/real_more.jsonl, more questions about its dev pages),
../shared/datasets/cmrc2018_dev.json (a sample of articles from each split),
../shared/datasets/squad2_dev_subset.json, eval/qa.jsonl + holdout.jsonl (dev) and holdout2.jsonl (measured)
over the bundled article. Splits come from eval/splits.py. Indexes are kept under --work.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import zlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from eval.metrics import chunk_matches, contains_answer, em_f1, split_statements
from eval.pageset import load_page_sets
from eval.splits import SHIPPED_SPLITS, squad_splits
from eval.squad import load_squad, write_documents
from index.embed import get_embeddings
from rag import Assistant, Settings
from rag.compose import compose
from rag.judge import (
    ABSTAIN_FEATURES,
    JUDGE_PATH,
    JudgeModel,
    Linear,
    Trees,
    abstain_features,
    judge,
    sentence_matrix,
)
from rag.read import FEATURES, Candidate
from rag.retrieve import Filters

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EVAL = Path(__file__).parent
TREE_PARAMS = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.8, "min_samples_leaf": 20}
FALSE_ABSTENTIONS = {"cmrc": 0.02}  # the most answerable dev questions a threshold may refuse, per set
DEFAULT_FALSE_ABSTENTIONS = 0.05
FOLDS = 4  # folds by article for the out-of-fold figures (what the threshold does on articles not fitted on)


@dataclass
class Item:
    set: str
    split: str
    question: str
    answers: list[str]
    history: list = field(default_factory=list)
    gold: object = None  # chunk -> bool: is this one of the question's gold passages
    kind: str = ""
    docs: tuple[str, ...] = ()  # the documents of its article, where the gold passage is


@dataclass
class Case:
    item: Item
    variant: str  # "asked" or "gold-removed"
    question: object
    candidates: list[Candidate]
    labels: np.ndarray

    @property
    def answerable(self) -> bool:
        return bool(self.item.answers) and self.variant == "asked"


# ---------------------------------------------------------------- the sets


REAL_SETS = (SHARED / "corpus" / "real_qa.jsonl", EVAL / "real_more.jsonl")  # the second: dev pages only


def real_rows() -> list[dict]:
    """The questions of both real-page sets, each with its page's split (eval.pageset.load_page_sets)."""
    return load_page_sets(list(REAL_SETS), SHARED / "corpus" / "real")


def real_pages(work: Path) -> tuple[Assistant, list[Item]]:
    kb = _build(sorted((SHARED / "corpus" / "real").glob("*.txt")), work / "real")
    docs_of: dict[str, set[str]] = defaultdict(set)
    for doc_id, info in kb.store.manifest["documents"].items():
        docs_of[Path(info.get("metadata", {}).get("path", "")).name].add(doc_id)
    items = [Item("real", row["split"], row["question"], row["answers"], [], None, row["kind"],
                  tuple(sorted(docs_of[row["file"]]))) for row in real_rows()]
    return kb, items


def shipped(work: Path) -> tuple[Assistant, list[Item]]:
    kb = _build(None, work / "bundled")
    docs = tuple(kb.store.manifest["documents"])
    items = []
    for name, split in SHIPPED_SPLITS.items():
        for row in map(json.loads, (EVAL / name).read_text(encoding="utf-8").splitlines()):
            gold = tuple(row.get("gold") or ())
            items.append(Item("shipped" if name == "qa.jsonl" else name.split(".")[0], split, row["question"],
                              row.get("answers") or [], row.get("history") or [],
                              lambda c, gold=gold: any(chunk_matches(c.chunk_id, g) for g in gold),
                              row.get("category", ""), docs))
    return kb, items


def one_language(work: Path) -> list[tuple[Assistant, list[Item]]]:
    """The shipped dev sets over one version of the bundled article, asked in the other language: evidence only
    a translation can be judged by (the "unreadable" passages)."""
    from index.readers import BUNDLED, read_source

    out = []
    for article in read_source(BUNDLED):
        source = _mkdir(work) / f"bundled-{article.lang}.jsonl"
        text = "\n\n".join(p.text for p in article.paragraphs)
        source.write_text(json.dumps({"id": f"bundled-{article.lang}", "title": article.title, "lang": article.lang,
                                      "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
        kb = _build([source], work / f"bundled-{article.lang}")
        items = []
        for name, split in SHIPPED_SPLITS.items():
            for row in map(json.loads, (EVAL / name).read_text(encoding="utf-8").splitlines()):
                if row.get("lang") not in (None, article.lang) and not row.get("history"):
                    items.append(Item("one-language", split, row["question"], row.get("answers") or [], [], None,
                                      row.get("category", ""), (f"bundled-{article.lang}",)))
        out.append((kb, items))
    return out


def real_one_language(work: Path) -> list[tuple[Assistant, list[Item]]]:
    """The real pages with one version indexed (every page's English in one index, every page's Chinese in
    another), asked the questions written in the other language: evidence only a translation can be judged by,
    from many articles. An answerable question counts only where the indexed version states one of its answers
    (translations on these sites are abridged; a fact only the other version has is neither answerable there nor
    known to be unanswerable). Questions about the page itself are left out (these indexes have no bylines)."""
    from index.readers import read_source

    pages = SHARED / "corpus" / "real"
    rows = real_rows()
    read = {path: read_source(path) for path in sorted(pages.glob("*.txt"))}
    out = []
    for lang in ("en", "zh"):
        texts: dict[str, str] = {}  # page file -> its version in `lang`
        documents = []
        for path, articles in read.items():
            versions = [a for a in articles if a.lang == lang]
            if versions:
                texts[path.name] = "\n\n".join(p.text for a in versions for p in a.paragraphs)
                documents.append({"id": path.stem, "title": versions[0].title, "lang": lang,
                                  "text": texts[path.name]})
        source = _mkdir(work) / f"real-{lang}.jsonl"
        source.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
        kb = _build([source], work / f"real-{lang}")
        items = []
        for row in rows:
            if row["lang"] == lang or row["kind"] == "meta" or row["file"] not in texts:
                continue
            answers = row["answers"]
            if answers and not contains_answer(texts[row["file"]], answers):
                continue
            items.append(Item("one-language", row["split"], row["question"], answers, [], None,
                              row["kind"], (Path(row["file"]).stem,)))
        out.append((kb, items))
    return out


def squad2(work: Path) -> tuple[Assistant, list[Item]]:
    path = SHARED / "datasets" / "squad2_dev_subset.json"
    data = load_squad([path])
    kb = _build([write_documents(data.documents, _mkdir(work) / "squad2.jsonl")], work / "squad2")
    doc_of = {text: doc for doc, text in data.passages.items()}
    splits = squad_splits(path)
    items = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            doc = doc_of.get(paragraph["context"])
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                items.append(Item("squad2", splits[str(article.get("title"))], qa["question"], answers, [],
                                  lambda c, doc=doc: c.doc_id == doc,
                                  "unanswerable" if qa.get("is_impossible") else "answerable", (doc,)))
    return kb, items


def cmrc(work: Path, n_articles: int) -> tuple[Assistant, list[Item]]:
    path = SHARED / "datasets" / "cmrc2018_dev.json"
    data = load_squad([path])
    splits = squad_splits(path)
    title_of = {row["id"]: row["title"] for row in data.documents}
    chosen: dict[str, list[str]] = {"dev": [], "measured": []}
    for row in data.documents:  # the first n articles of each split, in file order
        split = splits.get(row["title"], "dev")  # an untitled article: its title here is the file stem
        if row["title"] not in chosen[split] and len(chosen[split]) < n_articles:
            chosen[split].append(row["title"])
    keep = set(chosen["dev"]) | set(chosen["measured"])
    documents = [row for row in data.documents if row["title"] in keep]
    kb = _build([write_documents(documents, _mkdir(work) / f"cmrc-{n_articles}.jsonl")], work / f"cmrc-{n_articles}")
    items = []
    for it in data.items:
        titles = {title_of[g] for g in it["gold"] if g in title_of}
        if titles & keep:
            gold = set(it["gold"])
            items.append(Item("cmrc", splits.get(next(iter(titles)), "dev"), it["question"], it["answers"], [],
                              lambda c, gold=gold: c.doc_id in gold, "answerable", tuple(sorted(gold))))
    return kb, items


def load_cases(work: Path, sets: list[str], cmrc_articles: int = 150) -> list[Case]:
    """Every question of the named sets (both splits), asked up to the read stage; indexes kept under `work`."""
    loaders = {"shipped": shipped, "real": real_pages, "squad2": squad2, "cmrc": lambda w: cmrc(w, cmrc_articles)}
    cases: list[Case] = []
    for name in sets:
        if name == "one-language":  # the bundled article's versions and the real pages', one indexed at a time
            for kb, items in one_language(work) + real_one_language(work):
                cases += collect(kb, items, name)
            continue
        kb, items = loaders[name](work)
        cases += collect(kb, items, name)
    return cases


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _build(paths, index_dir: Path) -> Assistant:
    if (index_dir / "CURRENT").exists() or (index_dir / "manifest.json").exists():
        try:
            return Assistant.load(index_dir)
        except Exception as e:  # a stale or partial index from an earlier run: build it again
            print(f"rebuilding {index_dir}: {e}", file=sys.stderr)
    return Assistant.build(paths, index_dir=index_dir, progress=True)


# ---------------------------------------------------------------- candidates


def collect(kb: Assistant, items: list[Item], progress: str) -> list[Case]:
    """Each item as asked, and (answerable ones) asked again with its gold passages filtered out of retrieval
    (Filters.exclude_chunks: the rest of the article stays, as on-topic distractors)."""
    from tqdm import tqdm

    chunks_of: dict[str, list] = defaultdict(list)
    for chunk in kb.store.chunks():
        chunks_of[chunk.doc_id].append(chunk)
    cases = []
    for item in tqdm(items, desc=progress, file=sys.stderr, mininterval=10):
        q = kb.analyse(item.question, [tuple(t) for t in item.history])
        if q is None:
            continue
        hits, qvec = kb.retrieve(q, kb.settings.top_k)
        cands = kb.reader.read(q, hits, qvec)
        cases.append(Case(item, "asked", q, cands, _labels(cands, item.answers)))
        if item.answers and item.kind != "meta" and not item.history:
            gold = _gold_chunks(kb, item, chunks_of)
            if not gold:
                continue
            hits, qvec = kb.retrieve(q, kb.settings.top_k, Filters(exclude_chunks=tuple(sorted(gold))))
            cands = [c for c in kb.reader.read(q, hits, qvec) if c.hit.chunk.chunk_id not in gold]
            cases.append(Case(item, "gold-removed", q, cands, np.zeros(len(cands))))
    return cases


def _gold_chunks(kb: Assistant, item: Item, chunks_of: dict[str, list]) -> set[str]:
    """The chunks of the item's article that are its gold passage or state its answer, and their translations."""
    gold = {c.chunk_id for doc in item.docs for c in chunks_of.get(doc, ())
            if (item.gold and item.gold(c)) or contains_answer(c.text, item.answers)}
    for cid in list(gold):
        row = kb.store.row_of(cid)
        gold |= set(kb.store.chunk(row).counterparts) if row is not None else set()
    return gold


def _labels(cands: list[Candidate], answers: list[str]) -> np.ndarray:
    return np.array([float(bool(answers) and contains_answer(c.quote, answers)) for c in cands])


# ---------------------------------------------------------------- fit and score


def fit(cases: list[Case], kind: str = "linear") -> tuple[JudgeModel, dict]:
    """Both models over every dev question (`fit_models`) and the abstention threshold (`choose_threshold`);
    also, what that threshold refuses out of fold (each question scored by models fitted without its article,
    as an article nobody tuned on is scored): in-sample scores are optimistic."""
    sentence, answered = fit_models(cases, kind)
    model = JudgeModel(sentence, answered, 0.0, "fit")
    threshold, limits = choose_threshold(cases, {id(c): _answered(c, model) for c in cases if c.answerable})
    oof = out_of_fold_scores(cases, kind)
    out_of_fold_threshold, _ = choose_threshold(cases, oof)
    data = {"sentence_candidates": sum(len(c.candidates) for c in cases if c.answerable),
            "sentence_positives": int(sum(c.labels.sum() for c in cases if c.answerable)),
            "questions": {f"{s} ({v})": n for (s, v), n in sorted(_groups(cases).items())},
            "per_set_limits": {k: round(v, 4) for k, v in limits.items()},
            "refused_out_of_fold": refused_at(cases, oof, threshold),
            "out_of_fold_threshold": round(out_of_fold_threshold, 4)}
    return JudgeModel(sentence, answered, threshold, "fit"), data


def refused_at(cases: list[Case], answered: dict[int, float], threshold: float) -> dict[str, float]:
    """The share of each set's answerable, gold-removed and unanswerable questions refused at `threshold`."""
    refused: dict[str, list[bool]] = defaultdict(list)
    for c in cases:
        variant = "answerable" if c.answerable else c.variant if c.item.answers else "unanswerable"
        refused[f"{c.item.set} ({variant})"].append(answered[id(c)] < threshold)
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(refused.items())}


def _group(c: Case) -> tuple[str, str]:
    """(set, variant): what the fit weighs the same in total ("asked", "gold-removed" or "unanswerable")."""
    return c.item.set, c.variant if c.item.answers else "unanswerable"


def _groups(cases: list[Case]) -> dict[tuple[str, str], int]:
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for c in cases:
        groups[_group(c)] += 1
    return groups


def fit_models(cases: list[Case], kind: str = "linear") -> tuple[Linear | Trees, Linear | Trees]:
    """The sentence model over the answerable questions' candidates, then the abstention model over every
    question's ranked candidates. Every set and variant weighs the same in total. `kind`: "trees" (gradient
    boosting) or "linear" (logistic regression), for both models."""
    groups = _groups(cases)

    def weight(c: Case) -> float:
        return 1.0 / groups[_group(c)]

    answerable = [c for c in cases if c.answerable and c.candidates]
    learn = _trees if kind == "trees" else _logistic
    if kind == "listwise":
        sentence = _listwise(answerable, weight)
    else:
        x = np.concatenate([sentence_matrix(c.candidates) for c in answerable])
        y = np.concatenate([c.labels for c in answerable])
        w = np.concatenate([np.full(len(c.candidates), weight(c)) for c in answerable])
        sentence = learn(x, y, w)
    provisional = JudgeModel(sentence, Linear(np.zeros(len(ABSTAIN_FEATURES)), 0.0), 0.0, "fit")
    rows, labels, weights = [], [], []
    for c in cases:
        if c.candidates:
            ranked, scores = _ranked(c, provisional)
            rows.append(abstain_features(ranked, scores))
            labels.append(float(c.answerable))
            weights.append(weight(c))
    answered = learn(np.array(rows), np.array(labels), np.array(weights),
                     **({"c": 0.3} if kind != "trees" else {}))
    return sentence, answered


def article_fold(c: Case, folds: int = FOLDS) -> int:
    """The fold of a question's article (its set and first document; a question of no document is its own)."""
    key = f"{c.item.set}|{c.item.docs[0] if c.item.docs else c.item.question}"
    return zlib.crc32(key.encode("utf-8")) % folds


def out_of_fold_scores(cases: list[Case], kind: str = "linear", folds: int = FOLDS) -> dict[int, float]:
    """Each question's answered log-odds under models fitted on the other folds' articles (by id(case))."""
    out: dict[int, float] = {}
    for f in range(folds):
        held = [c for c in cases if article_fold(c, folds) == f]
        if not held:
            continue
        model = JudgeModel(*fit_models([c for c in cases if article_fold(c, folds) != f], kind), 0.0, "fold")
        out.update({id(c): _answered(c, model) for c in held})
    return out


def _answered(c: Case, model: JudgeModel) -> float:
    return model.answered_score(*_ranked(c, model)) if c.candidates else -1e9


MODEL_NAMES = {"linear": "logistic regressions", "trees": "gradient-boosted tree models",
               "listwise": "linear models (the sentence model listwise, a softmax over each question's candidates; "
                           "the answered model a logistic regression)"}


def fit_softmax(x: np.ndarray, sizes: np.ndarray, gold: np.ndarray, c: float = 1.0,
                group_weight: np.ndarray | None = None, maxiter: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """A linear score fitted as a softmax over each group of rows (`sizes`: consecutive rows per group): minimise
    C * the (weighted) sum over groups of the cross-entropy against a target spread evenly over the group's `gold`
    rows, plus half the squared weights, on standardised features (scipy's L-BFGS). Every group needs a gold row.
    Returns the weights folded back onto the raw features, and the features' means (a softmax sees no intercept;
    the caller picks one). The judge's sentence model and the span model are both fitted this way."""
    from scipy.optimize import minimize

    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mu) / sd
    starts = np.cumsum(sizes) - sizes
    gold = gold.astype(float)
    target = gold / np.repeat(np.add.reduceat(gold, starts), sizes)
    row = np.ones(len(x)) if group_weight is None else \
        np.repeat(group_weight * len(group_weight) / group_weight.sum(), sizes)  # each group's weight, mean 1

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w
        top = np.repeat(np.maximum.reduceat(s, starts), sizes)
        e = np.exp(s - top)
        total = np.add.reduceat(e, starts)
        log_p = s - top - np.repeat(np.log(total), sizes)
        p = e / np.repeat(total, sizes)
        value = -c * float((row * target) @ log_p) + 0.5 * float(w @ w)
        return value, c * (z.T @ (row * (p - target))) + w

    w = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": maxiter}).x
    return w / sd, mu


def _listwise(cases: list[Case], weight, c: float = 1.0) -> Linear:
    """The sentence model as a softmax over each question's candidates (the judge only ever takes the best one,
    so this fits what is used), every question weighted as `weight` says (`fit_softmax`). A question with no
    candidate that states the answer teaches nothing and is left out; the intercept centres the scores."""
    cases = [c for c in cases if c.labels.any()]
    coef, mu = fit_softmax(np.concatenate([sentence_matrix(c.candidates) for c in cases]),
                           np.array([len(c.candidates) for c in cases]),
                           np.concatenate([c.labels for c in cases]), c,
                           np.array([weight(c) for c in cases]), maxiter=3000)
    return Linear(coef, float(-coef @ mu))


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float = 1.0) -> Linear:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    w = w * len(w) / w.sum()
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(x), y, sample_weight=w)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coef = model.coef_[0] / scale  # folded back onto the raw features: score = x @ coef + intercept
    return Linear(coef, float(model.intercept_[0] - (model.coef_[0] * scaler.mean_ / scale).sum()))


def _trees(x: np.ndarray, y: np.ndarray, w: np.ndarray, **params) -> Trees:
    """Gradient-boosted trees (scikit-learn), exported as flat node arrays; checked against scikit-learn's own
    decision function so what ships scores exactly as what was fitted."""
    from sklearn.ensemble import GradientBoostingClassifier

    params = {**TREE_PARAMS, **params}
    w = w * len(w) / w.sum()
    model = GradientBoostingClassifier(random_state=0, **params).fit(x, y, sample_weight=w)
    rate = model.learning_rate
    nodes = [est[0].tree_ for est in model.estimators_]
    width = max(t.node_count for t in nodes)

    def pad(values, fill):
        return np.array([np.concatenate([v, np.full(width - len(v), fill)]) for v in values])

    leaf = [t.children_left < 0 for t in nodes]
    trees = Trees(
        pad([np.where(lf, -1, t.feature) for t, lf in zip(nodes, leaf, strict=True)], -1).astype(np.int64),
        pad([t.threshold for t in nodes], 0.0),
        pad([np.where(lf, np.arange(t.node_count), t.children_left) for t, lf in zip(nodes, leaf, strict=True)],
            0).astype(np.int64),
        pad([np.where(lf, np.arange(t.node_count), t.children_right) for t, lf in zip(nodes, leaf, strict=True)],
            0).astype(np.int64),
        pad([rate * t.value[:, 0, 0] for t in nodes], 0.0), 0.0, int(params["max_depth"]))
    # the prior's log-odds: what the decision function adds to the trees' sum, the same for every row
    trees = replace(trees, init=float(model.decision_function(x[:1])[0] - trees(x[:1])[0]))
    sample = x[: min(len(x), 2000)]
    drift = np.abs(trees(sample) - model.decision_function(sample)).max()
    assert drift < 1e-6, f"exported trees differ from scikit-learn's by {drift}"
    return trees


def _ranked(c: Case, model: JudgeModel):
    raw = model.scores(c.candidates)
    order = np.argsort(-raw, kind="stable")
    return tuple(c.candidates[i] for i in order), tuple(float(raw[i]) for i in order)


def choose_threshold(cases: list[Case], answered: dict[int, float]) -> tuple[float, dict]:
    """The highest threshold that refuses at most 5% (CMRC: 2%) of every set's answerable questions, given each
    question's answered log-odds (by id(case)). Also reported: the threshold that refuses 5% of them pooled,
    every set weighing the same (a looser rule)."""
    best = _answerable_scores(cases, answered)
    # unrounded: a threshold rounded up past the score that set it would refuse that question too
    limits = {name: float(np.quantile(v, FALSE_ABSTENTIONS.get(name, DEFAULT_FALSE_ABSTENTIONS), method="lower"))
              for name, v in best.items() if v}
    limits["pooled"] = _pooled(best, DEFAULT_FALSE_ABSTENTIONS)
    return min(v for k, v in limits.items() if k != "pooled"), limits


def pooled_limit(cases: list[Case], answered: dict[int, float], rate: float = DEFAULT_FALSE_ABSTENTIONS) -> float:
    """The highest threshold that refuses at most `rate` of the answerable questions pooled, every set weighing
    the same (given each question's answered log-odds, by id(case))."""
    return _pooled(_answerable_scores(cases, answered), rate)


def _pooled(best: dict[str, list[float]], rate: float) -> float:
    scores = np.concatenate([np.array(v) for v in best.values()])
    weights = np.concatenate([np.full(len(v), 1.0 / (len(v) * len(best))) for v in best.values()])
    order = np.argsort(scores)
    refused = np.cumsum(weights[order])  # weighted share refused when the threshold sits just above each score
    return float(scores[order][int(np.searchsorted(refused, rate))])


def _answerable_scores(cases: list[Case], answered: dict[int, float]) -> dict[str, list[float]]:
    best: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        if c.answerable:
            best[c.item.set].append(answered[id(c)])
    return best


def score(cases: list[Case], model: JudgeModel) -> dict[tuple[str, str, str], dict]:
    """Per (set, split, variant): correct, false abstentions, refusals, EM/F1, through judge() and compose()."""
    rows: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for c in cases:
        answer = compose(c.question, judge(c.question, c.candidates, model), (), lambda chunk: None)
        if c.answerable:
            plain = answer.text
            correct = not answer.abstained and contains_answer(f"{plain} {answer.short or ''}", c.item.answers)
            statements = split_statements(plain)
            prediction = "" if answer.abstained else (answer.short or (statements[0][0] if statements else plain))
            em, f1 = em_f1(prediction, c.item.answers)
        else:
            correct, em, f1 = answer.abstained, None, None
        key = (c.item.set, c.item.split, c.variant if c.item.answers else "unanswerable")
        rows[key].append({"correct": correct, "abstained": answer.abstained, "em": em, "f1": f1,
                          "kind": c.item.kind, "answerable": c.answerable})
    out = {}
    for key, rs in sorted(rows.items()):
        ans = [r for r in rs if r["answerable"]]
        out[key] = {"n": len(rs), "correct": _mean(r["correct"] for r in rs),
                    "abstained": _mean(r["abstained"] for r in rs),
                    "em": _mean(r["em"] for r in ans), "f1": _mean(r["f1"] for r in ans)}
        for kind in sorted({r["kind"] for r in rs if r["kind"] in ("crosslingual", "meta", "fact")}):
            out[key][kind] = _mean(r["correct"] for r in rs if r["kind"] == kind)
    return out


def _weights(names, model: Linear | Trees) -> dict:
    if isinstance(model, Linear):
        return {"type": "linear", "features": list(names), "coefficients": [round(float(v), 6) for v in model.coef],
                "intercept": round(model.intercept, 6)}
    trees = [{"feature": f.tolist(), "threshold": t.tolist(), "left": lo.tolist(), "right": hi.tolist(),
              "value": v.tolist()}
             for f, t, lo, hi, v in zip(model.feature, model.threshold, model.left, model.right, model.value,
                                        strict=True)]
    return {"type": "trees", "features": list(names), "init": model.init, "depth": model.depth, "trees": trees}


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def print_scores(title: str, table: dict) -> None:
    print(f"\n{title}\n{'set':10} {'split':9} {'variant':13} {'n':>5} {'correct':>8} {'abstain':>8} {'EM':>6} {'F1':>6}"
          "  by kind")
    for (name, split, variant), r in table.items():
        kinds = " ".join(f"{k}={r[k]:.3f}" for k in ("fact", "crosslingual", "meta") if r.get(k) is not None)
        print(f"{name:10} {split:9} {variant:13} {r['n']:5d} {r['correct']:8.3f} {r['abstained']:8.3f} "
              f"{_fmt(r['em'])} {_fmt(r['f1'])}  {kinds}")


def _fmt(v) -> str:
    return f"{100 * v:6.1f}" if v is not None else "     -"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=Path("out/fit-judge"), help="where the eval indexes are kept")
    p.add_argument("--cmrc-articles", type=int, default=150, help="CMRC articles indexed from each split")
    p.add_argument("--sets", default="shipped,real,squad2,cmrc,one-language",
                   help="comma-separated sets to use (the shipped fit's by default)")
    p.add_argument("--model", choices=("linear", "trees", "listwise"), default="linear",
                   help="logistic regressions (shipped: they won on the dev split) or gradient-boosted trees")
    p.add_argument("--no-write", action="store_true", help="print the scores, keep rag/data/judge.json as it is")
    p.add_argument("--out", type=Path, default=JUDGE_PATH, help="where to write the model")
    args = p.parse_args(argv)
    if not SHARED.is_dir():
        print(f"{SHARED} is missing: the real pages and datasets live there", file=sys.stderr)
        return 2
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("refitting needs scikit-learn: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    cases = load_cases(args.work, args.sets.split(","), args.cmrc_articles)
    dev = [c for c in cases if c.item.split == "dev"]
    measured = [c for c in cases if c.item.split == "measured"]
    model, data = fit(dev, args.model)
    print_scores("DEV split (fitted on)", score(dev, model))
    print_scores("MEASURED split (never fitted on)", score(measured, model))
    print(f"\nthreshold {model.threshold:.4f} (per-set limits {json.dumps(data['per_set_limits'])})")
    print(f"refused at it out of fold ({FOLDS} folds by article): {json.dumps(data['refused_out_of_fold'])}")
    print(f"the same rule on out-of-fold scores would give {data['out_of_fold_threshold']:.4f}")
    pooled = JudgeModel(model.sentence, model.answered, data["per_set_limits"]["pooled"], "pooled")
    print_scores(f"MEASURED split with the pooled threshold {pooled.threshold:.4f} (not shipped)",
                 score(measured, pooled))
    reach = [c for c in measured if c.answerable]
    print(f"measured answerable questions with a correct sentence among the candidates: "
          f"{_mean(c.labels.any() for c in reach)} of {len(reach)}")
    if not args.no_write:
        payload = {
            "model": f"two {MODEL_NAMES[args.model]}. "
                     "sentence: a candidate sentence's score (log-odds that it states the answer; listwise: a "
                     "softmax logit over the question's candidates), over rag/read.py FEATURES. answered: "
                     "log-odds that the question is answered, over rag/judge.py ABSTAIN_FEATURES; abstain below "
                     "its threshold",
            "sentence": _weights(FEATURES, model.sentence),
            "answered": {**_weights(ABSTAIN_FEATURES, model.answered), "threshold": model.threshold,
                         "threshold_rule": "highest threshold refusing at most 5% of every dev set's answerable "
                                           "questions (2% for CMRC)"},
            "trained_on": {"split": "dev (eval/splits.py)", **data, "cmrc_articles_per_split": args.cmrc_articles,
                           "label": "sentence: contains a gold answer; answered: the question is answerable "
                                    "(SQuAD 2.0 is_impossible, the sets' unanswerables and gold-removed asks are not)"},
            "embedder": get_embeddings(Settings.from_env().embeddings).model_id,  # the cosines it was fitted on
            "command": f"nice -n 10 env RAG_THREADS=1 python -m eval.fit_judge --work /tmp/fit-judge "
                       f"--cmrc-articles {args.cmrc_articles} --sets {args.sets} --model {args.model}",
            "date": datetime.date.today().isoformat(),
        }
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
