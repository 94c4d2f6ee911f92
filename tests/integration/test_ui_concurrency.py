"""The chat page under load, through gradio_client (the way a script would call it).

- 8 clients asking at once all get complete answers from the real models, and the model is
  never entered by two requests at the same time (one queue slot for every model event);
- a full queue refuses the extra requests with the busy message instead of dropping them;
- direct HTTP calls cannot skip the queue (api_open=False).
"""
from __future__ import annotations

import json
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
QUESTIONS = [
    "Who led the US delegation at the Geneva talks?",
    "What did Sergei Ryabkov say about NATO?",
    "What did Wendy Sherman say about sanctions?",
    "How many Russian soldiers are near the border with Ukraine?",
    "What did Canada say it would do?",
    "Where will the NATO-Russia Council meet?",
    "What happened in Kazakhstan?",
    "How many times has NATO expanded since the Cold War?",
]


class CountingGenerator:
    """Wraps the real generator and records how many requests are inside it at once.

    The count goes up before the generator's own lock is taken, so two events let through
    together by the queue would show as 2 even though the lock would then serialise them."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.lock = inner.lock
        self.active = 0
        self.max_active = 0
        self.calls = 0
        self._count = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream(self, messages, *, max_tokens: int, opening_words=()):
        with self._count:
            self.active += 1
            self.calls += 1
            self.max_active = max(self.max_active, self.active)
        try:
            yield from self.inner.stream(messages, max_tokens=max_tokens, opening_words=opening_words)
        finally:
            with self._count:
                self.active -= 1


def start(pipe, queue_size: int):
    from tests.e2e.conftest import free_port
    from ui.app import build_app, serve

    port = free_port()
    demo = serve(build_app(pipe, queue_size=queue_size), port=port, block=False)
    return demo, f"http://127.0.0.1:{port}/"


def ask_all(url: str, questions: list[str], k: int) -> list[tuple[str, object, float]]:
    """Every question from its own client, all submitted together; (outcome, value, seconds) each."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in questions]
    barrier = threading.Barrier(len(questions))

    def one(i: int):
        barrier.wait()
        t0 = time.perf_counter()
        try:
            result = clients[i].submit(questions[i], k, api_name="/ask").result(timeout=600)
            return "answered", result, time.perf_counter() - t0
        except Exception as e:  # noqa: BLE001 - the outcome is what is checked
            return "refused", e, time.perf_counter() - t0

    with ThreadPoolExecutor(len(questions)) as pool:
        return list(pool.map(one, range(len(questions))))


def test_eight_clients_at_once_are_all_answered_one_at_a_time(real_embedder, real_generator, seed_index_dir):
    from rag.indexing import load_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    s = Settings(index_dir=seed_index_dir, k=3, max_answer_tokens=48)  # short answers keep the test quick
    gen = CountingGenerator(real_generator)
    pipe = Pipeline(real_embedder, load_index(seed_index_dir, real_embedder.name), gen, s)
    demo, url = start(pipe, queue_size=16)
    try:
        t0 = time.perf_counter()
        outcomes = ask_all(url, QUESTIONS, k=3)
        wall = time.perf_counter() - t0
    finally:
        demo.close()
    answered = [(v, secs) for kind, v, secs in outcomes if kind == "answered"]
    refused = [v for kind, v, _ in outcomes if kind == "refused"]
    figures = {
        "clients": len(QUESTIONS), "answered": len(answered), "lost": len(QUESTIONS) - len(answered),
        "max_in_flight": gen.max_active, "model_calls": gen.calls, "wall_s": round(wall, 1),
        "latency_s": {"min": round(min(s for _, s in answered), 1) if answered else None,
                      "median": round(statistics.median(s for _, s in answered), 1) if answered else None,
                      "max": round(max(s for _, s in answered), 1) if answered else None},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "concurrency.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print("\nconcurrency:", json.dumps(figures))
    assert refused == [], refused
    assert len(answered) == len(QUESTIONS)
    for (chat, sources, box), _ in answered:
        last = chat[-1]
        text = last["content"][0]["text"] if isinstance(last["content"], list) else last["content"]
        # the whole answer arrived: it ends with its timing note (an answer's, or a decline's)
        assert last["role"] == "assistant" and re.search(r"(complete in|passages in) \d+\.\d s\*$", text.replace("\\", ""))
        assert "▍" not in text and "sources" in sources and box == ""
    assert gen.max_active == 1  # the model was never entered by two requests at once
    assert gen.calls <= len(QUESTIONS)


@pytest.fixture
def slow_fake_pipe(tmp_path):
    from rag.articles import load_paths
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from tests.conftest import SEEDS
    from tests.fakes import HashEmbedder, ScriptedGenerator

    s = Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap=8, min_score=0.05)
    emb = HashEmbedder()
    update_index(s.index_dir, load_paths([SEEDS]).articles, emb, s)
    # ~5 s per answer: long enough for the queue to fill behind it
    return Pipeline(emb, load_index(s.index_dir, emb.name), ScriptedGenerator("Wendy Sherman led it [1]. " * 10,
                                                                             delay=0.1), s)


def test_a_full_queue_says_busy_and_direct_calls_cannot_skip_it(slow_fake_pipe):
    from gradio_client import Client
    from gradio_client.utils import QueueError, Status

    demo, url = start(slow_fake_pipe, queue_size=2)
    try:
        clients = [Client(url, verbose=False) for _ in range(6)]
        jobs = [clients[0].submit(QUESTIONS[0], 3, api_name="/ask")]
        wait_for(lambda: jobs[0].status().code in (Status.PROCESSING, Status.ITERATING))
        jobs += [clients[i].submit(QUESTIONS[i], 3, api_name="/ask") for i in (1, 2)]
        wait_for(lambda: all(j.status().code == Status.IN_QUEUE for j in jobs[1:]))
        jobs += [clients[i].submit(QUESTIONS[i], 3, api_name="/ask") for i in (3, 4, 5)]  # the queue is full now
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(("answered", job.result(timeout=120)))
            except QueueError as e:
                outcomes.append(("refused", e))
        direct = httpx.post(url + "gradio_api/run/ask", json={"data": ["Who led the US delegation?", 3]}, timeout=30)
    finally:
        demo.close()
    # the one running and the two waiting are answered; the rest are told to try again, none vanish
    assert [kind for kind, _ in outcomes] == ["answered"] * 3 + ["refused"] * 3, outcomes
    assert all("try again" in str(e).lower() for kind, e in outcomes if kind == "refused")
    assert all("complete in" in v[0][-1]["content"][0]["text"] for kind, v in outcomes if kind == "answered")
    assert direct.status_code == 404 and "join the queue" in direct.json()["detail"]


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the queue")
        time.sleep(0.05)
