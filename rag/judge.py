"""Judge the candidates: a logistic model fitted on the development splits (eval/fit_judge.py writes its weights
to rag/data/judge.json) gives each sentence the probability that it states the answer; the best one is the
answer unless that probability is below the fitted threshold, in which case the assistant abstains."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.text import numbers_in
from rag.errors import ConfigError
from rag.question import Question
from rag.read import FEATURES, Candidate

JUDGE_PATH = Path(__file__).parent / "data" / "judge.json"


@dataclass(frozen=True, slots=True)
class JudgeModel:
    """Weights over FEATURES (in that order), an intercept, and the log-odds below which to abstain."""

    coef: np.ndarray  # (n_features,)
    intercept: float
    threshold: float
    source: str

    @classmethod
    def load(cls, path: str | Path = JUDGE_PATH) -> JudgeModel:
        return _load(str(path))

    def scores(self, candidates: list[Candidate]) -> np.ndarray:
        """Log-odds that each candidate states the answer, shape (n_candidates,)."""
        if not candidates:
            return np.zeros(0)
        x = np.array([c.features for c in candidates], dtype=np.float64)  # (n_candidates, n_features)
        return x @ self.coef + self.intercept


@lru_cache(maxsize=4)
def _load(path: str) -> JudgeModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights = dict(zip(data["features"], data["coefficients"], strict=True))
        intercept, threshold = float(data["intercept"]), float(data["threshold"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path}: not a judge model ({e}); refit it with `python -m eval.fit_judge`") from None
    missing = [f for f in FEATURES if f not in weights]
    if missing:
        raise ConfigError(f"{path}: no weight for feature(s) {', '.join(missing)}; refit it with "
                          "`python -m eval.fit_judge`")
    return JudgeModel(np.array([weights[f] for f in FEATURES], dtype=np.float64), intercept, threshold, path)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The candidates in order of the judge's score, the best one's score, and the decision."""

    ranked: tuple[Candidate, ...]
    scores: tuple[float, ...]  # log-odds, same order as `ranked`
    score: float  # the best candidate's log-odds (-inf when there is none)
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
    score = scores[0]
    if score < model.threshold + shift:
        return Judgement(ranked, scores, score, True, ())
    return Judgement(ranked, scores, score, False, tuple(_chosen(q, ranked, scores, model.threshold + shift)))


def _chosen(q: Question, ranked: tuple[Candidate, ...], scores: tuple[float, ...], threshold: float) -> list[Candidate]:
    """The answering sentence, in the reader's language when their version says the same, and the sentence that
    completes it: the other version's rendering when only that one has the date or figure, or for a descriptive
    question a second sentence that the judge also accepts."""
    best = ranked[0]
    if best.lang != q.answer_lang and (same := _same_fact_in(ranked, best, q.answer_lang)):
        best = same
    chosen = [best]
    if q.kind in ("number", "date") and not best.typed and (fuller := _translation_with_kind(ranked, best)):
        chosen.append(fuller)  # "by what year?": the English sentence has no year, its Chinese version does
    elif q.kind is None:
        second = next((c for c, s in zip(ranked[1:3], scores[1:3], strict=False)
                       if s >= threshold and c.quote not in best.quote and best.quote not in c.quote
                       and c.lang == best.lang), None)
        chosen += [second] if second else []
    return chosen


def _same_fact_in(ranked: tuple[Candidate, ...], foreign: Candidate, lang: str) -> Candidate | None:
    """The best sentence in `lang` that states the same figures as the foreign one, if any."""
    figures = {v for _, _, v in numbers_in(foreign.quote)}
    if not figures:
        return None
    return next((c for c in ranked if c.lang == lang and figures <= {v for _, _, v in numbers_in(c.quote)}), None)


def _translation_with_kind(ranked: tuple[Candidate, ...], best: Candidate) -> Candidate | None:
    """The other language's rendering of the chosen sentence, when it holds the date or figure asked for."""
    def renders(c: Candidate) -> bool:
        return _overlaps(c.translation, best.quote) or _overlaps(best.translation, c.quote)

    return next((c for c in ranked if c.lang != best.lang and c.typed and renders(c)), None)


def _overlaps(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    return bool(a and b) and (a in b or b in a)
