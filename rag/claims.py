"""Yes/no questions settled claim by claim from the articles each claim names.

A 135M model judges yes/no questions at chance even with the right evidence, so the verdict is
measured instead: for each claim, the article(s) of the publication and date it names are
searched, and the claim counts as supported when the best passage is close enough (embedding
cosine) and its article holds enough of the claim's content words and names. "Yes" only when every claim is supported. Order in time is read from
the publication dates of the articles found; agreement from what the two found sentences say.

The thresholds are fitted on a development set (see docs/evaluation.md); everything else is
general.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .attribution import attribute
from .citations import best_sentence
from .grounding import facts
from .outlets import match_outlets
from .question import Claim, QuestionAnalysis
from .text import STOP_WORDS, content_words, stem
from .types import Chunk, ClaimVerdict, Hit

# Fitted on the dev set's 200 yes/no questions (a grid over 0-0.6; the surface is flat within
# +-0.02 around these values, see docs/evaluation.md).
SUPPORT_SIM = 0.40  # cosine of claim to its best passage at or above which a claim can be supported
SUPPORT_COVERAGE = 0.40  # share of the claim's content words (stems) the article must hold
CLAIM_PASSAGES = 4  # a claim's best passages judged, as many as a question reads (k = 4)
# Cosine between the two claims' sentences below which reports are taken to differ. Off: on the
# dev set it separated agreeing from differing reports no better than chance (AUC 0.49-0.55), so
# reports differ only when a claim is not found.
AGREE_SIM = 0.0
MIN_OWN_WORDS = 2  # content words a claim of a "did they differ?" question must say of its report
# Words that frame a claim ("does the article suggest that ...") rather than state it.
_FRAME = frozenset(
    "article articles report reports reported reporting piece story coverage suggest suggests suggested "
    "imply implies implied indicate indicates indicated claim claims claimed discuss discusses discussed "
    "discussing mention mentions mentioned attribute attributes attributed credit credits credited focus "
    "focuses focused describe describes described state states stated highlight highlights highlighted "
    "while whereas both another other same one two published news source sources portrayal reporting "
    "does did do is was were are has have had say says said".split()
)

Search = Callable[[str, Callable[[Chunk], bool] | None, int], list[Hit]]
Embed = Callable[[Sequence[str]], np.ndarray]  # normalised rows


def claim_filter(claim: Claim, outlets: Sequence[str]) -> Callable[[Chunk], bool] | None:
    """Chunks of the outlets and publication days the claim names, within the bounds it puts on
    the day ("after October 4, 2023": that day or later; "before": that day or earlier, since a
    publication day depends on the time zone it is read in; "other than": any other day).
    None: no restriction."""
    allowed = {o for p in claim.publications for o in match_outlets(p, outlets)}
    days = set(claim.dates)
    if not allowed and not days and not claim.bounds:
        return None

    def within(day: str) -> bool:
        return all(day >= d if kind == "after" else day <= d if kind == "before" else day != d
                   for kind, d in claim.bounds)

    return lambda c: (not allowed or c.source in allowed) and (not days or (c.published_at or "")[:10] in days) \
        and (not claim.bounds or bool(c.published_at) and within(c.published_at[:10]))


def core(text: str, publications: Sequence[str] = ()) -> str:
    """The claim without its frame: no publication names, no leading "does the article suggest that"."""
    for p in publications:
        text = re.sub(re.escape(p), " ", text, flags=re.I)
    text = re.sub(r"^\W*(?:and|while|whereas|but|compared (?:to|with)|unlike|with|as)\b", " ", text, flags=re.I)
    text = re.sub(r"^\W*(?:does|did|do|is|was|were|are|has|have|had)\b", " ", text, flags=re.I)
    text = re.sub(r"^.{0,60}?\b(?:article|report|piece|story)s?\b(?:\s+(?:from|by|in)\s+\S+)?", " ", text, flags=re.I)
    words = text.replace("'", " ").split()
    if words and words[0].lower() in _FRAME:  # "suggest that ...", "says ..."
        words = words[1:]
    if words and words[0].lower() == "that":
        words = words[1:]
    return " ".join(words)


def claim_words(text: str) -> set[str]:
    return {w for w in content_words(text) if w not in _FRAME}


def check_claim(claim: Claim, search: Search, outlets: Sequence[str],
                article_text: Callable[[str], str], embedder=None) -> ClaimVerdict:
    """Judge one claim against the articles it names. Each of its CLAIM_PASSAGES best passages
    there is judged by its similarity to the claim (the retriever's dense cosine, so no further
    embedding) and the share of the claim's content words (stems) its article holds; the claim
    is supported when one of them passes both. Among several that pass, the one cited is the one
    whose sentence best says the claim (rag.attribution, with the `embedder`; without one, the
    one whose article names what the claim names, then the closest), and that sentence is
    highlighted; otherwise the passage's closest sentence in words."""
    text = core(claim.text, claim.publications) or claim.text
    hits = search(text, claim_filter(claim, outlets), CLAIM_PASSAGES)
    if not hits:
        return ClaimVerdict(claim.text, "not_found")
    stems = {stem(w) for w in claim_words(text)}
    names = claim_names(text, claim.publications)

    def judge(h: Hit) -> tuple[tuple[bool, float, float], float]:
        body = article_text(h.chunk.article_id)
        held = {stem(w) for w in claim_words(body)}
        cov = len(stems & held) / len(stems) if stems else 0.0
        named = sum(n in body.lower() for n in names) / len(names) if names else 1.0
        return (float(h.score) >= SUPPORT_SIM and cov >= SUPPORT_COVERAGE, named, float(h.score)), cov

    judged = [(judge(h), h) for h in hits]
    (key, cov), hit = max(judged, key=lambda j: j[0][0])
    sentence = None
    passing = [h for (k, _), h in judged if k[0]]
    if embedder is not None and len(passing) > 1:
        found = attribute(text, [text], None, lambda *_: passing, embedder.embed_query, embedder.embed_documents)
        if found is not None:
            hit, sentence = found.hit, found.sentence
            cov = next(c for (_, c), h in judged if h is hit)
    verdict = "supported" if key[0] else "not_found"
    return ClaimVerdict(claim.text, verdict, hit.chunk.source, hit.chunk.article_id, hit.chunk.title,
                        hit.chunk.published_at,
                        sentence or best_sentence(hit.chunk.text, text) or hit.chunk.text[:300],
                        float(hit.score), cov, hit)


