"""What a run leaves behind: metrics.json, report.md and PNG charts; and the side-by-side
comparison of two runs (`rag eval --compare A B`)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import NamedTuple

from ..errors import RagError
from ..files import atomic_write_text



class Row(NamedTuple):
    """One figure of the summary tables: its GroupMetrics field, its label in report.md, its kind
    ("rate" 0..1, "s" seconds, "n" count, "x" number) and its label in the console summary
    ("": report only)."""
    key: str
    label: str
    kind: str
    short: str = ""


# The one definition of the summary tables: report.md shows every row, the console the short ones.
SUMMARY_ROWS = [
    Row("accuracy", "accuracy, all questions (declining is right on unanswerable ones)", "rate", "accuracy (all)"),
    Row("accuracy_answerable", "accuracy on answerable questions", "rate", "accuracy (answerable)"),
    Row("token_f1", "token F1 (answerable)", "rate"),
    Row("exact_match", "exact match (answerable)", "rate"),
    Row("abstention_recall", "unanswerable questions declined (abstention recall)", "rate", "declined unanswerable"),
    Row("abstention_precision", "abstention precision", "rate"),
    Row("abstention_f1", "abstention F1", "rate"),
    Row("false_abstention_rate", "answerable questions declined (false abstention)", "rate", "declined answerable"),
    Row("hit_at_k", "evidence-article hit@k", "rate", "hit@k"),
    Row("recall_at_k", "evidence-article recall@k", "rate", "recall@k"),
    Row("mrr", "MRR@k (first evidence article)", "rate", "MRR@k"),
    Row("evidence_hit_at_k", "evidence-sentence hit@k", "rate"),
    Row("citation_validity", "citation validity (answers whose [n] all point to a passage)", "rate"),
    Row("citation_precision", "citation precision (cited articles that are evidence)", "rate"),
    Row("cited_share", "committed answers citing a passage", "rate"),
    Row("latency_p50", "answer latency p50", "s", "latency p50"),
    Row("latency_p95", "answer latency p95", "s", "latency p95"),
    Row("ttft_p50", "time to first token p50", "s", "first token p50"),
    Row("ttft_p95", "time to first token p95", "s"),
    Row("tokens_per_s", "decoding speed, tokens per second (after the first token)", "x", "tokens/s"),
    Row("prompt_tokens", "prompt tokens (mean)", "x"),
    Row("retrieval_p50", "retrieval latency p50", "s"),
    Row("retrieval_p95", "retrieval latency p95", "s"),
    Row("errors", "questions that raised an error", "n"),
]
TYPE_COLUMNS = [
    Row("n", "n", "n", "n"), Row("accuracy", "accuracy", "rate", "accuracy"), Row("token_f1", "F1", "rate"),
    Row("exact_match", "EM", "rate"), Row("declined", "declined", "rate"), Row("hit_at_k", "hit@k", "rate"),
    Row("recall_at_k", "recall@k", "rate", "recall@k"), Row("mrr", "MRR", "rate"),
    Row("evidence_hit_at_k", "evid. hit@k", "rate"), Row("citation_precision", "cit. precision", "rate"),
    Row("latency_p50", "latency p50", "s"),
]
BASELINE_COLUMNS = {"always_yes": 'always "Yes"', "always_abstain": "always abstain"}
WORST = 10


def fmt(value, kind: str = "rate", unit: str | None = None) -> str:
    """A figure as shown; seconds in `unit` ("s" or "ms"), by default the one that suits the value."""
    if value is None:
        return "—"
    if kind == "n":
        return str(int(value))
    if kind == "s":
        return f"{value:.2f} s" if (unit or seconds_unit([value])) == "s" else f"{value * 1000:.0f} ms"
    if kind == "x":
        return f"{value:.1f}"
    return f"{value:.3f}"


def fmt_diff(diff: float, kind: str, unit: str = "s") -> str:
    """A difference of two figures, signed, in the figures' own unit and precision."""
    if kind == "s":
        return f"{diff:+.2f} s" if unit == "s" else f"{diff * 1000:+.0f} ms"
    return {"n": f"{diff:+.0f}", "x": f"{diff:+.1f}"}.get(kind, f"{diff:+.3f}")


