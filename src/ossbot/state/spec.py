"""Which store keeps the state database: `--state` / `OSSBOT_STATE`.

- a path, or `local:PATH`: a SQLite file on this machine (the CLI's default);
- `branch` or `branch:NAME`: a compressed file on an orphan branch of the repository (default
  `ossbot-state`), saved with compare-and-swap so overlapping runs never lose a ledger row;
- `cache:PATH`: a file the composite action restores from and saves to the Actions cache;
- `none`: in memory only; GitHub's markers are all ossbot knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ossbot.errors import ConfigError

DEFAULT_BRANCH = "ossbot-state"
Kind = Literal["local", "branch", "cache", "none"]
# What git accepts in a branch name, kept to the plain subset (no "..", "@{", ending ".lock").
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+")  # "s3:", not a drive letter ("C:")
FORMS = "a path, local:PATH, branch, branch:NAME, cache:PATH or none"


@dataclass(frozen=True)
class StateSpec:
    kind: Kind
    path: Path | None = None  # local and cache
    branch: str = DEFAULT_BRANCH

    def describe(self) -> str:
        if self.kind == "branch":
            return f"the state branch '{self.branch}'"
        if self.kind == "cache":
            return f"the Actions cache file {self.path}"
        if self.kind == "none":
            return "no store (in memory only)"
        return f"the local file {self.path}"

    def text(self) -> str:
        """The spec as `--state` takes it."""
        if self.kind == "branch":
            return "branch" if self.branch == DEFAULT_BRANCH else f"branch:{self.branch}"
        if self.kind == "none":
            return "none"
        return f"{self.kind}:{self.path}"


def default_path() -> Path:
    return Path.home() / ".local" / "state" / "ossbot" / "state.db"


def parse_state(value: str | None) -> StateSpec:
    """The store `value` names; a bad one is a ConfigError naming the forms."""
    text = (value or "").strip()
    if not text:
        return StateSpec("local", default_path())
    kind, sep, rest = text.partition(":")
    if text == "none":
        return StateSpec("none")
    if kind == "branch":
        name = rest.strip() if sep else DEFAULT_BRANCH
        if not _valid_branch(name):
            raise ConfigError(
                f"--state: '{name}' is not a usable branch name (letters, digits and ._/- ; "
                "no '..', no ending '/' or '.lock')"
            )
        return StateSpec("branch", branch=name)
    if kind in ("local", "cache") and sep:
        if not rest.strip():
            raise ConfigError(f"--state: {kind}: needs a path ({kind}:PATH)")
        return StateSpec(kind, Path(rest.strip()).expanduser())  # type: ignore[arg-type]
    if kind in ("none", "cache", "local") or (sep and _SCHEME.fullmatch(kind)):
        raise ConfigError(f"--state: unknown store '{text}': use {FORMS}")
    return StateSpec("local", Path(text).expanduser())


def _valid_branch(name: str) -> bool:
    return (
        bool(_BRANCH.fullmatch(name))
        and ".." not in name
        and "//" not in name
        and not name.endswith(("/", ".lock", "."))
    )
