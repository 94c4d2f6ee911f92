"""rag.text: each text rule, once."""
import subprocess
import sys
from pathlib import Path

import pytest

from rag.text import (ABSTAIN_TEXT, MARKER, MARKER_RUN, answer_sentences, content_words, format_date, markers,
                      opens_with_decline, reads_as_decline, sentences)


def test_markers_and_runs_of_markers():
    assert markers("A [2] and B [1, 3]. C [2].") == [2, 1, 3]
    assert MARKER.sub("", "led it [1 , 2].") == "led it ."
    assert MARKER_RUN.split("Sam [1][2]. Ada [3, 4].") == ["Sam ", "[1][2]", ". Ada ", "[3, 4]", "."]
    assert markers("[a] [ 1] [1,]") == []


def test_answer_sentences_keep_their_markers_and_join_back():
    text = "Sherman led it. [1] Ryabkov said no [2]. Really?! Yes.  Done"
    got = answer_sentences(text)
    assert got == ["Sherman led it. [1]", "Ryabkov said no [2].", "Really?!", "Yes.", "Done"]
    assert answer_sentences("  ") == [] and answer_sentences("One. ") == ["One."]


def test_article_sentences_know_abbreviations():
    assert sentences("The U.S. team met Mr. Smith. He left.") == ["The U.S. team met Mr. Smith.", "He left."]


def test_the_two_decline_detectors_differ_where_they_must():
    assert opens_with_decline(ABSTAIN_TEXT) and reads_as_decline(ABSTAIN_TEXT)
    # an answer that adds what it lacks has answered, for the pipeline; the scorer reads a decline
    late = "Sherman led it, but the articles don't say when."
    assert not opens_with_decline(late) and reads_as_decline(late)
    # "It is not mentioned" is how the small model declines; the scorer needs "... in the articles"
    assert opens_with_decline("It is not mentioned.") and not reads_as_decline("It is not mentioned.")
    assert not reads_as_decline("No, the articles do not say that.")  # committed to a verdict


def test_content_words():
    assert content_words("What did Wendy Sherman say about the 2 NATO talks?") == {"wendy", "sherman", "nato", "talks"}


@pytest.mark.parametrize("value, plain, day_first", [
    ("2023-11-27T08:45:59+00:00", "November 27, 2023", "27 November 2023"),
    ("2023-02-02", "February 2, 2023", "2 February 2023"),
    ("2023-02-02T10:00:00Z", "February 2, 2023", "2 February 2023"),
    ("last week", "last week", "last week"),
    (None, "", ""),
])
def test_format_date(value, plain, day_first):
    assert format_date(value) == plain and format_date(value, day_first=True) == day_first


def test_the_module_imports_nothing_heavy():
    """rag/text.py on its own (the `rag` package's __init__ imports the pipeline, which is not)."""
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('text', 'rag/text.py'); "
            "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
            "print(sorted({'torch', 'numpy', 'blingfire', 'bm25s', 'rag'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "[]"


def test_a_quote_of_a_sentence_that_quotes_someone_nests_its_marks():
    from rag.text import in_quotes

    assert in_quotes("The talks ended.") == "“The talks ended.”"
    assert in_quotes("“There is no deal.”") == "“There is no deal.”"  # already one quotation
    assert in_quotes("“It is dangerous,” Mr. Ryabkov said.") == "“‘It is dangerous,’ Mr. Ryabkov said.”"
    assert in_quotes('He said "no" to the plan.') == "“He said ‘no’ to the plan.”"
