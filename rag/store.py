"""The vector-store seam: exact inner-product search over normalised vectors.

Ids are row positions: row i of the store is line i of the index's chunks.jsonl.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    """Row i is chunk i of the generation; `search` returns (row, inner product), best first."""

    dim: int

    def __len__(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def vectors(self) -> np.ndarray: ...  # every row, in order (an update keeps them)


class FaissStore:
    """A FAISS index over normalised vectors, inner product (= cosine similarity).

    `IndexFlatIP` (exact) by default; `build_faiss` makes an approximate one (HNSW or IVF) for
    archives past the size where exact search gets slow. The kind and its search settings are
    what `params()` returns, recorded in the index manifest.
    """

    def __init__(self, dim: int, index=None):
        import faiss

        self.dim = dim
        self._index = index if index is not None else faiss.IndexFlatIP(dim)

    @property
    def kind(self) -> str:
        import faiss

        if isinstance(self._index, faiss.IndexHNSWFlat):
            return "hnsw"
        if isinstance(self._index, faiss.IndexIVF):
            return "ivf"
        return "flat"

    def params(self) -> dict:
        """What the manifest records: the kind and the search settings that fix its recall."""
        import faiss

        kind = self.kind
        extra = {"recall_at_10": self.recall_at_10} if getattr(self, "recall_at_10", None) is not None else {}
        if kind == "hnsw":
            return {"kind": kind, "M": int(self._index.hnsw.nb_neighbors(1)),
                    "ef_search": int(self._index.hnsw.efSearch), **extra}
        if kind == "ivf":
            return {"kind": kind, "nlist": int(self._index.nlist),
                    "nprobe": int(faiss.extract_index_ivf(self._index).nprobe), **extra}
        return {"kind": kind}

    def configure(self, params: dict) -> None:
        """Apply recorded search settings (a loaded index may not carry them)."""
        import faiss

        if self.kind == "hnsw" and "ef_search" in params:
            self._index.hnsw.efSearch = int(params["ef_search"])
        if self.kind == "ivf" and "nprobe" in params:
            faiss.extract_index_ivf(self._index).nprobe = int(params["nprobe"])

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
        _one_thread()
        scores, ids = self._index.search(q, min(k, len(self)))
        # FAISS pads missing results with label -1 (and a -3.4e38 score): never a chunk.
        keep = (ids[0] >= 0) & (ids[0] < len(self)) & np.isfinite(scores[0])
        return list(zip(ids[0][keep].tolist(), scores[0][keep].tolist()))

    def vectors(self) -> np.ndarray:
        """All stored vectors in row order (lets an update keep old rows without re-embedding)."""
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.kind == "ivf":
            import faiss

            faiss.extract_index_ivf(self._index).make_direct_map()
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, params: dict | None = None, *, mmap: bool = False) -> "FaissStore":
        """Read an index file; `mmap=True` maps it instead of reading it (fast start for big ones)."""
        import faiss

        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path), flags)
        store = cls(index.d, index)
        if params:
            store.configure(params)
            store.recall_at_10 = params.get("recall_at_10")
        return store


def _one_thread() -> None:
    """One query is searched on one thread: FAISS's OpenMP threads spin-wait for each other, and
    on a busy 2-core machine a single 100k-vector search took 48 ms on 2 threads, 9.6 ms on 1
    (benchmarks/faiss_scale.py). Index builds set their own threads."""
    import faiss

    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)


def build_faiss(vectors: np.ndarray, kind: str = "flat", *, hnsw_m: int = 32, ef_construction: int = 80,
                ef_search: int = 64, nlist: int | None = None, nprobe: int = 16, seed: int = 0,
                tune: bool = True) -> FaissStore:
    """A FaissStore of `kind` ("flat", "hnsw", "ivf") holding `vectors` in row order.

    IVF trains its coarse quantizer on a sample (64 vectors a list); `nlist` defaults
    to about 4·sqrt(n). The search setting is then tuned on the index's own vectors to a
    recall@10 against exact search of at least 0.98 (`tune_recall`); `params()` records both.
    """
    import faiss

    import os

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building (training, HNSW links) is parallel
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if kind == "flat":
        store = FaissStore(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
        store = FaissStore(dim, index)
    elif kind == "ivf":
        nlist = nlist or max(1, min(4096, int(4 * np.sqrt(max(n, 1))), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(n, size=min(n, nlist * 64), replace=False)] if n else vectors
        index.train(sample)
        index.nprobe = nprobe
        store = FaissStore(dim, index)
        store._quantizer = quantizer  # the IVF index does not own it: keep it alive
    else:
        raise ValueError(f"unknown FAISS index kind {kind!r}: use flat, hnsw or ivf")
    store.add(vectors)
    if kind != "flat" and tune:
        tune_recall(store, vectors, seed=seed)
    return store


RECALL_TARGET = 0.98


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 250_000) -> np.ndarray:
    """Ids of the exact top-k rows of `vectors` by inner product for each query, computed block by
    block, so memory stays at one block of scores whatever the number of vectors."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), block):
        scores = queries @ vectors[start:start + block].T
        kk = min(k, scores.shape[1])
        top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, keep, axis=1), np.take_along_axis(cand_i, keep, axis=1)
    return best_i


def tune_recall(store: FaissStore, vectors: np.ndarray, *, target: float = RECALL_TARGET, queries: int = 200,
                seed: int = 0) -> float:
    """Raise the search setting (IVF nprobe, HNSW efSearch) until recall@10 against exact search
    reaches `target` on this index's own vectors; returns the recall reached.

    The queries are stored rows moved off themselves by random noise (cosine ~0.8 to their row):
    real questions are not stored vectors, and an index tuned on exact copies of its own rows
    reads optimistic (0.98 there was 0.93 on held-out queries at 10k vectors).
    """
    n, dim = vectors.shape
    if n < 12:
        return 1.0
    rng = np.random.default_rng(seed)
    rows = rng.choice(n, size=min(queries, n), replace=False)
    noise = rng.standard_normal((len(rows), dim)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    q = vectors[rows] + 0.75 * noise
    q = np.ascontiguousarray(q / np.linalg.norm(q, axis=1, keepdims=True), dtype=np.float32)
    truth = exact_top_k(vectors, q, 10)  # block by block: no second copy of a large index
    settings = ([8, 16, 32, 64, 128, 256, 512] if store.kind == "ivf" else [16, 32, 64, 128, 256, 512])
    reached = 0.0
    for value in settings:
        store.configure({"nprobe": value} if store.kind == "ivf" else {"ef_search": value})
        found = store._index.search(q, 10)[1]
        hits = [len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]
        reached = float(np.mean(hits))
        if reached >= target:
            break
    store.recall_at_10 = round(reached, 4)
    return reached
