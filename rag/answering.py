"""Answers decided by rules from the articles, not by the model's reading of them.

- Yes/no questions: each claim is checked against the articles it names (claims.py) and the
  answer states every claim's verdict with its citation: "No. TechCrunch [1]: supported; The
  Verge [2]: not found."
- Who / which / what questions: the entity asked for, chosen from the passages (entities.py),
  leads the reply with its citation.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .claims import check_claim, decide
from .citations import content_words
from .errors import RagError
from .question import QuestionAnalysis
from .types import Answer, Citation, ClaimVerdict, Hit, Timings

if TYPE_CHECKING:
    from .pipeline import Pipeline

MIN_SHARED_WORDS = 2  # content words a candidate's sentence must share with the question
_VERDICT_WORDS = {"supported": "supported", "contradicted": "contradicted", "not_found": "not found"}


def answer_claims(pipe: "Pipeline", question: str, query: str, q: QuestionAnalysis, hits: Sequence[Hit],
                  t0: float, t_ret: float) -> Answer:
    outlets = pipe.coverage().outlets

    def search(text, where, k):
        return pipe.retriever.search_vector(pipe.embedder.embed_query(text), k, text, where=where)

    verdicts = [check_claim(c, search, outlets, pipe.article_text)
                for c in q.claims]
    decision = decide(q, verdicts, pipe.embedder.embed_documents)
    # The passages the claims were checked against come first: they are what the answer cites.
    cited: list[Hit] = []
    numbered = []
    for v in verdicts:
        n = None
        if v.hit is not None:
            ids = [h.chunk.id for h in cited]
            if v.hit.chunk.id not in ids:
                cited.append(v.hit)
            n = [h.chunk.id for h in cited].index(v.hit.chunk.id) + 1
        numbered.append(dataclasses.replace(v, citation=n))
    rest = [h for h in hits if h.chunk.id not in {c.chunk.id for c in cited}]
    shown = [dataclasses.replace(h, rank=i) for i, h in enumerate(cited + rest, start=1)]
    text = claims_text(decision.word, decision.why if (q.order or q.agreement) else "", numbered)
    if q.agreement and len(numbered) >= 2:  # agreement is read from what both say: quote them
        text += " " + " ".join(f"{v.publication or 'One'} [{v.citation}]: “{v.sentence.strip()}”"
                               for v in numbered[:2] if v.sentence and v.citation)
    citations = tuple(
        Citation(number=i, chunk_id=h.chunk.id, article_id=h.chunk.article_id, title=h.chunk.title,
                 published_at=h.chunk.published_at, quote=h.chunk.text,
                 highlight=next((v.sentence for v in numbered if v.citation == i), ""),
                 source=h.chunk.source, url=h.chunk.url)
        for i, h in enumerate(cited, start=1)
    )
    return Answer(question, text, citations, tuple(shown), False,
                  Timings(retrieval_s=t_ret, total_s=time.perf_counter() - t0), query,
                  claims=tuple(numbered))


def claims_text(word: str, why: str, verdicts: Sequence[ClaimVerdict]) -> str:
    parts = []
    for v in verdicts:
        label = v.publication or "the articles"
        cite = f" [{v.citation}]" if v.citation else ""
        parts.append(f"{label}{cite}: {_VERDICT_WORDS.get(v.verdict, v.verdict)}")
    text = f"{word}. " + "; ".join(parts) + "."
    if why:
        text += f" ({why[0].upper() + why[1:]}.)"
    return text


@dataclass(frozen=True)
class Lead:
    name: str  # the entity asked for
    text: str  # "Sam Bankman-Fried [2]."
    quote: str  # the sentence that supports it, quoted


def lead_with_entity(q: QuestionAnalysis, hits: Sequence[Hit]) -> Lead | None:
    """The best candidate entity for a who/which/what question, with its citation, or None.

    A candidate counts only when the sentence naming it talks about the question (two of its
    content words), so "Who won the match?" over articles about something else gets no name."""
    if q.kind != "wh" or not hits:
        return None
    try:
        from .entities import choose, entity_candidates
    except ImportError:  # the recogniser's module is optional
        return None
    kind = None if q.answer_type == "other" else q.answer_type
    try:
        cands = entity_candidates(q.text, list(hits), kind)
    except RagError:  # the recogniser is not installed: the model answers alone
        return None
    words = content_words(q.text)
    cands = [c for c in cands if len(content_words(c.sentence) & words) >= MIN_SHARED_WORDS]
    best = choose(q.text, cands)
    if best is None:
        return None
    ids = [h.chunk.id for h in hits]
    numbers = [ids.index(c) + 1 for c in best.support if c in ids][:2]
    marks = "".join(f"[{n}]" for n in numbers)
    quote = f"“{best.sentence.strip()}”" if best.sentence else ""
    return Lead(best.text, f"{best.text} {marks}." if marks else f"{best.text}.", quote)
