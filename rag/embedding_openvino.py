"""The OpenVINO backend of the embedder seam: the same sentence-transformers model, run by
OpenVINO's CPU plugin instead of PyTorch.

Why: on 2 cores PyTorch spends a third of an indexing run in attention and GELU kernels that run
far below the machine's matmul rate; OpenVINO fuses them. Measured in one run on this machine
class (docs/benchmarks.md): bf16 embeds about twice as fast as PyTorch bf16, with cosine to the
fp32 PyTorch vectors >= 0.9999.

The model is converted locally, once, from its own folder (no hub): `ov.convert_model` on the
Hugging Face module, saved as OpenVINO IR in the user cache under a key made of the model files'
checksums and the OpenVINO version, written to a temporary folder and renamed into place (a
crash leaves no half-written model). Later runs compile the cached IR in about a second.

Only what sentence-transformers models commonly are is run here: a Transformer module followed
by mean or CLS pooling (and optionally Normalize). Any other model keeps the PyTorch backend
(`supports(folder)` says which).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .embedding import normalise
from .errors import ModelError
from .files import user_cache_dir

# OpenVINO's model converter reports usage to Google Analytics through `openvino_telemetry`
# unless a consent file in the user's home says no. This project never contacts the network:
# with the module blocked before openvino is first imported, the converter falls back to its
# own no-op stub (it imports the telemetry package inside try/except ImportError).
sys.modules.setdefault("openvino_telemetry", None)

OV_PRECISION_HINT = {"bf16": "bf16", "fp32": "f32"}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except Exception:  # not installed, or a broken install: the PyTorch backend serves
        return False
    return True


def st_layout(folder: Path) -> tuple[Path, str, int | None] | None:
    """(transformer folder, pooling "mean" | "cls", max_seq_length) of a sentence-transformers
    model folder, or None when its modules are not a Transformer, a Pooling and an optional
    Normalize (then this backend does not serve it)."""
    folder = Path(folder)
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return None
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
            return None
        transformer = folder / (modules[0].get("path") or "")
        pool_cfg = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and v]
        if modes == ["pooling_mode_mean_tokens"]:
            pooling = "mean"
        elif modes == ["pooling_mode_cls_token"]:
            pooling = "cls"
        else:
            return None
        max_len = None
        for cfg in (folder / "sentence_bert_config.json", transformer / "sentence_bert_config.json"):
            if cfg.is_file():
                max_len = json.loads(cfg.read_text(encoding="utf-8")).get("max_seq_length")
                break
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    if not (transformer / "config.json").is_file() or not any((transformer / w).is_file() for w in _WEIGHT_FILES):
        return None
    return transformer, pooling, max_len


def supports(folder: str | Path) -> bool:
    return Path(folder).is_dir() and st_layout(Path(folder)) is not None


def cache_key(transformer: Path) -> str:
    """Checksums of the files the converted model depends on, and the OpenVINO version."""
    import openvino

    from .files import model_sha256

    h = hashlib.sha256(openvino.__version__.encode())
    for name in ("config.json", *_WEIGHT_FILES):
        p = transformer / name
        if p.is_file():
            h.update(name.encode() + model_sha256(p).encode())
    return h.hexdigest()[:24]


def converted_model(transformer: Path) -> Path:
    """The cached OpenVINO IR of a transformer folder, converting it first if needed."""
    target = user_cache_dir() / "openvino" / cache_key(transformer)
    xml = target / "model.xml"
    if xml.is_file() and (target / "model.bin").is_file():
        return xml
    import warnings

    import openvino as ov
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    try:
        # Tracing the model prints a screenful of TracerWarnings and transformers notes that say
        # nothing to a user of `make run`; real failures still raise.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()  # "Loading weights" would garble one-line output
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            tok = AutoTokenizer.from_pretrained(str(transformer))
            model = AutoModel.from_pretrained(str(transformer)).eval()
            example = dict(tok(["an example sentence", "another"], padding=True, return_tensors="pt"))
            ir = ov.convert_model(model, example_input=example)
    except Exception as e:
        raise ModelError(f"cannot convert the embedder {transformer} for OpenVINO: {e}; "
                         "set RAG_EMBED_BACKEND=torch") from e
    finally:
        hf_logging.set_verbosity(level)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        ov.save_model(ir, str(tmp / "model.xml"), compress_to_fp16=False)
        try:
            os.replace(tmp, target)
        except OSError:  # another process converted it first: use theirs
            if not xml.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return xml


class OpenVINOEmbedder:
    """Mean- or CLS-pooled, L2-normalised sentence embeddings run by OpenVINO on the CPU."""

    backend = "openvino"

    # Small batches run faster here (1,250 corpus chunks, bf16, 2 cores: 142 / 141 / 135 / 130 /
    # 124 / 114 chunks/s at 8 / 16 / 32 / 64 / 128 / 512): they stay in the CPU's caches.
    def __init__(self, source: str, model_name: str, name: str, *, precision: str = "bf16",
                 batch_size: int = 16):
        layout = st_layout(Path(source))
        if layout is None:
            raise ModelError(f"the embedder {source} is not a Transformer + Pooling sentence-transformers "
                             "folder: set RAG_EMBED_BACKEND=torch")
        self._transformer, self._pooling, max_len = layout
        self._source, self.model_name, self.name = source, model_name, name
        self.precision = precision
        self._batch_size = batch_size
        self._max_len = max_len
        self._lock = threading.Lock()
        self._compiled = None
        self._tokenizer = None

    def _load(self):
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    import openvino as ov
                    from transformers import AutoTokenizer

                    self._tokenizer = AutoTokenizer.from_pretrained(str(self._transformer))
                    if self._max_len is None:
                        self._max_len = min(int(self._tokenizer.model_max_length), 512)
                    xml = converted_model(self._transformer)
                    config = {"INFERENCE_PRECISION_HINT": OV_PRECISION_HINT[self.precision],
                              "PERFORMANCE_HINT": "LATENCY"}
                    compiled = ov.Core().compile_model(str(xml), "CPU", config)
                    self._inputs = {p.get_any_name() for p in compiled.inputs}
                    self._dim = int(compiled.output(0).get_partial_shape()[-1].get_length())
                    self._compiled = compiled
        return self._compiled

    @property
    def tokenizer(self):
        self._load()
        return self._tokenizer

    @property
    def config(self):
        """The transformer's Hugging Face config (layers, sizes)."""
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(str(self._transformer))

    @property
    def dim(self) -> int:
        self._load()
        return self._dim

    @property
    def max_tokens(self) -> int:
        self._load()
        return int(self._max_len)

    def count_tokens(self, text: str) -> int:
        tok = self.tokenizer
        with self._lock:  # a fast tokenizer called from two threads with other settings can raise "Already borrowed"
            return len(tok(text, add_special_tokens=False, verbose=False)["input_ids"])

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), self._batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], 1)[0]

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        compiled = self._load()
        out = np.zeros((len(texts), self._dim), np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # longest first: little padding
        for i in range(0, len(texts), batch_size):
            idx = order[i:i + batch_size]
            # One caller at a time: the compiled model's default request and the tokenizer's
            # padding state are not shared safely between threads (the page runs one question at a
            # time anyway; indexing is one thread).
            with self._lock:
                enc = self._tokenizer([texts[j] for j in idx], padding=True, truncation=True,
                                      max_length=self._max_len, return_tensors="np")
                feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self._inputs}
                hidden = compiled(feed)[compiled.output(0)]
            if self._pooling == "cls":
                vecs = hidden[:, 0]
            else:
                mask = enc["attention_mask"][..., None].astype(np.float32)
                vecs = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out[idx] = vecs
        return normalise(out)
