"""`rag eval`: run a question set and score it, or compare two runs.

    rag eval QUESTIONS [--corpus PATH...] [--index DIR] [--out DIR] [--limit N] [--k N] [--retrieval-only]
    rag eval --compare RUN_A RUN_B

`build_pipeline` builds (or reuses) the index of the corpus and loads the models; `evaluate`
(runs.py) then answers the questions with that pipeline.
"""
from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from ..errors import RagError
from ..progress import ProgressBar
from ..settings import PROJECT_ROOT, Settings
from .runs import IndexStats


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("questions", nargs="?", type=Path, metavar="QUESTIONS",
                   help="question set: .jsonl (id, question, answers, evidence_ids, type, answerable), "
                        ".csv or .yaml (question, answer)")
    p.add_argument("--corpus", nargs="+", type=Path, default=[], metavar="PATH",
                   help="article files or folders to index first (reused when unchanged); "
                        "default index: index/eval-<corpus name>/")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="run folder for predictions.jsonl, metrics.json, report.md and charts "
                        "(default: runs/<questions name>); an unfinished run there resumes")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    p.add_argument("--k", type=int, metavar="N", help="passages given to the model per question")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only; load no LLM")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                   help="print two finished runs' metrics side by side (with B − A)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.compare:
        from .report import compare

        print(compare(*args.compare))
        return 0
    if args.questions is None:
        raise RagError("give a question file (rag eval QUESTIONS ...) or two runs to --compare")
    if args.limit is not None and args.limit < 1:
        raise RagError(f"--limit {args.limit} must be at least 1")
    from .data import load_questions
    from .runs import RUN_FILE, RunRecord, evaluate

    qset = load_questions(args.questions)  # fail on a bad file before loading models
    for problem in qset.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    out = args.out or Path("runs") / args.questions.stem
    settings = eval_settings(settings, args.corpus, args.index)
    # A run folder with other settings is refused here, before any index is built or model loaded.
    RunRecord(out / RUN_FILE, settings, qset.path, args.retrieval_only)
    t0 = time.perf_counter()
    try:
        pipeline, stats = build_pipeline(settings, args.corpus, progress=True)
        result = evaluate(qset, pipeline, out=out, limit=args.limit, retrieval_only=args.retrieval_only,
                          progress=True, command=command_line(args), index_stats=stats)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished answers are kept in {out}/predictions.jsonl; "
              "run the same command again to resume", file=sys.stderr)
        raise
    print(summary_lines(result))
    print(f"wall time {time.perf_counter() - t0:.1f} s; report: {out / 'report.md'}")
    return 0


# ----------------------------------------------------------------------------- index and pipeline


def eval_index_dir(corpus: Sequence[str | Path]) -> Path:
    """index/eval-<corpus stem> (plus a short hash when several paths are given)."""
    paths = [Path(p) for p in corpus]
    name = f"eval-{paths[0].stem or paths[0].name}"
    if len(paths) > 1:
        name += "-" + hashlib.sha1("\n".join(str(p.resolve()) for p in paths).encode()).hexdigest()[:8]
    return PROJECT_ROOT / "index" / name


def eval_settings(settings: Settings, corpus: Sequence[str | Path] = (), index: str | Path | None = None) -> Settings:
    """The settings of a run: its index is `index`, else index/eval-<corpus stem> when a corpus is
    given, else the settings' own."""
    index_dir = Path(index) if index else eval_index_dir(corpus) if corpus else settings.index_dir
    return settings.replace(index_dir=index_dir)


def build_pipeline(settings: Settings, corpus: Sequence[str | Path] = (), *, embedder=None, generator=None,
                   progress: bool = False):
    """A pipeline over settings.index_dir, with the corpus files indexed into it first (reused when
    unchanged); returns (pipeline, the index's figures, or None without a corpus). Ready models
    may be passed in."""
    from ..embedding import embedder_for_index
    from ..pipeline import Pipeline

    embedder = embedder or embedder_for_index(settings)
    stats = None
    if corpus:
        bar = ProgressBar("indexing", dynamic_ncols=True) if progress else None
        stats = prepare_index(corpus, settings.index_dir, embedder, settings, bar)
    return Pipeline.from_settings(settings, embedder=embedder, generator=generator), stats


def prepare_index(corpus: Sequence[str | Path], index_dir: Path, embedder, settings: Settings,
                  progress: Callable[[int, int], None] | None = None) -> IndexStats:
    """Build (or reuse, when unchanged) the index of the corpus files."""
    from ..articles import load_paths
    from ..indexing import update_index

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


# ----------------------------------------------------------------------------- console


def command_line(args: argparse.Namespace) -> str:
    """The command as typed, rebuilt from the parsed arguments (for the report)."""
    words = ["rag", "eval", str(args.questions)]
    if args.corpus:
        words += ["--corpus", *map(str, args.corpus)]
    for flag in ("index", "out", "limit", "k", "embedder", "llm"):
        value = getattr(args, flag, None)
        if value is not None:
            words += [f"--{flag}", str(value)]
    if args.retrieval_only:
        words.append("--retrieval-only")
    return " ".join(shlex.quote(w) for w in words)


def summary_lines(result) -> str:
    """The console summary: the index, then report.md's summary and per-type tables, short rows."""
    from .report import summary_table, text_table, type_table

    mt = result.metrics
    lines = []
    if result.index is not None:
        ix = result.index
        built = ("reused unchanged" if ix.reused else
                 f"{ix.chunks_embedded} chunks embedded in {ix.build_s:.1f} s ({ix.chunks_per_s or 0:.1f} chunks/s)")
        lines.append(f"index {ix.dir}: {ix.articles} articles, {ix.chunks} chunks; {built}")
    lines.append(f"{mt.n_scored}/{mt.n_questions} questions scored"
                 + (f" ({result.resumed} from an earlier session)" if result.resumed else ""))
    lines += [text_table(*summary_table(mt, console=True)), text_table(*type_table(mt, console=True))]
    return "\n".join(lines)
