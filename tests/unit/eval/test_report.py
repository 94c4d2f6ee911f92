"""What a run shows: the console summary and report.md from one table definition; --compare."""
import re

from rag.eval import evaluate
from rag.eval.cli import summary_lines
from rag.eval.report import SUMMARY_ROWS, fmt


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
