"""The index on disk: crash-safe generations, one in service, switched atomically.

    index_dir/
      CURRENT                 name of the generation in service (replaced with os.replace)
      .lock                   the writer lock (one build at a time)
      gen-<time>-<pid>-<n>/   index.faiss, chunks.jsonl (line i = FAISS row i),
                              articles.jsonl, manifest.json (checksums, models, settings)

A build writes a whole new generation, fsyncs it, then switches CURRENT. A build killed at any
point leaves the previous generation in service; its half-written folder is swept by the next
build. A generation without manifest.json was never finished and is never served.

Every file write, fsync and checksum goes through `rag.files` (called through the module, not
imported by name), so that a test can fail or kill the build at each step.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable

from . import files, stores
from .errors import IndexCorruptError, IndexMissingError, IndexWriteError
from .store import VectorStore

CURRENT = "CURRENT"


def current_generation(index_dir: Path) -> Path | None:
    """The folder of the generation in service, or None (no index, or CURRENT names no finished one)."""
    try:
        name = (Path(index_dir) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    gen = Path(index_dir) / name
    return gen if name and (gen / "manifest.json").exists() else None


def require_current(index_dir: Path) -> Path:
    gen = current_generation(Path(index_dir))
    if gen is None:
        raise IndexMissingError(f"no index at {index_dir}: build one with `rag index PATH... --index {index_dir}`")
    return gen


def rebuild_hint(index_dir: Path) -> str:
    """The command that fixes a damaged or mismatched index, naming the folder (copied as written
    it must rebuild this index, not the default one)."""
    return f"run `rag index --rebuild PATH... --index {index_dir}`"


# ----------------------------------------------------------------------------- reading


def read_manifest(gen: Path, index_dir: Path) -> dict:
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        manifest["embedder"]["name"], manifest["embedder"]["dim"], manifest["checksums"], manifest["counts"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise IndexCorruptError(f"{gen}/manifest.json is unreadable ({_reason(e)}): {rebuild_hint(index_dir)}") from e
    return manifest


def _reason(e: Exception) -> str:
    return f"{type(e).__name__}: {e}" if isinstance(e, (KeyError, TypeError)) else str(e)


def verify_checksums(gen: Path, manifest: dict, index_dir: Path) -> None:
    """Every file the manifest lists has the SHA-256 it had when written (a damaged or edited
    file is an IndexCorruptError naming it and the fix)."""
    for fname, want in manifest["checksums"].items():
        try:
            got = files.sha256_file(gen / fname)
        except OSError as e:
            raise IndexCorruptError(f"{gen / fname} cannot be read ({e}): {rebuild_hint(index_dir)}") from e
        if got != want:
            raise IndexCorruptError(f"{gen / fname} fails its checksum (damaged or edited): {rebuild_hint(index_dir)}")


def read_records(path: Path, cls, index_dir: Path) -> list:
    """The records of a JSONL file of a generation, one `cls(**record)` a line; a torn or
    damaged line is an IndexCorruptError naming the file, the line and the fix."""
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


def _jsonl(records: Iterable) -> str:
    return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)


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


def write_generation(index_dir: Path, store: VectorStore, chunks: Iterable, articles: Iterable, manifest: dict) -> str:
    """Write a generation (chunk and article records are dataclasses) and switch CURRENT to it;
    return its name. A failed write (disk full, read-only folder) removes the unfinished folder
    and is one IndexWriteError; the previous generation stays. Call it holding `build_lock`."""
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.perf_counter_ns() % 10**6:06d}"
    gen = index_dir / name
    previous = current_generation(index_dir)
    try:
        gen.mkdir(parents=True)
        _fill_generation(index_dir, gen, store, chunks, articles, manifest)
    except (OSError, RuntimeError) as e:  # FAISS reports a failed write as RuntimeError
        shutil.rmtree(gen, ignore_errors=True)
        reason = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else str(e).strip().splitlines()[-1]
        raise IndexWriteError(
            f"cannot write the new index generation in {index_dir} ({reason}): nothing was changed and "
            f"the previous index is still in service; free some disk space and run the command again"
        ) from e
    sweep(index_dir, keep={name, previous.name if previous else ""})
    return name


def _fill_generation(index_dir: Path, gen: Path, store: VectorStore, chunks: Iterable, articles: Iterable,
                     manifest: dict) -> None:
    store_entry, store_files = stores.save(store, gen)
    files.write_synced(gen / "chunks.jsonl", _jsonl(chunks))
    files.write_synced(gen / "articles.jsonl", _jsonl(articles))
    for f in store_files:
        files.fsync_path(gen / f)
    manifest = dict(manifest, generation=gen.name, store=store_entry, checksums={
        f: files.sha256_file(gen / f) for f in (*store_files, "chunks.jsonl", "articles.jsonl")})
    # The manifest is written last, whole or not at all: a generation without one was never finished.
    files.atomic_write_text(gen / "manifest.json", json.dumps(manifest, indent=2), fsync=True,
                            tmp=gen / "manifest.json.tmp")
    files.fsync_path(gen)
    files.atomic_write_text(index_dir / CURRENT, gen.name + "\n", fsync=True, tmp=index_dir / "CURRENT.tmp")
    with contextlib.suppress(OSError):  # the switch is done; a failed directory fsync changes nothing
        files.fsync_path(index_dir)


def sweep(index_dir: Path, keep: set[str]) -> None:
    """Delete generations other than those in `keep`, and whatever a killed build or sweep left.
    A folder is first renamed out of the `gen-*` names (atomic), so a sweep killed half-way never
    leaves a half-deleted folder that looks finished."""
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


def sweep_leftovers(index_dir: Path, current: str) -> None:
    """Keep the current generation and the previous one (readers may hold it); delete what a
    killed run left."""
    sweep(index_dir, keep={current, _previous(index_dir, current)})


def _previous(index_dir: Path, current: str) -> str:
    """The newest finished generation older than `current` (the one readers may still hold); a
    killed build's finished-but-never-switched folder is newer, so it is not kept."""
    def finished(p: Path) -> int:
        return (p / "manifest.json").stat().st_mtime_ns

    now = finished(index_dir / current)
    done = [(finished(p), p.name) for p in index_dir.glob("gen-*")
            if p.name != current and (p / "manifest.json").exists() and finished(p) <= now]
    return max(done)[1] if done else ""
