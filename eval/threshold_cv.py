"""What an abstention-threshold rule does on articles it was not fitted on: nested cross-validation on the dev split.

For each of the four folds by article (eval/fit_judge.py `article_fold`), the judge is fitted on the other three
folds' questions, each rule picks its threshold from those questions alone, and the held fold is scored with that
model and threshold, as a reader's new article would be. Printed per set: the share of answerable questions
refused (false abstentions) and of the gold-removed and unanswerable questions refused.

Rules compared:
- `in-sample`: the shipped rule (`choose_threshold` on the fitted model's own scores, every set within its limit);
- `out-of-fold R`: `pooled_limit` at rate R on scores from an inner cross-validation over the training folds
  (each training question scored by a model fitted without its article).

    nice -n 10 env RAG_THREADS=1 python -m eval.threshold_cv --work /tmp/fit-judge
    python -m eval.threshold_cv --work /tmp/fit-judge --rates 0.05,0.1

The measured split is never read. Uses the indexes fit_judge keeps under --work (built on the first run).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from eval.fit_judge import (
    FOLDS,
    SHARED,
    Case,
    _answered,
    article_fold,
    choose_threshold,
    fit_models,
    load_cases,
    out_of_fold_scores,
    pooled_limit,
)
from rag.judge import JudgeModel


def nested(dev: list[Case], rates: list[float], kind: str = "linear"
           ) -> tuple[dict[str, list[tuple[Case, bool]]], dict[int, float]]:
    """rule -> (held-out case, refused) for every dev case, each fold scored by a model and a threshold chosen
    without it; and each case's held-out answered log-odds (by id(case))."""
    out: dict[str, list[tuple[Case, bool]]] = defaultdict(list)
    held_scores: dict[int, float] = {}
    for f in range(FOLDS):
        train = [c for c in dev if article_fold(c) != f]
        held = [c for c in dev if article_fold(c) == f]
        if not held or not train:
            continue
        model = JudgeModel(*fit_models(train, kind), 0.0, "fold")
        in_sample = {id(c): _answered(c, model) for c in train if c.answerable}
        inner = out_of_fold_scores(train, kind)
        thresholds = {"in-sample": choose_threshold(train, in_sample)[0]}
        thresholds |= {f"out-of-fold {r:g}": pooled_limit(train, inner, r) for r in rates}
        scores = {id(c): _answered(c, model) for c in held}
        held_scores |= scores
        print(f"fold {f}: {len(train)} fitted on, {len(held)} held; thresholds "
              + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()), flush=True)
        for rule, t in thresholds.items():
            out[rule] += [(c, scores[id(c)] < t) for c in held]
    return out, held_scores


def separation(dev: list[Case], scores: dict[int, float]) -> dict[str, float]:
    """set -> ROC AUC of the held-out answered log-odds, answerable against the rest: how well the judge ranks
    questions of articles it was not fitted on, whatever the threshold."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for name in sorted({c.item.set for c in dev}):
        group = [c for c in dev if c.item.set == name]
        labels = [c.answerable for c in group]
        if 0 < sum(labels) < len(labels):
            out[name] = float(roc_auc_score(labels, [scores[id(c)] for c in group]))
    return out


def table(rows: list[tuple[Case, bool]]) -> dict[str, tuple[float, float]]:
    """set -> (answerable refused, gold-removed and unanswerable refused)."""
    refused: dict[tuple[str, bool], list[bool]] = defaultdict(list)
    for c, r in rows:
        refused[c.item.set, c.answerable].append(r)
    sets = sorted({s for s, _ in refused})
    return {s: (float(np.mean(refused[s, True])) if refused[s, True] else float("nan"),
                float(np.mean(refused[s, False])) if refused[s, False] else float("nan")) for s in sets}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=Path("out/fit-judge"), help="where the eval indexes are kept")
    p.add_argument("--cmrc-articles", type=int, default=150)
    p.add_argument("--sets", default="shipped,real,squad2,cmrc,one-language")
    p.add_argument("--rates", default="0.05,0.075,0.1,0.15", help="pooled false-abstention rates to try")
    p.add_argument("--model", choices=("linear", "trees"), default="linear")
    args = p.parse_args(argv)
    if not SHARED.is_dir():
        print(f"{SHARED} is missing: the real pages and datasets live there", file=sys.stderr)
        return 2
    dev = [c for c in load_cases(args.work, args.sets.split(","), args.cmrc_articles) if c.item.split == "dev"]
    results, scores = nested(dev, [float(r) for r in args.rates.split(",")], args.model)
    auc = separation(dev, scores)
    print("\nheld-out ROC AUC, answerable against the rest: "
          + "  ".join(f"{k} {v:.3f}" for k, v in auc.items()) + f"  | mean {np.mean(list(auc.values())):.3f}")
    print("\nheld-out folds, % refused: answerable (false abstentions) / gold-removed and unanswerable")
    for rule, rows in results.items():
        t = table(rows)
        cells = "  ".join(f"{s} {100 * fa:.1f}/{100 * ref:.1f}" for s, (fa, ref) in t.items())
        print(f"{rule:18} {cells}  | mean {100 * np.nanmean([v[0] for v in t.values()]):.1f}"
              f"/{100 * np.nanmean([v[1] for v in t.values()]):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
