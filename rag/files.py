"""Small file helpers shared by the index writer, the model loader and the evaluation reports.

There is one way to write a file whole or not at all here (`atomic_write_text`): every module
that replaces a file readers may be looking at goes through it.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_DIGESTS: dict[tuple[str, int, int], str] = {}


def model_sha256(path: Path) -> str:
    """sha256 of a model file, computed once per process while its path, size and time stay the
    same (the pin check, the OpenVINO cache key and the LLM copy's name all need it). Index files
    are always hashed afresh with `sha256_file`."""
    st = Path(path).stat()
    at = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if at not in _DIGESTS:
        _DIGESTS[at] = sha256_file(Path(path))
    return _DIGESTS[at]


def write_synced(path: Path, text: str) -> None:
    """Write `path` (UTF-8) and fsync it: its bytes are on disk when this returns."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder (which makes the renames and creations inside it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str, *, fsync: bool = False, tmp: Path | None = None) -> None:
    """Write `path` whole or not at all: a temporary file beside it, then `os.replace`.

    The temporary name is unique unless `tmp` names it: a fixed name is only for a writer that
    holds a lock, and lets the next run find what a killed run left. With `fsync` the new bytes
    are on disk before the rename; fsync the folder afterwards to make the rename itself durable
    (what a failure there means is the caller's to decide: the file is already replaced).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tmp is None:
        fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        if fsync:
            write_synced(tmp, text)
        else:
            Path(tmp).write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def user_cache_dir() -> Path:
    """The project's folder in the user's cache (`$XDG_CACHE_HOME/newsqa`, else ~/.cache/newsqa):
    the LLM self-check's verdicts and the faster model copies."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"
