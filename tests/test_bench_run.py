"""The benchmark runner (bench/run.py, `python -m bench`): one quick benchmark into a report, and
a bad --only. No wall-clock time is asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_runner_writes_a_report_with_the_machine_and_the_startup_figures(tmp_path):
    out = tmp_path / "REPORT.md"
    done = _bench(
        "--only", "startup", "--quick", "--out", str(out), env={"BENCH_STARTUP_RUNS": "2"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = out.read_text()
    assert "## Machine" in report
    assert "| CPU |" in report and "| Python |" in report and "| Commit |" in report
    assert "## Contents" in report and "[startup](#startup)" in report
    assert "\n## startup\n" in report
    assert "python bench/startup.py --quick" in report
    assert "median of 2 runs" in report
    assert "goal: `ossbot --help` within 2.5x of `python -c pass`: ratio " in report
    assert "## rest_calls" not in report  # --only ran one


def test_an_unknown_benchmark_is_a_one_line_error(tmp_path):
    out = tmp_path / "REPORT.md"
    done = _bench("--only", "startup,nope", "--out", str(out))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "unknown benchmark 'nope'" in done.stderr and "startup" in done.stderr
    assert not out.exists()
