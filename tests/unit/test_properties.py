"""Property tests (hypothesis) on arbitrary input:

- the chunker: no empty chunk, the text covered, every chunk (with its header) within the
  embedder's limit, ids deterministic;
- the prompt budget: prompt + answer tokens <= n_ctx for any question length, k, history and
  passage size;
- the loaders: only the project's own error type escapes, and nothing hangs (a deadline).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from rag.articles import article_from_record, load_file
from rag.chunking import chunk_article, embedding_text
from rag.errors import RagError
from rag.types import Article

from ..fakes import HashEmbedder, ScriptedGenerator

# derandomize: the same 150 examples on every run, so CI is reproducible (explore more with
# `pytest --hypothesis-seed=N` or a larger max_examples when hunting).
COMMON = settings(max_examples=150, deadline=2000, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Every kind of character: letters of many scripts, marks, spaces and line breaks of all kinds,
# controls, private use, zero-width joiners, emoji, lone surrogates.
any_char = st.characters(codec=None, exclude_categories=())
texts = st.text(any_char, min_size=0, max_size=2000) | st.lists(
    st.sampled_from(["Word", "word.", " ", "\n", "\n\n", "Dr. Smith said.", "?", "\u200b", "\u3002", "\u2028",
                     "x" * 300, "\u00e9", "\U0001f600", "\t", "\r\n", "a" * 50 + "."]), max_size=300).map("".join)


def words(text: str) -> int:
    return len(text.split())


@COMMON
@given(text=texts, title=st.text(any_char, max_size=200), max_tokens=st.integers(8, 120), overlap=st.integers(0, 40))
@example(text="\ud800 lone surrogate. \x1b0 escape.", title="", max_tokens=8, overlap=0)
def test_chunker_on_arbitrary_unicode(text, title, max_tokens, overlap):
    overlap = min(overlap, max_tokens // 2)
    art = Article(id="x", title=title, text=text)
    chunks = chunk_article(art, words, max_tokens, overlap)
    assert all(c.text.strip() for c in chunks)  # no empty chunk
    covered = set()
    for c in chunks:
        assert c.text == text[c.start:c.end]
        assert words(c.text) <= max_tokens  # within the limit
        covered.update(range(c.start, c.end))
    # every non-space character of the text is in some chunk
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "text not covered"
    assert [c.id for c in chunks] == [f"x#{i}" for i in range(len(chunks))]
    assert [(c.id, c.start, c.end) for c in chunk_article(art, words, max_tokens, overlap)] == \
        [(c.id, c.start, c.end) for c in chunks]  # deterministic


@COMMON
@given(title=st.text(any_char, max_size=3000) | st.builds(lambda n: "word " * n, st.integers(0, 400)), text=texts,
       source=st.none() | st.builds(lambda n: "outlet " * n, st.integers(0, 200)))
@example(title="word " * 300, text="A body. " * 100, source=None)
@example(title="word " * 300, text="A body. " * 100, source="outlet " * 300)
@example(title="\u2028\x85 title", text="Line one\u2028line two\x85 three.", source=None)
def test_an_indexed_chunk_with_its_header_fits_the_embedder(title, text, source, tmp_path_factory):
    """What is embedded is the header plus the chunk: it must fit the embedder's max_tokens."""
    from rag.indexing import load_index, update_index
    from rag.settings import Settings

    emb = HashEmbedder()
    d = tmp_path_factory.mktemp("p") / "index"
    s = Settings(index_dir=d, chunk_tokens=40, chunk_overlap=8)
    try:
        update_index(d, [Article(id="x", title=title or "t", text=text or "body", source=source)], emb, s)
    except RagError:
        return
    for c in load_index(d).chunks:
        assert emb.count_tokens(embedding_text(c)) <= emb.max_tokens


