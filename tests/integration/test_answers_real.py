"""The real embedded models over the seed article."""
import pytest

from rag.pipeline import ABSTAIN_TEXT

pytestmark = pytest.mark.integration
SEED_ID = "000_77154c4569bde0ee"


def test_seed_article_is_indexed(real_pipeline):
    assert list(real_pipeline.index.articles) == [SEED_ID]
    assert len(real_pipeline.index.chunks) >= 5
    # the default model, in the variant this machine chooses for a new index (OpenVINO where installed)
    assert real_pipeline.index.manifest["embedder"]["name"].partition("@")[0] == "sentence-transformers/all-MiniLM-L6-v2"
    assert real_pipeline.index.manifest["embedder"]["name"] == real_pipeline.embedder.name


def test_who_led_the_delegation_is_answered_with_sherman_and_cited(real_pipeline):
    a = real_pipeline.answer("Who led the US delegation at the Geneva talks?")
    assert not a.abstained
    assert "Sherman" in a.text
    assert a.citations and all(c.article_id == SEED_ID for c in a.citations)
    assert f"[{a.citations[0].number}]" in a.text
    assert a.citations[0].published_at == "2023-02-02"
    assert a.timings.ttft_s is not None and a.timings.tokens > 0


def test_troop_numbers_passage_is_retrieved(real_pipeline):
    hits = real_pipeline.retrieve("How many Russian troops were near the border?", 5)
    assert any("100,000" in h.chunk.text for h in hits)


def test_unrelated_question_is_declined_without_sources(real_pipeline):
    a = real_pipeline.answer("What is the capital of Australia?")
    assert a.abstained and a.citations == () and a.hits  # the closest material is still returned
    assert (a.reason, a.text) == ("unknown_entity", "I can't answer that from the articles: no article in the index mentions Australia.") or \
        (a.reason, a.text) == ("no_evidence", ABSTAIN_TEXT)


def test_same_question_gives_the_same_answer(real_pipeline):
    q = "What did Ryabkov say about NATO?"
    assert real_pipeline.answer(q).text == real_pipeline.answer(q).text


def test_streaming_pieces_add_up_to_the_generated_text(real_pipeline):
    from rag.types import Answer

    parts = list(real_pipeline.stream("What did Sherman say about NATO's open-door policy?"))
    assert isinstance(parts[-1], Answer) and len(parts) >= 3  # two quoted sentences, one by one
    assert all(isinstance(p, str) for p in parts[:-1]) and "".join(parts[:-1]) == parts[-1].text


def test_real_embedder_counts_its_own_tokens_and_chunks_fit(real_embedder, real_pipeline):
    from rag.chunking import embedding_text

    assert real_embedder.dim == 384 and real_embedder.max_tokens == 256
    for c in real_pipeline.index.chunks:
        assert real_embedder.count_tokens(embedding_text(c)) <= real_embedder.max_tokens
