"""`ossbot report` end to end: a history of ossbot's own actions made through the real CLI against
the fake GitHub (triage labels applied and suggested, a review and a push that fixes a finding, a
spawn run rolled back), then a person's label changes; the report must count all of it exactly,
within a bounded number of requests, publish one issue updated in place, and render Markdown
whose Mermaid charts parse."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
import requests

from conftest import (
    REPO,
    comment_event,
    issue_event,
    node_tool,
    ossbot,
    review_event,
    write_event,
)
from ossbot.github.markers import find_marker
from test_review_e2e import FILES, spec

MAINTAINER, TOKEN = "maintainer", "ghp_report_maintainer"
BUGS = [
    ("Crash on start", "It crashes when it starts."),
    ("Crash when saving", "Saving a file crashes."),
    ("Crash on exit", "Quitting crashes with a traceback."),
    ("Crash in the export", "Export crashes."),
]


def _as_person(gh: Any, method: str, path: str, body: Any = None) -> None:
    answer = requests.request(
        method,
        f"{gh.url}/repos/{REPO}{path}",
        json=body,
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code < 300, answer.text


def _triage(tmp_path, gh, number: int) -> None:
    path = write_event(tmp_path / f"issue-{number}.json", issue_event(gh, number))
    ran = ossbot("run", "--event", path, "--event-name", "issues")
    assert ran.exit_code == 0, ran.stdout + ran.stderr


@pytest.fixture
def history(tmp_path, gh) -> dict[str, Any]:
    """Four issues labelled `bug` by ossbot (cold start applies), two where it only suggested
    `bug`; a person removed one applied label, added one suggested, and added a label ossbot
    never touched; a pull request reviewed twice (the push removes the leftover print); a spawn
    run of three issues, rolled back."""
    gh.add_user(MAINTAINER)
    gh.set_permission(REPO, MAINTAINER, "write")
    gh.add_token(TOKEN, MAINTAINER)
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    applied = [gh.add_issue(REPO, *bug, user="jdoe")["number"] for bug in BUGS]
    for number in applied:
        _triage(tmp_path, gh, number)
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: suggest\n")
    suggested = [
        gh.add_issue(REPO, title, "It crashes.", user="jdoe")["number"]
        for title in ("Crash on resize", "Crash on paste")
    ]
    for number in suggested:
        _triage(tmp_path, gh, number)
    for number in applied:
        assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]
    for number in suggested:
        assert gh.issue(REPO, number)["labels"] == []

    _as_person(gh, "DELETE", f"/issues/{applied[1]}/labels/bug")  # wrong, says a person
    _as_person(gh, "POST", f"/issues/{suggested[0]}/labels", {"labels": ["bug"]})  # accepted
    _as_person(gh, "POST", f"/issues/{applied[2]}/labels", {"labels": ["question"]})  # not ours

    pull = gh.add_pull(REPO, "Add the handler", "Adds a handler.", user="alice", files=FILES)
    pull = pull["number"]
    ran = ossbot(
        "run", "--event", write_event(tmp_path / "pr1.json", review_event(gh, pull)),
        "--event-name", "pull_request",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    head = find_marker(
        next(c["body"] for c in gh.comments(REPO, pull) if "ossbot:review" in c["body"]), "review"
    ).get("head")
    fixed = [spec("src/app.py", "def handler(event):", "    return 1"), *FILES[1:]]
    gh.push_pull(REPO, pull, fixed, message="Drop the print")
    ran = ossbot(
        "run",
        "--event",
        write_event(tmp_path / "pr2.json", review_event(gh, pull, "synchronize", before=head)),
        "--event-name", "pull_request",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.stdout + ran.stderr

    spec_body = "Exporters.\n\n@ossbot spawn\n\n- [ ] CSV\n- [ ] JSON\n- [ ] Parquet\n"
    parent = gh.add_issue(REPO, "Exporters", spec_body, user=MAINTAINER)["number"]
    path = write_event(tmp_path / "spec.json", issue_event(gh, parent))
    assert ossbot("run", "--event", path, "--event-name", "issues").exit_code == 0
    comment = gh.add_comment(REPO, parent, "@ossbot rollback last", user=MAINTAINER)
    path = write_event(tmp_path / "rollback.json", comment_event(gh, parent, comment))
    ran = ossbot("run", "--event", path, "--event-name", "issue_comment")
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return {"applied": applied, "suggested": suggested, "parent": parent}


def _report(*args: str) -> dict[str, Any]:
    ran = ossbot("report", "--repo", REPO, "--format", "json", *args)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran.json()


def test_the_report_counts_what_ossbot_did_and_how_people_kept_it(gh, history):
    gh.clear_log()
    document = _report()

    [bug] = [row for row in document["triage"]["labels"] if row["label"] == "bug"]
    assert bug["applied"] == 4 and bug["removed"] == 1
    assert bug["live_precision"] == 0.75  # exact: 3 of the 4 kept
    assert bug["suggested"] == 2 and bug["accepted"] == 1
    assert all(row["label"] != "question" for row in document["triage"]["labels"])
    assert document["triage"]["events_complete"] is True

    jobs = {job["job"]: job for job in document["jobs"]}
    assert jobs["triage"]["runs"] >= 6 and jobs["triage"]["outcomes"]["failed"] == 0
    assert jobs["triage"]["requests"] > 0 and jobs["triage"]["cost"] is None  # no prices
    assert jobs["review"]["runs"] == 2 and jobs["review"]["outcomes"]["done"] == 2
    assert jobs["spawn"]["outcomes"]["done"] == 1

    review = document["review"]
    assert review["pulls"] == 1 and review["reviews"] == 2
    assert review["by_kind"].get("debug-leftover") == 1 and review["fixed"] >= 1
    assert review["by_severity"]["high"] >= 1  # the AWS key stays: not fixed
    assert sum(review["check_runs"].values()) == 2

    spawn = document["spawn"]
    assert spawn["runs"] == 1 and spawn["by_state"] == {"rolled_back": 1}
    assert spawn["issues_created"] == 3 and spawn["issues_rolled_back"] == 3

    # bounded: the config (on the default branch) and one page of issue events
    assert document["requests"]["total"] == len(gh.requests) <= 4
    assert len(gh.calls("GET", r"/issues/events$")) == 1
    assert not [r for r in gh.requests if r.method != "GET"]


def test_the_text_report_prints_its_tables_and_its_request_count(gh, history):
    ran = ossbot("report", "--repo", REPO)
    assert ran.exit_code == 0, ran.stderr
    assert "Triage labels" in ran.stdout and "75%" in ran.stdout
    assert re.search(r"GitHub requests: \d+", ran.stdout)


def test_publish_keeps_one_report_issue_updated_in_place_and_pinned(gh, history, tmp_path):
    first = _report("--publish")
    assert first["published"]["result"] == "created"
    number = first["published"]["number"]
    assert gh.pinned(REPO) == [number]
    mine = [i for i in gh.issues(REPO) if find_marker(i.get("body") or "", "report")]
    assert [i["number"] for i in mine] == [number] and mine[0]["title"] == "ossbot report"

    extra = gh.add_issue(REPO, "Crash on undo", "It crashes.", user="jdoe")["number"]
    _triage(tmp_path, gh, extra)
    second = _report("--publish")
    assert second["published"] == {**second["published"], "result": "updated", "number": number}
    mine = [i for i in gh.issues(REPO) if find_marker(i.get("body") or "", "report")]
    assert len(mine) == 1 and "Crash" not in mine[0]["body"]  # no issue text, just counts
    assert gh.pinned(REPO) == [number]
    third = _report("--publish")
    assert third["published"]["result"] == "unchanged"


def test_a_publish_dry_run_writes_nothing(gh, history):
    gh.clear_log()
    document = _report("--publish", "--dry-run")
    assert document["published"]["dry_run"] is True
    assert not [r for r in gh.requests if r.method != "GET"]
    assert not [i for i in gh.issues(REPO) if find_marker(i.get("body") or "", "report")]


MERMAID = """
import { parse } from "@mermaid-js/parser";
import { readFileSync } from "node:fs";
const blocks = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const block of blocks) {
  try {
    const ast = await parse("pie", block);
    console.log(JSON.stringify(ast.sections.map((s) => [s.label, s.value])));
  } catch (error) {
    console.log("INVALID " + error.message);
    process.exitCode = 1;
  }
}
"""


@pytest.fixture(scope="session")
def mermaid(tmp_path_factory) -> list[str]:
    """Mermaid's own parser (npm @mermaid-js/parser), installed once per session."""
    where = tmp_path_factory.mktemp("mermaid")
    return node_tool(where, "@mermaid-js/parser@0.6.3", "check.mjs", MERMAID)


