"""The vector-store seam: exact inner-product search over normalised vectors.

Ids are row positions: row i of the store is line i of the index's chunks.jsonl.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...


class FaissStore:
    """faiss.IndexFlatIP: exact cosine similarity for normalised vectors."""

    def __init__(self, dim: int, index=None):
        import faiss

        self.dim = dim
        self._index = index if index is not None else faiss.IndexFlatIP(dim)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not np.isfinite(vectors).all():
            bad = sorted({int(r) for r in np.argwhere(~np.isfinite(vectors))[:, 0]})
            raise ValueError(f"vectors at rows {bad[:5]} hold NaN or infinite values: the embedder failed on them")
        if len(vectors):
            self._index.add(vectors)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        if not np.isfinite(q).all():
            return []  # a NaN or infinite query has no nearest passage (FAISS would rank garbage)
        scores, ids = self._index.search(q, min(k, len(self)))
        # FAISS pads missing results with label -1 (and a -3.4e38 score): never a chunk.
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if 0 <= i < len(self) and np.isfinite(s)]

    def vectors(self) -> np.ndarray:
        """All stored vectors in row order (lets an update keep old rows without re-embedding)."""
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "FaissStore":
        import faiss

        index = faiss.read_index(str(path))
        return cls(index.d, index)
