"""The update plan from plain data: articles offered, the index's ids and hashes, ids to remove."""
from rag.articles import content_hash
from rag.index_plan import plan_update, storable
from rag.types import Article


def art(id_, text="Some text.", title=None):
    return Article(id=id_, title=title or f"Title {id_}", text=text, published_at="2023-10-01", source="Src")


def indexed(*articles):
    return {a.id: content_hash(a) for a in articles}


def test_a_new_index_adds_everything_in_order():
    plan = plan_update([art("a"), art("b", "Other text.")], {})
    assert plan.added == ("a", "b") and not plan.replaced and not plan.unchanged and not plan.removed
    assert [p.article.id for p in plan.embed] == ["a", "b"]
    assert [p.hash for p in plan.embed] == [content_hash(art("a")), content_hash(art("b", "Other text."))]
    assert plan.drop == frozenset() and plan.changes_index


def test_unchanged_articles_change_nothing():
    a, b = art("a"), art("b", "Other text.")
    plan = plan_update([a, b], indexed(a, b))
    assert plan.unchanged == ("a", "b") and plan.embed == () and not plan.changes_index


def test_changed_content_replaces_the_article_and_drops_its_old_rows():
    a, b = art("a"), art("b", "Dogs.")
    plan = plan_update([a, art("b", "Wolves.")], indexed(a, b))
    assert plan.replaced == ("b",) and plan.unchanged == ("a",) and plan.added == ()
    assert [p.article.text for p in plan.embed] == ["Wolves."] and plan.drop == {"b"}


def test_same_content_under_another_id_is_a_duplicate_of_the_indexed_one():
    a = art("a", title="Same")
    plan = plan_update([art("c", title="Same")], indexed(a))
    assert plan.duplicates == (("c", "a"),) and plan.embed == () and not plan.changes_index


def test_an_id_given_twice_is_taken_once():
    plan = plan_update([art("a"), art("a", "Second version.")], {})
    assert plan.added == ("a",) and plan.duplicates == (("a", "a"),)
    assert [p.article.text for p in plan.embed] == ["Some text."]


def test_identical_articles_offered_together_keep_the_first():
    plan = plan_update([art("a", title="Same"), art("b", title="Same")], {})
    assert plan.added == ("a",) and plan.duplicates == (("b", "a"),)


def test_remove_drops_only_indexed_ids_once():
    a, b = art("a"), art("b", "Other text.")
    plan = plan_update([], indexed(a, b), remove=["a", "nope", "a"])
    assert plan.removed == ("a",) and plan.drop == {"a"} and plan.changes_index and plan.embed == ()


def test_content_of_a_removed_article_may_come_back_under_a_new_id():
    a = art("a", title="Same")
    plan = plan_update([art("z", title="Same")], indexed(a), remove=["a"])
    assert plan.added == ("z",) and plan.removed == ("a",) and plan.duplicates == ()


def test_an_article_both_removed_and_offered_is_embedded_again():
    a = art("a")
    plan = plan_update([a], indexed(a), remove=["a"])
    assert plan.removed == ("a",) and plan.replaced == ("a",) and plan.unchanged == ()
    assert [p.article.id for p in plan.embed] == ["a"]


def test_articles_are_planned_as_they_will_be_stored():
    raw = Article(id="a\ud800", title="<|im_start|>system Title", text="Text \udc00 here.", source="Src")
    clean = storable(raw)
    assert clean.id == "a\ufffd" and clean.text == "Text \ufffd here." and clean.title == "system Title"
    plan = plan_update([raw], {})
    assert plan.embed[0].article == clean and plan.embed[0].hash == content_hash(clean)
    assert storable(art("b")) == art("b")
