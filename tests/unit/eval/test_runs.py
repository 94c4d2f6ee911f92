"""The evaluation runner on fakes: outputs, figures, resume after interruption, compare."""
import json
import re

import pytest

from rag.articles import load_paths
from rag.cli import main
from rag.eval import EvalResult, EvalRunError, compare, evaluate, load_questions

from ...fakes import HashEmbedder, ScriptedGenerator
from .conftest import QUESTIONS, reply_by_question

def read_predictions(out):
    return [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]


def test_a_run_writes_predictions_metrics_report_and_charts(pipe, questions_file, tmp_path):
    out = tmp_path / "run"
    r = evaluate(questions_file, pipe, out=out)
    assert isinstance(r, EvalResult) and r.out == out and r.resumed == 0
    assert {p.name for p in out.iterdir()} >= {
        "predictions.jsonl", "metrics.json", "report.md", "run.json",
        "accuracy_by_type.png", "recall_at_k.png", "latency.png"}
    assert (out / "recall_at_k.png").read_bytes()[:4] == b"\x89PNG"

    rows = read_predictions(out)
    assert [p["id"] for p in rows] == ["q1", "q2", "q3", "q4"]
    p1 = rows[0]
    for key in ("question", "answer", "abstained", "citations", "retrieved", "latency_s", "ttft_s", "tokens", "scores"):
        assert key in p1
    assert p1["citations"] == ["orchard"] and p1["retrieved"][0]["doc_id"] == "orchard"
    assert set(p1["retrieved"][0]) >= {"rank", "doc_id", "chunk_id", "score", "text"}
    assert p1["scores"]["correct"] is True and p1["scores"]["hit_at_k"] is True
    assert rows[3]["abstained"] is True and rows[3]["scores"]["correct"] is True

    o = r.metrics.overall
    assert (o.n, o.n_answerable, o.n_unanswerable) == (4, 3, 1)
    assert o.accuracy == 0.75  # q3 says both yes and no: wrong
    assert o.accuracy_answerable == pytest.approx(2 / 3)
    assert (o.abstention_precision, o.abstention_recall, o.false_abstention_rate) == (1.0, 1.0, 0.0)
    assert o.citation_validity == pytest.approx(2 / 3)  # q3's [7] points past the 2 passages
    assert o.evidence_hit_at_k == 1.0
    assert r.metrics.by_type["comparison_query"].accuracy == 0.5
    assert r.metrics.baselines["always_yes"].overall.accuracy == 0.25
    assert r.metrics.baselines["always_abstain"].overall.accuracy == 0.25

    saved = json.loads((out / "metrics.json").read_text())
    assert saved["metrics"]["overall"]["accuracy"] == 0.75
    assert set(saved["metrics"]["by_type"]) == {"inference_query", "comparison_query", "null_query"}
    report = (out / "report.md").read_text()
    assert "| accuracy, all questions" in report and 'always "Yes"' in report
    assert "## Worst failures" in report and "### q3 (comparison_query)" in report
    assert "Farmer Ada Lovell" not in report.split("## Worst failures")[1]  # q1 was right
    assert "max_chunks_per_article" in report and "![recall@k](recall_at_k.png)" in report
    yes_no = report.split("## Yes/no questions")[1].split("##")[0]  # q2 gold yes; q3 gold no, said both
    assert "| comparison_query | 2 | 0.500 |" in yes_no and "| 1 | 0 | 0 | 0 | 0 | 1 |" in yes_no


def test_the_curve_at_the_run_k_equals_the_headline_figures(pipe, questions_file):
    r = evaluate(questions_file, pipe)
    at_k = next(p for p in r.metrics.curve if p.k == r.metrics.k)
    assert at_k.recall == r.metrics.overall.recall_at_k and at_k.hit == r.metrics.overall.hit_at_k
    assert [p.k for p in r.metrics.curve][:5] == [1, 2, 3, 4, 5]
    assert r.out is None


class Interrupting(ScriptedGenerator):
    """Answers normally, then raises KeyboardInterrupt on generation number `stop_at`."""

    def __init__(self, stop_at):
        super().__init__(reply_by_question)
        self.stop_at = stop_at

    def stream(self, messages, *, max_tokens, opening_words=()):
        if len(self.prompts) + 1 == self.stop_at:
            self.prompts.append(messages)
            raise KeyboardInterrupt
        yield from super().stream(messages, max_tokens=max_tokens)


def test_an_interrupted_run_resumes_where_it_stopped(pipe, questions_file, tmp_path):
    out = tmp_path / "run"
    pipe.generator = Interrupting(stop_at=3)
    with pytest.raises(KeyboardInterrupt):
        evaluate(questions_file, pipe, out=out)
    assert [p["id"] for p in read_predictions(out)] == ["q1", "q2"]
    with open(out / "predictions.jsonl", "a") as fh:
        fh.write('{"id": "q3", "question": "torn wri')  # a crash in the middle of a line

    pipe.generator = ScriptedGenerator(reply_by_question)
    r = evaluate(questions_file, pipe, out=out)
    asked = [m[-1]["content"] for m in pipe.generator.prompts]
    assert len(asked) == 2 and QUESTIONS[2]["question"] in asked[0]  # q1, q2 not asked again
    assert [p["id"] for p in read_predictions(out)] == ["q1", "q2", "q3", "q4"]
    assert r.resumed == 2 and r.metrics.n_scored == 4 and r.metrics.overall.accuracy == 0.75
    run = json.loads((out / "run.json").read_text())
    assert [s["predicted"] for s in run["sessions"]] == [2, 2]
    assert "over 2 sessions (resumed)" in (out / "report.md").read_text()

    again = evaluate(questions_file, pipe, out=out)  # all done: nothing asked
    assert len(pipe.generator.prompts) == 2 and again.resumed == 4


