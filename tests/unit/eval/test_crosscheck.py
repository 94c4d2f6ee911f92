"""Our figures against an independent scorer written by someone else (peer/score.py).

On the same predictions, accuracy, abstention and retrieval figures must agree, except where
docs/evaluation.md explains a rule we chose on purpose: an answer stating both a "yes" and a
"no" verdict is wrong here, while the peer scorer reads only the first yes/no word.
The peer scorer is not part of this project; these tests skip when it is not found (set
PEER_SCORER to its path), except under CI=true, where it must be there.
"""
import importlib.util
import json
import os
from pathlib import Path

import pytest

from rag.eval.data import load_questions
from rag.eval.metrics import polarity
from rag.eval.scoring import Prediction, compute_metrics

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "multihop_small"
# Default: ../shared/peer/score.py beside the project folder.
PEER = Path(os.environ.get("PEER_SCORER", Path(__file__).resolve().parents[4] / "shared" / "peer" / "score.py"))


def peer_scorer():
    if not PEER.is_file():
        if os.environ.get("CI") == "true":  # CI has ../shared: a missing scorer must not hide a disagreement
            pytest.fail(f"the peer scorer is not at {PEER} (set PEER_SCORER)")
        pytest.skip(f"the peer scorer is not at {PEER} (set PEER_SCORER)")
    spec = importlib.util.spec_from_file_location("peer_score", PEER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def agreement(questions_path, predictions: list[dict], k: int) -> list[str]:
    """Differences between our figures and the peer scorer's on the same predictions, with
    questions whose answer states both verdicts left out (the one intended difference)."""
    peer = peer_scorer()
    qset = load_questions(questions_path)
    gold = [json.loads(line) for line in Path(questions_path).read_text().splitlines() if line.strip()]
    both = {p["id"] for p in predictions if polarity(p.get("answer") or "") == "both"}
    preds = [p for p in predictions if p["id"] not in both]
    ours, _ = compute_metrics([q for q in qset.questions if q.id not in both],
                              [Prediction.from_json(p) for p in preds], k)
    theirs, _, _ = peer.score([g for g in gold if g["id"] not in both], preds, k)
    o = ours.overall
    pairs = {
        "accuracy_overall": (o.accuracy, theirs["accuracy_overall"]),
        "accuracy_answerable": (o.accuracy_answerable, theirs["accuracy_answerable"]),
        "token_f1": (o.token_f1, theirs["token_f1"]),
        "abstention_rate": (o.abstention_recall, theirs["abstention_rate"]),
        "false_abstention_rate": (o.false_abstention_rate, theirs["false_abstention_rate"]),
        "evidence_recall_at_k": (o.recall_at_k, theirs["evidence_recall_at_k"]),
        "hit_at_k": (o.hit_at_k, theirs["hit_at_k"]),
        "latency_median_s": (o.latency_p50, theirs["latency_median_s"]),
        "latency_p95_s": (o.latency_p95, theirs["latency_p95_s"]),
    }
    for t, g in theirs["by_type"].items():
        pairs[f"{t} accuracy"] = (ours.by_type[t].accuracy, g["accuracy"])
        pairs[f"{t} recall"] = (ours.by_type[t].recall_at_k, g["evidence_recall_at_k"])
    return [f"{name}: ours {a!r}, peer {b!r}" for name, (a, b) in pairs.items()
            if not (a == b or (a is not None and b is not None and abs(a - b) < 1e-9))]


def passages(*ids):
    return [{"rank": i, "doc_id": d, "chunk_id": f"{d}#{i}", "score": 0.5, "text": ""}
            for i, d in enumerate(ids, start=1)]


HAND_MADE = {  # fixture question id -> (answer, retrieved article ids)
    "mhr-q0531": ("It was Sam Bankman-Fried [1].", ["mhr-d0010", "mhr-d0031", "mhr-d0011", "mhr-d0009"]),
    "mhr-q0900": ("Caroline Ellison.", ["mhr-d0009", "mhr-d0009", "mhr-d0010", "mhr-d0011"]),
    "mhr-q0403": ("No, the articles does not provide that.", ["mhr-d0005", "mhr-d0006", "mhr-d0005"]),
    "mhr-q0168": ("no. The first article is about Italy.", ["mhr-d0134", "mhr-d0010"]),
    "mhr-q1517": ("The articles don’t say.", ["mhr-d0021", "mhr-d0559", "mhr-d0044", "mhr-d0044", "mhr-d0021"]),
    "mhr-q2244": ("True, it stayed on the NFL.", []),
    "mhr-q0024": ("I cannot determine which country from the passages.", ["mhr-d0134"]),
    "mhr-q0125": ("She studied at Oxford.", ["mhr-d0011"]),
}


def hand_made_predictions():
    return [{"id": i, "question": "", "answer": a, "retrieved": passages(*ids),
             "latency_s": 1.0 + n, "retrieval_s": 0.01 * n}
            for n, (i, (a, ids)) in enumerate(HAND_MADE.items())]


@pytest.mark.parametrize("k", [1, 2, 4, 5])
def test_our_figures_agree_with_the_peer_scorer_on_hand_made_predictions(k):
    assert agreement(FIXTURE / "questions.jsonl", hand_made_predictions(), k) == []


def test_the_one_intended_difference_is_the_both_verdicts_rule():
    peer = peer_scorer()
    assert peer.answer_correct("Yes. No.", ["Yes"]) is True  # the first word decides there
    from rag.eval.metrics import answer_correct

    assert answer_correct("Yes. No.", ["Yes"]) is False


def test_our_abstention_rule_matches_the_peer_on_many_phrasings():
    peer = peer_scorer()
    from rag.eval.metrics import abstains
    from rag.text import ABSTAIN_TEXT

    samples = [ABSTAIN_TEXT, "The articles don’t say.", "I don't know", "No information is given.",
               "There is no mention of it", "The context does not specify the date.", "Yes, certainly.",
               "No. The passages do not say.", "It is not possible to tell.", "The answer is unknown.",
               "Unable to verify that claim.", "Insufficient data.", "It's Google.", "no relevant details",
               "The information was not provided in the passages.", "They don't have enough information."]
    assert [abstains(s) for s in samples] == [peer.abstains(s) for s in samples]
    assert abstains(ABSTAIN_TEXT)  # the pipeline's own decline is read as one


def test_every_decline_the_pipeline_writes_reads_as_one_to_the_peer():
    """Our scorer also trusts the pipeline's own flag; a scorer that reads only the text must see
    every decline too, or a run's figures differ between the two."""
    peer = peer_scorer()
    from rag.coverage import Coverage
    from rag.text import ABSTAIN_TEXT, NOT_ANSWERED_TEXT
    from rag.question import analyse
    from rag.types import Chunk

    cov = Coverage.of([Chunk(id="c1", article_id="a1", position=0, text="The ferry strike.", start=0, end=17,
                             title="Ferry", source="Coast Daily", published_at="2023-10-02")])
    texts = [ABSTAIN_TEXT, NOT_ANSWERED_TEXT] + [cov.check(analyse(q)).text for q in (
        "What did a Bloomberg article say about the ferry?",
        "What did the Coast Daily report published on October 9, 2023 say?",
        "Which team did Shubha Satheesh join?")]
    assert all(peer.abstains(t) for t in texts), texts
