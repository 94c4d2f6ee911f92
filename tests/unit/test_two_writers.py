"""Two writers at once: a second build (another process) and a page upload, both started while a
slow build holds the index, wait for it and then add their own articles: nothing is lost."""
import subprocess
import sys
import textwrap
import threading
import time

from rag.indexing import load_index, update_index
from rag.pipeline import Pipeline
from rag.types import Article

from ..conftest import ROOT
from ..fakes import HashEmbedder, ScriptedGenerator

WRITER = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, {tests!r})
    from fakes import HashEmbedder
    from rag.indexing import update_index
    from rag.settings import Settings
    from rag.types import Article
    prefix, d, slow = sys.argv[1], sys.argv[2], float(sys.argv[3])
    emb = HashEmbedder()
    real = emb.embed_documents
    def embed(texts):
        print("EMBEDDING", flush=True)  # inside the writer lock
        time.sleep(slow)
        return real(texts)
    emb.embed_documents = embed
    arts = [Article(id=f"{{prefix}}{{i}}", title=f"{{prefix}} story {{i}}", text=f"{{prefix}} story {{i}} about ferries {{i}}.")
            for i in range(5)]
    s = Settings(index_dir=d, chunk_tokens=40, chunk_overlap=8)
    rep = update_index(d, arts, emb, s, on_wait=lambda: print("WAITING", flush=True))
    print("DONE", rep.articles_total, flush=True)
''')


def writer(prefix, d, slow):
    return subprocess.Popen([sys.executable, "-c", WRITER.format(tests=str(ROOT / "tests")), prefix, str(d), str(slow)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_build_and_a_page_upload_wait_for_the_first_and_nothing_is_lost(fake_settings, tmp_path):
    from ui.app import ChatPage

    d = fake_settings.index_dir
    emb = HashEmbedder()
    update_index(d, [Article(id="seed", title="Seed", text="The seed story about harbours.")], emb, fake_settings)
    page = ChatPage(Pipeline(emb, load_index(d, emb.name), ScriptedGenerator(), fake_settings))
    upload = tmp_path / "upload.txt"
    upload.write_text("Upload story\n\nThe uploaded story is about lighthouses and their keepers.\n")

    first = writer("b", d, slow=3.0)
    assert first.stdout.readline().strip() == "EMBEDDING"  # the first build holds the index now
    t0 = time.monotonic()
    second = writer("c", d, slow=0.0)
    assert second.stdout.readline().strip() == "WAITING"  # told, not failed
    result = {}
    th = threading.Thread(target=lambda: result.update(out=page.add_files([str(upload)], progress=lambda *a, **k: None)))
    th.start()
    for p in (first, second):
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    th.join(timeout=60)
    waited = time.monotonic() - t0
    assert "Added\\: Upload story" in str(result["out"][0])
    idx = load_index(d, emb.name)  # checksums verified
    ids = set(idx.articles)
    assert "seed" in ids and any(idx.articles[i].title == "Upload story" for i in ids)
    assert {f"b{i}" for i in range(5)} <= ids and {f"c{i}" for i in range(5)} <= ids
    assert len(ids) == 12 and len(idx.chunks) == len(idx.store)
    assert waited >= 2.0  # the others really waited for the slow first build


def test_rag_index_says_it_waits_for_another_build(fake_settings, tmp_path, monkeypatch, capsys):
    import rag.embedding
    from rag.cli import main

    d = fake_settings.index_dir
    src = tmp_path / "news"
    src.mkdir()
    (src / "ferry.txt").write_text("Ferry resumes\n\nThe ferry to Almada resumed on Monday.\n")
    monkeypatch.setattr(rag.embedding, "make_embedder", lambda *a, **k: HashEmbedder())
    monkeypatch.setattr(rag.embedding, "embedder_for_index", lambda *a, **k: HashEmbedder())
    first = writer("b", d, slow=2.0)
    assert first.stdout.readline().strip() == "EMBEDDING"
    code = main(["index", str(src), "--index", str(d), "--chunk-tokens", "40", "--chunk-overlap", "8"])
    err = capsys.readouterr().err
    first.communicate(timeout=60)
    assert code == 0 and f"waiting for another build of {d} to finish" in err
    assert {"ferry", "b0", "b4"} <= set(load_index(d).articles)
