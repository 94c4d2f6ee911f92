"""Run the LLM once in a child process before trusting it in this one.

llama.cpp's CPU kernels are native code: on some CPUs a kernel crashes (a segmentation fault in
the AMX matrix multiply on Intel Xeons with AMX is the known case), and a crash inside the chat
page or `rag ask` kills the process with no word for the user. So the first time a model file is
used with a given llama.cpp build on a given CPU, a child process loads it and generates a few
tokens. If the child dies by a signal, the check is repeated with llama.cpp's extra buffer types
off (the repacked / AMX weight buffers); if that works, the model is used that way, and if not,
the user gets one line naming what failed, the CPU's features and the setting to try.

The verdict is cached per (model file, llama.cpp build, CPU) in the user's cache folder, so the
check costs a second or two once per machine, not per question.

    python -m rag.llm_check --model PATH --extra-buffers on|off    # the child (also `rag doctor`)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .cpu import cpu_flags
from .errors import ModelError
from .files import atomic_write_text, user_cache_dir

# Long enough to run a batched prompt through the matrix kernels (where the AMX fault struck),
# then a few single-token decodes.
PROBE_PROMPT = (
    "The city council met on Tuesday to discuss the new bridge over the river. The mayor said the "
    "project would cost 340 million dollars and take four years to build. Question: how much will "
    "the bridge cost? Answer:"
)
PROBE_TOKENS = 4
CHECK_TIMEOUT_S = 180
CPU_FLAGS_SHOWN = ("sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_vnni",
                   "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    extra_buffers: bool
    detail: str  # "generated 4 tokens in 0.6 s" or "killed by SIGSEGV" ...
    seconds: float
    signal: str | None = None  # the signal that killed the child, if one did


@dataclass(frozen=True)
class CheckVerdict:
    """What the self-check decided for one model on this build and CPU."""

    extra_buffers: bool  # the setting to load the model with
    probes: tuple[ProbeResult, ...]
    cached: bool = False

    @property
    def summary(self) -> str:
        last = self.probes[-1] if self.probes else None
        mode = "on" if self.extra_buffers else "off"
        how = f"{last.detail}" if last else "no probe"
        crashed = [p for p in self.probes if p.signal]
        note = f" (with extra buffers on it was {crashed[0].detail})" if crashed else ""
        return f"ok, extra buffers {mode}: {how}{note}" + (" [cached]" if self.cached else "")


def cpu_summary(flags: Sequence[str] | None = None) -> str:
    flags = cpu_flags() if flags is None else flags
    shown = [f for f in CPU_FLAGS_SHOWN if f in flags]
    return " ".join(shown) if shown else "unknown"


def llama_build_info() -> str:
    """llama.cpp's own system-info line: compiled CPU features and backends."""
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()


def cache_file() -> Path:
    return user_cache_dir() / "llm-check.json"


def cache_key(model: Path, build: str, flags: Sequence[str]) -> str:
    """Same model file (path, size, mtime), same llama.cpp build, same CPU: same verdict."""
    import llama_cpp

    st = model.stat()
    ident = json.dumps([str(model.resolve()), st.st_size, int(st.st_mtime), llama_cpp.__version__,
                        build, sorted(flags)])
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def probe(model: Path, extra_buffers: bool, *, n_threads: int = 2, timeout: float = CHECK_TIMEOUT_S,
          command: Sequence[str] | None = None) -> ProbeResult:
    """Load `model` and generate a few tokens in a child process; report how it ended.

    `command` replaces the child's command line (tests simulate a crashing child with it).
    """
    cmd = list(command) if command is not None else [
        sys.executable, "-m", "rag.llm_check", "--model", str(model),
        "--extra-buffers", "on" if extra_buffers else "off", "--threads", str(n_threads),
    ]
    if command is not None:
        cmd.append("on" if extra_buffers else "off")
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    except subprocess.TimeoutExpired:
        return ProbeResult(False, extra_buffers, f"no answer within {timeout:.0f} s", time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    if done.returncode < 0:
        name = _signal_name(-done.returncode)
        return ProbeResult(False, extra_buffers, f"killed by {name}", seconds, signal=name)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return ProbeResult(False, extra_buffers, f"exit status {done.returncode}: {last}", seconds)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        detail = f"generated {report['tokens']} tokens in {report['seconds']:.1f} s"
    except (ValueError, IndexError, KeyError):
        detail = "finished"
    return ProbeResult(True, extra_buffers, detail, seconds)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def check(model: Path, *, n_threads: int = 2, use_cache: bool = True,
          command: Sequence[str] | None = None, cache: Path | None = None) -> CheckVerdict:
    """Probe with extra buffers on; on a crash, probe again with them off. Raises ModelError
    with one actionable line when neither works."""
    model = Path(model)
    cache = cache or cache_file()
    key = None
    if command is None:
        key = cache_key(model, llama_build_info(), cpu_flags())
        if use_cache:
            hit = _read_cache(cache).get(key)
            if hit is not None:
                return CheckVerdict(hit["extra_buffers"], tuple(ProbeResult(**p) for p in hit["probes"]), True)
    first = probe(model, True, n_threads=n_threads, command=command)
    probes = [first]
    if first.ok:
        verdict = CheckVerdict(True, tuple(probes))
    else:
        second = probe(model, False, n_threads=n_threads, command=command)
        probes.append(second)
        if not second.ok:
            raise ModelError(
                f"the LLM {model.name} cannot run on this machine: with llama.cpp's extra buffers "
                f"on it was {first.detail}, with them off {second.detail} (CPU features: {cpu_summary()}); "
                "reinstall llama-cpp-python with the portable build (`make install`) or set RAG_LLM "
                "to another GGUF file"
            )
        print(f"warning: the LLM {first.detail} with llama.cpp's extra buffer types on this CPU "
              f"({cpu_summary()}); using them off (RAG_LLM_EXTRA_BUFFERS=off)", file=sys.stderr)
        verdict = CheckVerdict(False, tuple(probes))
    if key is not None:
        entries = _read_cache(cache)
        entries[key] = {"model": str(model), "extra_buffers": verdict.extra_buffers,
                        "probes": [asdict(p) for p in verdict.probes], "checked_at": time.time()}
        try:
            atomic_write_text(cache, json.dumps(entries, indent=1))
        except OSError:
            pass  # a read-only home only costs the check again next time
    return verdict


def extra_buffers_for(model: Path, mode: str, *, n_threads: int = 2) -> bool:
    """The extra-buffers setting to load `model` with: forced by "on"/"off", checked by "auto"."""
    if mode in ("on", "off"):
        return mode == "on"
    return check(model, n_threads=n_threads).extra_buffers


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _child(argv: Sequence[str] | None = None) -> int:
    """The probe itself: load, run the prompt, decode a few tokens, print one JSON line."""
    p = argparse.ArgumentParser(prog="python -m rag.llm_check")
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--extra-buffers", choices=("on", "off"), default="on")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    from .generation import load_llama

    t0 = time.perf_counter()
    llm = load_llama(args.model, n_ctx=512, n_threads=args.threads, extra_buffers=args.extra_buffers == "on")
    out = llm.create_completion(PROBE_PROMPT, max_tokens=PROBE_TOKENS, temperature=0.0, top_k=1)
    tokens = out.get("usage", {}).get("completion_tokens", PROBE_TOKENS)
    print(json.dumps({"tokens": tokens, "seconds": round(time.perf_counter() - t0, 3),
                      "text": out["choices"][0]["text"]}))
    return 0


if __name__ == "__main__":
    sys.exit(_child())
