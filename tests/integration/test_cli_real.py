"""The `rag` command as a user runs it: one-line errors, exit codes, reports of rejected files."""
import json
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT, SEED_FILE

pytestmark = pytest.mark.integration


def rag(*args, env=None, timeout=300):
    e = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("question", ["", "   ", "x" * 10_000])
def test_bad_questions_are_one_line_errors(question):
    r = rag("ask", question)
    assert r.returncode == 1
    assert r.stderr.startswith("error: the question is") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_missing_index_and_bad_settings_are_one_line_errors(tmp_path):
    r = rag("ask", "Who?", "--index", str(tmp_path / "none"))
    assert r.returncode == 1 and "no index at" in r.stderr and "rag index" in r.stderr
    r = rag("info", env={"RAG_K": "lots"})
    assert r.returncode == 1 and "RAG_K='lots'" in r.stderr and "Traceback" not in r.stderr
    r = rag("ask", "Who?", "--llm", str(tmp_path / "missing.gguf"), "--index", str(tmp_path))
    assert r.returncode == 1 and "missing.gguf does not exist" in r.stderr


def test_index_reports_bad_files_indexes_the_rest_then_answers_as_json(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "seed.txt").write_bytes(SEED_FILE.read_bytes())
    (corpus / "latin1.txt").write_bytes("Caf\xe9\n\nbody".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (corpus / "empty.txt").write_text("")
    good = {"id": "j1", "title": "Harbour bridge reopens", "text": "The harbour bridge in Sydney reopened on Monday after two weeks of repairs, officials said.",
            "published_at": "2023-10-02", "source": "Example Wire"}
    (corpus / "records.jsonl").write_text(json.dumps(good) + "\n{broken\n")
    idx = tmp_path / "idx"
    r = rag("index", str(corpus), "--index", str(idx))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "2 added" in out and "4 rejected" in out
    for reason in ("latin1.txt: not UTF-8", "binary.txt: binary file", "empty.txt: empty file", "records.jsonl:2: malformed JSON"):
        assert reason in out
    r = rag("index", str(corpus), "--index", str(idx))  # re-run: nothing new
    assert "0 added" in r.stdout and "2 unchanged" in r.stdout

    r = rag("ask", "When did the harbour bridge reopen?", "--index", str(idx), "--json")
    assert r.returncode == 0, r.stderr
    a = json.loads(r.stdout)
    assert {"text", "abstained", "citations", "hits", "timings"} <= set(a)
    assert a["hits"][0]["article_id"] == "j1"
    assert set(a["hits"][0]) >= {"rank", "score", "article_id", "chunk_id", "text"}

    r = rag("info", "--index", str(idx))
    assert r.returncode == 0 and "articles:   2" in r.stdout and "2023-02-02 to 2023-10-02" in r.stdout


def test_chat_reads_a_follow_up_against_the_conversation(seed_index_dir):
    """`rag chat` keeps the conversation: "he" in the second question is the person the first
    named, and the passages found are listed (on stderr) before each answer is written."""
    r = subprocess.run([sys.executable, "-m", "rag.cli", "chat", "--index", str(seed_index_dir)], cwd=ROOT,
                       env=dict(os.environ, HF_HUB_OFFLINE="1"), capture_output=True, text=True, timeout=300,
                       input="Who is Sergei Ryabkov?\nWhat did he say about NATO?\nexit\n")
    assert r.returncode == 0, r.stderr
    assert "(searched for: What did Sergei Ryabkov say about NATO?)" in r.stderr
    assert r.stderr.count("Found ") == 2 and "passages from 1 article in" in r.stderr and "Sources:" in r.stdout
