"""The LLM seam over HTTP: any server that speaks the OpenAI chat-completions API.

    RAG_LLM=http://127.0.0.1:8000/v1 RAG_LLM_MODEL=smollm2 rag ask "..."

llama.cpp's own server, llama-cpp-python's server (`python -m llama_cpp.server`) and vLLM all
speak it, so a pool of them behind a load balancer serves many users with the same pipeline.
What the local generator does is kept:
- replies stream (server-sent events);
- determinism: temperature, top_k=1 and the seed are sent with every request;
- "the reply opens with one of these words" is sent as a GBNF `grammar` (llama.cpp and
  llama-cpp-python servers). vLLM ignores unknown fields; there the constraint is not applied and
  the pipeline's own checks still read the reply;
- the prompt budget counts tokens with the server's tokenizer (`/tokenize` of llama.cpp's server,
  `/extras/tokenize` of llama-cpp-python's) and falls back to a safe estimate (a token per 3
  characters) when neither exists;
- connection errors and 5xx answers are retried with exponential backoff; a server that stays
  down is one line: "the LLM server at URL is not reachable ...".
The API key, if any, is read from `RAG_LLM_API_KEY` in the environment and never logged.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Iterator, Sequence

from .errors import ModelError
from .generation import opening_grammar

RETRIES = 3
BACKOFF_S = 0.5


def is_http_llm(choice: str) -> bool:
    return choice.startswith(("http://", "https://"))


class OpenAIHttpGenerator:
    def __init__(self, base_url: str, *, model: str = "", temperature: float = 0.0, seed: int = 0,
                 timeout: float = 120.0, retries: int = RETRIES, backoff: float = BACKOFF_S,
                 transport=None):
        self.base_url = base_url.rstrip("/")
        self.model = model or "default"
        self.name = f"{self.model} @ {self.base_url}"
        self._temperature = temperature
        self._seed = seed
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._transport = transport  # tests pass an httpx.MockTransport
        self._client = None
        self._lock = threading.Lock()
        self._tokenize_path: str | None | bool = False  # False: not probed yet; None: none found
        self.lock = threading.Lock()  # same attribute as the local generator; not held across calls

    # ------------------------------------------------------------------ plumbing

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import httpx

                    headers = {}
                    key = os.environ.get("RAG_LLM_API_KEY")
                    if key:
                        headers["Authorization"] = f"Bearer {key}"
                    self._client = httpx.Client(timeout=self._timeout, headers=headers, transport=self._transport)
        return self._client

    def _root(self) -> str:
        """The server's root: llama.cpp serves /tokenize beside /v1."""
        return self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url

    def _request(self, method: str, url: str, **kwargs):
        """Send with retries on connection errors and 5xx; return the open response (streaming)."""
        import httpx

        last = ""
        for attempt in range(self._retries + 1):
            try:
                req = self.client.build_request(method, url, **kwargs)
                resp = self.client.send(req, stream=True)
            except httpx.TimeoutException:
                last = f"no answer within {self._timeout:.0f} s"
            except httpx.TransportError as e:
                last = type(e).__name__ + (f": {e}" if str(e) else "")
            else:
                if resp.status_code < 500:
                    return resp
                last = f"HTTP {resp.status_code}"
                resp.close()
            if attempt < self._retries:
                time.sleep(self._backoff * (2 ** attempt))
        raise ModelError(f"the LLM server at {self.base_url} is not reachable ({last} after "
                         f"{self._retries + 1} tries): start it or fix RAG_LLM")

    # ------------------------------------------------------------------ the seam

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int,
               opening_words: Sequence[str] = ()) -> Iterator[str]:
        body = {
            "model": self.model, "messages": messages, "max_tokens": max_tokens, "stream": True,
            "temperature": self._temperature, "seed": self._seed,
            "top_k": 1 if self._temperature == 0 else 40, "repeat_penalty": 1.1,
        }
        if opening_words:  # llama.cpp's server reads a GBNF grammar; other servers ignore it
            body["grammar"] = opening_grammar(opening_words)
        resp = self._request("POST", f"{self.base_url}/chat/completions", json=body)
        try:
            if resp.status_code >= 400:
                resp.read()
                raise ModelError(f"the LLM server at {self.base_url} refused the request "
                                 f"(HTTP {resp.status_code}: {_brief(resp.text)})")
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError):
                    continue
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    yield delta
        finally:
            resp.close()

    def load(self) -> None:
        """Nothing to load here: the server holds the model (a first question reports it down)."""

    def count_tokens(self, text: str) -> int:
        if self._tokenize_path is False:
            self._tokenize_path = self._find_tokenizer()
        if self._tokenize_path is None:
            return len(text) // 3 + 1  # generous: English runs ~4 characters a token
        path, field = self._tokenize_path
        resp = self._request("POST", path, json={field: text, "model": self.model})
        try:
            resp.read()
            return len(resp.json()["tokens"])
        finally:
            resp.close()

    def _find_tokenizer(self):
        for path, field in ((f"{self._root()}/tokenize", "content"), (f"{self._root()}/extras/tokenize", "input")):
            try:
                resp = self._request("POST", path, json={field: "probe", "model": self.model})
            except ModelError:
                raise
            try:
                resp.read()
                if resp.status_code == 200 and isinstance(resp.json().get("tokens"), list):
                    return path, field
            except ValueError:
                pass
            finally:
                resp.close()
        return None


def _brief(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text[:n] + ("…" if len(text) > n else "")
