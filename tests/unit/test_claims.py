"""Yes/no questions settled claim by claim, on the fake embedder (bag of hashed words)."""
import pytest

from rag.claims import claim_filter, core, decide
from rag.indexing import load_index, update_index
from rag.pipeline import Pipeline
from rag.question import Claim, analyse
from rag.types import Answer, Article, ClaimVerdict

from ..fakes import HashEmbedder, ScriptedGenerator

ARTICLES = [
    Article(id="orchard", title="Orchard apples harvest", source="Farm News", published_at="2023-10-01",
            text="The orchard apples harvest began early. Farmer Ada Lovell picked red apples in the orchard."),
    Article(id="harbour", title="Harbour ferry strike", source="Coast Daily", published_at="2023-10-02",
            text="The harbour ferry crews went on strike. Ferry captain Bruno Keel said the strike would last two days."),
    Article(id="comet", title="Comet seen over valley", source="Sky Weekly", published_at="2023-10-03",
            text="A bright comet was seen over the valley. Astronomer Cleo Marsh photographed the comet at midnight."),
]


@pytest.fixture
def pipe(fake_settings):
    s = fake_settings.replace(k=2, candidates=10, min_score=0.0)
    emb = HashEmbedder()
    update_index(s.index_dir, ARTICLES, emb, s)
    return Pipeline(emb, load_index(s.index_dir, emb.name), ScriptedGenerator("Model text [1]."), s)


def parts_and_answer(pipe, q):
    parts = list(pipe.stream(q))
    return "".join(parts[:-1]), parts[-1]


def test_every_claim_supported_is_yes_with_each_verdict_cited(pipe):
    shown, a = parts_and_answer(pipe, "Does the Coast Daily article say the harbour ferry crews went on strike, "
                                      "while the Sky Weekly article says a bright comet was seen over the valley?")
    assert isinstance(a, Answer) and shown == a.text  # what streamed is the final answer
    assert a.text.startswith("Yes. Coast Daily [1]: supported; Sky Weekly [2]: supported")
    assert [c.verdict for c in a.claims] == ["supported", "supported"]
    assert [c.article_id for c in a.claims] == ["harbour", "comet"]
    assert [c.article_id for c in a.citations] == ["harbour", "comet"] and pipe.generator.prompts == []
    assert a.to_dict()["claims"][0]["citation"] == 1 and a.to_dict()["reason"] is None


def test_a_claim_the_named_outlet_does_not_hold_is_no(pipe):
    _, a = parts_and_answer(pipe, "Does the Coast Daily article say a bright comet was seen over the valley, "
                                  "while the Sky Weekly article says Cleo Marsh photographed the comet at midnight?")
    # the claim not found cites nothing: the passage searched does not support it
    assert a.text.startswith("No. Coast Daily: not found; Sky Weekly [1]: supported")
    assert [c.article_id for c in a.citations] == ["comet"] and a.claims[0].citation is None
    if a.claims[0].hit is not None:  # the passage it was checked against is still among the hits
        assert a.claims[0].hit.chunk.id in [h.chunk.id for h in a.hits[:2]]


def test_order_in_time_is_read_from_the_publication_dates(pipe):
    _, a = parts_and_answer(pipe, "Did the Farm News report say the orchard apples harvest began early before the "
                                  "Sky Weekly report said a bright comet was seen over the valley?")
    assert a.text.startswith("Yes.") and "2023-10-01" in a.text and "before" in a.text
    _, b = parts_and_answer(pipe, "Did the Sky Weekly report say a bright comet was seen over the valley before "
                                  "the Farm News report said the orchard apples harvest began early?")
    assert b.text.startswith("No.") and "after" in b.text


def test_a_declined_question_streams_its_reason_and_keeps_the_closest_passages(pipe):
    shown, a = parts_and_answer(pipe, "Did the Bloomberg article say the ferry crews went on strike?")
    assert a.abstained and a.reason == "unknown_publication" and shown == a.text
    assert a.text == "I can't answer that from the articles: the index has no articles from Bloomberg." and a.hits


