"""Follow-up rewriting. CASES are the hand-made follow-ups over the seed article that the
rules and the 135M LLM were measured on (see rag/followup.py): each has the conversation so
far, the follow-up, the passage text that answers it, and what the rules search for."""
from __future__ import annotations

import pytest

from rag.followup import Turn, is_follow_up, names, rewrite_rules, standalone_query

CASES = [
    ([Turn("Who is Sergei Ryabkov?", "Sergei Ryabkov is Russia's Deputy Foreign Minister [1].")],
     "What did he say about NATO?", "stop expanding east", "What did Sergei Ryabkov say about NATO?"),
    ([Turn("Who led the US delegation at the Geneva talks?",
           "Deputy Secretary of State Wendy Sherman led the US delegation [1].")],
     "What did she say about sanctions?", "tougher economic sanctions",
     "What did Wendy Sherman say about sanctions?"),
    ([Turn("What did Ryabkov say about the military exercises?",
           "He said the exercises along the border with Ukraine would continue [1].")],
     "Did he say Russia would attack Ukraine?", "no intention of attacking",
     "Did Ryabkov say Russia would attack Ukraine?"),
    ([Turn("What did Sherman say about Kazakhstan?", "Ms Sherman said Kazakhstan was not discussed in Monday's talks [1].")],
     "Why were troops sent there?", "thousands of troops to Kazakhstan", "Why were troops sent to Kazakhstan?"),
    ([Turn("What will Canada do?", "Canada will join any new sanctions imposed against Moscow [1].")],
     "How many military trainers does it have in Ukraine?", "200 Canadian military trainers",
     "How many military trainers does Canada have in Ukraine?"),
    ([Turn("How often has NATO expanded?", "NATO expanded five times after the end of the Cold War [1].")],
     "How many members does it have now?", "current size of 30", "How many members does NATO have now?"),
    ([Turn("What happened in Crimea in 2014?", "Russia sent troops to occupy the Crimean peninsula [1].")],
     "How many people has the war killed?", "13,000", "How many people has the war killed?"),
    ([Turn("What is Vladimir Putin's position on Ukraine?",
           "President Vladimir Putin called NATO's presence in Ukraine a red line [1].")],
     "What did he compare it to?", "Cuban missile crisis", "What did Vladimir Putin compare NATO to?"),
    ([Turn("What did Sherman tell Ryabkov about NATO expansion?",
           "She told him it was up to Ukraine to decide which alliances to join [1].")],
     "And what did she ask Moscow to do with its soldiers?", "Return the soldiers to the barracks",
     "And what did Sherman ask Moscow to do with its soldiers?"),
    ([Turn("Who led the US delegation at the Geneva talks?", "Wendy Sherman led the US delegation [1]."),
      Turn("What did she say about NATO?", "She said no outside country can decide who joins NATO [1].",
           "What did Wendy Sherman say about NATO?")],
     "What reciprocal steps did she mention?", "reciprocal", "What reciprocal steps did Wendy Sherman mention?"),
]


@pytest.mark.parametrize("history, question, gold, expected", CASES, ids=[c[1] for c in CASES])
def test_rules_rewrite_the_measured_cases(history, question, gold, expected):
    assert rewrite_rules(question, history) == expected


def test_the_gold_passages_are_in_the_seed_article():
    from tests.conftest import SEED_FILE

    text = " ".join(SEED_FILE.read_text(encoding="utf-8").split()).replace("’", "'")
    for _, _, gold, _ in CASES:
        assert gold in text


def test_a_standalone_question_is_searched_for_as_typed():
    history = [Turn("Who is Sergei Ryabkov?", "Russia's Deputy Foreign Minister [1].")]
    assert standalone_query("Who is Wendy Sherman?", history) == "Who is Wendy Sherman?"
    assert standalone_query("What did he say about NATO?", []) == "What did he say about NATO?"


def test_unresolved_follow_up_carries_the_previous_search():
    history = [Turn("What did the US and Russia discuss in Geneva?", "Security in Europe [1].")]
    assert rewrite_rules("What did they agree on?", history) == (
        "What did they agree on? (following: What did the US and Russia discuss in Geneva?)")
    assert rewrite_rules("And Canada?", history).startswith("And Canada? (following: ")


def test_the_latest_person_wins_and_short_names_expand():
    history = [
        Turn("Who led the US delegation?", "Wendy Sherman led it [1]."),
        Turn("Who is Sergei Ryabkov?", "Russia's Deputy Foreign Minister [1]."),
        Turn("What did Ryabkov say?", "Ryabkov said exercises would continue [1]."),
    ]
    assert rewrite_rules("Did he mention Britain?", history) == "Did Sergei Ryabkov mention Britain?"


def test_possessive_pronouns():
    history = [Turn("Who is Wendy Sherman?", "Wendy Sherman is the US Deputy Secretary of State [1].")]
    assert rewrite_rules("What was her position on NATO?", history) == "What was Wendy Sherman's position on NATO?"
    assert rewrite_rules("Who told her about it?", history).startswith("Who told Wendy Sherman about")


def test_names_and_follow_up_detection():
    found = names("Deputy US Secretary of State Wendy Sherman met Mr Ryabkov and NATO officials.")
    assert ("Wendy Sherman", True) in [(n.text, n.person) for n in found]
    assert ("Ryabkov", True) in [(n.text, n.person) for n in found]
    assert ("NATO", False) in [(n.text, n.person) for n in found]
    assert is_follow_up("What did he say?") and is_follow_up("Why?") and is_follow_up("And Britain?")
    assert not is_follow_up("Who led the US delegation at the Geneva talks?")


def measure() -> None:
    """The measurement in rag/followup.py, with the real models: `python -m tests.unit.test_followup`."""
    import statistics
    import time

    from rag.pipeline import get_pipeline

    pipe = get_pipeline()
    methods = {"typed": lambda q, h: q, "rules": rewrite_rules}
    for name, fn in methods.items():
        ranks, secs = [], []
        for history, question, gold, _ in CASES:
            t = time.perf_counter()
            query = fn(question, history)
            secs.append(time.perf_counter() - t)
            hits = pipe.retrieve(query, 5)
            ranks.append(next((h.rank for h in hits if gold in h.chunk.text.replace("’", "'")), None))
            print(f"  {name:5s} {query!r} -> rank {ranks[-1]}")
        n = len(ranks)
        print(f"{name:5s} MRR {sum(1 / r for r in ranks if r) / n:.2f}  top-1 {sum(r == 1 for r in ranks)}/{n}  "
              f"top-3 {sum(bool(r) and r <= 3 for r in ranks)}/{n}  top-5 {sum(bool(r) for r in ranks)}/{n}  "
              f"{statistics.mean(secs):.3f} s mean, {max(secs):.3f} s worst")


if __name__ == "__main__":
    measure()


def test_an_existential_there_is_no_place_to_resolve():
    from rag.followup import Turn, is_follow_up, rewrite_rules

    history = [Turn("Where were the talks held?", "The talks were held in Geneva [1].")]
    for q in ("Was there a change in the US position after the talks?", "Is there a deal on Ukraine?",
              "Will there be more talks with Russia?"):
        assert not is_follow_up(q) and rewrite_rules(q, history) == q
    assert rewrite_rules("Who else was there?", history) == "Who else was in Geneva?"  # a place: resolved
    assert rewrite_rules("What happened there?", history) == "What happened in Geneva?"