def test_the_markdown_renders_and_its_mermaid_charts_parse(gh, history, mermaid, tmp_path):
    ran = ossbot("report", "--repo", REPO, "--format", "markdown")
    assert ran.exit_code == 0, ran.stderr
    text = ran.stdout
    assert text.startswith("## ossbot report: acme/widgets")
    assert "| bug | 4 | 1 | 75% |" in text
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    listed = tmp_path / "blocks.json"
    listed.write_text(json.dumps(blocks))
    done = subprocess.run([*mermaid, str(listed)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    charts = [json.loads(line) for line in done.stdout.splitlines()]
    outcomes = dict(charts[0])
    document = _report()
    runs = sum(job["runs"] for job in document["jobs"])
    assert sum(outcomes.values()) == runs  # the chart says what the table says

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(["pie title X\n    done : 3\n"]))  # the check can fail
    assert subprocess.run([*mermaid, str(broken)], capture_output=True).returncode == 1


def test_a_bad_period_is_a_one_line_error(gh):
    for bad in ("yesterday", "0d", "2999-01-01"):
        ran = ossbot("report", "--repo", REPO, "--since", bad)
        assert ran.exit_code == 2 and len(ran.stderr.strip().splitlines()) == 1, ran.stderr
        assert "--since" in ran.stderr
    ran = ossbot("report")
    assert ran.exit_code == 2 and "--repo" in ran.stderr


def test_model_tokens_are_counted_per_job_and_priced_from_the_config(tmp_path, gh, llm):
    from fakes.llm_server import json_answer

    gh.put_file(
        REPO,
        ".github/ossbot.yml",
        "report:\n  prices:\n    fake-model: {input: 2.5, output: 10}\n",
    )
    number = gh.add_issue(REPO, "Export crashes", "It crashes with a traceback.", user="jdoe")
    llm.queue(
        json_answer(
            {"summary": ["Export crashes."], "labels": ["bug"]},
            prompt_tokens=420,
            completion_tokens=60,
        )
    )
    _triage(tmp_path, gh, number["number"])
    [triage] = [job for job in _report()["jobs"] if job["job"] == "triage"]
    assert (triage["llm_calls"], triage["prompt_tokens"], triage["completion_tokens"]) == (
        1,
        420,
        60,
    )
    assert triage["cost"] == round((420 * 2.5 + 60 * 10) / 1_000_000, 4)


def test_a_model_without_a_price_has_no_cost_rather_than_a_wrong_one():
    from ossbot.repo_config import ReportConfig
    from ossbot.report import jobs_section

    rows = [
        {"job": "review", "outcome": "done", "requests": 5, "llm_calls": 1,
         "prompt_tokens": 1000, "completion_tokens": 100, "models": "openai:gpt-4.1-mini"},
        {"job": "review", "outcome": "failed", "requests": 2, "llm_calls": 0,
         "prompt_tokens": 0, "completion_tokens": 0, "models": ""},
    ]  # fmt: skip
    priced = ReportConfig(prices={"gpt-4.1-mini": {"input": 0.4, "output": 1.6}})
    [row] = jobs_section(rows, priced)
    assert row["cost"] == round((1000 * 0.4 + 100 * 1.6) / 1_000_000, 4)
    assert row["outcomes"] == {"done": 1, "nothing": 0, "refused": 0, "failed": 1}
    assert row["requests"] == 7
    [row] = jobs_section(rows, ReportConfig(prices={"other-model": {"input": 1, "output": 1}}))
    assert row["cost"] is None


def test_a_listing_cut_at_its_limit_asks_for_no_page_beyond_it(gh):
    """The report's event pages are bounded exactly: 10 pages, never an 11th to be thrown away."""
    from ossbot.github.http import GitHubHTTP

    for index in range(250):
        gh.add_issue(REPO, f"Issue {index}", "Body.", user="jdoe")
    http = GitHubHTTP(base_url=gh.url, token="ghs_actions_token")
    try:
        got = list(http.pages(f"/repos/{REPO}/issues", limit=200))
    finally:
        http.close()
    assert len(got) == 200
    assert len(gh.calls("GET", rf"/repos/{REPO}/issues$")) == 2


def test_when_the_events_do_not_reach_back_only_what_they_cover_is_counted():
    from ossbot.report import triage_section

    logged = [
        {"action": "applied", "label": "bug", "number": n} for n in (1, 2, 3)
    ]  # issue 1 was labelled before the oldest event read

    def event(id_: int, kind: str, number: int, actor: str) -> dict:
        return {"id": id_, "event": kind, "label": {"name": "bug"}, "issue": {"number": number},
                "actor": {"login": actor}}  # fmt: skip

    events = [
        event(10, "labeled", 2, "github-actions[bot]"),
        event(11, "labeled", 3, "github-actions[bot]"),
        event(12, "unlabeled", 1, "maintainer"),  # removed, but its labelling is not in view
        event(13, "unlabeled", 3, "maintainer"),
    ]
    cut = triage_section(logged, events, False, "github-actions[bot]", {"bug": 0.97})
    [bug] = cut["labels"]
    assert (bug["applied"], bug["removed"], bug["live_precision"]) == (2, 1, 0.5)
    assert cut["not_covered"] == 1 and bug["backtest_precision"] == 0.97
    whole = triage_section(logged, events, True, "github-actions[bot]", {})
    assert (whole["labels"][0]["applied"], whole["labels"][0]["removed"]) == (3, 2)


def test_the_counts_do_not_depend_on_whose_token_runs_the_report(gh, history, monkeypatch):
    """ossbot's label events are those of the login it acted as (the label log keeps it)."""
    with_bot = _report()["triage"]
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)  # a maintainer's token, locally
    with_person = _report()["triage"]
    assert with_person["labels"] == with_bot["labels"]