def test_claim_filter_and_core():
    f = claim_filter(Claim("x", ("Coast Daily",), ("2023-10-02",)), ["Coast Daily", "Sky Weekly"])
    assert f(ARTICLE_CHUNK("Coast Daily", "2023-10-02T08:00:00")) and not f(ARTICLE_CHUNK("Sky Weekly", "2023-10-02"))
    assert claim_filter(Claim("x"), ["Coast Daily"]) is None
    assert core("Does the 'Coast Daily' article suggest that crews went on strike", ["Coast Daily"]) == \
        "crews went on strike"


def test_a_claim_bounded_in_time_is_searched_within_its_period():
    from rag.question import analyse

    q = analyse("Has the Coast Daily's coverage of the ferry strike, as reported after October 4, 2023, "
                "and before November 1, 2023, remained consistent?")
    assert q.claims[0].bounds == (("after", "2023-10-04"), ("before", "2023-11-01"))
    f = claim_filter(q.claims[0], ["Coast Daily"])
    # inclusive: a publication day depends on the time zone it is read in
    assert f(ARTICLE_CHUNK("Coast Daily", "2023-10-04T23:00:00")) and f(ARTICLE_CHUNK("Coast Daily", "2023-11-01"))
    assert not f(ARTICLE_CHUNK("Coast Daily", "2023-11-06")) and not f(ARTICLE_CHUNK("Coast Daily", "2023-09-30"))
    assert not f(ARTICLE_CHUNK("Coast Daily", None))  # an undated article cannot be placed in the period
    other = analyse("Did the Coast Daily report published on a date other than May 2, 2024 and the Sky Weekly "
                    "report agree on the strike?").claims
    assert other[0].bounds == (("not", "2024-05-02"),) and other[1].bounds == ()
    g = claim_filter(other[0], ["Coast Daily", "Sky Weekly"])
    assert g(ARTICLE_CHUNK("Coast Daily", "2024-05-03")) and not g(ARTICLE_CHUNK("Coast Daily", "2024-05-02"))


def ARTICLE_CHUNK(source, date):
    from rag.types import Chunk

    return Chunk(id="c", article_id="a", position=0, text="t", start=0, end=1, source=source, published_at=date)


def test_agreement_questions_answer_with_the_question_own_words():
    q = analyse("Did the Coast Daily report show a consistent or inconsistent portrayal compared to the Sky Weekly report?")
    v = [ClaimVerdict("a", "supported", "Coast Daily"), ClaimVerdict("b", "supported", "Sky Weekly")]
    assert decide(q, v).word == "Consistent"
    assert decide(q, [v[0], ClaimVerdict("b", "not_found")]).word == "Inconsistent"
    # "did it change?" naming no content of either report: nothing shows a difference
    q2 = analyse("Has the portrayal changed between the Coast Daily report and the Sky Weekly report?")
    assert decide(q2, v).word == "No" and decide(q2, [v[0], ClaimVerdict("b", "not_found")]).word == "No"
    # "A, or B?" with one article named: answered with the alternative, not "Yes"
    q3 = analyse("Does the Coast Daily article indicate that the council consistently raised fares, or does it "
                 "suggest different reasons for each rise?")
    assert decide(q3, [v[0]]).word == "Consistently raised"
    assert decide(q3, [ClaimVerdict("a", "not_found")]).word == "Different reasons"


def test_a_difference_is_shown_by_each_report_saying_what_the_question_says_it_does():
    q = analyse("Does the Coast Daily article report a rise in ferry fares, while the Sky Weekly article suggests a "
                "different picture with fares cut for pensioners?")
    assert q.agreement == "different" and len(q.claims) == 2
    v = [ClaimVerdict("a", "supported", "Coast Daily"), ClaimVerdict("b", "supported", "Sky Weekly")]
    d = decide(q, v)
    assert d.word == "Yes" and d.why == "each report says what the question says it does: they differ"
    d = decide(q, [v[0], ClaimVerdict("b", "not_found")])  # a claim not found shows no difference
    assert d.word == "No" and d.why == "not every claim is supported"


