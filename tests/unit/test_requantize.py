"""Which GGUF files get a faster-reading copy, and the thread count a busy machine allows."""
from pathlib import Path

import pytest

from rag.cpu import free_cores, others_running
from rag.requantize import AUTO_MAX_BYTES, FTYPES, prompt_fast_model, target_type


@pytest.mark.parametrize("source, mode, size, expected", [
    ("q4_1", "auto", 100 << 20, "q8_0"),  # the shipped SmolLM2 file
    ("q5_0", "auto", 100 << 20, "q8_0"),
    ("q4_1", "auto", AUTO_MAX_BYTES + 1, None),  # a large model keeps its memory footprint
    ("q8_0", "auto", 100 << 20, None),
    ("f16", "auto", 100 << 20, None),
    ("q4_0", "auto", 100 << 20, None),  # fast already (and Q8_0 would double its size)
    ("q4_1", "off", 100 << 20, None),
    ("q4_1", "f16", 100 << 20, "f16"),
    ("q8_0", "q8_0", 100 << 20, None),  # already that type
])
def test_which_files_are_converted(source, mode, size, expected):
    assert target_type(mode, FTYPES[source], size) == expected


def test_an_unknown_type_or_mode_is_left_alone_or_refused(tmp_path):
    assert target_type("auto", None, 1) is None
    with pytest.raises(ValueError, match="RAG_LLM_REQUANTIZE"):
        prompt_fast_model(tmp_path / "m.gguf", "q2_k")
    assert prompt_fast_model(tmp_path / "m.gguf", "off") == tmp_path / "m.gguf"


def test_a_file_that_cannot_be_converted_is_used_as_it_is(tmp_path, monkeypatch, caplog):
    import rag.requantize as rq

    src = tmp_path / "m.gguf"
    src.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setattr(rq, "file_type", lambda p: FTYPES["q4_1"])

    def broken(source, out, target):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rq, "convert", broken)
    assert prompt_fast_model(src, "auto", folder=tmp_path / "cache") == src
    assert "disk full" in caplog.text
    assert not list((tmp_path / "cache").glob("*")) if (tmp_path / "cache").exists() else True


def loadavg(tmp_path: Path, running: int) -> Path:
    p = tmp_path / "loadavg"
    p.write_text(f"1.00 0.80 0.50 {running}/345 12345\n")
    return p


def test_prompt_threads_shrink_when_other_work_holds_the_cores(tmp_path):
    assert others_running(loadavg(tmp_path, 1)) == 0  # only the reader itself
    assert free_cores(2, cores=2, loadavg=loadavg(tmp_path, 1)) == 2
    assert free_cores(2, cores=2, loadavg=loadavg(tmp_path, 2)) == 1
    assert free_cores(2, cores=2, loadavg=loadavg(tmp_path, 9)) == 1  # never below one
    assert free_cores(4, cores=8, loadavg=loadavg(tmp_path, 1)) == 4  # never above what is asked
    assert free_cores(2, cores=2, loadavg=tmp_path / "missing") == 2


def gguf_header(*kvs) -> bytes:
    """A GGUF v3 header holding `kvs` ((key, type, packed value) ...) and no tensors."""
    import struct

    def s(text: str) -> bytes:
        return struct.pack("<Q", len(text)) + text.encode()

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs))
    for key, kind, value in kvs:
        out += s(key) + struct.pack("<I", kind) + value
    return out


def test_the_file_type_is_read_from_the_header_past_strings_and_arrays(tmp_path):
    import struct

    from rag.requantize import file_type

    tokens = struct.pack("<IQ", 8, 2) + struct.pack("<Q", 3) + b"<s>" + struct.pack("<Q", 4) + b"</s>"
    header = gguf_header(("general.architecture", 8, struct.pack("<Q", 5) + b"llama"),
                         ("tokenizer.ggml.tokens", 9, tokens),
                         ("llama.rope.scale", 6, struct.pack("<f", 1.0)),
                         ("general.file_type", 4, struct.pack("<I", 3)))
    (tmp_path / "m.gguf").write_bytes(header)
    assert file_type(tmp_path / "m.gguf") == FTYPES["q4_1"]
    (tmp_path / "none.gguf").write_bytes(gguf_header(("general.name", 8, struct.pack("<Q", 1) + b"x")))
    assert file_type(tmp_path / "none.gguf") is None
    (tmp_path / "junk.gguf").write_bytes(b"not a model")
    assert file_type(tmp_path / "junk.gguf") is None
    (tmp_path / "cut.gguf").write_bytes(header[:40])  # a torn file: no error, no answer
    assert file_type(tmp_path / "cut.gguf") is None


def test_the_copy_is_named_by_the_sources_contents_not_its_path(tmp_path, monkeypatch):
    """Two checkouts (two venvs) of the same model share one cached copy; another model gets its own."""
    import os

    import rag.requantize as rq

    a, b, c = tmp_path / "one" / "m.gguf", tmp_path / "two" / "m.gguf", tmp_path / "three" / "m.gguf"
    for p, body in ((a, b"GGUF same"), (b, b"GGUF same"), (c, b"GGUF other")):
        p.parent.mkdir()
        p.write_bytes(body)
    os.utime(b, ns=(1, 1))
    assert rq.variant_path(a, "q8_0", tmp_path) == rq.variant_path(b, "q8_0", tmp_path)
    assert rq.variant_path(a, "q8_0", tmp_path) != rq.variant_path(c, "q8_0", tmp_path)
    assert rq.variant_path(a, "q8_0", tmp_path) != rq.variant_path(a, "f16", tmp_path)
