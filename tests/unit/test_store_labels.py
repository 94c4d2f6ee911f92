"""FAISS `-1` labels (k above the index size) and NaN or infinite vectors never map to a chunk."""
import numpy as np
import pytest

from rag.errors import ModelError
from rag.indexing import current_generation, load_index, update_index
from rag.pipeline import Pipeline
from rag.store import FaissStore
from rag.types import Article

from ..fakes import HashEmbedder, NumpyStore, ScriptedGenerator


@pytest.fixture(params=["faiss", "numpy"])
def store(request):
    s = FaissStore(4) if request.param == "faiss" else NumpyStore(4)
    s.add(np.eye(4, dtype=np.float32)[:3])
    return s


@pytest.mark.parametrize("k", [3, 4, 10, 10_000])
def test_k_above_the_index_size_returns_only_real_rows(store, k):
    res = store.search(np.array([1, 0, 0, 0], np.float32), k)
    assert sorted(i for i, _ in res) == [0, 1, 2]
    assert all(np.isfinite(s) for _, s in res)


def test_faiss_pads_with_minus_one_and_the_store_drops_it():
    s = FaissStore(4)
    s.add(np.eye(4, dtype=np.float32)[:3])
    _, ids = s._index.search(np.array([[1, 0, 0, 0]], np.float32), 6)  # the raw call, past the size
    assert (ids[0] == -1).sum() == 3  # FAISS does pad with -1 ...
    assert sorted(i for i, _ in s.search(np.array([1, 0, 0, 0], np.float32), 6)) == [0, 1, 2]  # ... the store does not


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_queries_find_nothing(store, bad):
    assert store.search(np.array([bad, 0, 0, 0], np.float32), 3) == []
    assert store.search(np.full(4, bad, np.float32), 3) == []


def test_non_finite_vectors_are_refused_by_the_store():
    with pytest.raises(ValueError, match="NaN"):
        FaissStore(4).add(np.array([[np.nan, 0, 0, 0]], np.float32))


class NaNEmbedder(HashEmbedder):
    """Embeds documents normally but returns NaN for queries (or for documents when told)."""

    def __init__(self, bad_documents: bool = False):
        self.bad_documents = bad_documents

    def embed_documents(self, texts):
        v = super().embed_documents(texts)
        if self.bad_documents:
            v[-1, :] = np.nan
        return v

    def embed_query(self, text):
        return np.full(self.dim, np.nan, np.float32)


def arts(n):
    return [Article(id=f"a{i}", title=f"Story {i}", text=f"Story {i} is about the harbour of town {i}.")
            for i in range(n)]


def test_a_nan_query_is_declined_and_cites_nothing(fake_settings):
    emb = NaNEmbedder()
    update_index(fake_settings.index_dir, arts(3), emb, fake_settings)
    gen = ScriptedGenerator("Town 1 has a harbour [1].")
    pipe = Pipeline(emb, load_index(fake_settings.index_dir, emb.name), gen, fake_settings)
    ans = pipe.answer("What is the harbour of town 1 about?", k=40)  # k far above the 3 chunks
    assert ans.abstained and ans.citations == ()
    assert gen.prompts == []  # the model was never asked
    assert all(np.isfinite(h.score) and h.score == 0.0 for h in ans.hits)  # keyword hits only, no dense score


def test_an_embedder_returning_nan_fails_the_build_and_keeps_the_old_index(fake_settings):
    d = fake_settings.index_dir
    update_index(d, arts(2), HashEmbedder(), fake_settings)
    before = current_generation(d).name
    with pytest.raises(ModelError, match="NaN"):
        update_index(d, arts(4), NaNEmbedder(bad_documents=True), fake_settings)
    assert current_generation(d).name == before
    assert sorted(load_index(d).articles) == ["a0", "a1"]
    assert [p.name for p in d.glob("gen-*")] == [before]
