"""Untrusted text in linear time: triage of a maximum-size body (65,536 characters, GitHub's
limit) of one character stays within a few times that of a normal issue. Measured as a ratio
in the same test, best of three runs each; never an absolute time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import REPO, issue_event, ossbot, write_event

NORMAL = (
    "Exporting to CSV crashes with a traceback when a name contains a comma. It worked in 2.3 "
    "and fails since 2.4.\n\n### Steps to reproduce\n1. Create a contact named `Doe, Jane`.\n"
    "2. Export.\n\n```\nTraceback (most recent call last):\nValueError: boom\n```\n"
)


def _best(tmp_path: Path, gh, body: str, runs: int = 3) -> float:
    times = []
    for run in range(runs):  # a new issue each time: nothing parsed before is reused
        text = str(run) + body[1:]
        number = gh.add_issue(REPO, "Export crashes on commas", text, user="jdoe")["number"]
        path = write_event(tmp_path / f"e{number}.json", issue_event(gh, number))
        start = time.perf_counter()
        result = ossbot("triage", "--event", path, "--dry-run")
        times.append(time.perf_counter() - start)
        assert result.exit_code == 0, result.stderr
    return min(times)


@pytest.mark.parametrize("char", ["[", "<", "`", "*", "\n", "@", "!", "&", "_"])
def test_a_maximum_size_body_of_one_character_is_within_five_times_a_normal_issue(
    tmp_path, gh, char
):
    _best(tmp_path, gh, NORMAL, runs=1)  # warm: imports and first connections
    normal = _best(tmp_path, gh, NORMAL)
    huge = _best(tmp_path, gh, char * 65536)
    assert huge <= 5 * normal, f"{char!r}: {huge:.3f} s against {normal:.3f} s for a normal issue"
