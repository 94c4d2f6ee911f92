import json

import pytest

from rag.articles import load_paths
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from rag.indexing import current_generation, load_index, update_index
from rag.types import Article

from ..conftest import SEEDS
from ..fakes import HashEmbedder


def arts(*specs):
    return [Article(id=i, title=f"Title {i}", text=t, published_at="2023-10-0%d" % (n + 1), source="Src")
            for n, (i, t) in enumerate(specs)]


def test_round_trip_keeps_rows_aligned_with_chunks(fake_settings):
    emb = HashEmbedder()
    rep = update_index(fake_settings.index_dir, load_paths([SEEDS]).articles, emb, fake_settings)
    assert rep.added == ("000_77154c4569bde0ee",) and rep.chunks_added == rep.chunks_total > 5
    idx = load_index(fake_settings.index_dir, emb.name)
    assert len(idx.chunks) == len(idx.store) == rep.chunks_total
    # row i is chunk i: each chunk's own embedding finds itself first
    from rag.chunking import embedding_text

    for i, c in enumerate(idx.chunks):
        assert idx.store.search(emb.embed_documents([embedding_text(c)])[0], 1)[0][0] == i
    m = idx.manifest
    assert m["embedder"] == {"name": emb.name, "dim": 64, "max_tokens": 256, "precision": "fp32"}
    assert m["counts"] == {"articles": 1, "chunks": rep.chunks_total}
    assert m["date_range"] == ["2023-02-02", "2023-02-02"]
    assert set(m["checksums"]) == {"index.faiss", "chunks.jsonl", "articles.jsonl"}


def test_update_adds_only_new_or_changed_and_skips_duplicates(fake_settings):
    emb, d = HashEmbedder(), fake_settings.index_dir
    update_index(d, arts(("a", "Alpha text about cats."), ("b", "Beta text about dogs.")), emb, fake_settings)
    gen1 = current_generation(d).name
    rep = update_index(d, arts(("a", "Alpha text about cats."), ("b", "Beta text about dogs.")), emb, fake_settings)
    assert rep.unchanged == ("a", "b") and rep.chunks_added == 0
    assert current_generation(d).name == gen1  # nothing changed: no new generation

    changed = arts(("a", "Alpha text about cats."), ("b", "Beta text about wolves."))
    dup = [Article(id="c", title="Title a", text="Alpha text about cats.", published_at="2023-10-01", source="Src")]
    rep = update_index(d, changed + dup, emb, fake_settings)
    assert rep.replaced == ("b",) and rep.unchanged == ("a",) and rep.duplicates == (("c", "a"),)
    idx = load_index(d, emb.name)
    assert sorted(idx.articles) == ["a", "b"]
    assert "wolves" in " ".join(c.text for c in idx.chunks) and "dogs" not in " ".join(c.text for c in idx.chunks)


def test_remove_drops_the_article_and_its_vectors(fake_settings):
    emb, d = HashEmbedder(), fake_settings.index_dir
    update_index(d, arts(("a", "Alpha cats."), ("b", "Beta dogs.")), emb, fake_settings)
    rep = update_index(d, [], emb, fake_settings, remove=["a", "nope"])
    assert rep.removed == ("a",)
    idx = load_index(d, emb.name)
    assert list(idx.articles) == ["b"] and len(idx.store) == len(idx.chunks) == 1
    assert idx.store.search(emb.embed_query("Beta dogs"), 1)[0][0] == 0


def test_missing_mismatched_and_corrupt_indexes_are_refused_with_the_fix(fake_settings, tmp_path):
    with pytest.raises(IndexMissingError, match="rag index"):
        load_index(tmp_path / "nowhere")
    emb, d = HashEmbedder(), fake_settings.index_dir
    update_index(d, arts(("a", "Alpha cats.")), emb, fake_settings)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        load_index(d, "another/model")
    with pytest.raises(IndexMismatchError, match="chunking"):
        update_index(d, arts(("z", "Zed.")), emb, fake_settings.replace(chunk_tokens=41))
    gen = current_generation(d)
    with open(gen / "chunks.jsonl", "a") as fh:
        fh.write(json.dumps({"tampered": True}) + "\n")
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(d, emb.name)
    update_index(d, arts(("a", "Alpha cats.")), emb, fake_settings, rebuild=True)  # the fix works
    assert list(load_index(d, emb.name).articles) == ["a"]


def test_unfinished_generation_is_ignored_and_swept(fake_settings):
    emb, d = HashEmbedder(), fake_settings.index_dir
    update_index(d, arts(("a", "Alpha cats.")), emb, fake_settings)
    good = current_generation(d).name
    half = d / "gen-99999999T999999-1-000000"
    half.mkdir()
    (half / "index.faiss").write_bytes(b"partial")
    assert current_generation(d).name == good
    assert list(load_index(d, emb.name).articles) == ["a"]
    update_index(d, arts(("b", "Beta dogs.")), emb, fake_settings)
    assert not half.exists()
