"""Exact and approximate FAISS search (and Milvus Lite) as the archive grows: build time, query latency, recall,
memory. Each (size, kind) runs in its own child process so its peak memory is its own.

    python benchmarks/faiss_scale.py --sizes 10000 100000 1000000 5000000 --kinds flat ivf hnsw milvus-lite \
        [--hnsw-max 1000000] [--out docs/faiss_scale.json]

The vectors are synthetic but shaped like sentence embeddings: 384-d, normalised, drawn around
2,000 random topic centres (real embeddings cluster by topic; uniform random vectors would make
every approximate index look worse than it is). Queries are 200 further draws. Recall@10 is
measured against exact search over the same vectors; the IVF nprobe and HNSW efSearch are the
ones the build chose for itself (the smallest reaching recall@10 >= 0.98 on its own vectors).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DIM, CENTRES, QUERIES, K = 384, 2000, 200, 10
TARGET = 0.98


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM), dtype=np.float32)
    out = np.empty((n + QUERIES, DIM), dtype=np.float32)
    step = 200_000
    for s in range(0, n + QUERIES, step):
        m = min(step, n + QUERIES - s)
        block = centres[rng.integers(0, CENTRES, m)] + 0.8 * rng.standard_normal((m, DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[s:s + m] = block
    return out[:n], out[n:]


def timed_queries(store, queries) -> tuple[list[list[int]], list[float]]:
    ids, lat = [], []
    for q in queries:
        t0 = time.perf_counter()
        res = store.search(q, K)
        lat.append(time.perf_counter() - t0)
        ids.append([i for i, _ in res])
    return ids, lat


def recall(found, truth) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def child(n: int, kind: str) -> dict:
    from rag.store import build_faiss, exact_top_k

    vecs, queries = data(n)
    truth = exact_top_k(vecs, queries, K).tolist()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if kind == "milvus-lite":
        import tempfile

        from rag.store_milvus import MilvusStore

        store = MilvusStore(str(Path(tempfile.mkdtemp()) / "bench.milvus.db"), "bench", DIM, create=True)
        store.add(vecs)
        store.params = lambda: {"kind": "milvus-lite (FLAT)"}
    else:
        store = build_faiss(vecs, kind)
    build_s = time.perf_counter() - t0
    out = {"n": n, "kind": kind, "build_s": round(build_s, 2)}
    # The build tuned its search setting on its own vectors (rag.store.tune_recall); the recall
    # reported here is on 200 held-out queries at that setting.
    params = store.params()
    found, lat = timed_queries(store, queries)
    out.update(param=params.get("nprobe", params.get("ef_search")), tuned_recall=params.get("recall_at_10"),
               recall_at_10=round(recall(found, truth), 4), p50_ms=round(1000 * statistics.median(lat), 2),
               p95_ms=round(1000 * float(np.percentile(lat, 95)), 2))
    out["search_setting"] = {"ivf": "nprobe", "hnsw": "ef_search"}.get(kind)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["rss_before_build_mb"] = round(rss0 / 1024, 1)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--kinds", nargs="+", default=["flat", "ivf", "hnsw"])
    p.add_argument("--hnsw-max", type=int, default=1_000_000, help="largest size to build HNSW for (slow to build)")
    p.add_argument("--out", type=Path)
    p.add_argument("--child", nargs=2, metavar=("N", "KIND"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1])))
        return 0
    rows = []
    for n in args.sizes:
        for kind in args.kinds:
            if kind == "hnsw" and n > args.hnsw_max:
                continue
            r = subprocess.run([sys.executable, __file__, "--child", str(n), kind], capture_output=True, text=True)
            row = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else \
                {"n": n, "kind": kind, "error": (r.stderr.strip().splitlines() or ["?"])[-1]}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print("| vectors | kind | build s | setting | recall@10 | query p50 ms | p95 ms | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['n']:,} | {r['kind']} | error: {r['error']} | | | | | |")
            continue
        setting = f"{r['search_setting']}={r['param']}" if r.get("search_setting") else "exact"
        print(f"| {r['n']:,} | {r['kind']} | {r['build_s']} | {setting} | {r['recall_at_10']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['peak_rss_mb']} |")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