def seconds_unit(values) -> str:
    """"s" when some value reads 0.1 s or more, else "ms": one unit for figures shown side by side."""
    return "s" if any(v is not None and v >= 0.1 for v in values) else "ms"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """The same table as plain aligned text (the console): first column left, the others right."""
    widths = [max(map(len, col)) for col in zip(header, *rows)]
    return "\n".join("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip() for r in [header, *rows])


# ----------------------------------------------------------------------------- writing a run


def write_outputs(result, run: dict) -> None:
    out = Path(result.out)
    out.mkdir(parents=True, exist_ok=True)
    wall = sum(s.get("wall_s") or 0 for s in run.get("sessions", [])) or result.wall_s
    payload = {
        "questions": result.questions.path, "k": result.metrics.k, "wall_s": round(wall, 2),
        "metrics": result.metrics.to_dict(),
        "index": run.get("index") or (dataclasses.asdict(result.index) if result.index else None),
        "problems": [str(p) for p in result.questions.problems],
        "settings": run.get("config") or {k: str(v) for k, v in dataclasses.asdict(result.settings).items()},
    }
    atomic_write_text(out / "metrics.json", json.dumps(payload, indent=2, ensure_ascii=False))
    from .charts import write_charts

    charts = write_charts(result, out)
    atomic_write_text(out / "report.md", render_report(result, run, wall, charts))


def render_report(result, run: dict, wall_s: float, charts: dict[str, str]) -> str:
    mt, k = result.metrics, result.metrics.k
    sessions = run.get("sessions", [])
    parts = [f"# Evaluation: {Path(result.questions.path).name}", ""]
    parts += [f"- command: `{s.get('command') or '(Python API)'}` ({s.get('started')}, "
              f"commit {(s.get('commit') or 'unknown')[:12]}, {fmt(s.get('wall_s'), 's')}, "
              f"{s.get('predicted', 0)} predicted{'' if s.get('finished') else ', stopped without finishing'})"
              for s in sessions]
    parts += [
        f"- questions: {mt.n_scored} scored of {mt.n_questions}"
        + (f", {len(mt.missing)} without a prediction" if mt.missing else "")
        + (f"; {len(result.questions.problems)} malformed lines skipped" if result.questions.problems else ""),
        f"- k = {k} passages per question; wall time {wall_s / 60:.1f} min"
        + (f" over {len(sessions)} sessions (resumed)" if len(sessions) > 1 else ""),
        "",
    ]
    parts += ["## Summary", "", table(*summary_table(mt)), ""]
    if not mt.retrieval_only:
        parts += ["The trivial rows score fixed answers by the same rules; a real score near them is no skill.", ""]
    parts += ["## Per question type", "", table(*type_table(mt)), ""]
    if any(g.polarity_confusion for g in mt.by_type.values()):
        parts += ["## Yes/no questions", "",
                  "Questions whose gold answer is yes or no: how often the gold says yes, how often the "
                  "answers said it, and gold → answer counts (\"none\": the answer said neither, or both).",
                  "", table(*polarity_table(mt)), ""]
    if mt.curve:
        pts = [p for p in mt.curve if p.k in (1, 2, 3, 4, 5, 10, 15, 20) or p.k == k]
        parts += ["## Retrieval depth", "",
                  "Evidence articles among the k passages the retriever returns when asked for k "
                  f"(the model reads k = {k}).", "",
                  table(["k"] + [str(p.k) for p in pts],
                        [["recall@k"] + [fmt(p.recall) for p in pts], ["hit@k"] + [fmt(p.hit) for p in pts],
                         ["MRR@k"] + [fmt(p.mrr) for p in pts]]), ""]
    parts += ["## Index and models", "", _index_table(run.get("index")), "", _settings_table(run.get("config") or {}), ""]
    if result.questions.problems:
        parts += ["## Skipped lines", ""] + [f"- {p}" for p in result.questions.problems] + [""]
    if charts:
        parts += ["## Charts", ""] + [f"![{name}]({file})" for name, file in charts.items()] + [""]
    if not mt.retrieval_only:
        parts += ["## Worst failures", "", *_failures(result), ""]
    return "\n".join(parts)


def summary_table(mt, console: bool = False) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the run's figures beside the trivial baselines (report.md; the console
    shows the rows that have a short label)."""
    base = {n: b.overall for n, b in mt.baselines.items() if n in BASELINE_COLUMNS}
    header = ["metric", "this run"] + [BASELINE_COLUMNS[n] for n in base]
    rows = []
    for r in SUMMARY_ROWS:
        v = getattr(mt.overall, r.key)
        if (v is None and r.kind != "n") or (console and not r.short):
            continue
        label = (r.short if console else r.label).replace("@k", f"@{mt.k}")
        rows.append([label, fmt(v, r.kind)] + [fmt(getattr(b, r.key), r.kind) if r.kind == "rate" else ""
                                               for b in base.values()])
    return header, rows


def type_table(mt, console: bool = False) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the figures per question type, then all types, with the always-"Yes" accuracy."""
    cols = [c for c in TYPE_COLUMNS if (c.short or not console)
            and any(getattr(g, c.key) is not None for g in mt.by_type.values())]
    yes = mt.baselines.get("always_yes")
    header = ["type"] + [(c.short if console else c.label).replace("@k", f"@{mt.k}") for c in cols]
    header += [BASELINE_COLUMNS["always_yes"]] if yes else []
    rows = []
    for t, g in list(mt.by_type.items()) + [("all", mt.overall)]:
        row = [fmt(getattr(g, c.key), c.kind) for c in cols]
        if yes:
            row.append(fmt((yes.by_type.get(t) if t != "all" else yes.overall).accuracy))
        rows.append([f"**{t}**" if t == "all" and not console else t] + row)
    return header, rows


