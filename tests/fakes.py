"""Deterministic stand-ins for the three seams, checkable by eye.

- HashEmbedder: a bag of hashed lower-case words, normalised; texts sharing words are similar.
- NumpyStore: exact inner product with NumPy (the reference the FAISS store must agree with).
- ScriptedGenerator: replies with a scripted text (or a function of the prompt), records prompts.
"""
from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import Callable, Iterator, Sequence

import numpy as np


class HashEmbedder:
    name = "fake/hash-words"
    dim = 64
    max_tokens = 256

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


class NumpyStore:
    def __init__(self, dim: int):
        self.dim = dim
        self._m = np.zeros((0, dim), np.float32)

    def __len__(self) -> int:
        return len(self._m)

    def add(self, vectors: np.ndarray) -> None:
        self._m = np.vstack([self._m, np.asarray(vectors, np.float32).reshape(-1, self.dim)])

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        q = np.asarray(vector, np.float32).reshape(self.dim)
        if not len(self._m) or k <= 0 or not np.isfinite(q).all():
            return []
        scores = self._m @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order]


class ScriptedGenerator:
    name = "fake/scripted"

    def __init__(self, reply: str | Callable[[list[dict]], str] = "Wendy Sherman led it [1].", delay: float = 0.0):
        self.reply = reply
        self.delay = delay
        self.prompts: list[list[dict]] = []
        self.lock = threading.Lock()  # keeps `prompts` whole under threads (the real lock: LlamaCppGenerator)

    def load(self) -> None:
        pass

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, opening_words=()) -> Iterator[str]:
        self.opening_words = tuple(opening_words)
        with self.lock:
            self.prompts.append(messages)
            text = self.reply(messages) if callable(self.reply) else self.reply
            for piece in re.findall(r"\S+\s*", text)[:max_tokens]:
                if self.delay:
                    time.sleep(self.delay)
                yield piece
