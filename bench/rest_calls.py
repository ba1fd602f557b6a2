"""REST calls per triage of a new issue, measured from the fake GitHub's request log, and the
CLI's start-up time. Prints figures; asserts nothing. "warm" means the state database already
holds the config and the issue history (labels are learned from it, duplicates found in it).
Runs as in Actions: GITHUB_SHA and GITHUB_REF name the default branch's head, and the payload
carries the repository as webhooks do. The calls include the read after the comment's create
that makes overlapping runs converge.

    python bench/rest_calls.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from typer.testing import CliRunner  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from ossbot.cli import app  # noqa: E402

REPO = "acme/widgets"
TOKEN = "ghs_bench"
BODY = (
    "Exporting to CSV crashes with a traceback when a name contains a comma. "
    "It worked in 2.3 and fails since 2.4.\n\n### Steps to reproduce\n1. Export.\n"
)


def _setup(fake: FakeGitHub, with_config: bool, labels: int, history: int = 0) -> None:
    fake.add_user("github-actions[bot]", type="Bot")
    fake.add_token(TOKEN, "github-actions[bot]", kind="installation")
    fake.add_repo(REPO)
    for index in range(labels - 4):
        fake.add_label(REPO, f"area-{index}")
    for name in ("bug", "enhancement", "documentation", "question"):
        fake.add_label(REPO, name)
    for index in range(history):
        label = ("bug", "enhancement", "documentation", "question")[index % 4]
        fake.add_issue(
            REPO,
            f"Old {label} report {index}",
            f"Something about {label} number {index}.",
            labels=[label],
            state="closed",
            user="old",
        )
    if with_config:
        fake.put_file(REPO, ".github/ossbot.yml", "labels:\n  max: 2\n")


def _triage(fake: FakeGitHub, work: Path, state: Path) -> tuple[list[str], int]:
    number = fake.add_issue(REPO, "Export crashes on commas", BODY, user="jdoe")["number"]
    payload = {
        "action": "opened",
        "issue": fake.issue(REPO, number),
        "repository": {"full_name": REPO, "default_branch": "main"},
        "sender": {"login": "jdoe", "type": "User"},
    }
    event = work / f"event-{number}.json"
    event.write_text(json.dumps(payload))
    fake.clear_log()
    env = {
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": TOKEN,
        "OSSBOT_ACTIONS_TOKEN": "true",  # as the action says of the workflow's token
        "OSSBOT_STATE": str(state),
        "OSSBOT_WRITE_INTERVAL": "0",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_REF": "refs/heads/main",
    }
    result = CliRunner().invoke(app, ["triage", "--event", str(event)], env=env)
    if result.exit_code != 0:
        raise SystemExit(f"triage failed: {result.output}")
    calls = [f"{r.method} {r.path}" for r in fake.requests]
    fake.clear_log()
    CliRunner().invoke(app, ["triage", "--event", str(event)], env=env)
    return calls, len(fake.requests)


SCENARIOS = (
    ("30 labels, no config", False, 30, 0),
    ("30 labels, .github/ossbot.yml", True, 30, 0),
    ("30 labels, 300 labelled issues", True, 30, 300),
    ("140 labels (2 pages), config", True, 140, 0),
)


def rest_calls() -> None:
    print("REST calls per triage of a new issue (target: at most 5 warm, state store not counted)")
    for title, with_config, labels, history in SCENARIOS:
        with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
            _setup(fake, with_config, labels, history)
            state = Path(tmp) / "state.db"
            cold, rerun = _triage(fake, Path(tmp), state)
            warm, _ = _triage(fake, Path(tmp), state)
            print(
                f"  {title:31} first run {len(cold)}, warm state {len(warm)}, same event again {rerun}"
            )
    print("  the calls of a warm run:")
    for call in warm:
        print(f"    {call}")


def startup() -> None:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ossbot", "--help"],
            capture_output=True,
            check=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        runs.append(time.perf_counter() - start)
    print(
        f"start-up: `python -m ossbot --help` median {statistics.median(runs) * 1000:.0f} ms over 5 runs"
    )


if __name__ == "__main__":
    rest_calls()
    startup()
