"""Plain-text (.txt) and Markdown (.md) news pages: one article a file.

A saved news page carries furniture around the article: a date line, a headline, photo captions
with credits, bylines, and a footer of navigation links and the outlet's description of itself.
The headline becomes the title, the outlet's description names the source, captions are kept
apart, and the rest is dropped, so that none of it becomes a passage. Markdown may carry YAML
front matter (title, date, source, url, id); its first heading is the title.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ..types import Article, Rejection
from .base import (MAX_ARTICLE_CHARS, article_format, clean_text, first_words, normalise_date, opt_str,
                   parse_date_line)

# Lines that start a site's footer or navigation block; everything from the first of them on is
# dropped when it sits in the last part of the page.
_FOOTER_LINE = re.compile(
    r"^(latest news|related news|related articles?|related stories|read more|more stories|"
    r"more from|recommended( for you)?|you may also like|share this( article)?|advertisement|"
    r"subscribe( now)?|sign up for|follow us|trending|popular stories|most read|tags?:)\b",
    re.IGNORECASE,
)
# "<Outlet> is the fastest emerging news website ...", "The Harbor Gazette is the daily newspaper
# of Harbor City": an outlet's description of itself, in the footer.
_OUTLET_BLURB = re.compile(
    r"^(?P<name>[A-Z][\w .&'’-]{1,60}?) is (?:the|a|an) [^.]{0,80}?\b(?:"
    r"(?:news|media)\b[^.]{0,40}?\b(?:website|site|outlet|portal|publication|platform|organi[sz]ation|company)|"
    r"(?:news)?paper|magazine|broadcaster|wire service|news agency|news service)\b"
)
# A photo caption ends with a credit: "Name/AFP/Getty Images", "Lena Ortiz/Harbor Gazette",
# "(Photo: Reuters)", "Photograph: Jane Doe", "Photo by ...".
_CREDIT = re.compile(
    r"((?:^|[\s.,;:)])[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*/\s*[A-Z][\w&.'’/-]*(?:\s+[\w&.'’/-]+){0,5}\s*$)|"
    r"(\((photo|image|picture|credit)s?\b[^)]{0,80}\)\s*$)|"
    r"(\b(photo|photograph|image|picture)s? ?(by|credit|courtesy( of)?|:)[^.]{0,60}$)|"
    r"(\bcredit:\s*[^.]{1,60}$)",
    re.IGNORECASE,
)
_MAX_CAPTION = 600
# "By Jane Doe", "By Jane Doe and Sam Lee, Staff Writers", "Written by ...": a byline paragraph.
_BYLINE = re.compile(
    r"^(?:(?:written |reported |words )?by|from)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’-]+(?:\s+[\w.'’-]+){0,4}){0,3}\s*[|,.]?"
    r"(?:\s*[\w .'’-]{0,40})?$",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@article_format(".txt")
def load_text_page(text: str, path: Path, name: str) -> tuple[list[Article], list[Rejection]]:
    return _one_article(text, name, lambda clean: parse_text_page(clean, path.stem, name))


@article_format(".md")
def load_markdown(text: str, path: Path, name: str) -> tuple[list[Article], list[Rejection]]:
    return _one_article(text, name, lambda clean: parse_markdown(clean, path.stem, name))


def _one_article(text: str, name: str, parse) -> tuple[list[Article], list[Rejection]]:
    if len(text) > MAX_ARTICLE_CHARS:
        return [], [Rejection(name, f"article too long ({len(text):,} characters; the limit is "
                                    f"{MAX_ARTICLE_CHARS:,}): split it into separate articles")]
    article = parse(clean_text(text))  # the whole page (JSON is cleaned field by field: a U+2028 may sit in a string)
    if article is None or not article.text.strip():
        return [], [Rejection(name, "no article text found")]
    return [article], []


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def parse_text_page(text: str, stem: str, name: str) -> Article | None:
    """A plain-text news page: optional date line, headline, optional photo caption, body, footer."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    nonempty = [i for i, ln in enumerate(lines) if ln]
    if not nonempty:
        return None
    pos = 0
    published = parse_date_line(lines[nonempty[0]])
    if published:
        pos = 1
    if pos >= len(nonempty):
        return None
    title = lines[nonempty[pos]]
    body_lines = lines[nonempty[pos] + 1 :]
    body, source = _strip_footer(body_lines)
    paras, captions = _strip_captions_and_bylines(_paragraphs("\n".join(body)))
    caption = "\n".join(captions) or None
    if not paras and len(title.split()) > 25:  # a single paragraph with no headline
        paras, title = [title], first_words(title)
    return Article(
        id=stem,
        title=title,
        text="\n\n".join(paras),
        source=source,
        published_at=published,
        caption=caption,
        path=name,
    )


