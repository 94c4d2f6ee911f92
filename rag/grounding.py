"""Grounding check: the names and numbers of an answer sentence must occur in a passage it cites.

A small model misreads numbers ("$19,000" for "$19 million"), gives a quote to the wrong person,
and cites the photo caption. Each sentence of an answer is checked: when its cited passage holds
every name and number in it, it stays; when another retrieved passage does, the citation is moved
there; otherwise the sentence is dropped.
"""
from __future__ import annotations

import re
from typing import Sequence

from .text import MARKER, answer_sentences, content_words, markers, stem
from .types import Hit

_MARKER = re.compile(r"\s*" + MARKER.pattern)  # a marker with the space before it
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAP = re.compile(r"\b[A-Z][\w'’-]*[\w]")
# Capitalised words that are not names (sentence openers, verdicts, pronouns, months are names).
_COMMON = frozenset(
    "the a an yes no it its this that these those he she they his her their there here in on at by for "
    "of to and but or according as after before while when which who what however also both".split()
)


def facts(sentence: str) -> tuple[set[str], set[str]]:
    """(names, numbers) of a sentence: capitalised words (not a sentence's common opener) and
    numbers without thousands separators."""
    plain = _MARKER.sub(" ", sentence)
    names = {re.sub(r"['’]s?$", "", m.group(0).lower()) for m in _CAP.finditer(plain)}
    names = {n for n in names if n and n not in _COMMON}
    numbers = {m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(plain)}
    return names, numbers


def holds(passage: str, names: set[str], numbers: set[str]) -> bool:
    text = passage.lower()
    flat = re.sub(r"(?<=\d),(?=\d)", "", text)
    words = set(re.findall(r"[\w'’-]+", text))
    return all(n in words or n in text for n in names) and all(
        re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", flat) for x in numbers)


def ground_sentence(sentence: str, hits: Sequence[Hit], question: str = "") -> str | None:
    """The sentence with a citation that holds its names and numbers, or None to drop it. With the
    `question`, the passage must also hold most of what the sentence adds to it (`_holds_most`)."""
    names, numbers = facts(sentence)
    added = _added_words(sentence, question) if question else set()
    if not names and not numbers and not added:
        return sentence

    def supports(passage: str) -> bool:
        return holds(passage, names, numbers) and _holds_most(passage, added)

    valid = [n for n in markers(sentence) if 1 <= n <= len(hits)]
    for n in valid:
        if supports(hits[n - 1].chunk.text):
            return restore_titles(sentence, hits[n - 1].chunk.text)
    # No marker, or the cited passage lacks them: another passage that holds them takes the citation.
    for i, h in enumerate(hits, start=1):
        if supports(h.chunk.text):
            bare = _MARKER.sub("", sentence).rstrip()
            end = bare[-1] if bare and bare[-1] in ".!?" else ""
            return restore_titles(f"{bare[:-1] if end else bare} [{i}]{end}", h.chunk.text)
    return None


# A sentence that adds this many words of its own to the question must find at least this share of
# them in its passage: "... would continue after it imposed sanctions on the country's eastern
# neighbor" adds five words, of which the passage holds one.
MIN_ADDED = 3
ADDED_HELD = 0.5


def _added_words(sentence: str, question: str) -> set[str]:
    """Stems of the sentence's content words that the question does not already have."""
    asked = {stem(w) for w in content_words(question)}
    return {stem(w) for w in content_words(_MARKER.sub(" ", sentence))} - asked - _FILLER


def _holds_most(passage: str, added: set[str]) -> bool:
    if len(added) < MIN_ADDED:
        return True
    held = {stem(w) for w in content_words(passage)}
    return len(added & held) / len(added) >= ADDED_HELD


# Words a reply uses to talk about the articles, not about the news.
_FILLER = frozenset(stem(w) for w in "article articles passage passages says said report reports reported "
                    "mentions mentioned according answer question states stated".split())


_TOKEN = r"[A-Z][\w'’.-]*"
_RUN = re.compile(rf"{_TOKEN}(?:\s+(?:(?:of|the|for|and)\s+)?{_TOKEN})+")
_QUALIFIER = re.compile(rf"((?:{_TOKEN}\s+)+)$")


def restore_titles(sentence: str, passage: str) -> str:
    """A title the model shortened is given back whole: "the US Secretary of State Wendy Sherman"
    becomes "the Deputy US Secretary of State Wendy Sherman" when the passage only ever writes the
    name with "Deputy" before it. Only a run of three or more capitalised words (a title with a
    name) is mended, and only with capitalised words that precede every occurrence in the passage."""
    for m in list(_RUN.finditer(_MARKER.sub(" ", sentence))):
        run = m.group(0)
        if len(run.split()) < 3:
            continue
        before = [_QUALIFIER.search(passage[:o.start()]) for o in re.finditer(re.escape(run), passage)]
        if not before or not all(before):
            continue
        if len({b.group(1) for b in before}) != 1:  # the same words before every occurrence
            continue
        words = before[0].group(1).split()
        while words and words[0].lower() in _COMMON:
            words = words[1:]
        whole = " ".join(words) + " " + run
        if words and whole not in sentence:
            sentence = sentence.replace(run, whole, 1)
    return sentence


def ground(text: str, hits: Sequence[Hit]) -> str:
    """Keep the sentences whose names and numbers a cited passage holds ("" when none is)."""
    kept = [g for s in answer_sentences(text) if (g := ground_sentence(s, hits)) is not None]
    return " ".join(kept)
