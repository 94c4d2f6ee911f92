"""SIGKILL at 20 seeded points of a real index build (fake embedder, real FAISS and files): during
embedding, before / half-way through / after each file write, at each fsync, the checksums, the
`CURRENT` switch and the sweep, in a full rebuild, an incremental update and a removal.

Each point runs the operation in a forked child that kills itself with SIGKILL exactly there.
Afterwards the loader (checksums verified) serves the old or the new generation, never a mix or
an error; rerunning the operation completes; no unfinished or stale generation is left behind.
"""
from __future__ import annotations

import os
import random
import signal
import traceback
from collections import Counter
from pathlib import Path

import pytest

import rag.files as files
import rag.generations as gens
import rag.indexing as ix
from rag.indexing import current_generation, load_index, update_index
from rag.store import FaissStore
from rag.types import Article

from ..fakes import HashEmbedder

SEED = 11
POINTS = 20
SCENARIOS = ("rebuild", "update", "remove")


def articles(n: int, changed: tuple[int, ...] = ()) -> list[Article]:
    return [Article(id=f"a{i}", title=f"Story {i}",
                    text=(f"Story {i} tells of the harbour of town {i} and its ferry. " * 12)
                    + (" The ferry was cancelled." if i in changed else ""))
            for i in range(n)]


def run(scenario: str, d: Path, settings, emb) -> None:
    if scenario == "rebuild":
        update_index(d, articles(16), emb, settings, rebuild=True)
    elif scenario == "update":  # two changed, five new: old vectors kept, seven embedded
        update_index(d, articles(15, changed=(1, 2)), emb, settings)
    else:
        update_index(d, [], emb, settings, remove=["a3", "a4", "a5"])


class Hooks:
    """Counts the build's steps; at step `target` it dies (before, half-way through, or after it)."""

    def __init__(self, target: int | None = None, mode: str = "before"):
        self.target, self.mode, self.n, self.events = target, mode, 0, []

    def hit(self, kind: str, real, partial=None):
        i = self.n
        self.n += 1
        self.events.append(kind)
        if i != self.target:
            return real()
        if self.mode == "torn":
            partial()
        elif self.mode == "after":
            real()
        os.kill(os.getpid(), signal.SIGKILL)


