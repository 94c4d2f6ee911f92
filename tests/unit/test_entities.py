"""Entity candidates: the question's answer type, names from hand-written passages, the chooser."""
import pytest

from rag.entities import Candidate, answer_type, choose, choose_with_llm, entity_candidates
from rag.types import Chunk, Hit

from ..fakes import ScriptedGenerator


def hits_of(*specs):
    """specs: (article_id, source, text) per passage, in rank order."""
    return [Hit(Chunk(f"{a}#{i}", a, i, t, 0, len(t), title=f"T {a}", source=s), 0.5, i + 1)
            for i, (a, s, t) in enumerate(specs)]


@pytest.mark.parametrize("question, kind", [
    ("Which company, according to TechCrunch, paid billions to be the default search engine?", "organisation"),
    ("Which global cryptocurrency exchange withdrew assets from FTX?", "organisation"),
    ("What team lost to Argentina in Christchurch?", "organisation"),
    ("What is the name of the AI startup that built the chatbot?", "organisation"),
    ("Who is the individual accused of fraud?", "person"),
    ("Who led the US delegation at the Geneva talks?", "person"),
    ("Which individual was named Person of the Year?", "person"),
    ("Which country did Russia send troops to?", "place"),
    ("Where will the summit be held?", "place"),
    ("When did the trial begin?", "date"),
    ("In what year was the company founded?", "date"),
    ("How much will the bridge cost?", "amount"),
    ("How many vehicles were recalled?", "amount"),
    ("Which smartphone did the company release in September?", "product"),
    ("Which tournament did the team win?", "event"),
    ("According to the Reuters report, which bank raised rates?", "organisation"),
    ("Which pop star thanked her fans?", "person"),
    ("What type of establishments adjust betting lines?", "organisation"),
    ("After the Guardian reported the injury, who replaced him in the squad?", "person"),
])
def test_answer_type_from_wh_word_and_head_noun(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("question", [
    "Does the TechCrunch article report a loss, while The Verge reports a gain?",
    "Did the price rise after the October 3, 2023 report?",
    "Is Google the default search engine?",
    "What did Sherman say about NATO?",  # asks for a statement, not a name
    "After Reuters reported the merger on May 2, did the Verge report that the deal was dropped?",
    "Between the two reports, is what they say about the time when he joined the club consistent?",
])
def test_answer_type_none_for_yes_no_and_open_questions(question):
    assert answer_type(question) is None


def test_candidates_fit_the_type_and_skip_names_in_the_question():
    hits = hits_of(
        ("a", "TechCrunch", "Sam Bankman-Fried, the founder of FTX, was charged with fraud. "
                            "Prosecutors say Bankman-Fried used customer funds at Alameda Research."),
        ("b", "Fortune", "The trial of Sam Bankman-Fried began in New York. Caroline Ellison testified "
                         "that he directed the fraud."),
    )
    q = "Who is the individual charged with fraud over FTX customer funds?"
    cands = entity_candidates(q, hits, answer_type(q))
    assert cands[0].text == "Sam Bankman-Fried"
    assert cands[0].label == "PERSON"
    assert cands[0].articles == 2 and set(cands[0].sources) == {"TechCrunch", "Fortune"}
    assert set(cands[0].support) == {"a#0", "b#1"}
    assert cands[0].mentions == 3  # the surname alone counts for the full name
    names = {c.text for c in cands}
    assert "FTX" not in names and "New York" not in names  # named in the question / not a person
    assert all(c.label == "PERSON" for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)


def test_support_across_articles_beats_one_passage():
    hits = hits_of(
        ("a", "The Verge", "Google paid Apple billions to remain the default search engine on iPhones."),
        ("b", "TechCrunch", "Regulators say Google spends billions each year on default search engine deals."),
        ("c", "The Age", "Microsoft said its Bing search engine could not compete with Google."),
    )
    q = "Which company spent billions to remain the default search engine on devices?"
    cands = entity_candidates(q, hits, answer_type(q))
    assert cands[0].text == "Google" and cands[0].articles == 3


def test_amounts_for_how_much_questions():
    hits = hits_of(("a", "Harbor Gazette", "The council approved the new bridge. It will cost $340 million and "
                                           "open in 2027, officials said."))
    cands = entity_candidates("How much will the new bridge cost?", hits, "amount")
    assert cands and cands[0].text == "$340 million"
    assert "cost $340 million" in cands[0].sentence


def test_no_hits_no_candidates():
    assert entity_candidates("Who won?", [], "person") == []


def cand(text, score):
    return Candidate(text=text, label="ORG", score=score, support=("a#0",), sentence=f"{text} did it.")


def test_choose_with_llm_constrains_the_reply_to_the_candidates():
    gen = ScriptedGenerator("Binance is the largest exchange.")
    cands = [cand("Coinbase", 2.0), cand("Binance", 1.9), cand("Kraken", 1.0)]
    got = choose_with_llm("Which exchange is the largest?", cands, gen)
    assert got.text == "Binance"
    assert gen.opening_words == ("Coinbase", "Binance", "Kraken")
    prompt = gen.prompts[0][-1]["content"]
    assert "Coinbase; Binance; Kraken" in prompt and "Binance did it." in prompt


def test_choose_with_llm_prefers_the_longest_name_the_reply_opens_with():
    gen = ScriptedGenerator("Sam Altman")
    got = choose_with_llm("Who?", [cand("Sam", 1.0), cand("Sam Altman", 0.9)], gen)
    assert got.text == "Sam Altman"


def test_choose_falls_back_to_the_best_score():
    gen = ScriptedGenerator("I am not sure.")
    cands = [cand("Coinbase", 2.0), cand("Binance", 1.9)]
    assert choose_with_llm("Which exchange?", cands, gen).text == "Coinbase"
    assert choose("Which exchange?", cands).text == "Coinbase"
    assert choose("Which exchange?", []) is None


def test_importing_the_module_does_not_load_spacy():
    import subprocess
    import sys

    code = "import sys, rag.entities; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_tie_goes_to_the_mention_nearer_the_questions_own_words_and_amounts_keep_their_currency():
    hits = hits_of(("a", "Test News", "Porto's historic tram line 22 reopened on Monday after four months of "
                    "track repairs costing 3.2 million euros, the city transport company said."))
    best = entity_candidates("How much did the Porto tram repairs cost?", hits, "amount")[0]
    assert best.text == "3.2 million euros"  # not line "22", which sits as near the names


def test_a_name_the_recogniser_cut_in_two_is_one_person():
    from rag.entities import _join_split_names

    text = "organiser Marta Quintela said, and in Paris Emmanuel Macron spoke; DEF Chris"
    ents = [("Marta", "GPE", 10, 15), ("Quintela", "PERSON", 16, 24), ("Paris", "GPE", 38, 43),
            ("Emmanuel Macron", "PERSON", 44, 59), ("DEF", "ORG", 67, 70), ("Chris", "PERSON", 71, 76)]
    assert [e[:2] for e in _join_split_names(text, ents)] == [
        ("Marta Quintela", "PERSON"), ("Paris", "GPE"), ("Emmanuel Macron", "PERSON"), ("DEF", "ORG"),
        ("Chris", "PERSON")]  # an acronym is no given name


def test_a_name_right_after_the_noun_asked_for_is_a_candidate_the_recogniser_missed():
    from rag.answer_types import head_noun

    assert head_noun("Which association reported the cork harvest?") == "association"
    hits = hits_of(("a", "Test News", "Cork producers in the Alentejo harvested 18 percent less bark this summer, "
                    "the cork growers' association APCOR reported."))
    best = entity_candidates("Which association reported the cork harvest?", hits, "organisation")[0]
    assert best.text == "APCOR"


def test_what_time_asks_for_a_clock_time_before_a_day():
    hits = hits_of(("a", "Test News", "Madeira's airport will allow landings until midnight from March, after new "
                    "runway lights were installed."))
    best = entity_candidates("Until what time will Madeira's airport allow landings?", hits, "date")[0]
    assert best.text == "midnight"


def test_a_name_does_not_end_with_the_function_words_a_recogniser_left_on_it():
    text = ("The Harbor City Central Library will reopen on May 18 after a two-year renovation, library director "
            "Helen Cho announced on Thursday.")
    dates = [c.text for c in entity_candidates("When will the library reopen?", hits_of(("a1", "Gazette", text)), "date")]
    assert "May 18" in dates and not any(d.endswith((" after a", " a", " after")) for d in dates)


def test_a_quote_is_the_speaker_s_own_not_a_sentence_that_names_them():
    from rag.answering import quotes_of

    text = ("Ms Sherman said concrete dialogue was impossible while Russia had an army near Ukraine. "
            "Russia warned again that there would be a backlash if its demands were not met. "
            "Deputy Secretary Wendy Sherman, who met Russia's envoy, said the US would not give way. "
            "According to Ryabkov, the talks were useful. "
            "“The US and Russia have opposite views,” a diplomat said.")
    assert quotes_of("Russia", text) == ["Russia warned again that there would be a backlash if its demands were not met."]
    assert quotes_of("Wendy Sherman", text) == [
        "Ms Sherman said concrete dialogue was impossible while Russia had an army near Ukraine.",
        "Deputy Secretary Wendy Sherman, who met Russia's envoy, said the US would not give way."]
    assert quotes_of("Sergei Ryabkov", text) == ["According to Ryabkov, the talks were useful."]
