"""A damaged or mismatched index is refused with the specific reason and the command that fixes
it (naming the index folder), by the loader that answers questions and by `rag info`; never a
traceback, never a wrong passage."""
import json

import pytest

from rag.cli import main
from rag.errors import IndexCorruptError, IndexMismatchError
from rag.indexing import current_generation, load_index, update_index
from rag.types import Article

from ..fakes import HashEmbedder


@pytest.fixture
def built(fake_settings):
    d = fake_settings.index_dir
    arts = [Article(id=f"a{i}", title=f"Story {i}", text=f"Story {i} tells of the harbour of town {i}. " * 12)
            for i in range(4)]
    update_index(d, arts, HashEmbedder(), fake_settings)
    return d, current_generation(d)


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def flip(path, at=-40):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def drop_line(path, n=1):
    lines = path.read_text().splitlines(keepends=True)
    del lines[n]
    path.write_text("".join(lines))


def extra_line(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + [lines[0]]))


def torn_line(path):
    text = path.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[0]
    path.write_text(last + "\n" + text.rstrip("\n").rsplit("\n", 1)[1][:30])  # half of the last line


# (damage, file, the reason the checksum-free load must give; None: only the checksum can tell)
DAMAGE = [
    ("truncated", "index.faiss", truncate, "cannot be read by FAISS"),
    ("flipped byte", "index.faiss", flip, None),
    ("flipped byte", "chunks.jsonl", lambda p: flip(p, at=len(p.read_bytes()) // 2), None),
    ("missing line", "chunks.jsonl", drop_line, "chunks but"),
    ("extra line", "chunks.jsonl", extra_line, "chunks but"),
    ("half a line", "chunks.jsonl", torn_line, "damaged|torn"),
    ("missing line", "articles.jsonl", drop_line, "not listed|manifest counts"),
    ("emptied", "manifest.json", lambda p: p.write_text(""), "manifest.json is unreadable"),
    ("deleted", "chunks.jsonl", lambda p: p.unlink(), "cannot be read"),
]


@pytest.mark.parametrize("what,fname,damage,reason", DAMAGE, ids=[f"{f}-{w}" for w, f, _, _ in DAMAGE])
def test_damage_is_refused_with_the_reason_and_the_fix(built, what, fname, damage, reason):
    d, gen = built
    damage(gen / fname)
    with pytest.raises(IndexCorruptError) as e:  # the loader the pipeline uses (checksums verified)
        load_index(d, HashEmbedder.name)
    msg = str(e.value)
    assert f"--rebuild PATH... --index {d}`" in msg
    assert fname in msg or "chunks but" in msg or "manifest" in msg
    if reason is not None:  # without checksums (`rag info`) the damage is still named, never a traceback
        with pytest.raises(IndexCorruptError, match=reason):
            load_index(d, verify=False)


def test_rag_info_on_a_torn_chunks_file_prints_one_line_with_the_fix(built, capsys):
    d, gen = built
    torn_line(gen / "chunks.jsonl")
    assert main(["info", "--index", str(d)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and "JSONDecodeError" in err
    assert err.startswith("error: ") and err.endswith(f"`rag index --rebuild PATH... --index {d}`")


def test_a_manifest_naming_another_embedder_or_chunking_is_refused(built, fake_settings):
    d, gen = built
    m = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps(dict(m, embedder=dict(m["embedder"], name="other/model"))))
    with pytest.raises(IndexMismatchError, match=rf"built with embedder 'other/model'.*--index {d}`"):
        load_index(d, HashEmbedder.name)
    (gen / "manifest.json").write_text(json.dumps(dict(m, chunking=dict(m["chunking"], chunk_tokens=99))))
    with pytest.raises(IndexMismatchError, match=rf"chunking.*--index {d}`"):
        update_index(d, [Article(id="z", title="Z", text="Zed.")], HashEmbedder(), fake_settings)
    (gen / "manifest.json").write_text(json.dumps(dict(m, embedder=dict(m["embedder"], dim=384))))
    with pytest.raises(IndexCorruptError, match="dimension 64 but the manifest says 384"):
        load_index(d, HashEmbedder.name, verify=False)


def test_the_printed_fix_rebuilds_this_index(built, fake_settings):
    d, gen = built
    torn_line(gen / "chunks.jsonl")
    update_index(d, [Article(id="n", title="New", text="A new story.")], HashEmbedder(), fake_settings, rebuild=True)
    assert list(load_index(d, HashEmbedder.name).articles) == ["n"]