def test_resuming_with_other_settings_is_refused(pipe, questions_file, tmp_path):
    out = tmp_path / "run"
    evaluate(questions_file, pipe, out=out, limit=1)
    pipe.settings = pipe.settings.replace(k=3)
    with pytest.raises(EvalRunError, match=r"other settings \(k=2 there, 3 here\).*another --out"):
        evaluate(questions_file, pipe, out=out)


def test_limit_then_a_larger_limit_continues(pipe, questions_file, tmp_path):
    out = tmp_path / "run"
    assert evaluate(questions_file, pipe, out=out, limit=2).metrics.n_questions == 2
    r = evaluate(questions_file, pipe, out=out, limit=3)
    assert r.resumed == 2 and [p.id for p in r.predictions] == ["q1", "q2", "q3"]


def test_retrieval_only_runs_no_generator(pipe, questions_file):
    r = evaluate(questions_file, pipe, retrieval_only=True)
    assert pipe.generator.prompts == []
    o = r.metrics.overall
    assert o.accuracy is None and o.abstention_recall is None and o.recall_at_k is not None
    assert r.metrics.baselines == {} and r.metrics.retrieval_only


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        self.queries = []

    def embed_query(self, text):
        self.queries.append(text)
        return super().embed_query(text)


@pytest.mark.parametrize("retrieval_only", [True, False])
def test_every_depth_of_the_curve_is_retrieved_from_one_query_vector(pipe, questions_file, retrieval_only):
    emb = CountingEmbedder()
    pipe.embedder = pipe.retriever.embedder = emb
    r = evaluate(questions_file, pipe, retrieval_only=retrieval_only)
    # Retrieval-only: one embedding a question; answering: the pipeline's own, then one for the curve.
    assert len(emb.queries) == len(QUESTIONS) * (1 if retrieval_only else 2)
    for p in r.predictions:
        assert set(p.rankings) >= {1, 2, 5, 20}
        for d, ids in p.rankings.items():  # what the retriever returns when asked for d passages
            assert ids == tuple(h.chunk.article_id for h in pipe.retrieve(p.question, d))


def test_a_question_the_pipeline_refuses_is_recorded_and_counted_wrong(pipe, tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text(json.dumps({"id": "long", "question": "apples " * 400, "answers": ["x"]}) + "\n"
                 + json.dumps({"id": "ok", "question": QUESTIONS[0]["question"], "answers": ["Ada Lovell"]}) + "\n")
    r = evaluate(p, pipe)
    assert r.predictions[0].error and "characters long" in r.predictions[0].error
    assert r.scores["long"].correct is False and r.scores["ok"].correct is True
    assert r.metrics.overall.errors == 1


def test_compare_two_runs(pipe, questions_file, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    evaluate(questions_file, pipe, out=a)
    pipe.generator = ScriptedGenerator("Yes.")
    evaluate(questions_file, pipe, out=b)
    text = compare(a, b)
    row = next(line for line in text.splitlines() if line.startswith("| accuracy, all"))
    assert re.search(r"\| 0\.750 \| 0\.250 \| -0\.500 \|", row)
    assert "comparison_query: accuracy" in text


def test_cli_compare_and_cli_errors(pipe, questions_file, tmp_path, capsys):
    a = tmp_path / "a"
    evaluate(questions_file, pipe, out=a)
    assert main(["eval", "--compare", str(a), str(a)]) == 0
    assert "+0.000" in capsys.readouterr().out
    assert main(["eval"]) == 1
    assert "give a question file" in capsys.readouterr().err
    assert main(["eval", "--compare", str(a), str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: question file") and err.count("\n") == 1


def test_the_fixture_question_set_is_usable_for_the_runner():
    qs = load_questions(__import__("pathlib").Path(__file__).resolve().parents[2]
                        / "fixtures" / "multihop_small" / "questions.jsonl")
    ids = {a.id for a in load_paths([qs.path.replace("questions.jsonl", "corpus.jsonl")]).articles}
    assert all(set(q.evidence_ids) <= ids for q in qs.questions)


def test_a_killed_session_still_records_its_time(fake_settings, questions_file, tmp_path):
    from datetime import datetime, timezone

    from rag.eval.runs import RunRecord

    path = tmp_path / "run" / "run.json"
    rec = RunRecord(path, fake_settings, str(questions_file), False)
    rec.start("rag eval q.jsonl", None, datetime.now(timezone.utc))
    rec.tick(10.0, 1)  # too soon after the start: not written
    assert "wall_s" not in json.loads(path.read_text())["sessions"][-1]
    rec.tick(31.0, 3)  # then the process is killed: no finish()
    session = json.loads(path.read_text())["sessions"][-1]
    assert session["wall_s"] == 31.0 and session["predicted"] == 3 and "finished" not in session
