"""The pipeline wires the three seams: embedder + index -> retrieval -> prompt -> LLM -> Answer.

    pipe = Pipeline.from_settings()          # real models, index/default/ (built from seeds/ if missing)
    for part in pipe.stream("Who led the US delegation?"):
        ...                                  # str pieces as generated, then the final Answer
    answer("question")                       # module-level: one cached pipeline per index
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from . import indexing
from .answering import answer_claims, answer_speaker
from .coverage import Coverage, Decline
from . import embedding as embedding_mod
from .embedding import Embedder
from .followup import HISTORY_TURNS, Turn, standalone_query
from .errors import QuestionError, SettingsError
from .generation import Generator, make_generator
from .grounding import ground_sentence
from .model_answer import answer_with_model
from .prompting import build_messages, prompt_tokens
from .prompts import strip_special_tokens
from .question import analyse
from .retrieval import Retriever
from .settings import Settings
from .text import ABSTAIN_TEXT, answer_sentences, content_words
from .types import Answer, Article, Hit, Rejection, Retrieved, Timings

# The answering checks, each switchable for ablations (RAG_CHECKS="declines,grounding"; "" = none,
# the model answers everything as it did before them).
CHECKS = ("declines", "claims", "entities", "attribution", "grounding")


def checks_from_env() -> frozenset[str]:
    raw = os.environ.get("RAG_CHECKS")
    if raw is None:
        return frozenset(CHECKS)
    chosen = frozenset(c.strip() for c in raw.split(",") if c.strip())
    unknown = chosen - set(CHECKS)
    if unknown:
        raise SettingsError(f"RAG_CHECKS names unknown check(s) {', '.join(sorted(unknown))}: use {', '.join(CHECKS)}")
    return chosen


def words_held(question: str, hits: Sequence[Hit]) -> bool:
    """One retrieved passage holds every content word of the question (its names and its point):
    lexical evidence that a low dense score (a small embedder blurs names) must not overrule."""
    words = content_words(question)
    return bool(words) and any(words <= content_words(f"{h.chunk.title} {h.chunk.text}") for h in hits)


def check_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: type a question about the articles")
    q = " ".join(question.split())
    if len(q) > max_chars:
        raise QuestionError(
            f"the question is {len(q):,} characters long; the limit is {max_chars:,}: ask it more briefly"
        )
    return q


class Pipeline:
    def __init__(self, embedder: Embedder, index: indexing.Index, generator: Generator, settings: Settings,
                 checks: frozenset[str] | None = None):
        self.embedder = embedder
        self.checks = checks_from_env() if checks is None else frozenset(checks)
        self.index = index
        self.generator = generator
        self.retriever = Retriever(embedder, index)
        self.settings = settings

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        """New settings take effect at the next question, retrieval's included."""
        self._settings = settings
        r = self.retriever
        r.candidates, r.max_per_article, r.mode = settings.candidates, settings.max_chunks_per_article, settings.retrieval

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, embedder: Embedder | None = None,
                      generator: Generator | None = None) -> "Pipeline":
        settings = settings or Settings.from_env()
        embedder = embedder or embedding_mod.embedder_for_index(settings)
        generator = generator or make_generator(settings)
        ensure_default_index(settings, embedder)
        index = indexing.load_index(settings.index_dir, embedder.name)
        return cls(embedder, index, generator, settings)

    def reload(self) -> None:
        """Pick up a new generation of the index (after an update)."""
        self.index = indexing.load_index(self.settings.index_dir, self.embedder.name)
        self.retriever.index = self.index

    def load(self, llm: bool = True) -> None:
        """Load the embedder, the keyword index and (with `llm`) the LLM now: they load on first
        use otherwise, and a first question's `retrieval_s` would count the loading."""
        self.retrieve("warm up", 1)
        if llm:
            self.generator.load()

    def add_articles(self, articles: Sequence[Article], *, rejected: Sequence[Rejection] = (),
                     progress=None) -> indexing.BuildReport:
        """Index `articles` (a changed one replaces its old version) and answer from the result."""
        report = indexing.update_index(self.settings.index_dir, list(articles), self.embedder, self.settings,
                                       rejected=list(rejected), progress=progress)
        self.reload()
        return report

    def remove_articles(self, article_ids: Sequence[str]) -> indexing.BuildReport:
        report = indexing.update_index(self.settings.index_dir, [], self.embedder, self.settings,
                                       remove=list(article_ids))
        self.reload()
        return report

    # ------------------------------------------------------------------ answering

    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(query, k or self.settings.k)

    def answer(self, question: str, *, k: int | None = None, search_query: str | None = None,
               history: Sequence[Turn] = ()) -> Answer:
        final = None
        for part in self.stream(question, k=k, search_query=search_query, history=history):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def stream(self, question: str, *, k: int | None = None, search_query: str | None = None,
               history: Sequence[Turn] = (), events: bool = False) -> Iterator[str | Answer | Retrieved]:
        """Yield the answer text as it is generated, then the complete `Answer`.

        `history` is the conversation so far (oldest first): a follow-up ("What did he say about
        NATO?") is searched for as the standalone question it stands for (`Answer.query`).

        With `events=True` a `Retrieved` (the passages found) comes first, as soon as the
        search is done, before any check or generation.

        `search_query` is what to retrieve for when it differs from the question shown (a
        follow-up rewritten into a standalone question).
        """
        t0 = time.perf_counter()
        k = self.settings.passages(k)
        question = check_question(question, self.settings.max_question_chars)
        if history and not search_query:
            search_query = standalone_query(question, list(history)[-HISTORY_TURNS:],
                                            max_chars=self.settings.max_question_chars)
        query = check_question(search_query, self.settings.max_question_chars) if search_query else question
        qvec = self.embedder.embed_query(strip_special_tokens(query))
        hits = self.retriever.search_vector(qvec, k, strip_special_tokens(query))
        t_ret = time.perf_counter() - t0
        if events:
            yield Retrieved(tuple(hits), query, t_ret)
        analysis = analyse(strip_special_tokens(query))
        # What the index cannot hold is declined before anything is generated, and says why.
        decline = self.coverage().check(analysis) if "declines" in self.checks else None
        if decline is None and analysis.speaker and "entities" in self.checks:
            # "What did X say?": the passage that quotes X answers, whatever its dense score.
            final = answer_speaker(self, question, query, analysis, hits, t0, t_ret)
            if final is not None:
                for i, sentence in enumerate(answer_sentences(final.text)):
                    yield sentence if i == 0 else " " + sentence  # the final text, sentence by sentence
                yield final
                return
        if decline is None and (not hits or (max(h.score for h in hits) < self.settings.min_score
                                             and not words_held(query, hits))):
            decline = Decline("no_evidence", ABSTAIN_TEXT)
        if decline is not None:
            yield decline.text
            yield Answer(question, decline.text, (), tuple(hits), True,
                         Timings(retrieval_s=t_ret, total_s=time.perf_counter() - t0), query,
                         reason=decline.reason)
            return
        if "claims" in self.checks and analysis.kind == "yes_no" and analysis.claims:
            # Settled by rules from the articles: what is streamed is the final text.
            final = answer_claims(self, question, query, analysis, hits, t0, t_ret)
            yield final.text
            yield final
            return
        yield from answer_with_model(self, question, query, analysis, hits, qvec, t0, t_ret)

    def _ground(self, sentence: str, hits: Sequence[Hit], question: str = "") -> str | None:
        return ground_sentence(sentence, hits, question) if "grounding" in self.checks else sentence

    # ------------------------------------------------------------------ what the index holds

    def coverage(self) -> Coverage:
        """The index's outlets, dates and text (for declines), built once per generation."""
        if getattr(self, "_coverage", (None,))[0] != self.index.generation:
            self._coverage = (self.index.generation, Coverage.of(self.index.chunks))
            texts: dict[str, list[str]] = {}
            for c in self.index.chunks:
                texts.setdefault(c.article_id, []).append(c.text)
            self._articles = {a: " ".join(t) for a, t in texts.items()}
        return self._coverage[1]

    def article_text(self, article_id: str) -> str:
        self.coverage()
        return self._articles.get(article_id, "")

    # ------------------------------------------------------------------ prompting

    def build_messages(self, question: str, hits: Sequence[Hit],
                       texts: Sequence[str] | None = None) -> tuple[list[dict[str, str]], list[Hit]]:
        """Chat messages within the token budget (rag/prompting.py)."""
        return build_messages(self.settings, self.generator.count_tokens, question, hits, texts)

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return prompt_tokens(self.generator.count_tokens, messages)


