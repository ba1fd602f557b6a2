"""Start-up: the wall time of a process, from launch to exit, for `python -c pass` (the floor any
Python CLI pays), `ossbot --help`, `ossbot --version` and an offline dry run of triage on the
example payload (`ossbot triage --event examples/issue-opened.json --dry-run`). Prints figures
and whether the goal is met; asserts nothing; exits 0 unless a command fails.

The commands run side by side in alternation: each round runs every command once, the order
rotating from round to round, so a slow spell of the machine falls on all of them alike. A first
round warms the file cache and the bytecode and is not counted. The figures are medians over the
counted rounds (and the fastest run), each also as a ratio to `python -c pass`.

`ossbot` is the venv's entry point (the script next to this interpreter), as a user runs it. The
children run offline: no GITHUB_*, OSSBOT_*, LLM_* or provider key variables, HOME a temporary
directory and OSSBOT_STATE a temporary file, so the dry run reads no token, no repository and no
state of the developer's.

Goal: `ossbot --help` within 2.5x of `python -c pass`.

Then, to see where the time goes, the imports of one `ossbot --help` (PYTHONPROFILEIMPORTTIME,
the same as `python -X importtime`): the modules the script and ossbot.cli import directly, by
cumulative time, the largest first (one run, not a median).

    python bench/startup.py [--runs N] [--quick]   # rounds: --runs, else $BENCH_STARTUP_RUNS,
                                                   # else 5 with --quick, else 15
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "issue-opened.json"
GOAL = 2.5  # `ossbot --help` within GOAL x `python -c pass`
QUICK_RUNS = 5
OFFLINE_PREFIXES = (
    "GITHUB_",
    "GH_",
    "OSSBOT_",
    "LLM_",
    "OPENAI_",
    "GEMINI_",
    "GOOGLE_",
    "AZURE_",
    "OPENROUTER_",
    "ANTHROPIC_",
    "RUNNER_",
    "ACTIONS_",
)


def _env_runs() -> int | None:
    """$BENCH_STARTUP_RUNS (for the runner's test), which wins over --quick."""
    value = os.environ.get("BENCH_STARTUP_RUNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _offline_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OFFLINE_PREFIXES)}
    env.update(
        HOME=str(home),
        OSSBOT_STATE=str(home / "state.db"),
        COLUMNS="100",
        NO_COLOR="1",
    )
    return env


def _commands(ossbot: str) -> list[tuple[str, list[str]]]:
    python = sys.executable
    return [
        ("python -c pass", [python, "-c", "pass"]),
        ("ossbot --help", [ossbot, "--help"]),
        ("ossbot --version", [ossbot, "--version"]),
        (
            "ossbot triage --event examples/issue-opened.json --dry-run",
            [ossbot, "triage", "--event", str(EXAMPLE), "--dry-run"],
        ),
    ]


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr or done.stdout}"
        )
    return elapsed


def _imports(ossbot: str, env: dict[str, str], top: int = 12) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the imports at depth 0 and 1 of `ossbot --help`."""
    done = subprocess.run(
        [ossbot, "--help"],
        cwd=ROOT,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
    )
    found = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if match and len(match[2]) <= 2:
            found.append((int(match[1]), ("  " if match[2] else "") + match[3]))
    return sorted(found, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="counted rounds (default 15)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} rounds")
    args = parser.parse_args()
    runs = args.runs or _env_runs() or (QUICK_RUNS if args.quick else 15)
    if runs < 1:
        parser.error("--runs must be at least 1")

    ossbot = Path(sys.executable).parent / "ossbot"
    if not ossbot.exists():
        print(f"no ossbot entry point next to {sys.executable} (pip install -e .?)")
        return 1
    commands = _commands(str(ossbot))
    times: dict[str, list[float]] = {label: [] for label, _ in commands}
    with tempfile.TemporaryDirectory(prefix="ossbot-startup-") as scratch:
        env = _offline_env(Path(scratch))
        try:
            for round_ in range(runs + 1):  # round 0 warms up and is not counted
                shift = round_ % len(commands)
                for label, command in commands[shift:] + commands[:shift]:
                    elapsed = _time(command, env)
                    if round_:
                        times[label].append(elapsed)
        except RuntimeError as exc:
            print(f"failed: {exc}")
            return 1
        imports = _imports(str(ossbot), env)

    base = statistics.median(times["python -c pass"])
    print(
        f"start-up: wall time per process, median of {runs} runs each (alternating, after one"
        " uncounted warm-up round); ratio to `python -c pass`"
    )
    width = max(len(label) for label, _ in commands)
    print(f"  {'command':{width}}  {'median':>8}  {'fastest':>8}  {'ratio':>6}")
    for label, _ in commands:
        median = statistics.median(times[label])
        print(
            f"  {label:{width}}  {median * 1000:6.0f} ms  {min(times[label]) * 1000:6.0f} ms"
            f"  {median / base:5.2f}x"
        )
    ratio = statistics.median(times["ossbot --help"]) / base
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(
        f"goal: `ossbot --help` within {GOAL}x of `python -c pass`: ratio {ratio:.2f}x, {verdict}"
    )
    print(f"interpreter: {sys.executable}; ossbot: {ossbot}")
    print("imports of one `ossbot --help`, cumulative, largest first (depth 0, and 1 indented):")
    for micros, module in imports:
        print(f"  {micros / 1000:6.1f} ms  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
