"""A copy of the LLM in a weight type whose kernels read prompts faster on this CPU.

Reading the prompt is most of the time to the first token. llama.cpp's kernels differ in speed by
weight type: on the 2-core AVX-512 machines measured (docs/benchmarks.md), SmolLM2-135M in Q8_0
read prompts 1.5x as fast as the shipped Q4_1 and decoded as fast; Q4_0 was faster still but
wrote visibly worse text. So with `RAG_LLM_REQUANTIZE=auto` (the default) a GGUF in one of the
older 4/5-bit types with an offset (Q4_1, Q5_0, Q5_1) is converted once to Q8_0, which holds its
values almost exactly (8 bits per weight where the source has 4–5), and the copy is cached in the
user's cache folder keyed by the source file's contents (sha256), the target type and the
llama.cpp version, so every checkout and virtual environment with the same model shares one copy. Other types are used as they are; `off` keeps every file as it is and `q8_0`
/ `f16` convert any file that is not already of that type.

The copy is a different file: its answers are equally grounded but not identical word for word
to the source's (activations are rounded differently), which `rag eval` measures.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import sys
from pathlib import Path

from .files import user_cache_dir

log = logging.getLogger(__name__)

MODES = ("auto", "off", "q8_0", "f16")
# llama.cpp's llama_ftype numbers (llama.h).
FTYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "bf16": 32}
SLOW_PROMPT_TYPES = {FTYPES["q4_1"], FTYPES["q5_0"], FTYPES["q5_1"]}
AUTO_MAX_BYTES = 2 << 30  # a larger model's Q8_0 copy would cost more memory than speed is worth


def file_type(path: Path) -> int | None:
    """The GGUF's `general.file_type` (a llama_ftype number), read from the file's header alone:
    no weights, no llama.cpp context (whose creation prints to stderr), a few milliseconds."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF" or _unpack(fh, "<I") < 2:
                return None
            _, n_kv = _unpack(fh, "<QQ")
            for _ in range(n_kv):
                key, kind = _string(fh), _unpack(fh, "<I")
                if key == "general.file_type" and kind in _SCALARS and kind not in (6, 7, 12):
                    return int(_unpack(fh, "<" + _SCALARS[kind]))
                _skip(fh, kind)
    except (OSError, struct.error, ValueError):
        return None
    return None


# GGUF value types (gguf.h): the scalars' struct formats; 8 is a string, 9 an array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def _unpack(fh, fmt: str):
    values = struct.unpack(fmt, fh.read(struct.calcsize(fmt)))
    return values[0] if len(values) == 1 else values


def _string(fh) -> str:
    return fh.read(_unpack(fh, "<Q")).decode("utf-8", "replace")


def _skip(fh, kind: int) -> None:
    if kind in _SCALARS:
        fh.seek(struct.calcsize("<" + _SCALARS[kind]), 1)
    elif kind == 8:
        fh.seek(_unpack(fh, "<Q"), 1)
    elif kind == 9:
        item, count = _unpack(fh, "<IQ")
        if item in _SCALARS:
            fh.seek(count * struct.calcsize("<" + _SCALARS[item]), 1)
        else:
            for _ in range(count):
                _skip(fh, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def target_type(mode: str, source_type: int | None, size: int) -> str | None:
    """The type to convert to ("q8_0", "f16"), or None to use the file as it is."""
    if mode == "off" or source_type is None:
        return None
    if mode == "auto":
        return "q8_0" if source_type in SLOW_PROMPT_TYPES and size <= AUTO_MAX_BYTES else None
    return None if FTYPES[mode] == source_type else mode


def cache_dir() -> Path:
    return user_cache_dir() / "models"


def variant_path(source: Path, target: str, folder: Path | None = None) -> Path:
    """Where the copy of `source` in `target` is kept: named by the source's contents, so a second
    checkout (another path, another file time) finds the same copy instead of making a new one."""
    import llama_cpp

    from .files import model_sha256

    key = f"{model_sha256(source)}|{target}|{llama_cpp.__version__}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return (folder or cache_dir()) / f"{source.stem}.{digest}.{target.upper()}.gguf"


def prompt_fast_model(source: Path, mode: str = "auto", folder: Path | None = None) -> Path:
    """The file to load for `source` under `mode`: the source itself or its cached conversion.
    A conversion that fails is logged and the source is used."""
    if mode not in MODES:
        raise ValueError(f"RAG_LLM_REQUANTIZE={mode!r} must be one of {', '.join(MODES)}")
    if mode == "off":
        return source
    target = target_type(mode, file_type(source), source.stat().st_size)
    if target is None:
        return source
    out = variant_path(source, target, folder)
    if out.is_file():
        return out
    try:
        convert(source, out, target)
    except Exception as e:  # noqa: BLE001 - speed is optional, answering is not
        log.warning("could not convert %s to %s (%s); using it as it is", source.name, target.upper(), e)
        return source
    log.info("converted %s to %s once for faster prompt reading: %s", source.name, target.upper(), out)
    return out


def convert(source: Path, out: Path, target: str) -> None:
    import llama_cpp

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[target]
    params.allow_requantize = True
    params.nthread = max(1, os.cpu_count() or 1)
    try:
        with _quiet_fds():  # llama.cpp prints ~300 lines of tensor log; the user asked a question
            rc = llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), params)
        if rc != 0 or not tmp.is_file():
            raise RuntimeError(f"llama_model_quantize returned {rc}")
        os.replace(tmp, out)  # whole or not at all: another process may be loading it
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _quiet_fds():
    """Silence what native code writes to file descriptors 1 and 2 (Python's own streams are
    flushed first and come back unchanged)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
