"""`rag bench` runs end to end on a tiny corpus and writes well-formed JSON and Markdown (the
timings themselves are not asserted: this machine's load decides them)."""
import json
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.integration


def test_bench_smoke_without_the_peer(tmp_path):
    out = tmp_path / "bench"
    env = dict(os.environ, HF_HUB_OFFLINE="1", RAG_N_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "rag.cli", "bench", "--articles", "2", "--n-questions", "1",
                        "--rounds", "1", "--configs", "bf16,openvino-bf16", "--out", str(out),
                        "--peer-python", str(tmp_path / "no-such-python")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads((out / "bench.json").read_text())
    assert set(report["sides"]) == {"ours-bf16", "ours-openvino-bf16", "llamaindex"}
    assert "does not exist" in report["sides"]["llamaindex"]["skipped"]
    assert report["inputs"]["articles"] == 2 and report["inputs"]["questions"] == 1
    for name, backend in (("ours-bf16", "torch"), ("ours-openvino-bf16", "openvino")):
        side = report["sides"][name]
        assert side["precision"] == "bf16" and len(side["runs"]) == 1
        assert side["runs"][0]["backend"] == backend
        m = side["median"]
        assert m["chunks"] > 0 and m["ingest_s"] > 0 and m["peak_rss_mb"] > 100 and m["embed_gflops"] > 0
        assert len(side["runs"][0]["per_question"]) == 1
    pair = report["pairs"][0]
    assert pair["name"] == "ours-openvino-bf16 / ours-bf16" and pair["ratios"]["chunks"] == 1.0
    probes = report["limits"]["probes"]
    assert probes["fp32_gflops"] > 0 and probes["read_gbps"] > 0
    assert len(report["limits"]["rows"]) == 4
    md = (out / "bench.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert table[0].startswith("| metric | ours-bf16 | ours-openvino-bf16 | llamaindex |")
    assert len({line.count("|") for line in table[:13]}) == 1  # header, rule and 11 metrics alike
    assert "llamaindex: not run" in md and "share of limit" in md
