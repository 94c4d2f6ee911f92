"""JSON (.json) and JSON Lines (.jsonl) article records.

A .json file holds one article object, a list of them, or {"articles": [...]}; a .jsonl file one
object a line. Each record needs a text ("text" or "body"); title, published_at (or date), source,
url and id are optional. A bad record is rejected on its own (with its line or record number);
the others are loaded.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..types import Article, Rejection
from .base import MAX_ARTICLE_CHARS, article_format, clean_text, first_words, normalise_date, opt_str


@article_format(".json")
def load_json(text: str, path: Path, name: str) -> tuple[list[Article], list[Rejection]]:
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


@article_format(".jsonl")
def load_jsonl(text: str, path: Path, name: str) -> tuple[list[Article], list[Rejection]]:
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
    title = (title or "").strip() or first_words(text)
    return (
        Article(
            id=rid,
            title=title,
            text=text.strip(),
            source=opt_str(obj.get("source")),
            published_at=published,
            url=opt_str(obj.get("url")),
        ),
        "",
    )
