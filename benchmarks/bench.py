"""`rag bench`: this project beside the LlamaIndex pipeline, and two of its embedder variants
beside each other, in one run on one machine, interleaved (A B C A B C ...).

    rag bench [--corpus FILE.jsonl] [--questions FILE.jsonl] [--articles N] [--n-questions N]
              [--rounds R] [--configs fp32,auto] [--peer-python PATH] [--out DIR]

Each side of a round runs in its own child process (its peak memory is its own), ingests the same
articles into a fresh index and answers the same questions. Every round also probes the machine:
a matrix multiply (fp32 in numpy, bf16 in torch) for the embedder's limit and a memory read for
the LLM's decoding limit (each generated token reads all of the GGUF's weights once). Reports
medians over rounds and, for each pair, the median of the per-round ratios A / B;
writes bench.json and bench.md into --out.

The peer is `peer_llamaindex.py` (LlamaIndex defaults, same embedder, LLM and FAISS) run with
the python of its own virtualenv (`--peer-python`, or RAG_BENCH_PEER_PYTHON); without one its
rows say it was not run. Loading models is excluded from ingest time on both sides (the peer
excludes it too). Before its timed questions this project answers one untimed question, which
loads what it loads lazily (LLM, BM25, spaCy); the peer loads its LLM before its questions.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "multihop_small"
PEER_SCRIPT = ROOT.parent / "shared" / "peer" / "peer_llamaindex.py"
PEER = "llamaindex"

# (key, label, unit, decimals) of the side-by-side table; "lower" metrics are times.
METRICS = [
    ("ingest_s", "ingest", "s", 1),
    ("articles_per_s", "articles/s", "", 2),
    ("chunks", "chunks", "", 0),
    ("chunks_per_s", "chunks/s", "", 1),
    ("answered", "answers written by the LLM", "", 0),
    ("ttft_p50", "first words shown p50 (LLM answers)", "s", 2),
    ("model_ttft_p50", "model's first token p50 (LLM answers)", "s", 2),
    ("latency_p50", "answer latency p50", "s", 2),
    ("latency_p95", "answer latency p95", "s", 2),
    ("llm_latency_p50", "answer latency p50 (LLM answers)", "s", 2),
    ("prompt_tokens_p50", "prompt tokens p50 (LLM answers)", "", 0),
    ("decode_tps", "decoding (tokens/s)", "", 1),
    ("retrieval_p50", "retrieval p50", "ms", 1),
    ("peak_rss_mb", "peak memory", "MB", 0),
]


# ----------------------------------------------------------------------------- pure helpers


from rag.cpu import cpu_model  # noqa: E402
try:  # one definition, shared with rag eval
    from rag.eval.metrics import percentile  # noqa: E402
except ImportError:  # a worker running an older checkout (--root-a), from before rag/eval/
    from rag.eval_metrics import percentile  # noqa: E402


def median(values) -> float | None:
    xs = [v for v in values if v is not None]
    return statistics.median(xs) if xs else None


def medians(runs: list[dict]) -> dict:
    keys = {k for r in runs for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {k: median(r.get(k) for r in runs) for k in sorted(keys)}


def pair_ratios(a_runs: list[dict], b_runs: list[dict], keys=None) -> dict:
    """Median over rounds of A/B, each ratio taken within one round (same machine state)."""
    keys = keys or [k for k, *_ in METRICS]
    out = {}
    for k in keys:
        rs = [a[k] / b[k] for a, b in zip(a_runs, b_runs)
              if isinstance(a.get(k), (int, float)) and isinstance(b.get(k), (int, float)) and b[k]]
        out[k] = median(rs)
    return out


def pick_subset(articles: list[dict], questions: list[dict], n_articles: int | None,
                n_questions: int | None) -> tuple[list[dict], list[dict]]:
    """The first questions of each type in turn (a set sorted by type would otherwise give one
    type only), and the articles they cite first, then others in corpus order, so a subset of the
    corpus can still answer the questions asked of it."""
    qs = _by_type_in_turn(questions)[:n_questions] if n_questions else list(questions)
    if not n_articles or n_articles >= len(articles):
        return list(articles), qs
    by_id = {str(a["id"]): a for a in articles}
    chosen: dict[str, dict] = {}
    for q in qs:
        for d in q.get("evidence_ids") or []:
            if str(d) in by_id and len(chosen) < n_articles:
                chosen[str(d)] = by_id[str(d)]
    for a in articles:
        if len(chosen) >= n_articles:
            break
        chosen.setdefault(str(a["id"]), a)
    order = {str(a["id"]): i for i, a in enumerate(articles)}
    return sorted(chosen.values(), key=lambda a: order[str(a["id"])]), qs


def _by_type_in_turn(questions: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for q in questions:
        groups.setdefault(str(q.get("type", "")), []).append(q)
    out = []
    for i in range(max((len(g) for g in groups.values()), default=0)):
        out += [g[i] for g in groups.values() if i < len(g)]
    return out


def encoder_flops(token_counts, layers: int, hidden: int, intermediate: int) -> float:
    """Multiply-adds x2 of a BERT encoder over texts of these lengths (padding excluded):
    per layer the Q, K, V and output projections, the feed-forward pair, and attention's two
    seq x seq products."""
    total = 0.0
    for n in token_counts:
        total += layers * (2 * n * (4 * hidden * hidden + 2 * hidden * intermediate) + 4 * n * n * hidden)
    return total


def peer_summary(run_json: dict, predictions: list[dict], n_articles: int) -> dict:
    """The peer's own figures (its run.json and predictions.jsonl) in this benchmark's terms."""
    s = run_json["summary"]
    lat = [p["latency_s"] for p in predictions]
    ret = [p["retrieval_s"] for p in predictions if p.get("retrieval_s") is not None]
    ingest = s["ingest_s"]
    return {
        "ingest_s": ingest, "articles": n_articles, "articles_per_s": n_articles / ingest if ingest else None,
        "chunks": s["chunks"], "chunks_per_s": s["chunks"] / ingest if ingest else None,
        "questions": len(lat), "answered": len(lat),
        # query_engine.query() returns the answer whole: nothing reaches the user before it ends
        "ttft_p50": None, "latency_p50": percentile(lat, 50), "latency_p95": percentile(lat, 95),
        "llm_latency_p50": percentile(lat, 50),
        "retrieval_p50": None if not ret else percentile(ret, 50) * 1000,
        "prompt_tokens_p50": percentile([p.get("prompt_tokens") for p in predictions], 50),
        "embed_load_s": s.get("embed_load_s"), "llm_load_s": s.get("llm_load_s"),
    }


def _fmt(v, decimals: int) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.{decimals}f}"


def _ratio(v) -> str:
    return "n/a" if v is None else f"**{v:.2f}**"


def render_markdown(report: dict) -> str:
    sides = report["sides"]
    names = list(sides)
    lines = [f"`{report['command']}`", "",
             f"{report['inputs']['articles']} articles, {report['inputs']['questions']} questions, "
             f"{report['rounds']} rounds interleaved; {report['machine']['cpus']} CPUs "
             f"({report['machine']['cpu_model']}); load average {report['machine']['load_start']} at the start, "
             f"{report['machine']['load_end']} at the end. Medians over rounds; a ratio is the median of the "
             "per-round ratios A / B (for times below 1 means A is faster, for rates above 1).", ""]
    for n, env in report.get("settings", {}).items():
        if env:
            lines += [f"{n}: " + " ".join(f"`{k}={v}`" for k, v in env.items()), ""]
    ratio_names = [p["name"] for p in report["pairs"]]
    lines.append("| metric | " + " | ".join(names) + " | " + " | ".join(ratio_names) + " |")
    lines.append("|---" * (1 + len(names) + len(ratio_names)) + "|")
    for key, label, unit, dec in METRICS:
        cells = []
        for n in names:
            m = sides[n].get("median")
            cells.append(_fmt(m.get(key), dec) if m else "not run")
        rs = [_ratio(p["ratios"].get(key)) for p in report["pairs"]]
        lines.append(f"| {label}{f' ({unit})' if unit else ''} | " + " | ".join(cells) + " | " + " | ".join(rs) + " |")
    for n in names:
        if sides[n].get("skipped"):
            lines.append(f"\n{n}: not run ({sides[n]['skipped']}).")
        for note in sides[n].get("notes", []):
            lines.append(f"\n{n}: {note}")
    lim = report["limits"]
    lines += ["", "How close the hot paths run to this machine's limits, measured in the same run:", "",
              "| hot path | measured | limit probe | limit | share of limit |", "|---|---|---|---|---|"]
    for row in lim["rows"]:
        lines.append(f"| {row['path']} | {_fmt(row['measured'], 1)} {row['unit']} | {row['probe']} | "
                     f"{_fmt(row['limit'], 1)} {row['unit']} | {_fmt(None if row['share'] is None else 100 * row['share'], 0)} % |")
    p = lim["probes"]
    lines += ["", f"Probes (median of rounds): numpy fp32 matmul {_fmt(p.get('fp32_gflops'), 0)} GFLOP/s, "
              f"torch bf16 matmul {_fmt(p.get('bf16_gflops'), 0)} GFLOP/s, "
              f"memory read {_fmt(p.get('read_gbps'), 1)} GB/s."]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- machine probes


def probe_matmul_fp32(n: int = 1024, seconds: float = 0.6) -> float:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    return _best_gflops(lambda: a @ b, n, seconds)


def _best_gflops(matmul, n: int, seconds: float) -> float:
    """The best rate of an n×n matrix multiply over `seconds`, after one warm-up call."""
    matmul()
    best, t_end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t = time.perf_counter()
        matmul()
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t))
    return best / 1e9


def probe_matmul_bf16(n: int = 1024, seconds: float = 0.6) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    a = torch.randn(n, n).to(torch.bfloat16)
    b = torch.randn(n, n).to(torch.bfloat16)
    return _best_gflops(lambda: a @ b, n, seconds)


def probe_read_bandwidth(mb: int = 256, seconds: float = 0.6) -> float:
    """GB/s of reading a buffer far larger than the caches (torch sums on all threads, as the
    LLM's decoding does; numpy on one thread if torch is missing)."""
    n = mb * 1024 * 1024 // 4
    try:
        import torch

        x = torch.ones(n, dtype=torch.float32)
        read = lambda: float(x.sum())  # noqa: E731
    except ImportError:
        import numpy as np

        x = np.ones(n, dtype=np.float32)
        read = lambda: float(x.sum())  # noqa: E731
    read()
    best, t_end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t = time.perf_counter()
        read()
        best = max(best, n * 4 / (time.perf_counter() - t))
    return best / 1e9


def probe_machine() -> dict:
    return {"fp32_gflops": probe_matmul_fp32(), "bf16_gflops": probe_matmul_bf16(),
            "read_gbps": probe_read_bandwidth()}


def limit_rows(sides: dict, probes: dict, llm_bytes: int) -> list[dict]:
    rows = []
    for name, side in sides.items():
        m = side.get("median") or {}
        if name == PEER or not m:
            continue
        precision = side.get("precision", "fp32")
        probe_key = "bf16_gflops" if precision == "bf16" else "fp32_gflops"
        limit = probes.get(probe_key)
        got = m.get("embed_gflops")
        rows.append({"path": f"{name}: embedding (useful FLOP/s, padding excluded)", "unit": "GFLOP/s",
                     "measured": got, "probe": f"{'torch bf16' if precision == 'bf16' else 'numpy fp32'} matmul",
                     "limit": limit, "share": got / limit if got and limit else None})
        bw = probes.get("read_gbps")
        tps = m.get("decode_tps")
        limit_tps = bw * 1e9 / llm_bytes if bw and llm_bytes else None
        rows.append({"path": f"{name}: LLM decoding", "unit": "tokens/s", "measured": tps,
                     "probe": f"memory read / {llm_bytes / 1e6:.0f} MB of weights per token",
                     "limit": limit_tps, "share": tps / limit_tps if tps and limit_tps else None})
    return rows


# ----------------------------------------------------------------------------- orchestration


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, default=FIXTURE / "corpus.jsonl", help="corpus JSONL (id, title, text, ...)")
    p.add_argument("--questions", type=Path, default=FIXTURE / "questions.jsonl", help="questions JSONL (id, question)")
    p.add_argument("--articles", type=int, metavar="N", help="only N articles (the questions' evidence first)")
    p.add_argument("--n-questions", type=int, default=10, metavar="N", help="questions answered per side and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--configs", default="fp32,auto",
                   help="two embedder variants of this project, compared with each other: fp32, bf16 (PyTorch), "
                        "openvino-bf16, openvino-fp32, auto")
    p.add_argument("--env-a", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the first configuration only (repeatable), e.g. RAG_EVIDENCE_TOKENS=0")
    p.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE",
                   help="a setting for the second configuration only (repeatable)")
    p.add_argument("--root-a", type=Path, default=ROOT, help="project folder whose code the first configuration runs "
                   "(e.g. a checkout of an older commit, to measure a change in one run)")
    p.add_argument("--root-b", type=Path, default=ROOT, help="the same for the second configuration")
    p.add_argument("--names", help="names of the two configurations in the tables (default ours-<precision>)")
    p.add_argument("--peer-python", default=os.environ.get("RAG_BENCH_PEER_PYTHON"),
                   help="python of the LlamaIndex peer's virtualenv (or RAG_BENCH_PEER_PYTHON); omitted: peer not run")
    p.add_argument("--peer-script", type=Path, default=PEER_SCRIPT)
    p.add_argument("--out", type=Path, default=Path("runs") / "bench", help="folder for bench.json and bench.md")
    p.add_argument("--llm", help="GGUF path for both sides (default: the project's SmolLM2-135M)")


