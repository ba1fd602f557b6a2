from __future__ import annotations

import pytest

from ossbot.github.markers import Marker, find_marker, strip_markers
from ossbot.text import ZWSP, clip, neutralize_mentions, plain, safe_inline, sanitize


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


def test_marker_values_with_spaces_commas_and_comment_ends_round_trip():
    marker = Marker("k", {"title": "a b, c --> d", "v": "2024-01-01T00:00:00Z"})
    found = find_marker(f"x {marker.render()} y", "k")
    assert found.get("title") == "a b, c --> d" and found.get("v") == "2024-01-01T00:00:00Z"
    assert "-->" not in marker.render()[:-3]


def test_a_marker_that_could_not_be_found_again_is_refused():
    with pytest.raises(ValueError):
        Marker("Bad Kind").render()
    with pytest.raises(ValueError):
        Marker("k", {"a=b": "c"}).render()


def test_sanitize_removes_bidi_controls_and_terminal_escapes_but_keeps_emoji():
    assert sanitize("safe\u202egnp.exe") == "safegnp.exe"
    assert sanitize("\x1b[31mred\x1b[0m \x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\") == "red link"
    assert sanitize("over\rwrite") == "over\nwrite" and sanitize("a\r\nb") == "a\r\nb"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ sequence
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tags
    assert sanitize(england) == england
    assert sanitize(family) == family
    assert sanitize(f"@{ZWSP}user\tok\n") == f"@{ZWSP}user\tok\n"


def test_plain_drops_code_of_every_kind_and_keeps_link_text():
    body = "See [the docs](https://x) ![img](y)\n\n~~~\nsecret\n~~~\n\n    indented secret\n"
    text = plain(body)
    assert "the docs" in text and "https" not in text and "img" not in text
    assert "secret" not in text
