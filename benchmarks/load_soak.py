"""Load and soak through the chat page with the real models (by script; figures in
docs/reliability.md).

    python benchmarks/load_soak.py [--sessions 4] [--per-session 3] [--soak 200] [--out FILE.json]

1. Load: `--sessions` gradio_client sessions ask `--per-session` questions each, all at once,
   through the page's queue: time to first token (the first streamed update holding answer
   text) and full latency, p50/p95/max, as each client saw them.
2. Soak: `--soak` questions one after another through the page (a new session every 5, as
   readers come and go), sampling this process's RSS, open file descriptors, threads and the
   files in the temp folders every 10 questions: the figures should not grow after warm-up.

The page, the models and the clients all run in this one process, so the samples cover them all.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "Who led the US delegation at the Geneva talks?",
    "What did Sergei Ryabkov say about NATO?",
    "What did Wendy Sherman say about sanctions?",
    "How many Russian soldiers are near the border with Ukraine?",
    "Where will the NATO-Russia Council meet?",
    "What happened in Kazakhstan?",
    "Did NATO expand since the Cold War?",
    "What did Canada say it would do?",
]


def pct(xs, p):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 2)


def figures(xs):
    return {"p50": round(statistics.median(xs), 2), "p95": pct(xs, 95), "max": round(max(xs), 2), "n": len(xs)}


def text_of(chat) -> str:
    if not chat:
        return ""
    last = chat[-1]
    if last.get("role") != "assistant":
        return ""
    c = last["content"]
    return c[0]["text"] if isinstance(c, list) else c


def ask_timed(client, question: str):
    """(time to first answer text, full latency, final text) as the client saw them."""
    t0 = time.perf_counter()
    job = client.submit(question, 3, api_name="/ask")
    first = None
    for out in job:
        answer = text_of(out[0]).split("\n")[0].replace("▍", "").strip()
        if first is None and answer and not answer.startswith("Searched for"):
            first = time.perf_counter() - t0
    final = job.result(timeout=600)
    total = time.perf_counter() - t0
    return first if first is not None else total, total, text_of(final[0])


def sample(temp_dirs) -> dict:
    gc.collect()
    status = Path("/proc/self/status").read_text()
    rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    temp_files = sum(len(files) for d in temp_dirs if d.exists() for _, _, files in os.walk(d))
    return {"rss_mb": round(rss / 1024, 1), "open_fds": len(os.listdir("/proc/self/fd")),
            "threads": threading.active_count(), "temp_files": temp_files}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--per-session", type=int, default=3)
    ap.add_argument("--soak", type=int, default=200)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from gradio_client import Client

    from rag.articles import load_paths
    from rag.embedding import SentenceTransformerEmbedder
    from rag.generation import make_generator
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from tests.e2e.conftest import free_port
    from ui.app import build_app, serve

    tmp = Path(tempfile.mkdtemp(prefix="load-soak-"))
    os.environ["GRADIO_TEMP_DIR"] = str(tmp / "gradio")
    s = Settings(index_dir=tmp / "index")
    emb = SentenceTransformerEmbedder(s.embedder)
    update_index(s.index_dir, load_paths([s.seeds_dir]).articles, emb, s)
    pipe = Pipeline(emb, load_index(s.index_dir, emb.name), make_generator(s), s)
    pipe.generator.llm
    port = free_port()
    demo = serve(build_app(pipe), port=port, block=False)
    url = f"http://127.0.0.1:{port}/"
    result: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()[0]}}
    try:
        # 1. load
        clients = [Client(url, verbose=False) for _ in range(args.sessions)]
        barrier = threading.Barrier(args.sessions)

        def session(i):
            barrier.wait()
            return [ask_timed(clients[i], QUESTIONS[(i + j) % len(QUESTIONS)]) for j in range(args.per_session)]

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.sessions) as pool:
            runs = [r for rs in pool.map(session, range(args.sessions)) for r in rs]
        result["load"] = {"sessions": args.sessions, "per_session": args.per_session,
                          "answered": sum(1 for _, _, t in runs if "complete in" in t or "passages in" in t),
                          "wall_s": round(time.perf_counter() - t0, 1),
                          "ttft_s": figures([f for f, _, _ in runs]), "latency_s": figures([t for _, t, _ in runs])}
        print("load:", json.dumps(result["load"]), flush=True)

        # 2. soak
        temp_dirs = [tmp / "gradio", Path(tempfile.gettempdir()) / "gradio"]
        samples = [dict(sample(temp_dirs), questions=0)]
        answered, client = 0, None
        latencies = []
        for n in range(1, args.soak + 1):
            if client is None or n % 5 == 1:
                client = Client(url, verbose=False)
            _, total, text = ask_timed(client, QUESTIONS[n % len(QUESTIONS)])
            latencies.append(total)
            answered += "complete in" in text or "passages in" in text
            if n % 10 == 0 or n == args.soak:
                samples.append(dict(sample(temp_dirs), questions=n))
                print("soak:", json.dumps(samples[-1]), flush=True)
        warm = samples[1] if len(samples) > 2 else samples[0]
        last = samples[-1]
        result["soak"] = {
            "questions": args.soak, "answered": answered, "latency_s": figures(latencies),
            "after_warm_up": {k: {"at_10": warm[k], "at_end": last[k], "growth": round(last[k] - warm[k], 1)}
                              for k in ("rss_mb", "open_fds", "threads", "temp_files")},
            "samples": samples,
        }
    finally:
        demo.close()
    print(json.dumps({k: v for k, v in result.items() if k != "soak"} | {"soak": {k: v for k, v in result["soak"].items() if k != "samples"}}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
