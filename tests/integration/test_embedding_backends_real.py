"""The embedder's OpenVINO backend against the PyTorch reference, its cached conversion, and an
index that keeps the variant it was built with (real default embedder)."""
import os

import numpy as np
import pytest

from rag.settings import Settings

pytestmark = pytest.mark.integration

TEXTS = [
    "Deputy US Secretary of State Wendy Sherman led the US delegation at the Geneva talks.",
    "Russia wants guarantees that NATO will not expand further east.",
    "The ferry to Almada resumed on Monday after a strike.",
    "Quarterback Josh Dobbs led the Minnesota Vikings to a win over the Atlanta Falcons, "
    "throwing for 158 yards and two touchdowns while rushing for 66 more. " * 3,
]


@pytest.fixture(scope="module")
def reference():
    from rag.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(precision="fp32").embed_documents(TEXTS)


@pytest.mark.parametrize("precision, floor", [("bf16", 0.999), ("fp32", 0.99999)])
def test_openvino_gives_the_pytorch_vectors(reference, precision, floor):
    from rag.embedding import make_embedder

    ov = make_embedder(Settings(), backend="openvino", precision=precision)
    got = ov.embed_documents(TEXTS)
    assert ov.name.endswith(f"@openvino-{precision}") and got.shape == reference.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * reference).sum(axis=1).min() >= floor
    # a query alone (batch of one, no padding) is the same vector as in a batch
    assert float(ov.embed_query(TEXTS[0]) @ got[0]) >= 0.9999
    assert ov.count_tokens(TEXTS[0]) == len(ov.tokenizer(TEXTS[0], add_special_tokens=False)["input_ids"])


def test_the_conversion_is_cached_and_reused(tmp_path, monkeypatch):
    from rag import embedding_openvino as ovb
    from rag.embedding import DEFAULT, resolve_embedder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    transformer = ovb.st_layout(resolve_embedder(DEFAULT)[0])[0]
    xml = ovb.converted_model(transformer)
    assert xml.is_file() and xml.parent.parent == tmp_path / "newsqa" / "openvino"
    stamp = os.stat(xml).st_mtime_ns
    assert ovb.converted_model(transformer) == xml and os.stat(xml).st_mtime_ns == stamp  # not converted again
    assert not [p for p in xml.parent.parent.iterdir() if p.name.startswith(".tmp-")]  # no leftovers


def test_an_index_is_queried_and_updated_with_the_variant_it_was_built_with(tmp_path):
    from rag.articles import load_paths
    from rag.embedding import DEFAULT_EMBEDDER_NAME, embedder_for_index, make_embedder
    from rag.indexing import load_index, update_index

    from ..conftest import SEEDS

    d = tmp_path / "index"
    s = Settings(index_dir=d)
    built = make_embedder(s, backend="torch", precision="fp32")  # an index from before the backends
    update_index(d, load_paths([SEEDS]).articles, built, s)
    follows = embedder_for_index(s)  # settings on "auto", as by default
    assert follows.name == built.name == DEFAULT_EMBEDDER_NAME
    load_index(d, follows.name)
    new = embedder_for_index(s.replace(index_dir=tmp_path / "new"))  # a new index: this machine's choice
    assert new.name == make_embedder(s).name