def claim_names(text: str, publications: Sequence[str] = ()) -> set[str]:
    """The names a claim mentions (the grounding check's names), without its publications and
    framing words ("Does", "Sporting News")."""
    pubs = " ".join(publications).lower()
    return {n for n in facts(text)[0] if n not in _FRAME and n not in STOP_WORDS and n not in pubs}


@dataclass(frozen=True)
class Decision:
    yes: bool | None  # None: the question's own options are the answer (`word`)
    word: str  # "Yes", "No", or one of the question's options ("Consistent")
    why: str  # one sentence on how it was decided (dates, agreement), without citations


def decide(q: QuestionAnalysis, verdicts: Sequence[ClaimVerdict], embed: Embed | None = None) -> Decision:
    """The answer from the claims: order questions by dates, agreement questions by what the
    found sentences say, otherwise "Yes" only when every claim is supported."""
    all_supported = bool(verdicts) and all(v.verdict == "supported" for v in verdicts)
    if q.order and len(verdicts) >= 2:
        a, b = verdicts[0], verdicts[1]
        if not (a.published_at and b.published_at):
            return Decision(False, "No", "the articles' dates could not be compared")
        first_earlier = a.published_at < b.published_at
        holds = first_earlier if q.order == "before" else b.published_at < a.published_at
        rel = "before" if first_earlier else ("after" if b.published_at < a.published_at else "on the same day as")
        why = f"{a.publication or 'the first article'} ({a.published_at[:10]}) was published {rel} " \
              f"{b.publication or 'the second'} ({b.published_at[:10]})"
        return Decision(holds and all_supported, "Yes" if holds and all_supported else "No", why)
    if q.agreement in ("choice", "contradicts") or (q.agreement and len(verdicts) >= 2):
        agree = all_supported and (len(verdicts) < 2 or _agree(verdicts, embed))
        if q.agreement == "choice":  # "A or B?" is answered with A or B, not "Yes"
            same_word, diff_word = _options(q.options)
            word = (same_word if agree else diff_word).capitalize()
            if len(verdicts) < 2:  # one report: the first alternative holds when its claim is found
                why = "the article supports the claim" if agree else "the claim was not found in the articles"
            else:
                why = "the reports " + ("agree" if agree else "differ") + " on the point"
            return Decision(None, word, why)
        if q.agreement == "same":
            return Decision(agree, "Yes" if agree else "No", "the reports " + ("agree" if agree else "differ"))
        if q.agreement == "contradicts":
            # A contradiction is one more claim, that one report denies what the other says; only a
            # claim found contradicted would support it, and none was.
            hit = any(v.verdict == "contradicted" for v in verdicts)
            return Decision(hit, "Yes" if hit else "No", "the reports were found to contradict each other" if hit
                            else "no claim was found contradicted by the articles")
        # "Does A suggest X, compared to B suggesting Y?", "Was there a change between A (on X) and
        # B (on Y)?": the question says what each report says; each found in its report shows
        # the difference. A claim with nothing of its own to say ("... and the one published on
        # May 2") leaves the difference unverified.
        said = all(len(claim_words(core(c.text, c.publications))) >= MIN_OWN_WORDS for c in q.claims)
        yes = all_supported and said
        why = "each report says what the question says it does: they differ" if yes else (
            "not every claim is supported" if not all_supported else "the question does not say what each report says")
        return Decision(yes, "Yes" if yes else "No", why)
    return Decision(all_supported, "Yes" if all_supported else "No",
                    "every claim is supported" if all_supported else "not every claim is supported")


def _agree(verdicts: Sequence[ClaimVerdict], embed: Embed | None) -> bool:
    if embed is None or AGREE_SIM <= 0:
        return True
    vecs = embed([v.sentence for v in verdicts[:2]])
    return float(vecs[0] @ vecs[1]) >= AGREE_SIM


def _options(options: Sequence[str]) -> tuple[str, str]:
    from .question import is_same_option

    a, b = options[0], options[1]
    return (a, b) if is_same_option(a) else (b, a)
