import pytest

from rag.articles import load_file
from rag.chunking import chunk_article, chunk_header, chunk_text, embedding_text
from rag.text import split_sentences

from ..conftest import SEED_FILE

words = lambda s: len(s.split())  # noqa: E731  (the fake embedder counts words)


def test_sentences_never_cross_paragraphs_and_spans_are_exact():
    text = "Mr. Smith went to Washington. He arrived at 5 p.m.\n\nA new paragraph starts here. It ends."
    spans = split_sentences(text)
    sents = [text[s:e] for s, e in spans]
    assert sents[0] == "Mr. Smith went to Washington."
    assert "\n\n" not in "".join(sents)
    assert sents[-1] == "It ends."


@pytest.mark.parametrize("max_tokens,overlap", [(20, 0), (40, 8), (60, 20), (5, 2)])
def test_chunks_respect_budget_cover_the_text_and_overlap(max_tokens, overlap):
    [a], _ = load_file(SEED_FILE)
    chunks = chunk_article(a, words, max_tokens, overlap)
    assert chunks[0].start == 0 and chunks[-1].end == len(a.text)
    for c in chunks:
        assert c.text == a.text[c.start:c.end]
        assert words(c.text) <= max_tokens
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for s, e in split_sentences(a.text):  # every non-blank char of every sentence is in a chunk
        assert {i for i in range(s, e) if not a.text[i].isspace()} <= covered
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(b.start > a_.start for a_, b in zip(chunks, chunks[1:]))


def test_overlap_repeats_trailing_sentences():
    text = " ".join(f"Sentence {i} is here." for i in range(10))
    spans = chunk_text(text, words, 8, 4)
    assert len(spans) > 2
    assert spans[1][0] < spans[0][1]  # the second chunk starts inside the first


def test_overlong_sentence_is_split_between_words():
    text = " ".join(["word"] * 50) + "."
    spans = chunk_text(text, words, 10, 0)
    assert all(words(text[s:e]) <= 10 for s, e in spans)
    assert spans[-1][1] == len(text)


def test_empty_text_has_no_chunks():
    assert chunk_text("", words, 10, 2) == []
    assert chunk_text("  \n\n  ", words, 10, 2) == []


def test_header_names_title_outlet_and_human_date():
    [a], _ = load_file(SEED_FILE)
    c = chunk_article(a, words, 50, 0)[0]
    assert chunk_header(c) == f"{a.title} | Nation World News | February 2, 2023"
    assert embedding_text(c).startswith(chunk_header(c) + "\n")
