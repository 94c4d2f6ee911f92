"""The pure metric functions on hand-made cases, edge cases listed up front."""
import pytest

from rag.eval import metrics as m


# ----------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize("text, expected", [
    ("The Quick, brown fox!", "quick brown fox"),
    ("  An  apple a day ", "apple day"),
    ("Sam Bankman‑Fried’s “trial”", "sam bankmanfrieds trial"),  # Unicode punctuation goes too
    ("", ""),
    (None, ""),
])
def test_normalize(text, expected):
    assert m.normalize(text) == expected


# ----------------------------------------------------------------------------- yes / no

@pytest.mark.parametrize("answer, gold, correct", [
    ("Yes.", "Yes", True),
    ("yes, both articles say so [1].", "Yes", True),
    ("No, the second article disagrees.", "no", True),
    ("No, there is no evidence of that.", "No", True),  # "no evidence" is not a second verdict
    ("Yes, there is no doubt about it.", "Yes", True),
    ("The answer is no.", "no", True),
    ("True.", "Yes", True),  # MultiHop-RAG's True/False golds are yes/no questions
    ("False", "True", False),
    ("No.", "Yes", False),
    ("Nobody knows; yesterday it was said.", "Yes", False),  # no whole yes/no word
    ("The articles don't say.", "Yes", False),
    ("Yes. No.", "Yes", False),  # both verdicts: wrong whichever the gold
    ("Yes. No.", "No", False),
    ("Yes or no?", "No", False),
    ("No; yes.", "Yes", False),
])
def test_yes_no_answers(answer, gold, correct):
    assert m.answer_correct(answer, [gold]) is correct


def test_polarity():
    assert m.polarity("Yes, it did.") == "yes"
    assert m.polarity("It did not, so: no.") == "no"
    assert m.polarity("Yes. No.") == "both"
    assert m.polarity("There is no mention of it.") == "no"  # first yes/no word, as a fallback
    assert m.polarity("Perhaps.") is None


# ----------------------------------------------------------------------------- other answers

@pytest.mark.parametrize("answer, golds, correct", [
    ("It was Sam Bankman-Fried [2].", ["Sam Bankman-Fried"], True),
    ("sam bankman fried", ["Sam Bankman-Fried"], False),  # the hyphen vanishes: bankmanfried
    ("The company is Google.", ["Google"], True),
    ("Googleplex", ["Google"], False),  # whole tokens only
    ("It was OpenAI", ["Google", "OpenAI"], True),  # any gold
    ("anything", [], False),
    ("anything", [""], False),
])
def test_containment(answer, golds, correct):
    assert m.answer_correct(answer, golds) is correct


def test_token_f1_and_exact_match():
    assert m.token_f1("Sam Bankman-Fried", "Sam Bankman-Fried") == 1.0
    # "it was sam" vs "sam altman": 1 shared token; P 1/3, R 1/2, F1 2PR/(P+R) = 0.4
    assert m.token_f1("It was Sam", "Sam Altman") == pytest.approx(0.4)
    assert m.token_f1("", "") == 1.0 and m.token_f1("x", "") == 0.0
    assert m.token_f1("the", "a") == 1.0  # both normalise to nothing
    assert m.token_f1("Paris London", "Rome") == 0.0
    assert m.exact_match("The Google!", "google") and not m.exact_match("Google Inc", "Google")
    assert m.best_f1("Sam", ["Sam Altman", "Sam"]) == 1.0 and m.best_f1("x", []) is None
    assert m.best_em("google", ["Alphabet", "Google"]) is True and m.best_em("x", [""]) is None


def test_token_f1_counts_repeated_tokens_once_each():
    # pred: yes yes no (3), gold: yes (1); overlap 1 -> P 1/3, R 1
    assert m.token_f1("yes yes no", "yes") == pytest.approx(0.5)


# ----------------------------------------------------------------------------- abstention

@pytest.mark.parametrize("answer, declined", [
    ("The articles don't say.", True),
    ("The articles don’t say.", True),  # curly apostrophe
    ("I don't know.", True),
    ("I cannot determine that from the passages.", True),
    ("There is no information about her university.", True),
    ("The passages provided do not mention it.", True),
    ("It is not mentioned in the articles.", True),
    ("Not enough information to answer.", True),
    ("No, the article does not provide such a claim.", False),  # a committed verdict first
    ("Yes. There is no mention of a delay, though.", False),
    ("Google.", False),
    ("It didn't contain the answer.", False),  # "it" is not a named source
    ("", False),
])
def test_abstains(answer, declined):
    assert m.abstains(answer) is declined


