"""Evidence selection: keep the sentences of each retrieved passage that bear on the question.

A 135M-parameter model reads a short, focused context far better than five whole chunks, and
the prompt it must process shrinks several-fold (time to first token falls with it). Each
passage keeps its `per_passage` sentences most similar to the question (by the same embedder),
in their original order; gaps are marked with "...". Citations still quote the whole passage.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .chunking import split_sentences
from .embedding import Embedder
from .types import Hit


def focus(query_vec: np.ndarray, hits: Sequence[Hit], embedder: Embedder, per_passage: int) -> list[str]:
    """The text to show the model for each hit (the whole chunk when per_passage <= 0)."""
    if per_passage <= 0 or not hits:
        return [h.chunk.text for h in hits]
    spans = [split_sentences(h.chunk.text) for h in hits]
    flat = [h.chunk.text[s:e] for h, sp in zip(hits, spans) for s, e in sp]
    if not flat:
        return [h.chunk.text for h in hits]
    scores = embedder.embed_documents(flat) @ np.asarray(query_vec, np.float32)
    out, pos = [], 0
    for h, sp in zip(hits, spans):
        n = len(sp)
        if n <= per_passage:
            out.append(h.chunk.text)
        else:
            own = scores[pos : pos + n]
            keep = sorted(np.argsort(-own, kind="stable")[:per_passage])
            parts, last = [], -1
            for i in keep:
                if last >= 0 and i != last + 1:
                    parts.append("...")
                parts.append(h.chunk.text[sp[i][0] : sp[i][1]])
                last = i
            out.append(" ".join(parts))
        pos += n
    return out
