"""Build, update and load the on-disk index: crash-safe generations switched atomically.

    index_dir/
      CURRENT                 name of the generation in service (replaced with os.replace)
      gen-<time>-<pid>/       index.faiss, chunks.jsonl (line i = FAISS row i),
                              articles.jsonl, manifest.json (checksums, models, settings)

A build writes a whole new generation, fsyncs it, then switches CURRENT. A build killed at any
point leaves the previous generation in service; its half-written folder is swept by the next
build. Updates keep the vectors of unchanged articles (read back from FAISS), so only new or
changed articles are embedded. FAISS native format and JSON only.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .articles import content_hash
from .chunking import HEADER_TOKEN_ALLOWANCE, chunk_article, chunk_header, embedding_text
from .embedding import Embedder
from .files import sha256_file
from .errors import (IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError, ModelError,
                     SettingsError)
from .settings import Settings
from . import stores
from .store import VectorStore
from .types import Article, Chunk, Rejection

FORMAT = 1
SPLITTER = "blingfire-sentences/v1"
HEADER = "title|source|date/v1"
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
class BuildReport:
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (skipped id, id of the identical article kept)
    removed: tuple[str, ...] = ()
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


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (Path(index_dir) / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    gen = Path(index_dir) / name
    return gen if name and (gen / "manifest.json").exists() else None


def exists(index_dir: Path) -> bool:
    return current_generation(Path(index_dir)) is not None


def rebuild_hint(index_dir: Path) -> str:
    """The command that fixes a damaged or mismatched index, naming the folder (copied as written
    it must rebuild this index, not the default one)."""
    return f"run `rag index --rebuild PATH... --index {index_dir}`"


def read_manifest(index_dir: Path) -> dict:
    gen = current_generation(Path(index_dir))
    if gen is None:
        raise IndexMissingError(
            f"no index at {index_dir}: build one with `rag index PATH... --index {index_dir}`"
        )
    return _read_manifest(gen, Path(index_dir))


def _read_manifest(gen: Path, index_dir: Path) -> dict:
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        manifest["embedder"]["name"], manifest["embedder"]["dim"], manifest["checksums"], manifest["counts"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise IndexCorruptError(f"{gen}/manifest.json is unreadable ({_reason(e)}): {rebuild_hint(index_dir)}") from e
    return manifest


def _reason(e: Exception) -> str:
    return f"{type(e).__name__}: {e}" if isinstance(e, (KeyError, TypeError)) else str(e)


def load_index(index_dir: Path, embedder_name: str | None = None, verify: bool = True) -> Index:
    """Load the generation in service. Every way the files can be damaged (a torn or extra line,
    a truncated or edited file, a manifest that does not match them) is an IndexCorruptError
    naming the file and the fix; `verify=False` skips only the checksums (fast `rag info`)."""
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexMissingError(
            f"no index at {index_dir}: build one with `rag index PATH... --index {index_dir}`"
        )
    manifest = _read_manifest(gen, index_dir)
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(
            f"{index_dir} has index format {manifest.get('format')}, this version reads {FORMAT}: "
            f"{rebuild_hint(index_dir)}"
        )
    built_with = manifest["embedder"]["name"]
    if embedder_name is not None and built_with != embedder_name:
        raise IndexMismatchError(_embedder_mismatch(index_dir, manifest["embedder"], embedder_name))
    if verify:
        for fname, want in manifest["checksums"].items():
            try:
                got = sha256_file(gen / fname)
            except OSError as e:
                raise IndexCorruptError(f"{gen / fname} cannot be read ({e}): {rebuild_hint(index_dir)}") from e
            if got != want:
                raise IndexCorruptError(
                    f"{gen / fname} fails its checksum (damaged or edited): {rebuild_hint(index_dir)}"
                )
    try:
        store = stores.load(gen, manifest, index_dir, verify=verify)
    except (RuntimeError, OSError) as e:  # FAISS raises RuntimeError on a truncated or foreign file
        raise IndexCorruptError(
            f"{gen / 'index.faiss'} cannot be read by FAISS ({str(e).strip().splitlines()[0][:200]}): "
            f"{rebuild_hint(index_dir)}"
        ) from e
    except IndexCorruptError as e:
        raise IndexCorruptError(f"{gen}: {e}: {rebuild_hint(index_dir)}") from e
    chunks = _read_jsonl(gen / "chunks.jsonl", Chunk, index_dir)
    articles = {a.id: a for a in _read_jsonl(gen / "articles.jsonl", IndexedArticle, index_dir)}
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


def _read_jsonl(path: Path, cls, index_dir: Path) -> list:
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise IndexCorruptError(f"{path} cannot be read ({e}): {rebuild_hint(index_dir)}") from e
    # Split on "\n" only: str.splitlines() also splits on U+2028, U+0085 and other characters that
    # json.dumps(ensure_ascii=False) writes raw inside a string, which would tear a record in two.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        try:
            out.append(cls(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as e:
            raise IndexCorruptError(
                f"{path} line {n} is damaged ({type(e).__name__}: {e}): {rebuild_hint(index_dir)}"
            ) from e
    if text and not text.endswith("\n"):
        raise IndexCorruptError(f"{path} ends in a torn line (the file was cut short): {rebuild_hint(index_dir)}")
    return out


# ----------------------------------------------------------------------------- writing


@contextlib.contextmanager
def build_lock(index_dir: Path, on_wait: Callable[[], None] | None = None):
    """One writer per index folder at a time (CLI and page uploads may race): a second writer
    waits for the first (told through `on_wait`), then updates what the first one wrote."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    if settings.chunk_tokens + HEADER_TOKEN_ALLOWANCE > embedder.max_tokens:
        raise SettingsError(
            f"chunk_tokens={settings.chunk_tokens} plus a {HEADER_TOKEN_ALLOWANCE}-token header exceeds "
            f"the embedder's max_seq_length {embedder.max_tokens}: lower RAG_CHUNK_TOKENS"
        )
    chunking = {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
                "splitter": SPLITTER, "header": HEADER}
    t0 = time.perf_counter()
    with build_lock(index_dir, on_wait):
        old = None if rebuild or not exists(index_dir) else load_index(index_dir, verify=True)
        if old is not None:
            _check_compatible(old, embedder, chunking, index_dir)
        old_articles = dict(old.articles) if old else {}
        by_hash = {a.hash: a.id for a in old_articles.values()}
        removed = [i for i in dict.fromkeys(remove) if i in old_articles]
        drop = set(removed)
        added, replaced, unchanged, duplicates, new = [], [], [], [], []
        seen_ids: set[str] = set()
        for art in articles:
            art = _storable(art)
            h = content_hash(art)
            if art.id in seen_ids:
                duplicates.append((art.id, art.id))
                continue
            prev = old_articles.get(art.id)
            if prev is not None and prev.hash == h and art.id not in drop:
                unchanged.append(art.id)
            elif h in by_hash and by_hash[h] != art.id and by_hash[h] not in drop:
                duplicates.append((art.id, by_hash[h]))
                continue
            else:
                (replaced if prev is not None else added).append(art.id)
                if prev is not None:
                    drop.add(art.id)
                new.append((art, h))
            seen_ids.add(art.id)
            by_hash[h] = art.id
        if old is not None and not new and not removed:
            _sweep(index_dir, keep={old.generation, _previous(index_dir, old.generation)})  # a killed run's leftovers
            return BuildReport(
                unchanged=tuple(unchanged), duplicates=tuple(duplicates), rejected=tuple(rejected),
                chunks_total=len(old.chunks), articles_total=len(old.articles),
                seconds=time.perf_counter() - t0, generation=old.generation,
            )

        # Rows kept from the old generation, in their old order, with their stored vectors.
        keep = [i for i, c in enumerate(old.chunks) if c.article_id not in drop] if old else []
        kept_chunks = [old.chunks[i] for i in keep] if old else []
        kept_vecs = old.store.vectors()[keep] if old and keep else np.zeros((0, embedder.dim), np.float32)
        new_chunks: list[Chunk] = []
        new_records: dict[str, IndexedArticle] = {}
        for art, h in new:
            cs = _fit_header(chunk_article(art, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap),
                             embedder.count_tokens)
            new_chunks.extend(cs)
            new_records[art.id] = IndexedArticle(
                id=art.id, title=art.title, source=art.source, published_at=art.published_at,
                url=art.url, hash=h, chunks=len(cs), path=art.path,
            )
        t_embed = time.perf_counter()
        new_vecs = _embed(embedder, new_chunks, progress)
        embed_seconds = time.perf_counter() - t_embed

        records = {k: v for k, v in old_articles.items() if k not in drop}
        records.update(new_records)
        chunks = kept_chunks + new_chunks
        store = stores.build(settings.vector_store, embedder.dim,
                             np.vstack([kept_vecs, new_vecs]) if len(kept_vecs) else new_vecs, index_dir)
        manifest = _manifest(embedder, chunking, records, chunks)
        gen = _write_generation(index_dir, store, chunks, records, manifest)
        return BuildReport(
            added=tuple(added), replaced=tuple(replaced), unchanged=tuple(unchanged),
            duplicates=tuple(duplicates), removed=tuple(removed), rejected=tuple(rejected),
            chunks_added=len(new_chunks), chunks_total=len(chunks), articles_total=len(records),
            seconds=time.perf_counter() - t0, embed_seconds=embed_seconds, generation=gen,
        )


