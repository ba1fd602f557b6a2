"""What a review reads, within its token budget, and the coverage that says what it left out.

Every file is in the coverage, with its status: reviewed, partly reviewed (some hunks did not
fit), or left out for a reason (ignored, binary, no patch from GitHub, over budget). Hunks are
taken by priority: source before config before tests before docs, riskier hunks first."""

from __future__ import annotations

from dataclasses import dataclass, field

from ossbot.review.diff import FileDiff, Hunk
from ossbot.review.offline import hunk_risk
from ossbot.review.paths import KIND_RANK, ignored_by

REASONS = {
    "ignored": "ignored (review.ignore)",
    "binary": "binary or empty",
    "no-patch": "no patch from GitHub (too large to show)",
    "unreadable": "patch could not be read",
    "over-budget": "over the token budget",
    "rename": "renamed without changes",
}


@dataclass
class Coverage:
    path: str
    status: str  # reviewed, partial, ignored, binary, no-patch, unreadable, over-budget, rename
    detail: str = ""
    hunks: int = 0
    of: int = 0


@dataclass
class Selection:
    chosen: dict[str, list[Hunk]] = field(default_factory=dict)  # path -> hunks, in file order
    coverage: list[Coverage] = field(default_factory=list)
    tokens: int = 0
    budget: int = 0
    ranked: list[tuple[str, Hunk]] = field(default_factory=list)  # chosen, most important first

    @property
    def reviewed(self) -> list[Coverage]:
        return [c for c in self.coverage if c.status in ("reviewed", "partial")]

    def left_out(self) -> dict[str, list[Coverage]]:
        out: dict[str, list[Coverage]] = {}
        for c in self.coverage:
            if c.status not in ("reviewed", "partial"):
                out.setdefault(c.status, []).append(c)
        return out


def select(files: list[FileDiff], ignore: list[str], budget: int) -> Selection:
    selection = Selection(budget=budget)
    candidates: list[tuple[tuple[int, int, int, int], FileDiff, int, Hunk]] = []
    by_path: dict[str, Coverage] = {}
    for order, diff in enumerate(files):
        coverage = Coverage(diff.path, "over-budget", of=len(diff.hunks))
        pattern = ignored_by(diff.path, ignore)
        if pattern is not None:
            coverage.status, coverage.detail = "ignored", pattern
        elif diff.pure_rename:
            coverage.status, coverage.detail = "rename", diff.previous or ""
        elif diff.problem:
            coverage.status, coverage.detail = "unreadable", diff.problem
        elif diff.binary:
            coverage.status = "binary"
        elif diff.patch is None:
            coverage.status = "no-patch"
        else:
            for index, hunk in enumerate(diff.hunks):
                rank = (KIND_RANK.get(diff.kind, 5), -hunk_risk(hunk), order, index)
                candidates.append((rank, diff, index, hunk))
        selection.coverage.append(coverage)
        by_path[diff.path] = coverage
    taken: dict[str, list[tuple[int, Hunk]]] = {}
    for _, diff, index, hunk in sorted(candidates, key=lambda c: c[0]):
        if selection.tokens + hunk.tokens > budget:
            continue  # a smaller hunk further down may still fit
        selection.tokens += hunk.tokens
        taken.setdefault(diff.path, []).append((index, hunk))
        selection.ranked.append((diff.path, hunk))
    for diff in files:
        if diff.path not in taken:
            continue
        hunks = sorted(taken[diff.path], key=lambda pair: pair[0])
        selection.chosen[diff.path] = [hunk for _, hunk in hunks]
        coverage = by_path[diff.path]
        coverage.hunks = len(hunks)
        coverage.status = "reviewed" if len(hunks) == coverage.of else "partial"
    return selection
