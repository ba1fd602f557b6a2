from __future__ import annotations

from ossbot.repo_config import DEFAULT_RULES
from ossbot.triage.offline import keyword_scores, resolve_label, summarize


def test_summary_picks_content_not_template_boilerplate():
    body = (
        "<!-- A clear and concise description of what the bug is. -->\n"
        "**Describe the bug**\nA clear and concise description of what the bug is.\n"
        "Saving a file with a unicode name raises an error. It worked in v1.2.0.\n\n"
        "### Steps to reproduce\n1. Create a file named é.txt.\n2. Press save in the editor.\n\n"
        '```\nTraceback (most recent call last):\n  File "x.py"\n```\n'
    )
    summary = summarize("Saving unicode file names raises an error", body, max_bullets=2)
    assert summary.bullets[0].startswith("Saving a file with a unicode name raises an error")
    assert not any("clear and concise" in b for b in summary.bullets)
    assert len(summary.bullets) == 2
    assert summary.signals == [
        "has steps to reproduce",
        "includes a stack trace",
        "mentions a version",
    ]


def test_summary_is_bounded():
    body = " ".join(f"Sentence number {i} talks about the crash in detail." for i in range(500))
    summary = summarize("crash", body, max_bullets=3, limit=120)
    assert len(summary.bullets) == 3 and all(len(b) <= 120 for b in summary.bullets)
    assert summarize("t", "").bullets == ["No description was given beyond the title."]


def test_keywords_match_on_word_boundaries_only():
    assert keyword_scores("Debugging tips", "prefix the fixture", DEFAULT_RULES) == {}
    assert keyword_scores("App crashes", "", DEFAULT_RULES) == {"bug": 2.0}


def test_keywords_count_in_the_title_and_template_fields_not_in_passing():
    # A passing word in the body is not evidence.
    assert (
        keyword_scores("Slow start", "It is not a bug, it is slow. Error-free.", DEFAULT_RULES)
        == {}
    )
    # The template's headings and the choice under a heading are.
    form = "### Issue type\n\nBug report\n\n### Description\n\nIt stops after a while.\n"
    assert keyword_scores("Slow start", form, DEFAULT_RULES) == {"bug": 2.0}
    bold = "**Describe the bug**\nIt stops after a while, with no reason I could find."
    assert keyword_scores("Slow start", bold, DEFAULT_RULES) == {"bug": 2.0}
    # A sentence under a heading is the reporter's prose, not a choice.
    prose = "### Description\n\nA crash in the renderer when I open files.\n\nIt is a bug.\n"
    assert keyword_scores("Slow start", prose, DEFAULT_RULES) == {}


def test_keywords_in_code_blocks_and_html_comments_do_not_count():
    body = "<!-- is this a bug? a feature request? -->\n```\nerror error\n```\n"
    assert keyword_scores("Something", body, DEFAULT_RULES) == {}


def test_rules_resolve_to_the_repositorys_own_label_names():
    labels = ["Type: Bug", "kind/feature", "docs", "needs triage"]
    assert resolve_label("bug", labels) == "Type: Bug"
    assert resolve_label("enhancement", labels) == "kind/feature"
    assert resolve_label("documentation", labels) == "docs"
    assert resolve_label("question", labels) is None
    assert resolve_label("needs triage", labels) == "needs triage"
