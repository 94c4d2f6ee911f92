"""`rag eval` end to end with the real embedded models over the MultiHop-RAG fixture, and a real
run resumed after an interruption. Answers are capped at 64 tokens to keep this near a minute."""
import contextlib
import io
import json
from pathlib import Path

import pytest

from rag.cli import main
from rag.eval import evaluate, prepare_index
from rag.indexing import load_index
from rag.pipeline import Pipeline
from rag.settings import Settings

from ..unit.eval.test_crosscheck import agreement

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "multihop_small"
QUESTIONS, CORPUS = FIXTURE / "questions.jsonl", FIXTURE / "corpus.jsonl"
MAX_TOKENS = 64


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory, real_embedder):
    d = tmp_path_factory.mktemp("eval-fixture") / "index"
    stats = prepare_index([CORPUS], d, real_embedder, Settings(index_dir=d))
    assert stats.articles == 11 and not stats.reused
    return d


@pytest.fixture(scope="module")
def cli_run(fixture_index, tmp_path_factory):
    """One real `rag eval` over the whole fixture (the index is reused: the corpus is unchanged)."""
    out = tmp_path_factory.mktemp("eval-run") / "run"
    mp = pytest.MonkeyPatch()
    mp.setenv("RAG_MAX_ANSWER_TOKENS", str(MAX_TOKENS))
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            rc = main(["eval", str(QUESTIONS), "--corpus", str(CORPUS), "--index", str(fixture_index),
                       "--out", str(out)])
    finally:
        mp.undo()
    return rc, buf.getvalue(), out


def test_rag_eval_writes_every_output(cli_run):
    rc, stdout, out = cli_run
    assert rc == 0
    assert "11 articles" in stdout and "reused unchanged" in stdout
    assert "8/8 questions scored" in stdout and 'always "Yes"' in stdout
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and len({r["id"] for r in rows}) == 8
    for r in rows:
        assert r["retrieved"] and r["latency_s"] > 0 and "scores" in r
        assert all(p["doc_id"].startswith("mhr-d") and p["chunk_id"] for p in r["retrieved"])
        assert r["abstained"] or r["tokens"] <= MAX_TOKENS
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["metrics"]["by_type"]) == {"inference_query", "comparison_query", "temporal_query", "null_query"}
    assert metrics["index"]["articles"] == 11
    for png in ("accuracy_by_type.png", "recall_at_k.png", "latency.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert f"rag eval {QUESTIONS} --corpus {CORPUS}" in report
    assert "## Per question type" in report and "## Worst failures" in report


def test_real_retrieval_finds_the_evidence_articles(cli_run):
    _, _, out = cli_run
    o = json.loads((out / "metrics.json").read_text())["metrics"]["overall"]
    # 11 articles, every answerable question's evidence among them: most must be found.
    assert o["hit_at_k"] >= 0.8 and o["recall_at_k"] >= 0.5
    assert o["latency_p50"] > 0 and o["retrieval_p50"] < o["latency_p50"]


def test_the_real_run_agrees_with_the_peer_scorer(cli_run):
    _, _, out = cli_run
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    k = json.loads((out / "metrics.json").read_text())["k"]
    assert agreement(QUESTIONS, preds, k) == []


class StopsMidAnswer:
    """The real generator, interrupted (as by Ctrl-C) in the middle of answer number `stop_at`."""

    def __init__(self, generator, stop_at):
        self.generator, self.stop_at, self.calls = generator, stop_at, []

    def count_tokens(self, text):
        return self.generator.count_tokens(text)

    def stream(self, messages, *, max_tokens, opening_words=()):
        self.calls.append(messages[-1]["content"])
        for n, piece in enumerate(self.generator.stream(messages, max_tokens=max_tokens, opening_words=opening_words)):
            if len(self.calls) == self.stop_at and n == 3:
                raise KeyboardInterrupt
            yield piece


def test_a_real_run_resumes_after_an_interruption(fixture_index, real_embedder, real_generator, tmp_path):
    settings = Settings(index_dir=fixture_index, max_answer_tokens=MAX_TOKENS)
    index = load_index(fixture_index, real_embedder.name)
    out = tmp_path / "run"
    gen = StopsMidAnswer(real_generator, stop_at=2)
    pipe = Pipeline(real_embedder, index, gen, settings)
    with pytest.raises(KeyboardInterrupt):
        evaluate(QUESTIONS, pipe, out=out, limit=4)
    before = [json.loads(line)["id"] for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert 1 <= len(before) < 4  # the answer cut off mid-way was not recorded

    gen = StopsMidAnswer(real_generator, stop_at=0)
    pipe.generator = gen
    r = evaluate(QUESTIONS, pipe, out=out, limit=4)
    asked = [q.id for q in r.questions.questions if any(q.question in c for c in gen.calls)]
    assert not set(asked) & set(before)  # finished questions were not asked again
    ids = [json.loads(line)["id"] for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert ids[: len(before)] == before and sorted(ids) == sorted(q.id for q in r.questions.questions)
    assert r.resumed == len(before) and r.metrics.n_scored == 4
