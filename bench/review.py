"""REST calls and model calls per review of a pull request, against the fake GitHub
(tests/fakes/github.py) and the fake LLM (tests/fakes/llm_server.py), with the real CLI
in-process: `ossbot run --event FILE --event-name pull_request --state PATH`. Prints figures and
whether each goal is met; asserts nothing; exits 0.

1. REST calls: counted from the fake's request log, cleared just before the CLI call (the event
   payload is built before). The state store is not counted: --state is a SQLite file in a temp
   dir (a local file makes no requests), and any request whose path contains /git/ or
   /actions/caches is dropped as well, and so is the one `GET /issues/comments` (repository-wide)
   a run makes when its state starts empty, to rebuild the ledger from ossbot's markers. PRs of 10, 60, 300 and 3,000 files (the fake is seeded
   with 3,100 for the last; GitHub lists the first 3,000) of small Python hunks, a few of them
   with a debug print( so there are findings; offline (no model). Runs: (a) opened, no config
   file in the repo; (b) opened, the repo has .github/ossbot.yml, fresh state; (c) synchronize
   after one push touching 3 files, with (b)'s state file and the same base; (d) another push
   after the base branch moved (its .github folder is listed again).
   Goal: calls <= ceil(min(files, 3000) / 100) + 5 (the pages of the files endpoint, plus 5).
2. Model calls: the fake LLM as a custom OpenAI-compatible provider answering valid review JSON.
   For a PR within budget (10 files) and PRs far over it (300 files of ~40 lines, and the
   3,000-file PR): the chat completion requests received, and the largest prompt's input tokens
   estimated as (characters of all messages' content + 3) // 4, against llm.input_budget.
   Goals: 1 call within budget, at most 3 for any PR, every prompt within the budget.

    python bench/review.py
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from typer.testing import CliRunner  # noqa: E402

from conftest import BOT, BOT_TOKEN, REPO, review_event, write_event  # noqa: E402
from fakes.github import FakeGitHub  # noqa: E402
from fakes.llm_server import FakeLLM, json_answer  # noqa: E402
from ossbot.cli import app  # noqa: E402
from ossbot.repo_config import LLMConfig  # noqa: E402

SIZES = (10, 60, 300, 3000)
MAX_FILES = 3000  # GitHub's cap on GET .../pulls/{n}/files
CONFIG = "review:\n  fail_on: high\nlabels:\n  max: 2\n"
ANSWER = {"category": "feature", "summary": ["Adds modules."], "files": [], "findings": []}
CLEARED = ("GITHUB_", "OSSBOT_", "LLM_", "OPENAI_", "GEMINI_", "GOOGLE_", "AZURE_", "OPENROUTER_")


def spec(index: int, lines: int = 4, version: int = 1) -> dict[str, Any]:
    """A modified Python file: a small function added after one line of context; every 97th file
    (and file 3) leaves a debug print behind."""
    body = [f"def compute_{index}(value):", f'    """Version {version}."""']
    body += [f"    value = value * {j + 2} + {index}" for j in range(max(lines - 3, 0))]
    if index % 97 == 3:
        body.append("    print(value)")
    body.append("    return value")
    hunk = f"@@ -10,1 +10,{len(body) + 1} @@\n import os\n" + "\n".join(f"+{b}" for b in body)
    name = f"src/pkg{index // 100}/mod{index}.py"
    return {
        "filename": name,
        "status": "modified",
        "additions": len(body),
        "deletions": 0,
        "patch": hunk,
    }


def seeded(fake: FakeGitHub, files: list[dict], config: bool) -> None:
    fake.add_user(BOT, type="Bot")
    fake.add_token(BOT_TOKEN, BOT, kind="installation")
    fake.add_repo(REPO)
    if config:  # on main before the pull request, so it is in the base commit
        fake.put_file(REPO, ".github/ossbot.yml", CONFIG)
    fake.add_pull(REPO, "Add the modules", "Adds modules.", user="alice", files=files)


def environment(fake: FakeGitHub, llm: FakeLLM | None = None) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith(CLEARED)}
    env |= {
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": BOT_TOKEN,
        "OSSBOT_ACTIONS_TOKEN": "true",  # as the action says of the workflow's token
        "OSSBOT_WRITE_INTERVAL": "0",
        "OSSBOT_RETRY_BACKOFF": "0",
        "LLM_RETRY_BACKOFF": "0",
    }
    if llm is not None:
        env |= {
            "LLM_PROVIDER": "custom",
            "LLM_ENDPOINT": llm.openai_base,
            "LLM_MODEL_NAME": "bench-model",
            "LLM_API_KEY": "k",
        }
    return env


def review(fake: FakeGitHub, work: Path, payload: dict, env: dict) -> tuple[list[str], dict]:
    """Run the review of PAYLOAD; the REST calls it made (state store left out) and its job."""
    event = write_event(work / f"event-{payload['action']}.json", payload)
    args = ["run", "--event", event, "--event-name", "pull_request", "--format", "json"]
    fake.clear_log()
    ran = CliRunner().invoke(app, [*args, "--state", str(work / "state.db")], env=env)
    if ran.exit_code != 0:
        raise SystemExit(f"review failed: {ran.output}")
    job = next(j for j in json.loads(ran.stdout)["jobs"] if j["job"] == "review")
    if job.get("skipped"):
        raise SystemExit(f"review skipped: {job['skipped']}")
    prefix = f"/repos/{REPO}"
    calls = [
        f"{r.method} {r.path.removeprefix(prefix) or '/'}"
        for r in fake.requests
        if "/git/" not in r.path
        and "/actions/caches" not in r.path
        and r.path != f"{prefix}/issues/comments"  # the state's rebuild from markers
    ]
    return calls, job


def rest_calls() -> tuple[bool, list[str]]:
    print("1. REST calls per review (state store not counted; offline, no model)")
    print(f"  {'run':<38} {'files':>5} {'pages':>5} {'calls':>5} {'goal':>4}  met")
    met, misses, shown = True, [], []
    for size in SIZES:
        files = [spec(i) for i in range(size + 100 if size >= MAX_FILES else size)]
        pages = math.ceil(min(size, MAX_FILES) / 100)
        rows = []
        with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
            seeded(fake, files, config=False)
            calls, _ = review(fake, Path(tmp), review_event(fake, 1), environment(fake))
            rows.append(("(a) opened, no config", calls))
        with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
            seeded(fake, files, config=True)
            opened = review_event(fake, 1)
            calls, _ = review(fake, Path(tmp), opened, environment(fake))
            rows.append(("(b) opened, .github/ossbot.yml, cold", calls))
            if size == 60:
                shown = calls
            pushed = [spec(i, version=2) if i < 3 else f for i, f in enumerate(files)]
            fake.push_pull(REPO, 1, pushed, message="Touch three files")
            before = opened["pull_request"]["head"]["sha"]
            payload = review_event(fake, 1, "synchronize", before=before)
            calls, _ = review(fake, Path(tmp), payload, environment(fake))
            rows.append(("(c) synchronize, 3 files, warm", calls))
            # The base branch moved meanwhile: its .github folder is listed again (the config
            # file's text is cached by its blob sha).
            fake.put_file(REPO, "src/elsewhere.py", "x = 1\n")
            again = [spec(i, version=3) if i < 3 else f for i, f in enumerate(files)]
            before = payload["pull_request"]["head"]["sha"]
            fake.push_pull(REPO, 1, again, message="Touch them again")
            payload = review_event(fake, 1, "synchronize", before=before)
            payload["pull_request"]["base"]["sha"] = fake.branch(REPO, "main")
            calls, _ = review(fake, Path(tmp), payload, environment(fake))
            rows.append(("(d) synchronize, base moved", calls))
        for title, calls in rows:
            ok = len(calls) <= pages + 5
            met &= ok
            if not ok:
                misses.append(f"{title} at {size} files: {len(calls)} > {pages + 5}")
            print(
                f"  {title:<38} {min(size, MAX_FILES):>5} {pages:>5} {len(calls):>5} "
                f"{pages + 5:>4}  {'yes' if ok else 'NO'}"
            )
    print("  where the calls of (b) opened with 60 files go:")
    for call, count in Counter(shown).items():
        print(f"    {count:>3} x {call}")
    return met, misses


def model_calls(budget: int) -> dict[str, bool]:
    print(f"\n2. Model calls per review (custom OpenAI-compatible provider; budget {budget})")
    print(f"  {'pull request':<30} {'calls':>5} {'largest prompt':>16}  within budget")
    cases = (
        ("10 files (within budget)", [spec(i) for i in range(10)]),
        ("300 files of ~40 lines", [spec(i, lines=40) for i in range(300)]),
        ("3,000 files (3,100 seeded)", [spec(i) for i in range(3100)]),
    )
    goals = {"one": True, "three": True, "budget": True}
    for title, files in cases:
        with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake, FakeLLM() as llm:
            seeded(fake, files, config=False)
            llm.queue(*[json_answer(ANSWER) for _ in range(20)])
            _, job = review(fake, Path(tmp), review_event(fake, 1), environment(fake, llm))
            chats = [r for r in llm.requests if r.api == "openai" and r.method == "POST"]
            sizes = [
                (sum(len(m.get("content") or "") for m in c.body["messages"]) + 3) // 4
                for c in chats
            ]
        notes = [str(n) for n in job.get("notes") or []]
        # A prompt the client refused to send (over the budget) counts against the budget goal.
        refused = [int(m) for n in notes for m in re.findall(r"about (\d+) tokens\) is over", n)]
        largest = max([*sizes, *refused], default=0)
        fits = all(s <= budget for s in [*sizes, *refused])
        if len(files) <= 10:
            goals["one"] = len(chats) == 1
        goals["three"] &= len(chats) <= 3
        goals["budget"] &= fits
        shown = f"{largest} (not sent)" if refused else str(largest)
        print(f"  {title:<30} {len(chats):>5} {shown:>16}  {'yes' if fits else 'NO'}")
        for note in notes:
            print(f"      note: {note}")
    return goals


def main() -> None:
    budget = LLMConfig().input_budget
    rest_met, misses = rest_calls()
    goals = model_calls(budget)
    print("\nGoals")
    lines = (
        ("REST calls <= ceil(min(files, 3000) / 100) + 5 for every review", rest_met),
        ("1 model call for a PR within budget", goals["one"]),
        ("at most 3 model calls for any PR", goals["three"]),
        (f"every prompt <= llm.input_budget ({budget} tokens)", goals["budget"]),
    )
    for goal, ok in lines:
        print(f"  {goal:<66} {'met' if ok else 'NOT met'}")
    for miss in misses:
        print(f"    NOT met: {miss}")


if __name__ == "__main__":
    main()
