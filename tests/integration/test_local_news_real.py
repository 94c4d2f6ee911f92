"""A user's own small corpus (tests/fixtures/local_news: invented local news, plus the seed):
the questions the page suggests are answered, amounts and names are the articles' own, and a
question no article answers is declined. Real models."""
import pytest

from ..conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration

LOCAL = ROOT / "tests" / "fixtures" / "local_news"


@pytest.fixture(scope="module")
def local_pipeline(tmp_path_factory, real_embedder, real_generator):
    from rag.articles import load_paths
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    d = tmp_path_factory.mktemp("local-news") / "index"
    s = Settings(index_dir=d)
    update_index(d, load_paths([LOCAL, SEEDS]).articles, real_embedder, s)
    return Pipeline(real_embedder, load_index(d, real_embedder.name), real_generator, s)


def test_the_pages_example_questions_are_answered_with_a_citation(local_pipeline):
    from ui.examples import example_questions

    examples = example_questions(local_pipeline.index)
    assert len(examples) >= 3
    for q in examples:
        a = local_pipeline.answer(q)
        assert not a.abstained, (q, a.text, a.reason)
        assert a.citations, (q, a.text)


@pytest.mark.parametrize("question, must_say, article", [
    ("How much will the bridge cost?", "$340 million", "bridge"),
    ("Who voted against the bridge plan?", "Nandakumar", "bridge"),
    ("When will the Central Library reopen?", "May 18", "library"),
    ("Who won the Harbor City Marathon?", "Wanjiru", "marathon"),
])
def test_answers_carry_the_articles_own_names_and_amounts(local_pipeline, question, must_say, article):
    a = local_pipeline.answer(question)
    assert not a.abstained and must_say in a.text, (a.text, a.reason)
    assert a.citations and a.citations[0].article_id == article
    assert "Lena Ortiz" not in " ".join(c.highlight for c in a.citations)  # never the photo caption


@pytest.mark.parametrize("question", ["What is the population of Harbor City?",
                                      "What did the Bloomberg article say about the ferry?"])
def test_questions_the_articles_do_not_answer_are_declined_with_a_reason(local_pipeline, question):
    a = local_pipeline.answer(question)
    assert a.abstained and a.reason, a.text
    assert a.hits  # the closest material is still returned
