"""Sentence-aware chunks sized in the embedder's own tokens, with overlap and char offsets.

Sentences come from `rag.text.split_sentences` (blingfire, run per paragraph so that no sentence
spans a paragraph break). Chunks are packed greedily from whole sentences up to `max_tokens` (counted
with the embedder's tokenizer, so nothing is cut at its max_seq_length); the next chunk starts
with the last sentences of the previous one, up to `overlap` tokens. A sentence longer than a
whole chunk is split between words.
"""
from __future__ import annotations

import re
from typing import Callable

from .text import format_date, split_sentences
from .types import Article, Chunk

TokenCounter = Callable[[str], int]


def _split_long(text: str, start: int, end: int, count: TokenCounter, max_tokens: int) -> list[tuple[int, int]]:
    """Split one over-long sentence into word windows of at most max_tokens tokens."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and count(text[words[i][0] : words[j][1]]) <= max_tokens:
            j += 1
        pieces.append((words[i][0], words[j - 1][1]))
        i = j
    return pieces


def chunk_text(text: str, count: TokenCounter, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of the chunks of `text`."""
    units: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for s, e in split_sentences(text):
        n = count(text[s:e])
        if n <= max_tokens:
            units.append((s, e, n))
        else:
            units.extend((a, b, count(text[a:b])) for a, b in _split_long(text, s, e, count, max_tokens))
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        chunks.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        # Overlap: step back over trailing sentences worth at most `overlap` tokens,
        # but always move forward by at least one sentence.
        back, k = 0, j
        while k - 1 > i and back + units[k - 1][2] <= overlap:
            back += units[k - 1][2]
            k -= 1
        i = k
    return chunks


def chunk_article(article: Article, count: TokenCounter, max_tokens: int, overlap: int) -> list[Chunk]:
    return [
        Chunk(
            id=f"{article.id}#{n}",
            article_id=article.id,
            position=n,
            text=article.text[s:e],
            start=s,
            end=e,
            title=article.title,
            source=article.source,
            published_at=article.published_at,
            url=article.url,
        )
        for n, (s, e) in enumerate(chunk_text(article.text, count, max_tokens, overlap))
    ]


def chunk_meta(chunk: Chunk) -> list[str]:
    """The chunk's outlet and publication day as questions name them ("Nation World News",
    "February 2, 2023"): embedded in its header and shown with it in the prompt."""
    return [p for p in (chunk.source, format_date(chunk.published_at) if chunk.published_at else "") if p]


def chunk_header(chunk: Chunk) -> str:
    """The short header embedded with each chunk, so questions naming title, outlet or date match."""
    return " | ".join(p for p in [chunk.title.strip(), *chunk_meta(chunk)] if p)


def embedding_text(chunk: Chunk) -> str:
    header = chunk_header(chunk)
    return f"{header}\n{chunk.text}" if header else chunk.text


HEADER_TOKEN_ALLOWANCE = 64  # room kept for the header within the embedder's max_seq_length


def fit_header(chunks: list[Chunk], count: TokenCounter) -> list[Chunk]:
    """A title (then an outlet) too long for the header's token allowance is shortened in the
    chunks (with "…"), so header + chunk never pass the embedder's limit (it would silently cut
    the chunk's end)."""
    from dataclasses import replace

    def fits(c: Chunk) -> bool:
        return count(chunk_header(c)) <= HEADER_TOKEN_ALLOWANCE

    if not chunks or fits(chunks[0]):
        return chunks
    first = chunks[0]
    for field_ in ("title", "source"):
        value = getattr(first, field_) or ""
        lo, hi = 0, len(value)  # the longest prefix that fits: binary search on characters
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(replace(first, **{field_: value[:mid].rstrip() + "…"})):
                lo = mid
            else:
                hi = mid - 1
        first = replace(first, **{field_: value[:lo].rstrip() + "…"}) if value else first
        if fits(first):
            break
    return [replace(c, title=first.title, source=first.source) for c in chunks]
