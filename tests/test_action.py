"""The composite action and the example workflows: valid against GitHub's schemas, and the
action's run step passes its inputs to ossbot as intended."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "workflows-examples").glob("*.yml"))


def _validate(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_action_metadata_is_valid():
    done = _validate("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_workflows_are_valid_and_use_the_action():
    assert WORKFLOWS
    done = _validate("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
        assert any(step.get("uses", "").startswith("ossbot/ossbot@") for step in steps), path.name


def _run_step(tmp_path: Path, **inputs: str) -> list[str]:
    """Runs the action's 'Run ossbot' script with a stand-in `ossbot` that records its arguments."""
    step = next(
        s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "ossbot"
    )
    stub = tmp_path / "bin" / "ossbot"
    stub.parent.mkdir()
    stub.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    env = {
        "PATH": f"{stub.parent}:{os.environ['PATH']}",
        "OSSBOT_COMMAND": "run",
        "OSSBOT_CONFIG": "",
        "OSSBOT_DRY_RUN": "false",
        **inputs,
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({}, ["run"]),
        ({"OSSBOT_DRY_RUN": "true"}, ["run", "--dry-run"]),
        (
            {"OSSBOT_COMMAND": "triage", "OSSBOT_CONFIG": "my config.yml"},
            ["triage", "--config", "my config.yml"],
        ),
    ],
)
def test_the_run_step_passes_inputs_as_arguments(tmp_path, inputs, expected):
    assert _run_step(tmp_path, **inputs) == expected


def test_inputs_reach_the_step_through_the_environment_only():
    """Inputs are never pasted into the script (no injection through a crafted input)."""
    step = next(
        s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "ossbot"
    )
    assert "${{" not in step["run"]


# -- the state steps, run on a fake runner against the fake GitHub ---------------------------------


def _step(step_id: str | None = None, name: str | None = None) -> dict:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return next(s for s in steps if s.get("id" if step_id else "name") == (step_id or name))


def _runner(tmp_path: Path, fake, token: str, **env: str) -> dict[str, str]:
    """A runner's environment: the real `ossbot` on PATH, the files Actions gives each step."""
    (tmp_path / "output").write_text("")
    (tmp_path / "summary.md").write_text("")
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": fake.url,
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_TOKEN": token,
        "OSSBOT_RETRY_BACKOFF": "0",
        **env,
    }


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def _outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize(
    "permissions, dry_run, expected",
    [
        ({"issues": "write", "contents": "write"}, "false", "branch"),
        ({"issues": "write", "contents": "read"}, "false", "cache"),
        ({"issues": "read", "contents": "read"}, "true", "cache"),  # no branch yet
    ],
)
def test_the_state_step_chooses_the_branch_only_when_contents_may_be_written(
    tmp_path, gh, permissions, dry_run, expected
):
    gh.add_token("ghs_limited", "github-actions[bot]", kind="installation", permissions=permissions)
    step = _step("state")
    env = _runner(
        tmp_path,
        gh,
        "ghs_limited",
        OSSBOT_STATE_INPUT="auto",
        OSSBOT_DRY_RUN=dry_run,
        OSSBOT_CACHE_FILE=str(tmp_path / "temp" / "ossbot-state" / "state.db"),
    )
    _bash(step["run"], env)
    outputs = _outputs(tmp_path)
    assert outputs["store"] == expected
    spec = outputs["spec"]
    assert spec == ("branch" if expected == "branch" else f"cache:{env['OSSBOT_CACHE_FILE']}")
    assert (
        f"ossbot state: the {'state branch' if expected == 'branch' else 'Actions cache'}"
        in (tmp_path / "summary.md").read_text()
    )
    assert gh.branch("acme/widgets", "ossbot-state") is None  # choosing writes no branch


def test_a_dry_run_uses_an_existing_branch_read_only(tmp_path, gh):
    gh.put_file("acme/widgets", "README.md", "state", ref="ossbot-state")
    gh.add_token(
        "ghs_read", "github-actions[bot]", kind="installation", permissions={"contents": "read"}
    )
    env = _runner(
        tmp_path,
        gh,
        "ghs_read",
        OSSBOT_STATE_INPUT="auto",
        OSSBOT_DRY_RUN="true",
        OSSBOT_CACHE_FILE=str(tmp_path / "c.db"),
    )
    _bash(_step("state")["run"], env)
    assert _outputs(tmp_path)["store"] == "branch"
    assert not [r for r in gh.requests if r.method != "GET"]


def test_the_state_input_overrides_the_choice(tmp_path, gh):
    env = _runner(
        tmp_path,
        gh,
        BOT_TOKEN,
        OSSBOT_STATE_INPUT="none",
        OSSBOT_DRY_RUN="false",
        OSSBOT_CACHE_FILE=str(tmp_path / "c.db"),
    )
    _bash(_step("state")["run"], env)
    assert _outputs(tmp_path) == {"store": "none", "spec": "none"}
    assert not gh.requests


def test_the_run_step_takes_the_chosen_store():
    assert _step("ossbot")["env"]["OSSBOT_STATE"] == "${{ steps.state.outputs.spec }}"


def test_the_cache_is_restored_and_saved_only_for_the_cache_store_and_only_when_changed():
    restore = _step(name="Restore ossbot state from the Actions cache")
    save = _step(name="Save ossbot state to the Actions cache")
    assert restore["if"] == "steps.state.outputs.store == 'cache'"
    assert "always()" in save["if"] and "steps.ossbot.outputs.state-save == 'true'" in save["if"]
    assert "steps.state.outputs.store == 'cache'" in save["if"]
    assert restore["with"]["path"] == save["with"]["path"].replace("save", "restore")
    assert restore["with"]["key"] == save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])


@pytest.mark.parametrize("may_delete", [True, False])
def test_superseded_cache_entries_are_deleted_when_the_token_may(tmp_path, gh, may_delete):
    prefix = "ossbot-state-42-"
    for run in range(4):
        gh.add_actions_cache("acme/widgets", f"{prefix}{run}-1-triage")
    gh.add_actions_cache("acme/widgets", "pip-linux-abc")  # the repository's own cache
    permissions = {"actions": "write"} if may_delete else {"contents": "read"}
    gh.add_token("ghs_c", "github-actions[bot]", kind="installation", permissions=permissions)
    step = _step(name="Delete superseded ossbot state cache entries")
    env = _runner(tmp_path, gh, "ghs_c", OSSBOT_CACHE_PREFIX=prefix)
    done = _bash(step["run"], env)
    keys = [entry["key"] for entry in gh.actions_caches("acme/widgets")]
    if may_delete:
        assert keys == [f"{prefix}3-1-triage", "pip-linux-abc"]
        assert "deleted 3 superseded" in done.stdout
    else:
        assert len(keys) == 5 and "actions: write" in (tmp_path / "summary.md").read_text()
