from __future__ import annotations

from ossbot.github.markers import Marker, find_marker, strip_markers
from ossbot.text import ZWSP, clip, neutralize_mentions, safe_inline


def test_marker_round_trip_with_awkward_label_names():
    marker = Marker("triage-summary", {"labels": ["bug", "good first issue", "a,b", "ünï"]})
    text = f"hello\n{marker.render()}\n"
    found = find_marker(text, "triage-summary")
    assert found.get_list("labels") == ["bug", "good first issue", "a,b", "ünï"]
    assert find_marker(text, "review") is None
    assert strip_markers(text).strip() == "hello"


def test_empty_list_round_trips():
    assert find_marker(Marker("k", {"labels": []}).render(), "k").get_list("labels") == []


def test_mentions_are_neutralised_but_emails_and_code_paths_are_not():
    text = "ping @alice, @org/team; mail bob@example.com; see `@decorator` and a/@b"
    out = neutralize_mentions(text)
    assert f"@{ZWSP}alice" in out and f"@{ZWSP}org/team" in out
    assert "bob@example.com" in out and "`@decorator`" in out


def test_clip_is_bounded_and_cuts_at_words():
    text = "word " * 100
    clipped = clip(text, 50)
    assert len(clipped) <= 50 and clipped.endswith("…") and "wor…" not in clipped
    assert clip("short", 50) == "short"


def test_safe_inline_removes_comments_tags_and_markup():
    text = "a <!-- ossbot:triage-summary --> b <img src=x onerror=y> ```fence``` @x"
    out = safe_inline(text)
    assert "<!--" not in out and "<img" not in out and "@x" not in out
