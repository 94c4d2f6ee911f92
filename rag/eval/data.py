"""Question sets for evaluation: JSONL (the shared MultiHop-RAG format), CSV and YAML.

JSONL, one question a line:
    {"id", "question", "answers": [...], "evidence_ids": [...], "type", "answerable",
     "meta": {"evidence_facts": [{"doc_id", "fact"}]}}
CSV (header row) and YAML (a list of mappings, or {"questions": [...]}) need `question`;
`answer` (or `answers`, several joined by "|" in CSV) and `id`, `type`, `answerable`,
`evidence_ids` are optional. Without an `answerable` field a question with no gold answer is
taken as unanswerable: the right reply is to decline.

A malformed line or record is reported with its line number and skipped; the rest load.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError

UNTYPED = "untyped"
SUFFIXES = (".jsonl", ".csv", ".yaml", ".yml")


class QuestionFileError(RagError):
    """The question file is missing, of an unknown kind, or holds no usable question."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence_ids: tuple[str, ...] = ()
    evidence_facts: tuple[str, ...] = ()  # gold evidence sentences, verbatim from the articles
    type: str = UNTYPED
    answerable: bool = True
    line: int | None = None  # where it stands in its file


@dataclass(frozen=True)
class QuestionProblem:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class QuestionSet:
    path: str
    questions: tuple[Question, ...]
    problems: tuple[QuestionProblem, ...] = ()

    def limit(self, n: int | None) -> "QuestionSet":
        return self if n is None else QuestionSet(self.path, self.questions[:n], self.problems)


def load_questions(path: str | Path) -> QuestionSet:
    path = Path(path)
    if not path.is_file():
        raise QuestionFileError(f"question file {path} does not exist: give a .jsonl, .csv or .yaml file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise QuestionFileError(f"{path}: unknown question file kind {suffix!r}: use .jsonl, .csv or .yaml")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise QuestionFileError(f"{path} is not UTF-8 text (bad byte at offset {e.start}): re-save it as UTF-8") from e
    name = str(path)
    records = {".jsonl": _jsonl_records, ".csv": _csv_records}.get(suffix, _yaml_records)(text, name)
    questions: list[Question] = []
    problems: list[QuestionProblem] = []
    seen: dict[str, int | None] = {}
    for line, rec in records:
        if isinstance(rec, QuestionProblem):
            problems.append(rec)
            continue
        q, reason = question_from_record(rec, line, f"q{line or len(questions) + 1}")
        if q is None:
            problems.append(QuestionProblem(name, line, reason))
        elif q.id in seen:
            problems.append(QuestionProblem(name, line, f"duplicate id {q.id!r} (first on line {seen[q.id]})"))
        else:
            seen[q.id] = line
            questions.append(q)
    if not questions:
        detail = f": {problems[0]}" if problems else ""
        raise QuestionFileError(f"no usable question in {path}{detail}")
    return QuestionSet(name, tuple(questions), tuple(problems))


def question_from_record(rec: object, line: int | None, fallback_id: str) -> tuple[Question | None, str]:
    if not isinstance(rec, dict):
        return None, f"expected an object with a 'question' field, got {type(rec).__name__}"
    text = rec.get("question")
    if not isinstance(text, str) or not text.strip():
        return None, "missing question (the 'question' field is absent or empty)"
    raw_answers = rec.get("answers", rec.get("answer"))
    answers, problem = _strings(raw_answers, "answers", split_bars=not isinstance(raw_answers, list))
    if problem:
        return None, problem
    evidence, problem = _strings(rec.get("evidence_ids"), "evidence_ids", split_bars=True)
    if problem:
        return None, problem
    answerable, problem = _bool(rec.get("answerable"), default=bool(answers))
    if problem:
        return None, problem
    meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
    facts = tuple(
        f["fact"] for f in meta.get("evidence_facts") or []
        if isinstance(f, dict) and isinstance(f.get("fact"), str) and f["fact"].strip()
    )
    rid = rec.get("id")
    return Question(
        id=str(rid).strip() if rid not in (None, "") else fallback_id,
        question=" ".join(text.split()), answers=answers, evidence_ids=evidence, evidence_facts=facts,
        type=str(rec.get("type") or UNTYPED).strip() or UNTYPED, answerable=answerable, line=line,
    ), ""


def _strings(value: object, field: str, split_bars: bool) -> tuple[tuple[str, ...], str]:
    if value is None or value == "":
        return (), ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        parts = str(value).split("|") if split_bars else [str(value)]
        return tuple(p.strip() for p in parts if p.strip()), ""
    if isinstance(value, bool):
        return ("Yes" if value else "No",), ""
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip()), ""
    return (), f"'{field}' must be a string or a list of strings, got {type(value).__name__}"


def _bool(value: object, default: bool) -> tuple[bool, str]:
    if value is None or value == "":
        return default, ""
    if isinstance(value, bool):
        return value, ""
    s = str(value).strip().lower()
    if s in {"true", "yes", "1"}:
        return True, ""
    if s in {"false", "no", "0"}:
        return False, ""
    return default, f"'answerable' must be true or false, got {value!r}"


# ----------------------------------------------------------------------------- file kinds


def _jsonl_records(text: str, name: str) -> list[tuple[int, object]]:
    out: list[tuple[int, object]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            out.append((n, QuestionProblem(name, n, f"malformed JSON ({e.msg} at column {e.colno})")))
    return out


def _csv_records(text: str, name: str) -> list[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "question" not in fields:
        raise QuestionFileError(f"{name}: the CSV header has no 'question' column (found: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    out: list[tuple[int, object]] = []
    start = 2
    for row in reader:
        line = start  # first line of this record (records may span lines inside quotes)
        start = reader.line_num + 1
        if None in row:
            out.append((line, QuestionProblem(name, line, f"{len(fields) + len(row[None])} cells, the header has {len(fields)}")))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        out.append((line, {k: v for k, v in row.items() if v is not None}))
    return out


def _yaml_records(text: str, name: str) -> list[tuple[int, object]]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise QuestionFileError(f"{name}:{line or '?'}: malformed YAML ({getattr(e, 'problem', None) or e})") from e
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        items = data["questions"]
        node = next(v for k, v in root.value if k.value == "questions")
    elif isinstance(data, list):
        items, node = data, root
    else:
        raise QuestionFileError(f"{name}: YAML must be a list of questions or a mapping with a 'questions' list")
    return [(child.start_mark.line + 1, item) for child, item in zip(node.value, items)]
