"""The run's charts: whole-number axes get whole-number ticks; recall@k is not hidden by hit@k."""
import pytest

from rag.eval import evaluate
from rag.eval.charts import latency_figure, recall_figure

plt = pytest.importorskip("matplotlib.pyplot")


def visible_ticks(axis) -> list[float]:
    lo, hi = sorted(axis.get_view_interval())
    return [t for t in axis.get_ticklocs() if lo <= t <= hi]


@pytest.fixture
def run(pipe, questions_file):
    return evaluate(questions_file, pipe)


def test_k_gets_whole_number_ticks(run):
    fig = recall_figure(run.metrics)
    try:
        ax = fig.axes[0]
        fig.canvas.draw()
        ticks = visible_ticks(ax.xaxis)
        assert len(ticks) >= 3 and all(float(t).is_integer() for t in ticks), ticks
        assert all(float(label.get_text().replace("\u2212", "-")).is_integer() for label in ax.get_xticklabels()
                   if label.get_text())
    finally:
        plt.close(fig)


def test_question_counts_get_whole_number_ticks(run):
    fig = latency_figure(run.metrics, run.predictions)  # 4 questions: an automatic axis would tick at 0.5
    try:
        ax = fig.axes[0]
        fig.canvas.draw()
        ticks = visible_ticks(ax.yaxis)
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
        assert ax.get_ylabel() == "questions"
    finally:
        plt.close(fig)


def test_recall_is_drawn_over_hit_in_another_style(run):
    fig = recall_figure(run.metrics)
    try:
        lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
        recall, hit = lines["recall@k"], lines["hit@k"]
        assert recall.get_zorder() > hit.get_zorder()  # on top where the two curves meet
        assert recall.get_linestyle() != hit.get_linestyle() and recall.get_marker() != hit.get_marker()
        assert recall.get_markersize() < hit.get_markersize()  # its marker shows inside hit's
        assert list(recall.get_xdata()) == [p.k for p in run.metrics.curve]
    finally:
        plt.close(fig)
