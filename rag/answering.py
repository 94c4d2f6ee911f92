"""Answers decided by rules from the articles, not by the model's reading of them.

- Yes/no questions: each claim is checked against the articles it names (claims.py) and the
  answer states every claim's verdict with its citation: "No. TechCrunch [1]: supported; The
  Verge [2]: not found."
- Who / which / what questions: the entity asked for, chosen from the passages (entities.py),
  leads the reply with its citation.
"""
from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .attribution import ATTRIBUTION_DEPTH, attribute, describing_clauses, mentions
from .claims import check_claim, decide
from .errors import RagError
from .outlets import match_outlets
from .answer_types import HOW_MEASURE
from .question import QuestionAnalysis
from .text import MARKER, SAYING_VERBS, content_words, in_quotes, quotable, split_sentences, stem
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

    embedder = pipe.embedder if "attribution" in pipe.checks else None
    verdicts = [check_claim(c, search, outlets, pipe.article_text, embedder) for c in q.claims]
    decision = decide(q, verdicts, pipe.embedder.embed_documents)
    # The passages the claims were checked against come first: they are what the answer cites.
    cited: list[Hit] = []
    numbered = []
    for v in verdicts:
        n = None
        # A claim not found in the articles cites nothing: the passage searched does not support
        # it. (An order question still rests on that article's date, so it is cited there.)
        if v.hit is not None and (v.verdict != "not_found" or q.order):
            ids = [h.chunk.id for h in cited]
            if v.hit.chunk.id not in ids:
                cited.append(v.hit)
            n = [h.chunk.id for h in cited].index(v.hit.chunk.id) + 1
        numbered.append(dataclasses.replace(v, citation=n))
    # Then the passages a claim was checked against without support (searched, not cited), then
    # the rest of the search: every passage examined stays among the answer's hits.
    seen: set[str] = set()
    ordered = [h for h in [*cited, *(v.hit for v in verdicts if v.hit is not None), *hits]
               if not (h.chunk.id in seen or seen.add(h.chunk.id))]
    shown = [dataclasses.replace(h, rank=i) for i, h in enumerate(ordered, start=1)]
    text = claims_text(decision.word, decision.why if (q.order or q.agreement) else "", numbered)
    if q.agreement and len(numbered) >= 2:  # agreement is read from what both say: quote them
        text += " " + " ".join(f"{v.publication or 'One'} [{v.citation}]: {in_quotes(quotable(v.sentence))}"
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
    head: str = ""  # the text's opening, the name as shown ("Thousands"): streamed before its citation


# Words of a question that say where to look, not what it is about.
_FRAME = frozenset("article articles report reports reported according mentioned news piece story published "
                   "name named".split())


# "How many people died in the Geneva talks": what is measured runs from "how many" to the first
# preposition or punctuation; the rest only says where.
_MEASURED = re.compile(rf"\bhow\s+(?:{HOW_MEASURE})\b(.*?)(?=\s(?:in|on|at|by|for|from|to|during|of|with|since|"
                       r"until|after|before|between|over|under|across|against)\b|[?,.;:]|$)", re.I)


def point_words(q: QuestionAnalysis) -> set[str]:
    """Stems of the question's point: its content words beyond the names, outlets and framing
    ("What is the population of Harbor City?" -> {"population"}). A how-much / how-many
    question's point is what it measures ("How many people died in the Geneva talks?" ->
    {"people", "die"}): a sentence about the Geneva talks that counts troops is not on it."""
    named = content_words(" ".join(q.entities + q.publications + q.sources + ((q.speaker,) if q.speaker else ())))
    m = _MEASURED.search(q.text)
    measured = {stem(w) for w in content_words(m.group(1)) - named - _FRAME} if m else set()
    return measured or {stem(w) for w in content_words(q.text) - named - _FRAME}


def about_point(sentence: str, point: set[str]) -> bool:
    """The sentence speaks to the question's point (any of its words), or the question has none."""
    return not point or bool(point & {stem(w) for w in content_words(sentence)})


def lead_with_entity(q: QuestionAnalysis, hits: Sequence[Hit]) -> Lead | None:
    """The best candidate entity for a who/which/what question, with its citation, or None.

    A candidate counts only when it is of the type asked for and the sentence naming it talks
    about the question (two of its content words, one of them the question's point beyond its
    names), so "Who won the match?" over articles about something else gets no name, and "What
    is the population of X?" gets no place or unrelated amount. It cites the passages whose
    sentences about it speak to that point, not every passage that mentions it."""
    if q.kind != "wh" or not hits:
        return None
    try:
        from .entities import answer_type, choose, entity_candidates
    except ImportError:  # the recogniser's module is optional
        return None
    # The type asked for, from the wh-word or the head noun after it; a question asking for
    # something else ("What security guarantees did Russia demand?") gets no name.
    kind = q.answer_type if q.answer_type != "other" else answer_type(q.text)
    if kind is None:
        return None
    try:
        cands = entity_candidates(q.text, list(hits), kind)
    except RagError:  # the recogniser is not installed: the model answers alone
        return None
    words, point = content_words(q.text), point_words(q)
    cands = [c for c in cands if len(content_words(c.sentence) & words) >= MIN_SHARED_WORDS
             and about_point(c.sentence, point)]
    best = choose(q.text, cands)
    if best is None:
        return None
    ids = [h.chunk.id for h in hits]
    numbers = [ids.index(c) + 1 for c in best.support if c in ids]
    pool = [n for n in numbers if _supports(hits[n - 1].chunk.text, best.text, point, words)] or numbers
    # The question says where it was reported ("according to TechCrunch and Fortune"): those
    # outlets' passages are its evidence, other outlets' mentions of the same name are not.
    named = [n for n in pool if hits[n - 1].chunk.source
             and any(match_outlets(p, [hits[n - 1].chunk.source]) for p in (*q.publications, *q.sources))]
    numbers = (named or pool)[:2]
    marks = "".join(f"[{n}]" for n in numbers)
    quote = in_quotes(quotable(best.sentence)) if quotable(best.sentence) else ""
    shown = best.text[:1].upper() + best.text[1:] if best.label in _PLAIN_WORDS else best.text  # "Thousands [1]."
    return Lead(best.text, f"{shown} {marks}." if marks else f"{shown}.", quote, shown)


def attribute_lead(pipe: "Pipeline", q: QuestionAnalysis, lead: Lead, hits: Sequence[Hit],
                   qvec) -> tuple[Lead, list[Hit]]:
    """The lead cited to the article that states what the question describes (rag.attribution),
    searched over the whole index in the outlets the question names: that passage comes first
    among the answer's passages and the lead quotes its sentence naming the entity. The lead
    and passages are returned unchanged when no passage names the entity."""
    from .mentions import find_publications

    outlets = pipe.coverage().outlets
    named = [o for p in (*q.publications, *q.sources) for o in match_outlets(p, outlets)]
    spans = [(a, b) for a, b, _ in find_publications(q.text, weak=True, sources=True)]

    def search(text, where, k):
        return pipe.retriever.search_vector(qvec, k, text, where=where, depth=ATTRIBUTION_DEPTH)

    allowed = set(named)
    found = attribute(q.text, describing_clauses(q.text, spans), (lambda c: c.source in allowed) if allowed else None,
                      search, pipe.embedder.embed_query, pipe.embedder.embed_documents, name=lead.name)
    if found is None:
        return lead, list(hits)
    rest = [h for h in hits if h.chunk.id != found.hit.chunk.id]
    ordered = [found.hit, *rest]
    shown = [dataclasses.replace(h, rank=i) for i, h in enumerate(ordered, start=1)]
    quote = in_quotes(quotable(found.quote)) if quotable(found.quote) else lead.quote
    return Lead(lead.name, f"{lead.head} [1].", quote, lead.head), shown


# Recogniser labels of amounts and dates, written in plain words ("thousands", "next week"): they
# open the reply, so they take a capital. Names keep their own case ("iPhone").
_PLAIN_WORDS = frozenset("CARDINAL QUANTITY MONEY PERCENT DATE TIME ORDINAL".split())


def _supports(passage: str, name: str, point: set[str], words: set[str]) -> bool:
    """A passage supports a lead when a sentence of it names the lead and speaks to the point."""
    names = mentions(name)  # the full name or its last word ("Bankman-Fried")
    for a, b in split_sentences(passage) or [(0, len(passage))]:
        sentence = passage[a:b]
        if names(sentence) and about_point(sentence, point) and \
                len(content_words(sentence) & words) >= MIN_SHARED_WORDS:
            return True
    return False


# ------------------------------------------------------------------------------- quotes

# A sentence that may quote someone: a verb of saying, "according to", or quotation marks.
_SAYS = re.compile(r"\b(" + "|".join(sorted(SAYING_VERBS)) + r"|according to)\b|[“”\"]", re.I)
MAX_QUOTES = 2  # sentences quoted for "What did X say?"


def quotes_of(name: str, text: str) -> list[str]:
    """Sentences of `text` in which `name` speaks: it (the full name or the surname) is the
    subject of a verb of saying or follows "according to" (rag.entities.speaker_phrases). A
    sentence that only names it, such as another speaker's words about it, is not its quote.
    Without the parser, a sentence naming it with a verb of saying or quotation marks counts."""
    parts = [p for p in name.split() if p.lower() not in ("mr", "mrs", "ms", "dr", "mr.", "mrs.", "ms.", "dr.")]
    if not parts:
        return []
    who = re.compile(r"(?<![\w-])(?:" + re.escape(" ".join(parts)) + "|" + re.escape(parts[-1]) + r")(?![\w-])")
    named = [text[a:b] for a, b in split_sentences(text) or [(0, len(text))]
             if who.search(text[a:b]) and _SAYS.search(text[a:b])]
    try:
        from .entities import speaker_phrases

        speakers = speaker_phrases(named)
    except (ImportError, RagError):  # no parser installed: the looser test alone
        speakers = [[s] for s in named]
    return [quotable(s) for s, phrases in zip(named, speakers) if any(who.search(p) for p in phrases)]


def answer_speaker(pipe: "Pipeline", question: str, query: str, q: QuestionAnalysis, hits: Sequence[Hit],
                   t0: float, t_ret: float) -> Answer | None:
    """"What did X say?" answered from the passage that quotes X: its quoting sentences (those on
    the question's point first), cited. The retrieved passages are searched first, then every
    passage of the index that names X. None when no passage quotes X."""
    from .citations import cite

    point = point_words(q)
    surname = q.speaker.split()[-1]
    have = {h.chunk.id for h in hits}
    pool = list(hits) + [Hit(c, 0.0, len(hits) + 1) for c in pipe.index.chunks
                         if surname in c.text and c.id not in have]
    best: tuple[float, Hit, list[str]] | None = None
    for h in pool:
        found = quotes_of(q.speaker, h.chunk.text)
        if not found:
            continue
        score = sum(about_point(s_, point) for s_ in found) + (1.0 if q.speaker in h.chunk.text else 0.0) \
            + (0.5 if h in hits else 0.0) - 0.01 * h.rank
        if best is None or score > best[0]:
            best = (score, h, found)
    if best is None:
        return None
    _, hit, found = best
    found = sorted(found, key=lambda s_: not about_point(s_, point))[:MAX_QUOTES]
    found = [s_ for s_ in quotes_of(q.speaker, hit.chunk.text) if s_ in found]  # in the article's order
    shown = [hit] + [h for h in hits if h.chunk.id != hit.chunk.id]
    shown = [dataclasses.replace(h, rank=i) for i, h in enumerate(shown, start=1)]
    text, citations = cite(" ".join(_with_marker(s_, 1) for s_ in found), shown)
    return Answer(question, text, citations, tuple(shown), False,
                  Timings(retrieval_s=t_ret, total_s=time.perf_counter() - t0), query)


def _with_marker(sentence: str, n: int) -> str:
    """The marker before the sentence's closing punctuation; an article's stray run of it
    ("join. .") ends as one mark."""
    s_ = sentence.rstrip()
    if s_ and s_[-1] in ".!?":
        return f"{_CLOSING.sub('', s_)} [{n}]{s_[-1]}"
    return f"{s_} [{n}]"


_CLOSING = re.compile(r"[\s.!?]+$")


# ------------------------------------------------------------------------------- the reply's point

_NUMBER = re.compile(r"\d")
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(19|20)\d\d\b|"
                    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow)\b", re.I)
