"""Which article to cite for an entity lead: the one that states what the question describes.

A who / which question describes its answer by what was reported of it ("Who ..., accused by
Fortune of secretly accessing customer funds through a proxy, and charged with seven counts of
fraud according to TechCrunch?"). The entity lead (rag.answering.lead_with_entity) finds the name
in the retrieved passages, but many articles of the same outlet name it: eleven articles on one
trial name the defendant and fraud. The article to cite is the one whose sentence says what a
clause of the question says. So:

1. the question is cut into its describing clauses (at commas, semicolons, "while", "but"; the
   outlets it names and its opening "Who is the individual" are taken out);
2. the passages that name the entity, in the outlets the question names, are searched for among
   the question's ATTRIBUTION_DEPTH best-ranked rows of the whole index, not only the passages
   retrieved (ATTRIBUTION_PASSAGES of them);
3. each of their sentences, and each article's title, is scored against each clause: cosine of
   the embeddings plus the share of the clause's words the sentence holds, each word weighted by
   how rare it is among those passages (words every one of them has, like the entity's name,
   weigh nothing). A title counts because a question often names an article by what it is
   about ("the TechCrunch article on his plea deal"); it is never quoted;
4. the passage holding the best-scoring sentence is cited, and its sentence that names the
   entity best is quoted.

The same scoring chooses, among the passages that support a yes/no claim, the one to cite
(rag.claims.check_claim), with the claim as the only clause.

Only the PRESELECT sentences with the most clause words are embedded, so the cost is one
embedder call of a few dozen sentences. Measured on the dev set in docs/evaluation.md.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .text import content_words, split_sentences, stem
from .types import Chunk, Hit

ATTRIBUTION_PASSAGES = 24  # passages naming the entity searched for the one to cite
# Rows of the question's ranking (dense and keyword, each) read for them: the articles naming the
# answer rank high for its question, so the cost stays flat as the index grows. On the dev set's
# 11,228 chunks 1000, 2000, 4000 and the whole index cite the same.
ATTRIBUTION_DEPTH = 2000
PRESELECT = 16  # sentences, by the clauses' weighted words they hold, that are embedded and scored
MIN_CLAUSE_WORDS = 3  # content words a describing clause has beyond the framing

_CLAUSE_SPLIT = re.compile(r"[,;]|\b(?:while|whereas|but)\b", re.I)
# The question's opening up to its verb: "Who is the individual", "Which company", "What firm has".
_OPENING = re.compile(r"^\W*(?:who|whom|whose|which|what)\b(?:\s+\w+){0,3}?\s+(?:is|was|are|were|has|had|have)\b"
                      r"(?:\s+(?:the|an?)\s+(?:individual|person|company|entity|organi[sz]ation|firm|one)\b)?"
                      r"|^\W*(?:who|whom|whose|which|what)\b(?:\s+\w+)?", re.I)
_LEADING = re.compile(r"^\W*(?:and|also|as well as|is|was|has|had|who|which|that)\b\s*", re.I)
# Words that say where something was reported, not what: no clause is made of them alone.
_FRAMING = frozenset("according article articles report reports reported reporting source sources news story "
                     "discussed discusses mentioned published piece including both".split())


@dataclass(frozen=True)
class Attribution:
    hit: Hit  # the passage to cite
    sentence: str  # its sentence that best says what a clause of the question says
    quote: str  # its sentence that names the entity and best says it (to quote)
    score: float


def describing_clauses(question: str, outlet_spans: Sequence[tuple[int, int]] = ()) -> list[str]:
    """The clauses of a question that describe its answer, without the outlets it names."""
    text = question
    for a, b in sorted(outlet_spans, reverse=True):
        text = text[:a] + "," + text[b:]
    parts = [p.strip(" ?.!") for p in _CLAUSE_SPLIT.split(text)]
    if parts:
        parts[0] = _OPENING.sub("", parts[0], count=1)
    out = []
    for p in parts:
        p = _LEADING.sub("", p).strip()
        if len({w for w in content_words(p) if w not in _FRAMING}) >= MIN_CLAUSE_WORDS:
            out.append(p)
    return out


def mentions(name: str) -> Callable[[str], bool]:
    """Whether a text names the entity: its full name or its last word ("Bankman-Fried")."""
    forms = {name.lower(), name.split()[-1].lower()} if name.split() else {name.lower()}

    def named(text: str) -> bool:
        low = text.lower()
        return any(f in low for f in forms)

    return named


def attribute(question: str, clauses: Sequence[str], where: Callable[[Chunk], bool] | None,
              search: Callable[[str, Callable[[Chunk], bool] | None, int], list[Hit]],
              embed_query: Callable[[str], np.ndarray],
              embed_documents: Callable[[Sequence[str]], np.ndarray], name: str = "",
              k: int = ATTRIBUTION_PASSAGES) -> Attribution | None:
    """Among the `k` passages the search finds for `question` (those `where` accepts), the one
    whose sentence best says what one of `clauses` says; None when there is none. With a `name`,
    only passages naming it count, and the quote is the passage's best sentence naming it."""
    names = mentions(name) if name else (lambda text: True)
    hits = search(question, (lambda c: (where is None or where(c)) and names(c.text)), k)
    if not hits:
        return None
    clauses = list(clauses) or [question]
    own = {stem(w) for w in content_words(name)}
    clause_stems = [{stem(w) for w in content_words(c)} - own for c in clauses]
    # (passage, text, its stems, is a title): an article's title says what it is about, which is
    # how a question often names it ("the TechCrunch article on his plea deal"), so it is scored
    # like a sentence, but never highlighted or quoted.
    rows: list[tuple[int, str, set[str], bool]] = []
    df: Counter[str] = Counter()  # in how many passages each word is: rarity tells them apart
    for i, h in enumerate(hits):
        t = h.chunk.text
        pieces = [(t[a:b], False) for a, b in split_sentences(t) or [(0, len(t))]]
        pieces += [(h.chunk.title, True)] if h.chunk.title else []
        held: set[str] = set()
        for piece, is_title in pieces:
            rows.append((i, piece, {stem(w) for w in content_words(piece)}, is_title))
            held |= rows[-1][2]
        df.update(held)
    n = len(hits)

    def weight(w: str) -> float:
        return math.log((n + 1) / (df.get(w, 0) + 0.5))

    totals = [sum(weight(w) for w in c) or 1.0 for c in clause_stems]
    lexical = np.array([[sum(weight(w) for w in c & r[2]) / t for c, t in zip(clause_stems, totals)]
                        for r in rows], dtype=np.float32)
    keep = np.argsort(-lexical.max(axis=1), kind="stable")[:PRESELECT]
    clause_vecs = np.stack([embed_query(c) for c in clauses])
    vecs = embed_documents([rows[r][1] for r in keep])
    best = (vecs @ clause_vecs.T + lexical[keep]).max(axis=1)
    order = [int(keep[r]) for r in np.argsort(-best, kind="stable")]
    score = float(best.max())
    passage = rows[order[0]][0]
    own_rows = [r for r in order if rows[r][0] == passage and not rows[r][3]]  # its sentences, best first
    sentence = rows[own_rows[0]][1] if own_rows else next(
        (r[1] for r in rows if r[0] == passage and not r[3]), hits[passage].chunk.text)
    # The quote names the entity: of the passage's sentences that do, the one that best says a
    # clause (all of them scored, not only those preselected by their words).
    naming = [r for r, row in enumerate(rows) if row[0] == passage and not row[3] and names(row[1])] if name else []
    if naming:
        fit = (embed_documents([rows[r][1] for r in naming]) @ clause_vecs.T + lexical[naming]).max(axis=1)
        quote = rows[naming[int(np.argmax(fit))]][1]
    else:
        quote = sentence
    return Attribution(hits[passage], sentence, quote, score)
