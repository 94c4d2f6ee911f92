"""What a question mentions: publications, dates and names, found by how news questions name
them (rag.question puts them together). Pattern work on the question alone: no index, no model.

Publications are recognised by how questions name them ("according to X", "reported by X", "the X
article", "a X piece", "X reports", "articles from X and Y"), not from a list of known outlets;
`rag.outlets.match_outlets` then maps a name to the index's own outlets.
"""
from __future__ import annotations

import re

from .outlets import normalise_outlet

_MONTHS = "january february march april may june july august september october november december".split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# One word of a proper name: capitalised or a number ("CBSSports.com", "Bankman-Fried", "49ers").
_TOKEN = r"(?:[A-Z][\w.&’'-]*[\w&]|[A-Z]|\d[\w.-]*[A-Za-z][\w]*)"
# Small words allowed inside a name ("Wall Street Journal of ...", "The Roar | Sports Writers Blog").
_JOIN = r"(?:\s+(?:of|for|de|du|la|&|-|\||the)\s+|\s+and\s+(?=[A-Z]\w*(?:['’]s)?\s+(?:article|report|piece))|\s+)"
NAME = rf"{_TOKEN}(?:{_JOIN}{_TOKEN})*"
_DOC = r"(?:articles?|reports?|pieces?|stor(?:y|ies)|reviews?|analys[ie]s|op-eds?|editorials?)"
_SAYING = (r"(?:suggests?|implies|imply|indicates?|reports?|claims?|states?|says|say|argues?|asserts?|notes?|"
           r"highlights?|describes?|portrays?|attributes?|mentions?|discuss(?:es)?|covers?)")
_LIST = rf"{NAME}(?:\s*,\s*(?:and\s+)?{NAME}|\s+and\s+{NAME})*"
QUOTES = "'\"‘’“”"
# A quoted outlet name: capitalised words, joined by connectors ("The Independent - Life and Style")
_QUOTED_NAME = rf"[{QUOTES}][A-Z][\w.&'-]*(?:\s+(?:[A-Z0-9][\w.&'-]*|and|of|the|for|on|in|[|&-]))*[{QUOTES}]"

# Weaker: "according to X" and "X reported" also name people ("according to Eddy Cue"), so such a
# name narrows the search when it is an outlet of the index but never alone causes a decline.
_WEAK_PATTERNS = [
    re.compile(rf"(?:according to|as per)\s+(?:both\s+)?(?:the\s+)?[{QUOTES}]?(?P<list>{_LIST})"),
    re.compile(rf"(?P<one>{NAME})\s+(?:reports?|reported|writes|wrote|mentioned|mentions|noted|stated)\b"),
]
# Weakest: "provided by X", "from X" name outlets as often as people or companies ("from OpenAI"):
# they only tell whose articles a claim split by dates is about, and never split claims.
_SOURCE_PATTERNS = [re.compile(rf"(?:\bby|\bfrom)\s+(?:the\s+)?[{QUOTES}]?(?P<list>{_LIST})")]
_PUB_PATTERNS = [
    # "according to Forbes", "reported by the BBC", "articles from TechCrunch and The Age"
    re.compile(rf"(?:reported by|published by|(?:{_DOC}|coverage|another|one)\s+(?:from|by|in))\s+(?:both\s+)?(?:the\s+)?"
               rf"(?:[{QUOTES}](?P<quoted>[A-Z][^{QUOTES}]{{1,60}})[{QUOTES}]|(?P<list>{_LIST}))"),
    # "the 'The New York Times' article", "a CNBC piece", "another Fortune report", "The Verge's review"
    re.compile(rf"\b(?:the|a|an|another|one|two|both|other|second|first|latest|earlier|later|subsequent|previous|"
               rf"recent|separate)\s+[{QUOTES}]?(?P<one>{NAME})[{QUOTES}]?(?:['’]s?)?\s+{_DOC}\b"),
    # "while The Verge article", "Did TechCrunch's report"
    re.compile(rf"(?P<one>{NAME})(?:['’]s?)?\s+{_DOC}\b"),

    # 'The Roar | Sports Writers Blog' article (a quoted outlet may hold lower-case words)
    re.compile(rf"[{QUOTES}](?P<quoted>[A-Z][^{QUOTES}]{{1,60}})[{QUOTES}](?:s)?\s+{_DOC}\b"),
    # 'The Age' suggests ..., 'Fortune' and 'TechCrunch' imply ...: a quoted name that reports
    re.compile(rf"(?P<list>{_QUOTED_NAME}(?:\s*,\s*(?:and\s+)?{_QUOTED_NAME}|\s+and\s+{_QUOTED_NAME})*)\s+{_SAYING}\b"),
]
# Capitalised words that open a question or a clause: not part of any name.
_LEADING = set(
    ("after before between considering based according did does do is was were are has have had can could would why "
     "will should which what who whom whose when where how while both and but or the a an in on of from by "
     "as if since during following given regarding").split()
)
NOT_NAMES = set(_MONTHS) | set(_DAYS) | {"i", "yes", "no", "true", "false", "ceo", "us", "uk"}

