"""Paraphrase check: a sentence the model writes must say what a sentence of the passages says.

The grounding check (rag.grounding) keeps a sentence whose names and numbers are in a passage,
but a small model reuses the passage's names in a claim of its own: "Russia wants to join NATO,
but the US is not ready [4]" names only what the passage names. So each written sentence is
also compared, by the embedder, with every sentence of the retrieved passages:

- close to one (cosine >= PARAPHRASE_SIM): a rewording of it, kept, cited to that passage;
- otherwise the model pointed at something it did not say right: the passage sentence it is
  closest to is quoted instead, when that sentence is on the question's point (it shares a word
  with the question and is among the QUOTE_RANK passage sentences closest to the question);
  else the written sentence is dropped.

The model thus chooses and phrases; what it states comes from the articles. The thresholds are
fitted by reading answers (docs/answering.md); the passages' sentences are embedded once per
answer and shared with the evidence selection (rag.evidence.focus).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .embedding import Embedder
from .text import MARKER, content_words, in_quotes, quotable, split_sentences, stem
from .types import Hit

PARAPHRASE_SIM = 0.75  # cosine at or above which a written sentence rewords a passage sentence
QUOTE_SIM = 0.45  # below this the written sentence points at no passage sentence at all
QUOTE_RANK = 3  # a quoted sentence is among this many passage sentences closest to the question
MIN_SHARED = 1  # content words (stems) a quoted sentence shares with the question
MIN_QUOTE_WORDS = 6  # shorter "sentences" are headlines and list items, not statements


def _statement(text: str) -> bool:
    """A sentence fit to quote as an answer: not a question, not a headline-length fragment."""
    return len(text.split()) >= MIN_QUOTE_WORDS and not text.rstrip("”\"' ").endswith("?")


@dataclass(frozen=True)
class Closest:
    hit: int  # 0-based index of the passage in the answer's hits
    sentence: str
    similarity: float
    question_rank: int = 1  # 1 = the passage sentence closest to the question (1 when no question)


class SentenceBank:
    """The sentences of an answer's passages and their embeddings (one embedder call)."""

    def __init__(self, hits: Sequence[Hit], embedder: Embedder, query_vec: np.ndarray | None = None):
        self.hits = list(hits)
        self.embedder = embedder
        self.spans = [split_sentences(h.chunk.text) for h in self.hits]
        self.owner = [i for i, sp in enumerate(self.spans) for _ in sp]
        self.sentences = [h.chunk.text[s:e] for h, sp in zip(self.hits, self.spans) for s, e in sp]
        self.vectors = (embedder.embed_documents(self.sentences) if self.sentences
                        else np.zeros((0, 1), np.float32))
        # each sentence's rank by similarity to the question (1 = closest)
        self.question_ranks = np.ones(len(self.sentences), int)
        if query_vec is not None and self.sentences:
            order = np.argsort(-(self.vectors @ np.asarray(query_vec, np.float32)), kind="stable")
            self.question_ranks[order] = np.arange(1, len(order) + 1)

    def closest(self, text: str) -> Closest | None:
        """The passage sentence nearest in meaning to `text` (its [n] markers ignored)."""
        if not self.sentences:
            return None
        vec = self.embedder.embed_documents([" ".join(MARKER.sub(" ", text).split())])[0]
        scores = self.vectors @ vec
        i = int(np.argmax(scores))
        return Closest(self.owner[i], self.sentences[i], float(scores[i]), int(self.question_ranks[i]))


def check_paraphrase(sentence: str, grounded: str | None, bank: SentenceBank, question: str,
                     quoted: set[str] | None) -> str | None:
    """What to show for a sentence the model wrote: `grounded` (the grounding check's version,
    None when it failed) when it rewords a passage sentence, else a quote of the passage
    sentence it points at, else None. `quoted` holds the sentences already quoted (no repeats);
    None: no quote replaces a sentence (an answer whose entity lead already quotes its support)."""
    near = bank.closest(sentence)
    if near is None:
        return grounded
    if grounded is not None and near.similarity >= PARAPHRASE_SIM:
        return grounded
    text = quotable(near.sentence)
    if quoted is None or not _statement(text):
        return None
    words = {stem(w) for w in content_words(question)}
    need = min(MIN_SHARED, len(words))
    shared = words & {stem(w) for w in content_words(text)}
    if near.similarity < QUOTE_SIM or near.question_rank > QUOTE_RANK or not text or text in quoted \
            or len(shared) < need:
        return None
    quoted.add(text)
    shown = re.sub(r"[\s.]+(?=[’”]*$)", "", in_quotes(text))  # its full stop goes after the marker
    return f"{shown} [{near.hit + 1}]."
