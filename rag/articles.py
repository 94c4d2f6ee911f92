"""Loading news articles from files: .txt/.md pages and .json/.jsonl records.

Nothing here raises on a bad file: each rejected file or record becomes a `Rejection` naming the
file, the line (for JSONL) and the reason, and the rest are loaded.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable

from .types import Article, Rejection

SUFFIXES = (".txt", ".md", ".json", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ARTICLE_CHARS = 1_000_000  # about 150,000 words: longer is not one news article

# Invisible characters an article may carry (by accident or to hide text from the reader):
# zero-width characters, bidirectional overrides and isolates, the BOM, Unicode TAG characters,
# lone surrogates. They are removed; other control characters become spaces; line and
# paragraph separators become line breaks; the text is NFC-normalised.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u180e"
                        "\U000e0000-\U000e007f\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n\n", "\x85": "\n"})


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BREAKS)
    return unicodedata.normalize("NFC", _CONTROL.sub(" ", _INVISIBLE.sub("", text)))

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


@dataclass
class LoadReport:
    articles: list[Article] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    files: int = 0


def content_hash(article: Article) -> str:
    """What makes two articles the same: their title, text, date and outlet."""
    norm = lambda s: " ".join(unicodedata.normalize("NFC", s or "").split())  # noqa: E731 - NFD or spacing: same article
    key = "\x1f".join([norm(article.title), norm(article.text), article.published_at or "", norm(article.source)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def iter_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Rejection]]:
    """Expand folders (recursively, sorted) into the article files they hold."""
    files: list[Path] = []
    rejected: list[Rejection] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith("."))
            )
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                files.append(p)
            else:
                rejected.append(Rejection(str(p), f"unsupported file type {p.suffix or '(none)'!r}: use {', '.join(SUFFIXES)}"))
        else:
            rejected.append(Rejection(str(p), "no such file or folder"))
    return files, rejected


def load_paths(paths: Iterable[str | Path]) -> LoadReport:
    files, rejected = iter_files(paths)
    report = LoadReport(rejected=rejected, files=len(files))
    for f in files:
        articles, problems = load_file(f)
        report.articles.extend(articles)
        report.rejected.extend(problems)
    return report


def load_file(path: str | Path, display_name: str | None = None) -> tuple[list[Article], list[Rejection]]:
    path = Path(path)
    name = display_name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [Rejection(name, f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})")]
        data = path.read_bytes()
    except OSError as e:
        return [], [Rejection(name, f"cannot read: {e.strerror or e}")]
    if not data.strip():
        return [], [Rejection(name, "empty file")]
    if b"\x00" in data[:8192]:
        return [], [Rejection(name, "binary file (contains NUL bytes), not text")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return [], [Rejection(name, f"not UTF-8 text (bad byte at offset {e.start}): re-save it as UTF-8")]
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md") and len(text) > MAX_ARTICLE_CHARS:
        return [], [Rejection(name, f"article too long ({len(text):,} characters; the limit is "
                                    f"{MAX_ARTICLE_CHARS:,}): split it into separate articles")]
    if suffix in (".txt", ".md"):  # JSON is cleaned field by field (a U+2028 may sit inside a string)
        text = clean_text(text)
    if suffix == ".jsonl":
        return _load_jsonl(text, name)
    if suffix == ".json":
        return _load_json(text, name)
    article = parse_markdown(text, path.stem, name) if suffix == ".md" else parse_text_page(text, path.stem, name)
    if article is None or not article.text.strip():
        return [], [Rejection(name, "no article text found")]
    return [article], []


# ----------------------------------------------------------------------------- JSON / JSONL


def _load_jsonl(text: str, name: str) -> tuple[list[Article], list[Rejection]]:
    articles, rejected = [], []
    # Split on "\n" only: splitlines() would also split on a U+2028 inside a JSON string.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, strict=False)  # a raw tab or control character inside a string is cleaned later
        except json.JSONDecodeError as e:
            rejected.append(Rejection(name, f"malformed JSON ({e.msg} at column {e.colno})", n))
            continue
        article, reason = article_from_record(obj, f"{Path(name).stem}-{n}")
        if article is None:
            rejected.append(Rejection(name, reason, n))
        else:
            articles.append(article)
    if not articles and not rejected:
        rejected.append(Rejection(name, "empty file"))
    return articles, rejected


def _load_json(text: str, name: str) -> tuple[list[Article], list[Rejection]]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [Rejection(name, f"malformed JSON ({e.msg})", e.lineno)]
    records = obj if isinstance(obj, list) else obj.get("articles", [obj]) if isinstance(obj, dict) else None
    if not isinstance(records, list):
        return [], [Rejection(name, "JSON must be an article object, a list of them, or {\"articles\": [...]}")]
    articles, rejected = [], []
    for i, rec in enumerate(records, start=1):
        article, reason = article_from_record(rec, f"{Path(name).stem}-{i}")
        if article is None:
            rejected.append(Rejection(name, f"record {i}: {reason}"))
        else:
            articles.append(article)
    return articles, rejected


def article_from_record(obj: object, fallback_id: str) -> tuple[Article | None, str]:
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    text = obj.get("text", obj.get("body"))
    if isinstance(text, str) and len(text) > MAX_ARTICLE_CHARS:
        return None, f"article too long ({len(text):,} characters; the limit is {MAX_ARTICLE_CHARS:,})"
    text = clean_text(text) if isinstance(text, str) else text  # escapes (\u200b, \ud800) decode here
    if not isinstance(text, str) or not text.strip():
        return None, "missing text (the 'text' field is absent or empty)"
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        return None, "'title' must be a string"
    title = clean_text(title) if title is not None else None
    published, problem = normalise_date(obj.get("published_at", obj.get("date")))
    if problem:
        return None, problem
    rid = obj.get("id")
    rid = (clean_text(str(rid)).strip() if rid not in (None, "") else "") or fallback_id
    title = (title or "").strip() or _first_words(text)
    return (
        Article(
            id=rid,
            title=title,
            text=text.strip(),
            source=_opt_str(obj.get("source")),
            published_at=published,
            url=_opt_str(obj.get("url")),
        ),
        "",
    )


def normalise_date(value: object) -> tuple[str | None, str]:
    """ISO 8601 string (date or datetime) or None; an unreadable date is a reason to reject."""
    if value in (None, ""):
        return None, ""
    if not isinstance(value, str):
        return None, f"'published_at' must be an ISO 8601 string, got {value!r}"
    v = value.strip()
    try:
        if len(v) == 10:
            return date.fromisoformat(v).isoformat(), ""
        return datetime.fromisoformat(v.replace("Z", "+00:00")).isoformat(), ""
    except ValueError:
        parsed = _parse_date_line(v)
        if parsed:
            return parsed, ""
        return None, f"'published_at' {value!r} is not an ISO 8601 date (e.g. 2023-02-02)"


def _opt_str(v: object) -> str | None:
    return clean_text(str(v)).strip() or None if v not in (None, "") else None


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


# ----------------------------------------------------------------------------- text pages


def _parse_date_line(line: str) -> str | None:
    """A line that is only a date ("Thursday, February 2, 2023", "2023-02-02", "2 Feb 2023")."""
    s = line.strip()
    if not s or len(s) > 60 or not re.search(r"\d{4}", s):
        return None
    try:
        from dateutil import parser as dateparser

        d = dateparser.parse(s, fuzzy=False)
    except (ValueError, OverflowError, ImportError):
        return None
    if d.hour or d.minute:
        return d.isoformat()
    return d.date().isoformat()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def parse_text_page(text: str, stem: str, name: str) -> Article | None:
    """A plain-text news page: optional date line, headline, optional photo caption, body, footer."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    nonempty = [i for i, ln in enumerate(lines) if ln]
    if not nonempty:
        return None
    pos = 0
    published = _parse_date_line(lines[nonempty[0]])
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
        paras, title = [title], _first_words(title)
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
        title = _first_words(paras[0]) if paras else ""
    raw_date = meta.get("published_at", meta.get("date"))
    published, _ = normalise_date(raw_date.isoformat() if isinstance(raw_date, (date, datetime)) else raw_date)
    return Article(
        id=str(meta.get("id") or stem),
        title=title,
        text=body,
        source=_opt_str(meta.get("source")),
        published_at=published,
        url=_opt_str(meta.get("url")),
        path=name,
    )
