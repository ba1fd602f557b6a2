"""Spawn pacing: one `ossbot run` (the real CLI, in a process of its own) on an issue whose body
is `@ossbot spawn` and a 100-item task list, against the fake GitHub enforcing GitHub's documented
secondary limits (80 content-creating requests a minute, 500 an hour) and a stricter "submitted
too quickly" interval between issue and comment creates.

Time is scaled (one real second counts as FACTOR fake seconds) and ossbot's pacing and waits are
divided by the same factor through its environment, so the run takes seconds while the fake sees
the real rhythm. The config lifts spawn.confirm_threshold above 100, so the run creates at once.

Prints the issues created, the refused attempts by kind (each is sent again by ossbot), the
duplicates (a task marker on two issues), the sub-issues linked, the time from the first create
to the last in fake seconds against the pacing floor ((100 - 1) x 60 / rate: the first create does
not wait), their ratio (the goal is at most 1.1), and the REST requests by method."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.github import FakeGitHub, ScaledClock  # noqa: E402
from ossbot.github.markers import find_marker  # noqa: E402

FACTOR = 20.0
TASKS = 100
RATE = 20  # spawn.rate_limit_per_minute (the default): one issue every 3 s; --rate N for another
PER_MINUTE, PER_HOUR = 80, 500  # GitHub's documented secondary limits on content creation
TOO_QUICKLY = 1.0  # the fake refuses issue and comment creates closer than this (fake seconds)
WRITE_INTERVAL = 1.0  # ossbot's default OSSBOT_WRITE_INTERVAL, between any two writes
SECONDARY_WAIT = 60.0  # ossbot's default OSSBOT_SECONDARY_WAIT
MAX_WAIT = 600.0  # ossbot's default OSSBOT_MAX_RATE_LIMIT_WAIT
REPO = "acme/widgets"
BOT, TOKEN = "github-actions[bot]", "ghs_bench"
CREATES = re.compile(rf"/repos/{REPO}/issues")


def _config(rate: int) -> str:
    return (
        f"spawn:\n  confirm_threshold: 200\n  max_issues: {TASKS}\n"
        f"  rate_limit_per_minute: {rate}\n  max_rate: {max(rate, 30)}\n"
    )


def _event(fake: FakeGitHub, number: int) -> dict:
    issue = fake.issue(REPO, number)
    owner, name = REPO.split("/")
    return {
        "action": "opened",
        "issue": issue,
        "repository": {
            "full_name": REPO,
            "name": name,
            "default_branch": "main",
            "private": False,
            "owner": {"login": owner},
        },
        "sender": {"login": issue["user"]["login"], "type": "User"},
    }


def _env(url: str, interval: float) -> dict[str, str]:
    """This process's environment without any GitHub or ossbot setting, plus the bench's."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "OSSBOT_", "LLM_"))}
    return {
        **keep,
        "GITHUB_API_URL": url,
        "GITHUB_TOKEN": TOKEN,
        "OSSBOT_ACTIONS_TOKEN": "true",  # as the action says of the workflow's token
        "OSSBOT_PACE_SCALE": f"{1 / FACTOR}",
        "OSSBOT_WRITE_INTERVAL": f"{interval / FACTOR}",
        "OSSBOT_SECONDARY_WAIT": f"{SECONDARY_WAIT / FACTOR}",
        "OSSBOT_MAX_RATE_LIMIT_WAIT": f"{MAX_WAIT / FACTOR}",
        "OSSBOT_RETRY_BACKOFF": "0.01",
        "COLUMNS": "100",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=RATE, help="spawn.rate_limit_per_minute")
    parser.add_argument(
        "--write-interval", type=float, default=WRITE_INTERVAL, help="OSSBOT_WRITE_INTERVAL (s)"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="real seconds before the run is killed"
    )
    args = parser.parse_args()
    rate, interval = args.rate, args.write_interval
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        fake.add_user(BOT, type="Bot")
        fake.add_token(TOKEN, BOT, kind="installation")
        fake.add_repo(REPO)
        fake.add_user("maintainer")
        fake.set_permission(REPO, "maintainer", "write")
        items = "\n".join(f"- [ ] Task {i}" for i in range(1, TASKS + 1))
        body = f"The work, split.\n\n@ossbot spawn\n\n{items}\n"
        parent = fake.add_issue(REPO, "The work", body, user="maintainer")["number"]
        event = work / "event.json"
        event.write_text(json.dumps(_event(fake, parent)))
        config = work / "ossbot.yml"
        config.write_text(_config(rate))
        clock = ScaledClock(FACTOR)
        fake.enforce_limits(
            per_minute=PER_MINUTE, per_hour=PER_HOUR, min_interval=TOO_QUICKLY, clock=clock
        )
        command = [sys.executable, "-m", "ossbot", "run", "--event", str(event)]
        command += ["--event-name", "issues", "--config", str(config)]
        command += ["--state", str(work / "state.db"), "--format", "json"]
        start = time.monotonic()
        process = subprocess.Popen(
            command,
            env=_env(fake.url, interval),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            stderr = f"(killed after {args.timeout:g} s real)\n{stderr}"
        took = (time.monotonic() - start) * FACTOR

        tasks: Counter[int] = Counter()
        for issue in fake.issues(REPO):
            marker = find_marker(issue.get("body") or "", "spawn-task")
            if issue["number"] != parent and marker is not None:
                tasks[int(marker.get("t") or 0)] += 1
        creates = [e for e in fake.limit_log if e.method == "POST" and CREATES.fullmatch(e.path)]
        done = [e.at for e in creates if e.outcome == "carried_out"]
        span = max(done) - min(done) if len(done) > 1 else 0.0
        floor = (TASKS - 1) * 60 / rate
        refused = Counter(e.outcome for e in creates if e.outcome != "carried_out")
        linked = len(fake.sub_issues(REPO, parent))
        methods = Counter(r.method for r in fake.requests)

        print(f"Spawn: {TASKS} tasks, one `ossbot run` process, {FACTOR:g}x scaled time")
        print(
            f"  limits: {PER_MINUTE}/min, {PER_HOUR}/h content creates, issues and comments "
            f">= {TOO_QUICKLY:g} s apart; rate {rate}/min, write interval {interval:g} s"
        )
        print(f"  exit code {process.returncode}")
        for job in _jobs(stdout):
            for result in job.get("results") or []:
                note = f": {result['note']}" if result.get("note") else ""
                print(f"    {job['job']}: {result['type']} {result['result']}{note}")
            if job.get("error"):
                print(f"    {job['job']}: error {job['error']}")
        print(
            f"  issues created {sum(tasks.values())} ({len(tasks)} tasks of {TASKS}), "
            f"missing {TASKS - len(tasks)}, duplicates {sum(n - 1 for n in tasks.values())}"
        )
        print(f"  failed creates (refused, sent again): {dict(refused) or 'none'}")
        print(f"  all refusals by kind: {dict(fake.limit_refusals) or 'none'}")
        print(f"  sub-issues linked {linked}")
        print(
            f"  first to last create {span:.1f} s (fake) against a floor of {floor:.0f} s: "
            f"{span / floor:.2f}x (goal <= 1.10); the whole process {took:.0f} s (fake)"
        )
        print(f"  REST requests: {sum(methods.values())}, {dict(sorted(methods.items()))}")
        if process.returncode != 0:
            print(stderr[-2000:])


def _jobs(stdout: str) -> list[dict]:
    try:
        return list(json.loads(stdout).get("jobs") or [])
    except ValueError:
        return []


if __name__ == "__main__":
    main()
