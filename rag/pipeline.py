"""The pipeline wires the three seams: embedder + index -> retrieval -> prompt -> LLM -> Answer.

    pipe = Pipeline.from_settings()          # real models, index/default/ (built from seeds/ if missing)
    for part in pipe.stream("Who led the US delegation?"):
        ...                                  # str pieces as generated, then the final Answer
    answer("question")                       # module-level: one cached pipeline per index
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from . import indexing
from .answering import answer_claims, answer_speaker, lead_with_entity, names_what_is_asked
from .chunking import chunk_meta
from .citations import cite
from .coverage import Coverage, Decline
from .embedding import Embedder, SentenceTransformerEmbedder
from .evidence import focus
from .followup import HISTORY_TURNS, Turn, standalone_query
from .errors import QuestionError, SettingsError
from .generation import Generator, make_generator
from .grounding import ground_sentence
from .prompts import render, strip_special_tokens
from .question import analyse
from .retrieval import Retriever
from .settings import Settings
from .text import (ABSTAIN_TEXT, ANSWER_SENTENCE_END, NOT_ANSWERED_TEXT, answer_sentences, content_words,
                   opens_with_decline)
from .types import Answer, Article, Hit, Rejection, Retrieved, Timings

_YES_NO = re.compile(r"^\W*(does|did|do|is|was|were|are|has|have|had|can|could|would|will|should)\b", re.I)
PROMPT_MARGIN = 32  # tokens kept free for the chat template's own markup
# The answering checks, each switchable for ablations (RAG_CHECKS="declines,grounding"; "" = none,
# the model answers everything as it did before them).
CHECKS = ("declines", "claims", "entities", "grounding")


def checks_from_env() -> frozenset[str]:
    raw = os.environ.get("RAG_CHECKS")
    if raw is None:
        return frozenset(CHECKS)
    chosen = frozenset(c.strip() for c in raw.split(",") if c.strip())
    unknown = chosen - set(CHECKS)
    if unknown:
        raise SettingsError(f"RAG_CHECKS names unknown check(s) {', '.join(sorted(unknown))}: use {', '.join(CHECKS)}")
    return chosen


def is_abstention(text: str, question: str, passages: Sequence[str]) -> bool:
    """The model declined: it opens with "the articles don't say" and adds nothing from the
    passages after it. (A small model often declines, then answers anyway: that is kept.)"""
    if not opens_with_decline(text):
        return False
    rest = " ".join(answer_sentences(text)[1:])
    if not rest:
        return True
    evidence = set().union(*(content_words(p) for p in passages)) if passages else set()
    added = (content_words(rest) - content_words(question)) & evidence
    return len(added) < 2


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
        embedder = embedder or SentenceTransformerEmbedder(settings.embedder)
        generator = generator or make_generator(settings)
        ensure_default_index(settings, embedder)
        index = indexing.load_index(settings.index_dir, embedder.name)
        return cls(embedder, index, generator, settings)

    def reload(self) -> None:
        """Pick up a new generation of the index (after an update)."""
        self.index = indexing.load_index(self.settings.index_dir, self.embedder.name)
        self.retriever.index = self.index

    def load(self) -> None:
        """Load both models now (they load on first use otherwise), so a first question does not
        wait for them."""
        self.embedder.embed_query("warm up")
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
        # The entity asked for, found in the passages, leads the reply unless the model names it.
        lead = lead_with_entity(analysis, hits) if "entities" in self.checks else None
        texts = focus(qvec, hits, self.embedder, self.settings.evidence_sentences,
                      self.settings.evidence_tokens, self.generator.count_tokens)
        messages, used = self.build_messages(query, hits, texts)
        pieces: list[str] = []
        shown: list[str] = []  # sentences streamed: each passed the grounding check
        buf, held = "", False
        first_shown = None  # when the reader saw the answer's first words (Timings.ttft_s)
        n_lead = 1 if lead else 0
        if lead:  # decided from the passages before the model runs: shown at once
            shown.append(lead.text)
            first_shown = time.perf_counter() - t0
            yield lead.text
        sent = [n_lead]  # how many of `shown` have been streamed
        t_gen = time.perf_counter()

        # A typed question (who / when / how much ...) with no entity lead is answered only when
        # the reply names something of that type that a passage states on the question's point:
        # its sentences are held until one does, so a decline never follows streamed text.
        gate = not lead and "declines" in self.checks
        passed = [not gate]

        def show(sentence: str) -> str | None:
            if shown and opens_with_decline(sentence):
                return None  # "the article doesn't say ..." after an answer would contradict it
            g = self._ground(sentence, hits)
            if g is None:
                return None
            shown.append(g)
            if not passed[0]:
                if not names_what_is_asked(analysis, " ".join(shown), hits):
                    return None
                passed[0] = True
                sent[0] = len(shown)
                return " ".join(shown)
            sent[0] = len(shown)
            return g if len(shown) == 1 else " " + g

        opening_words = ("Yes", "No") if _YES_NO.match(query) else ()
        t_first = None
        for piece in self.generator.stream(messages, max_tokens=self.settings.max_answer_tokens, opening_words=opening_words):
            t_first = t_first or time.perf_counter()
            pieces.append(piece)
            buf += piece
            # Stream whole sentences once checked; a reply that opens by declining is held back
            # (it may end as a decline, which must not follow streamed claims).
            while not held and (m := ANSWER_SENTENCE_END.search(buf)):
                sentence, buf = buf[: m.end()].strip(), buf[m.end():]
                if len(shown) == n_lead and opens_with_decline(sentence):
                    held, buf = True, sentence + " " + buf
                    break
                if (g := show(sentence)) is not None:
                    first_shown = first_shown or time.perf_counter() - t0
                    yield g
        t_end = time.perf_counter()
        gen_s = t_end - t_gen
        raw = "".join(pieces).strip()
        held = held or (len(shown) == n_lead and opens_with_decline(buf))
        if held:  # sentences kept from a reply that opened by declining: shown below, whole
            declined = not raw or is_abstention(raw, query, [h.chunk.text for h in used])
            before = sent[0]
            for s_ in ([] if declined else answer_sentences(buf)):
                show(s_)
            sent[0] = before
        elif buf.strip() and (g := show(buf.strip())) is not None:
            first_shown = first_shown or time.perf_counter() - t0
            yield g
        if len(shown) == n_lead and lead and lead.quote:  # the model added nothing checkable:
            shown.append(lead.quote)  # the entity stands on the sentence that supports it
        if shown and not passed[0]:  # nothing of the type asked for, on the question's point
            text, citations, reason = NOT_ANSWERED_TEXT, (), "no_answer"
            yield text
        elif not shown:
            text, citations, reason = ABSTAIN_TEXT, (), "no_evidence"
            yield text
        else:
            text, citations = cite(" ".join(shown), list(hits))
            reason = None
            if sent[0] == 0:
                yield text
            elif sent[0] < len(shown):
                yield " " + " ".join(shown[sent[0]:])
        first_shown = first_shown or time.perf_counter() - t0
        timings = Timings(
            retrieval_s=t_ret, ttft_s=first_shown, generation_s=gen_s, total_s=time.perf_counter() - t0,
            prompt_tokens=self._prompt_tokens(messages), tokens=len(pieces),
            tokens_per_s=(len(pieces) - 1) / (t_end - t_first) if t_first and len(pieces) > 1 and t_end > t_first else 0.0,
            model_first_token_s=t_first - t0 if t_first else None,
        )
        yield Answer(question, text, citations, tuple(hits), reason is not None, timings, query, reason=reason)

    def _ground(self, sentence: str, hits: Sequence[Hit]) -> str | None:
        return ground_sentence(sentence, hits) if "grounding" in self.checks else sentence

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
        """Chat messages within the token budget; evidence is trimmed first (lowest rank first).

        `texts` are what the model sees of each hit (focused evidence); default the whole chunk.
        """
        s = self.settings
        texts = list(texts) if texts is not None else [h.chunk.text for h in hits]
        system = render(s.prompts_dir, "system")
        question = strip_special_tokens(question)
        used = list(hits)
        budget = s.n_ctx - s.max_answer_tokens - PROMPT_MARGIN

        def build(texts_: Sequence[str], question_: str = question) -> list[dict[str, str]]:
            passages = "\n\n".join(
                render(s.prompts_dir, "passage", number=i, title=strip_special_tokens(h.chunk.title),
                       meta=_meta(h), text=strip_special_tokens(t))
                for i, (h, t) in enumerate(zip(used, texts_), start=1)
            )
            user = render(s.prompts_dir, "answer", passages=passages, question=question_, decline=ABSTAIN_TEXT)
            return [{"role": "system", "content": system}, {"role": "user", "content": user}]

        def longest(words: list[str], fits) -> int:
            lo, hi = 0, len(words)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
            return lo

        while True:
            messages = build(texts)
            if self._prompt_tokens(messages) <= budget:
                return messages, used
            if len(used) > 1:
                used = used[:-1]
                continue
            if not used:
                return messages, used
            # One passage alone overflows: keep the longest prefix of its words that fits (by the
            # generator's own token count), so the answer always has its max_answer_tokens. A
            # question so long that not even an empty passage fits is itself cut in the prompt.
            words = texts[0].split()
            n = longest(words, lambda m: self._prompt_tokens(build([" ".join(words[:m]) + " ..."])) <= budget)
            text = " ".join(words[:n]) + " ..."
            messages = build([text])
            if self._prompt_tokens(messages) > budget:
                qw = question.split()
                m = longest(qw, lambda m: self._prompt_tokens(build([text], " ".join(qw[:m]) + " ...")) <= budget)
                messages = build([text], " ".join(qw[:m]) + " ...")
            return messages, used

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(self.generator.count_tokens(m["content"]) + 4 for m in messages)


def _meta(hit: Hit) -> str:
    return ", ".join(chunk_meta(hit.chunk)) or "undated"


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
            ekey = ("embedder", settings.embedder)
            gkey = ("llm", settings.llm, settings.llm_model, settings.n_ctx, settings.n_threads,
                    settings.n_threads_batch, settings.temperature, settings.seed, settings.llm_extra_buffers)
            if ekey not in _models:
                _models[ekey] = SentenceTransformerEmbedder(settings.embedder)
            if gkey not in _models:
                _models[gkey] = make_generator(settings)
            pipe = Pipeline.from_settings(settings, embedder=_models[ekey], generator=_models[gkey])
            _pipelines[key] = pipe
        return pipe


def answer(question: str, index: str | Path | None = None, *, k: int | None = None,
           history: Sequence[Turn] = ()) -> Answer:
    """Answer a question from the articles of `index` (default: index/default/, built from seeds/);
    `history` (earlier `Turn`s) lets it be a follow-up."""
    return get_pipeline(index).answer(question, k=k, history=history)