def polarity_table(mt) -> tuple[list[str], list[list[str]]]:
    """(header, rows): per type with yes/no questions, the gold and answered "yes" shares and the
    gold → answer confusion counts."""
    keys = ["yes→yes", "yes→no", "yes→none", "no→yes", "no→no", "no→none"]
    header = ["type", "yes/no questions", "gold \"yes\" share", "answered \"yes\" share", *keys]
    rows = []
    for t, g in list(mt.by_type.items()) + [("all", mt.overall)]:
        conf = g.polarity_confusion or {}
        if not conf:
            continue
        rows.append([f"**{t}**" if t == "all" else t, str(sum(conf.values())), fmt(g.yes_share_gold),
                     fmt(g.yes_share_answered), *(str(conf.get(k, 0)) for k in keys)])
    return header, rows


def _index_table(ix: dict | None) -> str:
    if not ix:
        return "(no index figures)"
    rows = [["index", f"`{ix['dir']}`"], ["articles / chunks", f"{ix['articles']:,} / {ix['chunks']:,}"]]
    if ix.get("chunks_embedded"):
        rows += [["build time", fmt(ix.get("build_s"), "s") + f" ({fmt(ix.get('embed_s'), 's')} embedding)"],
                 ["chunks embedded per second", fmt(ix.get("chunks_per_s"), "x")]]
    else:
        rows.append(["build", "reused unchanged (built before this run)"])
    if ix.get("rejected"):
        rows.append(["rejected articles", str(ix["rejected"])])
    return table(["", ""], rows)


def _settings_table(cfg: dict) -> str:
    keep = ["embedder", "llm", "k", "candidates", "max_chunks_per_article", "chunk_tokens", "chunk_overlap",
            "min_score", "n_ctx", "max_answer_tokens", "temperature", "seed", "prompts_dir", "retrieval_only"]
    return table(["setting", "value"], [[key, f"`{cfg[key]}`"] for key in keep if key in cfg])