def test_other_bots_case_and_second_thoughts_are_read_as_people_would():
    from ossbot.report import triage_section

    def event(id_: int, kind: str, number: int, login: str, label: str = "bug") -> dict:
        actor = {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}
        return {"id": id_, "event": kind, "label": {"name": label},
                "issue": {"number": number}, "actor": actor}  # fmt: skip

    logged = [
        {"action": "applied", "label": "bug", "number": 1, "actor": "my-app[bot]"},
        {"action": "applied", "label": "bug", "number": 2, "actor": "my-app[bot]"},
        {"action": "suggested", "label": "bug", "number": 3, "actor": "my-app[bot]"},
        {"action": "suggested", "label": "bug", "number": 4, "actor": "my-app[bot]"},
    ]
    events = [
        event(1, "labeled", 1, "my-app[bot]"),
        event(2, "labeled", 2, "my-app[bot]"),
        event(3, "unlabeled", 1, "stale[bot]"),  # another bot: not a person's judgement
        event(4, "unlabeled", 2, "maintainer", label="Bug"),  # GitHub's names ignore case
        event(5, "labeled", 3, "maintainer"),
        event(6, "unlabeled", 3, "maintainer"),  # added, then thought better of
        event(7, "labeled", 4, "renovate[bot]"),
    ]
    found = triage_section(logged, events, True, "github-actions[bot]", {})
    [bug] = found["labels"]
    assert (bug["applied"], bug["removed"], bug["live_precision"]) == (2, 1, 0.5)
    assert (bug["suggested"], bug["accepted"]) == (2, 0)


