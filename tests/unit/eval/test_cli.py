"""`rag eval`'s own part: the index and pipeline it builds, and the run folder it checks first."""
import json

import pytest

from rag.cli import main
from rag.eval import IndexStats, build_pipeline, eval_index_dir, eval_settings, evaluate, prepare_index
from rag.settings import PROJECT_ROOT

from ...fakes import HashEmbedder, ScriptedGenerator
from .conftest import ARTICLES, QUESTIONS


@pytest.fixture
def corpus(tmp_path):
    p = tmp_path / "corpus.jsonl"
    p.write_text("".join(json.dumps({"id": a.id, "title": a.title, "text": a.text}) + "\n" for a in ARTICLES))
    return p


def test_the_default_eval_index_lives_under_index_named_after_the_corpus(tmp_path):
    assert eval_index_dir(["/data/multihop/corpus.jsonl"]) == PROJECT_ROOT / "index" / "eval-corpus"
    two = eval_index_dir(["/data/a.jsonl", "/data/b"])
    assert two.parent == PROJECT_ROOT / "index" and two.name.startswith("eval-a-")


def test_index_stats_of_a_corpus_built_in_the_run(tmp_path, fake_settings, corpus):
    s = fake_settings
    first = prepare_index([corpus], tmp_path / "ix", HashEmbedder(), s)
    assert isinstance(first, IndexStats) and not first.reused and first.articles == 3
    assert first.chunks_embedded == first.chunks > 0 and first.chunks_per_s > 0
    again = prepare_index([corpus], tmp_path / "ix", HashEmbedder(), s)
    assert again.reused and again.chunks_embedded == 0 and again.chunks == first.chunks


def test_the_run_index_is_the_one_named_else_the_corpus_one_else_the_settings_one(fake_settings, tmp_path):
    assert eval_settings(fake_settings, ["/data/corpus.jsonl"], tmp_path / "ix").index_dir == tmp_path / "ix"
    assert eval_settings(fake_settings, ["/data/corpus.jsonl"]).index_dir == PROJECT_ROOT / "index" / "eval-corpus"
    assert eval_settings(fake_settings).index_dir == fake_settings.index_dir


def test_the_built_pipeline_answers_over_the_corpus_it_indexed(fake_settings, corpus, tmp_path):
    s = fake_settings.replace(index_dir=tmp_path / "ix", k=2, min_score=0.0)
    pipe, stats = build_pipeline(s, [corpus], embedder=HashEmbedder(), generator=ScriptedGenerator("Yes."))
    assert stats.articles == 3 and not stats.reused and stats.dir == str(tmp_path / "ix")
    assert pipe.settings is s and len(pipe.index.articles) == 3
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps(QUESTIONS[1]) + "\n")
    r = evaluate(q, pipe, out=tmp_path / "run", index_stats=stats)
    assert r.index == stats and r.predictions[0].retrieved[0].doc_id == "harbour"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["index"]["chunks_embedded"] == stats.chunks


def test_a_run_folder_with_other_settings_is_refused_before_any_model_loads(fake_settings, corpus, tmp_path,
                                                                           monkeypatch, capsys):
    s = fake_settings.replace(index_dir=tmp_path / "ix")
    pipe, _ = build_pipeline(s, [corpus], embedder=HashEmbedder(), generator=ScriptedGenerator("Yes."))
    q, out = tmp_path / "q.jsonl", tmp_path / "run"
    q.write_text(json.dumps(QUESTIONS[1]) + "\n")
    evaluate(q, pipe, out=out)

    def no_models(*a, **kw):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("rag.eval.cli.build_pipeline", no_models)
    assert main(["eval", str(q), "--index", str(tmp_path / "other"), "--out", str(out)]) == 1
    assert "holds a run with other settings" in capsys.readouterr().err
