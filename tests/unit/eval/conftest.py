"""A three-article corpus, four questions of three types and a pipeline on fakes whose model
gives scripted replies: the runner's and the report's tests score these."""
import json

import pytest

from rag.indexing import load_index, update_index
from rag.pipeline import Pipeline
from rag.text import ABSTAIN_TEXT
from rag.types import Article

from ...fakes import HashEmbedder, ScriptedGenerator

ARTICLES = [
    Article(id="orchard", title="Orchard apples harvest", source="Farm News", published_at="2023-10-01",
            text="The orchard apples harvest began early. Farmer Ada Lovell picked red apples in the orchard. "
                 "Apples were sold at the orchard market on Sunday."),
    Article(id="harbour", title="Harbour ferry strike", source="Coast Daily", published_at="2023-10-02",
            text="The harbour ferry crews went on strike. Ferry captain Bruno Keel said the harbour strike "
                 "would last two days. Ferries stayed in the harbour."),
    Article(id="comet", title="Comet seen over valley", source="Sky Weekly", published_at="2023-10-03",
            text="A bright comet was seen over the valley. Astronomer Cleo Marsh photographed the comet "
                 "tail above the valley at midnight."),
]
QUESTIONS = [
    {"id": "q1", "question": "Who picked red apples in the orchard?", "answers": ["Ada Lovell"],
     "evidence_ids": ["orchard"], "type": "inference_query", "answerable": True,
     "meta": {"evidence_facts": [{"doc_id": "orchard", "fact": "Farmer Ada Lovell picked red apples in the orchard."}]}},
    {"id": "q2", "question": "Did the harbour ferry crews strike?", "answers": ["Yes"],
     "evidence_ids": ["harbour"], "type": "comparison_query", "answerable": True},
    {"id": "q3", "question": "Was the comet seen over the valley photographed by the ferry captain?",
     "answers": ["No"], "evidence_ids": ["comet", "harbour"], "type": "comparison_query", "answerable": True},
    {"id": "q4", "question": "Which apples harvest did the comet astronomer attend in the orchard valley?",
     "answers": [], "evidence_ids": [], "type": "null_query", "answerable": False},
]
REPLIES = {
    "q1": "Ada Lovell picked them [1].",
    "q2": "Yes, the crews went on strike [1].",
    "q3": "Yes. No. [7]",  # both verdicts and a marker pointing past the passages
    "q4": ABSTAIN_TEXT,
}


def reply_by_question(messages):
    user = messages[-1]["content"]
    for q in QUESTIONS:
        if q["question"] in user:
            return REPLIES[q["id"]]
    return "Unknown."


@pytest.fixture
def questions_file(tmp_path):
    p = tmp_path / "questions.jsonl"
    p.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return p


@pytest.fixture
def pipe(fake_settings):
    s = fake_settings.replace(k=2, candidates=10, min_score=0.0)
    emb = HashEmbedder()
    update_index(s.index_dir, ARTICLES, emb, s)
    # The model answers everything (no rule-decided answers): the scripted replies are what is scored.
    return Pipeline(emb, load_index(s.index_dir, emb.name), ScriptedGenerator(reply_by_question), s, checks=())
