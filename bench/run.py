"""Every benchmark, one after another, and a markdown report of their figures and of the machine
they were taken on (bench/REPORT.md by default).

Each benchmark runs as a process of its own: this interpreter, the repository's root as its
working directory, OPENBLAS_NUM_THREADS=1 (one core for numpy, as the budget says), its own
timeout. Its standard output and error are kept verbatim, with its wall time and exit code. The
runner exits 1 when any benchmark failed or timed out, 2 on a bad option, else 0.

    python bench/run.py [--only NAME[,NAME]] [--quick] [--out PATH] [--list]
    python -m bench ...                      # the same

--quick passes --quick to the benchmarks that take it (labels: one cross-validation seed;
startup: 5 rounds instead of 15).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DEFAULT_OUT = BENCH / "REPORT.md"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Bench:
    name: str
    what: str
    command: tuple[str, ...]  # after the interpreter; a path is relative to the repository root
    timeout: float = 600.0
    quick: bool = False  # takes --quick
    needs: str | None = None  # a file that must exist, else "not measured"

    def argv(self, quick: bool) -> list[str]:
        args = [sys.executable, *self.command]
        if quick and self.quick:
            args.append("--quick")
        return args

    def shown(self, quick: bool) -> str:
        args = ["python", *self.command]
        if quick and self.quick:
            args.append("--quick")
        return " ".join(args)


# In the order of issue 13's list. The action install slot runs bench/action_install.py when the
# file is there, and is reported as "not measured" when it is not.
BENCHES: tuple[Bench, ...] = (
    Bench("rest_calls", "REST calls per event type and job (and the CLI's start-up)",
          ("bench/rest_calls.py",)),
    Bench("llm_triage", "Tokens and calls per triage with a model", ("bench/llm_triage.py",)),
    Bench("review", "REST calls, model calls and tokens per review of a pull request",
          ("bench/review.py",)),
    Bench("review_findings", "Review detectors: recall on planted findings, false positives on "
          "real diffs", ("bench/review_findings.py",)),
    Bench("spawn", "Spawn pacing: 100 issues against GitHub's secondary limits",
          ("bench/spawn.py",)),
    Bench("spawn_crash", "Spawn crash-resume: a run killed half-way, answers lost (the "
          "scenarios of tests/test_spawn_crash.py, with their durations)",
          ("-m", "pytest", "tests/test_spawn_crash.py", "-v", "--durations=0",
           "-p", "no:cacheprovider")),
    Bench("write_pacing", "Write pacing: 100 creates through ossbot's writer",
          ("bench/write_pacing.py",)),
    Bench("state", "State store: REST calls per load and save, database size over time",
          ("bench/state.py",)),
    Bench("startup", "Start-up of `ossbot --help`, `--version` and an offline dry run, against "
          "`python -c pass`", ("bench/startup.py",), timeout=300, quick=True),
    Bench("action_install", "Action install, cold and warm", ("bench/action_install.py",),
          needs="bench/action_install.py"),
    Bench("labels", "Label learning: cross-validation, cold start, training cost",
          ("bench/labels.py",), timeout=1800, quick=True),
    Bench("label_rules", "Keyword label rules (offline labels)", ("bench/label_rules.py",)),
    Bench("report", "`ossbot report`: REST calls and time by history size",
          ("bench/report.py",)),
)  # fmt: skip


@dataclass
class Result:
    bench: Bench
    status: str  # ok, failed, timeout, not measured
    seconds: float = 0.0
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    note: str = ""
    command: str = field(default="")


def run_one(bench: Bench, quick: bool, timeout: float | None) -> Result:
    shown = bench.shown(quick)
    if bench.needs and not (ROOT / bench.needs).exists():
        note = f"not measured: {bench.needs} absent"
        return Result(bench, "not measured", note=note, command=shown)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    limit = timeout or bench.timeout
    start = time.perf_counter()
    # A session of its own, so a timeout ends the benchmark's children too (fake servers, CLIs).
    process = subprocess.Popen(
        bench.argv(quick),
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        timed_out = True
    seconds = time.perf_counter() - start
    result = Result(bench, "ok", seconds, process.returncode, stdout, stderr, command=shown)
    if timed_out:
        result.status = "timeout"
        result.note = f"timed out after {limit:.0f} s and was killed; its output so far is below"
    elif process.returncode != 0:
        result.status = "failed"
        result.note = f"exited with code {process.returncode}"
    return result


# --- the machine -------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _numpy() -> str:
    code = (
        "import json, numpy\n"
        "blas = ''\n"
        "try:\n"
        "    deps = numpy.show_config(mode='dicts').get('Build Dependencies', {})\n"
        "    b = deps.get('blas', {})\n"
        "    blas = f\"{b.get('name', '?')} {b.get('version', '')}\".strip()\n"
        "except Exception:\n"
        "    pass\n"
        "print(json.dumps([numpy.__version__, blas]))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        version, blas = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return "not importable"
    return f"{version}, BLAS {blas}" if blas else version


def _ossbot_version() -> str:
    ossbot = Path(sys.executable).parent / "ossbot"
    try:
        done = subprocess.run(
            [str(ossbot), "--version"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return "no entry point"
    return done.stdout.strip() or done.stderr.strip()


def machine() -> list[tuple[str, str]]:
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    cpu = model[1].strip() if model else (platform.processor() or platform.machine())
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    memory = f"{int(mem[1]) / 1024 / 1024:.1f} GiB" if mem else "unknown"
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release"), re.M)
    system = f"{pretty[1] if pretty else platform.system()} (kernel {platform.release()})"
    load = " ".join(_read("/proc/loadavg").split()[:3]) or "unknown"
    head = _git("rev-parse", "HEAD")
    subject = _git("log", "-1", "--format=%cI %s")
    changed = _git("status", "--porcelain", "--untracked-files=normal")
    dirty = (
        f"dirty ({len(changed.splitlines())} paths changed or untracked)" if changed else "clean"
    )
    return [
        ("CPU", f"{cpu} ({platform.machine()})"),
        ("Cores", f"{cores} logical, {usable} usable by this process"),
        ("Memory", memory),
        ("OS", system),
        ("Load average at start (1, 5, 15 min)", load),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} "
                   f"({sys.executable})"),
        ("numpy", _numpy()),
        ("ossbot", _ossbot_version()),
        ("Commit", f"{head or 'unknown'} {subject}".strip()),
        ("Working tree", dirty if head else "unknown"),
    ]  # fmt: skip


# --- the report --------------------------------------------------------------------------------


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = ANSI.sub("", text).rstrip("\n")
    return f"{fence}text\n{body}\n{fence}"


def report(
    results: list[Result], facts: list[tuple[str, str]], started: datetime, total: float, argv: str
) -> str:
    failed = [r for r in results if r.status in ("failed", "timeout")]
    lines = [
        "# ossbot benchmarks",
        "",
        f"Generated by `{argv}` on {started:%Y-%m-%d %H:%M} UTC, in {total:.0f} s."
        " Each benchmark ran as a process of its own (OPENBLAS_NUM_THREADS=1); its output is"
        " below, verbatim. Regenerate with `python -m bench` (`--quick` for a shorter run,"
        " `--only NAME` for one).",
        "",
    ]
    if failed:
        names = ", ".join(f"[{r.bench.name}](#{r.bench.name}) ({r.status})" for r in failed)
        lines += [f"**{len(failed)} failed:** {names}.", ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value.replace('|', '/')} |" for key, value in facts]
    lines += [
        "",
        "## Contents",
        "",
        "| Benchmark | Measures | Result | Time |",
        "|---|---|---|---:|",
    ]
    for r in results:
        took = f"{r.seconds:.1f} s" if r.status != "not measured" else "–"
        lines.append(
            f"| [{r.bench.name}](#{r.bench.name}) | {r.bench.what} | {r.status} | {took} |"
        )
    for r in results:
        lines += ["", f"## {r.bench.name}", "", f"{r.bench.what}.", ""]
        if r.status == "not measured":
            lines += [f"**{r.note}.**"]
            continue
        lines += [
            f"`{r.command}`: {r.status}, {r.seconds:.1f} s, exit code {r.code}.",
            "",
        ]
        if r.note and r.status != "ok":
            lines += [f"**FAILED: {r.note}.**", ""]
        lines += [_fence(r.stdout or "(no output)")]
        if r.stderr.strip():
            lines += ["", "Standard error:", "", _fence(r.stderr)]
    return "\n".join(lines) + "\n"


# --- the command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0].rstrip(",")
    )
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these benchmarks")
    parser.add_argument("--quick", action="store_true", help="shorter runs where supported")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--timeout", type=float, help="seconds before any one benchmark is killed (overrides)"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    known = {b.name: b for b in BENCHES}
    if args.list:
        for b in BENCHES:
            print(f"{b.name:16} {b.what}")
        return 0
    chosen = list(BENCHES)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            print(
                f"bench: unknown benchmark {', '.join(map(repr, unknown)) or repr(args.only)}"
                f" (known: {', '.join(known)})",
                file=sys.stderr,
            )
            return 2
        chosen = [b for b in BENCHES if b.name in names]

    started = datetime.now(UTC)
    clock = time.perf_counter()
    facts = machine()
    results = []
    for index, bench in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {bench.name} ...", end=" ", flush=True)
        result = run_one(bench, args.quick, args.timeout)
        took = f" {result.seconds:.1f} s" if result.status != "not measured" else ""
        print(f"{result.status}{took}" + (f" ({result.note})" if result.note else ""), flush=True)
        results.append(result)
    total = time.perf_counter() - clock

    shown = "python -m bench" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(results, facts, started, total, shown))
    failed = [r.bench.name for r in results if r.status in ("failed", "timeout")]
    print(f"report: {out} ({total:.0f} s)" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
