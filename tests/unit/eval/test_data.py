"""Question files: JSONL (shared format), CSV and YAML; malformed lines named by number."""
import json
from pathlib import Path

import pytest

from rag.eval.data import QuestionFileError, load_questions

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "multihop_small"


def test_the_fixture_loads_in_the_shared_jsonl_format():
    qs = load_questions(FIXTURE / "questions.jsonl")
    assert len(qs.questions) == 8 and not qs.problems
    types = [q.type for q in qs.questions]
    assert {t: types.count(t) for t in types} == {
        "inference_query": 2, "comparison_query": 2, "temporal_query": 2, "null_query": 2}
    first = qs.questions[0]
    assert first.id == "mhr-q0531" and first.answers == ("Sam Bankman-Fried",) and first.line == 1
    assert first.evidence_ids == ("mhr-d0010", "mhr-d0011") and len(first.evidence_facts) >= 2
    null = [q for q in qs.questions if q.type == "null_query"]
    assert all(not q.answerable and not q.answers and not q.evidence_ids for q in null)


def test_malformed_jsonl_lines_are_reported_with_their_line_numbers(tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join([
        json.dumps({"id": "a", "question": "Who?", "answers": ["X"]}),
        "{not json",
        json.dumps({"id": "b", "answers": ["Y"]}),  # no question
        "",
        json.dumps({"id": "a", "question": "Again?"}),  # duplicate id
        json.dumps(["a list"]),
        json.dumps({"id": "c", "question": "Where?", "answers": "Paris", "answerable": "maybe"}),
        json.dumps({"id": "d", "question": "  When   then? ", "answers": ["Monday"]}),
    ]) + "\n")
    qs = load_questions(p)
    assert [q.id for q in qs.questions] == ["a", "d"]
    assert qs.questions[1].question == "When then?" and qs.questions[1].line == 8
    lines = [(pr.line, pr.reason) for pr in qs.problems]
    assert [n for n, _ in lines] == [2, 3, 5, 6, 7]
    assert "malformed JSON" in lines[0][1] and "missing question" in lines[1][1]
    assert "duplicate id 'a' (first on line 1)" in lines[2][1] and "'answerable'" in lines[4][1]
    assert str(qs.problems[0]).startswith(f"{p}:2: ")


def test_csv_with_question_and_answer_columns(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text(
        "Question,Answer,type\n"
        "Who led the talks?,Wendy Sherman,people\n"
        '"A question, with a comma?","Yes|True",\n'
        "What is unknown?,,\n"
        "too,many,cells,here\n"
        ",,\n"
        "Last one?,Z,\n"
    )
    qs = load_questions(p)
    assert [q.question for q in qs.questions] == [
        "Who led the talks?", "A question, with a comma?", "What is unknown?", "Last one?"]
    assert qs.questions[0].id == "q2" and qs.questions[0].type == "people"
    assert qs.questions[1].answers == ("Yes", "True") and qs.questions[1].type == "untyped"
    assert qs.questions[2].answerable is False  # no gold answer and no 'answerable': should decline
    assert [(pr.line, "cells" in pr.reason) for pr in qs.problems] == [(5, True)]
    assert qs.questions[3].line == 7


def test_csv_without_a_question_column_is_refused(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("query,answer\nWho?,X\n")
    with pytest.raises(QuestionFileError, match="no 'question' column"):
        load_questions(p)


def test_yaml_list_or_mapping_with_line_numbers(tmp_path):
    p = tmp_path / "q.yaml"
    p.write_text(
        "questions:\n"
        "  - question: Who led the talks?\n"
        "    answer: Wendy Sherman\n"
        "  - answer: no question here\n"
        "  - question: Did it happen?\n"
        "    answer: yes\n"  # YAML reads this as the boolean true
        "    id: y1\n"
        "  - question: Unknowable?\n"
        "    answerable: no\n"
    )
    qs = load_questions(p)
    assert [q.question for q in qs.questions] == ["Who led the talks?", "Did it happen?", "Unknowable?"]
    assert qs.questions[1].answers == ("Yes",) and qs.questions[1].id == "y1"
    assert qs.questions[2].answerable is False
    assert [(pr.line, "missing question" in pr.reason) for pr in qs.problems] == [(4, True)]

    p2 = tmp_path / "list.yml"
    p2.write_text("- question: One?\n  answer: 1\n- question: Two?\n  answer: [2, two]\n")
    qs2 = load_questions(p2)
    assert [q.answers for q in qs2.questions] == [("1",), ("2", "two")]
    assert [q.line for q in qs2.questions] == [1, 3]


def test_malformed_yaml_names_its_line(tmp_path):
    p = tmp_path / "q.yaml"
    p.write_text("- question: ok\n- question: [unclosed\n")
    with pytest.raises(QuestionFileError, match=r"q\.yaml:\d+: malformed YAML"):
        load_questions(p)


@pytest.mark.parametrize("name, content, message", [
    ("missing.jsonl", None, "does not exist"),
    ("q.txt", "Who?", "unknown question file kind"),
    ("q.jsonl", "{bad\n", "no usable question.*:1: malformed JSON"),
    ("q.jsonl", "", "no usable question"),
])
def test_unusable_files_raise_one_clear_error(tmp_path, name, content, message):
    p = tmp_path / name
    if content is not None:
        p.write_text(content)
    with pytest.raises(QuestionFileError, match=message):
        load_questions(p)


def test_limit_keeps_the_first_questions():
    qs = load_questions(FIXTURE / "questions.jsonl").limit(3)
    assert [q.id for q in qs.questions] == ["mhr-q0531", "mhr-q0900", "mhr-q0403"]
