"""Milvus behind the vector-store seam: Milvus Lite (a local file, no server) or a Milvus
standalone / cluster by URL.

    RAG_VECTOR_STORE=milvus-lite                 # a Milvus Lite file inside each index generation
    RAG_VECTOR_STORE=http://milvus-host:19530    # a Milvus server; one collection per generation

Ids are row positions, as with FAISS: row i is line i of the generation's chunks.jsonl, so the
index's generations, checksummed chunk files and atomic `CURRENT` switch keep their meaning. Each
generation writes its own collection (never changed once written); switching `CURRENT` is what
makes a new one live, and the sweep of old generations drops their collections. On a server
the manifest records the collection's name and row count, and loading checks the count.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .errors import IndexCorruptError, RagError

LITE_FILE = "vectors.milvus.db"
_BATCH = 2000  # rows per insert call (Milvus caps a request's size)
_MAX_K = 16384  # Milvus' largest search limit


def is_milvus(kind: str) -> bool:
    return kind == "milvus-lite" or kind.startswith(("http://", "https://", "tcp://"))


def collection_name(generation: str) -> str:
    """Milvus names allow letters, digits and underscores."""
    return "newsqa_" + re.sub(r"\W", "_", generation)


class MilvusStore:
    def __init__(self, uri: str, collection: str, dim: int, *, create: bool = False, token: str = ""):
        try:
            from pymilvus import DataType, MilvusClient
        except ImportError as e:  # pragma: no cover - an install problem, said plainly
            raise RagError("Milvus needs `pip install pymilvus milvus-lite`") from e
        self.uri, self.collection, self.dim = uri, collection, dim
        try:
            self._client = MilvusClient(uri, token=token) if token else MilvusClient(uri)
        except Exception as e:
            raise RagError(f"cannot open Milvus at {uri}: {e}") from e
        if create:
            if self._client.has_collection(collection):
                self._client.drop_collection(collection)  # a half-written one from a killed build
            schema = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("row", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            params = self._client.prepare_index_params()
            params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            self._client.create_collection(collection, schema=schema, index_params=params)
        elif not self._client.has_collection(collection):
            raise IndexCorruptError(f"Milvus at {uri} has no collection {collection!r}")
        self._client.load_collection(collection)
        self._n = self._count()

    def _count(self) -> int:
        res = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"]) if res else 0

    def __len__(self) -> int:
        return self._n

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not np.isfinite(vectors).all():
            bad = sorted({int(r) for r in np.argwhere(~np.isfinite(vectors))[:, 0]})
            raise ValueError(f"vectors at rows {bad[:5]} hold NaN or infinite values: the embedder failed on them")
        for start in range(0, len(vectors), _BATCH):
            part = vectors[start:start + _BATCH]
            rows = [{"row": self._n + start + i, "vector": v.tolist()} for i, v in enumerate(part)]
            self._client.insert(self.collection, rows)
        self._n += len(vectors)
        self._client.flush(self.collection)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self._n == 0 or k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(self.dim)
        if not np.isfinite(q).all():
            return []
        res = self._client.search(self.collection, data=[q.tolist()], limit=min(k, self._n, _MAX_K),
                                  search_params={"metric_type": "IP"}, output_fields=["row"])
        hits = [(int(h["entity"]["row"]), float(h["distance"])) for h in res[0]]
        return [(i, s) for i, s in hits if 0 <= i < self._n and np.isfinite(s)]

    def search_many(self, vectors: Sequence[np.ndarray], k: int) -> list[list[tuple[int, float]]]:
        return [self.search(v, k) for v in vectors]

    def vectors(self) -> np.ndarray:
        """All rows in order (an update keeps old rows without re-embedding them)."""
        out = np.zeros((self._n, self.dim), dtype=np.float32)
        step = 10000
        for start in range(0, self._n, step):
            got = self._client.query(self.collection, filter=f"row >= {start} and row < {start + step}",
                                     output_fields=["row", "vector"])
            for g in got:
                out[int(g["row"])] = g["vector"]
        return out

    def drop(self) -> None:
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        self._client.close()
