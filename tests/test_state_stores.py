"""The state stores (`--state`): the branch with compare-and-swap, the Actions cache's file,
none; saving once at the end; rebuilding from markers; `ossbot state`. Against the fake GitHub,
through the real CLI (in-process, or processes of their own where runs overlap)."""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import REPO, edit_issue, finish, issue_event, ossbot, spawn, write_event
from ossbot.errors import ConfigError
from ossbot.state.spec import StateSpec, parse_state

BRANCH = "refs/heads/ossbot-state"


def branch_db(gh, branch: str = "ossbot-state") -> sqlite3.Connection:
    data = gzip.decompress(gh.files(REPO, branch)["state.db.gz"])
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    return conn


def ledger(conn: sqlite3.Connection) -> set[tuple[str, int]]:
    return {(job, number) for job, number in conn.execute("SELECT job, number FROM ledger")}


def triage(tmp_path: Path, gh, number: int, *args: str, action: str = "opened"):
    event = write_event(tmp_path / f"event-{number}-{action}.json", issue_event(gh, number, action))
    return ossbot("run", "--event", event, "--event-name", "issues", *args)


def new_issue(gh, title: str = "Crash on start", body: str = "It crashes when I start it.") -> int:
    return gh.add_issue(REPO, title, body)["number"]


# -- which store -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, "local"),
        ("state.db", StateSpec("local", Path("state.db"))),
        ("local:/tmp/x.db", StateSpec("local", Path("/tmp/x.db"))),
        ("branch", StateSpec("branch")),
        ("branch:bot/state", StateSpec("branch", branch="bot/state")),
        ("cache:/tmp/c/state.db", StateSpec("cache", Path("/tmp/c/state.db"))),
        ("none", StateSpec("none")),
    ],
)
def test_state_specs(text, expected):
    spec = parse_state(text)
    assert spec.kind == expected if isinstance(expected, str) else spec == expected
    assert parse_state(spec.text()) == spec


@pytest.mark.parametrize("text", ["branch:..", "branch:a..b", "branch:x.lock", "cache:", "s3:x"])
def test_bad_state_specs(text):
    with pytest.raises(ConfigError):
        parse_state(text)


def test_an_unknown_store_is_one_line_and_exit_2(tmp_path, gh):
    number = new_issue(gh)
    ran = triage(tmp_path, gh, number, "--state", "s3:bucket")
    assert ran.exit_code == 2
    assert ran.stderr.strip().count("\n") == 0 and "unknown store 's3:bucket'" in ran.stderr
    assert not [r for r in gh.requests if r.method != "GET"]


# -- the branch store ------------------------------------------------------------------------------


