"""An answer in a terminal (`rag ask`, `rag chat`): the passages found on stderr as soon as the
search is done, the answer on stdout as it is written, then its sources and the claims checked."""
from __future__ import annotations

import sys

from .types import Answer, Retrieved


def stream_to_terminal(pipe, question: str, k: int | None, history=()):
    """Print the answer as it comes, then its sources; returns the final Answer."""
    final = None
    for part in pipe.stream(question, k=k, history=history, events=True):
        if isinstance(part, Answer):
            final = part
            print()
            print(format_sources(part))
        elif isinstance(part, Retrieved):  # on stderr, so stdout stays the answer and its sources
            if part.query != question:
                print(f"(searched for: {part.query})", file=sys.stderr)
            print(format_found(part), file=sys.stderr, flush=True)
        else:
            print(part, end="", flush=True)
    return final


def format_found(found) -> str:
    """The passages found, one line per article (with how many of its passages), printed before
    the answer is written."""
    per_article: dict[str, list] = {}
    for h in found.hits:
        per_article.setdefault(h.chunk.article_id, []).append(h)
    lines = [f"Found {len(found.hits)} passages from {len(per_article)} article"
             f"{'' if len(per_article) == 1 else 's'} in {found.retrieval_s:.2f} s:"]
    for hits in per_article.values():
        c = hits[0].chunk
        count = f" ({len(hits)} passages)" if len(hits) > 1 else ""
        lines.append(f"  - {c.title}{_meta(c.source, c.published_at)}{count}")
    return "\n".join(lines)


def format_sources(a) -> str:
    t = a.timings
    lines = []
    if a.citations:
        lines.append("Sources:")
        for c in a.citations:
            lines.append(f"  [{c.number}] {c.title}{_meta(c.source, c.published_at)}  <{c.article_id}>")
            if c.highlight:
                lines.append(f"      \"{c.highlight}\"")
    elif not a.abstained:
        lines.append("(no passage supports this answer: treat it with care)")
    if a.claims:
        lines.append("Claims checked:")
        for c in a.claims:
            mark = f"[{c.citation}] " if c.citation else ""
            lines.append(f"  {mark}{c.verdict.replace('_', ' ')}: {c.claim}")
    if a.abstained and a.hits:
        lines.append(f"Declined ({a.reason or 'no_evidence'}). Closest material found:")
        for h in a.hits[:3]:
            lines.append(f"  {h.chunk.title}{_meta(h.chunk.source, h.chunk.published_at)}  <{h.chunk.article_id}>")
    ttft = f"{t.ttft_s:.2f} s to the first words, " if t.ttft_s is not None else ""
    lines.append(f"({ttft}{t.total_s:.2f} s in all, {len(a.hits)} passages searched)")
    return "\n".join(lines)


def _meta(source: str | None, published_at: str | None) -> str:
    """" (Outlet, 2023-02-02)" after a title, or nothing."""
    meta = ", ".join(x for x in (source or "", (published_at or "")[:10]) if x)
    return f" ({meta})" if meta else ""
