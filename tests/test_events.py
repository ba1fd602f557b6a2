from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CORPORA
from ossbot.errors import InputError
from ossbot.events import SUPPORTED_EVENTS, event_from_payload, load_event

EXAMPLES = CORPORA / "webhooks" / "payload-examples" / "api.github.com"


def _payloads() -> list[tuple[str, Path]]:
    if not EXAMPLES.is_dir():
        return []
    return [
        (name, path)
        for name in SUPPORTED_EVENTS
        for path in sorted((EXAMPLES / name).glob("*.json"))
    ]


@pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/corpora is absent: conformance suite skipped"
)
@pytest.mark.parametrize("name, path", _payloads(), ids=lambda v: getattr(v, "name", v))
def test_every_real_payload_loads(name, path):
    event = load_event(path, name)
    raw = json.loads(path.read_text())
    assert event.name == name and event.action == raw["action"]
    assert event.repo == raw["repository"]["full_name"]
    assert event.number == (raw.get("issue") or raw.get("pull_request"))["number"]
    assert load_event(path).name == name  # and the type is inferred from the shape alone


@pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/corpora is absent: conformance suite skipped"
)
def test_corpus_covers_the_events_we_claim():
    counts = {name: len(list((EXAMPLES / name).glob("*.json"))) for name in SUPPORTED_EVENTS}
    assert all(count > 0 for count in counts.values()), counts


def _issue(**extra):
    return {"number": 7, "title": "t", "body": None, "user": {"login": "a"}, **extra}


def test_null_body_and_pull_request_flag():
    event = event_from_payload(
        {
            "action": "opened",
            "repository": {"full_name": "o/r"},
            "issue": _issue(pull_request={"url": "x"}),
        }
    )
    assert event.issue.body == "" and event.issue.is_pull_request
    assert event.name == "issues"


def test_same_payload_same_key_and_a_change_changes_it():
    payload = {"action": "opened", "repository": {"full_name": "o/r"}, "issue": _issue()}
    first, second = event_from_payload(payload), event_from_payload(dict(payload))
    assert first.key == second.key
    assert event_from_payload({**payload, "action": "edited"}).key != first.key


def test_bots_are_recognised():
    for login, kind in (("dependabot[bot]", "Bot"), ("renovate[bot]", "User"), ("ci", "Bot")):
        event = event_from_payload(
            {
                "action": "opened",
                "repository": {"full_name": "o/r"},
                "issue": _issue(),
                "sender": {"login": login, "type": kind},
            }
        )
        assert event.sender.is_bot


@pytest.mark.parametrize(
    "payload, words",
    [
        ([], "JSON object"),
        ({"repository": {"full_name": "o/r"}}, "cannot tell the event type"),
        ({"action": "opened", "issue": _issue()}, "repository"),
        (
            {
                "action": "created",
                "repository": {"full_name": "o/r"},
                "issue": _issue(),
                "comment": {"body": "x"},
            },
            "comment.",
        ),
    ],
)
def test_malformed_payloads_are_input_errors(payload, words):
    with pytest.raises(InputError) as caught:
        event_from_payload(payload, source="e.json")
    assert words in str(caught.value)
