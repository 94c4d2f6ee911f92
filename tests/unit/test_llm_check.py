"""The LLM self-check: a child killed by a signal becomes a clear message and a fallback.

The crash is simulated by a child that kills itself with SIGSEGV while "extra buffers" are on,
as llama.cpp's AMX kernels do on the CPUs where they fault; no real crash is needed.
"""
import signal
import sys
import textwrap

import pytest

from rag import llm_check
from rag.errors import ModelError, SettingsError
from rag.settings import Settings


def child(tmp_path, body: str) -> list[str]:
    """A child command line; the probe appends "on" or "off" (the extra-buffers mode)."""
    script = tmp_path / "child.py"
    script.write_text("import json, os, signal, sys, time\nmode = sys.argv[-1]\n" + textwrap.dedent(body))
    return [sys.executable, str(script)]


OK = 'print(json.dumps({"tokens": 4, "seconds": 0.1}))\n'


def test_crash_with_extra_buffers_falls_back_to_them_off(tmp_path, capsys):
    cmd = child(tmp_path, "if mode == 'on':\n    os.kill(os.getpid(), signal.SIGSEGV)\n" + OK)
    verdict = llm_check.check(tmp_path / "m.gguf", command=cmd)
    assert verdict.extra_buffers is False
    on, off = verdict.probes
    assert not on.ok and on.signal == "SIGSEGV" and on.detail == "killed by SIGSEGV"
    assert off.ok and off.detail == "generated 4 tokens in 0.1 s"
    warning = capsys.readouterr().err
    assert "killed by SIGSEGV" in warning and "RAG_LLM_EXTRA_BUFFERS=off" in warning
    assert warning.count("\n") == 1
    assert "extra buffers off" in verdict.summary and "SIGSEGV" in verdict.summary


def test_crash_either_way_is_one_actionable_error(tmp_path):
    cmd = child(tmp_path, "os.kill(os.getpid(), signal.SIGILL)\n")
    with pytest.raises(ModelError) as e:
        llm_check.check(tmp_path / "m.gguf", command=cmd)
    msg = str(e.value)
    assert "killed by SIGILL" in msg and "CPU features:" in msg and "RAG_LLM" in msg
    assert "\n" not in msg


def test_healthy_model_keeps_extra_buffers(tmp_path):
    verdict = llm_check.check(tmp_path / "m.gguf", command=child(tmp_path, OK))
    assert verdict.extra_buffers is True and len(verdict.probes) == 1 and verdict.probes[0].ok


def test_failure_without_signal_reports_the_childs_last_line(tmp_path):
    cmd = child(tmp_path, "print('loading', file=sys.stderr)\nprint('bad magic in model file', file=sys.stderr)\nsys.exit(3)\n")
    result = llm_check.probe(tmp_path / "m.gguf", True, command=cmd)
    assert not result.ok and result.signal is None
    assert result.detail == "exit status 3: bad magic in model file"


def test_a_hanging_child_is_stopped(tmp_path):
    result = llm_check.probe(tmp_path / "m.gguf", True, command=child(tmp_path, "time.sleep(30)\n"), timeout=1)
    assert not result.ok and "no answer within 1 s" in result.detail


def test_forced_modes_run_no_probe(monkeypatch, tmp_path):
    def boom(*a, **k):
        raise AssertionError("no probe expected")

    monkeypatch.setattr(llm_check, "check", boom)
    assert llm_check.extra_buffers_for(tmp_path / "m.gguf", "on") is True
    assert llm_check.extra_buffers_for(tmp_path / "m.gguf", "off") is False


def test_generator_loads_with_the_checked_mode(monkeypatch, tmp_path):
    from rag import generation

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 16)
    seen = {}
    monkeypatch.setattr(llm_check, "extra_buffers_for", lambda path, mode, n_threads: mode == "on")
    monkeypatch.setattr(generation, "load_llama", lambda path, **kw: seen.update(kw) or "model")
    gen = generation.LlamaCppGenerator(str(model), extra_buffers="off")
    assert gen.llm == "model" and seen["extra_buffers"] is False


def test_setting_is_validated_and_read_from_the_environment():
    assert Settings().llm_extra_buffers == "auto"
    assert Settings.from_env({"RAG_LLM_EXTRA_BUFFERS": "off"}).llm_extra_buffers == "off"
    with pytest.raises(SettingsError, match="llm_extra_buffers='maybe' must be 'auto', 'on' or 'off'"):
        Settings(llm_extra_buffers="maybe")


def test_cpu_summary_names_the_features_that_matter():
    assert llm_check.cpu_summary(["fpu", "avx2", "amx_tile", "avx512f"]) == "avx2 avx512f amx_tile"
    assert llm_check.cpu_summary([]) == "unknown"
    assert signal.Signals.SIGSEGV.name == "SIGSEGV"
