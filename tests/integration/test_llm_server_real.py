"""The pipeline through a real llama.cpp server on loopback (llama-cpp-python's own server with
the default GGUF), as a pool of servers would be used."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .test_cli_real import rag

pytestmark = pytest.mark.integration

QUESTION = "Who led the US delegation at the Geneva talks?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(real_generator, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("llm-server") / "server.log", "w+")  # a pipe left unread would fill
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(real_generator.path), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--seed", "0"],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"llama_cpp.server exited: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start within 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def http_pipeline(server_url, seed_index_dir, real_embedder):
    from rag.generation import make_generator
    from rag.indexing import load_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    s = Settings(index_dir=seed_index_dir, llm=server_url, llm_model="smollm2")
    return Pipeline(real_embedder, load_index(seed_index_dir, real_embedder.name), make_generator(s), s)


def test_answers_through_the_server_with_a_citation_to_the_seed(http_pipeline):
    a = http_pipeline.answer(QUESTION)
    assert not a.abstained and "Sherman" in a.text
    assert a.citations and all(c.article_id == "000_77154c4569bde0ee" for c in a.citations)
    assert a.timings.ttft_s is not None


def test_server_counts_tokens_as_the_local_model_does(http_pipeline, real_generator):
    text = "Deputy Secretary of State Wendy Sherman led the US delegation in Geneva."
    assert http_pipeline.generator.count_tokens(text) == real_generator.count_tokens(text)


def test_reply_opens_as_the_grammar_says(http_pipeline):
    msgs = [{"role": "user", "content": "Is the sky green? Answer in one sentence."}]
    reply = "".join(http_pipeline.generator.stream(msgs, max_tokens=12, opening_words=("Yes", "No")))
    assert reply.startswith(("Yes", "No"))


def test_same_question_same_text_through_the_server(http_pipeline):
    q = "What did Ryabkov say about the talks?"
    assert http_pipeline.answer(q).text == http_pipeline.answer(q).text


def test_cli_and_doctor_through_the_server(server_url, seed_index_dir):
    env = {"RAG_LLM": server_url, "RAG_LLM_MODEL": "smollm2"}
    r = rag("ask", QUESTION, "--index", str(seed_index_dir), env=env)
    assert r.returncode == 0 and "Sherman" in r.stdout, r.stderr
    d = rag("doctor", "--index", str(seed_index_dir), env=env)
    assert d.returncode == 0 and "the server answered" in d.stdout, d.stdout


def test_a_server_that_is_down_is_one_line(seed_index_dir):
    url = f"http://127.0.0.1:{free_port()}/v1"
    r = rag("ask", QUESTION, "--index", str(seed_index_dir), env={"RAG_LLM": url})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"error: the LLM server at {url} is not reachable")
