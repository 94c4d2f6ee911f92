"""Pure metric functions: one question's answer, retrieval and citations against its gold; and the
figures they add up to (`GroupMetrics` per group of questions, `Metrics` for a whole run).

Nothing here touches models, files or the pipeline; every function is a small rule that the unit
tests check on hand-made cases. The rules follow MultiHop-RAG's and SQuAD's conventions:

- answers are compared after `normalize` (case, punctuation, a/an/the, whitespace);
- a Yes/No gold is matched on the polarity of the answer's first yes/no word, and an answer
  that gives both verdicts ("Yes. ... No.") is wrong;
- abstention is read from the text ("The articles don't say.", "I cannot determine ..."), by
  rag.text.reads_as_decline;
- retrieval is scored at the article level over `evidence_ids`, and at the evidence level over
  the gold evidence sentences.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Collection, Iterable, Sequence

from ..text import reads_as_decline

# ----------------------------------------------------------------------------- normalisation

_ASCII_PUNCT = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize(text: str | None) -> str:
    """Lower-case; drop ASCII and Unicode punctuation, the articles a/an/the; collapse spaces."""
    text = (text or "").lower()
    text = "".join(ch for ch in text if ch not in _ASCII_PUNCT and not unicodedata.category(ch).startswith("P"))
    return " ".join(_ARTICLES.sub(" ", text).split())


# ----------------------------------------------------------------------------- yes / no

POLARITY = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}
_POLAR_WORD = re.compile(r"\b(yes|no|true|false)\b")
# A yes/no word used as a verdict: opening the answer or a sentence, or closing a clause
# ("Yes, ...", "... The answer is no."). "no" as a determiner ("no evidence") is not one.
_VERDICT = re.compile(r"(?:^|[.!?;:\n]\s*)[\"'(*\s]*(yes|no|true|false)\b|\b(yes|no|true|false)\s*(?:[.,;:!?)]|$)",
                      re.IGNORECASE)


def first_polarity(answer: str) -> str | None:
    """'yes' or 'no' for the first yes/no/true/false word of the answer, or None."""
    m = _POLAR_WORD.search(normalize(answer))
    return POLARITY[m.group(1)] if m else None


def verdicts(answer: str) -> set[str]:
    """The polarities the answer states as verdicts (see `_VERDICT`)."""
    return {POLARITY[(a or b).lower()] for a, b in _VERDICT.findall(answer or "")}


def polarity(answer: str) -> str | None:
    """The answer's yes/no polarity: 'yes', 'no', 'both' (it states both verdicts) or None."""
    return "both" if len(verdicts(answer)) > 1 else first_polarity(answer)


def gold_polarity(golds: Iterable[str]) -> str | None:
    """'yes' or 'no' when the question's gold answer is a polarity word, else None."""
    for g in golds:
        return POLARITY.get(normalize(g))
    return None


def polarity_confusion(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, int] | None:
    """Counts of "gold→answer" over (gold polarity, answer polarity) pairs with a polarity gold;
    an answer with no polarity (or both) counts as "none"."""
    out: dict[str, int] = {}
    for gold, said in pairs:
        if gold is None:
            continue
        key = f"{gold}→{said if said in ('yes', 'no') else 'none'}"
        out[key] = out.get(key, 0) + 1
    return out or None


# ----------------------------------------------------------------------------- answers


def answer_correct(answer: str, golds: Iterable[str]) -> bool:
    """Some gold answer occurs in the answer as whole normalised tokens; a Yes/No gold needs
    the same polarity (and an answer saying both yes and no is wrong)."""
    padded = f" {normalize(answer)} "
    for gold in golds:
        g = normalize(gold)
        if not g:
            continue
        if g in POLARITY:
            if polarity(answer) == POLARITY[g]:
                return True
        elif f" {g} " in padded:
            return True
    return False


def token_f1(answer: str, gold: str) -> float:
    """SQuAD token F1 between two texts after normalisation."""
    p, g = normalize(answer).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def exact_match(answer: str, gold: str) -> bool:
    """SQuAD exact match: equal after normalisation."""
    return normalize(answer) == normalize(gold)


def best_f1(answer: str, golds: Sequence[str]) -> float | None:
    golds = [g for g in golds if g]
    return max(token_f1(answer, g) for g in golds) if golds else None


def best_em(answer: str, golds: Sequence[str]) -> bool | None:
    golds = [g for g in golds if g]
    return any(exact_match(answer, g) for g in golds) if golds else None


# ----------------------------------------------------------------------------- abstention

# What reads as a decline: rag.text.reads_as_decline, the independent scorer's rule (it must keep
# agreeing with that scorer, tests/unit/eval/test_crosscheck.py), imported here under the metric's name.
abstains = reads_as_decline