def test_hostile_label_names_stay_text_in_every_format(gh):
    from ossbot.report import markdown, triage_section
    from ossbot.templating import Templates

    names = ["[/bold]", "<img src=x onerror=alert(1)>", "a|b", "@admin", "<!-- x -->"]
    logged = [
        {"action": "applied", "label": name, "number": n, "actor": "github-actions[bot]"}
        for n, name in enumerate(names, 1)
    ]
    document = {
        "repo": REPO,
        "since": "2026-11-01T00:00:00+00:00",
        "until": "2026-12-01T00:00:00+00:00",
        "warnings": [],
        "jobs": [],
        "triage": triage_section(logged, [], True, "github-actions[bot]", {}),
        "review": {"reviews": 0, "by_severity": {"high": 0, "medium": 0, "low": 0}},
        "spawn": {"runs": 0},
    }
    text = markdown(document, 1, Templates().render)
    assert "<img" not in text and "<!-- x" not in text and "&lt;img" in text
    assert "a\\|b" in text and "@admin" not in text


def test_a_loop_guarded_run_leaves_the_state_as_it_was(tmp_path, gh):
    import sqlite3

    number = gh.add_issue(REPO, *BUGS[0], user="jdoe")["number"]
    _triage(tmp_path, gh, number)
    state = tmp_path / "state.db"
    rows = sqlite3.connect(state).execute("SELECT count(*) FROM job_runs").fetchone()[0]
    ours = issue_event(gh, number, action="edited", sender="github-actions[bot]")
    path = write_event(tmp_path / "ours.json", ours)
    assert ossbot("triage", "--event", path, "--event-name", "issues").exit_code == 0
    again = sqlite3.connect(state).execute("SELECT count(*) FROM job_runs").fetchone()[0]
    assert again == rows


