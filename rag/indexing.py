"""Load the index in service, and update it: plan, then embed what is new, then write a generation.

`update_index` keeps the vectors of unchanged articles (read back from the store), so only new
or changed articles are embedded. What to add, keep, replace and remove is decided in
rag/index_plan.py; how a generation is written, switched and swept is rag/generations.py.
FAISS native format and JSON only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from . import generations, stores
from .chunking import chunk_article, embedding_text, fit_header
from .embedding import Embedder
from .errors import IndexCorruptError, ModelError
from .generations import build_lock, current_generation, rebuild_hint
from .index_manifest import build_manifest, check_compatible, check_readable, chunking_settings
from .index_plan import Decisions, PlannedArticle, UpdatePlan, plan_update
from .settings import Settings
from .store import VectorStore
from .types import Article, Chunk, Rejection

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexedArticle:
    id: str
    title: str
    source: str | None
    published_at: str | None
    url: str | None
    hash: str
    chunks: int
    path: str | None = None


@dataclass(frozen=True)
class BuildReport(Decisions):
    rejected: tuple[Rejection, ...] = ()
    chunks_added: int = 0
    chunks_total: int = 0
    articles_total: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: str | None = None

    @property
    def chunks_per_s(self) -> float:
        return self.chunks_added / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        lines = [
            f"{len(self.added)} added, {len(self.replaced)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.duplicates)} duplicates skipped, {len(self.removed)} removed, {len(self.rejected)} rejected",
            f"{self.chunks_added} chunks embedded in {self.seconds:.1f} s ({self.chunks_per_s:.1f} chunks/s); "
            f"index now holds {self.articles_total} articles, {self.chunks_total} chunks",
        ]
        lines += [f"duplicate: {a} is identical to {b}" for a, b in self.duplicates]
        lines += [f"rejected: {r}" for r in self.rejected]
        return "\n".join(lines)


@dataclass
class Index:
    """One loaded generation."""

    dir: Path
    generation: str
    manifest: dict
    store: VectorStore
    chunks: list[Chunk]
    articles: dict[str, IndexedArticle] = field(default_factory=dict)


# ----------------------------------------------------------------------------- reading


def exists(index_dir: Path) -> bool:
    return current_generation(Path(index_dir)) is not None


def read_manifest(index_dir: Path) -> dict:
    return generations.read_manifest(generations.require_current(index_dir), Path(index_dir))


def load_index(index_dir: Path, embedder_name: str | None = None, verify: bool = True) -> Index:
    """Load the generation in service. Every way the files can be damaged (a torn or extra line,
    a truncated or edited file, a manifest that does not match them) is an IndexCorruptError
    naming the file and the fix; `verify=False` skips only the checksums (fast `rag info`)."""
    index_dir = Path(index_dir)
    gen = generations.require_current(index_dir)
    manifest = generations.read_manifest(gen, index_dir)
    check_readable(manifest, index_dir, embedder_name)
    if verify:
        generations.verify_checksums(gen, manifest, index_dir)
    try:
        store = stores.load(gen, manifest, index_dir, verify=verify)
    except (RuntimeError, OSError) as e:  # FAISS raises RuntimeError on a truncated or foreign file
        raise IndexCorruptError(
            f"{gen / 'index.faiss'} cannot be read by FAISS ({str(e).strip().splitlines()[0][:200]}): "
            f"{rebuild_hint(index_dir)}"
        ) from e
    except IndexCorruptError as e:
        raise IndexCorruptError(f"{gen}: {e}: {rebuild_hint(index_dir)}") from e
    chunks = generations.read_records(gen / "chunks.jsonl", Chunk, index_dir)
    articles = {a.id: a for a in generations.read_records(gen / "articles.jsonl", IndexedArticle, index_dir)}
    problems = []
    if len(chunks) != len(store):
        problems.append(f"{len(chunks)} chunks but {len(store)} vectors")
    if store.dim != manifest["embedder"]["dim"]:
        problems.append(f"vectors of dimension {store.dim} but the manifest says {manifest['embedder']['dim']}")
    if manifest["counts"] != {"articles": len(articles), "chunks": len(chunks)}:
        problems.append(f"{len(articles)} articles and {len(chunks)} chunks but the manifest counts {manifest['counts']}")
    if any(c.article_id not in articles for c in chunks):
        problems.append("chunks of articles that are not listed")
    if problems:
        raise IndexCorruptError(f"{gen}: {'; '.join(problems)}: {rebuild_hint(index_dir)}")
    return Index(dir=index_dir, generation=gen.name, manifest=manifest, store=store, chunks=chunks, articles=articles)


# ----------------------------------------------------------------------------- updating


def update_index(
    index_dir: Path,
    articles: Sequence[Article],
    embedder: Embedder,
    settings: Settings,
    *,
    rebuild: bool = False,
    remove: Iterable[str] = (),
    rejected: Sequence[Rejection] = (),
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
) -> BuildReport:
    """Add new or changed articles (and drop `remove` ids); write a new generation if anything changed.

    The report's seconds count from after the embedder is loaded (loading is not indexing).
    """
    index_dir = Path(index_dir)
    chunking = chunking_settings(settings, embedder)
    t0 = time.perf_counter()
    with build_lock(index_dir, on_wait):
        old = None if rebuild or not exists(index_dir) else load_index(index_dir, verify=True)
        if old is not None:
            check_compatible(old.manifest, embedder, chunking, index_dir)
        plan = plan_update(articles, {a.id: a.hash for a in old.articles.values()} if old else {}, remove)
        if old is not None and not plan.changes_index:
            generations.sweep_leftovers(index_dir, old.generation)  # a killed run's leftovers
            return _report(plan, rejected, old.chunks, old.articles, t0, generation=old.generation)

        chunks, vectors, records = _kept(old, plan.drop, embedder.dim)
        new_chunks, new_records = _chunk(plan.embed, embedder, settings)
        t_embed = time.perf_counter()
        new_vectors = _embed(embedder, new_chunks, progress)
        embed_seconds = time.perf_counter() - t_embed
        vectors = np.vstack([vectors, new_vectors])
        chunks, records = chunks + new_chunks, records | new_records
        store = stores.build(settings.vector_store, embedder.dim, vectors, index_dir)
        manifest = build_manifest(embedder, chunking, list(records.values()), chunks)
        gen = generations.write_generation(index_dir, store, chunks, records.values(), manifest)
        return _report(plan, rejected, chunks, records, t0, generation=gen, chunks_added=len(new_chunks),
                       embed_seconds=embed_seconds)


def _chunk(planned: Sequence[PlannedArticle], embedder: Embedder, settings: Settings,
           ) -> tuple[list[Chunk], dict[str, IndexedArticle]]:
    """The chunks of the articles to embed, and their records."""
    chunks: list[Chunk] = []
    records: dict[str, IndexedArticle] = {}
    for p in planned:
        art = p.article
        cs = fit_header(chunk_article(art, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap),
                        embedder.count_tokens)
        chunks.extend(cs)
        records[art.id] = IndexedArticle(id=art.id, title=art.title, source=art.source, published_at=art.published_at,
                                         url=art.url, hash=p.hash, chunks=len(cs), path=art.path)
    return chunks, records


def _kept(old: Index | None, drop: frozenset[str], dim: int,
          ) -> tuple[list[Chunk], np.ndarray, dict[str, IndexedArticle]]:
    """What the old generation keeps: its rows in their old order with their stored vectors (not
    embedded again), and its article records."""
    if old is None:
        return [], np.zeros((0, dim), np.float32), {}
    keep = [i for i, c in enumerate(old.chunks) if c.article_id not in drop]
    vectors = old.store.vectors()[keep] if keep else np.zeros((0, dim), np.float32)
    return [old.chunks[i] for i in keep], vectors, {k: v for k, v in old.articles.items() if k not in drop}


def _report(plan: UpdatePlan, rejected: Sequence[Rejection], chunks: list[Chunk], records: dict, t0: float,
            **figures) -> BuildReport:
    return BuildReport(**plan.decisions(), rejected=tuple(rejected), chunks_total=len(chunks),
                       articles_total=len(records), seconds=time.perf_counter() - t0, **figures)


def _embed(embedder: Embedder, chunks: list[Chunk], progress: Progress | None, batch: int = 1024) -> np.ndarray:
    if not chunks:
        return np.zeros((0, embedder.dim), np.float32)
    out = []
    if progress:
        progress(0, len(chunks))
    for i in range(0, len(chunks), batch):
        out.append(embedder.embed_documents([embedding_text(c) for c in chunks[i : i + batch]]))
        if progress:
            progress(min(i + batch, len(chunks)), len(chunks))
    vecs = np.vstack(out).astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(vecs).all(axis=1))
    if len(bad):  # a NaN row would poison every search; refuse before anything is written
        raise ModelError(
            f"the embedder {embedder.name!r} returned NaN or infinite vectors for {len(bad)} passage(s), "
            f"first {chunks[bad[0]].id!r}: check the embedder model files (`rag doctor`)"
        )
    return vecs


