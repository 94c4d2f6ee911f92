"""Prompt templates live in prompts/*.txt and are rendered with string.Template.

`substitute` makes a missing variable an error, and a `$` inside article text is harmless
because values are never re-parsed. Retrieved text is data: it goes inside delimiters and has
the model's special-token strings removed.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

from .errors import SettingsError
from .text import CONTROL_TOKENS

# The evidence block's own delimiters (prompts/answer.txt): article text must not close it.
_DELIMITERS = re.compile(r"<{3,}|>{3,}")


def strip_special_tokens(text: str) -> str:
    return _DELIMITERS.sub(" ", CONTROL_TOKENS.sub(" ", text))


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> Template:
    return Template(path.read_text(encoding="utf-8"))


def render(prompts_dir: Path, name: str, **values: object) -> str:
    path = Path(prompts_dir) / f"{name}.txt"
    if not path.exists():
        raise SettingsError(f"prompt template {path} is missing: restore it or set RAG_PROMPTS_DIR")
    try:
        return _load(path, path.stat().st_mtime).substitute(**{k: str(v) for k, v in values.items()}).strip()
    except KeyError as e:
        raise SettingsError(f"prompt template {path} uses ${e.args[0]}, which is not provided") from None
    except ValueError as e:
        raise SettingsError(f"prompt template {path} is malformed: {e}") from None
