"""One contract suite for every VectorStore implementation."""
import numpy as np
import pytest

from rag.store import FaissStore

from ..fakes import NumpyStore


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture(params=["faiss", "numpy"])
def store(request):
    return FaissStore(4) if request.param == "faiss" else NumpyStore(4)


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
