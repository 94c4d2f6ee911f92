"""The benchmark's arithmetic and report, on made-up runs (the real run: tests/integration)."""
import importlib.util
import json

import pytest

from rag.settings import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("bench", PROJECT_ROOT / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_the_subset_takes_the_questions_evidence_first_in_corpus_order():
    arts = [{"id": f"d{i}"} for i in range(10)]
    qs = [{"id": "q1", "evidence_ids": ["d7", "d2"]}, {"id": "q2", "evidence_ids": ["d9"]}, {"id": "q3"}]
    got, questions = bench.pick_subset(arts, qs, 4, 2)
    assert [a["id"] for a in got] == ["d0", "d2", "d7", "d9"] and [q["id"] for q in questions] == ["q1", "q2"]
    assert bench.pick_subset(arts, qs, None, None) == (arts, qs)


def test_questions_are_taken_from_each_type_in_turn():
    qs = [{"id": f"{t}{i}", "type": t} for t in "abc" for i in range(3)]
    _, got = bench.pick_subset([], qs, None, 5)
    assert [q["id"] for q in got] == ["a0", "b0", "c0", "a1", "b1"]


def test_ratios_are_taken_within_a_round_then_the_median():
    a = [{"ingest_s": 10.0}, {"ingest_s": 30.0}, {"ingest_s": 12.0}]
    b = [{"ingest_s": 20.0}, {"ingest_s": 30.0}, {"ingest_s": 48.0}]
    assert bench.pair_ratios(a, b, ["ingest_s"]) == {"ingest_s": 0.5}
    assert bench.pair_ratios(a, [], ["ingest_s"]) == {"ingest_s": None}
    assert bench.pair_ratios([{"ttft_p50": 1.0}], [{"ttft_p50": None}], ["ttft_p50"]) == {"ttft_p50": None}


def test_percentile_and_medians_skip_missing_values():
    assert bench.percentile([1, 2, 3, 4, None], 50) == 2.5
    assert bench.percentile([], 50) is None
    assert bench.medians([{"x": 1, "s": "a"}, {"x": 3}, {"x": None}]) == {"x": 2}


def test_minilm_costs_about_23_mflop_a_token_at_chunk_length():
    per_token = bench.encoder_flops([174], layers=6, hidden=384, intermediate=1536) / 174
    assert 22e6 < per_token < 24e6
    assert bench.encoder_flops([10, 10], 6, 384, 1536) == 2 * bench.encoder_flops([10], 6, 384, 1536)


def test_the_peer_figures_are_read_from_its_own_files():
    run_json = {"summary": {"ingest_s": 4.0, "chunks": 20, "embed_load_s": 1.0, "llm_load_s": 0.5}}
    preds = [{"latency_s": 2.0, "retrieval_s": 0.01, "prompt_tokens": 900},
             {"latency_s": 4.0, "retrieval_s": 0.03, "prompt_tokens": 1100}]
    s = bench.peer_summary(run_json, preds, n_articles=8)
    assert s["articles_per_s"] == 2.0 and s["chunks_per_s"] == 5.0 and s["ttft_p50"] is None
    assert s["latency_p50"] == 3.0 and s["latency_p95"] == pytest.approx(3.9)
    assert s["retrieval_p50"] == pytest.approx(20.0)


def _report(peer_runs):
    ours = {"answered": 2, "ingest_s": 10.0, "articles_per_s": 1.0, "chunks": 50, "chunks_per_s": 5.0, "ttft_p50": 0.9,
            "latency_p50": 1.5, "latency_p95": 2.0, "retrieval_p50": 30.0, "peak_rss_mb": 900,
            "embed_gflops": 50.0, "decode_tps": 100.0}
    fast = dict(ours, ingest_s=4.0, embed_gflops=120.0)
    sides = {"ours-fp32": {"precision": "fp32", "runs": [ours], "median": bench.medians([ours])},
             "ours-bf16": {"precision": "bf16", "runs": [fast], "median": bench.medians([fast])},
             "llamaindex": {"runs": peer_runs, "median": bench.medians(peer_runs) if peer_runs else None,
                            "skipped": None if peer_runs else "no --peer-python given"}}
    probes = {"fp32_gflops": 200.0, "bf16_gflops": 400.0, "read_gbps": 20.0}
    return {"command": "rag bench", "machine": {"cpus": 2, "cpu_model": "x", "load_start": "1", "load_end": "1"},
            "inputs": {"articles": 10, "questions": 2}, "rounds": 1, "sides": sides,
            "pairs": [{"name": "ours-bf16 / ours-fp32", "ratios": bench.pair_ratios([fast], [ours])},
                      {"name": "ours-bf16 / llamaindex", "ratios": bench.pair_ratios([fast], peer_runs)}],
            "limits": {"probes": probes, "rows": bench.limit_rows(sides, probes, 100_000_000)}}


@pytest.mark.parametrize("peer_runs", [[], [{"ingest_s": 8.0, "chunks": 40, "latency_p50": 3.0}]])
def test_the_markdown_tables_are_well_formed_with_or_without_the_peer(peer_runs):
    report = _report(peer_runs)
    md = bench.render_markdown(report)
    rows = [line for line in md.splitlines() if line.startswith("|")]
    first = rows[0].count("|")
    side_rows = rows[: 2 + len(bench.METRICS)]
    assert all(r.count("|") == first for r in side_rows)
    assert "| ingest (s) | 10.0 | 4.0 |" in md and "**0.40**" in md
    if peer_runs:
        assert "| ingest (s) | 10.0 | 4.0 | 8.0 | **0.40** | **0.50** |" in md
    else:
        assert "not run" in md and "no --peer-python given" in md
    json.dumps(report)  # what bench.json holds


def test_limits_compare_each_precision_with_its_own_probe():
    rows = _report([])["limits"]["rows"]
    emb = {r["path"].split(":")[0]: r for r in rows if "embedding" in r["path"]}
    assert emb["ours-fp32"]["share"] == 0.25 and emb["ours-bf16"]["share"] == 0.3
    dec = [r for r in rows if "decoding" in r["path"]][0]
    assert dec["limit"] == pytest.approx(200.0) and dec["share"] == pytest.approx(0.5)


def test_bad_configs_are_refused_before_anything_runs(tmp_path):
    from rag.errors import RagError
    import argparse

    ap = argparse.ArgumentParser()
    bench.add_arguments(ap)
    with pytest.raises(RagError, match="--configs 'fp32'"):
        bench.run(ap.parse_args(["--configs", "fp32", "--out", str(tmp_path)]))
    assert not list(tmp_path.iterdir())
