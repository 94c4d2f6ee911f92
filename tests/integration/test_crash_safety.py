"""A build SIGKILLed mid-write leaves the previous index in service, and a rerun completes."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from rag.indexing import current_generation, load_index

from ..conftest import ROOT

pytestmark = pytest.mark.integration

# The child builds a first index, then starts a second build that pauses at STAGE (printing
# PAUSED) so the parent can SIGKILL it exactly there.
CHILD = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, {tests!r})
    import rag.files as files
    import rag.indexing as ix
    from fakes import HashEmbedder
    from rag.settings import Settings
    from rag.types import Article
    stage, d = sys.argv[1], sys.argv[2]
    s = Settings(index_dir=d, chunk_tokens=40, chunk_overlap=8)
    emb = HashEmbedder()
    arts = [Article(id=f"a{{i}}", title=f"Story {{i}}", text=f"Story {{i}} is about topic {{i}}. " * 30) for i in range(30)]
    if stage == "first":
        ix.update_index(d, arts[:10], emb, s); sys.exit(0)
    def pause(*a, **k):
        print("PAUSED", flush=True); time.sleep(60)
    if stage == "embedding":
        real = emb.embed_documents
        emb.embed_documents = lambda t: (pause(), real(t))[1]
    elif stage == "chunks":
        real_w = files.write_synced
        def w(path, text):
            if path.name == "chunks.jsonl":
                with open(path, "w") as fh: fh.write(text[: len(text) // 2]); fh.flush()
                pause()
            real_w(path, text)
        files.write_synced = w
    elif stage == "switch":
        real_r = files.os.replace
        files.os.replace = lambda a, b: (pause() if str(b).endswith("CURRENT") else None, real_r(a, b))
    ix.update_index(d, arts, emb, s)
''')


def run_child(stage, d, kill):
    code = CHILD.format(tests=str(ROOT / "tests"))
    p = subprocess.Popen([sys.executable, "-c", code, stage, str(d)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if kill:
        line = p.stdout.readline()
        assert line.strip() == "PAUSED"
        os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=120)
    return p.returncode


@pytest.mark.parametrize("stage", ["embedding", "chunks", "switch"])
def test_killed_build_leaves_old_index_loadable_and_rerun_completes(tmp_path, stage):
    d = tmp_path / "index"
    assert run_child("first", d, kill=False) == 0
    before = current_generation(d).name
    assert run_child(stage, d, kill=True) == -signal.SIGKILL
    idx = load_index(d)  # verifies checksums
    assert idx.generation == before and len(idx.articles) == 10
    # the rerun (no pause) completes and sweeps the half-written generation
    code = CHILD.format(tests=str(ROOT / "tests")).replace('if stage == "first":', 'if stage in ("first", "rerun"):').replace("arts[:10]", "(arts if stage == 'rerun' else arts[:10])")
    r = subprocess.run([sys.executable, "-c", code, "rerun", str(d)], cwd=ROOT)
    assert r.returncode == 0
    idx = load_index(d)
    assert len(idx.articles) == 30 and idx.generation != before
    gens = sorted(p.name for p in d.glob("gen-*"))
    assert len(gens) <= 2
