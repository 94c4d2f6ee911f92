"""Retrieval: question -> ranked Hits.

1. Dense: cosine similarity of the question to every chunk (header included) in FAISS.
2. Keyword (hybrid mode): BM25 over the same header + text, so names, numbers and rare words
   that a small embedder blurs still match; the two rankings are fused by reciprocal rank.
3. Outlet- and date-aware selection: when the question names outlets of the index
   ("according to TechCrunch ... while The Verge ...") or publication dates ("published on
   October 3, 2023"), each first gets its best chunk among the k, so a question that spans
   articles sees each of them.
4. Evidence spread: at most `max_per_article` chunks of one article while others can fill the k.

`Hit.score` stays the dense cosine similarity (what the abstention threshold reads); `Hit.rank`
is the final order.
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np

from .chunking import embedding_text
from .embedding import Embedder
from .indexing import Index
from .types import Chunk, Hit

RRF_K = 60  # the usual reciprocal-rank-fusion constant
DEPTH = 2000  # dense rows considered for fusion


class Retriever:
    def __init__(self, embedder: Embedder, index: Index, *, candidates: int = 40, max_per_article: int = 2,
                 mode: str = "hybrid"):
        self.embedder = embedder
        self.index = index
        self.candidates = candidates
        self.max_per_article = max_per_article
        self.mode = mode
        self._bm25 = None  # (index generation, BM25), built on first use

    def search(self, query: str, k: int) -> list[Hit]:
        return self.search_vector(self.embedder.embed_query(query), k, query)

    def search_vector(self, vec, k: int, query: str = "", where: Callable[[Chunk], bool] | None = None,
                      depth: int | None = None) -> list[Hit]:
        """`where` keeps only the chunks it accepts (a claim's outlet or date): the whole index is
        then ranked, so a narrow filter still finds its best chunks, or its `depth` best rows
        when given (a filter that is not narrow, whose chunks rank high anyway)."""
        depth = (len(self.index.store) if depth is None else min(len(self.index.store), depth)) if where \
            else min(len(self.index.store), max(DEPTH, self.candidates))
        rows = self.index.store.search(vec, depth)
        dense = {r: s for r, s in rows}
        order = [r for r, _ in rows]
        if self.mode == "hybrid" and query:
            order = fuse(order, self._keyword_order(query, len(order)))
        if where:
            order = [r for r in order if where(self.index.chunks[r])]
        sources = named_sources(query, self.index.manifest.get("sources", [])) if query else []
        dates = named_dates(query) if query else []
        chosen = select(order, self.index, k, self.max_per_article, sources, dates)
        return [Hit(chunk=self.index.chunks[r], score=float(dense.get(r, 0.0)), rank=n)
                for n, r in enumerate(chosen, start=1)]

    def _keyword_order(self, query: str, depth: int) -> list[int]:
        import bm25s

        if self._bm25 is None or self._bm25[0] != self.index.generation:
            texts = [embedding_text(c) for c in self.index.chunks]
            tokens = bm25s.tokenize(texts, return_ids=False, show_progress=False)
            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
            self._bm25 = (self.index.generation, model)
        q = bm25s.tokenize([query], return_ids=False, show_progress=False)[0]
        if not q:
            return []
        scores = self._bm25[1].get_scores(q)
        top = np.argsort(-scores, kind="stable")[:depth]
        return [int(i) for i in top if scores[i] > 0]


def fuse(*orders: list[int]) -> list[int]:
    """Reciprocal rank fusion of several rankings of row ids."""
    score: dict[int, float] = {}
    for order in orders:
        for rank, row in enumerate(order):
            score[row] = score.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda r: -score[r])


def named_sources(query: str, sources: list[str]) -> list[str]:
    """The index's outlets that the question names, in the order it names them."""
    q = query.lower()
    found = []
    for s in sources:
        name = re.sub(r"^the\s+", "", s.strip().lower())
        if len(name) < 3:
            continue
        m = re.search(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", q)
        if m:
            found.append((m.start(), s))
    return [s for _, s in sorted(found)]


_MONTHS = "january february march april may june july august september october november december".split()
_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b", re.I)


def named_dates(query: str) -> list[str]:
    """ISO dates written in the question ("October 3, 2023", "2023-10-03")."""
    out = []
    for m in _DATE.finditer(query):
        if m.group(1):
            out.append(f"{int(m.group(3)):04d}-{_MONTHS.index(m.group(1).lower()) + 1:02d}-{int(m.group(2)):02d}")
        else:
            out.append(f"{m.group(4)}-{m.group(5)}-{m.group(6)}")
    return list(dict.fromkeys(out))


def select(order: list[int], index: Index, k: int, max_per_article: int, sources: list[str] = (),
           dates: list[str] = ()) -> list[int]:
    """k rows from a ranking: first the best row of each named outlet and of each named
    publication date, then the ranking, at most `max_per_article` rows of one article unless
    nothing else is left."""
    chosen: list[int] = []
    per_article: dict[str, int] = {}

    def take(row: int) -> None:
        chosen.append(row)
        aid = index.chunks[row].article_id
        per_article[aid] = per_article.get(aid, 0) + 1

    wanted = [("source", s) for s in dict.fromkeys(sources)] + [("date", d) for d in dates]
    for kind, value in wanted[:k]:
        for row in order:
            c = index.chunks[row]
            got = c.source if kind == "source" else (c.published_at or "")[:10]
            if got == value and row not in chosen and per_article.get(c.article_id, 0) < max_per_article:
                take(row)
                break
    passed = []
    for row in order:
        if len(chosen) >= k:
            break
        if row in chosen:
            continue
        if per_article.get(index.chunks[row].article_id, 0) >= max_per_article:
            passed.append(row)
            continue
        take(row)
    for row in passed:
        if len(chosen) >= k:
            break
        take(row)
    rank = {r: i for i, r in enumerate(order)}
    return sorted(chosen, key=lambda r: rank[r])
