"""What a run shows: the console summary and report.md from one table definition; --compare."""
import json
import re

from rag.eval import compare, evaluate
from rag.eval.cli import summary_lines
from rag.eval.report import SUMMARY_ROWS, fmt, fmt_diff, seconds_unit


def rows(text: str, sep: str) -> dict[str, list[str]]:
    """First cell -> the other cells, of every table row in a markdown (sep "|") or console
    (sep "  ") text."""
    out = {}
    for line in text.splitlines():
        if sep == "|" and not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip(" |").split("|")] if sep == "|" else re.split(r"\s{2,}", line.strip())
        out.setdefault(cells[0], cells[1:])
    return out


def test_the_console_summary_shows_the_report_rows_that_have_a_short_label(pipe, questions_file, tmp_path):
    r = evaluate(questions_file, pipe, out=tmp_path / "run")
    console, report = rows(summary_lines(r), "  "), rows((tmp_path / "run" / "report.md").read_text(), "|")
    k = r.metrics.k
    shown = [row for row in SUMMARY_ROWS if row.short and getattr(r.metrics.overall, row.key) is not None]
    assert len(shown) >= 8
    for row in shown:  # the same cells: this run, always "Yes", always abstain
        want = report[row.label.replace("@k", f"@{k}")]
        assert console[row.short.replace("@k", f"@{k}")] == want, row
        assert want[0] == fmt(getattr(r.metrics.overall, row.key), row.kind)
    assert console["metric"] == report["metric"] == ["this run", 'always "Yes"', "always abstain"]
    full = dict(zip(report["type"], zip(*(report[t] for t in ["inference_query", "comparison_query", "**all**"]))))
    short = dict(zip(console["type"], zip(*(console[t] for t in ["inference_query", "comparison_query", "all"]))))
    assert list(short) == ["n", "accuracy", f"recall@{k}", 'always "Yes"']
    assert all(short[c] == full[c] for c in short)
    assert "token F1 (answerable)" in report and "token F1 (answerable)" not in console  # report-only rows


def write_run(folder, wall_s, **overall):
    folder.mkdir()
    metrics = {"k": 4, "n_scored": 10, "overall": overall, "by_type": {}}
    (folder / "metrics.json").write_text(json.dumps({"questions": "q.jsonl", "wall_s": wall_s, "metrics": metrics}))
    return folder


def test_compare_shows_each_difference_in_the_unit_of_its_figures(tmp_path):
    a = write_run(tmp_path / "a", 95.0, accuracy=0.5, latency_p50=0.05, latency_p95=0.012, ttft_p50=2.5,
                  tokens_per_s=20.3, errors=0)
    b = write_run(tmp_path / "b", 101.5, accuracy=0.625, latency_p50=0.3, latency_p95=0.034, ttft_p50=2.0,
                  tokens_per_s=21.0, errors=2)
    table = rows(compare(a, b), "|")
    assert table["answer latency p50"] == ["0.05 s", "0.30 s", "+0.25 s"]  # 50 ms beside 0.30 s: both in s
    assert table["answer latency p95"] == ["12 ms", "34 ms", "+22 ms"]  # not "+0.02"
    assert table["time to first token p50"] == ["2.50 s", "2.00 s", "-0.50 s"]
    assert table["wall time"] == ["95.00 s", "101.50 s", "+6.50 s"]
    assert table["accuracy, all questions (declining is right on unanswerable ones)"] == ["0.500", "0.625", "+0.125"]
    assert table["decoding speed, tokens per second (after the first token)"] == ["20.3", "21.0", "+0.7"]
    assert table["questions that raised an error"] == ["0", "2", "+2"]


def test_seconds_read_in_one_unit():
    assert seconds_unit([0.05, None]) == "ms" and seconds_unit([0.05, 0.1]) == "s"
    assert fmt(0.05, "s") == "50 ms" and fmt(0.05, "s", "s") == "0.05 s" and fmt(1.5, "s") == "1.50 s"
    assert fmt_diff(-0.0123, "s", "ms") == "-12 ms" and fmt_diff(0.004, "rate", None) == "+0.004"