def _env_pairs(items: list[str], flag: str) -> dict[str, str]:
    from rag.errors import RagError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("RAG_"):
            raise RagError(f"{flag} {item!r} must be RAG_NAME=VALUE")
        out[name] = value
    return out


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _run_child(cmd: list[str], env: dict, log: Path) -> tuple[int, float]:
    """Run a child to its end; (exit code, its own peak resident memory in MB)."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024  # KiB on Linux


def _tail(log: Path, n: int = 5) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-n:])
    except OSError:
        return ""


# Embedder variants a side can run: PyTorch fp32 / bf16, OpenVINO bf16 / fp32, or "auto" (what
# the settings choose for a new index on this machine).
CONFIGS = ("fp32", "bf16", "openvino-bf16", "openvino-fp32", "auto")


def variant(config: str) -> tuple[str, str]:
    """(backend, precision) of a --configs entry."""
    if config == "auto":
        return "auto", "auto"
    backend, _, precision = config.rpartition("-")
    return backend or "torch", precision


def run(args, command: str = "rag bench") -> int:
    from rag.errors import RagError
    from rag.generation import resolve_llm
    from rag.settings import Settings

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if len(configs) != 2 or any(c not in CONFIGS for c in configs):
        raise RagError(f"--configs {args.configs!r} must name two embedder variants from {', '.join(CONFIGS)} "
                       "(e.g. fp32,openvino-bf16)")
    if args.rounds < 1:
        raise RagError(f"--rounds {args.rounds} must be at least 1")
    for f in (args.corpus, args.questions):
        if not Path(f).is_file():
            raise RagError(f"{f} is not a file: give a JSONL file")
    settings = Settings.from_env()
    llm = Path(args.llm) if args.llm else resolve_llm(settings.llm)
    peer_python = args.peer_python
    peer_skip = None
    if not peer_python:
        peer_skip = "no --peer-python given (the LlamaIndex peer needs its own virtualenv)"
    elif not Path(peer_python).exists():
        peer_skip = f"--peer-python {peer_python} does not exist"
    elif not args.peer_script.is_file():
        peer_skip = f"peer script {args.peer_script} not found"

    articles, questions = pick_subset(_read_jsonl(args.corpus), _read_jsonl(args.questions),
                                      args.articles, args.n_questions)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=out))
    corpus_f, questions_f = work / "corpus.jsonl", work / "questions.jsonl"
    corpus_f.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    questions_f.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")

    names = [f"ours-{c}" for c in configs]
    if configs[0] == configs[1]:
        names = [f"ours-{c}-{i}" for i, c in enumerate(configs, 1)]
    if args.names:
        names = [n.strip() for n in args.names.split(",")]
        if len(names) != 2 or len(set(names)) != 2 or PEER in names:
            raise RagError(f"--names {args.names!r} must give two different names")
    extra_env = [_env_pairs(args.env_a, "--env-a"), _env_pairs(args.env_b, "--env-b")]
    runs: dict[str, list[dict]] = {n: [] for n in names + [PEER]}
    failures: dict[str, list[str]] = {n: [] for n in runs}
    probes: list[dict] = []
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    load_start = _load()
    for r in range(args.rounds):
        probes.append(probe_machine())
        for name, precision, own_env, root in zip(names, configs, extra_env, (args.root_a, args.root_b)):
            res = work / f"{name}-{r}.json"
            own_env = dict(own_env, PYTHONPATH=str(Path(root).resolve()))  # that folder's `rag`
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--precision", precision,
                   "--corpus", str(corpus_f), "--questions", str(questions_f), "--llm", str(llm),
                   "--result", str(res), "--index", str(work / f"index-{name}-{r}")]
            code, rss = _run_child(cmd, dict(env, **own_env), work / f"{name}-{r}.log")
            shutil.rmtree(work / f"index-{name}-{r}", ignore_errors=True)  # logs and results stay
            if code == 0 and res.exists():
                runs[name].append(dict(json.loads(res.read_text()), peak_rss_mb=rss))
            else:
                failures[name].append(f"round {r + 1} exit {code}: {_tail(work / f'{name}-{r}.log')}")
            print(f"round {r + 1}/{args.rounds} {name}: " + ("ok" if code == 0 else f"failed (exit {code})"),
                  file=sys.stderr, flush=True)
        if peer_skip is None:
            pred = work / f"peer-{r}.jsonl"
            cmd = [peer_python, str(args.peer_script), "--corpus", str(corpus_f), "--questions", str(questions_f),
                   "--out", str(pred), "--llm", str(llm), "--n-threads", str(settings.n_threads), "--quiet"]
            code, rss = _run_child(cmd, env, work / f"peer-{r}.log")
            run_json = Path(str(pred) + ".run.json")
            if code == 0 and run_json.exists():
                runs[PEER].append(dict(peer_summary(json.loads(run_json.read_text()), _read_jsonl(pred), len(articles)),
                                       peak_rss_mb=rss))
            else:
                failures[PEER].append(f"round {r + 1} exit {code}: {_tail(work / f'peer-{r}.log')}")
            print(f"round {r + 1}/{args.rounds} {PEER}: " + ("ok" if code == 0 else f"failed (exit {code})"),
                  file=sys.stderr, flush=True)

    sides: dict[str, dict] = {}
    for name, precision in zip(names, configs):
        resolved = runs[name][0]["precision"] if runs[name] else precision
        sides[name] = {"precision": resolved, "runs": runs[name], "median": medians(runs[name]) if runs[name] else None,
                       "failures": failures[name]}
    sides[PEER] = {"runs": runs[PEER], "median": medians(runs[PEER]) if runs[PEER] else None,
                   "failures": failures[PEER], "skipped": peer_skip,
                   "notes": ["time to first token n/a: LlamaIndex's query() returns the answer whole "
                             "(its first token reaches the user at the answer latency)"] if runs[PEER] else []}
    for name in sides:
        if failures[name] and not runs[name] and not sides[name].get("skipped"):
            sides[name]["skipped"] = "every round failed: " + failures[name][0]
    pairs = [{"name": f"{names[1]} / {names[0]}", "a": names[1], "b": names[0],
              "ratios": pair_ratios(runs[names[1]], runs[names[0]])}]
    for n in names:
        pairs.append({"name": f"{n} / {PEER}", "a": n, "b": PEER, "ratios": pair_ratios(runs[n], runs[PEER])})
    probe_med = medians(probes)
    report = {
        "command": command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(), "python": platform.python_version(),
                    "load_start": load_start, "load_end": _load()},
        "settings": {n: e for n, e in zip(names, extra_env)},
        "code": {n: str(Path(r).resolve()) for n, r in zip(names, (args.root_a, args.root_b))},
        "inputs": {"corpus": str(args.corpus), "questions": str(args.questions), "articles": len(articles),
                   "questions": len(questions), "llm": str(llm), "peer_python": peer_python},
        "rounds": args.rounds,
        "sides": sides,
        "pairs": pairs,
        "limits": {"probes": probe_med, "probe_rounds": probes, "llm_bytes": llm.stat().st_size,
                   "rows": limit_rows(sides, probe_med, llm.stat().st_size)},
    }
    (out / "bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    md = render_markdown(report)
    (out / "bench.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"written: {out / 'bench.json'}, {out / 'bench.md'} (child logs in {work})")
    return 0 if all(runs[n] for n in names) else 1


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# ----------------------------------------------------------------------------- one side (child)


class _TimedGenerator:
    """Wraps the pipeline's generator and stamps each streamed piece: decoding speed is measured
    from the first token to the last, apart from reading the prompt."""

    def __init__(self, inner):
        self._inner = inner
        self.stamps: list[float] = []

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def stream(self, messages, **kw):
        self.stamps = []
        for piece in self._inner.stream(messages, **kw):
            self.stamps.append(time.perf_counter())
            yield piece


def worker(args) -> int:
    from rag.articles import load_paths
    from rag.embedding import SentenceTransformerEmbedder
    from rag.chunking import embedding_text
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from rag.types import Answer

    backend, precision = variant(args.precision)
    settings = Settings.from_env(index_dir=args.index, embed_precision=precision, llm=args.llm)
    t = time.perf_counter()
    if backend == "torch":  # also what an older checkout (--root-a) has
        emb = SentenceTransformerEmbedder(settings.embedder, precision=precision)
    else:
        from rag.embedding import make_embedder

        emb = make_embedder(settings, backend=backend, precision=precision)
    emb.embed_query("warm up")  # loading and the first call excluded, as the peer does
    embed_load_s = time.perf_counter() - t

    t0 = time.perf_counter()
    loaded = load_paths([args.corpus])
    rep = update_index(settings.index_dir, loaded.articles, emb, settings, rebuild=True)
    ingest_s = time.perf_counter() - t0

    idx = load_index(settings.index_dir, emb.name)
    # `tokenizer` and `config` on both embedders; an older checkout (--root-a) has only `model`
    tok = emb.tokenizer if hasattr(emb, "tokenizer") else emb.model.tokenizer
    limit = emb.max_tokens
    counts = [min(len(tok(embedding_text(c), verbose=False)["input_ids"]), limit) for c in idx.chunks]
    cfg = emb.config if hasattr(emb, "config") else emb.model[0].auto_model.config
    flops = encoder_flops(counts, cfg.num_hidden_layers, cfg.hidden_size, cfg.intermediate_size)

    t = time.perf_counter()
    pipe = Pipeline.from_settings(settings, embedder=emb)
    timed = _TimedGenerator(pipe.generator)
    pipe.generator = timed
    # One untimed answer loads what the pipeline loads lazily (the LLM, BM25, spaCy): the peer
    # loads its LLM before its questions too.
    pipe.answer("What do these articles report?")
    llm_load_s = time.perf_counter() - t

    per_q = []
    for q in _read_jsonl(args.questions):
        t_q = time.perf_counter()
        final = None
        timed.stamps = []
        shown = None  # measured here, as a reader of the stream sees it, whatever the code version
        for part in pipe.stream(q["question"]):
            if isinstance(part, Answer):
                final = part
            elif isinstance(part, str) and part.strip() and shown is None:
                shown = time.perf_counter() - t_q
        stamps = list(timed.stamps)
        tm = final.timings
        decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 2 and stamps[-1] > stamps[0] else None
        llm = bool(stamps)  # the model wrote (part of) this answer
        per_q.append({"id": q.get("id"), "latency_s": time.perf_counter() - t_q,
                      "ttft_s": shown if llm else None, "model_ttft_s": stamps[0] - t_q if llm else None,
                      "retrieval_s": tm.retrieval_s, "prompt_tokens": tm.prompt_tokens, "tokens": len(stamps),
                      "decode_tps": decode, "abstained": final.abstained})
    lat = [p["latency_s"] for p in per_q]
    result = {
        "precision": emb.precision, "backend": getattr(emb, "backend", "torch"), "embedder": emb.name,
        "articles": len(loaded.articles),
        "ingest_s": ingest_s, "articles_per_s": len(loaded.articles) / ingest_s,
        "chunks": rep.chunks_added, "chunks_per_s": rep.chunks_added / ingest_s,
        "embed_s": rep.embed_seconds, "embed_chunks_per_s": rep.chunks_added / rep.embed_seconds if rep.embed_seconds else None,
        "embed_tokens": sum(counts), "embed_gflops": flops / rep.embed_seconds / 1e9 if rep.embed_seconds else None,
        "embed_load_s": embed_load_s, "llm_load_s": llm_load_s,
        "questions": len(per_q), "answered": sum(1 for p in per_q if p["ttft_s"] is not None),
        "ttft_p50": percentile([p["ttft_s"] for p in per_q], 50),
        "model_ttft_p50": percentile([p["model_ttft_s"] for p in per_q], 50),
        "latency_p50": percentile(lat, 50), "latency_p95": percentile(lat, 95),
        "llm_latency_p50": percentile([p["latency_s"] for p in per_q if p["ttft_s"] is not None], 50),
        "retrieval_p50": None if not per_q else percentile([p["retrieval_s"] for p in per_q], 50) * 1000,
        "prompt_tokens_p50": percentile([p["prompt_tokens"] for p in per_q if p["ttft_s"] is not None], 50),
        "decode_tps": median(p["decode_tps"] for p in per_q),
        "per_question": per_q,
    }
    Path(args.result).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    ap = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--precision", help=argparse.SUPPRESS)
    ap.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    add_arguments(ap)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or str(ROOT))
    if args.worker:
        return worker(args)
    from rag.errors import RagError

    try:
        return run(args, command="python benchmarks/bench.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
