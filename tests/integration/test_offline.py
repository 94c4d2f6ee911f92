"""Offline guarantee: with every socket but loopback blocked, indexing, answer() and the page work,
and the models load from their pinned, checksum-verified files.

A child process runs in its own network namespace holding only loopback (`unshare -n`, where
the machine allows it), and inside Python every connection or name lookup for anything but
loopback is refused and recorded as well. It indexes seeds/ with `rag index`, answers with
answer(), serves the page and asks through it with gradio_client."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ..conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration

CHILD = textwrap.dedent('''
    import json, os, socket, sys
    blocked = []
    LOCAL = ("127.0.0.1", "::1", "localhost", "0.0.0.0")

    def local(addr):
        host = addr[0] if isinstance(addr, tuple) else addr
        return isinstance(host, str) and (host in LOCAL or host.startswith("127.")) or isinstance(addr, (str, bytes)) and not isinstance(addr, tuple)

    real_connect, real_connect_ex, real_gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, addr):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not local(addr):
            blocked.append(f"connect {addr}")
            raise OSError(101, "Network is unreachable (blocked by the offline test)")
        return real_connect(self, addr)

    def connect_ex(self, addr):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not local(addr):
            blocked.append(f"connect {addr}")
            return 101
        return real_connect_ex(self, addr)

    def getaddrinfo(host, *a, **k):
        if host not in LOCAL and host is not None and not str(host).startswith("127."):
            blocked.append(f"lookup {host}")
            raise socket.gaierror(-3, "name lookups are blocked by the offline test")
        return real_gai(host, *a, **k)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    seeds, index = sys.argv[1], sys.argv[2]
    out = {}
    # The embedder's OpenVINO conversion, done here from scratch in an empty cache (its converter
    # would report usage over the network if its telemetry were not blocked).
    import tempfile
    from rag import embedding_openvino as ovb
    from rag.embedding import DEFAULT as _D, resolve_embedder as _re
    cache, os.environ["XDG_CACHE_HOME"] = os.environ.get("XDG_CACHE_HOME"), tempfile.mkdtemp()
    out["converted"] = ovb.converted_model(ovb.st_layout(_re(_D)[0])[0]).is_file()
    if cache is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = cache
    from rag.cli import main
    out["index_exit"] = main(["index", seeds, "--index", index])
    from rag.pipeline import answer, get_pipeline
    a = answer("Who led the US delegation at the Geneva talks?", index=index)
    out["answer"] = a.text
    out["answer_citations"] = len(a.citations)
    from rag.embedding import DEFAULT_EMBEDDER_SHA256, resolve_embedder
    from rag.generation import DEFAULT_LLM_SHA256, resolve_llm
    from rag.files import sha256_file
    from rag.settings import DEFAULT
    from pathlib import Path
    folder = Path(resolve_embedder(DEFAULT)[0])
    out["embedder_verified"] = all(sha256_file(folder / f) == h for f, h in DEFAULT_EMBEDDER_SHA256.items())
    out["llm_verified"] = sha256_file(resolve_llm(DEFAULT)) == DEFAULT_LLM_SHA256
    from ui.app import build_app, serve
    from tests.e2e.conftest import free_port
    port = free_port()
    demo = serve(build_app(get_pipeline(index)), port=port, block=False)
    try:
        import httpx
        out["page_status"] = httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code
        from gradio_client import Client
        chat, sources, box = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "Who led the US delegation at the Geneva talks?", 3, api_name="/ask")
        last = chat[-1]["content"]
        out["page_answer"] = last[0]["text"] if isinstance(last, list) else last
    finally:
        demo.close()
    out["blocked"] = blocked
    print("RESULT " + json.dumps(out), flush=True)
''')


def can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_indexing_answering_and_the_page_work_with_only_loopback(tmp_path):
    code = tmp_path / "offline_child.py"
    code.write_text(CHILD)
    cmd = [sys.executable, str(code), str(SEEDS), str(tmp_path / "index")]
    namespace = can_unshare()
    if namespace:  # a network namespace with loopback only: nothing else exists
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               PYTHONPATH=str(ROOT))
    env.pop("HTTP_PROXY", None), env.pop("HTTPS_PROXY", None), env.pop("http_proxy", None), env.pop("https_proxy", None)
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(next(line for line in r.stdout.splitlines() if line.startswith("RESULT "))[7:])
    out["network_namespace"] = namespace
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "offline.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    print("\noffline:", json.dumps(out))
    assert out["index_exit"] == 0
    assert out["answer"] and out["page_status"] == 200
    assert "complete in" in out["page_answer"] or "passages in" in out["page_answer"]
    assert out["embedder_verified"] and out["llm_verified"] and out["converted"]
    assert out["blocked"] == []  # nothing even tried to leave the machine