_NAME = re.compile(r"\b[A-Z][\w'’-]*\w")
NAMED_TYPES = ("person", "organisation", "product", "place", "event")


def names_what_is_asked(q: QuestionAnalysis, reply: str, hits: Sequence[Hit]) -> bool:
    """Whether a reply to a who/which/when/how-much question gives something of the type asked
    for (a number, a date, a name the question does not contain) that a passage states in a
    sentence on the question's point. Untyped questions ("What happened ...?") always pass."""
    from .grounding import _COMMON

    if q.kind != "wh" or q.speaker:
        return True
    plain = MARKER.sub(" ", reply)
    if q.answer_type == "amount":
        items = re.findall(r"\d+(?:[.,]\d+)*", plain)
    elif q.answer_type == "date":
        items = [m.group(0) for m in _MONTH.finditer(plain)] + re.findall(r"\d+", plain)
    elif q.answer_type in NAMED_TYPES:
        asked = q.text.lower()
        items = [w for w in _NAME.findall(plain) if w.lower() not in _COMMON and w.lower() not in asked]
    else:
        return True
    if not items:
        return False
    point = point_words(q)
    for h in hits:
        for a, b in split_sentences(h.chunk.text) or [(0, len(h.chunk.text))]:
            sentence = h.chunk.text[a:b]
            flat = re.sub(r"(?<=\d),(?=\d)", "", sentence).lower()
            if about_point(sentence, point) and any(i.replace(",", "").lower() in flat for i in items):
                return True
    return False
