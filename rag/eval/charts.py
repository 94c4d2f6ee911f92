"""PNG charts of a run (matplotlib, Agg backend: no display needed): accuracy per question type
beside the trivial baselines, the retrieval recall@k curve, and the latency distribution.

Axes of whole numbers (k, questions) get whole-number ticks only; on the curve, recall@k is
drawn solid over a dashed hit@k, so where the two are equal (one evidence article) it still shows.
"""
from __future__ import annotations

from pathlib import Path

CHARTS = {"accuracy": "accuracy_by_type.png", "recall": "recall_at_k.png", "latency": "latency.png"}


def write_charts(result, out: Path) -> dict[str, str]:
    """PNG charts beside the report; returns {name: file name} of those drawn."""
    mt, drawn = result.metrics, {}
    if not mt.retrieval_only and mt.by_type:
        drawn["accuracy per type"] = _save(accuracy_figure(mt), out / CHARTS["accuracy"])
    if mt.curve:
        drawn["recall@k"] = _save(recall_figure(mt), out / CHARTS["recall"])
    if not mt.retrieval_only and any(p.latency_s is not None for p in result.predictions):
        drawn["latency"] = _save(latency_figure(mt, result.predictions), out / CHARTS["latency"])
    return drawn


def accuracy_figure(mt):
    plt = _pyplot()
    types = list(mt.by_type) + ["all"]
    groups = [("this run", [mt.by_type[t].accuracy for t in mt.by_type] + [mt.overall.accuracy])]
    for name, b in mt.baselines.items():
        groups.append((name.replace("_", " "), [b.by_type[t].accuracy if t in b.by_type else None
                                                 for t in mt.by_type] + [b.overall.accuracy]))
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(groups)
    for i, (label, vals) in enumerate(groups):
        xs = [j + i * width for j in range(len(types))]
        ax.bar(xs, [v or 0 for v in vals], width, label=label)
    ax.set_xticks([j + width * (len(groups) - 1) / 2 for j in range(len(types))], types, rotation=15)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy per question type")
    ax.legend()
    return fig


def recall_figure(mt):
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 4))
    ks = [p.k for p in mt.curve]
    (hit,) = ax.plot(ks, [p.hit for p in mt.curve], marker="s", markersize=7, linestyle="--", color="tab:orange",
                     label="hit@k", zorder=2)
    (recall,) = ax.plot(ks, [p.recall for p in mt.curve], marker="o", markersize=4, linestyle="-",
                        color="tab:blue", label="recall@k", zorder=3)
    given = ax.axvline(mt.k, color="grey", linestyle=":", label=f"k given to the model ({mt.k})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_title("Evidence articles retrieved")
    ax.legend(handles=[recall, hit, given])
    return fig


def latency_figure(mt, predictions):
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    lat = [p.latency_s for p in predictions if p.latency_s is not None]
    ttft = [p.ttft_s for p in predictions if p.ttft_s is not None]
    fig, ax = plt.subplots(figsize=(6, 4))
    top = max(lat + ttft)
    bins = [top * i / 30 for i in range(31)] if top > 0 else 30  # shared bins: comparable bars
    ax.hist(lat, bins=bins, alpha=0.7, label="answer latency")
    if ttft:
        ax.hist(ttft, bins=bins, alpha=0.7, label="time to first token")
    for key, style in (("latency_p50", "--"), ("latency_p95", ":")):
        v = getattr(mt.overall, key)
        if v is not None:
            ax.axvline(v, color="black", linestyle=style, label=f"{key.split('_')[1]} {v:.2f} s")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend()
    return fig


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name
