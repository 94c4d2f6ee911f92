"""What an index update will do, decided from plain data: no files, no embedding.

Given the articles offered, the index's current contents (article id -> content hash) and the
ids to remove, `plan_update` says which articles are added, replaced (same id, new content),
unchanged, skipped as duplicates, and which ids lose their old rows. The writer then embeds only
`plan.embed` and keeps every other row of the old generation with its stored vector.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Iterable, Mapping, Sequence

from .articles import content_hash
from .types import Article

_SURROGATES = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class PlannedArticle:
    """An article to chunk and embed, as it will be stored, with its content hash."""

    article: Article
    hash: str


@dataclass(frozen=True)
class Decisions:
    """What an update does with each article offered and each id to remove (the build report
    carries them as they are)."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (skipped id, id of the identical article kept)
    removed: tuple[str, ...] = ()

    def decisions(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(Decisions)}


@dataclass(frozen=True)
class UpdatePlan(Decisions):
    embed: tuple[PlannedArticle, ...] = ()  # added and replaced articles, in the order given
    drop: frozenset[str] = frozenset()  # ids whose old rows go: removed and replaced

    @property
    def changes_index(self) -> bool:
        """Whether a new generation is needed (an unchanged re-run writes nothing)."""
        return bool(self.embed or self.removed)


def plan_update(articles: Sequence[Article], indexed: Mapping[str, str], remove: Iterable[str] = ()) -> UpdatePlan:
    """Decide the update. `indexed` maps each article id in the index to its content hash (empty
    for a new index or a rebuild). An id given again after it was taken is a duplicate of itself;
    an article whose content is already indexed under another id (or was given earlier under
    one) is a duplicate of that id, unless that id is being removed or replaced."""
    by_hash = {h: i for i, h in indexed.items()}
    removed = tuple(i for i in dict.fromkeys(remove) if i in indexed)
    drop = set(removed)
    added, replaced, unchanged, duplicates, embed = [], [], [], [], []
    seen: set[str] = set()
    for art in map(storable, articles):
        h = content_hash(art)
        if art.id in seen:
            duplicates.append((art.id, art.id))
            continue
        if indexed.get(art.id) == h and art.id not in drop:
            unchanged.append(art.id)
        elif h in by_hash and by_hash[h] != art.id and by_hash[h] not in drop:
            duplicates.append((art.id, by_hash[h]))
            continue
        else:
            if art.id in indexed:
                replaced.append(art.id)
                drop.add(art.id)
            else:
                added.append(art.id)
            embed.append(PlannedArticle(art, h))
        seen.add(art.id)
        by_hash[h] = art.id
    return UpdatePlan(added=tuple(added), replaced=tuple(replaced), unchanged=tuple(unchanged),
                      duplicates=tuple(duplicates), removed=removed, embed=tuple(embed), drop=frozenset(drop))


def storable(art: Article) -> Article:
    """Lone surrogates (from a Python caller; the file loaders never make them) cannot be written
    as UTF-8: each becomes U+FFFD, one character for one, so chunk offsets stay true. Title and
    outlet reach the prompt as the passage's header: chat-template control strings are removed
    from them here (the text keeps its own and is cleaned when a prompt is built)."""
    from .prompts import strip_special_tokens

    fields = {f: getattr(art, f) for f in ("id", "title", "text", "source", "published_at", "url", "caption", "path")}
    new = {f: _SURROGATES.sub("\ufffd", v) for f, v in fields.items() if isinstance(v, str) and _SURROGATES.search(v)}
    for f in ("title", "source"):
        v = new.get(f, fields[f])
        if isinstance(v, str) and strip_special_tokens(v) != v:
            new[f] = " ".join(strip_special_tokens(v).split())
    return replace(art, **new) if new else art