def _is_credit_line(para: str) -> bool:
    """A photo caption: short, and it ends with a credit rather than a sentence's full stop."""
    text = " ".join(para.split())
    if len(text) > _MAX_CAPTION or text.endswith(("!", "?", "\"", "”")):
        return False
    return bool(_CREDIT.search(text)) and not text.endswith(".") or bool(
        re.search(r"\((photo|image|picture|credit)s?\b[^)]{0,80}\)\s*$", text, re.IGNORECASE))


def _strip_captions_and_bylines(paras: list[str]) -> tuple[list[str], list[str]]:
    """Photo captions (any credit) and byline paragraphs are page furniture, not article text:
    left in, they become passages and even the highlighted "supporting sentence"."""
    kept, captions = [], []
    for para in paras:
        if _is_credit_line(para):
            captions.append(" ".join(para.split()))
        elif len(para) < 160 and _BYLINE.match(" ".join(para.split())):
            continue
        else:
            kept.append(para)
    return kept, captions


def _strip_footer(lines: list[str]) -> tuple[list[str], str | None]:
    """Cut the footer: from a repeated byline or a navigation line in the last third onward."""
    n = len(lines)
    cut = n
    nonempty = [i for i, ln in enumerate(lines) if ln]
    for j, i in enumerate(nonempty):
        if i < n * 2 // 3 and n > 12:
            continue
        ln = lines[i]
        nxt = lines[nonempty[j + 1]] if j + 1 < len(nonempty) else None
        if _FOOTER_LINE.match(ln) or _OUTLET_BLURB.match(ln) or (
                nxt is not None and ln == nxt and len(ln.split()) <= 8):
            cut = i
            break
    source = None
    for ln in lines[cut:]:
        m = _OUTLET_BLURB.match(ln)
        if m:
            source = m.group("name").strip()
            break
    body = lines[:cut]
    return body, source


def parse_markdown(text: str, stem: str, name: str) -> Article | None:
    """A Markdown article: optional `---` front matter (title/date/source/url), first heading = title."""
    meta: dict = {}
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.DOTALL)
    if m:
        try:
            import yaml

            loaded = yaml.safe_load(m.group(1))
            if isinstance(loaded, dict):
                meta = {str(k).lower(): v for k, v in loaded.items()}
                text = text[m.end() :]
        except Exception:  # front matter that isn't YAML stays part of the text
            meta = {}
    title = str(meta.get("title") or "").strip()
    lines = text.replace("\r\n", "\n").split("\n")
    for i, ln in enumerate(lines):
        h = _HEADING.match(ln)
        if h:  # the page's own heading is its title, not article text
            title = title or h.group(1).strip()
            del lines[i]
            break
        if ln.strip():
            break
    # Section headings stay as text, without their markup.
    lines = [(_HEADING.match(ln).group(1) if _HEADING.match(ln) else ln) for ln in lines]
    paras, _ = _strip_captions_and_bylines(_paragraphs("\n".join(lines)))
    body = "\n\n".join(paras)
    if not title:
        paras = _paragraphs(body)
        title = first_words(paras[0]) if paras else ""
    raw_date = meta.get("published_at", meta.get("date"))
    published, _ = normalise_date(raw_date.isoformat() if isinstance(raw_date, (date, datetime)) else raw_date)
    return Article(
        id=str(meta.get("id") or stem),
        title=title,
        text=body,
        source=opt_str(meta.get("source")),
        published_at=published,
        url=opt_str(meta.get("url")),
        path=name,
    )
