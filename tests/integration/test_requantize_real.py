"""The shipped SmolLM2 Q4_1 GGUF converted to Q8_0 for real, cached, and used by the default
generator; the same question twice still gives the same text."""
import pytest

from rag.generation import resolve_llm
from rag.requantize import FTYPES, file_type, prompt_fast_model

pytestmark = pytest.mark.integration


def test_the_default_model_gets_a_cached_q8_0_copy(tmp_path):
    src = resolve_llm("default")
    assert file_type(src) == FTYPES["q4_1"]
    out = prompt_fast_model(src, "auto", folder=tmp_path)
    assert out != src and out.parent == tmp_path and file_type(out) == FTYPES["q8_0"]
    stamp = out.stat().st_mtime_ns
    assert prompt_fast_model(src, "auto", folder=tmp_path) == out and out.stat().st_mtime_ns == stamp
    assert prompt_fast_model(src, "off", folder=tmp_path) == src
    assert list(tmp_path.glob(".*.tmp")) == []


def test_the_default_generator_runs_the_copy_and_repeats_itself(real_generator):
    assert real_generator.loaded_path is not None and real_generator.loaded_path.name.endswith(".Q8_0.gguf")
    msgs = [{"role": "user", "content": "Name the capital of France in one word."}]
    first = "".join(real_generator.stream(msgs, max_tokens=12))
    assert first and first == "".join(real_generator.stream(msgs, max_tokens=12))