def abstention_prf(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float | None, float | None, float | None]:
    """(precision, recall, F1) of abstaining as a detector of unanswerable questions.

    precision: share of abstentions that were on unanswerable questions; recall: share of
    unanswerable questions abstained on. None where the denominator is empty.
    """
    tp = sum(a and not ok for a, ok in zip(abstained, answerable))
    n_abstained = sum(abstained)
    n_unanswerable = sum(not ok for ok in answerable)
    p = tp / n_abstained if n_abstained else None
    r = tp / n_unanswerable if n_unanswerable else None
    f = (2 * p * r / (p + r) if p + r else 0.0) if p is not None and r is not None else None
    return p, r, f


def false_abstention_rate(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Share of answerable questions the system declined."""
    flags = [a for a, ok in zip(abstained, answerable) if ok]
    return sum(flags) / len(flags) if flags else None


# ----------------------------------------------------------------------------- retrieval


def hit_at_k(retrieved: Sequence[str], evidence: Collection[str], k: int) -> bool | None:
    """Some evidence article is among the first k retrieved entries (None without evidence)."""
    if not evidence:
        return None
    return bool(set(retrieved[:k]) & set(evidence))


def recall_at_k(retrieved: Sequence[str], evidence: Collection[str], k: int) -> float | None:
    """Share of the evidence articles found among the first k retrieved entries."""
    if not evidence:
        return None
    ev = set(evidence)
    return len(ev & set(retrieved[:k])) / len(ev)


def reciprocal_rank(retrieved: Sequence[str], evidence: Collection[str], k: int | None = None) -> float | None:
    """1 / rank of the first evidence article within the first k entries (0 when none)."""
    if not evidence:
        return None
    ev = set(evidence)
    for rank, doc in enumerate(retrieved[:k] if k else retrieved, start=1):
        if doc in ev:
            return 1.0 / rank
    return 0.0


def evidence_hit(passages: Sequence[str], facts: Sequence[str], k: int) -> bool | None:
    """Some of the first k passages contains a gold evidence sentence (whitespace-normalised)."""
    facts = [" ".join(f.split()) for f in facts if f and f.strip()]
    if not facts:
        return None
    texts = [" ".join((p or "").split()) for p in passages[:k]]
    return any(f in t for t in texts for f in facts)


# ----------------------------------------------------------------------------- citations


def citation_validity(markers: Sequence[int], n_passages: int) -> bool | None:
    """Every marker (the [n] numbers of an answer, rag.citations.markers) points to one of the n
    passages given (None when there is no marker)."""
    if not markers:
        return None
    return all(1 <= n <= n_passages for n in markers)


def citation_precision(cited: Collection[str], evidence: Collection[str]) -> float | None:
    """Share of the distinct cited articles that are evidence articles (None when nothing is
    cited or there is no evidence to judge against)."""
    cited, ev = set(cited), set(evidence)
    if not cited or not ev:
        return None
    return len(cited & ev) / len(cited)


# ----------------------------------------------------------------------------- aggregates and the figures


def mean(values: Iterable[float | bool | None]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile with linear interpolation between closest ranks (None when empty)."""
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class GroupMetrics:
    n: int
    n_answerable: int
    n_unanswerable: int
    accuracy: float | None = None  # all questions; declining is the right answer when unanswerable
    accuracy_answerable: float | None = None
    token_f1: float | None = None
    exact_match: float | None = None
    abstention_precision: float | None = None
    abstention_recall: float | None = None  # share of unanswerable questions declined
    abstention_f1: float | None = None
    false_abstention_rate: float | None = None  # share of answerable questions declined
    declined: float | None = None  # share of all questions declined
    hit_at_k: float | None = None
    recall_at_k: float | None = None
    mrr: float | None = None
    evidence_hit_at_k: float | None = None
    citation_validity: float | None = None  # of answers holding [n] markers
    citation_precision: float | None = None  # of answers citing something
    cited_share: float | None = None  # answers (not declined) that cite a passage
    latency_p50: float | None = None
    latency_p95: float | None = None
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    tokens_per_s: float | None = None  # decoding: tokens after the first / time after the first
    prompt_tokens: float | None = None  # mean prompt size of the answers generated
    retrieval_p50: float | None = None
    retrieval_p95: float | None = None
    errors: int = 0
    # Yes/no questions (gold "yes"/"no"/"true"/"false"): the gold share of "yes", the share the
    # answers said "yes", and the confusion counts "gold→answer" ("yes→no", "no→none" ...).
    yes_share_gold: float | None = None
    yes_share_answered: float | None = None
    polarity_confusion: dict[str, int] | None = None


@dataclass(frozen=True)
class CurvePoint:
    k: int
    recall: float | None
    hit: float | None
    mrr: float | None


@dataclass(frozen=True)
class Baseline:
    name: str
    answer: str
    overall: GroupMetrics
    by_type: dict[str, GroupMetrics] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    k: int
    n_questions: int
    n_scored: int
    missing: tuple[str, ...]
    overall: GroupMetrics
    by_type: dict[str, GroupMetrics]
    curve: tuple[CurvePoint, ...]
    baselines: dict[str, Baseline]
    retrieval_only: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
