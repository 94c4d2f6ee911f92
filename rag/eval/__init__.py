"""Evaluation: run a question set against a pipeline, score it, and report.

    from rag.eval import build_pipeline, eval_settings, evaluate
    from rag.settings import Settings

    settings = eval_settings(Settings.from_env(), ["corpus.jsonl"])     # index: index/eval-corpus/
    pipeline, index_stats = build_pipeline(settings, ["corpus.jsonl"])  # builds or reuses it
    result = evaluate("questions.jsonl", pipeline, out="runs/dev", index_stats=index_stats)

data (question files), metrics (metric rules and the figures), scoring (predictions to figures),
runs (asking the questions; the run folder), report (metrics.json, report.md, compare), charts
(PNG charts), cli (`rag eval`, and building its index and pipeline).
"""
from .cli import build_pipeline, eval_index_dir, eval_settings, prepare_index
from .data import Question, QuestionFileError, QuestionSet, load_questions
from .metrics import GroupMetrics, Metrics
from .report import compare
from .runs import EvalResult, EvalRunError, IndexStats, evaluate
from .scoring import Passage, Prediction, QuestionScore, compute_metrics, score_question

__all__ = [
    "EvalResult", "EvalRunError", "GroupMetrics", "IndexStats", "Metrics", "Passage", "Prediction", "Question",
    "QuestionFileError", "QuestionScore", "QuestionSet", "build_pipeline", "compare", "compute_metrics",
    "eval_index_dir", "eval_settings", "evaluate", "load_questions", "prepare_index", "score_question",
]
