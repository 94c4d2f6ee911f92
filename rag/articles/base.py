"""What every article format shares: reading a file safely, cleaning its text, the registry of
formats by suffix, and loading files and folders into articles and rejections.

Nothing here raises on a bad file: each rejected file or record becomes a `Rejection` naming the
file, the line (for JSONL) and the reason, and the rest are loaded.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable

from ..types import Article, Rejection

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ARTICLE_CHARS = 1_000_000  # about 150,000 words: longer is not one news article

# A format's loader: (the file's text, decoded and BOM-free; its path; the name to report) ->
# (articles, rejections). It never raises on bad input.
Loader = Callable[[str, Path, str], tuple[list[Article], list[Rejection]]]
FORMATS: dict[str, Loader] = {}  # suffix (lower case, with the dot) -> loader, in registration order


def article_format(*suffixes: str) -> Callable[[Loader], Loader]:
    """Register the decorated loader for files with these suffixes (".html", ...)."""
    def register(loader: Loader) -> Loader:
        for suffix in suffixes:
            FORMATS[suffix.lower()] = loader
        return loader

    return register

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
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS and not f.name.startswith("."))
            )
        elif p.is_file():
            if p.suffix.lower() in FORMATS:
                files.append(p)
            else:
                rejected.append(Rejection(str(p), _unsupported(p)))
        else:
            rejected.append(Rejection(str(p), "no such file or folder"))
    return files, rejected


def _unsupported(p: Path) -> str:
    return f"unsupported file type {p.suffix or '(none)'!r}: use {', '.join(FORMATS)}"


def load_paths(paths: Iterable[str | Path]) -> LoadReport:
    files, rejected = iter_files(paths)
    report = LoadReport(rejected=rejected, files=len(files))
    for f in files:
        articles, problems = load_file(f)
        report.articles.extend(articles)
        report.rejected.extend(problems)
    return report


def load_file(path: str | Path, display_name: str | None = None) -> tuple[list[Article], list[Rejection]]:
    """The articles of one file, by its suffix's format; a file that cannot be read as UTF-8 text
    (too large, empty, binary, another encoding) is one rejection."""
    path = Path(path)
    name = display_name or str(path)
    loader = FORMATS.get(path.suffix.lower())
    if loader is None:
        return [], [Rejection(name, _unsupported(path))]
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
    return loader(text, path, name)


# ----------------------------------------------------------------------------- field values


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
        parsed = parse_date_line(v)
        if parsed:
            return parsed, ""
        return None, f"'published_at' {value!r} is not an ISO 8601 date (e.g. 2023-02-02)"


def parse_date_line(line: str) -> str | None:
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


def opt_str(v: object) -> str | None:
    return clean_text(str(v)).strip() or None if v not in (None, "") else None


def first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")
