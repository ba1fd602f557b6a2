"""Write pacing: 100 issues created one after another through ossbot's writer (PyGithub with
ossbot's retry policy) against the fake GitHub enforcing GitHub's secondary limits (80 content
creates a minute, 500 an hour) and a stricter "submitted too quickly" interval.

Time is scaled (one real second counts as FACTOR fake seconds) and the client's pacing and
waits are divided by the same factor, so the run takes seconds while the fake sees the real
rhythm. Prints the issues created, the refusals, and the fake time against the pacing floor
(99 intervals of the write interval: the first create does not wait)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.github import FakeGitHub, ScaledClock  # noqa: E402
from ossbot.github.http import GitHubHTTP, Policy  # noqa: E402
from ossbot.github.reader import LiveReader  # noqa: E402
from ossbot.github.writer import Writer  # noqa: E402

FACTOR = 20.0
ISSUES = 100
WRITE_INTERVAL = 3.0  # seconds between writes: ossbot's pacing for creates (OSSBOT_WRITE_INTERVAL)
TOO_QUICKLY = 1.0  # the fake refuses creates closer than this
REPO = "acme/widgets"


def main() -> None:
    with FakeGitHub() as fake:
        fake.add_user("github-actions[bot]", type="Bot")
        fake.add_token("ghs_bench", "github-actions[bot]", kind="installation")
        fake.add_repo(REPO)
        clock = ScaledClock(FACTOR)
        fake.enforce_limits(min_interval=TOO_QUICKLY, clock=clock)
        policy = Policy(
            retries=5,
            backoff=0.01,
            secondary_wait=60 / FACTOR,
            max_wait=3600 / FACTOR,
            timeout=10,
            write_interval=WRITE_INTERVAL / FACTOR,
        )
        http = GitHubHTTP(base_url=fake.url, token="ghs_bench", policy=policy)
        writer = Writer(http, LiveReader(http))
        failed = 0
        start = time.monotonic()
        for index in range(ISSUES):
            try:
                writer.create_issue(REPO, f"Task {index + 1}", "body", [], [])
            except Exception as exc:  # noqa: BLE001 - counted and shown, the bench goes on
                failed += 1
                print(f"  create {index + 1} failed: {exc}")
        took = (time.monotonic() - start) * FACTOR
        http.close()
        created = len(fake.issues(REPO))
        titles = [issue["title"] for issue in fake.issues(REPO)]
        floor = (ISSUES - 1) * WRITE_INTERVAL
        print(f"Write pacing: {ISSUES} issue creates, {FACTOR:g}x scaled time")
        print(f"  created {created}, failed {failed}, duplicates {len(titles) - len(set(titles))}")
        print(f"  refused by the fake: {dict(fake.limit_refusals) or 'none'}")
        print(f"  {took:.0f} s against a floor of {floor:.0f} s: {took / floor:.2f}x")


if __name__ == "__main__":
    main()
