"""One evaluation run: every question asked of a ready pipeline, scored, and the run folder's
own files: predictions.jsonl (appended as answers come, read back to resume) and run.json (the
settings a resumed run must match, and one record per session).

    from rag.eval import evaluate
    result = evaluate("questions.jsonl", pipeline, out="runs/dev")
    result.metrics.overall.accuracy, result.metrics.by_type["comparison_query"].recall_at_k

With `out`, each prediction is appended to out/predictions.jsonl as soon as it is made, and a
later run with the same out folder and settings skips the ids already there: an interrupted run
resumes where it stopped. The figures are then recomputed from the whole predictions file and
written as metrics.json, report.md and PNG charts (see report). Building the index and the
pipeline for `rag eval` is cli.build_pipeline's part.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import RagError
from ..files import atomic_write_text
from ..settings import PROJECT_ROOT, Settings
from ..types import Answer
from .data import Question, QuestionSet, load_questions
from .metrics import Metrics, mean
from .scoring import CURVE_DEPTHS, Passage, Prediction, QuestionScore, compute_metrics, score_question

PREDICTIONS = "predictions.jsonl"
RUN_FILE = "run.json"


class EvalRunError(RagError):
    """The output folder holds a run that this one cannot continue."""


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


def evaluate(questions: str | Path | QuestionSet, pipeline, *, out: str | Path | None = None,
             limit: int | None = None, retrieval_only: bool = False, progress: bool = False,
             command: str | None = None, index_stats: IndexStats | None = None) -> EvalResult:
    """Answer every question with a ready `pipeline` (or only retrieve, with `retrieval_only`)
    and score the answers; the run's settings are the pipeline's.

    `index_stats`: figures of the index as built for this run (cli.build_pipeline); by default
    those of the pipeline's index. `command`: the command line, for the report.
    """
    t0, started = time.perf_counter(), datetime.now(timezone.utc)
    qset = questions if isinstance(questions, QuestionSet) else load_questions(questions)
    qset = qset.limit(limit)
    settings = pipeline.settings
    out = Path(out) if out else None
    log = PredictionLog(out / PREDICTIONS) if out else None
    run = RunRecord(out / RUN_FILE, settings, qset.path, retrieval_only) if out else None
    done = log.load() if log else {}
    stats = index_stats or _index_stats(pipeline)
    wanted = {q.id for q in qset.questions}
    resumed = sum(1 for i in done if i in wanted)
    if run:
        run.start(command, stats, started)
    todo = [q for q in qset.questions if q.id not in done]
    by_id = {q.id: q for q in qset.questions}
    predicted = 0
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
        if run:
            run.finish(time.perf_counter() - t0, predicted)
    preds = tuple(done[q.id] for q in qset.questions if q.id in done)
    metrics, scores = compute_metrics(qset.questions, preds, settings.k, retrieval_only)
    result = EvalResult(metrics, preds, scores, qset, settings, stats, out, time.perf_counter() - t0, resumed)
    if out:
        from .report import write_outputs

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
    from ..pipeline import check_question
    from ..prompts import strip_special_tokens

    t0 = time.perf_counter()
    retriever = pipeline.retriever
    try:
        query = strip_special_tokens(check_question(q.question, pipeline.settings.max_question_chars))
        final, pieces, vec = None, [], None
        if retrieval_only:
            vec = retriever.embedder.embed_query(query)
            hits = retriever.search_vector(vec, k, query)
            ret_s = time.perf_counter() - t0
        else:
            for part in pipeline.stream(q.question, k=k):
                if isinstance(part, Answer):
                    final = part
                else:
                    pieces.append(part)
            hits = list(final.hits)
        latency = time.perf_counter() - t0
        rankings = depth_rankings(retriever, query, k, hits, vec)
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


def depth_rankings(retriever, query: str, k: int, hits, vec=None) -> dict[int, tuple[str, ...]]:
    """The article ids the retriever returns when asked for each depth of the recall curve (`hits`
    at k), all from one query vector (`vec`, or the query embedded once here)."""
    vec = retriever.embedder.embed_query(query) if vec is None else vec
    return {d: tuple(h.chunk.article_id for h in (hits if d == k else retriever.search_vector(vec, d, query)))
            for d in sorted(set(CURVE_DEPTHS) | {k})}


def _index_stats(pipeline) -> IndexStats | None:
    idx = getattr(pipeline, "index", None)
    if idx is None:
        return None
    return IndexStats(dir=str(idx.dir), articles=len(idx.articles), chunks=len(idx.chunks), reused=True)


# ----------------------------------------------------------------------------- the run folder


class PredictionLog:
    """predictions.jsonl: one line per finished question, appended and synced as they come."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, Prediction]:
        """The finished predictions; a torn or unreadable line (a crash mid-write) is dropped."""
        if not self.path.exists():
            return {}
        good: list[str] = []
        done: dict[str, Prediction] = {}
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line in lines:
            try:
                p = Prediction.from_json(json.loads(line))
            except (json.JSONDecodeError, TypeError, KeyError):
                continue
            if not line.endswith("\n") or p.id in done:
                continue
            done[p.id] = p
            good.append(line)
        if len(good) != len(lines):
            atomic_write_text(self.path, "".join(good))
        return done

    def append(self, p: Prediction, score: QuestionScore | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(p.to_json(score), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


# Settings that do not change the answers: a run may resume with other values.
_NEUTRAL = {"n_threads", "seeds_dir"}


class RunRecord:
    """run.json: the settings of a run (a resumed run must match them) and its sessions."""

    def __init__(self, path: Path, settings: Settings, questions: str, retrieval_only: bool):
        self.path = Path(path)
        cfg = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()
               if k not in _NEUTRAL}
        self.config = dict(cfg, questions=str(Path(questions).resolve()), retrieval_only=retrieval_only)
        self.data: dict = json.loads(self.path.read_text()) if self.path.exists() else {}
        self._ticked = 0.0
        old = self.data.get("config")
        if old is not None:
            diff = [f"{k}={old.get(k)!r} there, {v!r} here" for k, v in self.config.items() if old.get(k) != v]
            if diff:
                raise EvalRunError(
                    f"{self.path.parent} holds a run with other settings ({'; '.join(diff)}): "
                    "give another --out folder, or delete that one to start afresh"
                )

    def start(self, command: str | None, stats, started: datetime) -> None:
        self.data.setdefault("config", self.config)
        self.data.setdefault("sessions", []).append({
            "started": started.isoformat(timespec="seconds"),
            "command": command, "commit": _git_commit(), "python": sys.version.split()[0],
        })
        if stats is not None and (not stats.reused or "index" not in self.data):
            self.data["index"] = dataclasses.asdict(stats)
        self._write()

    def tick(self, wall_s: float, predicted: int, every_s: float = 30.0) -> None:
        """Record the session's progress now and then, so a killed session still counts its time."""
        if wall_s - self._ticked >= every_s:
            self._ticked = wall_s
            self.data["sessions"][-1].update(wall_s=round(wall_s, 2), predicted=predicted)
            self._write()

    def finish(self, wall_s: float, predicted: int) -> None:
        self.data["sessions"][-1].update(
            finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), wall_s=round(wall_s, 2),
            predicted=predicted)
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(self.data, indent=2, ensure_ascii=False))


def _git_commit() -> str | None:
    import subprocess

    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None
