"""What this CPU is and can do, read once from /proc/cpuinfo (Linux; empty elsewhere).

Used to choose the embedder's precision, to key the LLM self-check's verdict and to report the
machine in `rag doctor` and `rag bench`.
"""
from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def _field(name: str, cpuinfo: Path) -> str | None:
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    """The CPU's feature flags ("avx2", "avx512_bf16", "amx_tile" ...)."""
    return set((_field("flags", cpuinfo) or "").split())


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    return _field("model name", cpuinfo) or platform.processor() or platform.machine() or "unknown"


LOADAVG = Path("/proc/loadavg")


def others_running(loadavg: Path = LOADAVG) -> int | None:
    """Tasks running or ready to run on this machine now, other than the caller (the fourth field
    of /proc/loadavg, "running/total", counts the reader itself). None where it cannot be read."""
    try:
        running = int(loadavg.read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None
    return max(0, running - 1)


def free_cores(wanted: int, *, cores: int | None = None, loadavg: Path = LOADAVG) -> int:
    """How many of `wanted` threads can run without waiting for a core: at least 1, at most
    `wanted`. llama.cpp's threads meet at a barrier after every operation; one thread that waits
    for a core stalls all the others, so on a busy machine fewer threads finish sooner."""
    import os

    cores = cores or os.cpu_count() or 1
    busy = others_running(loadavg)
    if busy is None:
        return max(1, min(wanted, cores))
    return max(1, min(wanted, cores - busy))
