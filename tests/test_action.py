"""The composite action and the example workflows: valid against GitHub's schemas, and the
action's run step passes its inputs to ossbot as intended."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
