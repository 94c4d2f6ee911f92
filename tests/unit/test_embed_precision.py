"""Embedder precision: chosen by the CPU's flags, recorded by the index, a mismatch refused."""
import numpy as np
import pytest

from rag.embedding import normalise, resolve_precision, vector_space_name
from rag.errors import IndexMismatchError, ModelError, SettingsError
from rag.indexing import load_index, update_index
from rag.settings import Settings
from rag.types import Article

from ..fakes import HashEmbedder


class Bf16HashEmbedder(HashEmbedder):
    """The fake's vectors under the name a bf16 embedder of the same model records."""
    precision = "bf16"
    name = vector_space_name(HashEmbedder.name, "bf16")


ARTS = [Article(id="a", title="Alpha", text="Alpha text about cats and their owners.", source="Src")]


@pytest.mark.parametrize("flags, want", [
    ({"avx2", "avx512_bf16"}, "bf16"), ({"amx_bf16", "amx_tile"}, "bf16"),
    ({"avx2", "avx512f", "avx512_vnni"}, "fp32"), (set(), "fp32"),
])
def test_auto_is_bf16_only_where_the_cpu_computes_it(flags, want):
    assert resolve_precision("auto", flags) == want


def test_an_explicit_precision_is_kept_and_a_bad_one_named():
    assert resolve_precision("fp32", {"avx512_bf16"}) == "fp32"
    assert resolve_precision("bf16", set()) == "bf16"
    with pytest.raises(ModelError, match="'int4'.*RAG_EMBED_PRECISION"):
        resolve_precision("int4", set())


def test_settings_read_and_check_the_precision():
    assert Settings.from_env({}).embed_precision == "fp32"
    assert Settings.from_env({"RAG_EMBED_PRECISION": "auto"}).embed_precision == "auto"
    with pytest.raises(SettingsError, match="embed_precision='fp16'"):
        Settings.from_env({"RAG_EMBED_PRECISION": "fp16"})


def test_fp32_keeps_the_model_name_so_older_indexes_still_load():
    assert vector_space_name("m/x", "fp32") == "m/x"
    assert vector_space_name("m/x", "bf16") == "m/x@bf16"


def test_normalise_gives_unit_float32_rows_and_leaves_zero_rows():
    v = normalise(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float64))
    assert v.dtype == np.float32 and np.allclose(v, [[0.6, 0.8], [0.0, 0.0]])


def test_the_manifest_records_the_precision(fake_settings):
    update_index(fake_settings.index_dir, ARTS, Bf16HashEmbedder(), fake_settings)
    m = load_index(fake_settings.index_dir, Bf16HashEmbedder.name).manifest
    assert m["embedder"]["precision"] == "bf16" and m["embedder"]["name"] == "fake/hash-words@bf16"


def test_queries_of_another_precision_are_refused_with_the_fix(fake_settings):
    d = fake_settings.index_dir
    update_index(d, ARTS, HashEmbedder(), fake_settings)  # fp32
    with pytest.raises(IndexMismatchError, match="precision fp32, settings ask for bf16: set RAG_EMBED_PRECISION=fp32"):
        load_index(d, Bf16HashEmbedder.name)
    with pytest.raises(IndexMismatchError, match="precision fp32, settings ask for bf16"):
        update_index(d, ARTS + [Article(id="b", title="B", text="Dogs.")], Bf16HashEmbedder(), fake_settings)
    with pytest.raises(IndexMismatchError, match="embedder 'fake/hash-words', settings ask for 'other/model'"):
        load_index(d, "other/model")


def test_an_index_built_in_bf16_refuses_fp32_queries(fake_settings):
    d = fake_settings.index_dir
    update_index(d, ARTS, Bf16HashEmbedder(), fake_settings)
    with pytest.raises(IndexMismatchError, match="precision bf16, settings ask for fp32: set RAG_EMBED_PRECISION=bf16"):
        load_index(d, HashEmbedder.name)


def test_the_real_embedder_takes_its_precision_from_the_environment_without_loading(monkeypatch):
    from rag.embedding import DEFAULT_EMBEDDER_NAME, SentenceTransformerEmbedder

    monkeypatch.setenv("RAG_EMBED_PRECISION", "bf16")
    e = SentenceTransformerEmbedder()
    assert (e.precision, e.name, e._batch_size, e._model) == ("bf16", DEFAULT_EMBEDDER_NAME + "@bf16", 128, None)
    monkeypatch.delenv("RAG_EMBED_PRECISION")
    e = SentenceTransformerEmbedder()
    assert (e.precision, e.name, e._batch_size) == ("fp32", DEFAULT_EMBEDDER_NAME, 64)
    assert SentenceTransformerEmbedder(precision="bf16", batch_size=8)._batch_size == 8