def instrument(hooks: Hooks, emb: HashEmbedder, setattr_) -> None:
    real_embed, real_write, real_fsync, real_sha = emb.embed_documents, files.write_synced, files.fsync_path, files.sha256_file
    real_replace, real_rmtree, real_save = os.replace, gens.shutil.rmtree, FaissStore.save

    def torn_write(path, text):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text[: len(text) // 2])

    def torn_save(store, path):
        real_save(store, path)
        with open(path, "r+b") as fh:
            fh.truncate(os.path.getsize(path) // 2)

    class Os:  # the modules' `os`, with their renames counted
        def __getattr__(self, name):
            return getattr(os, name)

        def replace(self, a, b):
            kind = {"CURRENT": "switch CURRENT", "manifest.json": "rename manifest.json"}.get(Path(b).name, "sweep")
            return hooks.hit(kind, lambda: real_replace(a, b))

    class Shutil:
        def __getattr__(self, name):
            return getattr(gens.shutil, name)

        def rmtree(self, p, *a, **k):
            return hooks.hit("sweep", lambda: real_rmtree(p, *a, **k))

    setattr_(emb, "embed_documents", lambda texts: hooks.hit("embed", lambda: real_embed(texts)))
    setattr_(files, "write_synced", lambda p, t: hooks.hit(f"write {Path(p).name}", lambda: real_write(p, t),
                                                            lambda: torn_write(p, t)))
    setattr_(FaissStore, "save", lambda s, p: hooks.hit("write index.faiss", lambda: real_save(s, p),
                                                          lambda: torn_save(s, p)))
    setattr_(files, "fsync_path", lambda p: hooks.hit("fsync", lambda: real_fsync(p)))
    setattr_(files, "sha256_file", lambda p: hooks.hit("checksum", lambda: real_sha(p)))
    setattr_(files, "os", Os())
    setattr_(gens, "os", Os())
    setattr_(gens, "shutil", Shutil())
    # small batches so the kill can land between two batches of embedding
    setattr_(ix._embed, "__defaults__", (4,))


def base_index(d: Path, settings) -> None:
    """Two generations, as after a few builds: the next build sweeps the older one."""
    update_index(d, articles(9), HashEmbedder(), settings)
    update_index(d, articles(10), HashEmbedder(), settings)


def content(d: Path):
    idx = load_index(d, HashEmbedder.name)  # verifies every checksum
    return ({a.id: a.hash for a in idx.articles.values()},
            [(c.article_id, c.text) for c in idx.chunks])


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """Trace each scenario once (no kill) to list its steps and record its old and new content;
    then draw the 20 kill points: every kind of step at least once, the rest at random."""
    from rag.settings import Settings

    traces, expected = {}, {}
    mp = pytest.MonkeyPatch()
    for sc in SCENARIOS:
        d = tmp_path_factory.mktemp(sc) / "index"
        s = Settings(index_dir=d, chunk_tokens=40, chunk_overlap=8)
        base_index(d, s)
        old = content(d)
        emb, hooks = HashEmbedder(), Hooks()
        with pytest.MonkeyPatch.context() as mp:
            instrument(hooks, emb, mp.setattr)
            run(sc, d, s, emb)
        traces[sc] = hooks.events
        expected[sc] = (old, content(d))
    candidates = []
    for sc, events in traces.items():
        for i, kind in enumerate(events):
            modes = ("before", "torn", "after") if kind.startswith("write") else ("before", "after")
            candidates += [(sc, i, kind, m) for m in modes]
    rng = random.Random(SEED)
    chosen = []
    for kind in sorted({c[2] for c in candidates}):
        chosen.append(rng.choice([c for c in candidates if c[2] == kind]))
    for sc in SCENARIOS:
        if not any(c[0] == sc for c in chosen):
            chosen.append(rng.choice([c for c in candidates if c[0] == sc]))
    rest = [c for c in candidates if c not in chosen]
    chosen += rng.sample(rest, POINTS - len(chosen))
    return sorted(chosen), expected, traces


def test_the_plan_covers_every_kind_of_step(plan):
    chosen, _, traces = plan
    kinds = {k for events in traces.values() for k in events}
    assert {"embed", "write index.faiss", "write chunks.jsonl", "write articles.jsonl", "write manifest.json.tmp",
            "write CURRENT.tmp", "fsync", "checksum", "switch CURRENT", "sweep"} <= kinds
    assert len(chosen) == POINTS and {c[2] for c in chosen} == kinds
    assert {c[0] for c in chosen} == set(SCENARIOS)
    assert Counter(c[3] for c in chosen)["torn"] >= 1


@pytest.mark.parametrize("point", range(POINTS))
def test_killed_at_a_seeded_point_old_or_new_is_served_and_a_rerun_completes(plan, point, tmp_path):
    from rag.settings import Settings

    chosen, expected, _ = plan
    scenario, target, kind, mode = chosen[point]
    d = tmp_path / "index"
    s = Settings(index_dir=d, chunk_tokens=40, chunk_overlap=8)
    base_index(d, s)
    old_gen = current_generation(d).name
    pid = os.fork()
    if pid == 0:  # the child: run the operation and die at the chosen step
        try:
            emb = HashEmbedder()
            instrument(Hooks(target, mode), emb, lambda o, n, v: setattr(o, n, v))
            run(scenario, d, s, emb)
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    where = f"{scenario}: {mode} step {target} ({kind})"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, where

    old, new = expected[scenario]
    served = content(d)  # never an error ...
    assert served in (old, new), f"{where}: a mix of generations is served"  # ... never a mix
    if served == old:
        assert current_generation(d).name == old_gen, where

    run(scenario, d, s, HashEmbedder())  # the rerun completes
    assert content(d) == new, where
    gens = sorted(p.name for p in d.iterdir() if p.is_dir())
    assert len(gens) <= 2 and all(g.startswith("gen-") for g in gens), f"{where}: left {gens}"
    assert all((d / g / "manifest.json").exists() for g in gens), f"{where}: an unfinished generation is left"
    assert not (d / "CURRENT.tmp").exists(), where


def test_print_the_points(plan, capsys):
    """The drawn points, for the record (pytest -s shows them)."""
    chosen, _, traces = plan
    with capsys.disabled():
        print(f"\nkill points (seed {SEED}): " + "; ".join(f"{sc} {m} #{i} {k}" for sc, i, k, m in chosen))
        print("steps per scenario: " + ", ".join(f"{sc} {len(ev)}" for sc, ev in traces.items()))
    assert len(chosen) == POINTS
