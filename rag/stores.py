"""Which vector store a generation uses, and how it is written, read and swept.

    RAG_VECTOR_STORE=faiss          exact FAISS, approximate (IVF) past APPROX_FROM vectors (default)
    RAG_VECTOR_STORE=faiss-flat     always exact; faiss-ivf / faiss-hnsw: always approximate
    RAG_VECTOR_STORE=milvus-lite    Milvus Lite: a local database in the index folder, no server
    RAG_VECTOR_STORE=http://h:19530 a Milvus standalone or cluster (token in RAG_MILVUS_TOKEN)

A generation's manifest records its store under "store" (kind, file or collection, search
settings, and for Milvus the row count and a sha256 of the vectors), so a generation is read
back as it was written whatever the setting says now, and an update to another kind of store
simply writes the next generation in the new kind. Milvus keeps one collection per generation,
written once and never changed; `CURRENT` stays the atomic switch and the sweep drops the
collections of swept generations.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError, SettingsError
from .store import FaissStore, build_faiss
from .store_milvus import MilvusStore, is_milvus

FAISS_FILE = "index.faiss"
LITE_DB = "milvus.db"  # in the index folder: one Milvus Lite database, a collection per generation
# From this many vectors on, the default builds an IVF index: exact search there costs tens of ms a
# query and grows linearly (docs/scaling.md has the measurements behind this number).
APPROX_FROM = 500_000
MMAP_FROM_BYTES = 512 * 2**20  # map big index files instead of reading them: fast start-up
VERIFY_MILVUS_UP_TO = 2_000_000  # rows fetched back to check a Milvus generation's sha256
KINDS = ("faiss", "faiss-flat", "faiss-ivf", "faiss-hnsw", "milvus-lite")


def check_kind(kind: str) -> None:
    if kind not in KINDS and not is_milvus(kind):
        raise SettingsError(f"vector_store={kind!r} must be one of {', '.join(KINDS)} or a Milvus URL (http://host:19530)")


def _uri(kind: str, index_dir: Path) -> str:
    return str(Path(index_dir) / LITE_DB) if kind == "milvus-lite" else kind


def vectors_digest(vectors: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).hexdigest()


def build(kind: str, dim: int, vectors: np.ndarray, index_dir: Path):
    """A store of `kind` holding `vectors` (row i = chunk i)."""
    check_kind(kind)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    if is_milvus(kind):
        store = MilvusStore(_uri(kind, index_dir), "newsqa_" + uuid.uuid4().hex, dim, create=True,
                            token=os.environ.get("RAG_MILVUS_TOKEN", ""))
        store.add(vectors)
        store.digest = vectors_digest(vectors)
        return store
    if kind == "faiss":
        kind = "faiss-ivf" if len(vectors) >= APPROX_FROM else "faiss-flat"
    if kind == "faiss-flat":
        store = FaissStore(dim)
        store.add(vectors)
        return store
    return build_faiss(vectors, kind.split("-", 1)[1])


def save(store, gen: Path) -> tuple[dict, list[str]]:
    """Write the store's part of generation `gen`: (manifest entry, files to checksum)."""
    if isinstance(store, MilvusStore):
        return {"kind": "milvus", "uri": store.uri if "://" in store.uri else LITE_DB,
                "collection": store.collection, "rows": len(store), "vectors_sha256": store.digest}, []
    store.save(gen / FAISS_FILE)
    return dict(store.params(), file=FAISS_FILE), [FAISS_FILE]


def load(gen: Path, manifest: dict, index_dir: Path, *, verify: bool = True):
    """The store of a generation as its manifest describes it (no "store" entry: exact FAISS)."""
    entry = manifest.get("store") or {"kind": "flat", "file": FAISS_FILE}
    dim = manifest["embedder"]["dim"]
    if entry["kind"] == "milvus":
        uri = entry["uri"] if "://" in entry["uri"] else str(Path(index_dir) / entry["uri"])
        store = MilvusStore(uri, entry["collection"], dim, token=os.environ.get("RAG_MILVUS_TOKEN", ""))
        if len(store) != entry["rows"]:
            raise IndexCorruptError(f"Milvus collection {entry['collection']} holds {len(store)} rows, "
                                    f"the manifest says {entry['rows']}")
        if verify and len(store) <= VERIFY_MILVUS_UP_TO and vectors_digest(store.vectors()) != entry["vectors_sha256"]:
            raise IndexCorruptError(f"Milvus collection {entry['collection']} fails its checksum (changed outside newsqa)")
        return store
    path = gen / entry.get("file", FAISS_FILE)
    return FaissStore.load(path, entry, mmap=path.stat().st_size >= MMAP_FROM_BYTES)


def release(gen: Path, index_dir: Path) -> None:
    """Before generation `gen` is deleted: drop the Milvus collection its manifest names (on a
    server only collections this index wrote are ever dropped)."""
    import json

    try:
        entry = json.loads((gen / "manifest.json").read_text()).get("store") or {}
    except (OSError, ValueError):
        return
    if entry.get("kind") != "milvus":
        return
    uri = entry["uri"] if "://" in entry["uri"] else str(Path(index_dir) / entry["uri"])
    try:
        from pymilvus import MilvusClient

        client = MilvusClient(uri, token=os.environ.get("RAG_MILVUS_TOKEN", "")) if "://" in uri else MilvusClient(uri)
        if client.has_collection(entry["collection"]):
            client.drop_collection(entry["collection"])
        client.close()
    except Exception:  # a failed drop only leaves space to reclaim; the index is unaffected
        pass
