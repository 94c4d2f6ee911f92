"""Run a question set against an index and score it.

    from rag.evaluation import evaluate
    result = evaluate("questions.jsonl", corpus=["corpus.jsonl"], out="runs/dev")
    result.metrics.overall.accuracy, result.metrics.by_type["comparison_query"].recall_at_k

With `out`, each prediction is appended to out/predictions.jsonl as soon as it is made, and a
later run with the same out folder and settings skips the ids already there: an interrupted run
resumes where it stopped. The figures are then recomputed from the whole predictions file and
written as metrics.json, report.md and PNG charts (see eval_report).
"""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import RagError
from .eval_data import Question, QuestionSet, load_questions
from .eval_metrics import mean
from .eval_runs import PREDICTIONS, RUN_FILE, EvalRunError, PredictionLog, RunRecord
from .eval_scoring import (CURVE_DEPTHS, Metrics, Passage, Prediction, QuestionScore, compute_metrics,
                           score_question)
from .settings import PROJECT_ROOT, Settings
from .types import Answer

__all__ = ["EvalResult", "EvalRunError", "IndexStats", "Metrics", "Prediction", "evaluate", "eval_index_dir",
           "load_questions"]

@dataclass(frozen=True)
class IndexStats:
    dir: str
    articles: int
    chunks: int
    reused: bool  # nothing new was embedded in this run
    build_s: float | None = None
    embed_s: float | None = None
    chunks_embedded: int = 0
    chunks_per_s: float | None = None
    rejected: int = 0


@dataclass(frozen=True)
class EvalResult:
    metrics: Metrics
    predictions: tuple[Prediction, ...]
    scores: dict[str, QuestionScore]
    questions: QuestionSet
    settings: Settings
    index: IndexStats | None = None
    out: Path | None = None
    wall_s: float = 0.0  # this session
    resumed: int = 0  # predictions found from an earlier session and kept


def eval_index_dir(corpus: Sequence[str | Path]) -> Path:
    """index/eval-<corpus stem> (plus a short hash when several paths are given)."""
    paths = [Path(p) for p in corpus]
    name = f"eval-{paths[0].stem or paths[0].name}"
    if len(paths) > 1:
        name += "-" + hashlib.sha1("\n".join(str(p.resolve()) for p in paths).encode()).hexdigest()[:8]
    return PROJECT_ROOT / "index" / name


def prepare_index(corpus: Sequence[str | Path], index_dir: Path, embedder, settings: Settings,
                  progress: Callable[[int, int], None] | None = None) -> IndexStats:
    """Build (or reuse, when unchanged) the index of the corpus files."""
    from .articles import load_paths
    from .indexing import update_index

    report = load_paths(corpus)
    if not report.articles:
        detail = f" ({report.rejected[0]})" if report.rejected else ""
        raise RagError(f"no article could be read from {', '.join(map(str, corpus))}{detail}")
    b = update_index(index_dir, report.articles, embedder, settings, rejected=report.rejected, progress=progress)
    return IndexStats(
        dir=str(index_dir), articles=b.articles_total, chunks=b.chunks_total, reused=b.chunks_added == 0,
        build_s=b.seconds, embed_s=b.embed_seconds, chunks_embedded=b.chunks_added,
        chunks_per_s=b.chunks_per_s or None, rejected=len(b.rejected),
    )


def evaluate(questions: str | Path | QuestionSet, *, corpus: Sequence[str | Path] = (), index: str | Path | None = None,
             settings: Settings | None = None, pipeline=None, embedder=None, generator=None,
             out: str | Path | None = None, limit: int | None = None, retrieval_only: bool = False,
             progress: bool = False, command: str | None = None) -> EvalResult:
    """Answer every question (or only retrieve, with `retrieval_only`) and score the answers.

    `corpus`: article files to index first (into `index`, default index/eval-<corpus stem>);
    without it the existing index at `index` (default: settings.index_dir) is used.
    `pipeline`: a ready Pipeline (tests); otherwise one is built from settings, `embedder` and
    `generator` (ready models may be passed in).
    """
    t0, started = time.perf_counter(), datetime.now(timezone.utc)
    qset = questions if isinstance(questions, QuestionSet) else load_questions(questions)
    qset = qset.limit(limit)
    settings = settings or Settings.from_env()
    if pipeline is not None:
        settings = pipeline.settings
    else:
        index_dir = Path(index) if index else eval_index_dir(corpus) if corpus else settings.index_dir
        settings = settings.replace(index_dir=index_dir)
    out = Path(out) if out else None
    log = PredictionLog(out / PREDICTIONS) if out else None
    # A run folder with other settings is refused here, before any index is built or model loaded.
    run = RunRecord(out / RUN_FILE, settings, qset.path, retrieval_only) if out else None
    done = log.load() if log else {}
    stats = None
    if pipeline is None:
        from .embedding import SentenceTransformerEmbedder
        from .pipeline import Pipeline

        embedder = embedder or SentenceTransformerEmbedder(settings.embedder)
        if corpus:
            stats = prepare_index(corpus, settings.index_dir, embedder, settings,
                                  _index_progress() if progress else None)
        pipeline = Pipeline.from_settings(settings, embedder=embedder, generator=generator)
    if stats is None:
        stats = _index_stats(pipeline)
    wanted = {q.id for q in qset.questions}
    resumed = sum(1 for i in done if i in wanted)
    if run:
        run.start(command, stats, started)
    todo = [q for q in qset.questions if q.id not in done]
    by_id = {q.id: q for q in qset.questions}
    predicted = 0
    retriever = getattr(pipeline, "retriever", None)
    plain_embedder = getattr(retriever, "embedder", None)
    if plain_embedder is not None:  # one query vector serves every depth
        retriever.embedder = LastQueryMemo(plain_embedder)
    try:
        for p in run_questions(todo, pipeline, settings.k, retrieval_only, progress,
                               done=[(q, done[q.id]) for q in qset.questions if q.id in done],
                               total=len(qset.questions)):
            done[p.id] = p
            predicted += 1
            if log:
                log.append(p, score_question(by_id[p.id], p, settings.k, not retrieval_only))
            if run:
                run.tick(time.perf_counter() - t0, predicted)
    finally:
        if plain_embedder is not None:
            retriever.embedder = plain_embedder
        if run:
            run.finish(time.perf_counter() - t0, predicted)
    preds = tuple(done[q.id] for q in qset.questions if q.id in done)
    metrics, scores = compute_metrics(qset.questions, preds, settings.k, retrieval_only)
    result = EvalResult(metrics, preds, scores, qset, settings, stats, out, time.perf_counter() - t0, resumed)
    if out:
        from .eval_report import write_outputs

        write_outputs(result, run.data if run else {})
    return result


