"""Question analysis: what a question asks for and what it names, before anything is retrieved.

    q = analyse("Does the TechCrunch article say X, while The Verge report says Y?")
    q.kind == "yes_no"; q.publications == ("TechCrunch", "The Verge"); len(q.claims) == 2

Everything here is pattern work on the question alone (no index, no model), so it is fast and
tested on plain strings. Publications are recognised by how news questions name them ("according
to X", "reported by X", "the X article", "a X piece", "X reports", "articles from X and Y"), not
from a list of known outlets; `match_outlets` then maps a name to the index's own outlets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .outlets import match_outlets, normalise_outlet  # noqa: F401  (match_outlets: part of this API)

_MONTHS = "january february march april may june july august september october november december".split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_AUX = r"does|did|do|is|was|were|are|has|have|had|can|could|would|will|should"
_WH = r"who|whom|whose|which|what|when|where|how"
# One word of a proper name: capitalised or a number ("CBSSports.com", "Bankman-Fried", "49ers").
_TOKEN = r"(?:[A-Z][\w.&’'-]*[\w&]|[A-Z]|\d[\w.-]*[A-Za-z][\w]*)"
# Small words allowed inside a name ("Wall Street Journal of ...", "The Roar | Sports Writers Blog").
_JOIN = r"(?:\s+(?:of|for|de|du|la|&|-|\||the)\s+|\s+and\s+(?=[A-Z]\w*(?:['’]s)?\s+(?:article|report|piece))|\s+)"
NAME = rf"{_TOKEN}(?:{_JOIN}{_TOKEN})*"
_DOC = r"(?:articles?|reports?|pieces?|stor(?:y|ies)|reviews?|analys[ie]s|op-eds?|editorials?)"
_LIST = rf"{NAME}(?:\s*,\s*(?:and\s+)?{NAME}|\s+and\s+{NAME})*"
_Q = "'\"‘’“”"

# Weaker: "according to X" and "X reported" also name people ("according to Eddy Cue"), so such a
# name narrows the search when it is an outlet of the index but never alone causes a decline.
_WEAK_PATTERNS = [
    re.compile(rf"(?:according to|as per)\s+(?:both\s+)?(?:the\s+)?[{_Q}]?(?P<list>{_LIST})"),
    re.compile(rf"(?P<one>{NAME})\s+(?:reports?|reported|writes|wrote|mentioned|mentions|noted|stated)\b"),
]
# Weakest: "provided by X", "from X" name outlets as often as people or companies ("from OpenAI"):
# they only tell whose articles a claim split by dates is about, and never split claims.
_SOURCE_PATTERNS = [re.compile(rf"(?:\bby|\bfrom)\s+(?:the\s+)?[{_Q}]?(?P<list>{_LIST})")]
_PUB_PATTERNS = [
    # "according to Forbes", "reported by the BBC", "articles from TechCrunch and The Age"
    re.compile(rf"(?:reported by|published by|(?:{_DOC}|coverage|another|one)\s+(?:from|by|in))\s+(?:both\s+)?(?:the\s+)?"
               rf"(?:[{_Q}](?P<quoted>[A-Z][^{_Q}]{{1,60}})[{_Q}]|(?P<list>{_LIST}))"),
    # "the 'The New York Times' article", "a CNBC piece", "another Fortune report", "The Verge's review"
    re.compile(rf"\b(?:the|a|an|another|one|two|both|other|second|first|latest|earlier|later|subsequent|previous|"
               rf"recent|separate)\s+[{_Q}]?(?P<one>{NAME})[{_Q}]?(?:['’]s?)?\s+{_DOC}\b"),
    # "while The Verge article", "Did TechCrunch's report"
    re.compile(rf"(?P<one>{NAME})(?:['’]s?)?\s+{_DOC}\b"),

    # 'The Roar | Sports Writers Blog' article (a quoted outlet may hold lower-case words)
    re.compile(rf"[{_Q}](?P<quoted>[A-Z][^{_Q}]{{1,60}})[{_Q}](?:s)?\s+{_DOC}\b"),
]
# Capitalised words that open a question or a clause: not part of any name.
_LEADING = set(
    ("after before between considering based according did does do is was were are has have had can could would why "
     "will should which what who whom whose when where how while both and but or the a an in on of from by "
     "as if since during following given regarding").split()
)
_NOT_NAMES = set(_MONTHS) | set(_DAYS) | {"i", "yes", "no", "true", "false", "ceo", "us", "uk"}

_ORDER = re.compile(r"\b(before|after|earlier|later|prior to|first|previously|subsequently)\b", re.I)
_SAME = r"consistent|consistency|consistently|agree|agreed|agreement|same|similar|similarly|align|aligned|remain(?:ed)?|maintain(?:ed)?"
_DIFF = r"inconsistent|inconsistency|disagree|disagreement|different|differ|differed|differently|change|changed|contradict\w*|shift(?:ed)?"
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
    agreement: str | None = None  # "same" | "different" when it asks whether reports agree / changed
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
    claims = split_claims(q, pubs, [p for _, _, p in named]) if kind == "yes_no" else ()
    return QuestionAnalysis(q, kind, atype, names, tuple(dict.fromkeys(p for _, _, p in named)),
                            tuple(d for d, _ in dates), tuple(d for d, _ in bounds), ents, claims, order,
                            agreement, options, find_speaker(q) if kind == "wh" else None)


def find_speaker(q: str) -> str | None:
    """The person whose words "What did X say / announce / tell ...?" asks for, or None."""
    m = _SPEAKER.match(q)
    if not m:
        return None
    name = _clean_name(m.group("name"))
    return name if name and name.lower() not in _NOT_NAMES and not _is_date_word(name) else None


# ---------------------------------------------------------------------- kind and answer type


def question_kind(q: str) -> tuple[str, str]:
    """("yes_no" | "wh" | "other", answer type). A leading clause ("Considering X, which ...",
    "After X reported ..., did Y ...") is skipped: the first question word after it decides."""
    first = re.match(rf"\W*({_AUX}|{_WH})\b", q, re.I)
    m = first or re.search(rf",[{_Q}]?\s+({_AUX}|{_WH})\b", q, re.I)  # also after a quote: 'movie)," is there'

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
        return "amount" if re.match(r"\s+(much|many|long|far|old|big|large|high)\b", rest, re.I) else "other"
    if word == "where":
        return "place"
    head = " ".join(re.findall(r"[A-Za-z-]+", rest)[:4]).lower()
    for atype, nouns in ANSWER_TYPES.items():
        if re.search(rf"\b(?:{nouns})\b", head):
            return atype
    return "other"


# ---------------------------------------------------------------------- publications


def _clean_name(name: str) -> str:
    name = re.sub(r"['’]s?$", "", name.strip().strip(_Q)).strip()
    words = name.split()
    # Opening words ("Does", "After") and a lower-case "the" ("the Sporting News report") go.
    while words and (words[0] == "the" or words[0].lower() in _LEADING - {"the"}):
        words = words[1:]
    return " ".join(words)


def find_publications(q: str, weak: bool = False, sources: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, name) of each mention of a publication, in order; one name may recur."""
    found: list[tuple[int, int, str]] = []
    for pat in _PUB_PATTERNS + (_WEAK_PATTERNS if weak else []) + (_SOURCE_PATTERNS if sources else []):
        for m in pat.finditer(q):
            group = next(g for g in ("list", "one", "quoted") if g in pat.groupindex and m.group(g))
            if group == "one" and re.search(r"\bcoverage$", m.group(0)):
                continue
            start = m.start(group)
            parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group(group)) if group == "list" else [m.group(group)]
            pos = start
            for part in parts:
                at = q.find(part, pos)
                pos = at + len(part)
                name = _clean_name(part)
                at = max(at, q.find(name, at)) if name else at
                if name and name.lower().removeprefix("the ") not in _NOT_NAMES and not _is_date_word(name):
                    found.append((at, at + len(name), name))
    found.sort()
    out: list[tuple[int, int, str]] = []
    for s, e, n in found:  # overlapping mentions: keep the earliest, longest
        if out and s < out[-1][1]:
            if e - s > out[-1][1] - out[-1][0] and s == out[-1][0]:
                out[-1] = (s, e, n)
            continue
        out.append((s, e, n))
    return out