def test_abstention_precision_recall_f1():
    #           declined: T      T      F      F      T
    #         answerable: F      T      F      T      F
    p, r, f = m.abstention_prf([True, True, False, False, True], [False, True, False, True, False])
    assert p == pytest.approx(2 / 3)  # 2 of 3 declines were right
    assert r == pytest.approx(2 / 3)  # 2 of 3 unanswerable declined
    assert f == pytest.approx(2 / 3)
    assert m.false_abstention_rate([True, True, False, False, True], [False, True, False, True, False]) == 0.5


def test_abstention_edge_cases():
    assert m.abstention_prf([False, False], [False, True]) == (None, 0.0, None)  # never declined
    assert m.abstention_prf([True], [True]) == (0.0, None, None)  # nothing unanswerable
    assert m.abstention_prf([False], [True])[1] is None
    assert m.false_abstention_rate([True], [False]) is None
    assert m.abstention_prf([True, False], [False, True]) == (1.0, 1.0, 1.0)


# ----------------------------------------------------------------------------- retrieval

def test_article_level_retrieval():
    ranked = ["d3", "d1", "d3", "d9", "d2"]
    ev = ["d1", "d2"]
    assert m.hit_at_k(ranked, ev, 1) is False and m.hit_at_k(ranked, ev, 2) is True
    assert m.recall_at_k(ranked, ev, 2) == 0.5 and m.recall_at_k(ranked, ev, 5) == 1.0
    assert m.recall_at_k(ranked, ev, 50) == 1.0  # k beyond the list
    assert m.reciprocal_rank(ranked, ev) == 0.5
    assert m.reciprocal_rank(ranked, ev, 1) == 0.0  # MRR@1: nothing in the first place
    assert m.reciprocal_rank(["d2"], ev, 1) == 1.0
    assert m.recall_at_k(["d1", "d1", "d1"], ev, 3) == 0.5  # repeats count once


def test_retrieval_without_evidence_is_not_scored():
    assert m.hit_at_k(["d1"], [], 3) is None
    assert m.recall_at_k(["d1"], (), 3) is None
    assert m.reciprocal_rank(["d1"], set()) is None
    assert m.recall_at_k([], ["d1"], 3) == 0.0


def test_evidence_level_hit_compares_after_whitespace_normalisation():
    passages = ["Intro.\nThe defense needs to pick up   the pieces, too.\nMore.", "Other text."]
    assert m.evidence_hit(passages, ["The defense needs to pick up the pieces, too."], 1) is True
    assert m.evidence_hit(passages, ["The defense needs to pick up the pieces, too."], 0) is False
    assert m.evidence_hit(passages[1:], ["The defense needs to pick up the pieces, too."], 5) is False
    assert m.evidence_hit(passages, ["the defense needs"], 2) is False  # case matters: verbatim facts
    assert m.evidence_hit(passages, [], 2) is None and m.evidence_hit(passages, ["  "], 2) is None


# ----------------------------------------------------------------------------- citations

def test_citation_markers_and_validity():
    from rag.text import markers

    assert markers("A [1]. B [2, 3]. C [12]. D [2].") == [1, 2, 3, 12]
    assert markers("no markers") == []
    assert m.citation_validity([1, 2], 5) is True
    assert m.citation_validity([1, 6], 5) is False  # [6] points past the 5 passages
    assert m.citation_validity([0], 5) is False
    assert m.citation_validity([], 5) is None  # no marker: nothing to judge


def test_citation_precision():
    assert m.citation_precision(["d1", "d2"], ["d1", "d9"]) == 0.5
    assert m.citation_precision(["d1", "d1"], ["d1"]) == 1.0  # distinct articles
    assert m.citation_precision([], ["d1"]) is None
    assert m.citation_precision(["d1"], []) is None


# ----------------------------------------------------------------------------- aggregates

def test_percentile_interpolates_and_skips_none():
    assert m.percentile([1, 2, 3, 4, None], 50) == 2.5
    assert m.percentile([10], 95) == 10
    assert m.percentile([0, 10], 95) == pytest.approx(9.5)
    assert m.percentile([], 50) is None and m.percentile([None], 50) is None
    assert m.mean([True, False, None]) == 0.5 and m.mean([]) is None
