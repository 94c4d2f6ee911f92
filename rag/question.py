"""Question analysis: what a question asks for and what it names, before anything is retrieved.

    q = analyse("Does the TechCrunch article say X, while The Verge report says Y?")
    q.kind == "yes_no"; q.publications == ("TechCrunch", "The Verge"); len(q.claims) == 2

Everything here is pattern work on the question alone (no index, no model), so it is fast and
tested on plain strings: its kind and the type of answer it asks for here, its claims (yes/no
questions), order in time and agreement; the publications, dates and names it mentions are
found by rag/mentions.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .answer_types import HOW_MEASURE
from .mentions import (NAME, NOT_NAMES, QUOTES, bound_kind, clean_name, find_dates, find_entities,  # noqa: F401
                       find_publications, is_date_word)
from .outlets import match_outlets, normalise_outlet  # noqa: F401  (match_outlets: part of this API)
from .text import STOP_WORDS

_AUX = r"does|did|do|is|was|were|are|has|have|had|can|could|would|will|should"
_WH = r"who|whom|whose|which|what|when|where|how"

_ORDER = re.compile(r"\b(before|after|earlier|later|prior to|first|previously|subsequently)\b", re.I)
_SAME = r"consistent|consistency|consistently|agree|agreed|agreement|same|similar|similarly|align|aligned|remain(?:ed)?|maintain(?:ed)?"
_DIFF = (r"inconsistent|inconsistency|disagree|disagreement|different|differ|differed|differing|differently|change|"
         r"changed|contradict\w*|shift(?:ed)?")
_LOOSE = r"same|remain(?:ed)?|maintain(?:ed)?"
_CONTRADICT = r"inconsistent|inconsistency|disagree|disagreement|contradict\w*"
# ", or do these articles present different views?": a second alternative, asked as its own clause
_ALTERNATIVE = re.compile(rf",?\s+or\s+(?:{_AUX})\b", re.I)
_AGREE = re.compile(rf"\b(no|not)?\s*\b({_SAME}|{_DIFF})\b", re.I)
_CLAIM_SPLIT = re.compile(
    r"(?:,\s*)?\b(?:while|whereas|but|and|compared (?:to|with)|in contrast to|unlike|than|as well as|align with|"
    r"with|as)\b", re.I)

ANSWER_TYPES = {
    "person": r"person|individual|people|player|athlete|executive|ceo|founder|chief|leader|coach|quarterback|"
              r"actor|actress|author|singer|artist|politician|official|president|figure|celebrity|manager|director",
    "organisation": r"company|companies|firm|organi[sz]ation|exchange|team|club|franchise|startup|brand|business|"
                    r"group|agency|bank|network|studio|publisher|retailer|league|university|institution|party|"
                    r"manufacturer|entity|corporation|platform|government|department",
    "product": r"product|device|game|film|movie|show|series|app|application|model|service|tool|book|album|song|"
               r"console|phone|gadget|software|feature|vehicle|car|drug|technology|character",
    "place": r"city|country|state|place|location|region|venue|stadium|nation|continent|town|county",
    "date": r"date|day|month|year|time|season|week",
    "amount": r"amount|number|price|cost|percentage|percent|sum|figure|total|value|rate|score|salary|fee|"
              r"population|height|length|distance|weight|age|area|capacity|attendance|turnout|budget|revenue|"
              r"size|speed|temperature|count|share|margin",
}
# "What did X say / tell / announce ...?": the words of a named person are asked for.
_SPEECH = (r"say|said|tell|told|announce|announced|claim|claimed|state|stated|write|wrote|argue|argued|warn|"
           r"warned|reveal|revealed|explain|explained|add|added|note|noted|comment|commented|mention|mentioned|"
           r"report|reported|suggest|suggested|promise|promised|predict|predicted|insist|insisted")
_SPEAKER = re.compile(rf"^\W*(?i:what)\s+(?i:did|does|do|has|have|had)\s+(?P<name>{NAME})\s+"
                      rf"(?i:{_SPEECH})\b")


@dataclass(frozen=True)
class Claim:
    text: str
    publications: tuple[str, ...] = ()  # names as the question writes them
    dates: tuple[str, ...] = ()  # ISO dates of publication this claim names
    # ("after" | "before" | "not", ISO date): bounds it puts on the publication day
    # ("reported by Sporting News after October 4, 2023"); inclusive, see rag.claims.claim_filter
    bounds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    kind: str  # "yes_no" | "wh" | "other"
    answer_type: str  # "yes_no", "person", "organisation", "product", "place", "date", "amount", "other"
    publications: tuple[str, ...] = ()  # named as publications ("the X article", "reported by X")
    sources: tuple[str, ...] = ()  # also named perhaps as a source ("according to X"): to narrow searches
    dates: tuple[str, ...] = ()  # exact publication dates named ("published on October 3, 2023")
    date_bounds: tuple[str, ...] = ()  # dates named as bounds ("after October 4, 2023"): never a decline
    entities: tuple[str, ...] = ()  # specific names the question is about (not the publications)
    claims: tuple[Claim, ...] = ()  # yes/no questions only
    order: str | None = None  # "before" | "after" when the question asks about order in time
    # "same" | "different" | "contradicts" when it asks whether reports agree, differ (changed) or
    # contradict each other (are inconsistent, disagree); "choice" when it offers both as options
    agreement: str | None = None
    options: tuple[str, ...] = ()  # "consistent or inconsistent": the words to answer with
    speaker: str | None = None  # "What did Alicia Moreno say?": the person whose words are asked for


def analyse(question: str) -> QuestionAnalysis:
    q = " ".join(question.split())
    kind, atype = question_kind(q)
    strong = find_publications(q)
    pubs = find_publications(q, weak=True)
    named = find_publications(q, weak=True, sources=True)
    dates, bounds = find_dates(q)
    ents = find_entities(q, [p for _, _, p in named])
    names = tuple(dict.fromkeys(p for _, _, p in strong))
    agreement, options = _agreement(q) if kind == "yes_no" else (None, ())
    order = _order(q, pubs) if kind == "yes_no" and agreement is None else None
    # "Does A say X, or do the articles differ?": the claims are the first alternative's
    first = q[:_alternative_at(q)] if agreement == "choice" else q
    claims = split_claims(first, [p for p in pubs if p[0] < len(first)],
                          [p for _, _, p in named]) if kind == "yes_no" else ()
    return QuestionAnalysis(q, kind, atype, names, tuple(dict.fromkeys(p for _, _, p in named)),
                            tuple(d for d, _ in dates), tuple(d for d, _ in bounds), ents, claims, order,
                            agreement, options, find_speaker(q) if kind == "wh" else None)


def find_speaker(q: str) -> str | None:
    """The person whose words "What did X say / announce / tell ...?" asks for, or None."""
    m = _SPEAKER.match(q)
    if not m:
        return None
    name = clean_name(m.group("name"))
    return name if name and name.lower() not in NOT_NAMES and not is_date_word(name) else None


# ---------------------------------------------------------------------- kind and answer type


_PREPOSITION = r"(?:in|on|at|by|for|from|to|until|till|since|of|with|during)"
_RELATIVE = re.compile(r"(?:which|who|that)\s+(?:\w+ed|is|was|are|were|has|had|have|also)\b", re.I)


def question_kind(q: str) -> tuple[str, str]:
    """("yes_no" | "wh" | "other", answer type). A leading clause ("Considering X, which ...",
    "After X reported ..., did Y ...") is skipped: the first question word after it decides."""
    first = re.match(rf"\W*(?:{_PREPOSITION}\s+)?({_AUX}|{_WH})\b", q, re.I)  # "Until what time ..."
    later = list(re.finditer(rf",[{QUOTES}]?\s+({_AUX}|{_WH})\b", q, re.I))  # also after a quote: 'movie)," is there'
    # ", which discussed ..." is a relative clause of the leading one when a question clause follows
    # (", did ..."): "After the report, which discussed X, did Y ...?"
    while len(later) > 1 and _RELATIVE.match(q, later[0].start(1)):
        later.pop(0)
    m = first or (later[0] if later else None)

    if not m:
        return "other", "other"
    word = m.group(1).lower()
    if re.fullmatch(_AUX, word):
        return "yes_no", "yes_no"
    return "wh", _answer_type(word, q[m.end():])


def _answer_type(word: str, rest: str) -> str:
    if word in ("who", "whom", "whose"):
        return "person"
    if word == "when":
        return "date"
    if word == "how":
        return "amount" if re.match(rf"\s+(?:{HOW_MEASURE})\b", rest, re.I) else "other"
    if word == "where":
        return "place"
    first = re.match(r"\s*([A-Za-z-]+)(?!['’])", rest)  # "what year was the company": the noun right after
    for atype, nouns in ANSWER_TYPES.items():
        if first and re.fullmatch(nouns, first.group(1).lower()):
            return atype
    head = " ".join(re.findall(r"[A-Za-z-]+", rest)[:4]).lower()  # else the first type named in four words
    for atype, nouns in ANSWER_TYPES.items():
        if re.search(rf"\b(?:{nouns})\b", head):
            return atype
    return "other"


# ---------------------------------------------------------------------- publications


# ---------------------------------------------------------------------- yes/no structure


def _agreement(q: str) -> tuple[str | None, tuple[str, ...]]:
    """Whether the question asks if reports agree ("same") or differ ("different"), and the
    alternatives it offers: "consistent or inconsistent", or a second clause ("Does A align with
    B, or do these claims highlight different aspects?" -> "align", "different aspects")."""
    alt = re.search(rf"\b({_SAME}|{_DIFF})\s+or\s+(?:\w+\s+)?({_SAME}|{_DIFF})\b", q, re.I)
    if alt:
        return "choice", (alt.group(1), alt.group(2))
    at = _alternative_at(q)
    if at < len(q):
        a, b = _agree_phrase(q[:at]), _agree_phrase(q[at:])
        if a and b and is_same_option(a) != is_same_option(b):
            return "choice", (a, b)
    found = list(_AGREE.finditer(q))
    if not found:
        return None, ()
    # "same", "maintain" and "remain" often say something else ("on the same case", "to maintain
    # its dominance", "which maintained that ..."): a plain agreement word, if there is one, decides.
    m = next((f for f in found if not re.fullmatch(_LOOSE, f.group(2), re.I)), found[0])
    same = re.fullmatch(_SAME, m.group(2), re.I) is not None
    if m.group(1):  # "no change", "not consistent"
        same = not same
    if not same and not m.group(1) and re.fullmatch(_CONTRADICT, m.group(2), re.I):
        return "contradicts", ()  # more than a difference: one report says the other is wrong
    return ("same" if same else "different"), ()


def _alternative_at(q: str) -> int:
    """Where ", or do ..." starts a second alternative (len(q) when there is none)."""
    m = _ALTERNATIVE.search(q)
    return m.start() if m else len(q)


def _agree_phrase(text: str) -> str | None:
    """The agreement word of a clause with the word it qualifies ("different aspects", "same
    stance", "similar way"; "align" alone when a function word follows)."""
    m = re.search(rf"\b({_SAME}|{_DIFF})\b(?:\s+([a-z]+))?", text, re.I)
    if not m:
        return None
    nxt = m.group(2)
    return m.group(1) + (" " + nxt if nxt and nxt.lower() not in STOP_WORDS and len(nxt) > 2 else "")


def is_same_option(phrase: str) -> bool:
    """The option says the reports agree ("consistent", "same stance"), not that they differ."""
    return re.fullmatch(_SAME, phrase.split()[0], re.I) is not None


def _order(q: str, pubs: list[tuple[int, int, str]]) -> str | None:
    """"before" when the question asserts first-named precedes second-named, "after" when the
    reverse. "After A ..., did B" asserts A precedes B: "before"."""
    m = _ORDER.search(q)
    if not m or len(pubs) < 2:
        return None
    if pubs[1][0] < m.start():  # "before" inside the second claim is part of it, not an order
        return None
    word = m.group(1).lower()
    early = word in ("before", "earlier", "prior to", "first", "previously")
    opening = not pubs or m.start() < pubs[0][0]
    if opening:  # "After A, did B" / "Before A, did B"
        return "after" if early else "before"
    return "before" if early else "after"


def split_claims(q: str, pubs: list[tuple[int, int, str]], sources: list[str] = ()) -> tuple[Claim, ...]:
    """One claim per named publication: the question is cut between consecutive mentions, at the
    last joining word between them ("while", "and", "compared to" ...). A question naming fewer
    than two publications (or dates) is one claim."""
    exact, bounds = find_dates(q)
    # Claims are cut between publication mentions; between dates when fewer than two are named.
    by_date = len(pubs) < 2 and len(exact) >= 2
    anchors = sorted({p for _, p in exact} if by_date else {s for s, _, _ in pubs})
    cuts = [0]
    for a, b in zip(anchors, anchors[1:]):
        gap_start = _end_of_mention(pubs, a)
        joins = [m for m in _CLAIM_SPLIT.finditer(q, gap_start, b)]
        if joins:
            cuts.append(joins[-1].start())
        elif len(anchors) > 1:
            cuts.append(_mention_start(q, b))
    cuts.append(len(q))
    claims = []
    for s, e in zip(cuts, cuts[1:]):
        text = q[s:e].strip(" ,?")
        if not text:
            continue
        c_pubs = tuple(dict.fromkeys(n for ps, pe, n in pubs if s <= ps < e))
        if by_date:  # "TechCrunch reported on A and again on B": both claims are TechCrunch's
            c_pubs = tuple(dict.fromkeys([n for _, _, n in pubs] + list(sources)))
        c_dates = tuple(dict.fromkeys(d for d, p in exact if s <= p < e))
        c_bounds = tuple(dict.fromkeys((bound_kind(q, p), d) for d, p in bounds if s <= p < e))
        claims.append(Claim(text, c_pubs, c_dates, c_bounds))
    # "while Fortune and TechCrunch imply X": a claim that is only a name in a list says what the
    # next one says.
    for i in range(len(claims) - 2, -1, -1):
        c = claims[i]
        nxt = claims[i + 1]
        if c.publications and nxt.publications and not _says_something(c) and _says_something(nxt):
            from .claims import core

            claims[i] = Claim(f"{c.text} {core(nxt.text, nxt.publications)}", c.publications, c.dates, c.bounds)
    return tuple(claims)


def _says_something(c: Claim) -> bool:
    from .claims import claim_words, core  # claims reads this module: imported when used

    return bool(claim_words(core(c.text, c.publications)))


def _end_of_mention(pubs: list[tuple[int, int, str]], start: int) -> int:
    for s, e, _ in pubs:
        if s == start:
            return e
    return start + 1


def _mention_start(q: str, at: int) -> int:
    """Back up over the determiner before a mention ("the", "a") so it starts the next claim."""
    m = re.search(r"(?:\b(?:the|a|an|another)\s+[{QUOTES}]?)$".replace("{QUOTES}", QUOTES), q[:at], re.I)
    return m.start() if m else at