def run_questions(questions: Sequence[Question], pipeline, k: int, retrieval_only: bool = False,
                  progress: bool = False, done: Sequence[tuple[Question, Prediction]] = (),
                  total: int | None = None) -> Iterable[Prediction]:
    """Yield one Prediction per question, with a progress bar showing the running accuracy."""
    correct = [score_question(q, p, k, not retrieval_only).correct for q, p in done]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total or len(questions), initial=len(done), unit="q", file=sys.stderr,
                   desc="retrieving" if retrieval_only else "answering", dynamic_ncols=True)
    try:
        for q in questions:
            p = predict(pipeline, q, k, retrieval_only)
            correct.append(score_question(q, p, k, not retrieval_only).correct)
            if bar:
                acc = mean(correct)
                bar.set_postfix_str(f"acc {acc:.3f}" if acc is not None else "", refresh=False)
                bar.update(1)
            yield p
    finally:
        if bar:
            bar.close()


def predict(pipeline, q: Question, k: int, retrieval_only: bool = False) -> Prediction:
    """Ask one question (or only retrieve for it) and record what happened."""
    from .pipeline import check_question
    from .prompts import strip_special_tokens

    t0 = time.perf_counter()
    try:
        query = strip_special_tokens(check_question(q.question, pipeline.settings.max_question_chars))
        if retrieval_only:
            hits = pipeline.retrieve(query, k)
            ret_s = time.perf_counter() - t0
            final, pieces = None, []
        else:
            final, pieces = None, []
            for part in pipeline.stream(q.question, k=k):
                if isinstance(part, Answer):
                    final = part
                else:
                    pieces.append(part)
            hits = list(final.hits)
        latency = time.perf_counter() - t0
        rankings = {d: tuple(h.chunk.article_id for h in (hits if d == k else pipeline.retrieve(query, d)))
                    for d in sorted(set(CURVE_DEPTHS) | {k})}
    except RagError as e:
        return Prediction(id=q.id, question=q.question, answer="", error=str(e),
                          latency_s=time.perf_counter() - t0)
    passages = tuple(Passage(h.rank, h.chunk.article_id, h.chunk.id, round(float(h.score), 6), h.chunk.title,
                             h.chunk.text) for h in hits)
    if final is None:
        return Prediction(id=q.id, question=q.question, answer="", retrieved=passages, rankings=rankings,
                          latency_s=latency, retrieval_s=ret_s)
    t = final.timings
    return Prediction(
        id=q.id, question=q.question, answer=final.text, abstained=final.abstained,
        citations=tuple(dict.fromkeys(c.article_id for c in final.citations)), retrieved=passages,
        rankings=rankings, raw_answer="".join(pieces), latency_s=latency, retrieval_s=t.retrieval_s,
        ttft_s=t.ttft_s, generation_s=t.generation_s, tokens=t.tokens,
        tokens_per_s=t.tokens_per_s or None, prompt_tokens=t.prompt_tokens,
    )


class LastQueryMemo:
    """Wraps an embedder and remembers its last query vector, so retrieving at every depth of
    the recall curve embeds the question once."""

    def __init__(self, embedder):
        self._embedder = embedder
        self._last: tuple[str, object] | None = None

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def embed_query(self, text: str):
        if self._last is None or self._last[0] != text:
            self._last = (text, self._embedder.embed_query(text))
        return self._last[1]


def _index_stats(pipeline) -> IndexStats | None:
    idx = getattr(pipeline, "index", None)
    if idx is None:
        return None
    return IndexStats(dir=str(idx.dir), articles=len(idx.articles), chunks=len(idx.chunks), reused=True)


def _index_progress() -> Callable[[int, int], None]:
    """A tqdm bar for embedding, created on the first report (a no-op update shows none)."""
    bar = None

    def report(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="chunk", desc="indexing", file=sys.stderr, dynamic_ncols=True)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return report
