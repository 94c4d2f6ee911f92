"""What a who / which / what / when / how-much question asks for, read from its wh-word and the
head noun after it ("Which sports betting platform ..." -> "organisation"), for choosing among the
names the passages hold (rag.entities)."""
from __future__ import annotations

import re

# The head noun of "which X" / "what X" / "who is the X" says what is asked for.
_HEADS: dict[str, str] = {}
for _kind, _words in {
    "person": "individual individuals person people man woman men women ceo founder cofounder co-founder executive "
              "chief player athlete quarterback coach manager singer artist actor actress author writer journalist "
              "politician president senator leader entrepreneur billionaire investor celebrity musician rapper "
              "director judge lawyer official minister candidate scientist researcher employee striker goalkeeper "
              "pitcher driver boxer fighter golfer comedian host presenter king queen prince figure spokesperson "
              "owner chairman analyst economist star filmmaker",
    "organisation": "company companies firm firms corporation business startup start-up exchange organization "
                    "organisation entity entities team teams club league franchise bank agency platform network "
                    "brand retailer manufacturer maker automaker airline carrier publisher outlet group conglomerate "
                    "giant institution university party government union studio sportsbook sportsbooks operator "
                    "provider lab nonprofit charity fund insurer lender broadcaster developer regulator establishment "
                    "association federation council committee ministry department authority commission "
                    "foundation society coalition alliance",
    "product": "product products device phone smartphone app application software model game console gadget laptop "
               "car vehicle tool feature chatbot drug vaccine headset watch camera tablet chip processor film movie "
               "series show album song book",
    "place": "country countries city cities state nation region town location place venue stadium arena continent "
             "province county capital island",
    "date": "date day year month time decade week",
    "amount": "amount price cost number total sum percentage percent value valuation fine salary fee revenue rate "
              "budget size",
    "event": "event tournament match competition conference election championship race festival summit ceremony",
}.items():
    _HEADS.update(dict.fromkeys(_words.split(), _kind))

# A clause that opens with an auxiliary asks yes or no ("After X reported ..., did Y ...?").
_YES_NO = re.compile(r"(?:^|[,;:][\"'\u201d\u2019]?\s)\W*(does|did|do|is|was|were|are|has|have|had|can|"
                     r"could|would|will|should|shall|may|might|must)\b", re.I)
# "How much / many / far / full ...": a measure, asked for as an amount.
HOW_MEASURE = r"much|many|long|far|old|big|large|high|full|tall|deep|wide|heavy|fast|often"
_WH = re.compile(rf"\b(how (?:{HOW_MEASURE})|when|where|whose|whom|who|which|what|name the|identify the)\b", re.I)
# A noun phrase ends where the clause goes on: a comma, a verb, a preposition or a relative word.
_PHRASE_END = re.compile(r"[,;:?(]|\b(is|was|are|were|has|have|had|did|does|do|that|who|which|whose|according|"
                         r"reported|mentioned|featured|covered|recently|known|in|on|by|to|from|with|for|as|at|"
                         r"and|or|not|also|both|despite|after|before|while|\w{3,}ed)\b", re.I)  # "-ed": a verb
_LEAD = re.compile(r"^\s*(?:(?:is|was|are|were)\s+)?(?:(?:the|a|an)\s+)?(?:(?:name|names)\s+of\s+(?:the|a|an)\s+)?",
                   re.I)


def head_noun(question: str) -> str | None:
    """The noun that says what is asked for ("Which association reported ..." -> "association"),
    or None."""
    words = _phrase_words(" ".join(question.split()))
    heads = [w for w in words if _HEADS.get(w) or _HEADS.get(w[:-1] if w.endswith("s") else w)]
    return heads[-1] if heads else None


def _phrase_words(q: str) -> list[str]:
    m, yes_no = _WH.search(q), _YES_NO.search(q)
    if not m or (yes_no and yes_no.start() < m.start()) or m.group(1).lower().startswith(("how ", "when", "where")):
        return []
    rest = _LEAD.sub("", q[m.end():], count=1)
    return re.findall(r"[a-z][a-z-]*", _PHRASE_END.split(rest, maxsplit=1)[0].lower())[:6]


def answer_type(question: str) -> str | None:
    """What the question asks for: "person", "organisation", "product", "place", "date",
    "amount", "event", or None (a yes/no question, or one asking for something else)."""
    q = " ".join(question.split())
    m, yes_no = _WH.search(q), _YES_NO.search(q)
    if not m or (yes_no and yes_no.start() < m.start()):
        return None  # the wh-word, if any, sits inside the yes/no clause ("the time when ...")
    wh = m.group(1).lower()
    if wh.startswith("how "):
        return "amount"
    if wh == "when":
        return "date"
    if wh == "where":
        return "place"
    words = _phrase_words(q)
    heads = [_HEADS.get(w) or _HEADS.get(w[:-1] if w.endswith("s") else w) for w in words]
    heads = [h for h in heads if h]
    if heads:
        return heads[-1]  # the head noun closes the phrase: "sports betting platform"
    return "person" if wh in ("who", "whom", "whose") else None
