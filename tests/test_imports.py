"""An offline run must not pay for LLM SDKs: `--help` and an offline triage never import them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "issue-opened.json"
HEAVY = ("openai", "google.genai", "google", "github", "unidiff", "ossbot.review.feature")

PROBE = """
import json, sys
from ossbot.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def _probe(*args: str, tmp_path: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OSSBOT_STATE": str(tmp_path / "s.db")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=60
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_no_sdk_and_not_even_pygithub(tmp_path):
    report = _probe("--help", tmp_path=tmp_path)
    assert report["code"] == 0
    assert report["loaded"] == []


def test_offline_triage_imports_no_llm_sdk(tmp_path):
    report = _probe("triage", "--event", str(EXAMPLE), "--dry-run", tmp_path=tmp_path)
    assert report["code"] == 0
    assert not {"openai", "google.genai", "google"} & set(report["loaded"])


def test_triage_does_not_load_the_review_engine(tmp_path):
    report = _probe("triage", "--event", str(EXAMPLE), "--dry-run", tmp_path=tmp_path)
    assert report["code"] == 0
    assert not {"unidiff", "ossbot.review.feature"} & set(report["loaded"])