def _is_date_word(name: str) -> bool:
    return name.split()[0].lower() in _MONTHS or name.split()[0].lower() in _DAYS


# ---------------------------------------------------------------------- dates and entities

_DATE = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b|\b(\d{4})-(\d{2})-(\d{2})", re.I)
_BOUND = re.compile(r"\b(before|after|since|until|till|prior to|by|other than|not on|later than|earlier than)\s+(?:the\s+)?$", re.I)


def find_dates(q: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(exact, bounds): ISO dates with their positions. A date after "before", "after", "other
    than" ... bounds a period; only the others say an article was published that day. A date
    without a year is not used (it cannot be checked)."""
    exact, bounds = [], []
    for m in _DATE.finditer(q):
        if m.group(1):
            if not m.group(3):
                continue
            iso = f"{int(m.group(3)):04d}-{_MONTHS.index(m.group(1).lower()) + 1:02d}-{int(m.group(2)):02d}"
        else:
            iso = f"{m.group(4)}-{m.group(5)}-{m.group(6)}"
        before = q[max(0, m.start() - 30):m.start()]
        (bounds if _BOUND.search(before) else exact).append((iso, m.start()))
    return exact, bounds


def find_entities(q: str, publications: list[str]) -> tuple[str, ...]:
    """Specific names in the question: runs of capitalised words (not opening words, months or the
    publications), kept whole ("Sam Bankman-Fried", "Shubha Satheesh")."""
    pubs = {normalise_outlet(p) for p in publications}
    out = []
    for m in re.finditer(NAME, q):
        words = m.group(0).split()
        while words and (words[0].lower() in _LEADING or words[0].lower() in _NOT_NAMES):
            words = words[1:]
        while words and words[-1].lower() in {"of", "for", "the", "-", "|", "&", "de", "la", "du"}:
            words = words[:-1]
        name = re.sub(r"['’]s?$", "", " ".join(words))
        if not name or normalise_outlet(name) in pubs or _is_date_word(name):
            continue
        if len(name) < 3 or name.lower() in _NOT_NAMES or name[0].isdigit():
            continue
        out.append(name)
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------- yes/no structure


def _agreement(q: str) -> tuple[str | None, tuple[str, ...]]:
    """Whether the question asks if reports agree ("same") or differ ("different"), and the
    alternatives it offers ("consistent or inconsistent")."""
    alt = re.search(rf"\b({_SAME}|{_DIFF})\s+or\s+(?:\w+\s+)?({_SAME}|{_DIFF})\b", q, re.I)
    if alt:
        return "choice", (alt.group(1), alt.group(2))
    m = _AGREE.search(q)
    if not m:
        return None, ()
    same = re.fullmatch(_SAME, m.group(2), re.I) is not None
    if m.group(1):  # "no change", "not consistent"
        same = not same
    return ("same" if same else "different"), ()


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
    exact, _ = find_dates(q)
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
        claims.append(Claim(text, c_pubs, c_dates))
    return tuple(claims)


def _end_of_mention(pubs: list[tuple[int, int, str]], start: int) -> int:
    for s, e, _ in pubs:
        if s == start:
            return e
    return start + 1


def _mention_start(q: str, at: int) -> int:
    """Back up over the determiner before a mention ("the", "a") so it starts the next claim."""
    m = re.search(r"(?:\b(?:the|a|an|another)\s+[{_Q}]?)$".replace("{_Q}", _Q), q[:at], re.I)
    return m.start() if m else at
