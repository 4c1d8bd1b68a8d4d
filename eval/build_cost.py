"""Build throughput of the chunk vectors: mean of sentence vectors alone, and with the chunk text embedded whole.

    RAG_THREADS=1 .venv/bin/python -m eval.build_cost --chunks 200

Embeds the first `--chunks` chunks of the real pages with no embedding cache (every text goes to the model),
once per vector kind, and prints passages per second. Run it on a quiet machine: the figure is CPU time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from index.build import embed_chunks, index_sources
from index.embed import get_embeddings
from index.store import Store
from rag.settings import Settings

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--pages", type=Path, default=REAL)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    embedder = get_embeddings(settings.embeddings, settings.threads)
    with tempfile.TemporaryDirectory() as tmp:
        index_sources([args.pages], Path(tmp) / "kb", cache_dir=settings.cache_dir or None, threads=settings.threads)
        chunks = Store.load(Path(tmp) / "kb").chunks()[: args.chunks]
    embedder.encode_passages(["warm up"])
    for name, whole in (("mean of sentences", 0.0), ("mean + whole chunk", 0.5)):
        start = time.perf_counter()
        embed_chunks(embedder, chunks, None, whole_weight=whole)
        seconds = time.perf_counter() - start
        print(f"{name:<20} {len(chunks)} chunks in {seconds:6.1f} s: {len(chunks) / seconds:5.1f} passages/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
