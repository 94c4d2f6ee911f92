"""rag.evidence.focus: which sentences of each passage the model is shown."""
import numpy as np

from rag.evidence import focus
from rag.types import Chunk, Hit


class ScoreEmbedder:
    """A one-dimensional embedder: a sentence's similarity to the query is the number it was given
    (sentences not listed score 0)."""

    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def embed_documents(self, texts):
        return np.array([[self.scores.get(t, 0.0)] for t in texts], np.float32)


QUERY = np.array([1.0], np.float32)


def hit(text: str, rank: int = 1) -> Hit:
    return Hit(Chunk(f"a{rank}#0", f"a{rank}", 0, text, 0, len(text)), 0.5, rank)


def words(text: str) -> int:
    return len(text.split())


def test_each_passage_keeps_its_best_sentences_in_their_order():
    text = "One a. Two b. Three c. Four d. Five e."
    emb = ScoreEmbedder({"Two b.": 0.9, "Four d.": 0.8, "Five e.": 0.7, "One a.": 0.1})
    assert focus(QUERY, [hit(text)], emb, per_passage=2) == ["Two b. ... Four d."]
    # adjacent sentences are joined without "..."; a gap is marked once
    assert focus(QUERY, [hit(text)], emb, per_passage=3) == ["Two b. ... Four d. Five e."]
    assert focus(QUERY, [hit(text)], emb, per_passage=1) == ["Two b."]


def test_a_short_passage_is_kept_whole():
    text = "Only this.\n\nAnd that."  # two sentences across a paragraph break, kept as written
    emb = ScoreEmbedder({"Only this.": 0.2, "And that.": 0.9})
    assert focus(QUERY, [hit(text)], emb, per_passage=2) == [text]
    assert focus(QUERY, [hit(text)], emb, per_passage=0) == [text]  # 0: whole passages


def test_the_token_budget_takes_every_passages_best_sentence_first():
    a = "A one best here. A two second here. A three third here."
    b = "B one third here. B two best here. B three second here."
    emb = ScoreEmbedder({"A one best here.": 0.9, "A two second here.": 0.8, "A three third here.": 0.1,
                         "B one third here.": 0.2, "B two best here.": 0.5, "B three second here.": 0.4})
    hits = [hit(a, 1), hit(b, 2)]
    # each sentence costs 4 words + 1: 10 tokens hold the two best sentences, one per passage,
    # although A's second sentence scores higher than B's best
    assert focus(QUERY, hits, emb, per_passage=3, budget=10, count=words) == ["A one best here.", "B two best here."]
    # 15 tokens: the next round starts again with the first passage
    assert focus(QUERY, hits, emb, per_passage=3, budget=15, count=words) == [
        "A one best here. A two second here.", "B two best here."]
    # without a budget each passage keeps its per_passage best
    assert focus(QUERY, hits, emb, per_passage=2) == ["A one best here. A two second here.",
                                                      "B two best here. B three second here."]


def test_a_sentence_over_the_budget_is_skipped_and_a_passage_may_get_none():
    a = "This first sentence is far too long to fit. Short one."
    b = "Tiny. Other words here."
    emb = ScoreEmbedder({"This first sentence is far too long to fit.": 0.9, "Short one.": 0.3,
                         "Tiny.": 0.8, "Other words here.": 0.1})
    out = focus(QUERY, [hit(a, 1), hit(b, 2)], emb, per_passage=2, budget=5, count=words)
    assert out == ["Short one.", "Tiny."]  # the long best sentence did not fit; shorter ones followed
    assert focus(QUERY, [hit(a, 1), hit(b, 2)], emb, per_passage=1, budget=2, count=words) == ["", "Tiny."]