def clean_name(name: str) -> str:
    name = re.sub(r"['’]s?$", "", name.strip().strip(QUOTES)).strip()
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
            parts = _list_parts(m.group(group)) if group == "list" else [m.group(group)]
            pos = start
            for part in parts:
                at = q.find(part, pos)
                pos = at + len(part)
                name = clean_name(part)
                at = max(at, q.find(name, at)) if name else at
                if name and name.lower().removeprefix("the ") not in NOT_NAMES and not is_date_word(name):
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


def _list_parts(text: str) -> list[str]:
    """"TechCrunch, Fortune and The Age" -> three names; an outlet's section keeps its "and"
    ("The Independent - Life and Style" is one name: a one-word part after a "Name - Section")."""
    pieces = re.split(r"(\s*,\s*(?:and\s+)?|\s+and\s+)", text)  # name, separator, name ...
    parts: list[str] = []
    for sep, part in zip([""] + pieces[1::2], pieces[::2]):
        if parts and sep.strip() == "and" and len(part.split()) == 1 and re.search(r"\s[-|–]\s", parts[-1]):
            parts[-1] = f"{parts[-1]}{sep}{part}"
        else:
            parts.append(part)
    return parts


def is_date_word(name: str) -> bool:
    return name.split()[0].lower() in _MONTHS or name.split()[0].lower() in _DAYS


# ---------------------------------------------------------------------- dates and entities

_DATE = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b|\b(\d{4})-(\d{2})-(\d{2})", re.I)
_BOUND = re.compile(r"\b(before|after|since|until|till|prior to|by|other than|not on|later than|earlier than)\s+(?:the\s+)?$", re.I)
# What a bound says of a publication day: on or after it, on or before it, or any day but it.
_BOUND_KIND = {"after": "after", "since": "after", "later than": "after", "before": "before", "until": "before",
               "till": "before", "prior to": "before", "by": "before", "earlier than": "before",
               "other than": "not", "not on": "not"}


def bound_kind(q: str, at: int) -> str | None:
    """"after", "before" or "not" for a date at `at` that bounds a period, else None."""
    m = _BOUND.search(q[max(0, at - 30):at])
    return _BOUND_KIND[" ".join(m.group(1).lower().split())] if m else None


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
        (bounds if bound_kind(q, m.start()) else exact).append((iso, m.start()))
    return exact, bounds


def find_entities(q: str, publications: list[str]) -> tuple[str, ...]:
    """Specific names in the question: runs of capitalised words (not opening words, months or the
    publications), kept whole ("Sam Bankman-Fried", "Shubha Satheesh")."""
    pubs = {normalise_outlet(p) for p in publications}
    out = []
    for m in re.finditer(NAME, q):
        words = m.group(0).split()
        while words and (words[0].lower() in _LEADING or words[0].lower() in NOT_NAMES):
            words = words[1:]
        while words and words[-1].lower() in {"of", "for", "the", "-", "|", "&", "de", "la", "du"}:
            words = words[:-1]
        name = re.sub(r"['’]s?$", "", " ".join(words))
        if len(words) == 1 and words[0] == m.group(0).split()[0] and _sentence_start(q, m.start()):
            continue  # "Repeat them ...": one capitalised word opening a sentence is no name
        if not name or normalise_outlet(name) in pubs or is_date_word(name):
            continue
        if len(name) < 3 or name.lower() in NOT_NAMES or name[0].isdigit():
            continue
        out.append(name)
    return tuple(dict.fromkeys(out))


def _sentence_start(q: str, at: int) -> bool:
    """`at` opens the question or a sentence in it (not after "vs." or an initial: "C.J. Stroud")."""
    before = q[:at].rstrip(" \"'“‘(")
    return not before or before[-1] in "?!" or bool(re.search(r"\b[a-z]{3,}\.$", before))
