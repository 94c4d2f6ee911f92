"""Eight threads calling `answer()` at once get the same answers as the serial run (fakes; a
generator whose reply depends on the prompt and that sleeps between tokens, so calls interleave;
a fresh pipeline each round, so the lazy keyword index and coverage are built under the race)."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import rag.pipeline as pipeline_mod
from rag.articles import load_paths
from rag.indexing import load_index, update_index
from rag.pipeline import Pipeline

from ..conftest import SEEDS
from ..fakes import HashEmbedder, ScriptedGenerator

QUESTIONS = [
    "Who led the US delegation at the Geneva talks?",
    "What did Sergei Ryabkov say about NATO?",
    "What did Wendy Sherman say about sanctions?",
    "How many Russian soldiers are near the border with Ukraine?",
    "What did Canada say it would do?",
    "Where will the NATO-Russia Council meet?",
    "What happened in Kazakhstan?",
    "Did NATO expand since the Cold War?",
]
ROUNDS = 3


def reply(messages):
    """The first sentence of the first passage, cited: different prompts give different replies."""
    user = messages[-1]["content"]
    m = re.search(r"\[1\][^:]*:\s*(.+?[.!?])(\s|$)", user, re.S)
    return (m.group(1).replace("\n", " ") + " [1].") if m else "The articles don't say."


def comparable(a) -> dict:
    d = a.to_dict()
    d.pop("timings", None)
    return d


def test_eight_threads_get_the_serial_answers(fake_settings, monkeypatch):
    d = fake_settings.index_dir
    emb = HashEmbedder()
    update_index(d, load_paths([SEEDS]).articles, emb, fake_settings)

    def fresh():
        return Pipeline(emb, load_index(d, emb.name), ScriptedGenerator(reply, delay=0.002), fake_settings)

    serial_pipe = fresh()
    serial = [comparable(serial_pipe.answer(q)) for q in QUESTIONS]
    assert len({s["text"] for s in serial}) >= 4  # the questions really get different answers
    assert any(s["citations"] for s in serial)

    mismatches = 0
    for _ in range(ROUNDS):
        pipe = fresh()  # the module-level answer() serves this pipeline for the index folder
        monkeypatch.setitem(pipeline_mod._pipelines, str(Path(d).resolve()), pipe)
        barrier = threading.Barrier(len(QUESTIONS))

        def one(q):
            barrier.wait()
            return comparable(pipeline_mod.answer(q, index=d))

        with ThreadPoolExecutor(len(QUESTIONS)) as pool:
            got = list(pool.map(one, QUESTIONS))
        mismatches += sum(g != s for g, s in zip(got, serial))
    print(f"\nthreads: {ROUNDS * len(QUESTIONS) - mismatches} of {ROUNDS * len(QUESTIONS)} threaded answers equal the serial ones")
    assert mismatches == 0, f"{mismatches} of {ROUNDS * len(QUESTIONS)} threaded answers differ from the serial run"
