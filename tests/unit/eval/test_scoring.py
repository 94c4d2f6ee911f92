"""Per-question scores and their aggregates, on hand-made predictions."""
import pytest

from rag.eval.data import Question
from rag.eval.scoring import Passage, Prediction, baseline, compute_metrics, score_question

Q_YES = Question("y", "Did both say so?", ("Yes",), ("d1", "d2"), ("Fact one.",), "comparison_query")
Q_WHO = Question("w", "Who?", ("Ada Lovell",), ("d3",), (), "inference_query")
Q_NULL = Question("n", "Unknowable?", (), (), (), "null_query", answerable=False)


def passage(rank, doc, text=""):
    return Passage(rank, doc, f"{doc}#{rank}", 0.5, "", text)


def test_score_question_reads_answer_retrieval_and_citations():
    p = Prediction("y", "", "Yes, both did [1][3].", citations=("d1", "d9"),
                   retrieved=(passage(1, "d9"), passage(2, "d1", "x Fact  one. y")),
                   raw_answer="Yes, both did [1][3].")
    s = score_question(Q_YES, p, k=2)
    # "yes both did 13" (markers stay, as in the peer scorer) vs "yes": P 1/4, R 1 -> F1 0.4
    assert s.correct is True and s.f1 == pytest.approx(0.4) and s.em is False and not s.abstains
    assert (s.hit_at_k, s.recall_at_k, s.rr, s.evidence_hit) == (True, 0.5, 0.5, True)
    assert s.citation_valid is False  # [3] with two passages
    assert s.citation_precision == 0.5
    s1 = score_question(Q_YES, p, k=1)
    assert (s1.hit_at_k, s1.recall_at_k, s1.rr, s1.evidence_hit) == (False, 0.0, 0.0, False)


def test_the_pipeline_flag_counts_as_declining_even_with_other_words():
    p = Prediction("n", "", "Hmm.", abstained=True)
    assert score_question(Q_NULL, p, 3).correct is True


def test_unanswerable_is_right_only_when_declined():
    assert score_question(Q_NULL, Prediction("n", "", "The articles don't say."), 3).correct is True
    assert score_question(Q_NULL, Prediction("n", "", "Paris."), 3).correct is False
    s = score_question(Q_NULL, Prediction("n", "", "Paris."), 3)
    assert s.f1 is None and s.hit_at_k is None and s.citation_precision is None


def test_aggregates_over_types_and_cost():
    preds = [
        Prediction("y", "", "No.", latency_s=3.0, ttft_s=1.0, tokens=11, tokens_per_s=5.0, prompt_tokens=1000,
                   retrieved=(passage(1, "d1"),), citations=("d1",)),
        Prediction("w", "", "It was Ada Lovell.", latency_s=5.0, ttft_s=3.0, tokens=5, tokens_per_s=2.0, prompt_tokens=1200,
                   retrieved=(passage(1, "d3"),)),
        Prediction("n", "", "The articles don't say.", abstained=True, latency_s=0.1, retrieved=(passage(1, "d3"),)),
    ]
    mt, scores = compute_metrics([Q_YES, Q_WHO, Q_NULL], preds, k=1)
    o = mt.overall
    assert (o.n, o.n_answerable, o.n_unanswerable) == (3, 2, 1)
    assert o.accuracy == pytest.approx(2 / 3) and o.accuracy_answerable == 0.5
    assert (o.abstention_precision, o.abstention_recall, o.abstention_f1, o.false_abstention_rate) == (1.0, 1.0, 1.0, 0.0)
    # tokens after the model's first / the time after it (10 at 5/s, 4 at 2/s): the first words
    # shown (ttft_s) may come before the model runs (an entity lead), so they are not used
    assert o.tokens_per_s == pytest.approx((10 + 4) / (10 / 5.0 + 4 / 2.0))
    assert o.prompt_tokens == 1100
    assert o.latency_p50 == 3.0 and o.ttft_p50 == 2.0
    assert o.cited_share == 0.5  # of the two committed answers, one cites
    assert o.recall_at_k == 0.75 and o.mrr == 1.0  # y: 1/2, w: 1/1
    assert mt.by_type["inference_query"].accuracy == 1.0 and mt.by_type["null_query"].declined == 1.0
    assert mt.missing == () and mt.n_scored == 3


def test_missing_predictions_are_left_out_and_listed():
    mt, _ = compute_metrics([Q_YES, Q_WHO], [Prediction("w", "", "Ada Lovell")], k=3)
    assert mt.n_scored == 1 and mt.missing == ("y",) and mt.overall.accuracy == 1.0


def test_trivial_baselines():
    qs = [Q_YES, Q_WHO, Q_NULL]
    yes = baseline("always_yes", "Yes", qs, 4)
    assert yes.overall.accuracy == pytest.approx(1 / 3) and yes.by_type["comparison_query"].accuracy == 1.0
    assert yes.overall.abstention_recall == 0.0 and yes.overall.recall_at_k is None
    no = baseline("always_abstain", "The articles don't say.", qs, 4)
    assert no.overall.accuracy == pytest.approx(1 / 3) and no.overall.false_abstention_rate == 1.0
    assert no.overall.abstention_precision == pytest.approx(1 / 3)


def test_prediction_json_round_trip():
    p = Prediction("y", "q", "a", citations=("d1",), retrieved=(passage(1, "d1", "t"),),
                   rankings={1: ("d1",), 20: ("d1", "d2")}, latency_s=1.0)
    d = p.to_json()
    assert d["rankings"] == {"1": ["d1"], "20": ["d1", "d2"]} and d["retrieved"][0]["doc_id"] == "d1"
    assert Prediction.from_json(d | {"scores": {}, "unknown": 1}) == p


def test_yes_no_questions_report_the_yes_shares_and_the_confusion():
    q_no = Question("n2", "Did it rain?", ("no",), (), (), "comparison_query")
    q_true = Question("t", "Was it so?", ("True",), (), (), "temporal_query")
    preds = [Prediction("y", "", "Yes. Both did."), Prediction("n2", "", "Yes, it rained."),
             Prediction("t", "", "The articles don't say."), Prediction("w", "", "Ada Lovell."),
             Prediction("n", "", "No.")]
    mt, scores = compute_metrics([Q_YES, q_no, q_true, Q_WHO, Q_NULL], preds, k=1)
    assert (scores["t"].gold_polarity, scores["t"].answer_polarity) == ("yes", None)
    assert scores["w"].gold_polarity is None and scores["n"].gold_polarity is None  # not yes/no, unanswerable
    o = mt.overall
    assert o.polarity_confusion == {"yes→yes": 1, "no→yes": 1, "yes→none": 1}
    assert o.yes_share_gold == pytest.approx(2 / 3) and o.yes_share_answered == pytest.approx(2 / 3)
    assert mt.by_type["comparison_query"].polarity_confusion == {"yes→yes": 1, "no→yes": 1}
    assert mt.by_type["inference_query"].polarity_confusion is None