def _fit_header(chunks: list[Chunk], count: Callable[[str], int]) -> list[Chunk]:
    """A title (then an outlet) too long for the header's token allowance is shortened in the
    chunks (with "…"), so header + chunk never pass the embedder's limit (it would silently cut
    the chunk's end)."""
    from dataclasses import replace

    def fits(c: Chunk) -> bool:
        return count(chunk_header(c)) <= HEADER_TOKEN_ALLOWANCE

    if not chunks or fits(chunks[0]):
        return chunks
    first = chunks[0]
    for field_ in ("title", "source"):
        value = getattr(first, field_) or ""
        lo, hi = 0, len(value)  # the longest prefix that fits: binary search on characters
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(replace(first, **{field_: value[:mid].rstrip() + "…"})):
                lo = mid
            else:
                hi = mid - 1
        first = replace(first, **{field_: value[:lo].rstrip() + "…"}) if value else first
        if fits(first):
            break
    return [replace(c, title=first.title, source=first.source) for c in chunks]


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _storable(art: Article) -> Article:
    """Lone surrogates (from a Python caller; the file loaders never make them) cannot be written
    as UTF-8: each becomes U+FFFD, one character for one, so chunk offsets stay true. Title and
    outlet reach the prompt as the passage's header: chat-template control strings are removed
    from them here (the text keeps its own and is cleaned when a prompt is built)."""
    from dataclasses import replace

    from .prompts import strip_special_tokens

    fields = {f: getattr(art, f) for f in ("id", "title", "text", "source", "published_at", "url", "caption", "path")}
    new = {f: _SURROGATES.sub("\ufffd", v) for f, v in fields.items() if isinstance(v, str) and _SURROGATES.search(v)}
    for f in ("title", "source"):
        v = new.get(f, fields[f])
        if isinstance(v, str) and strip_special_tokens(v) != v:
            new[f] = " ".join(strip_special_tokens(v).split())
    return replace(art, **new) if new else art


