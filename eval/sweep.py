"""The abstention trade-off: sweep RAG_ABSTAIN_THRESHOLD over the shipped set and print, per threshold, the share
of answerable questions answered correctly, the false abstentions, and the unanswerable questions refused.
The default threshold is chosen by this sweep: among thresholds (on a 0.01 grid) that keep false abstentions on
answerable questions at or below 5%, take those that refuse the most unanswerable questions, and of these the ones
that still answer the most questions correctly; they form a range, and the default sits in its middle. Check it
on held-out data too (`rag eval --set eval/holdout2.jsonl`, and CMRC 2018 dev, where every question is
answerable and each abstention is a false one).

    .venv/bin/python -m eval.sweep
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from eval.metrics import contains_answer
from rag import Assistant, Settings

QA_SET = Path(__file__).parent / "qa.jsonl"


def main() -> int:
    items = [json.loads(line) for line in QA_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        # Ask once with abstention off; each answer's support score says where it would have abstained.
        kb = Assistant.build(None, index_dir=Path(tmp) / "kb", settings=Settings.from_env(abstain_threshold=-99.0))
        rows = []
        for it in items:
            answer = kb.ask(it["question"], it.get("history"))
            correct = bool(it["answers"]) and contains_answer(answer.text, it["answers"])
            rows.append((bool(it["answers"]), correct, answer.support))
    answerable = [r for r in rows if r[0]]
    unanswerable = [r for r in rows if not r[0]]

    def at(t: float) -> tuple[float, float, float]:
        correct = sum(1 for _, ok, s in answerable if ok and s >= t) / len(answerable)
        false_abstain = sum(1 for _, _, s in answerable if s < t) / len(answerable)
        refused = sum(1 for _, _, s in unanswerable if s < t) / len(unanswerable)
        return correct, false_abstain, refused

    grid = [step / 100 for step in range(0, 81)]
    allowed = [t for t in grid if at(t)[1] <= 0.05]
    most = max(at(t)[2] for t in allowed)
    plateau = [t for t in allowed if at(t)[2] == most]  # every threshold that refuses the most, within 5%
    best = max(at(t)[0] for t in plateau)
    chosen = [t for t in plateau if at(t)[0] == best]  # and of those, the ones that answer the most correctly
    default = Settings.from_env().abstain_threshold
    print("threshold  answerable-correct  false-abstentions  unanswerable-refused")
    for t in sorted({*grid[::5], plateau[0], plateau[-1], chosen[-1], default}):
        correct, false_abstain, refused = at(t)
        mark = "  <- most refused with false abstentions <= 5%" if t in plateau else ""
        mark += ", and most answered" if t in chosen else ""
        mark += "  <- default (RAG_ABSTAIN_THRESHOLD)" if t == default else ""
        print(f"{t:9.2f}  {correct:18.3f}  {false_abstain:17.3f}  {refused:20.3f}{mark}")
    print(f"most unanswerable questions refused with at most 5% false abstentions: {most:.3f}, for thresholds "
          f"{plateau[0]:.2f} to {plateau[-1]:.2f}; of those, {chosen[0]:.2f} to {chosen[-1]:.2f} answer the most "
          f"({best:.3f}): the default should sit in the middle of that range")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
