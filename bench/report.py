"""REST calls and time of `ossbot report` as a repository's history grows: N issues that ossbot
labelled (each a `labeled` event on GitHub and a row of its label log), a tenth of them
unlabelled again by a person. The report reads the config and one paginated list of issue
events, bounded by `report.event_pages` (10 pages of 100): the calls stop growing there. Prints
figures; asserts nothing.

    python bench/report.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from typer.testing import CliRunner  # noqa: E402

from fakes.github import FakeGitHub  # noqa: E402
from ossbot.cli import app  # noqa: E402
from ossbot.state.backends import FileBackend  # noqa: E402
from ossbot.state.store import StateStore  # noqa: E402

REPO = "acme/widgets"
BOT, TOKEN = "github-actions[bot]", "ghs_bench"
PERSON, PERSON_TOKEN = "maintainer", "ghp_bench_person"


def _seed(fake: FakeGitHub, state: Path, issues: int) -> None:
    fake.add_user(BOT, type="Bot")
    fake.add_token(TOKEN, BOT, kind="installation")
    fake.add_token(PERSON_TOKEN, PERSON)
    fake.add_repo(REPO)
    fake.set_permission(REPO, PERSON, "write")
    fake.add_label(REPO, "bug")
    session = requests.Session()
    store = StateStore(FileBackend(state))
    for index in range(issues):
        number = fake.add_issue(REPO, f"Crash {index}", "It crashes.", user="jdoe")["number"]
        url = f"{fake.url}/repos/{REPO}/issues/{number}/labels"
        session.post(url, json={"labels": ["bug"]}, headers={"Authorization": f"token {TOKEN}"})
        store.log_labels(REPO, number, ["bug"], action="applied", after=["bug"], event_key="e")
        if index % 10 == 0:
            session.delete(f"{url}/bug", headers={"Authorization": f"token {PERSON_TOKEN}"})
    store.save()
    store.close()


def main() -> None:
    print("ossbot report: GitHub requests and wall time by history size (one core)")
    print(
        f"{'labelled issues':>16} {'issue events':>13} {'requests':>9} {'seconds':>8}  live precision"
    )
    for issues in (50, 500, 2000):
        with FakeGitHub() as fake, tempfile.TemporaryDirectory() as work:
            state = Path(work) / "state.db"
            _seed(fake, state, issues)
            events = issues + len(range(0, issues, 10))
            fake.clear_log()
            env = {
                "GITHUB_API_URL": fake.url,
                "GITHUB_TOKEN": TOKEN,
                "OSSBOT_ACTIONS_TOKEN": "true",
                "OSSBOT_STATE": str(state),
                "OSSBOT_RETRY_BACKOFF": "0",
            }
            start = time.perf_counter()
            ran = CliRunner().invoke(
                app, ["report", "--repo", REPO, "--format", "json"], env=env, catch_exceptions=False
            )
            took = time.perf_counter() - start
            assert ran.exit_code == 0, ran.output
            document = json.loads(ran.stdout)
            [bug] = document["triage"]["labels"]
            complete = "" if document["triage"]["events_complete"] else " (events cut at 10 pages)"
            print(
                f"{issues:>16} {events:>13} {document['requests']['total']:>9} {took:>8.2f}  "
                f"{bug['live_precision']}{complete}"
            )


if __name__ == "__main__":
    main()