def _embedder_mismatch(index_dir: Path, built: dict, asked: str) -> str:
    """The message for an index whose vectors came from another embedder, or the same model at
    another precision (its name carries `@bf16`, rag/embedding.py)."""
    model, _, precision = built["name"].partition("@")
    asked_model, _, asked_precision = asked.partition("@")
    built_p, asked_p = built.get("precision") or precision or "fp32", asked_precision or "fp32"
    if model == asked_model and built_p != asked_p:
        return (f"index {index_dir} was built with embedder precision {built_p}, settings ask for {asked_p}: "
                f"set RAG_EMBED_PRECISION={built_p} or {rebuild_hint(index_dir)}")
    return (f"index {index_dir} was built with embedder {built['name']!r}, settings ask for {asked!r}: "
            f"{rebuild_hint(index_dir)} or set RAG_EMBEDDER to match")


def _check_compatible(old: Index, embedder: Embedder, chunking: dict, index_dir: Path) -> None:
    m = old.manifest
    if m["embedder"]["name"] != embedder.name or m["embedder"]["dim"] != embedder.dim:
        raise IndexMismatchError(_embedder_mismatch(index_dir, m["embedder"], embedder.name))
    if m["chunking"] != chunking:
        raise IndexMismatchError(
            f"index {index_dir} was built with chunking {m['chunking']}, settings ask for {chunking}: "
            f"{rebuild_hint(index_dir)}"
        )


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


