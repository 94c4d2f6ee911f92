"""Loading news articles from files, one module a format: rag/articles/text.py (.txt, .md pages)
and rag/articles/json.py (.json, .jsonl records); what they share is rag/articles/base.py.

A format is a module of this package whose loader is registered with `@article_format(".ext")`.
Every such module is imported here, so a new format is one new file: the suffix is then
accepted by `rag index`, `load_paths` and the page's upload.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import (FORMATS, MAX_ARTICLE_CHARS, MAX_FILE_BYTES, LoadReport, article_format, clean_text,
                   content_hash, iter_files, load_file, load_paths, normalise_date)
# text before json: SUFFIXES (listed in messages and on the page) keep the order users know.
from .text import parse_markdown, parse_text_page
from .json import article_from_record

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

SUFFIXES = tuple(FORMATS)

__all__ = ["FORMATS", "MAX_ARTICLE_CHARS", "MAX_FILE_BYTES", "SUFFIXES", "LoadReport", "article_format",
           "article_from_record", "clean_text", "content_hash", "iter_files", "load_file", "load_paths",
           "normalise_date", "parse_markdown", "parse_text_page"]
