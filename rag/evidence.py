"""Evidence selection: keep the sentences of each retrieved passage that bear on the question.

A 135M-parameter model reads a short, focused context far better than five whole chunks, and
the prompt it must process shrinks several-fold (time to first token falls with it). Each
passage keeps at most its `per_passage` sentences most similar to the question (by the same
embedder), in their original order; gaps are marked with "...". Citations still quote the whole
passage.

With a token budget (`budget` tokens counted by `count`, the LLM's own tokenizer) the sentences
are taken best first across passages, every passage's best sentence before any passage's
second, until the next one would not fit: the prompt's length, which is most of the time to the
first token, is then fixed whatever the passages' sentence lengths.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .text import split_sentences
from .embedding import Embedder
from .types import Hit


def focus(query_vec: np.ndarray, hits: Sequence[Hit], embedder: Embedder, per_passage: int,
          budget: int = 0, count: Callable[[str], int] | None = None,
          sentence_vecs: np.ndarray | None = None) -> list[str]:
    """The text to show the model for each hit (the whole chunk when per_passage <= 0).
    `budget` > 0 (with `count`) caps the evidence's tokens; a hit left without a sentence gets "".
    `sentence_vecs`: the hits' sentences already embedded, in order (rag.paraphrase.SentenceBank)."""
    if per_passage <= 0 or not hits:
        return [h.chunk.text for h in hits]
    spans = [split_sentences(h.chunk.text) for h in hits]
    flat = [h.chunk.text[s:e] for h, sp in zip(hits, spans) for s, e in sp]
    if not flat:
        return [h.chunk.text for h in hits]
    vecs = embedder.embed_documents(flat) if sentence_vecs is None or len(sentence_vecs) != len(flat) else sentence_vecs
    scores = vecs @ np.asarray(query_vec, np.float32)
    ranked, pos = [], 0  # per hit: its sentence numbers, best first, at most per_passage
    for sp in spans:
        own = scores[pos : pos + len(sp)]
        ranked.append([int(i) for i in np.argsort(-own, kind="stable")[:per_passage]])
        pos += len(sp)
    if budget > 0 and count is not None:
        keep = _within_budget(hits, spans, ranked, budget, count)
    else:
        keep = [sorted(r) for r in ranked]
    out = []
    for h, sp, kept in zip(hits, spans, keep):
        if len(kept) == len(sp):
            out.append(h.chunk.text)
            continue
        parts, last = [], -1
        for i in kept:
            if last >= 0 and i != last + 1:
                parts.append("...")
            parts.append(h.chunk.text[sp[i][0] : sp[i][1]])
            last = i
        out.append(" ".join(parts))
    return out


def _within_budget(hits, spans, ranked, budget: int, count) -> list[list[int]]:
    """Sentences taken round by round (each hit's best, then each hit's second ...) while they
    fit in `budget` tokens; a sentence that does not fit is skipped, a shorter one may follow."""
    keep: list[list[int]] = [[] for _ in hits]
    used = 0
    for depth in range(max((len(r) for r in ranked), default=0)):
        for n, (h, sp, r) in enumerate(zip(hits, spans, ranked)):
            if depth < len(r):
                s, e = sp[r[depth]]
                cost = count(h.chunk.text[s:e]) + 1
                if used + cost <= budget:
                    keep[n].append(r[depth])
                    used += cost
    return [sorted(k) for k in keep]
