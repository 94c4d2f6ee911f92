"""Answers the model writes, for the questions the rules do not settle.

The entity asked for, when the passages name one of the type asked for on the question's point,
is shown at once, before the model runs (rag.answering.lead_with_entity). The model then reads
the passages' best sentences (rag.evidence.focus, within a token budget) and each sentence it
writes is streamed only once it passes the grounding check (rag.grounding: its names and
numbers are in a passage). A reply that opens by declining is held back: it ends as a decline
unless it goes on to say something from the passages. A typed question (who / when / how much)
with no entity lead is answered only when the reply names something of that type that a passage
states on the question's point; until then its sentences are held, so a decline never follows
streamed text.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Iterator, Sequence

from .answering import attribute_lead, lead_with_entity, names_what_is_asked
from .citations import cite
from .evidence import focus
from .paraphrase import SentenceBank, check_paraphrase
from .question import QuestionAnalysis
from .text import (ABSTAIN_TEXT, ANSWER_SENTENCE_END, NOT_ANSWERED_TEXT, answer_sentences, content_words,
                   opens_with_decline)
from .types import Answer, Hit, Timings

if TYPE_CHECKING:
    from .pipeline import Pipeline

_YES_NO = re.compile(r"^\W*(does|did|do|is|was|were|are|has|have|had|can|could|would|will|should)\b", re.I)


def is_abstention(text: str, question: str, passages: Sequence[str]) -> bool:
    """The model declined: it opens with "the articles don't say" and adds nothing from the
    passages after it. (A small model often declines, then answers anyway: that is kept.)"""
    if not opens_with_decline(text):
        return False
    rest = " ".join(answer_sentences(text)[1:])
    if not rest:
        return True
    evidence = set().union(*(content_words(p) for p in passages)) if passages else set()
    added = (content_words(rest) - content_words(question)) & evidence
    return len(added) < 2


def answer_with_model(pipe: "Pipeline", question: str, query: str, analysis: QuestionAnalysis,
                      hits: Sequence[Hit], qvec, t0: float, t_ret: float) -> Iterator[str | Answer]:
    """Stream the answer's text, then the `Answer` (timings from `t0`, the call's start)."""
    # The entity asked for, found in the passages, leads the reply unless the model names it.
    lead = lead_with_entity(analysis, hits) if "entities" in pipe.checks else None
    shown: list[str] = []  # sentences streamed: each passed the grounding check
    first_shown = None  # when the reader saw the answer's first words (Timings.ttft_s)
    n_lead = 1 if lead else 0
    if lead:  # decided from the passages: shown at once, before the prompt is even built
        head = lead.head
        if head:  # the name at once; its citation once the article that says it is found
            first_shown = time.perf_counter() - t0
            yield head
        if "attribution" in pipe.checks:  # cited to the article that says what is asked
            lead, hits = attribute_lead(pipe, analysis, lead, hits, qvec)
        shown.append(lead.text)
        first_shown = first_shown or time.perf_counter() - t0
        yield lead.text[len(head):]
    sent = [n_lead]  # how many of `shown` have been streamed
    bank = SentenceBank(hits, pipe.embedder, qvec)  # the passages' sentences, embedded once
    texts = focus(qvec, hits, pipe.embedder, pipe.settings.evidence_sentences,
                  pipe.settings.evidence_tokens, pipe.generator.count_tokens, bank.vectors)
    # Passage sentences quoted in place of the model's wording, never twice; none after an
    # entity lead (a sentence of the model's that fails is dropped and the lead's own quote shown).
    quoted: set[str] | None = None if lead else set()
    messages, used = pipe.build_messages(query, hits, texts)
    pieces: list[str] = []
    buf, held = "", False
    t_gen = time.perf_counter()

    # A typed question (who / when / how much ...) with no entity lead is answered only when
    # the reply names something of that type that a passage states on the question's point:
    # its sentences are held until one does, so a decline never follows streamed text.
    gate = not lead and "declines" in pipe.checks
    passed = [not gate]

    def show(sentence: str) -> str | None:
        if shown and opens_with_decline(sentence):
            return None  # "the article doesn't say ..." after an answer would contradict it
        g = pipe._ground(sentence, hits, query)
        if "grounding" in pipe.checks:  # and it must say what a passage sentence says
            g = check_paraphrase(sentence, g, bank, query, quoted)
        if g is None:
            return None
        shown.append(g)
        if not passed[0]:
            if not names_what_is_asked(analysis, " ".join(shown), hits):
                return None
            passed[0] = True
            sent[0] = len(shown)
            return " ".join(shown)
        sent[0] = len(shown)
        return g if len(shown) == 1 else " " + g

    opening_words = ("Yes", "No") if _YES_NO.match(query) else ()
    t_first = None
    for piece in pipe.generator.stream(messages, max_tokens=pipe.settings.max_answer_tokens, opening_words=opening_words):
        t_first = t_first or time.perf_counter()
        pieces.append(piece)
        buf += piece
        # Stream whole sentences once checked; a reply that opens by declining is held back
        # (it may end as a decline, which must not follow streamed claims).
        while not held and (m := ANSWER_SENTENCE_END.search(buf)):
            sentence, buf = buf[: m.end()].strip(), buf[m.end():]
            if len(shown) == n_lead and opens_with_decline(sentence):
                held, buf = True, sentence + " " + buf
                break
            if (g := show(sentence)) is not None:
                first_shown = first_shown or time.perf_counter() - t0
                yield g
    t_end = time.perf_counter()
    gen_s = t_end - t_gen
    raw = "".join(pieces).strip()
    held = held or (len(shown) == n_lead and opens_with_decline(buf))
    if held:  # sentences kept from a reply that opened by declining: shown below, whole
        declined = not raw or is_abstention(raw, query, [h.chunk.text for h in used])
        before = sent[0]
        for s_ in ([] if declined else answer_sentences(buf)):
            show(s_)
        sent[0] = before
    elif buf.strip() and (g := show(buf.strip())) is not None:
        first_shown = first_shown or time.perf_counter() - t0
        yield g
    if len(shown) == n_lead and lead and lead.quote:  # the model added nothing checkable:
        shown.append(lead.quote)  # the entity stands on the sentence that supports it
    if shown and not passed[0]:  # nothing of the type asked for, on the question's point
        text, citations, reason = NOT_ANSWERED_TEXT, (), "no_answer"
        yield text
    elif not shown:
        text, citations, reason = ABSTAIN_TEXT, (), "no_evidence"
        yield text
    else:
        text, citations = cite(" ".join(shown), list(hits))
        reason = None
        if sent[0] == 0:
            yield text
        elif sent[0] < len(shown):
            yield " " + " ".join(shown[sent[0]:])
    first_shown = first_shown or time.perf_counter() - t0
    timings = Timings(
        retrieval_s=t_ret, ttft_s=first_shown, generation_s=gen_s, total_s=time.perf_counter() - t0,
        prompt_tokens=pipe._prompt_tokens(messages), tokens=len(pieces),
        tokens_per_s=(len(pieces) - 1) / (t_end - t_first) if t_first and len(pieces) > 1 and t_end > t_first else 0.0,
        model_first_token_s=t_first - t0 if t_first else None,
    )
    yield Answer(question, text, citations, tuple(hits), reason is not None, timings, query, reason=reason)
