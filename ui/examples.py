"""Example questions drawn from the indexed articles, so a first visitor has something to click
that the articles can answer. Cheap text patterns over each article's passages (no model):

- "X, who led the US delegation, said ..."   -> "Who led the US delegation?"
- the person quoted most often ("... said")  -> "What did Sergei Ryabkov say?"
- the headline, when the above find little -> "What happened: <headline>?"
"""
from __future__ import annotations

import re
from collections import Counter

from rag.followup import names
from rag.text import sentences

_WHO_CLAUSE = re.compile(r"\b[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+)+, who ((?:[a-z][\w'’-]*|US|UK|EU|NATO|[A-Z][a-z]+)"
                         r"(?: [\w'’-]+){1,8}?),")
_QUOTED = re.compile(r"\b(said|says|told|warned|added|reiterated|claimed)\b")


def example_questions(index, limit: int = 4) -> list[str]:
    """Up to `limit` questions, taking turns between the most recent articles."""
    by_article: dict[str, list] = {}
    for c in index.chunks:
        by_article.setdefault(c.article_id, []).append(c)
    articles = sorted(index.articles.values(), key=lambda a: a.published_at or "", reverse=True)[:limit]
    per_article = [_questions(a.title, _text(by_article.get(a.id, []))) for a in articles]
    out: list[str] = []
    for round_ in range(limit):
        for qs in per_article:
            if round_ < len(qs) and qs[round_] not in out and len(out) < limit:
                out.append(qs[round_])
    return out


def _text(chunks) -> str:
    chunks = sorted(chunks, key=lambda c: c.position)
    return " ".join(c.text for c in chunks)


def _questions(title: str, text: str) -> list[str]:
    qs: list[str] = []
    for m in _WHO_CLAUSE.finditer(text):
        clause = m.group(1).strip()
        if 2 <= len(clause.split()) <= 9:
            qs.append(f"Who {clause}?")
            break
    people = _quoted_people(text)
    qs += [f"What did {p} say?" for p in people[:2]]
    if title and len(qs) < 2:
        short = title if len(title) <= 80 else title[:77].rsplit(" ", 1)[0] + "…"
        qs.append(f"What happened: {short}?" if not short.endswith("?") else short)
    return qs


def _quoted_people(text: str) -> list[str]:
    """People by how many sentences quote them; each under the longest form of their name."""
    full: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for sentence in sentences(text):
        quoted = bool(_QUOTED.search(sentence))
        for n in names(sentence):
            if not n.person:
                continue
            key = n.text.split()[-1]
            if len(n.text) > len(full.get(key, "")) and len(n.text.split()) <= 3:
                full[key] = n.text
            if quoted:
                counts[key] += 1
    return [full[k] for k, _ in counts.most_common() if len(full.get(k, "").split()) >= 2]
