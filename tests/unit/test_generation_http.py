"""The OpenAI-compatible generator against a scripted server (httpx.MockTransport)."""
import json

import httpx
import pytest

from rag.errors import ModelError
from rag.generation import make_generator
from rag.generation_http import OpenAIHttpGenerator
from rag.settings import Settings

URL = "http://127.0.0.1:9/v1"


def sse(*pieces: str) -> bytes:
    events = [json.dumps({"choices": [{"delta": {"content": p}}]}) for p in pieces]
    return "".join(f"data: {e}\n\n" for e in events + ["[DONE]"]).encode()


class Server:
    """Answers by path; records requests; can fail the first N chat calls with a status."""

    def __init__(self, fail_first=0, status=503, tokenize=True):
        self.requests, self.fail_first, self.status, self.tokenize = [], fail_first, status, tokenize

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/v1/chat/completions":
            if self.fail_first:
                self.fail_first -= 1
                return httpx.Response(self.status, text="busy")
            return httpx.Response(200, content=sse("Wendy", " Sherman", " [1]."),
                                  headers={"content-type": "text/event-stream"})
        if path == "/tokenize" and self.tokenize:
            return httpx.Response(200, json={"tokens": list(range(len(json.loads(request.content)["content"].split())))})
        return httpx.Response(404, json={"detail": "Not Found"})


def gen(server, **kw):
    return OpenAIHttpGenerator(URL, model="smollm2", transport=httpx.MockTransport(server), backoff=0, **kw)


def test_streams_the_reply_and_sends_determinism_and_the_opening_grammar():
    server = Server()
    pieces = list(gen(server).stream([{"role": "user", "content": "Who?"}], max_tokens=20, opening_words=("Yes", "No")))
    assert pieces == ["Wendy", " Sherman", " [1]."]
    body = json.loads(server.requests[0].content)
    assert body["stream"] is True and body["temperature"] == 0.0 and body["top_k"] == 1 and body["seed"] == 0
    assert body["model"] == "smollm2" and body["max_tokens"] == 20
    assert body["grammar"].startswith('root ::= ("Yes" | "No")')


def test_5xx_is_retried_then_served():
    server = Server(fail_first=2)
    assert "".join(gen(server).stream([{"role": "user", "content": "Who?"}], max_tokens=5)) == "Wendy Sherman [1]."
    assert len(server.requests) == 3


def test_a_server_that_stays_down_is_one_line():
    def refuse(request):
        raise httpx.ConnectError("Connection refused")

    g = OpenAIHttpGenerator(URL, transport=httpx.MockTransport(refuse), backoff=0, retries=2)
    with pytest.raises(ModelError) as e:
        list(g.stream([{"role": "user", "content": "Who?"}], max_tokens=5))
    msg = str(e.value)
    assert msg.startswith(f"the LLM server at {URL} is not reachable (ConnectError: Connection refused after 3 tries)")
    assert "RAG_LLM" in msg and "\n" not in msg


def test_a_refused_request_names_the_status():
    with pytest.raises(ModelError, match=r"refused the request \(HTTP 400: busy\)"):
        list(gen(Server(fail_first=1, status=400)).stream([{"role": "user", "content": "x"}], max_tokens=5))


def test_tokens_are_counted_by_the_server_or_estimated():
    server = Server()
    g = gen(server)
    assert g.count_tokens("one two three") == 3
    assert any(r.url.path == "/tokenize" for r in server.requests)
    assert gen(Server(tokenize=False)).count_tokens("x" * 30) == 11  # no tokenizer: 1 per 3 chars, rounded up


def test_api_key_comes_from_the_environment_and_is_never_in_the_name(monkeypatch):
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-secret")
    server = Server()
    g = gen(server)
    list(g.stream([{"role": "user", "content": "x"}], max_tokens=5))
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret"
    assert "sk-secret" not in g.name and "sk-secret" not in repr(Settings.from_env())


def test_settings_choose_the_http_generator_for_a_url():
    g = make_generator(Settings(llm=URL, llm_model="qwen"))
    assert isinstance(g, OpenAIHttpGenerator) and g.name == f"qwen @ {URL}"