def test_the_first_save_makes_an_orphan_branch_and_the_next_builds_on_it(tmp_path, gh):
    first, second = new_issue(gh), new_issue(gh, "Docs typo", "A typo in the README.")
    assert triage(tmp_path, gh, first, "--state", "branch").exit_code == 0
    head = gh.branch(REPO, "ossbot-state")
    commit = gh.commit(REPO, head)
    assert commit["parents"] == []  # an orphan: nothing in common with the code
    assert set(gh.files(REPO, "ossbot-state")) == {"state.db.gz", "README.md"}
    assert ledger(branch_db(gh)) == {("triage", first)}

    gh.clear_log()
    ran = triage(tmp_path, gh, second, "--state", "branch", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    assert ran.json()["state"]["saved"] is True
    assert [p["sha"] for p in gh.commit(REPO, gh.branch(REPO, "ossbot-state"))["parents"]] == [head]
    assert ledger(branch_db(gh)) == {("triage", first), ("triage", second)}
    loads = gh.calls("GET", r"/git/")
    saves = gh.calls(None, r"/git/(blobs|trees|commits|refs)$|/git/refs/heads/")
    assert len(loads) == 3  # ref, tree, blob
    assert len([r for r in saves if r.method != "GET"]) == 4  # blob, tree, commit, ref
    assert not any(move["forced"] for move in gh.ref_log(REPO, BRANCH))


def test_a_head_moved_between_load_and_save_is_reloaded_and_reapplied(tmp_path, gh):
    ours, theirs = new_issue(gh), new_issue(gh, "Other", "Another report.")
    assert triage(tmp_path, gh, theirs, "--state", "branch").exit_code == 0  # the branch exists

    def another_run_saves_first():  # a run on `theirs` commits while ours is under way
        edit_issue(gh, theirs, body="Another report, edited.")
        event = write_event(tmp_path / "theirs.json", issue_event(gh, theirs, "edited"))
        done = finish(spawn("run", "--event", event, "--event-name", "issues", "--state", "branch"))
        assert done[0].exit_code == 0, done[0].stderr

    gh.before("PATCH", r"/git/refs/heads/ossbot-state", another_run_saves_first)
    ran = triage(tmp_path, gh, ours, "--state", "branch", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    assert "re-applied" in ran.json()["state"]["detail"]
    rows = {(job, n) for job, n in ledger(branch_db(gh))}
    assert rows == {("triage", ours), ("triage", theirs)}
    assert branch_db(gh).execute("SELECT count(*) FROM ledger").fetchone()[0] == 3  # both events
    log = gh.ref_log(REPO, BRANCH)
    assert len(log) == 3 and not any(move["forced"] for move in log)


def test_overlapping_processes_on_one_branch_land_every_ledger_row(tmp_path, gh, monkeypatch):
    monkeypatch.setenv("OSSBOT_STATE", "branch")
    numbers = [new_issue(gh, f"Report {i}", f"Something {i} is broken.") for i in range(8)]
    for round_ in range(0, len(numbers), 2):
        pair = numbers[round_ : round_ + 2]
        events = [write_event(tmp_path / f"e{n}.json", issue_event(gh, n)) for n in pair]
        if round_:  # both reach the swap at once (the first round races to create the branch)
            gh.gate("PATCH", r"/git/refs/heads/ossbot-state", 2, timeout=3)
        done = finish(*(spawn("run", "--event", e, "--event-name", "issues") for e in events))
        assert all(r.exit_code == 0 for r in done), [r.stderr for r in done]
    assert ledger(branch_db(gh)) == {("triage", n) for n in numbers}
    log = gh.ref_log(REPO, BRANCH)
    assert not any(move["forced"] for move in log)
    # A linear history: each move goes from the previous head.
    assert all(later["old"] == earlier["new"] for earlier, later in itertools.pairwise(log))


def test_a_corrupt_file_on_the_branch_is_rebuilt_from_markers_and_replaced(tmp_path, gh):
    first, second = new_issue(gh), new_issue(gh, "Docs typo", "A typo in the README.")
    assert triage(tmp_path, gh, first, "--state", "branch").exit_code == 0
    gh.put_file(REPO, "NOTES.md", "kept by the maintainers", ref="ossbot-state")
    gh.put_file(REPO, "state.db.gz", gzip.compress(b"garbage" * 50), ref="ossbot-state")
    ran = triage(tmp_path, gh, second, "--state", "branch")
    assert set(gh.files(REPO, "ossbot-state")) == {"state.db.gz", "README.md", "NOTES.md"}
    assert ran.exit_code == 0
    assert "not a usable database" in ran.stderr
    assert "1 processed event(s) were rebuilt from ossbot's markers" in ran.stderr
    rows = branch_db(gh).execute("SELECT number, outcome FROM ledger ORDER BY number").fetchall()
    assert [n for n, _ in rows] == [first, second] and "rebuilt" in rows[0][1]
    again = triage(tmp_path, gh, second, "--state", "branch", action="edited")
    assert again.exit_code == 0 and "usable" not in again.stderr


def test_a_redelivered_event_after_a_lost_ledger_is_known_from_its_marker(tmp_path, gh):
    number = new_issue(gh)
    assert triage(tmp_path, gh, number, "--state", "none").exit_code == 0
    ran = triage(tmp_path, gh, number, "--state", "branch")  # the same event, no ledger at all
    assert ran.exit_code == 0, ran.stderr
    assert len(gh.comments(REPO, number)) == 1
    assert ledger(branch_db(gh)) == {("triage", number)}


def test_a_dry_run_never_saves(tmp_path, gh):
    number = new_issue(gh)
    ran = triage(tmp_path, gh, number, "--state", "branch", "--dry-run")
    assert ran.exit_code == 0, ran.stderr
    assert gh.branch(REPO, "ossbot-state") is None
    assert not [r for r in gh.requests if r.method != "GET"]


def test_the_state_is_saved_when_a_job_failed_after_writing(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")  # labels come first
    number = new_issue(gh, "Crash on start: a bug", "It crashes: a bug, I think.")
    gh.fail_after("POST", r"/issues/\d+/comments$", 422)
    ran = triage(tmp_path, gh, number, "--state", "branch")
    assert ran.exit_code == 1
    effects = branch_db(gh).execute("SELECT action, result FROM effects").fetchall()
    assert ("add_labels", "added") in effects, "what was written before the failure is recorded"


def test_a_save_that_cannot_write_is_a_warning_not_a_failure(tmp_path, gh):
    gh.add_token(
        "ghs_readonly",
        "github-actions[bot]",
        kind="installation",
        permissions={"issues": "write", "contents": "read"},
    )
    number = new_issue(gh)
    ran = triage(tmp_path, gh, number, "--state", "branch", "--token", "ghs_readonly")
    assert ran.exit_code == 0
    assert "the state was not saved" in ran.stderr and "contents" in ran.stderr
    assert len(gh.comments(REPO, number)) == 1


# -- the cache store and none -------------------------------------------------------------------


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_the_cache_file_is_saved_only_when_it_changed(tmp_path, gh, monkeypatch):
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    cache = tmp_path / "cache" / "state.db"
    event = write_event(tmp_path / "event.json", issue_event(gh, new_issue(gh)))
    run = ("run", "--event", event, "--event-name", "issues", "--state", f"cache:{cache}")
    assert ossbot(*run).exit_code == 0
    assert outputs(out)["state-save"] == "true"
    assert "overlap" in summary.read_text() and "markers" in summary.read_text()
    out.unlink()
    before = cache.read_bytes()
    assert ossbot(*run).exit_code == 0  # a re-run of the same event: already processed
    assert outputs(out)["state-save"] == "false" and cache.read_bytes() == before


def test_a_corrupt_cache_file_is_rebuilt_and_a_good_one_saved(tmp_path, gh, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    first, second = new_issue(gh), new_issue(gh, "Docs typo", "A typo in the README.")
    cache = tmp_path / "cache" / "state.db"
    assert triage(tmp_path, gh, first, "--state", f"cache:{cache}").exit_code == 0
    cache.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    ran = triage(tmp_path, gh, second, "--state", f"cache:{cache}")
    assert ran.exit_code == 0 and "not a usable database" in ran.stderr and "rebuilt" in ran.stderr
    assert outputs(out)["state-save"] == "true"
    conn = sqlite3.connect(cache)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert {n for (n,) in conn.execute("SELECT number FROM ledger")} == {first, second}


def test_a_cache_that_lost_rows_is_caught_up_from_markers(tmp_path, gh):
    """Two overlapping runs each saved their own copy and the other's rows were lost: the next
    run that meets a comment whose event the ledger lacks rebuilds it, and says so once."""
    other, number = new_issue(gh, "Docs typo", "A typo."), new_issue(gh)
    cache = tmp_path / "cache.db"
    assert triage(tmp_path, gh, other, "--state", f"cache:{cache}").exit_code == 0
    saved_by_the_other_run = cache.read_bytes()
    assert triage(tmp_path, gh, number, "--state", f"cache:{cache}").exit_code == 0
    cache.write_bytes(saved_by_the_other_run)  # its save won: this run's rows are gone
    edit_issue(gh, number, body="It crashes when I start it, on Linux.")
    ran = triage(tmp_path, gh, number, "--state", f"cache:{cache}", action="edited")
    assert ran.exit_code == 0, ran.stderr
    assert ran.stderr.count("behind") == 1
    rows = sqlite3.connect(cache).execute("SELECT outcome FROM ledger WHERE number = ?", [number])
    outcomes = [o for (o,) in rows]
    assert len(outcomes) == 2 and sum("rebuilt" in o for o in outcomes) == 1


def test_none_keeps_nothing(tmp_path, gh, monkeypatch):
    number = new_issue(gh)
    ran = triage(tmp_path, gh, number, "--state", "none")
    assert ran.exit_code == 0 and not (tmp_path / "state.db").exists()
    assert gh.branch(REPO, "ossbot-state") is None


# -- ossbot state ----------------------------------------------------------------------------------


def test_state_show_pull_push_and_prune(tmp_path, gh):
    number = new_issue(gh)
    assert triage(tmp_path, gh, number, "--state", "branch").exit_code == 0
    shown = ossbot("state", "show", "--state", "branch", "--repo", REPO, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    document = shown.json()
    assert document["head"] == gh.branch(REPO, "ossbot-state")
    assert document["tables"]["ledger"] == 1 and document["size"] > document["stored"] > 0

    pulled = tmp_path / "pulled.db"
    assert ossbot("state", "pull", str(pulled), "--state", "branch", "--repo", REPO).exit_code == 0
    conn = sqlite3.connect(pulled)
    conn.execute("DELETE FROM cache")
    conn.commit()
    conn.close()
    pushed = ossbot("state", "push", str(pulled), "--state", "branch", "--repo", REPO)
    assert pushed.exit_code == 0, pushed.stderr
    assert branch_db(gh).execute("SELECT count(*) FROM cache").fetchone()[0] == 0

    other = new_issue(gh, "Docs typo", "A typo.")
    assert triage(tmp_path, gh, other, "--state", "branch").exit_code == 0  # the head moves
    refused = ossbot("state", "push", str(pulled), "--state", "branch", "--repo", REPO)
    assert refused.exit_code == 2 and "moved since" in refused.stderr
    assert ledger(branch_db(gh)) == {("triage", number), ("triage", other)}
    forced = ossbot("state", "push", str(pulled), "--force", "--state", "branch", "--repo", REPO)
    assert forced.exit_code == 0
    assert ledger(branch_db(gh)) == {("triage", number)}
    assert not any(move["forced"] for move in gh.ref_log(REPO, BRANCH))  # a commit on top

    pruned = ossbot(
        "state",
        "prune",
        "--older-than",
        "0",
        "--state",
        "branch",
        "--repo",
        REPO,
        "--format",
        "json",
    )
    assert pruned.exit_code == 0, pruned.stderr
    assert pruned.json()["deleted"]["ledger"] == 1 and ledger(branch_db(gh)) == set()


def test_state_push_refuses_a_file_that_is_not_a_database(tmp_path, gh):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"nope" * 100)
    ran = ossbot("state", "push", str(bad), "--force", "--state", "branch", "--repo", REPO)
    assert ran.exit_code == 2 and "not a usable state database" in ran.stderr
    assert gh.branch(REPO, "ossbot-state") is None


def test_state_show_of_a_local_file(tmp_path, gh):
    number = new_issue(gh)
    assert triage(tmp_path, gh, number).exit_code == 0
    shown = ossbot("state", "show", "--format", "json")
    assert shown.exit_code == 0 and shown.json()["tables"]["ledger"] == 1
    assert shown.json()["store"] == f"local:{tmp_path / 'state.db'}"


def test_a_branch_without_a_repository_is_one_line(tmp_path):
    ran = ossbot("state", "show", "--state", "branch")
    assert ran.exit_code == 2 and "--repo" in ran.stderr


def test_rows_are_pruned_by_age_at_save(tmp_path, gh):
    db_path = tmp_path / "state.db"
    number = new_issue(gh)
    assert triage(tmp_path, gh, number).exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE ledger SET processed_at = '2020-01-01T00:00:00+00:00'")
    conn.execute("INSERT INTO cache VALUES ('old', 'x', '2020-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    other = new_issue(gh, "Docs typo", "A typo.")
    assert triage(tmp_path, gh, other).exit_code == 0
    conn = sqlite3.connect(db_path)
    assert [n for (n,) in conn.execute("SELECT number FROM ledger")] == [other]
    assert conn.execute("SELECT count(*) FROM cache WHERE key = 'old'").fetchone()[0] == 0


def test_the_json_outcome_names_the_store(tmp_path, gh):
    number = new_issue(gh)
    ran = triage(tmp_path, gh, number, "--state", "none", "--format", "json")
    assert json.loads(ran.stdout)["state"] == {
        "store": "none",
        "saved": False,
        "detail": "not saved (--state none)",
    }


@pytest.mark.parametrize(
    "method, path", [("POST", r"/git/refs$"), ("PATCH", r"/git/refs/heads/ossbot-state$")]
)
def test_a_ref_move_whose_answer_is_lost_lands_once(tmp_path, gh, method, path):
    first, second = new_issue(gh), new_issue(gh, "Docs typo", "A typo.")
    if method == "PATCH":
        assert triage(tmp_path, gh, first, "--state", "branch").exit_code == 0
    gh.drop_after(method, path)
    number = second if method == "PATCH" else first
    ran = triage(tmp_path, gh, number, "--state", "branch")
    assert ran.exit_code == 0 and "not saved" not in ran.stderr, ran.stderr
    expected = {("triage", first), ("triage", second)} if method == "PATCH" else {("triage", first)}
    assert ledger(branch_db(gh)) == expected
    log = gh.ref_log(REPO, BRANCH)
    moves = [m for m in log if m["old"] != m["new"]]  # the resent PATCH is a move to where it is
    assert len(moves) == (2 if method == "PATCH" else 1) and not any(m["forced"] for m in log)


def test_changes_are_reapplied_on_a_database_that_moved_on():
    from ossbot.state.backends import MemoryBackend, from_bytes, to_bytes
    from ossbot.state.merge import apply, changes
    from ossbot.state.store import StateStore

    def event(store, key, number):
        store.record_event(
            key,
            job="triage",
            name="issues",
            action="opened",
            repo=REPO,
            number=number,
            outcome="ok",
        )
        store.record_effect(
            key,
            job="triage",
            action="upsert_comment",
            repo=REPO,
            number=number,
            result="created",
            url=None,
        )

    base = StateStore(MemoryBackend())
    event(base, "k0", 1)
    base.cache_set("gone", "x")
    loaded = to_bytes(base.db)
    ours, theirs = from_bytes(loaded), from_bytes(loaded)
    mine = StateStore(MemoryBackend())
    mine.__dict__["db"] = ours
    event(mine, "k1", 2)
    mine.cache_set("mine", "y")
    ours.execute("DELETE FROM cache WHERE key = 'gone'")
    other = StateStore(MemoryBackend())
    other.__dict__["db"] = theirs
    event(other, "k2", 3)
    assert apply(theirs, changes(loaded, ours)) == 0
    keys = {k for (k,) in theirs.execute("SELECT key FROM ledger")}
    assert keys == {"k0", "k1", "k2"}
    assert theirs.execute("SELECT count(*) FROM effects").fetchone()[0] == 3
    cache = {k for (k,) in theirs.execute("SELECT key FROM cache")}
    assert cache == {"mine"}