def test_a_contradiction_needs_a_claim_found_contradicted():
    q = analyse("Was the Coast Daily report on the ferry fares inconsistent with the Sky Weekly report on the "
                "fares for pensioners?")
    assert q.agreement == "contradicts"
    v = [ClaimVerdict("a", "supported", "Coast Daily"), ClaimVerdict("b", "supported", "Sky Weekly")]
    assert decide(q, v).word == "No" and "contradicted" in decide(q, v).why
    assert decide(q, [v[0], ClaimVerdict("b", "contradicted", "Sky Weekly")]).word == "Yes"
    assert decide(q, v[:1]).word == "No"  # one claim found: still no contradiction
    assert analyse("Was there no inconsistency between the Coast Daily report and the Sky Weekly report?").agreement \
        == "same"


def test_a_claim_is_supported_by_any_of_its_best_passages_and_cites_the_one_naming_what_it_names():
    from rag.claims import check_claim
    from rag.types import Chunk, Hit

    def chunk(aid, text):
        return Chunk(id=f"{aid}#0", article_id=aid, position=0, text=text, start=0, end=len(text), source="Coast Daily")

    texts = {"a1": "Ferry crews went on strike over pay in the harbour.",  # closest, but names no Marta Ruiz
             "a2": "Ferry crews led by Marta Ruiz went on strike over pay.",
             "a3": "Weather was mild."}
    hits = [Hit(chunk("a1", texts["a1"]), 0.62, 1), Hit(chunk("a2", texts["a2"]), 0.55, 2),
            Hit(chunk("a3", texts["a3"]), 0.70, 3)]
    seen = []

    def search(text, where, k):
        seen.append(k)
        return hits[:k]

    c = Claim("Does the Coast Daily article say that Marta Ruiz led ferry crews striking over pay", ("Coast Daily",))
    v = check_claim(c, search, ["Coast Daily"], texts.__getitem__)
    assert seen == [4] and v.verdict == "supported" and v.article_id == "a2"
    # stems: "striking" is held by "strike"
    assert v.coverage == 1.0
    c2 = Claim("Does the Coast Daily article say that the weather turned stormy and cold", ("Coast Daily",))
    assert check_claim(c2, search, ["Coast Daily"], texts.__getitem__).verdict == "not_found"


def test_among_passages_that_support_a_claim_the_one_whose_sentence_says_it_is_cited():
    from rag.claims import check_claim
    from rag.types import Chunk, Hit
    from tests.fakes import HashEmbedder

    def chunk(aid, text):
        return Chunk(id=f"{aid}#0", article_id=aid, position=0, text=text, start=0, end=len(text), source="Coast Daily")

    # both articles hold the claim's words, so both pass; only a2 has a sentence that says it
    texts = {"a1": "Ferry crews met on pay. A strike in the harbour was ruled out. Marta Ruiz spoke.",
             "a2": "Ferry crews led by Marta Ruiz went on strike over pay in the harbour. Talks resume."}
    hits = [Hit(chunk("a1", texts["a1"]), 0.70, 1), Hit(chunk("a2", texts["a2"]), 0.60, 2)]
    c = Claim("Does the Coast Daily article say that Marta Ruiz led ferry crews on strike over pay in the harbour",
              ("Coast Daily",))
    search = lambda text, where, k: hits[:k]  # noqa: E731
    plain = check_claim(c, search, ["Coast Daily"], texts.__getitem__)
    chosen = check_claim(c, search, ["Coast Daily"], texts.__getitem__, HashEmbedder())
    assert plain.verdict == chosen.verdict == "supported"
    assert plain.article_id == "a1"  # without an embedder: the closer passage
    assert chosen.article_id == "a2" and chosen.sentence.startswith("Ferry crews led by Marta Ruiz")


def test_cli_shows_claims_and_the_closest_material_of_a_decline(pipe):
    from rag.terminal import format_sources

    a = pipe.answer("Does the Coast Daily article say the harbour ferry crews went on strike?")
    out = format_sources(a)
    assert "Claims checked:" in out and "[1] supported:" in out
    d = pipe.answer("Did the Bloomberg article say the ferry crews went on strike?")
    assert "Declined (unknown_publication). Closest material found:" in format_sources(d)


def test_a_quoted_sentence_gets_its_marker_before_one_closing_mark():
    from rag.answering import _with_marker

    assert _with_marker("It was up to Ukraine to decide. .", 1) == "It was up to Ukraine to decide [1]."
    assert _with_marker("Was it? ", 2) == "Was it [2]?"
    assert _with_marker("“We will not allow it,” she said", 1) == "“We will not allow it,” she said [1]"
