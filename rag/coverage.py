"""What the index holds, and the declines that follow from it.

A question that names a publication with no article in the index, a publication date with no
article, or a specific name that no article mentions cannot be answered from the articles, however
well some passage happens to score. These checks read the index's own outlets, dates and text, so
they hold for any corpus; no threshold on a similarity score is involved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .outlets import match_outlets
from .question import QuestionAnalysis
from .types import Chunk

_WORD = re.compile(r"[a-z0-9]+")


# Every decline opens with this, so a reader (or any scorer reading the text) sees a refusal
# before the reason, not a statement about the world.
DECLINE_LEAD = "I can't answer that from the articles:"


@dataclass(frozen=True)
class Decline:
    reason: str  # machine-readable: unknown_publication | no_article_on_date | unknown_entity | ...
    text: str  # what the user reads


@dataclass(frozen=True)
class Coverage:
    outlets: tuple[str, ...]
    dates: frozenset[str]  # ISO days with at least one article
    text: str  # every chunk's title and text, lower-case, for phrase lookups
    vocabulary: frozenset[str]

    @classmethod
    def of(cls, chunks: Iterable[Chunk]) -> "Coverage":
        outlets, dates, parts = {}, set(), []
        seen_titles = set()
        for c in chunks:
            if c.source:
                outlets[c.source] = None
            if c.published_at:
                dates.add(c.published_at[:10])
            if c.article_id not in seen_titles:
                seen_titles.add(c.article_id)
                parts.append((c.title or "").lower())
            parts.append(c.text.lower())
        text = "\n".join(parts)
        return cls(tuple(outlets), frozenset(dates), text, frozenset(_WORD.findall(text)))

    def mentions(self, name: str) -> bool:
        """A name is mentioned when the phrase occurs, or (for word-order or spelling variants such
        as "Michigan Wolverines" vs "the Wolverines of Michigan") every word of it does."""
        phrase = " ".join(name.lower().split())
        if phrase in self.text:
            return True
        words = [w for w in _WORD.findall(phrase) if len(w) > 2]
        return bool(words) and all(w in self.vocabulary for w in words)

    def has_outlet(self, name: str, question: str = "") -> bool:
        """A named publication is in the index. A name cut at "and" ("Life and Style", "TechCrunch
        and Fortune articles") is tried with the words before it, then split."""
        if match_outlets(name, self.outlets):
            return True
        at = question.find(name)
        if at > 0:
            before = question[:at].split()[-6:]
            for i in range(len(before)):
                if match_outlets(" ".join(before[i:]) + " " + name, self.outlets):
                    return True
        parts = re.split(r"\s*,\s*|\s+and\s+", name)
        return len(parts) > 1 and all(match_outlets(p, self.outlets) for p in parts)

    def check(self, q: QuestionAnalysis) -> Decline | None:
        missing = [p for p in q.publications if not self.has_outlet(p, q.text)]
        if missing:
            return Decline("unknown_publication", f"{DECLINE_LEAD} the index has no articles from {_join(missing)}.")
        if self.dates:
            days = [d for d in q.dates if d not in self.dates]
            if days:
                return Decline("no_article_on_date", f"{DECLINE_LEAD} the index has no article published on {_join(days)}.")
        unknown = [e for e in q.entities if not self.mentions(e)]
        if unknown:
            return Decline("unknown_entity", f"{DECLINE_LEAD} no article in the index mentions {_join(unknown)}.")
        return None


def _join(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
