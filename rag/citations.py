"""Numbered passages in, [n] markers out: parse them back to Citations and verify them.

A marker that points to no passage is dropped from the text. When the model answers without
any marker (small models often do), the answer is attributed to the passage that shares the
most words with it, if one shares enough: the citation then rests on checked overlap, not on
the model's word.
"""
from __future__ import annotations

import re

from .types import Citation, Hit

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of to in on for and or but is are was were be been it its this that these those with as at by "
    "from has have had he she they them his her their we you i not no do does did what who which when where "
    "how why will would can could said says say about into over than then there so if also more most".split()
)
MIN_SUPPORT = 0.35  # share of the answer's content words a passage must hold to be cited unasked


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def markers(text: str) -> list[int]:
    """The passage numbers cited in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in _MARKER.finditer(text):
        for n in m.group(1).split(","):
            seen.setdefault(int(n), None)
    return list(seen)


def drop_invalid_markers(text: str, valid: range) -> str:
    def fix(m: re.Match) -> str:
        kept = [n.strip() for n in m.group(1).split(",") if int(n) in valid]
        return f"[{', '.join(kept)}]" if kept else ""

    text = re.sub(r"[ \t]{2,}", " ", _MARKER.sub(fix, text))
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", text).strip()


def best_sentence(passage: str, answer: str) -> str:
    """The sentence of `passage` sharing the most content words with `answer` (the highlight)."""
    from .chunking import split_sentences

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
    words = content_words(_MARKER.sub(" ", answer))
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
    plain = _MARKER.sub(" ", text)
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