def _failures(result) -> list[str]:
    qs = {q.id: q for q in result.questions.questions}
    preds = {p.id: p for p in result.predictions}
    wrong = sorted((s for s in result.scores.values() if s.correct is False),
                   key=lambda s: (s.f1 or 0.0, s.recall_at_k if s.recall_at_k is not None else 1.0, s.id))
    by_type: dict[str, list] = {}
    for s in wrong:
        by_type.setdefault(s.type, []).append(s)
    picked = []  # round-robin over types, worst first within each
    while len(picked) < WORST and any(by_type.values()):
        for t in sorted(by_type):
            if by_type[t] and len(picked) < WORST:
                picked.append(by_type[t].pop(0))
    if not picked:
        return ["No wrong answers."]
    out = [f"{len(wrong)} wrong answers; up to {WORST} shown, spread over the question types, lowest F1 first.", ""]
    for s in picked:
        q, p = qs[s.id], preds[s.id]
        gold = ", ".join(q.answers) if q.answerable else "(unanswerable: should decline)"
        ev = set(q.evidence_ids)
        out += [f"### {q.id} ({q.type})", "", f"**Q:** {q.question}", "", f"**Gold:** {gold}  ",
                f"**Answer:** {p.answer or '(none)'}" + (f"  \n**Error:** {p.error}" if p.error else ""),
                f"  \n**Evidence:** {', '.join(q.evidence_ids) or '—'}; recall@{result.metrics.k} "
                f"{fmt(s.recall_at_k)}", "", "Retrieved:", ""]
        for x in p.retrieved:
            mark = "✓" if x.doc_id in ev else "·"
            text = " ".join(x.text.split())
            out.append(f"{x.rank}. {mark} `{x.doc_id}` ({x.score:.3f}) *{x.title}*: "
                       f"{text[:280]}{'…' if len(text) > 280 else ''}")
        out.append("")
    return out


# ----------------------------------------------------------------------------- comparing runs


def load_run_metrics(run: str | Path) -> dict:
    path = Path(run)
    path = path / "metrics.json" if path.is_dir() else path
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RagError(f"{path} does not exist: give a run folder written by `rag eval --out`") from None
    except json.JSONDecodeError as e:
        raise RagError(f"{path} is not valid JSON ({e.msg}): re-run the evaluation") from None


def compare(run_a: str | Path, run_b: str | Path) -> str:
    """A markdown table of two runs' metrics side by side, with B − A in the unit of A and B."""
    a, b = load_run_metrics(run_a), load_run_metrics(run_b)
    ma, mb = a["metrics"], b["metrics"]
    rows = []

    def row(label, va, vb, kind):
        if va is None and vb is None:
            return
        unit = seconds_unit([va, vb])  # A, B and B − A in one unit
        diff = "—" if va is None or vb is None else fmt_diff(vb - va, kind, unit)
        rows.append([label, fmt(va, kind, unit), fmt(vb, kind, unit), diff])

    for r in SUMMARY_ROWS:
        row(r.label, ma["overall"].get(r.key), mb["overall"].get(r.key), r.kind)
    for t in sorted(set(ma["by_type"]) | set(mb["by_type"])):
        ta, tb = ma["by_type"].get(t, {}), mb["by_type"].get(t, {})
        row(f"{t}: accuracy", ta.get("accuracy"), tb.get("accuracy"), "rate")
        row(f"{t}: recall@k", ta.get("recall_at_k"), tb.get("recall_at_k"), "rate")
    row("wall time", a.get("wall_s"), b.get("wall_s"), "s")
    head = [f"A = `{run_a}` (k={ma['k']}, {ma['n_scored']} questions)",
            f"B = `{run_b}` (k={mb['k']}, {mb['n_scored']} questions)", ""]
    if a.get("questions") != b.get("questions") or ma["n_scored"] != mb["n_scored"]:
        head += ["Note: the two runs did not score the same questions; differences mix set and system.", ""]
    return "\n".join(head + [table(["metric", "A", "B", "B − A"], rows)])
