"""Numbered passages in, [n] markers out: parse them back to Citations and verify them.

A marker that points to no passage is dropped from the text. When the model answers without
any marker (small models often do), the answer is attributed to the passage that shares the
most words with it, if one shares enough: the citation then rests on checked overlap, not on
the model's word.
"""
from __future__ import annotations

import re

from .text import MARKER, content_words, markers, split_sentences
from .types import Citation, Hit

MIN_SUPPORT = 0.35  # share of the answer's content words a passage must hold to be cited unasked


def drop_invalid_markers(text: str, valid: range) -> str:
    def fix(m: re.Match) -> str:
        kept = [n.strip() for n in m.group(1).split(",") if int(n) in valid]
        return f"[{', '.join(kept)}]" if kept else ""

    text = re.sub(r"[ \t]{2,}", " ", MARKER.sub(fix, text))
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", text).strip()


def best_sentence(passage: str, answer: str) -> str:
    """The sentence of `passage` sharing the most content words with `answer` (the highlight)."""
    words = content_words(answer)
    best, best_score = "", 0.0
    for s, e in split_sentences(passage):
        sent = passage[s:e]
        overlap = len(words & content_words(sent))
        score = overlap / (1 + 0.01 * len(sent))
        if score > best_score:
            best, best_score = sent, score
    return best


def support(answer: str, passage: str) -> float:
    words = content_words(MARKER.sub(" ", answer))
    return len(words & content_words(passage)) / len(words) if words else 0.0


def cite(text: str, hits: list[Hit]) -> tuple[str, tuple[Citation, ...]]:
    """Clean `text` of invalid markers and return it with the Citations it makes."""
    valid = range(1, len(hits) + 1)
    text = drop_invalid_markers(text, valid)
    numbers = markers(text)
    if not numbers and hits and text:
        scores = [support(text, h.chunk.text) for h in hits]
        best = max(range(len(hits)), key=lambda i: scores[i])
        if scores[best] >= MIN_SUPPORT:
            numbers = [best + 1]
            text = _append_marker(text, best + 1)
    plain = MARKER.sub(" ", text)
    cites = []
    for n in numbers:
        c = hits[n - 1].chunk
        cites.append(
            Citation(
                number=n, chunk_id=c.id, article_id=c.article_id, title=c.title,
                published_at=c.published_at, quote=c.text, highlight=best_sentence(c.text, plain),
                source=c.source, url=c.url,
            )
        )
    return text, tuple(cites)


def _append_marker(text: str, n: int) -> str:
    stripped = text.rstrip()
    if stripped and stripped[-1] in ".!?":
        return f"{stripped[:-1]} [{n}]{stripped[-1]}"
    return f"{stripped} [{n}]"
