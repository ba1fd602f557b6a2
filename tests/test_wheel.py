"""The built wheel, installed into a fresh environment outside the repository, does every job:
`--version`, `init --dry-run`, and an offline dry run of triage, review (of a local diff) and
spawn on the sample events in examples/. Nothing of the checkout is importable there, so a file
missing from the package (a template, a prompt, the schema, the workflows, the kept help) fails
here rather than for a user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import base_python

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".ruff_cache",
    ".mypy_cache", ".pytest_cache", ".hypothesis",
)  # fmt: skip


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the fresh environment's bin directory, a clean environment to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp / "home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **{k: v for k, v in os.environ.items() if k.startswith(("PIP_INDEX", "PIP_EXTRA", "UV_"))},
    }
    dist = tmp / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source,
         cwd=tmp, env=env)  # fmt: skip
    wheels = list(dist.glob("ossbot-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    _run(base_python(), "-m", "venv", venv, cwd=tmp, env=env)
    python = venv / "bin" / "python"
    # pip, as a user would (and as the action falls back to): the locked set, then the wheel.
    _run(python, "-m", "pip", "install", "-q", "--no-deps",
         "-r", ROOT / "requirements" / "ossbot.lock", wheels[0], cwd=tmp, env=env)  # fmt: skip
    return venv / "bin", env


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the repository, with the sample events."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work / "examples")
    return work


def test_the_wheel_installs_the_package_and_not_the_checkout(installed, elsewhere):
    bin_dir, env = installed
    where = _run(bin_dir / "python", "-c", "import ossbot; print(ossbot.__file__)",
                 cwd=elsewhere, env=env).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(ROOT)
    from ossbot import __version__

    shown = _run(bin_dir / "ossbot", "--version", cwd=elsewhere, env=env).stdout
    assert shown.strip() == f"ossbot {__version__}"
    assert "Usage: ossbot" in _run(bin_dir / "ossbot", "--help", cwd=elsewhere, env=env).stdout


def test_init_dry_run_from_the_wheel(installed, elsewhere):
    bin_dir, env = installed
    checkout = elsewhere / "project"
    (checkout / ".git").mkdir(parents=True)
    shown = _run(bin_dir / "ossbot", "init", checkout, "--dry-run", cwd=elsewhere, env=env).stdout
    assert ".github/workflows/ossbot.yml (would write)" in shown
    assert "yaml-language-server: $schema=" in shown and "nothing written" in shown
    assert not (checkout / ".github").exists()


def test_every_job_dry_runs_offline_from_the_wheel(installed, elsewhere):
    bin_dir, env = installed
    ossbot = bin_dir / "ossbot"
    examples = elsewhere / "examples"
    offline = {**env, "OSSBOT_STATE": "none"}

    def plan(*args: str | Path) -> dict:
        done = _run(ossbot, *args, "--dry-run", "--format", "json", cwd=elsewhere, env=offline)
        return json.loads(done.stdout)

    triage = plan("triage", "--event", examples / "issue-opened.json")
    review = plan("review", "--event", examples / "pull-request-opened.json",
                  "--diff", examples / "pull-request.diff")  # fmt: skip
    spawn = plan("spawn", "--event", examples / "issue-spec.json")
    for document, job in ((triage, "triage"), (review, "review"), (spawn, "spawn")):
        text = json.dumps(document)
        assert f'"{job}"' in text and '"dry_run": true' in text, text[:400]
    assert "Triage summary" in json.dumps(triage)
    assert "print() call left in" in json.dumps(review)
    assert "Export to JSON, one object per widget" in json.dumps(spawn)

    shown = _run(ossbot, "run", "--event", examples / "issue-opened.json", "--dry-run",
                 cwd=elsewhere, env=offline).stdout  # fmt: skip
    assert "nothing was written" in shown
