"""One contract suite for every VectorStore implementation."""
import numpy as np
import pytest

from rag.store import FaissStore, build_faiss
from rag.store_milvus import MilvusStore

from ..fakes import NumpyStore


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


class Built:
    """An approximate FAISS index is built from its vectors (IVF trains on them): the first
    `add` builds it with `build_faiss`, later ones add to it."""

    def __init__(self, kind: str):
        self.kind, self.inner = kind, None

    def add(self, vectors):
        if self.inner is None:
            self.inner = build_faiss(np.asarray(vectors, np.float32), self.kind)
        else:
            self.inner.add(vectors)

    def search(self, vector, k):
        return self.inner.search(vector, k) if self.inner is not None else []


@pytest.fixture(params=["faiss", "faiss-hnsw", "faiss-ivf", "milvus-lite", "numpy"])
def store(request, tmp_path):
    kind = request.param
    if kind == "faiss":
        return FaissStore(4)
    if kind.startswith("faiss-"):
        return Built(kind.split("-", 1)[1])
    if kind == "milvus-lite":
        s = MilvusStore(str(tmp_path / "vectors.milvus.db"), "contract", 4, create=True)
        request.addfinalizer(s.close)
        return s
    return NumpyStore(4)


def test_empty_store_returns_nothing(store):
    assert store.search(unit([1, 0, 0, 0]), 5) == []


def test_ids_are_row_positions_ranked_by_inner_product(store):
    store.add(np.stack([unit([1, 0, 0, 0]), unit([0, 1, 0, 0]), unit([1, 1, 0, 0])]))
    res = store.search(unit([1, 0.2, 0, 0]), 3)
    assert [i for i, _ in res] == [0, 2, 1]
    assert res[0][1] == pytest.approx(float(unit([1, 0.2, 0, 0]) @ unit([1, 0, 0, 0])), abs=1e-6)


def test_k_larger_than_store_returns_only_real_rows(store):
    store.add(unit([0, 0, 1, 0])[None])
    res = store.search(unit([0, 0, 1, 0]), 10)
    assert res == [(0, pytest.approx(1.0, abs=1e-6))]


def test_faiss_save_load_and_vectors_round_trip(tmp_path):
    s = FaissStore(4)
    m = np.stack([unit([1, 2, 3, 4]), unit([4, 3, 2, 1])])
    s.add(m)
    s.save(tmp_path / "x.faiss")
    t = FaissStore.load(tmp_path / "x.faiss")
    assert len(t) == 2 and np.allclose(t.vectors(), m)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_faiss_round_trips_with_its_search_settings(tmp_path, kind):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2000, 16)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    s = build_faiss(m, kind)
    s.save(tmp_path / "x.faiss")
    params = dict(s.params(), **({"nprobe": 7} if kind == "ivf" else {"ef_search": 99}))
    t = FaissStore.load(tmp_path / "x.faiss", params, mmap=True)
    assert t.kind == kind and t.params() == params
    assert t.search(m[123], 1)[0][0] == 123 and np.allclose(t.vectors()[:5], m[:5])


def test_milvus_lite_reopens_the_same_rows_and_refuses_a_missing_collection(tmp_path):
    from rag.errors import IndexCorruptError

    path = str(tmp_path / "vectors.milvus.db")
    m = np.stack([unit([1, 0, 0, 0]), unit([0, 1, 0, 0]), unit([1, 1, 0, 0])])
    s = MilvusStore(path, "gen_a", 4, create=True)
    s.add(m)
    s.close()
    t = MilvusStore(path, "gen_a", 4)
    assert len(t) == 3 and np.allclose(t.vectors(), m) and t.search(unit([0, 1, 0.1, 0]), 1)[0][0] == 1
    t.close()
    with pytest.raises(IndexCorruptError, match="no collection 'gen_b'"):
        MilvusStore(path, "gen_b", 4)
