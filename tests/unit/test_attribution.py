"""rag.attribution: a lead is cited to the passage whose sentence says what the question describes."""
from rag.attribution import attribute, describing_clauses, mentions
from rag.mentions import find_publications
from rag.types import Chunk, Hit
from tests.fakes import HashEmbedder

QUESTION = ("Who is the individual accused by Fortune of secretly accessing customer funds through a proxy, "
            "and charged with seven counts of fraud according to TechCrunch?")


def chunk(n: int, text: str, source: str) -> Chunk:
    return Chunk(id=f"c{n}", article_id=f"a{n}", position=0, text=text, start=0, end=len(text), title="t",
                 source=source)


CHUNKS = [
    chunk(1, "Sam Bankman-Fried went on trial in New York. The jury was chosen on Wednesday.", "TechCrunch"),
    chunk(2, "Sam Bankman-Fried is charged with seven counts of fraud and conspiracy. He denies them.", "TechCrunch"),
    chunk(3, "Using a colleague as a proxy, Bankman-Fried had secret access to customer funds.", "Fortune"),
    chunk(4, "Caroline Ellison testified about secret access to customer funds through a proxy.", "Fortune"),
    chunk(5, "Sam Bankman-Fried was charged with seven counts of fraud, The Verge reported.", "The Verge"),
]


def search(text, where, k):
    """Every chunk the filter keeps, in corpus order (the real search ranks them)."""
    return [Hit(c, 0.5, i) for i, c in enumerate((c for c in CHUNKS if where is None or where(c)), start=1)][:k]


def spans(q: str):
    return [(a, b) for a, b, _ in find_publications(q, weak=True, sources=True)]


def test_clauses_leave_out_the_outlets_the_opening_and_the_framing():
    clauses = describing_clauses(QUESTION, spans(QUESTION))
    assert clauses == ["of secretly accessing customer funds through a proxy",
                       "charged with seven counts of fraud according to"]
    assert not any("Fortune" in c or "TechCrunch" in c or "individual" in c for c in clauses)
    # a question with nothing but its frame has no describing clause
    assert describing_clauses("Which company, according to TechCrunch?", spans("Which company, according to TechCrunch?")) == []


def test_the_passage_saying_what_a_clause_says_is_cited_and_its_sentence_naming_the_entity_quoted():
    emb = HashEmbedder()
    allowed = {"TechCrunch", "Fortune"}
    found = attribute(QUESTION, describing_clauses(QUESTION, spans(QUESTION)), lambda c: c.source in allowed,
                      search, emb.embed_query, emb.embed_documents, name="Sam Bankman-Fried")
    # a2 and a3 both say what a clause says; a4 says it too but does not name the entity; a5 is
    # not in a named outlet; a1 names the entity but says nothing the question describes
    assert found.hit.chunk.article_id in {"a2", "a3"}
    assert found.quote in found.hit.chunk.text and mentions("Sam Bankman-Fried")(found.quote)
    assert found.sentence in found.hit.chunk.text


def test_only_passages_that_name_the_entity_count():
    emb = HashEmbedder()
    found = attribute("Who had secret access to customer funds through a proxy?",
                      ["had secret access to customer funds through a proxy"], None, search,
                      emb.embed_query, emb.embed_documents, name="Caroline Ellison")
    assert found.hit.chunk.article_id == "a4"
    assert attribute("Who?", ["secret access"], None, search, emb.embed_query, emb.embed_documents,
                     name="Nobody Named") is None


def test_a_word_every_candidate_holds_weighs_nothing():
    # every passage names "Bankman-Fried" and "fraud": the rarer "proxy" decides
    emb = HashEmbedder()
    found = attribute("Who used a proxy for fraud?", ["Bankman-Fried fraud using a proxy"],
                      lambda c: c.source in {"TechCrunch", "Fortune"}, search, emb.embed_query, emb.embed_documents,
                      name="Bankman-Fried")
    assert found.hit.chunk.article_id == "a3"
