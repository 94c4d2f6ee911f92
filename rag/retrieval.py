"""Retrieval: question -> ranked Hits.

Dense search over the FAISS index, then evidence selection: at most
`max_chunks_per_article` chunks per article among the top k, so multi-article questions
("does outlet A ... while outlet B ...") see more than one article.
"""
from __future__ import annotations

from .embedding import Embedder
from .indexing import Index
from .types import Hit


class Retriever:
    def __init__(self, embedder: Embedder, index: Index, *, candidates: int = 40, max_per_article: int = 2):
        self.embedder = embedder
        self.index = index
        self.candidates = candidates
        self.max_per_article = max_per_article

    def search(self, query: str, k: int) -> list[Hit]:
        return self.search_vector(self.embedder.embed_query(query), k)

    def search_vector(self, vec, k: int) -> list[Hit]:
        rows = self.index.store.search(vec, max(k, self.candidates))
        return select(rows, self.index, k, self.max_per_article)


def select(rows: list[tuple[int, float]], index: Index, k: int, max_per_article: int) -> list[Hit]:
    """The best k rows, at most `max_per_article` from one article while other articles are
    left to fill the k places; rows passed over fill what remains. Ranked 1..k by score."""
    chosen: list[tuple[int, float]] = []
    passed: list[tuple[int, float]] = []
    per_article: dict[str, int] = {}
    for row, score in rows:
        aid = index.chunks[row].article_id
        if per_article.get(aid, 0) >= max_per_article:
            passed.append((row, score))
            continue
        per_article[aid] = per_article.get(aid, 0) + 1
        chosen.append((row, score))
        if len(chosen) == k:
            break
    chosen += passed[: k - len(chosen)]
    chosen.sort(key=lambda rs: -rs[1])
    return [Hit(chunk=index.chunks[r], score=s, rank=n) for n, (r, s) in enumerate(chosen, start=1)]
