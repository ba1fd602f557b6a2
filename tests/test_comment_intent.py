"""What counts as intent to contribute, and as a question to the bot."""

from __future__ import annotations

import pytest

from ossbot.repo_config import LabelsConfig
from ossbot.triage.comments import own_words, question_for, wants_to_contribute


@pytest.mark.parametrize(
    "body",
    [
        "Can I work on this?",
        "hi, CAN I TAKE THIS",
        "I\u2019d like to work on this one",
        "Please assign this to me",
        "How do I contribute?",
        "Where should I start?",
        "I'm a new contributor here",
        "Is this a good first issue for me? It would be my first issue.",
    ],
)
def test_intent(body):
    assert wants_to_contribute(body, [])


@pytest.mark.parametrize(
    "body",
    [
        "> Can I work on this?\n\nSomeone asked above; the answer is no.",
        "```\ncan I work on this\n```",
        "Logs:\n\n    can I work on this\n",  # indented code
        "- it fails:\n  ```\n  can I work on this\n  ```",  # a fence in a list item
        "~~~\ncan I work on this\n~~~",
        "````\n```\ncan I work on this\n````",
        "> quoted\n>\n> can I work on this",
        "<details>\ncan I work on this\n</details>",
        "run `assign me` to test",
        "<!-- can I take this -->",
        "The firstissue module is broken",
        "reassign mentor",
        "This crashes for me too.",
    ],
)
def test_no_intent(body):
    assert not wants_to_contribute(body, [])


def test_configured_phrases():
    assert wants_to_contribute("Je peux aider ?", ["je peux aider"])
    assert not wants_to_contribute("Je peux aider ?", [])


@pytest.mark.parametrize(
    "body, expected",
    [
        ("@ossbot how do I export?", "how do I export?"),
        ("Hey @OSSBOT, what changed in 2.0?", "Hey , what changed in 2.0?"),
        ("@ossbot explain the stack trace", "explain the stack trace"),
        ("Thanks @ossbot", None),
        ("@ossbot-dev why?", None),
        ("email@ossbot why?", None),
        ("> @ossbot why?\n\nok", None),
        ("`@ossbot why?`", None),
        ("    @ossbot why?", None),
        ("<!--\n@ossbot why?\n-->", None),
        ("why does it fail?", None),
    ],
)
def test_questions_to_the_handle(body, expected):
    assert question_for(body, "@ossbot") == expected


def test_own_words_drop_quotes_code_and_comments():
    text = own_words("> quoted\nmine\n```\ncode\n```\n<!-- hidden -->`inline`")
    assert (
        "quoted" not in text
        and "code" not in text
        and "hidden" not in text
        and "inline" not in text
    )
    assert "mine" in text


@pytest.mark.parametrize(
    "name, allowed",
    [
        ("bug", True),
        ("kind/feature", True),
        ("area: export", True),
        ("status: confirmed", False),
        ("needs-triage", False),
        ("Needs Info", False),
        ("good first issue", False),
        ("wontfix", False),
        ("priority/high", False),
        ("P1", False),
        ("Stale", False),
        ("duplicate", False),
    ],
)
def test_status_like_labels_are_excluded_by_default(name, allowed):
    assert LabelsConfig().permits(name) is allowed


def test_allow_makes_a_status_like_label_eligible_and_exclude_is_configurable():
    assert LabelsConfig(allow=["good first issue"]).permits("good first issue")
    assert LabelsConfig(exclude=[]).permits("wontfix")
    assert not LabelsConfig(deny=["bug"]).permits("BUG")
