"""The offline review engine: useful without a model. Category from the title and the paths,
per-file notes and risk from the diff, deterministic findings with few false positives, and an
advisory score card.

Score card (each 0-10, advisory; documented in the README):
- correctness: 10, minus 3 per high, 1.5 per medium and 0.5 per low finding about correctness
  (secrets, conflict markers, a model's bug findings);
- readability: 10, minus 1 per debug leftover, 0.5 per new TODO, 2 for an oversized change;
- maintainability: 10, minus 2.5 for source changed without tests, 1 for a lock file without
  its manifest, 2 for an oversized change, 0.5 per high-risk file (at most 3);
- overall: 0.5 × correctness + 0.25 × readability + 0.25 × maintainability.
Each is clamped to 0-10 and rounded to one decimal.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from ossbot.plan import Finding
from ossbot.review.detect import Hit, scan_file
from ossbot.review.diff import FileDiff, Hunk
from ossbot.review.paths import LOCK_MANIFESTS

CATEGORIES = ("fix", "feature", "refactor", "docs", "test", "chore", "mixed")
_CONVENTIONAL = re.compile(r"^\s*(\w+)(?:\([^)]*\))?!?:", re.ASCII)
_PREFIXES = {
    "fix": "fix",
    "bugfix": "fix",
    "hotfix": "fix",
    "feat": "feature",
    "feature": "feature",
    "refactor": "refactor",
    "perf": "refactor",
    "style": "refactor",
    "docs": "docs",
    "doc": "docs",
    "test": "test",
    "tests": "test",
    "chore": "chore",
    "build": "chore",
    "ci": "chore",
    "deps": "chore",
    "revert": "fix",
    "release": "chore",
}
_TITLE_WORDS = {
    "fix": r"fix(?:es|ed)?|bug|bugfix|hotfix|crash|regression|broken|resolve[sd]?|patch",
    "feature": r"add(?:s|ed)?|feat(?:ure)?|implement(?:s|ed)?|support(?:s)?|introduce[sd]?|new",
    "refactor": r"refactor(?:s|ed|ing)?|clean ?up|rename[sd]?|restructure[sd]?|simplif(?:y|ies)|"
    r"reorgani[sz]e[sd]?|extract(?:s|ed)?|move[sd]?",
    "docs": r"docs?|documentation|readme|typos?|docstrings?|changelog",
    "test": r"tests?|testing|coverage|flaky",
    "chore": r"chore|bump(?:s|ed)?|upgrade[sd]?|deps|dependenc(?:y|ies)|ci|release|version",
}
_TITLE = {
    name: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for name, words in _TITLE_WORDS.items()
}
# Words in added source lines, or paths, that make a change riskier to get wrong.
_RISKY = re.compile(  # whole words, also inside snake_case names (user_password)
    r"(?<![a-z])(?:auth\w*|password|passwd|token|secret|credential\w*|crypt\w*|hash\w*|sign(?:ature)?|"
    r"permission\w*|sudo|chmod|exec|eval|subprocess|shell|os\.system|pickle|deserializ\w*|"
    r"unsafe|sql|query|migrat\w*|delete|drop|truncate|lock|mutex|thread\w*|async|await|"
    r"concurren\w*|transaction|payment|billing)(?![a-z])",
    re.IGNORECASE,
)
_RISKY_PATHS = re.compile(
    r"(^|/)(\.github/workflows/|auth|security|crypto|migrations?/|dockerfile|setup\.py$|"
    r"pyproject\.toml$|package\.json$|requirements[^/]*\.txt$|go\.mod$|cargo\.toml$)",
    re.IGNORECASE,
)
CORRECTNESS_KINDS = {"secret", "conflict-marker", "model"}
SOURCE_WITHOUT_TESTS_LINES = 20  # added source lines from which missing tests are noted


@dataclass
class FileNote:
    path: str
    kind: str
    risk: str  # low, medium, high
    note: str
    additions: int
    deletions: int
    by_model: bool = False  # the note is the model's


def category(title: str, files: list[FileDiff]) -> str:
    """fix / feature / refactor / docs / test / chore / mixed."""
    prefix = _CONVENTIONAL.match(title or "")
    if prefix and prefix.group(1).lower() in _PREFIXES:
        return _PREFIXES[prefix.group(1).lower()]
    kinds = {f.kind for f in files}
    if kinds and kinds <= {"docs"}:
        return "docs"
    if kinds and kinds <= {"test"}:
        return "test"
    if kinds and kinds <= {"lock", "config"}:
        return "chore"
    found = [name for name, pattern in _TITLE.items() if pattern.search(title or "")]
    code_paths = [name for name in found if name not in ("docs", "test")]
    if len(code_paths) == 1:
        return code_paths[0]
    if not code_paths and len(found) == 1:
        return found[0]
    return "mixed"


def hunk_risk(hunk: Hunk) -> int:
    """How much a hunk deserves to be read first: risky words in changed lines, size."""
    changed = [text for _, text in hunk.added] + hunk.removed
    score = sum(1 for text in changed if _RISKY.search(text[:400]))
    return score * 3 + min(len(changed), 60) // 6


def file_note(diff: FileDiff) -> FileNote:
    parts = []
    if diff.status == "added":
        parts.append("new file")
    elif diff.status == "removed":
        parts.append("deleted")
    elif diff.status in ("renamed", "copied") and diff.previous:
        parts.append(f"{diff.status} from {diff.previous}")
    parts.append(f"+{diff.additions} −{diff.deletions}")
    words = Counter(
        match.group(0).lower() for _, text in diff.added for match in _RISKY.finditer(text[:400])
    )
    if words and diff.kind in ("source", "config"):
        parts.append("touches " + ", ".join(word for word, _ in words.most_common(3)))
    risk = "low"
    if diff.kind in ("source", "config"):
        risky_path = bool(_RISKY_PATHS.search(diff.path))
        if (sum(words.values()) >= 3 and diff.changes >= 20) or (risky_path and diff.changes >= 5):
            risk = "high"
        elif diff.changes >= 50 or words or risky_path or diff.status == "removed":
            risk = "medium"
    return FileNote(diff.path, diff.kind, risk, "; ".join(parts), diff.additions, diff.deletions)


def line_findings(diff: FileDiff, *, safety_only: bool = False) -> list[Finding]:
    """Findings in the file's added lines: secrets and conflict markers always; debug leftovers
    and TODOs unless `safety_only` (ignored files)."""
    hits = scan_file(diff.path, diff.added)
    if safety_only:
        hits = [hit for hit in hits if hit.kind in ("secret", "conflict-marker")]
    return [_finding(diff.path, hit) for hit in hits]


def _finding(path: str, hit: Hit) -> Finding:
    return Finding(
        key=finding_key(hit.kind, hit.rule, path, str(hit.line)),
        kind=hit.kind,
        title=hit.title,
        details=hit.detail,
        severity=hit.severity,
        file=path,
        line=hit.line,
        source="offline",
    )


def finding_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def pull_findings(files: list[FileDiff], *, large_lines: int) -> list[Finding]:
    """Findings about the change as a whole."""
    found: list[Finding] = []
    source = [f for f in files if f.kind == "source" and f.status != "removed"]
    tests = [f for f in files if f.kind == "test"]
    added_source = sum(f.additions for f in source)
    if source and not tests and added_source >= SOURCE_WITHOUT_TESTS_LINES:
        found.append(
            Finding(
                key=finding_key("tests", "source-without-tests"),
                kind="tests",
                title="Source changed without tests",
                details=f"{len(source)} source file(s), {added_source} added lines, and no test "
                "file changed: consider a test that covers the change.",
                severity="medium" if added_source >= 100 else "low",
            )
        )
    changed = sum(f.changes for f in files)
    if changed >= large_lines or len(files) > 100:
        found.append(
            Finding(
                key=finding_key("size", "oversized"),
                kind="size",
                title="Large change",
                details=f"{len(files)} files and {changed:,} changed lines: smaller pull requests "
                "are reviewed faster and more carefully.",
                severity="low",
            )
        )
    names = {PurePosixPath(f.path).as_posix() for f in files}
    for diff in files:
        p = PurePosixPath(diff.path)
        manifests = LOCK_MANIFESTS.get(p.name)
        if not manifests or diff.status == "removed":
            continue
        folder = p.parent.as_posix()
        beside = {(f"{folder}/{m}" if folder != "." else m) for m in manifests}
        if not beside & names:
            found.append(
                Finding(
                    key=finding_key("lockfile", diff.path),
                    kind="lockfile",
                    title="Lock file changed without its manifest",
                    details=f"{diff.path} changed but {' or '.join(sorted(beside))} did not: "
                    "check that the lock file was regenerated on purpose.",
                    severity="low",
                    file=diff.path,
                )
            )
    return found


def scores(findings: list[Finding], notes: list[FileNote]) -> dict[str, float]:
    weight = {"high": 3.0, "medium": 1.5, "low": 0.5}
    correctness = 10 - sum(weight[f.severity] for f in findings if f.kind in CORRECTNESS_KINDS)
    kinds = Counter(f.kind for f in findings)
    oversized = 2 if kinds["size"] else 0
    readability = 10 - kinds["debug-leftover"] - 0.5 * kinds["todo"] - oversized
    high_risk = sum(1 for n in notes if n.risk == "high")
    untested = 2.5 if kinds["tests"] else 0
    maintainability = 10 - untested - kinds["lockfile"] - oversized - min(0.5 * high_risk, 3)
    card = {
        "correctness": _clamp(correctness),
        "readability": _clamp(readability),
        "maintainability": _clamp(maintainability),
    }
    card["overall"] = _clamp(
        0.5 * card["correctness"] + 0.25 * card["readability"] + 0.25 * card["maintainability"]
    )
    return card


def _clamp(value: float) -> float:
    return round(min(max(value, 0.0), 10.0), 1)
