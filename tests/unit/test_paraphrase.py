"""rag.paraphrase: a written sentence must reword a passage sentence, else that sentence is quoted."""
import numpy as np

from rag.evidence import focus
from rag.paraphrase import PARAPHRASE_SIM, QUOTE_SIM, SentenceBank, check_paraphrase
from rag.types import Chunk, Hit
from tests.fakes import HashEmbedder


class MapEmbedder:
    """Each text's vector is given (unit length); a text not listed is orthogonal to them all."""

    def __init__(self, vectors: dict[str, tuple[float, ...]]):
        self.vectors = {t: np.asarray(v, np.float32) / np.linalg.norm(v) for t, v in vectors.items()}
        self.calls = 0

    def embed_documents(self, texts):
        self.calls += 1
        return np.stack([self.vectors.get(t, np.array([0, 0, 1], np.float32)) for t in texts])


def hit(text: str, rank: int = 1) -> Hit:
    return Hit(Chunk(f"a{rank}#0", f"a{rank}", 0, text, 0, len(text)), 0.5, rank)


GOAL = "Russia wants a guarantee that Ukraine will never join NATO."
OTHER = "The talks were held in Geneva."
HITS = [hit(f"{OTHER} {GOAL}")]
QUESTION = "What does Russia want from NATO?"


def bank_with(written: str, vec: tuple[float, ...]) -> SentenceBank:
    emb = MapEmbedder({GOAL: (1, 0, 0), OTHER: (0, 1, 0), written: vec})
    return SentenceBank(HITS, emb)


def test_a_rewording_of_a_passage_sentence_is_kept_as_written():
    written = "Russia wants Ukraine never to join NATO [1]."
    bank = bank_with("Russia wants Ukraine never to join NATO .", (1, 0.1, 0))  # cosine 0.995
    assert check_paraphrase(written, written, bank, QUESTION, set()) == written


def test_a_sentence_that_only_reuses_the_names_is_replaced_by_the_sentence_it_points_at():
    written = "Russia wants to join NATO, but the US is not ready [1]."
    bank = bank_with("Russia wants to join NATO, but the US is not ready .", (1, 0.9, 0))  # cosine 0.74 to GOAL, 0.67 to OTHER
    assert QUOTE_SIM <= 0.74 < PARAPHRASE_SIM
    out = check_paraphrase(written, written, bank, QUESTION, set())
    assert out == "“Russia wants a guarantee that Ukraine will never join NATO” [1]."
    # the grounding check's failure is no bar to the quote: the model still pointed at it
    assert check_paraphrase(written, None, bank, QUESTION, set()) == out


def test_a_sentence_pointing_at_nothing_is_dropped_and_a_quote_is_never_repeated():
    far = "Putin ate soup for dinner [1]."
    assert check_paraphrase(far, far, bank_with("Putin ate soup for dinner .", (0.2, 0, 1)), QUESTION, set()) is None
    written = "Russia wants to join NATO [1]."
    bank = bank_with("Russia wants to join NATO .", (1, 0.9, 0))
    quoted: set[str] = set()
    assert check_paraphrase(written, written, bank, QUESTION, quoted) is not None
    assert check_paraphrase(written, written, bank, QUESTION, quoted) is None  # already quoted once


def test_the_quote_must_share_a_word_with_the_question():
    written = "Something about Geneva [1]."
    bank = bank_with("Something about Geneva .", (0.2, 1, 0))  # nearest: OTHER, which shares no word
    assert check_paraphrase(written, None, bank, "What does Russia want from NATO?", set()) is None
    assert check_paraphrase(written, None, bank, "Where were the talks held?", set()) == \
        "“The talks were held in Geneva” [1]."


def test_the_bank_embeds_the_passages_once_and_focus_reuses_it():
    emb = HashEmbedder()
    hits = [hit("One apple. Two bananas. Three cherries.", 1), hit("Four dates. Five eggs.", 2)]
    bank = SentenceBank(hits, emb)
    assert bank.sentences == ["One apple.", "Two bananas.", "Three cherries.", "Four dates.", "Five eggs."]
    assert bank.owner == [0, 0, 0, 1, 1]
    q = emb.embed_query("bananas and eggs")
    assert focus(q, hits, emb, per_passage=1, sentence_vecs=bank.vectors) == focus(q, hits, emb, per_passage=1) \
        == ["Two bananas.", "Five eggs."]
    near = bank.closest("eggs [2]")
    assert (near.hit, near.sentence) == (1, "Five eggs.")


def test_no_quote_after_an_entity_lead_nor_of_a_question_or_a_headline():
    written = "Russia wants to join NATO [1]."
    bank = bank_with("Russia wants to join NATO .", (1, 0.9, 0))
    assert check_paraphrase(written, written, bank, QUESTION, None) is None  # the lead quotes its own support
    for text in ("Does Russia want a guarantee that Ukraine will never join NATO?", "Russia wants NATO guarantees."):
        emb = MapEmbedder({text: (1, 0, 0), "Russia wants to join NATO .": (1, 0.9, 0)})
        assert check_paraphrase(written, written, SentenceBank([hit(text)], emb), QUESTION, set()) is None


def test_a_quote_must_also_be_among_the_sentences_closest_to_the_question():
    texts = [f"Russia said thing number {i} about NATO today." for i in range(5)]
    vecs = {t: tuple(1.0 if j == i else 0.0 for j in range(6)) for i, t in enumerate(texts)}
    written = "Russia wants to join NATO ."
    vecs[written] = (0.1, 0.1, 0.1, 0.1, 1.0, 0.0)  # points at the fifth sentence
    emb = MapEmbedder(vecs)
    hits = [hit(" ".join(texts))]
    far = SentenceBank(hits, emb, query_vec=np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0], np.float32))  # 5th: rank 5
    near = SentenceBank(hits, emb, query_vec=np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0], np.float32))  # 5th: rank 1
    assert far.closest(written).question_rank == 5 and near.closest(written).question_rank == 1
    assert check_paraphrase("Russia wants to join NATO [1].", None, far, QUESTION, set()) is None
    assert check_paraphrase("Russia wants to join NATO [1].", None, near, QUESTION, set()) == \
        "“Russia said thing number 4 about NATO today” [1]."
