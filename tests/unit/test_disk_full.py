"""Disk full while a new generation is written: one clear error, a non-zero exit, the previous
index still served, no partial generation left. ENOSPC comes from a patched writer at each write
of a build, and for real from a small tmpfs where this machine lets the test mount one."""
import errno
import os
import subprocess
import uuid

import pytest

import rag.files as files
from rag.cli import main
from rag.errors import IndexWriteError
from rag.indexing import current_generation, load_index, update_index
from rag.store import FaissStore
from rag.types import Article

from ..fakes import HashEmbedder

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def articles(n, start=0, size=12):
    return [Article(id=f"a{i}", title=f"Story {i}", text=f"Story {i} tells of the harbour of town {i}. " * size)
            for i in range(start, start + n)]


def leftovers(d):
    return sorted(p.name for p in d.iterdir() if p.name not in {"CURRENT", ".lock"})


@pytest.mark.parametrize("target", ["index.faiss", "chunks.jsonl", "articles.jsonl", "manifest.json.tmp", "CURRENT.tmp"])
def test_enospc_at_any_write_is_one_error_and_the_old_index_stays(fake_settings, monkeypatch, target):
    d, emb = fake_settings.index_dir, HashEmbedder()
    update_index(d, articles(3), emb, fake_settings)
    before, files_before = current_generation(d).name, leftovers(d)
    real_write, real_save = files.write_synced, FaissStore.save

    def write(path, text):
        if path.name == target:
            with open(path, "w") as fh:  # a part lands on disk, then the disk is full
                fh.write(text[: len(text) // 3])
            raise ENOSPC
        real_write(path, text)

    def save(store, path):
        if target == "index.faiss":  # how FAISS reports a failed write
            raise RuntimeError("Error in faiss::FileIOWriter::operator() ... write error: No space left on device")
        real_save(store, path)

    monkeypatch.setattr(files, "write_synced", write)
    monkeypatch.setattr(FaissStore, "save", save)
    with pytest.raises(IndexWriteError) as e:
        update_index(d, articles(6), emb, fake_settings)
    assert "No space left on device" in str(e.value) and "previous index is still in service" in str(e.value)
    assert current_generation(d).name == before and sorted(load_index(d, emb.name).articles) == ["a0", "a1", "a2"]
    assert leftovers(d) == files_before  # no partial generation, no CURRENT.tmp


def test_the_cli_exits_1_with_one_line(fake_settings, monkeypatch, tmp_path, capsys):
    import rag.embedding

    d = fake_settings.index_dir
    update_index(d, articles(3), HashEmbedder(), fake_settings)
    src = tmp_path / "news"
    src.mkdir()
    (src / "story.txt").write_text("A new story\n\nThe new story is about the harbour.\n")
    monkeypatch.setattr(rag.embedding, "make_embedder", lambda *a, **k: HashEmbedder())
    monkeypatch.setattr(rag.embedding, "embedder_for_index", lambda *a, **k: HashEmbedder())
    monkeypatch.setattr(files, "write_synced", lambda path, text: (_ for _ in ()).throw(ENOSPC))
    code = main(["index", str(src), "--index", str(d), "--chunk-tokens", "40", "--chunk-overlap", "8"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("error: cannot write") and "No space left on device" in err[0]
    assert sorted(load_index(d).articles) == ["a0", "a1", "a2"]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 384 KiB tmpfs (root only; skipped where the machine does not allow mounting)."""
    mnt = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the patched-writer tests cover ENOSPC")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_really_full_tmpfs(small_tmpfs, fake_settings):
    d, emb = small_tmpfs / "index", HashEmbedder()
    s = fake_settings.replace(index_dir=d)
    update_index(d, articles(5), emb, s)
    before = current_generation(d).name
    with pytest.raises(IndexWriteError, match="No space left on device"):
        update_index(d, articles(300, start=5, size=20), emb, s)  # about 1.5 MB of chunks
    assert current_generation(d).name == before and len(load_index(d, emb.name).articles) == 5
    assert [p.name for p in d.glob("gen-*")] == [before] and not (d / "CURRENT.tmp").exists()
    update_index(d, articles(3, start=5), emb, s)  # a small update still fits: nothing was leaked
    assert len(load_index(d, emb.name).articles) == 8
