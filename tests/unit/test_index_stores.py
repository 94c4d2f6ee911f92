"""Index generations on every kind of vector store: FAISS exact and approximate, Milvus Lite.

The generation's manifest says which store it was written with; an update may change the kind;
Milvus keeps a collection per generation and the sweep drops the collections of old ones."""
import json

import numpy as np
import pytest

from rag import stores
from rag.chunking import embedding_text
from rag.errors import IndexCorruptError, SettingsError
from rag.indexing import current_generation, load_index, update_index
from rag.settings import Settings
from rag.types import Article

from ..fakes import HashEmbedder


def arts(prefix, n):
    return [Article(id=f"{prefix}{i}", title=f"Story {prefix}{i}", text=" ".join(f"Line {j} of story {prefix}{i} names item {prefix}{i}x{j}." for j in range(25)),
                    published_at="2024-01-0%d" % (i % 9 + 1), source="Gazette") for i in range(n)]


@pytest.mark.parametrize("kind, recorded", [("faiss", "flat"), ("faiss-hnsw", "hnsw"), ("faiss-ivf", "ivf"),
                                            ("milvus-lite", "milvus")])
def test_a_generation_is_read_back_with_the_store_it_was_written_with(tmp_path, kind, recorded):
    s = Settings(index_dir=tmp_path / "idx", chunk_tokens=40, chunk_overlap=8, vector_store=kind)
    emb = HashEmbedder()
    update_index(s.index_dir, arts("a", 30), emb, s)
    idx = load_index(s.index_dir, emb.name)
    assert idx.manifest["store"]["kind"] == recorded
    assert len(idx.store) == len(idx.chunks)
    for i in (0, len(idx.chunks) // 2, len(idx.chunks) - 1):  # row i is chunk i
        assert idx.store.search(emb.embed_documents([embedding_text(idx.chunks[i])])[0], 1)[0][0] == i


def test_milvus_collections_follow_generations_and_old_ones_are_dropped(tmp_path):
    from pymilvus import MilvusClient

    s = Settings(index_dir=tmp_path / "idx", chunk_tokens=40, chunk_overlap=8, vector_store="milvus-lite")
    emb = HashEmbedder()
    names = []
    for batch in ("a", "b", "c"):
        update_index(s.index_dir, arts(batch, 3), emb, s)
        names.append(load_index(s.index_dir, emb.name).manifest["store"]["collection"])
    assert len(set(names)) == 3 and len(load_index(s.index_dir, emb.name).chunks) > 0
    client = MilvusClient(str(s.index_dir / stores.LITE_DB))
    live = set(client.list_collections())
    client.close()
    assert names[2] in live and names[1] in live and names[0] not in live  # current, previous; first swept


def test_an_update_may_move_the_index_to_another_store(tmp_path):
    emb = HashEmbedder()
    s = Settings(index_dir=tmp_path / "idx", chunk_tokens=40, chunk_overlap=8)
    update_index(s.index_dir, arts("a", 5), emb, s)
    before = load_index(s.index_dir, emb.name)
    moved = s.replace(vector_store="milvus-lite")
    update_index(moved.index_dir, arts("b", 2), emb, moved)
    after = load_index(moved.index_dir, emb.name)
    assert after.manifest["store"]["kind"] == "milvus"
    assert np.allclose(after.store.vectors()[: len(before.chunks)], before.store.vectors())


def test_a_milvus_generation_whose_rows_changed_is_refused(tmp_path):
    emb = HashEmbedder()
    s = Settings(index_dir=tmp_path / "idx", chunk_tokens=40, chunk_overlap=8, vector_store="milvus-lite")
    update_index(s.index_dir, arts("a", 4), emb, s)
    gen = current_generation(s.index_dir)
    m = json.loads((gen / "manifest.json").read_text())
    m["store"]["rows"] += 1
    (gen / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexCorruptError, match=r"holds \d+ rows, the manifest says \d+.*rag index --rebuild"):
        load_index(s.index_dir, emb.name, verify=False)


def test_vector_store_setting_is_validated():
    assert Settings.from_env({"RAG_VECTOR_STORE": "http://127.0.0.1:19530"}).vector_store.startswith("http")
    with pytest.raises(SettingsError, match="vector_store='pinecone' must be"):
        Settings(vector_store="pinecone")


def test_exact_top_k_block_by_block_agrees_with_faiss():
    """The recall tuning's ground truth is computed block by block (a 5M-vector IVF build ran out
    of 24 GB when it held a second exact copy of the vectors)."""
    import faiss

    from rag.store import exact_top_k

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((5_000, 32)).astype(np.float32)
    queries = rng.standard_normal((20, 32)).astype(np.float32)
    flat = faiss.IndexFlatIP(32)
    flat.add(vecs)
    want = flat.search(queries, 10)[1]
    got = exact_top_k(vecs, queries, 10, block=777)
    assert (got == want).all()
