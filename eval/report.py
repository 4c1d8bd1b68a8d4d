"""Presenting an eval run: the console table, report.json, report.md, a per-category chart, results.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

# (column title, summary key, kind): "%" rates print as percentages, "n" as integers, "ms"/"ch" as numbers.
ANSWER_COLUMNS = [
    ("n", "n", "n"), ("acc", "accuracy", "%"), ("EM", "em", "%"), ("F1", "f1", "%"),
    ("cite-R", "citation_recall", "%"), ("cite-P", "citation_precision", "%"),
    ("abst-P", "abstain_precision", "%"), ("refused", "abstain_recall", "%"), ("false-abst", "false_abstain", "%"),
    ("abst", "abstained", "%"),
    ("lang", "language_match", "%"), ("len", "length", "ch"), ("p50ms", "latency_p50_ms", "ms"),
    ("p95ms", "latency_p95_ms", "ms"),
]
RETRIEVAL_COLUMNS = [
    ("hit@1 same", "hit1_same", "%"), ("hit@1 any", "hit1_any", "%"), ("hit@5 same", "hit5_same", "%"),
    ("hit@5 any", "hit5_any", "%"), ("MRR same", "mrr_same", "%"), ("MRR any", "mrr_any", "%"),
    ("nDCG@10 same", "ndcg10_same", "%"), ("nDCG@10 any", "ndcg10_any", "%"),
]
CHART_KEYS = [("accuracy", "accuracy"), ("F1", "f1"), ("hit@5 any", "hit5_any"),
              ("citation recall", "citation_recall")]
RATIO_KEYS = [("accuracy", "accuracy"), ("F1", "f1"), ("hit@1 any", "hit1_any"), ("hit@5 any", "hit5_any"),
              ("MRR any", "mrr_any"), ("citation recall", "citation_recall")]


def cell(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "%":
        return f"{100 * value:.1f}"
    if kind == "n":
        return str(int(value))
    return f"{value:.0f}"


def rows(summaries: dict[str, dict[str, dict]], columns) -> list[list[str]]:
    """One row per (category, system), categories in summary order, systems side by side."""
    systems = list(summaries)
    categories = list(next(iter(summaries.values())))
    return [[category, system, *(cell(summaries[system][category].get(key), kind)
                                 for _, key, kind in columns)]
            for category in categories for system in systems]


def format_table(summaries: dict[str, dict[str, dict]]) -> str:
    """The console table: answers, then retrieval; rates in percent."""
    blocks = []
    for title, columns in (("Answers (%)", ANSWER_COLUMNS), ("Retrieval (%)", RETRIEVAL_COLUMNS)):
        header = ["category", "system", *(c[0] for c in columns)]
        body = rows(summaries, columns)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [title, "  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in
                                  enumerate(zip(header, widths, strict=True)))]
        lines += ["  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in
                            enumerate(zip(r, widths, strict=True))) for r in body]
        blocks.append("\n".join(lines))
    ratio = format_ratios(summaries)
    return "\n\n".join(blocks + ([ratio] if ratio else []))


def format_ratios(summaries: dict[str, dict[str, dict]]) -> str:
    """'assistant / langchain' on the overall figures, when a baseline ran."""
    if len(summaries) < 2:
        return ""
    (main, a), (base, b) = list(summaries.items())[:2]
    parts = []
    for title, key in RATIO_KEYS:
        x, y = a["overall"].get(key), b["overall"].get(key)
        if x is None or y is None:
            continue
        parts.append(f"{title} {100 * x:.1f} vs {100 * y:.1f} ({f'x{x / y:.2f}' if y else 'n/a'})")
    return f"{main} vs {base}, overall: " + "; ".join(parts)


def markdown(summaries: dict[str, dict[str, dict]], config: dict) -> str:
    lines = ["# QA benchmark", "", "```", json.dumps(config, ensure_ascii=False, indent=1), "```", ""]
    for title, columns in (("Answers (%)", ANSWER_COLUMNS), ("Retrieval (%)", RETRIEVAL_COLUMNS)):
        header = ["category", "system", *(c[0] for c in columns)]
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join(["---"] * 2 + ["---:"] * len(columns)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows(summaries, columns)]
        lines.append("")
    ratio = format_ratios(summaries)
    if ratio:
        lines += [ratio, ""]
    return "\n".join(lines)


def write_chart(summaries: dict[str, dict[str, dict]], path: Path) -> None:
    """Grouped bars per category: accuracy, F1, hit@5 and citation recall; one colour per figure, the second
    system (the baseline) hatched beside the first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(summaries)
    categories = list(next(iter(summaries.values())))
    colours = plt.get_cmap("tab10").colors
    bars = [(s, i, title, key) for i, (title, key) in enumerate(CHART_KEYS) for s in systems]
    width = 0.84 / len(bars)
    fig, ax = plt.subplots(figsize=(11, 4.8))
    for b, (system, i, title, key) in enumerate(bars):
        values = [100 * (summaries[system][c].get(key) or 0) for c in categories]
        xs = [j + (b - (len(bars) - 1) / 2) * width for j in range(len(categories))]
        first = system == systems[0]
        ax.bar(xs, values, width, color=colours[i], alpha=1.0 if first else 0.45, hatch=None if first else "//",
               edgecolor="white" if first else colours[i], label=f"{title} ({system})")
    ax.set_xticks(range(len(categories)), categories)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("Scores per category" + (f": {systems[0]} (solid) vs {systems[1]} (hatched)"
                                          if len(systems) > 1 else ""))
    ax.legend(fontsize=7, ncol=len(CHART_KEYS), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(out_dir: Path, summaries: dict[str, dict[str, dict]], results: list[dict],
                  config: dict) -> None:
    """report.json, report.md, chart.png and results.jsonl (failures first) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps({"config": config, "summary": summaries},
                                                    ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(summaries, config), encoding="utf-8")
    write_chart(summaries, out_dir / "chart.png")
    ordered = sorted(results, key=lambda r: r["correct"])  # failures first; stable, so set order within
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in ordered:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
