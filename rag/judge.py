"""Judge the candidates with two models fitted on the development splits (eval/fit_judge.py writes them to
rag/data/judge.json): the sentence model gives each candidate the log-odds that it states the answer; the
abstention model reads the best candidates and gives the log-odds that the question is answered by the sources
at all. Below the fitted threshold the assistant abstains. Either model is a logistic regression (`Linear`) or
gradient-boosted trees (`Trees`); the fit script says which won on the development split."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.card import is_card
from index.text import CJK, numbers_in
from rag.errors import ConfigError
from rag.question import Question, credit_roles
from rag.read import FEATURES, Candidate

log = logging.getLogger(__name__)

JUDGE_PATH = Path(__file__).parent / "data" / "judge.json"


# What the abstention model reads: the sentence model's view of the best candidates, and the best one's features.
ABSTAIN_FEATURES = (
    "top_score", "margin", "top3_mean", "typed_share", "max_passage_sim",
    *(f"best_{name}" for name in ("sim", "best_sim", "sentence_coverage", "focus_coverage", "passage_coverage",
                                  "missing_rare", "names_missing", "chinese_missing", "place_unknown", "typed",
                                  "typed_translation",
                                  "measure_missing", "count_missing", "no_number", "event_other", "event_match",
                                  "no_coverage", "other_language", "unreadable", "new_words", "new_names",
                                  "counted_for_others", "total_for_others", "pairs_others")),
    "kind_number", "kind_date", "kind_who", "kind_place", "kind_name", "kind_none", "meta",
    # what no passage read says: names of the question missing from every one, a place no passage mentions
    "all_names_missing", "all_chinese_missing", "all_place_unknown", "any_typed_event",
)


@dataclass(frozen=True, slots=True)
class Linear:
    """Weights over named features (in the order given), and an intercept: a fitted logistic model."""

    coef: np.ndarray  # (n_features,)
    intercept: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef + self.intercept  # (n,) log-odds


@dataclass(frozen=True, slots=True)
class Trees:
    """Gradient-boosted regression trees over named features: log-odds = init + the sum of one leaf per tree.
    Nodes are stored per tree in flat arrays padded to one length (scikit-learn's layout: a row goes left when
    its feature is <= the node's threshold; a leaf has feature -1 and points to itself)."""

    feature: np.ndarray  # (n_trees, n_nodes) int
    threshold: np.ndarray  # (n_trees, n_nodes)
    left: np.ndarray  # (n_trees, n_nodes) int
    right: np.ndarray  # (n_trees, n_nodes) int
    value: np.ndarray  # (n_trees, n_nodes): leaf values, the learning rate already applied
    init: float
    depth: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32)  # scikit-learn compares float32 features with its thresholds
        trees = np.arange(self.feature.shape[0])[:, None]
        node = np.zeros((self.feature.shape[0], len(x)), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.feature[trees, node]
            go_left = x[np.arange(len(x))[None, :], np.maximum(feature, 0)] <= self.threshold[trees, node]
            node = np.where(feature < 0, node, np.where(go_left, self.left[trees, node], self.right[trees, node]))
        return self.init + self.value[trees, node].sum(axis=0)


Scorer = Linear | Trees


def sentence_matrix(candidates: list[Candidate]) -> np.ndarray:
    """rag/read.py FEATURES of one question's candidates, shape (n_candidates, n_features)."""
    return np.array([c.features for c in candidates], dtype=np.float64).reshape(len(candidates), len(FEATURES))


@dataclass(frozen=True, slots=True)
class JudgeModel:
    sentence: Scorer  # over rag/read.py FEATURES
    answered: Scorer  # over ABSTAIN_FEATURES
    threshold: float  # abstain when the answered log-odds is below it
    source: str
    embedder: str = ""  # the embedder whose cosines the weights were fitted on ("" : not recorded)

    @classmethod
    def load(cls, path: str | Path = JUDGE_PATH) -> JudgeModel:
        return _load(str(path))

    def for_embedder(self, embedder_id: str) -> JudgeModel:
        """This judge for an index built with `embedder_id`. The weights read e5 cosines; another embedder's
        cosines sit on another scale, so its abstention threshold means nothing: the judge still ranks the
        sentences, but refuses only when there is no candidate, until it is refitted with that embedder."""
        if not self.embedder or embedder_id == self.embedder:
            return self
        log.warning("the answer judge (%s) was fitted with %s, not %s: abstention is off; refit it with "
                    "`RAG_EMBEDDINGS=%s python -m eval.fit_judge`", self.source, self.embedder,
                    embedder_id, embedder_id)
        return replace(self, threshold=-math.inf)

    def scores(self, candidates: list[Candidate]) -> np.ndarray:
        """Log-odds that each candidate states the answer, shape (n_candidates,)."""
        if not candidates:
            return np.zeros(0)
        return self.sentence(sentence_matrix(candidates))

    def answered_score(self, ranked: tuple[Candidate, ...], scores: tuple[float, ...]) -> float:
        return float(self.answered(abstain_features(ranked, scores)[None, :])[0])


def abstain_features(ranked: tuple[Candidate, ...], scores: tuple[float, ...]) -> np.ndarray:
    """ABSTAIN_FEATURES of a question's ranked candidates, shape (n,)."""
    best = ranked[0]
    top = np.array(scores[:3])
    f = {"top_score": scores[0], "margin": scores[0] - (scores[1] if len(scores) > 1 else scores[0] - 5.0),
         "top3_mean": float(top.mean()), "typed_share": sum(c.typed for c in ranked[:5]) / min(5, len(ranked)),
         "max_passage_sim": max(c.feature("passage_sim") for c in ranked),
         "all_names_missing": min(c.feature("names_missing") for c in ranked),
         "all_chinese_missing": min(c.feature("chinese_missing") for c in ranked),
         "all_place_unknown": min(c.feature("place_unknown") for c in ranked),
         "any_typed_event": float(any(c.typed and c.feature("event_match") for c in ranked))}
    for name in ABSTAIN_FEATURES:
        if name.startswith("best_"):
            f[name] = best.feature(name[5:])
        elif name not in f:
            f[name] = best.feature(name)
    return np.array([f[name] for name in ABSTAIN_FEATURES], dtype=np.float64)


@lru_cache(maxsize=4)
def _load(path: str) -> JudgeModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        sentence = _scorer(data["sentence"], FEATURES, path)
        answered = _scorer(data["answered"], ABSTAIN_FEATURES, path)
        threshold = float(data["answered"]["threshold"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path}: not a judge model ({e}); refit it with `python -m eval.fit_judge`") from None
    return JudgeModel(sentence, answered, threshold, path, str(data.get("embedder") or ""))


def _scorer(data: dict, names: tuple[str, ...], path: str) -> Scorer:
    missing = [f for f in names if f not in data["features"]]
    if missing:
        raise ConfigError(f"{path}: the model does not read feature(s) {', '.join(missing)}; refit it with "
                          "`python -m eval.fit_judge`")
    if data.get("type", "linear") == "linear":
        weights = dict(zip(data["features"], data["coefficients"], strict=True))
        return Linear(np.array([weights[f] for f in names], dtype=np.float64), float(data["intercept"]))
    if data["type"] != "trees":
        raise ValueError(f"unknown model type {data['type']!r}")
    if list(data["features"]) != list(names):
        raise ValueError("its trees read other features than this version computes")
    trees = data["trees"]
    width = max(len(t["feature"]) for t in trees)

    def pad(key: str, fill: float) -> np.ndarray:
        return np.array([t[key] + [fill] * (width - len(t[key])) for t in trees])

    return Trees(pad("feature", -1).astype(np.int64), pad("threshold", 0.0), pad("left", 0).astype(np.int64),
                 pad("right", 0).astype(np.int64),
                 pad("value", 0.0), float(data["init"]), int(data["depth"]))


@dataclass(frozen=True, slots=True)
class Judgement:
    """The candidates in order of the judge's score, the best one's score, and the decision."""

    ranked: tuple[Candidate, ...]
    scores: tuple[float, ...]  # sentence log-odds, same order as `ranked`
    score: float  # the log-odds that the sources answer the question (-inf when there is no candidate)
    abstain: bool
    chosen: tuple[Candidate, ...]  # the sentences the answer quotes, first the answering one

    @property
    def probability(self) -> float:
        return 0.0 if not self.ranked else 1 / (1 + math.exp(-self.score))


def judge(q: Question, candidates: list[Candidate], model: JudgeModel | None = None,
          shift: float = 0.0) -> Judgement:
    """Score, rank and decide. `shift` moves the fitted threshold (log-odds; above 0 refuses more)."""
    model = model or JudgeModel.load()
    if not candidates:
        return Judgement((), (), -math.inf, True, ())
    raw = model.scores(candidates)
    order = np.argsort(-raw, kind="stable")
    ranked = tuple(candidates[i] for i in order)
    scores = tuple(float(raw[i]) for i in order)
    score = model.answered_score(ranked, scores)
    if q.asks_title and (headline := _headline(q, ranked)):
        return Judgement(ranked, scores, score, False, (headline,))
    if score < model.threshold + shift or q.asks_credit and not _credits(q, ranked[0]):
        return Judgement(ranked, scores, score, True, ())
    return Judgement(ranked, scores, score, False, tuple(_chosen(q, ranked, scores)))


def _credits(q: Question, c: Candidate) -> bool:
    """Whether a sentence can say who held a credit role the question asks about: a credit line ("翻译|盛嘉",
    "Source: …"), a line of a document card, or a sentence (or its translation) that names the role ("记者程景伟
    报道", "our reporter Melody"). A question for a credit role is answered by nothing else: a sentence that
    shares its other words ("final form", "the people of Shaoguan") does not say who reviewed the piece. A rule
    about what the question asks, like the headline's."""
    return (bool(c.feature("credit_line")) or is_card(c.hit.chunk)
            or bool(q.roles & credit_roles(f"{c.quote} {c.translation}")))


def _headline(q: Question, ranked: tuple[Candidate, ...]) -> Candidate | None:
    """For a question that asks for the document's headline: the title line of a document card ("Title: …",
    "英文标题：…") giving it in the version asked about, from the asker's language's card first. None when no
    card read says it; a headline in the other language answers only a question that did not ask for a version.
    This is a rule about what the question asks, not a weight: the judge's fit has no headline question to
    learn from (its title-line weight is fitted on the credit and date questions that title lines do not answer)."""
    def language(line: str) -> str:  # of the headline itself, after its label ("Chinese title: 解码…" is zh)
        return "zh" if CJK.search(re.split(r"[:：]", line, maxsplit=1)[-1]) else "en"

    lines = [c for c in ranked if c.feature("title_line")]
    wanted = [c for c in lines if language(c.quote) == q.asked_lang]
    if not wanted and q.asked_lang != q.lang:
        return None
    pool = wanted or lines
    return next((c for c in pool if c.lang == q.answer_lang), pool[0] if pool else None)


def _chosen(q: Question, ranked: tuple[Candidate, ...], scores: tuple[float, ...]) -> list[Candidate]:
    """The answering sentence, in the reader's language when their version says the same (unless the question asks
    what the other version says: "what is it called in the English version?"), and the sentence that
    completes it: the other version's rendering when only that one has the date or figure, or for a descriptive
    question a second sentence that the sentence model finds as likely to state the answer as not."""
    best = ranked[0]
    chosen = [best]
    if best.lang not in (q.answer_lang, q.asked_lang) and (same := _same_fact_in(q, ranked, best)):
        chosen = same
        best = same[0]
    if q.kind in ("number", "date") and not any(c.typed for c in chosen) and \
            (fuller := _translation_with_kind(ranked, best)):
        chosen.append(fuller)  # "by what year?": the English sentence has no year, its Chinese version does
    elif q.kind is None and len(chosen) == 1:
        second = next((c for c, s in zip(ranked[1:3], scores[1:3], strict=False)
                       if s >= 0.0 and c.quote not in best.quote and best.quote not in c.quote
                       and c.lang == best.lang), None)
        chosen += [second] if second else []
    return chosen


def _same_fact_in(q: Question, ranked: tuple[Candidate, ...], foreign: Candidate) -> list[Candidate]:
    """The sentences in the answer's language, of the foreign one's article, that say what it says: the ones its
    aligned translation is made of, in order and headings left out (when one carries the fact asked for where the
    foreign one does; only those that count or measure what the question names, when it names one), else one
    whose translation holds it, else one that states the same figures."""
    mine = [c for c in ranked if c.lang == q.answer_lang and c.hit.chunk.group == foreign.hit.chunk.group]
    parts = sorted({c.quote: c for c in mine if c.quote and c.quote in foreign.translation}.values(),
                   key=lambda c: foreign.translation.index(c.quote)) if foreign.translation else []
    parts = [c for c in parts if not c.feature("fragment")] or parts  # not the heading aligned with it
    parts = parts or [c for c in mine if _overlaps(c.translation, foreign.quote)][:1]
    if parts:
        typed = [c for c in parts if c.typed]
        if typed and foreign.typed and (q.counted or q.measure):  # the part with "546,000 standard racks"
            return typed
        if typed or not foreign.typed:
            return parts
    figures = {v for _, _, v in numbers_in(foreign.quote)}
    if not figures:
        return []
    return [c for c in mine if figures <= {v for _, _, v in numbers_in(c.quote)}][:1]


def _translation_with_kind(ranked: tuple[Candidate, ...], best: Candidate) -> Candidate | None:
    """The other language's rendering of the chosen sentence, when it holds the date or figure asked for."""
    def renders(c: Candidate) -> bool:
        return _overlaps(c.translation, best.quote) or _overlaps(best.translation, c.quote)

    return next((c for c in ranked if c.lang != best.lang and c.typed and renders(c)), None)


def _overlaps(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    return bool(a and b) and (a in b or b in a)
