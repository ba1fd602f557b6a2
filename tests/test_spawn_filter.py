"""Spawn's content filter: whole words, case-insensitive, on the spec and on every task."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ossbot.spawn.filter import ContentFilter


def test_whole_words_only_and_case_insensitive():
    found = ContentFilter(["pass", "Drop Table"])
    assert found.scan("the password is set", "spec") == []
    hits = found.scan("Please PASS this, then drop   table users", "spec")
    assert [h.keyword for h in hits] == ["pass", "drop table"]
    assert all(h.where == "spec" for h in hits)


def test_a_keyword_spanning_a_line_break_is_found():
    hits = ContentFilter(["rm -rf"]).scan("then run rm\n-rf /", "spec")
    assert [h.keyword for h in hits] == ["rm -rf"]
    assert ContentFilter(["rm -rf"]).scan("then run rm-rf /", "spec") == []  # no space: no match
    hits = ContentFilter(["drop table"]).scan("drop\ntable", "spec")
    assert [h.keyword for h in hits] == ["drop table"]


def test_tasks_are_scanned_title_and_body():
    found = ContentFilter(["secret"])
    hits = found.scan_tasks("a spec", [("Fine", "fine"), ("The secret", "a secret plan")])
    assert [h.where for h in hits] == ["task 2 title", "task 2 body"]


def test_excerpt_is_one_bounded_line():
    text = "x" * 200 + " secret\n\n" + "y" * 200
    [hit] = ContentFilter(["secret"]).scan(text, "spec")
    assert "\n" not in hit.excerpt and len(hit.excerpt) < 100
    assert hit.excerpt.startswith("…") and hit.excerpt.endswith("…")


def test_no_keywords_finds_nothing():
    assert ContentFilter([]).scan("anything at all", "spec") == []
    assert ContentFilter(["  ", ""]).scan("anything", "spec") == []


def test_regex_characters_in_keywords_are_literal():
    assert ContentFilter(["a.b"]).scan("axb", "spec") == []
    assert [h.keyword for h in ContentFilter(["a.b"]).scan("see a.b here", "spec")] == ["a.b"]


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(min_size=1, max_size=12), max_size=6),
    text=st.text(max_size=500),
)
def test_any_keywords_any_text_never_fail(words, text):
    found = ContentFilter(words)
    for hit in found.scan(text, "spec"):
        assert hit.keyword in found.keywords
        assert "\n" not in hit.excerpt
