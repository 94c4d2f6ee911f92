"""A new user's own small corpus on the chat page (tests/fixtures/local_news: four invented
local-news articles, plus the seed), in headless Chromium with the real models: every example
question the page suggests is clicked and answered, not declined, with its sources shown."""
from __future__ import annotations

import re

import pytest

from .conftest import ask

pytestmark = pytest.mark.e2e

DECLINES = re.compile(r"^(The articles don't say|The index has no|No article in the index)")
# The suggested questions, as the page shows them (buttons in the empty chat).
_EXAMPLES = """() => Array.from(document.querySelectorAll('#chat button'))
  .map(b => b.innerText.trim()).filter(t => t.endsWith('?'))"""


def test_the_pages_suggested_examples_are_answered_with_sources(open_page, local_app_url, timings):
    page, watch = open_page(local_app_url)
    examples = page.evaluate(_EXAMPLES)
    assert len(examples) >= 3, examples
    for q in examples:
        page.click("#clear")
        page.wait_for_function("() => !document.querySelector('#chat [data-testid=\"bot\"]')")
        result = ask(page, q, submit="example", timings=timings)
        assert result["answer"] and not DECLINES.match(result["answer"]), result
        assert re.search(r"\[\d+\]", result["answer"]), result  # cited
        cards = page.locator("#sources .src-card")
        assert cards.count() >= 1, result
        assert "Closest material" not in page.inner_text("#sources")
    assert watch.outside == []
