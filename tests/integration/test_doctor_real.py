"""`rag doctor` and the LLM self-check on the real models and the installed llama.cpp build."""
import json

import pytest

from .test_cli_real import rag

pytestmark = pytest.mark.integration


def test_doctor_is_ready_names_the_build_and_caches_the_check(tmp_path, seed_index_dir):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = rag("doctor", "--index", str(seed_index_dir), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    def line(name):
        return next(x for x in r.stdout.splitlines() if x.startswith(f"ok  {name} "))

    assert r.stdout.rstrip().endswith("ready: a question can be answered")
    build = line("llama.cpp build")
    assert "CPU" in build and "AVX2 = 1" in build  # the backend and the portable instruction set
    assert "AVX512 = 1" not in build and "AMX" not in build
    assert "ok, extra buffers on: generated" in line("llm self-check")
    assert "checksums verified" in r.stdout and "embeds a query" in r.stdout
    assert (tmp_path / "cache" / "newsqa" / "llm-check.json").is_file()

    again = rag("doctor", "--index", str(seed_index_dir), "--json", env=env)
    report = json.loads(again.stdout)
    assert again.returncode == 0 and report["ready"] is True
    check = next(c for c in report["checks"] if c["name"] == "llm self-check")
    assert check["ok"] and check["detail"].endswith("[cached]")


def test_doctor_names_what_is_missing_and_exits_1(tmp_path):
    r = rag("doctor", "--index", str(tmp_path / "nowhere"), env={"RAG_LLM_EXTRA_BUFFERS": "off"})
    assert r.returncode == 1
    assert "FAIL index" in r.stdout and "rag index" in r.stdout
    assert "extra buffers off (forced by RAG_LLM_EXTRA_BUFFERS)" in r.stdout
    assert r.stdout.rstrip().endswith("not ready: fix the FAIL lines above")


def test_the_model_answers_the_same_with_extra_buffers_off(real_generator):
    from rag.generation import load_llama

    prompt = "The mayor said the bridge would cost 340 million dollars. The bridge will cost"
    plain = load_llama(real_generator.path, n_ctx=512, n_threads=2, extra_buffers=False)
    on = load_llama(real_generator.path, n_ctx=512, n_threads=2, extra_buffers=True)
    a = plain.create_completion(prompt, max_tokens=8, temperature=0.0, top_k=1)["choices"][0]["text"]
    b = on.create_completion(prompt, max_tokens=8, temperature=0.0, top_k=1)["choices"][0]["text"]
    assert a.strip() and a == b
