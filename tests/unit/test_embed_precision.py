"""Embedder variant (backend, precision): chosen for this machine for a new index, recorded by
the index, followed by its queries and updates, an explicit mismatch refused."""
import numpy as np
import pytest

import rag.embedding as embedding
from rag.embedding import normalise, resolve_precision, variant_of, vector_space_name
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


def test_settings_read_and_check_the_precision_and_backend():
    s = Settings.from_env({})
    assert (s.embed_precision, s.embed_backend) == ("auto", "auto")
    assert Settings.from_env({"RAG_EMBED_PRECISION": "fp32"}).embed_precision == "fp32"
    assert Settings.from_env({"RAG_EMBED_BACKEND": "torch"}).embed_backend == "torch"
    with pytest.raises(SettingsError, match="embed_precision='fp16'"):
        Settings.from_env({"RAG_EMBED_PRECISION": "fp16"})
    with pytest.raises(SettingsError, match="embed_backend='onnx'"):
        Settings.from_env({"RAG_EMBED_BACKEND": "onnx"})


@pytest.mark.parametrize("precision, backend, name", [
    ("fp32", "torch", "m/x"), ("bf16", "torch", "m/x@bf16"),
    ("bf16", "openvino", "m/x@openvino-bf16"), ("fp32", "openvino", "m/x@openvino-fp32"),
])
def test_each_variant_has_its_name_and_the_name_gives_the_variant_back(precision, backend, name):
    assert vector_space_name("m/x", precision, backend) == name  # PyTorch fp32: older indexes still load
    assert variant_of(name) == ("m/x", backend, precision)


class _Made:
    def __init__(self, backend, precision):
        self.backend, self.precision = backend, precision
        self.name = vector_space_name(HashEmbedder.name, precision, backend)


@pytest.fixture
def made(monkeypatch):
    """make_embedder records what it was asked for instead of loading a model."""
    monkeypatch.setattr(embedding, "resolve_embedder", lambda choice: ("folder", HashEmbedder.name))
    monkeypatch.setattr(embedding, "make_embedder",
                        lambda settings=None, backend=None, precision=None:
                        _Made(backend or settings.embed_backend, precision or settings.embed_precision))


def test_queries_and_updates_follow_the_index_while_the_settings_say_auto(fake_settings, made):
    update_index(fake_settings.index_dir, ARTS, Bf16HashEmbedder(), fake_settings)  # built as torch bf16
    e = embedding.embedder_for_index(fake_settings)
    assert (e.backend, e.precision, e.name) == ("torch", "bf16", Bf16HashEmbedder.name)
    load_index(fake_settings.index_dir, e.name)  # accepted


def test_an_explicit_setting_is_kept_and_a_new_index_takes_the_settings(fake_settings, made):
    update_index(fake_settings.index_dir, ARTS, Bf16HashEmbedder(), fake_settings)
    e = embedding.embedder_for_index(fake_settings.replace(embed_backend="openvino"))
    assert (e.backend, e.precision) == ("openvino", "bf16")  # the index's precision, the asked backend
    with pytest.raises(IndexMismatchError):
        load_index(fake_settings.index_dir, e.name)
    e = embedding.embedder_for_index(fake_settings.replace(index_dir=fake_settings.index_dir.parent / "new"))
    assert (e.backend, e.precision) == ("auto", "auto")  # no index: what the settings ask (resolved when made)


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
    monkeypatch.setenv("RAG_EMBED_PRECISION", "fp32")
    e = SentenceTransformerEmbedder()
    assert (e.precision, e.name, e._batch_size) == ("fp32", DEFAULT_EMBEDDER_NAME, 64)
    assert SentenceTransformerEmbedder(precision="bf16", batch_size=8)._batch_size == 8