@pytest.fixture(scope="module")
def budget_pipe(tmp_path_factory):
    """A pipeline over articles with long and short passages and long titles."""
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    d = tmp_path_factory.mktemp("budget") / "index"
    s = Settings(index_dir=d, chunk_tokens=180, chunk_overlap=20, min_score=-1.0)
    arts = [Article(id=f"a{i}", title=("Harbour ferry story " * (1 + 3 * i)).strip(),
                    text=" ".join(f"The harbour ferry {i} sailed {j} times." for j in range(40 * (i + 1))))
            for i in range(6)]
    emb = HashEmbedder()
    update_index(d, arts, emb, s)
    return Pipeline(emb, load_index(d, emb.name), ScriptedGenerator("The ferry sailed [1]."), s,
                    checks=frozenset())


@COMMON
@given(question=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=1000)
       | st.builds(lambda n: "harbour ferry " * n, st.integers(1, 70)),
       k=st.integers(1, 10), n_ctx=st.sampled_from([1024, 1536, 2048, 4096]),
       answer_tokens=st.integers(16, 256),
       history=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=600)), max_size=6))
@example(question="harbour ferry " * 70, k=10, n_ctx=1024, answer_tokens=256, history=[])
@example(question="Where did he sail? " * 50, k=10, n_ctx=1024, answer_tokens=256,
         history=[("Where did Harbour Ferry Captain sail? " * 20, "He sailed far. " * 40)] * 6)
def test_prompt_and_answer_fit_n_ctx(budget_pipe, question, k, n_ctx, answer_tokens, history):
    from rag.errors import QuestionError
    from rag.followup import Turn, standalone_query

    pipe = budget_pipe
    pipe.settings = pipe.settings.replace(n_ctx=n_ctx, max_answer_tokens=min(answer_tokens, n_ctx // 2))
    gen = pipe.generator
    gen.prompts.clear()
    search = (standalone_query(question, [Turn(q, a, "") for q, a in history], max_chars=pipe.settings.max_question_chars)
              if question.strip() else question)
    try:
        pipe.answer(question, k=k, search_query=search if search != question else None)
    except QuestionError:
        assert not question.strip() or len(" ".join(question.split())) > 1000
        return
    for messages in gen.prompts:
        used = pipe._prompt_tokens(messages)
        assert used + pipe.settings.max_answer_tokens <= n_ctx, (used, pipe.settings.max_answer_tokens, n_ctx)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(any_char, max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "title", "text", "body", "content", "source", "published_at", "date", "url", "x"]),
        inner, max_size=6),
    max_leaves=20)


@COMMON
@given(obj=json_values)
def test_a_record_is_an_article_or_a_reason(obj):
    art, why = article_from_record(obj, "fallback")
    if art is None:
        assert isinstance(why, str) and why  # refused, with a reason
    else:
        assert why == "" and art.text.strip() and isinstance(art.title, str) and art.id


@COMMON
@given(data=st.binary(max_size=3000) | texts.map(lambda t: t.encode("utf-8", "surrogatepass"))
       | st.lists(json_values, max_size=5).map(lambda v: "\n".join(json.dumps(x) for x in v).encode()),
       suffix=st.sampled_from([".txt", ".md", ".json", ".jsonl", ".TXT"]))
def test_loaders_only_raise_the_projects_error(data, suffix, tmp_path_factory):
    p = tmp_path_factory.mktemp("f") / f"file{suffix}"
    p.write_bytes(data)
    try:
        articles, rejected = load_file(p)
    except RagError:
        return
    for a in articles:
        assert isinstance(a.text, str) and a.text.strip() and isinstance(a.id, str)
        a.text.encode("utf-8")  # no lone surrogates survive into an article
        a.title.encode("utf-8")
    assert all(r.reason for r in rejected)


def test_a_single_passage_that_cannot_fit_is_trimmed_not_sent_over_budget(budget_pipe):
    """n_ctx=768 with 256 answer tokens: a 990-character question of 495 short words and one
    180-token passage cannot both fit; the prompt must still leave room for the answer (trim the
    passage, or refuse clearly)."""
    pipe = budget_pipe
    pipe.settings = pipe.settings.replace(n_ctx=768, max_answer_tokens=256)
    pipe.generator.prompts.clear()
    pipe.answer("ferry " + "a " * 492, k=10)
    assert pipe.generator.prompts
    for messages in pipe.generator.prompts:
        assert pipe._prompt_tokens(messages) + 256 <= 768