def test_publishing_heals_the_pin_and_a_quiet_state_publishes_nothing(gh, history, monkeypatch):
    for n in range(3):  # the repository's three pins are taken
        issue = gh.add_issue(REPO, f"Pinned {n}", "Pinned.", user=MAINTAINER)
        gh._repos[REPO.lower()].setdefault("pinned", []).append(issue["number"])
    first = _report("--publish")["published"]
    assert first["result"] == "created" and "not pinned" in (first["note"] or "")
    gh._repos[REPO.lower()]["pinned"].pop()
    second = _report("--publish")["published"]
    assert second["number"] in gh.pinned(REPO) and second["note"] is None

    monkeypatch.setenv("OSSBOT_STATE", "none")  # the wrong store: nothing known
    quiet = _report("--publish")
    assert quiet["warnings"] and quiet["published"]["result"] == "not published"


def test_a_title_with_a_mention_is_left_alone_once_written(gh, history):
    gh.put_file(REPO, ".github/ossbot.yml", "report:\n  title: Report for @maintainer\n")
    assert _report("--publish")["published"]["result"] == "created"
    assert _report("--publish")["published"]["result"] == "unchanged"


def test_a_period_too_long_for_the_calendar_is_a_one_line_error(gh):
    for bad in ("100000000d", "99999999999w"):
        ran = ossbot("report", "--repo", REPO, "--since", bad)
        assert ran.exit_code == 2 and "--since" in ran.stderr, ran.stderr
