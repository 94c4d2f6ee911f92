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
