"""Shared fixtures. Unit tests use the fakes; integration tests load the real models once."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_77154c4569bde0ee.txt"


@pytest.fixture
def fake_settings(tmp_path):
    from rag.settings import Settings

    return Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap=8, min_score=0.05)


@pytest.fixture
def fake_pipeline(fake_settings):
    """A Pipeline over the seed article with the fake embedder and a scripted generator."""
    from rag.articles import load_paths
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline

    from .fakes import HashEmbedder, ScriptedGenerator

    emb = HashEmbedder()
    update_index(fake_settings.index_dir, load_paths([SEEDS]).articles, emb, fake_settings)
    return Pipeline(emb, load_index(fake_settings.index_dir, emb.name), ScriptedGenerator(), fake_settings)


# ---------------------------------------------------------------- real models, once per session


@pytest.fixture(scope="session")
def real_embedder():
    from rag.embedding import make_embedder

    emb = make_embedder()  # the default path: OpenVINO where installed, bf16 where the CPU has it
    emb.embed_query("load now, once")
    return emb


@pytest.fixture(scope="session")
def real_generator():
    from rag.generation import make_generator
    from rag.settings import Settings

    gen = make_generator(Settings(temperature=0.0, seed=0))  # the default path: its faster copy, its threads
    gen.llm
    return gen


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory, real_embedder):
    """The seed article indexed with the real embedder, in a temporary folder."""
    from rag.articles import load_paths
    from rag.indexing import update_index
    from rag.settings import Settings

    d = tmp_path_factory.mktemp("seed-index") / "index"
    s = Settings(index_dir=d)
    update_index(d, load_paths([SEEDS]).articles, real_embedder, s)
    return d


@pytest.fixture(scope="session")
def real_pipeline(seed_index_dir, real_embedder, real_generator):
    from rag.indexing import load_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    s = Settings(index_dir=seed_index_dir)
    return Pipeline(real_embedder, load_index(seed_index_dir, real_embedder.name), real_generator, s)


@pytest.fixture
def copy_of(tmp_path):
    def _copy(src: Path) -> Path:
        dst = tmp_path / src.name
        shutil.copytree(src, dst) if src.is_dir() else shutil.copy(src, dst)
        return dst

    return _copy
