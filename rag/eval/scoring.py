"""From predictions to figures: one `QuestionScore` per question, then `Metrics` overall and per
question type, the recall@k curve, and the trivial baselines scored by the same rules.

A `Prediction` is what the runner records for one question (one line of predictions.jsonl);
everything here is recomputed from predictions and questions alone, so a finished run can be
re-scored without its models or index.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Iterable, Sequence

from ..text import ABSTAIN_TEXT, markers
from . import metrics as m
from .data import Question
from .metrics import Baseline, CurvePoint, GroupMetrics, Metrics

# Depths of the recall@k curve: at each, the retriever is asked for that many passages (its
# real selection, per-article cap included; not a prefix of one deep ranking).
CURVE_DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20)
BASELINES = {"always_yes": "Yes", "always_abstain": ABSTAIN_TEXT}


@dataclass(frozen=True)
class Passage:
    rank: int
    doc_id: str  # the article id
    chunk_id: str
    score: float
    title: str = ""
    text: str = ""


@dataclass(frozen=True)
class Prediction:
    id: str
    question: str
    answer: str
    abstained: bool = False  # the system's own flag: it declined
    citations: tuple[str, ...] = ()  # cited article ids, in citation order
    retrieved: tuple[Passage, ...] = ()  # the passages given to the model, in rank order
    rankings: dict[int, tuple[str, ...]] = field(default_factory=dict)  # depth -> article ids (curve)
    raw_answer: str = ""  # the model's text before citation clean-up (for citation validity)
    latency_s: float | None = None
    retrieval_s: float | None = None
    ttft_s: float | None = None
    generation_s: float | None = None
    tokens: int = 0
    tokens_per_s: float | None = None
    prompt_tokens: int = 0
    error: str | None = None  # a RagError raised for this question (it counts as wrong)

    @property
    def retrieved_ids(self) -> list[str]:
        return [p.doc_id for p in self.retrieved]

    def to_json(self, score: "QuestionScore | None" = None) -> dict:
        d = asdict(self)
        d["citations"] = list(self.citations)
        d["rankings"] = {str(k): list(v) for k, v in self.rankings.items()}
        if score is not None:
            d["scores"] = {k: v for k, v in asdict(score).items() if k not in ("id", "type", "answerable")}
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Prediction":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in names}
        values["retrieved"] = tuple(
            Passage(**{k: v for k, v in p.items() if k in Passage.__dataclass_fields__})
            for p in d.get("retrieved") or []
        )
        values["citations"] = tuple(d.get("citations") or ())
        values["rankings"] = {int(k): tuple(v) for k, v in (d.get("rankings") or {}).items()}
        return cls(**values)


@dataclass(frozen=True)
class QuestionScore:
    id: str
    type: str
    answerable: bool
    correct: bool | None  # None: answerable but no gold answer to judge by, or retrieval-only
    f1: float | None
    em: bool | None
    abstains: bool
    hit_at_k: bool | None
    recall_at_k: float | None
    rr: float | None  # reciprocal rank of the first evidence article within k
    evidence_hit: bool | None
    citation_valid: bool | None
    citation_precision: float | None
    gold_polarity: str | None = None  # 'yes' / 'no' for a yes/no question
    answer_polarity: str | None = None  # what the answer said: 'yes', 'no', 'both' or None


def score_question(q: Question, p: Prediction, k: int, answered: bool = True) -> QuestionScore:
    """All per-question scores; `answered=False` (retrieval-only runs) leaves answer scores empty."""
    ids = p.retrieved_ids
    abst = answered and (p.abstained or m.abstains(p.answer))
    if not answered:
        correct = f1 = em = None
    elif q.answerable:
        correct = m.answer_correct(p.answer, q.answers) if q.answers else None
        f1, em = m.best_f1(p.answer, q.answers), m.best_em(p.answer, q.answers)
    else:
        correct, f1, em = abst, None, None
    return QuestionScore(
        id=q.id, type=q.type, answerable=q.answerable, correct=correct, f1=f1, em=em, abstains=abst,
        hit_at_k=m.hit_at_k(ids, q.evidence_ids, k), recall_at_k=m.recall_at_k(ids, q.evidence_ids, k),
        rr=m.reciprocal_rank(ids, q.evidence_ids, k),
        evidence_hit=m.evidence_hit([x.text for x in p.retrieved], q.evidence_facts, k),
        citation_valid=m.citation_validity(markers(p.raw_answer or ""), len(p.retrieved)) if answered else None,
        citation_precision=m.citation_precision(p.citations, q.evidence_ids) if answered else None,
        gold_polarity=m.gold_polarity(q.answers) if q.answerable else None,
        answer_polarity=m.polarity(p.answer) if answered else None,
    )


def summarize(scores: Sequence[QuestionScore], preds: Sequence[Prediction] = ()) -> GroupMetrics:
    """Aggregate per-question scores (and the matching predictions' timings) into figures."""
    judged = [s for s in scores if s.correct is not None]
    ans = [s for s in judged if s.answerable]
    p, r, f = m.abstention_prf([s.abstains for s in scores], [s.answerable for s in scores])
    if not judged:  # retrieval-only: no answer figures at all
        p = r = f = None
    declined = {s.id: s.abstains for s in scores}
    committed = [x for x in preds if x.id in declined and not declined[x.id]]
    gen = [x for x in preds if x.tokens > 1 and x.tokens_per_s]  # decoding: after the model's first token
    return GroupMetrics(
        n=len(scores), n_answerable=sum(s.answerable for s in scores),
        n_unanswerable=sum(not s.answerable for s in scores),
        accuracy=m.mean(s.correct for s in judged), accuracy_answerable=m.mean(s.correct for s in ans),
        token_f1=m.mean(s.f1 for s in ans), exact_match=m.mean(s.em for s in ans),
        abstention_precision=p, abstention_recall=r, abstention_f1=f,
        false_abstention_rate=m.false_abstention_rate([s.abstains for s in judged], [s.answerable for s in judged]),
        declined=m.mean(s.abstains for s in judged),
        hit_at_k=m.mean(s.hit_at_k for s in scores), recall_at_k=m.mean(s.recall_at_k for s in scores),
        mrr=m.mean(s.rr for s in scores), evidence_hit_at_k=m.mean(s.evidence_hit for s in scores),
        citation_validity=m.mean(s.citation_valid for s in scores),
        citation_precision=m.mean(s.citation_precision for s in scores),
        cited_share=m.mean(bool(x.citations) for x in committed) if judged else None,
        latency_p50=m.percentile([x.latency_s for x in preds], 50),
        latency_p95=m.percentile([x.latency_s for x in preds], 95),
        ttft_p50=m.percentile([x.ttft_s for x in preds], 50), ttft_p95=m.percentile([x.ttft_s for x in preds], 95),
        tokens_per_s=sum(x.tokens - 1 for x in gen) / sum((x.tokens - 1) / x.tokens_per_s for x in gen) if gen else None,
        prompt_tokens=m.mean(x.prompt_tokens for x in preds if x.prompt_tokens),
        retrieval_p50=m.percentile([x.retrieval_s for x in preds], 50),
        retrieval_p95=m.percentile([x.retrieval_s for x in preds], 95),
        errors=sum(1 for x in preds if x.error),
        **_polarities([s for s in judged if s.gold_polarity]),
    )


def _polarities(polar: Sequence[QuestionScore]) -> dict:
    if not polar:
        return {}
    return {"yes_share_gold": m.mean(s.gold_polarity == "yes" for s in polar),
            "yes_share_answered": m.mean(s.answer_polarity == "yes" for s in polar),
            "polarity_confusion": m.polarity_confusion((s.gold_polarity, s.answer_polarity) for s in polar)}


def recall_curve(questions: Sequence[Question], preds: dict[str, Prediction]) -> tuple[CurvePoint, ...]:
    """Mean recall / hit / MRR at each depth every scored question with evidence was ranked at."""
    pairs = [(q, preds[q.id]) for q in questions if q.id in preds and q.evidence_ids and preds[q.id].rankings]
    if not pairs:
        return ()
    depths = sorted(set.intersection(*(set(p.rankings) for _, p in pairs)))
    return tuple(
        CurvePoint(
            k=k,
            recall=m.mean(m.recall_at_k(p.rankings[k], q.evidence_ids, k) for q, p in pairs),
            hit=m.mean(m.hit_at_k(p.rankings[k], q.evidence_ids, k) for q, p in pairs),
            mrr=m.mean(m.reciprocal_rank(p.rankings[k], q.evidence_ids, k) for q, p in pairs),
        )
        for k in depths
    )


def by_type(questions: Sequence[Question], scores: dict[str, QuestionScore],
            preds: dict[str, Prediction]) -> dict[str, GroupMetrics]:
    types = sorted({q.type for q in questions if q.id in scores})
    return {
        t: summarize([scores[q.id] for q in questions if q.type == t and q.id in scores],
                     [preds[q.id] for q in questions if q.type == t and q.id in preds])
        for t in types
    }


def baseline(name: str, answer: str, questions: Sequence[Question], k: int) -> Baseline:
    preds = {q.id: Prediction(id=q.id, question=q.question, answer=answer) for q in questions}
    scores = {q.id: _answer_only(score_question(q, preds[q.id], k)) for q in questions}
    return Baseline(name, answer, summarize(list(scores.values())), by_type(questions, scores, {}))


def _answer_only(s: QuestionScore) -> QuestionScore:
    return QuestionScore(s.id, s.type, s.answerable, s.correct, s.f1, s.em, s.abstains,
                         None, None, None, None, None, None, s.gold_polarity, s.answer_polarity)


def compute_metrics(questions: Sequence[Question], predictions: Iterable[Prediction], k: int,
                    retrieval_only: bool = False) -> tuple[Metrics, dict[str, QuestionScore]]:
    preds = {p.id: p for p in predictions}
    wanted = [q for q in questions if q.id in preds]
    scores = {q.id: score_question(q, preds[q.id], k, answered=not retrieval_only) for q in wanted}
    metrics = Metrics(
        k=k, n_questions=len(questions), n_scored=len(wanted),
        missing=tuple(q.id for q in questions if q.id not in preds),
        overall=summarize(list(scores.values()), [preds[q.id] for q in wanted]),
        by_type=by_type(wanted, scores, preds), curve=recall_curve(wanted, preds),
        baselines={} if retrieval_only else {n: baseline(n, a, wanted, k) for n, a in BASELINES.items()},
        retrieval_only=retrieval_only,
    )
    return metrics, scores
