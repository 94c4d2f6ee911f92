"""Follow-up questions -> a standalone search query.

"What did he say about NATO?" after a question about Ryabkov must be searched for as "What did
Sergei Ryabkov say about NATO?", or retrieval finds passages about anyone saying anything about
NATO. Two ways were measured on ten hand-made follow-ups over the seed article (the cases are
in tests/unit/test_followup.py; `python -m tests.unit.test_followup` reruns the first two): the rank of
the passage that answers the follow-up among the 5 retrieved, with the real embedder, on 2 CPU
cores.

    search query              MRR   top-1  top-3  top-5   time per follow-up
    the follow-up as typed    0.36   1/10   6/10   8/10   -
    rewrite_rules             0.64   4/10   9/10  10/10   < 1 ms
    the chat model (135M)     0.64   5/10   7/10  10/10   5-6 s mean, 17-30 s worst

- rules: resolve he/she/his/her/him to the person the last question named (else its answer, else
  earlier turns), it/its/there to the last other name the answer used, and when something stays
  unresolved (they, that, "And Canada?")
  append the previous search query. Deterministic, and what it shows the reader reads as the
  question they meant.
- the 135M model holds the model lock while it rewrites (every other reader waits), and half
  of its "rewrites" were answers instead of questions, some with invented facts ("the 1995
  NATO summit"): not something to show as "searched for".

So `standalone_query` uses the rules (the model rewrite was removed after this measurement).
The page shows the question as the reader typed it, and what was searched for beside it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence


HISTORY_TURNS = 4  # earlier turns a follow-up is resolved against


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of the conversation."""

    question: str
    answer: str = ""
    search_query: str = ""  # what that question was searched for (its standalone form)

    @property
    def query(self) -> str:
        return self.search_query or self.question


_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*|\S")
_PERSON_PRONOUNS = {"he", "she", "him", "his", "her", "hers", "himself", "herself"}
_THING_PRONOUNS = {"it", "its", "there"}
_OTHER_ANAPHORA = {"they", "them", "their", "theirs", "those", "these", "that", "this", "such", "same", "other"}
_ELLIPSIS = re.compile(r"^\s*(and|but|also|what about|how about|what else)\b", re.IGNORECASE)
_SHORT = re.compile(r"^\s*(why|why not|how so|really|when|where|how)\W*$", re.IGNORECASE)
_TITLES = {"mr", "ms", "mrs", "dr", "president", "minister", "secretary", "senator", "governor", "chancellor",
           "prime", "deputy", "foreign", "general", "state", "sir", "prof", "professor", "king", "queen", "pope"}
# Capitalised words that do not name anyone: question words, sentence starters, months, days.
_NOT_NAMES = set(
    "a an the what who whom whose which when where why how did does do is are was were will would can could "
    "should has have had in on at of for to from by with about after before during since this that these those "
    "there it its they their he she his her and but or if also so yes no not answer question articles article "
    "passage passages according i we you our your my me us "
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_SAID = re.compile(r"\b(said|says|say|told|tell|asked|ask|warned|claimed|added|stated|reiterated|argued|think|thinks)\b",
                   re.IGNORECASE)
_OBJECT_FOLLOWERS = {"about", "to", "that", "on", "in", "at", "for", "with", "from", "and", "or", "if", "when", "?",
                     ".", ",", "!", "say", "said", "think", "mean", "want", "do", "did", "agree", "disagree"}
_MOTION = {"sent", "send", "sending", "go", "goes", "went", "going", "travel", "travelled", "traveled", "move",
           "moved", "come", "came", "fly", "flew", "deployed", "deploy"}


@dataclass(frozen=True)
class _Name:
    text: str
    person: bool


def names(text: str) -> list[_Name]:
    """Proper names in `text`, in order: runs of capitalised words that are not question words.

    A run is a person when it has two or more words (not acronyms), follows a title (Mr, Ms,
    President ...), or is the subject of "said"/"told"."""
    tokens = _WORD.findall(text)
    found: list[_Name] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i].rstrip(".")
        if _is_cap(tok):
            j = i
            run = []
            while j < len(tokens) and _is_cap(tokens[j].rstrip(".")):
                run.append(tokens[j].rstrip("."))
                j += 1
            titled = any(w.lower() in _TITLES for w in run) or (i > 0 and tokens[i - 1].lower() in _TITLES)
            last_title = max((k for k, w in enumerate(run) if w.lower() in _TITLES), default=-1)
            words = run[last_title + 1:]  # "Russian Deputy Foreign Minister Sergei Ryabkov" -> the name
            if words:
                acronym = all(w.isupper() for w in words)
                after = " ".join(tokens[j:j + 2])
                subject = i > 0 and tokens[i - 1].lower() in {"did", "does", "do", "has", "have", "had", "will", "would"}
                person = not acronym and (len(words) >= 2 or titled or subject or bool(_SAID.match(after)))
                found.append(_Name(" ".join(words).replace("’", "'").removesuffix("'s"), person))
            i = j
        else:
            i += 1
    return found


