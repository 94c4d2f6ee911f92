from rag.indexing import Index
from rag.retrieval import Retriever, fuse, named_dates, named_sources, select
from rag.types import Chunk

from ..fakes import HashEmbedder, NumpyStore


def make_index(specs):
    """specs: (article_id, source, text) per chunk."""
    emb = HashEmbedder()
    chunks = [Chunk(f"{a}#{i}", a, i, t, 0, len(t), title=f"T {a}", source=s) for i, (a, s, t) in enumerate(specs)]
    store = NumpyStore(emb.dim)
    from rag.chunking import embedding_text

    store.add(emb.embed_documents([embedding_text(c) for c in chunks]))
    sources = sorted({s for _, s, _ in specs if s})
    return Index(dir=None, generation="g1", manifest={"sources": sources}, store=store, chunks=chunks), emb


def test_fuse_rewards_agreement():
    # 2 is second in both rankings; 1 and 4 are first in one ranking only: agreement wins
    assert fuse([1, 2, 3], [4, 2, 5]) == [2, 1, 4, 3, 5]
    assert fuse([5, 6], [6, 7]) == [6, 5, 7]


def test_named_sources_in_question_order_whole_words_only():
    srcs = ["TechCrunch", "The Verge", "BBC News", "CNN", "Fortune"]
    q = "Did The Verge report it before TechCrunch did, unlike fortunes told by CNNx?"
    assert named_sources(q, srcs) == ["The Verge", "TechCrunch"]


def test_select_gives_each_named_outlet_a_place_and_spreads_articles():
    idx, _ = make_index([("a", "X", "one"), ("a", "X", "two"), ("a", "X", "three"), ("b", "Y", "four"), ("c", "Z", "five")])
    order = [0, 1, 2, 3, 4]
    assert select(order, idx, 3, 2) == [0, 1, 3]
    assert select(order, idx, 3, 2, ["Z"]) == [0, 1, 4]
    assert select(order, idx, 5, 1) == [0, 1, 2, 3, 4]  # passed-over rows fill what is left


def test_hybrid_keyword_match_finds_a_rare_name():
    specs = [("a", "X", "general news about the weather and traffic"), ("b", "Y", "Zelenskyy met officials in Kyiv"),
             ("c", "Z", "weather traffic news again today")]
    idx, emb = make_index(specs)
    hits = Retriever(emb, idx, mode="hybrid").search("What did Zelenskyy do?", 2)
    assert hits[0].chunk.article_id == "b" and [h.rank for h in hits] == [1, 2]
    dense = Retriever(emb, idx, mode="dense").search("What did Zelenskyy do?", 2)
    assert len(dense) == 2


def test_named_dates_in_both_forms():
    q = "Was it published on October 3, 2023, before the 2023-11-05 report or on september 9 2023?"
    assert named_dates(q) == ["2023-10-03", "2023-11-05", "2023-09-09"]


def test_a_filter_reads_the_whole_ranking_unless_given_a_depth():
    specs = [("a", "X", "ferry strike harbour crews"), ("b", "X", "ferry strike harbour"), ("c", "Y", "weather report"),
             ("d", "Y", "rain and weather tomorrow")]
    idx, emb = make_index(specs)
    r = Retriever(emb, idx, mode="dense")
    vec = emb.embed_query("ferry strike harbour crews")
    in_y = lambda c: c.source == "Y"  # noqa: E731  (the outlet ranked last for this question)
    assert {h.chunk.article_id for h in r.search_vector(vec, 2, where=in_y)} == {"c", "d"}
    assert r.search_vector(vec, 2, where=in_y, depth=2) == []  # the two rows read are X's
    assert [h.chunk.article_id for h in r.search_vector(vec, 1, where=lambda c: c.source == "X", depth=2)] == ["a"]
