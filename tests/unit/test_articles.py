import json

from rag.articles import content_hash, load_file, load_paths, parse_text_page

from ..conftest import SEED_FILE


def test_seed_page_is_parsed_into_headline_date_body_without_caption_or_footer():
    [article], rejected = load_file(SEED_FILE)
    assert rejected == []
    assert article.id == "000_77154c4569bde0ee"
    assert article.title == "US sees little progress, concerns over possible Ukraine invasion as Russia talks continue"
    assert article.published_at == "2023-02-02"
    assert article.source == "Nation World News"
    assert article.caption and article.caption.endswith("Dennis Ballybos/AFP/Getty Images")
    assert article.text.startswith("High-level talks between the United States and Russia")
    assert article.text.endswith("Ms Sherman said Kazakhstan was not discussed in Monday’s talks.")
    for footer in ("Nation World News Desk", "Latest news", "Related news", "Getty Images"):
        assert footer not in article.text


def test_generic_page_without_date_or_caption():
    text = "A headline here\n\nFirst paragraph of the body.\n\nSecond paragraph.\n"
    a = parse_text_page(text, "x", "x.txt")
    assert (a.title, a.published_at, a.caption) == ("A headline here", None, None)
    assert a.text == "First paragraph of the body.\n\nSecond paragraph."


def test_other_date_formats_and_footer_markers():
    body = "\n\n".join(f"Paragraph number {i} of the story." for i in range(12))
    text = f"2023-11-05\nStorm hits coast\n\n{body}\n\nRead more\nSomething else entirely\n"
    a = parse_text_page(text, "s", "s.txt")
    assert a.published_at == "2023-11-05"
    assert a.text.endswith("Paragraph number 11 of the story.")


def test_markdown_takes_first_heading_and_front_matter(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\ndate: 2023-10-01\nsource: Example Times\n---\n# The title\n\nBody text here.\n")
    [a], rej = load_file(p)
    assert (a.title, a.published_at, a.source, a.text) == ("The title", "2023-10-01", "Example Times", "Body text here.")


def test_jsonl_bad_lines_are_reported_with_line_numbers_and_the_rest_load(tmp_path):
    p = tmp_path / "c.jsonl"
    good = {"id": "a1", "title": "T", "text": "Body.", "published_at": "2023-12-01T10:00:00+00:00", "source": "S"}
    p.write_text("\n".join([
        json.dumps(good),
        "{not json",
        json.dumps({"id": "a2", "title": "No text"}),
        json.dumps({"id": "a3", "text": "x", "published_at": "yesterday-ish"}),
        json.dumps(dict(good, id="a4")),
    ]))
    arts, rej = load_file(p)
    assert [a.id for a in arts] == ["a1", "a4"]
    assert [(r.line, r.reason.split(" ")[0]) for r in rej] == [(2, "malformed"), (3, "missing"), (4, "'published_at'")]
    assert all(r.file == str(p) for r in rej)


def test_json_list_and_single_object(tmp_path):
    p = tmp_path / "l.json"
    p.write_text(json.dumps([{"id": "x", "text": "one"}, {"text": "two"}, 5]))
    arts, rej = load_file(p)
    assert [a.id for a in arts] == ["x", "l-2"]
    assert "record 3" in rej[0].reason


def test_bad_files_are_rejected_with_reasons_and_good_ones_kept(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 story\n\nbody".encode("latin-1"))
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "good.txt").write_text("Good headline\n\nGood body.")
    rep = load_paths([tmp_path, tmp_path / "notes.pdf", tmp_path / "missing.txt"])
    assert [a.title for a in rep.articles] == ["Good headline"]
    reasons = {r.file.split("/")[-1]: r.reason for r in rep.rejected}
    assert reasons["latin1.txt"].startswith("not UTF-8")
    assert reasons["bin.txt"].startswith("binary")
    assert reasons["empty.md"] == "empty file"
    assert reasons["notes.pdf"].startswith("unsupported file type")
    assert reasons["missing.txt"] == "no such file or folder"


def test_content_hash_ignores_whitespace_only_changes():
    from rag.types import Article

    a = Article("1", "T", "a  b\nc")
    assert content_hash(a) == content_hash(Article("2", "T", "a b c"))
    assert content_hash(a) != content_hash(Article("1", "T", "a b d"))


LOCAL = SEED_FILE.parent.parent / "tests" / "fixtures" / "local_news"


def test_captions_with_any_credit_bylines_and_footer_blurbs_stay_out_of_the_text():
    by_title = {a.title: a for a in load_paths([LOCAL]).articles}
    bridge = by_title["Harbor City council approves new Eastside bridge"]
    assert bridge.caption.endswith("Lena Ortiz/Harbor Gazette")
    assert bridge.source == "The Harbor Gazette"  # from "... is the daily newspaper of Harbor City"
    assert bridge.text.startswith("The Harbor City council voted 7 to 2")
    for furniture in ("Lena Ortiz", "By Marcus Bell", "daily newspaper", "Latest news"):
        assert furniture not in bridge.text
    library = by_title["Central library to reopen after two-year renovation"]
    assert library.caption.endswith("Photo: Sam Okafor") and "Sam Okafor" not in library.text
    marathon = by_title["Kenyan runner wins Harbor City Marathon in course record"]
    assert marathon.caption.endswith("(Photo: Harbor Gazette)") and marathon.text.startswith("Grace Wanjiru of Kenya won")


def test_markdown_heading_and_byline_stay_out_even_with_a_front_matter_title():
    [ferry] = [a for a in load_paths([LOCAL / "ferry.md"]).articles]
    assert ferry.title == "Ferry service to Gull Island will run all year"
    assert ferry.text.startswith("The Harbor Transit Authority will run")
    assert "#" not in ferry.text and "By Marcus Bell" not in ferry.text
    assert "More sailings" in ferry.text  # a section heading stays as words


def test_a_sentence_with_a_slash_is_not_a_caption():
    text = "Budget vote\n\nThe council approved the budget 5/4 on Monday.\n\nIt takes effect in July.\n"
    a = parse_text_page(text, "b", "b.txt")
    assert a.caption is None and a.text.startswith("The council approved the budget 5/4")


def test_a_registered_format_is_loaded_by_its_suffix(tmp_path, monkeypatch):
    """A new format is a loader registered for its suffix: folders, files and messages know it."""
    from rag.articles import FORMATS, SUFFIXES, article_format
    from rag.types import Article

    assert SUFFIXES == (".txt", ".md", ".json", ".jsonl")
    monkeypatch.setattr("rag.articles.base.FORMATS", dict(FORMATS))
    article_format(".csv")(lambda text, path, name: ([Article(id=path.stem, title="T", text=text.strip())], []))
    (tmp_path / "note.csv").write_text("a,b\n")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    rep = load_paths([tmp_path, tmp_path / "skip.pdf"])
    assert [(a.id, a.text) for a in rep.articles] == [("note", "a,b")]
    assert rep.rejected[0].reason.endswith(".txt, .md, .json, .jsonl, .csv")
    assert load_file(tmp_path / "skip.pdf")[1][0].reason.startswith("unsupported file type '.pdf'")