def _is_cap(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and word.lower() not in _NOT_NAMES and word[0].isalpha()


# "Was there a change ...?", "there is": "there" that says something exists, not a place before.
_BE = {"is", "was", "are", "were", "be", "been", "will", "would", "has", "have", "had", "seems", "seem",
       "appears", "appear", "remains", "remain"}
_EXISTENTIAL = re.compile(r"\b(?:(?:is|was|are|were|will|would|has|have|had)\s+there(?=\s+\w)|there(?=\s+(?:%s)\b))\b"
                          % "|".join(sorted(_BE)), re.I)


def _existential(question: str) -> set[int]:
    """Where each "there" that says something exists starts in `question`."""
    return {m.start() + m.group(0).lower().index("there") for m in _EXISTENTIAL.finditer(question)}


def is_follow_up(question: str) -> bool:
    for at in _existential(question):
        question = question[:at] + "     " + question[at + 5:]
    words = {w.lower() for w in re.findall(r"[A-Za-z']+", question)}
    return (bool(words & (_PERSON_PRONOUNS | _THING_PRONOUNS | _OTHER_ANAPHORA))
            or bool(_ELLIPSIS.match(question)) or bool(_SHORT.match(question)) or len(words) <= 2)


def rewrite_rules(question: str, history: Sequence[Turn]) -> str:
    """The rules described in the module docstring; the question unchanged when it stands alone."""
    question = " ".join(question.split())
    if not history or not is_follow_up(question):
        return question
    known = {n.text.lower() for n in names(question)}
    people: list[str] = []
    things: list[str] = []
    for turn in reversed(history):  # most recent turn first
        asked, answered = names(turn.query), names(turn.answer)
        # a person asked about is the likelier "he"/"she"; the thing the answer is about, the likelier "it"
        people += [n.text for n in asked + answered if n.person and n.text.lower() not in known]
        things += [n.text for n in answered + asked if not n.person and n.text.lower() not in known]
    person = _expand(people[0], people) if people else None
    thing = things[0] if things else None

    out: list[str] = []
    unresolved = False
    used_person = used_thing = False
    named_before = False  # a name earlier in the question itself is the likelier antecedent of "its"
    tokens = re.findall(r"\w+|[^\w\s]+|\s+", question)
    existential = _existential(question)
    at = 0  # where the token starts in the question
    for k, tok in enumerate(tokens):
        at, start = at + len(tok), at
        low = tok.lower()
        nxt = next((t for t in tokens[k + 1:] if not t.isspace()), "")
        if low in _PERSON_PRONOUNS and person and not used_person:
            used_person = True
            possessive = low == "his" or (low == "her" and nxt.isalpha() and nxt.lower() not in _OBJECT_FOLLOWERS)
            out.append(person + "'s" if possessive else person)
        elif low == "there" and start in existential:
            out.append(tok)  # existential: "Was there a change?", "there is"
        elif low in _THING_PRONOUNS and (thing or person) and not used_thing and not named_before:
            target = thing or person
            used_thing = True
            prev = next((t for t in reversed(tokens[:k]) if not t.isspace()), "").lower()
            where = "to" if prev in _MOTION else "in"
            out.append(target + "'s" if low == "its" else f"{where} {target}" if low == "there" else target)
        else:
            if low in _PERSON_PRONOUNS | _OTHER_ANAPHORA or (low in _THING_PRONOUNS and not named_before):
                unresolved = True
            named_before = named_before or (k > 0 and _is_cap(tok))
            out.append(tok)
    rewritten = "".join(out)
    if unresolved or rewritten == question:
        prev = history[-1].query.strip()
        if prev and prev.lower() not in rewritten.lower():
            rewritten = f"{rewritten} (following: {prev})"
    return rewritten


def _expand(name: str, candidates: list[str]) -> str:
    """'Ryabkov' -> 'Sergei Ryabkov' when a longer form of the same name was seen."""
    longer = [c for c in candidates if c != name and c.split()[-1] == name.split()[-1] and len(c) > len(name)]
    return longer[0] if longer else name


def standalone_query(question: str, history: Sequence[Turn], max_chars: int | None = None) -> str:
    """What to search for: `question` made standalone using the earlier `history`. A rewrite
    longer than `max_chars` (the question limit) falls back to the question as asked, so a long
    follow-up within the limit is never refused for what the rewrite added."""
    query = rewrite_rules(question, history)
    if max_chars is not None and len(" ".join(query.split())) > max_chars:
        return question
    return query