def ensure_default_index(settings: Settings, embedder: Embedder) -> None:
    """Build the default index from seeds/ when it is missing (first run)."""
    if indexing.exists(settings.index_dir):
        return
    if Path(settings.index_dir).resolve() != Settings().index_dir.resolve():
        return  # a missing non-default index is reported by load_index, not silently built
    from .articles import load_paths

    report = load_paths([settings.seeds_dir])
    indexing.update_index(settings.index_dir, report.articles, embedder, settings, rejected=report.rejected)


# ---------------------------------------------------------------------- module-level answer()

_pipelines: dict[str, Pipeline] = {}
_models: dict[tuple, object] = {}
_cache_lock = threading.Lock()


def get_pipeline(index: str | Path | None = None, settings: Settings | None = None) -> Pipeline:
    """One pipeline per index folder; models are shared between pipelines and load once."""
    settings = settings or Settings.from_env()
    if index is not None:
        settings = settings.replace(index_dir=Path(index))
    key = str(Path(settings.index_dir).resolve())
    with _cache_lock:
        pipe = _pipelines.get(key)
        if pipe is None:
            embedder = embedding_mod.embedder_for_index(settings)  # nothing loads yet
            ekey = ("embedder", settings.embedder, embedder.name)
            gkey = ("llm", settings.llm, settings.llm_model, settings.n_ctx, settings.n_threads,
                    settings.n_threads_batch, settings.temperature, settings.seed, settings.llm_extra_buffers,
                    settings.llm_requantize)
            if ekey not in _models:
                _models[ekey] = embedder
            if gkey not in _models:
                _models[gkey] = make_generator(settings)
            pipe = Pipeline.from_settings(settings, embedder=_models[ekey], generator=_models[gkey])
            pipe.load(llm=False)  # a declined question needs no LLM; every question needs these
            _pipelines[key] = pipe
        return pipe


def answer(question: str, index: str | Path | None = None, *, k: int | None = None,
           history: Sequence[Turn] = ()) -> Answer:
    """Answer a question from the articles of `index` (default: index/default/, built from seeds/);
    `history` (earlier `Turn`s) lets it be a follow-up."""
    return get_pipeline(index).answer(question, k=k, history=history)