def _manifest(embedder: Embedder, chunking: dict, records: dict[str, IndexedArticle], chunks: list[Chunk]) -> dict:
    dates = sorted(a.published_at[:10] for a in records.values() if a.published_at)
    return {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "embedder": {"name": embedder.name, "dim": embedder.dim, "max_tokens": embedder.max_tokens,
                     "precision": getattr(embedder, "precision", "fp32")},
        "chunking": chunking,
        "counts": {"articles": len(records), "chunks": len(chunks)},
        "date_range": [dates[0], dates[-1]] if dates else None,
        "sources": sorted({a.source for a in records.values() if a.source}),
        "versions": _versions(),
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("newsqa", "faiss-cpu", "sentence-transformers", "blingfire"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _write_generation(index_dir: Path, store: VectorStore, chunks: list[Chunk],
                      records: dict[str, IndexedArticle], manifest: dict) -> str:
    """Write a generation and switch CURRENT to it. A failed write (disk full, read-only folder)
    removes the unfinished folder and is one IndexWriteError; the previous generation stays."""
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.perf_counter_ns() % 10**6:06d}"
    gen = index_dir / name
    previous = current_generation(index_dir)
    try:
        gen.mkdir(parents=True)
        _fill_generation(index_dir, gen, store, chunks, records, manifest)
    except (OSError, RuntimeError) as e:  # FAISS reports a failed write as RuntimeError
        shutil.rmtree(gen, ignore_errors=True)
        with contextlib.suppress(OSError):
            (index_dir / "CURRENT.tmp").unlink()
        reason = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else str(e).strip().splitlines()[-1]
        raise IndexWriteError(
            f"cannot write the new index generation in {index_dir} ({reason}): nothing was changed and "
            f"the previous index is still in service; free some disk space and run the command again"
        ) from e
    _sweep(index_dir, keep={name, previous.name if previous else ""})
    return name


def _fill_generation(index_dir: Path, gen: Path, store: VectorStore, chunks: list[Chunk],
                     records: dict[str, IndexedArticle], manifest: dict) -> None:
    name = gen.name
    store_entry, store_files = stores.save(store, gen)
    _write_text(gen / "chunks.jsonl", "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks))
    _write_text(gen / "articles.jsonl", "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in records.values()))
    for f in store_files:
        _fsync(gen / f)
    manifest = dict(manifest, generation=name, store=store_entry, checksums={
        f: sha256_file(gen / f) for f in (*store_files, "chunks.jsonl", "articles.jsonl")})
    # The manifest is written last, whole or not at all: a generation without one was never finished.
    _write_text(gen / "manifest.json.tmp", json.dumps(manifest, indent=2))
    os.replace(gen / "manifest.json.tmp", gen / "manifest.json")
    _fsync_dir(gen)
    tmp = index_dir / "CURRENT.tmp"
    _write_text(tmp, name + "\n")
    os.replace(tmp, index_dir / "CURRENT")
    with contextlib.suppress(OSError):  # the switch is done; a failed directory fsync changes nothing
        _fsync_dir(index_dir)


def _sweep(index_dir: Path, keep: set[str]) -> None:
    """Delete generations other than the current and the previous one (readers may hold it), and
    whatever a killed build or sweep left. A folder is first renamed out of the `gen-*` names
    (atomic), so a sweep killed half-way never leaves a half-deleted folder that looks finished."""
    for p in sorted(index_dir.glob("gen-*")):
        if p.is_dir() and p.name not in keep:
            trash = index_dir / ("trash-" + p.name)
            stores.release(p, index_dir)
            try:
                os.replace(p, trash)
            except OSError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
    for p in index_dir.glob("trash-*"):
        shutil.rmtree(p, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (index_dir / "CURRENT.tmp").unlink()


def _previous(index_dir: Path, current: str) -> str:
    """The newest finished generation older than `current` (the one readers may still hold); a
    killed build's finished-but-never-switched folder is newer, so it is not kept."""
    def finished(p: Path) -> int:
        return (p / "manifest.json").stat().st_mtime_ns

    now = finished(index_dir / current)
    done = [(finished(p), p.name) for p in index_dir.glob("gen-*")
            if p.name != current and (p / "manifest.json").exists() and finished(p) <= now]
    return max(done)[1] if done else ""


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)

