"""The page under load, on fakes (a slow fake LLM behind a lock like the real generator's):

- 20 sessions x 5 questions (each session a conversation, so follow-ups are rewritten) through
  the page's queue with its default size: 100 of 100 answered, never two generations in flight,
  p50/p95/max latency written to test-artifacts/page_load.json;
- an overflowing queue: with one question running, 29 more at once against a queue of 16: exactly
  16 answered and 13 told "busy, try again"; nothing hangs.
"""
from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SESSIONS, PER_SESSION = 20, 5
CONVERSATION = [
    "Who led the US delegation at the Geneva talks?",
    "What did she say about sanctions?",
    "What did Sergei Ryabkov say about NATO?",
    "Where will the NATO-Russia Council meet?",
    "How many Russian soldiers are near the border with Ukraine?",
]


class SlowLLM:
    """Streams a fixed reply token by token under one lock, as LlamaCppGenerator does; counts the
    callers inside stream() before the lock, so the queue letting two through would show."""

    name = "fake/slow"

    def __init__(self, reply: str, delay: float):
        self.reply, self.delay = reply, delay
        self.gate = threading.Event()  # generation waits for it (the overflow test holds it shut)
        self.gate.set()
        self.lock = threading.Lock()
        self._count = threading.Lock()
        self.active = self.max_active = self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages, *, max_tokens: int, opening_words=()):
        with self._count:
            self.active += 1
            self.calls += 1
            self.max_active = max(self.max_active, self.active)
        try:
            with self.lock:
                self.gate.wait(timeout=120)
                for piece in self.reply.split(" ")[:max_tokens]:
                    time.sleep(self.delay)
                    yield piece + " "
        finally:
            with self._count:
                self.active -= 1


@pytest.fixture
def make_pipe(tmp_path):
    from rag.articles import load_paths
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from tests.conftest import SEEDS
    from tests.fakes import HashEmbedder

    s = Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap=8, min_score=0.05)
    emb = HashEmbedder()
    update_index(s.index_dir, load_paths([SEEDS]).articles, emb, s)

    def _make(delay: float):
        gen = SlowLLM("Wendy Sherman led the US delegation at the Geneva talks [1].", delay)
        return Pipeline(emb, load_index(s.index_dir, emb.name), gen, s, checks=frozenset({"declines"})), gen

    return _make


def start(pipe, **kw):
    from tests.e2e.conftest import free_port
    from ui.app import build_app, serve

    port = free_port()
    return serve(build_app(pipe, **kw), port=port, block=False), f"http://127.0.0.1:{port}/"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def test_twenty_sessions_of_five_questions_are_all_answered_one_at_a_time(make_pipe):
    from gradio_client import Client

    pipe, gen = make_pipe(delay=0.01)
    demo, url = start(pipe)  # the page's default queue size
    latencies, outcomes = [], []
    try:
        clients = [Client(url, verbose=False) for _ in range(SESSIONS)]
        barrier = threading.Barrier(SESSIONS)

        def session(i):
            barrier.wait()
            got = []
            for q in CONVERSATION[:PER_SESSION]:
                t0 = time.perf_counter()
                try:
                    chat, _, _ = clients[i].submit(q, 3, api_name="/ask").result(timeout=300)
                    last = chat[-1]["content"]
                    text = last[0]["text"] if isinstance(last, list) else last
                    got.append(("answered" if "complete in" in text or "passages in" in text else "partial",
                                time.perf_counter() - t0, len(chat)))
                except Exception as e:  # noqa: BLE001 - the outcome is what is counted
                    got.append((f"error: {e}", time.perf_counter() - t0, 0))
            return got

        t0 = time.perf_counter()
        with ThreadPoolExecutor(SESSIONS) as pool:
            results = list(pool.map(session, range(SESSIONS)))
        wall = time.perf_counter() - t0
    finally:
        demo.close()
    for got in results:
        outcomes += [o for o, _, _ in got]
        latencies += [t for o, t, _ in got if o == "answered"]
        assert [n for _, _, n in got] == [2 * (j + 1) for j in range(PER_SESSION)]  # each session's own conversation
    figures = {
        "sessions": SESSIONS, "questions": SESSIONS * PER_SESSION, "answered": outcomes.count("answered"),
        "max_in_flight": gen.max_active, "model_calls": gen.calls, "wall_s": round(wall, 1),
        "latency_s": {"p50": round(statistics.median(latencies), 2), "p95": round(pct(latencies, 95), 2),
                      "max": round(max(latencies), 2)},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page_load.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print("\npage load:", json.dumps(figures))
    assert outcomes.count("answered") == SESSIONS * PER_SESSION, [o for o in outcomes if o != "answered"][:3]
    assert gen.max_active == 1


def test_an_overflowing_queue_says_busy_for_exactly_the_overflow(make_pipe):
    from gradio_client import Client
    from gradio_client.utils import QueueError, Status

    pipe, gen = make_pipe(delay=0.005)
    gen.gate.clear()  # the first question holds the model until every other one has joined or been refused
    demo, url = start(pipe, queue_size=16)
    try:
        clients = [Client(url, verbose=False) for _ in range(30)]
        first = clients[0].submit(CONVERSATION[0], 3, api_name="/ask")
        wait_for(lambda: first.status().code in (Status.PROCESSING, Status.ITERATING))
        barrier = threading.Barrier(29)

        def submit(i):
            barrier.wait()
            return clients[i].submit(CONVERSATION[i % 5], 3, api_name="/ask")

        with ThreadPoolExecutor(29) as pool:
            jobs = list(pool.map(submit, range(1, 30)))
        wait_for(lambda: all(j.done() or j.status().code == Status.IN_QUEUE for j in jobs))
        gen.gate.set()
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=120)
                outcomes.append("answered")
            except QueueError as e:
                outcomes.append("busy" if "try again" in str(e).lower() else f"other: {e}")
        first.result(timeout=60)
    finally:
        gen.gate.set()
        demo.close()
    print(f"\noverflow: {outcomes.count('answered')} answered, {outcomes.count('busy')} busy of 29 behind one running")
    assert outcomes.count("answered") == 16 and outcomes.count("busy") == 13, outcomes


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the queue"
        time.sleep(0.05)
