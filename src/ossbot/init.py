"""`ossbot init`: the workflows and a commented `.github/ossbot.yml`, written into a checkout.

The workflows are the packaged examples (`ossbot.workflows`, shipped from `workflows-examples/`),
copied byte for byte: their `uses:` lines are pinned to commits there. The config file is
generated from the config model: every key, commented out, with its default and its meaning.
Nothing is overwritten without `force`, and a config file that exists is never replaced.

Light on purpose: no GitHub client, no LLM SDK; no token, no network."""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from ossbot.errors import InputError, OssbotError
from ossbot.repo_config import RepoConfig
from ossbot.schema import SCHEMA_URL, SECTIONS

ALL_IN_ONE = "ossbot"  # workflows-examples/ossbot.yml: every job in one workflow
CONFIG_PATH = ".github/ossbot.yml"
WIDTH = 100


# -- the packaged workflows -----------------------------------------------------------------------


def available_workflows() -> dict[str, bytes]:
    """Every packaged example workflow, by name (its file name without `.yml`)."""
    try:
        folder = resources.files("ossbot.workflows")
    except ModuleNotFoundError:  # pragma: no cover - a broken install
        raise OssbotError(
            "the example workflows are not installed (package ossbot.workflows): reinstall ossbot"
        ) from None
    found = {
        entry.name.removesuffix(".yml"): entry.read_bytes()
        for entry in folder.iterdir()
        if entry.name.endswith(".yml") and entry.is_file()
    }
    return dict(sorted(found.items()))


def workflow_path(name: str) -> str:
    """Where workflow `name` goes in a repository."""
    stem = ALL_IN_ONE if name == ALL_IN_ONE else f"ossbot-{name}"
    return f".github/workflows/{stem}.yml"


def choose_workflows(asked: list[str] | None, known: dict[str, bytes]) -> list[str]:
    """The names asked for (default: the all-in-one workflow), checked, in the order given."""
    names = [name.strip().lower().removesuffix(".yml") for name in asked or [ALL_IN_ONE]]
    if not asked and ALL_IN_ONE not in known:  # pragma: no cover - a broken install
        raise OssbotError(
            f"the all-in-one workflow ({ALL_IN_ONE}) is not installed: choose with --workflow "
            f"from {', '.join(known)}"
        )
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise InputError(
                f"unknown workflow '{name}': {hint}choose from {', '.join(known) or '(none)'}"
            )
    return list(dict.fromkeys(names))


# -- the commented config -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigEntry:
    """One key of the config model: a section (a nested model) or a leaf with its default."""

    key: str  # dotted, e.g. "triage.duplicates.max"
    depth: int  # 0 for a top-level section
    section: bool
    description: str
    default: Any = None  # the model's default (leaves only)

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]


def config_entries(model: type[BaseModel] = RepoConfig, prefix: str = "") -> Iterator[ConfigEntry]:
    """Every section and key of the config model, depth first, in declaration order."""
    defaults = model()
    depth = prefix.count(".")
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield ConfigEntry(key, depth, True, field.description or "")
            yield from config_entries(annotation, key + ".")
        else:
            yield ConfigEntry(key, depth, False, field.description or "", getattr(defaults, name))


HEADER = f"""\
# yaml-language-server: $schema={SCHEMA_URL}
#
# ossbot's configuration, read from the default branch. Every key is optional: each one is shown
# here commented out, with its default value and what it does. To change one, uncomment its line
# and its section's line (remove the leading "# ", keep the indentation), and edit the value.
# Unknown keys and wrong types are errors that name the key. Reference: the README's
# "Configuration" section; `ossbot init --dry-run` prints a fresh copy of this file.
"""


def config_text() -> str:
    """The commented `.github/ossbot.yml`: uncommenting every key line gives the defaults."""
    lines = HEADER.splitlines()
    for entry in config_entries():
        indent = "  " * entry.depth
        if entry.depth == 0:
            lines.append("")
        about = SECTIONS.get(entry.key, entry.description) if entry.section else entry.description
        if about:
            room = WIDTH - len(f"# {indent}# ")
            lines += [f"# {indent}# {line}" for line in textwrap.wrap(about, room)]
        if entry.section:
            lines.append(f"# {indent}{entry.name}:")
        else:
            lines += [f"# {indent}{line}" for line in _yaml_lines(entry, WIDTH - len(indent) - 2)]
    return "\n".join(lines) + "\n"


def _yaml_lines(entry: ConfigEntry, room: int) -> list[str]:
    """`name: value` as YAML: a list in flow style (wrapped when long), anything else as PyYAML
    writes it."""
    if isinstance(entry.default, list) and entry.default:
        items = [_dump([item], flow=True)[0][1:-1] for item in entry.default]
        pieces = [f"{item}," for item in items[:-1]] + [f"{items[-1]}]"]
        lines = [f"{entry.name}: [{pieces[0]}"]
        for piece in pieces[1:]:  # wrapped between items only, the lines after the first indented
            if len(lines[-1]) + 1 + len(piece) <= room:
                lines[-1] += f" {piece}"
            else:
                lines.append(f"  {piece}")
        if yaml.safe_load("\n".join(lines)) == {entry.name: entry.default}:
            return lines
    return _dump({entry.name: entry.default}, flow=None if entry.default == {} else False)


def _dump(value: Any, *, flow: bool | None) -> list[str]:
    text = yaml.safe_dump(
        value, default_flow_style=flow, sort_keys=False, allow_unicode=True, width=10**6
    )
    return text.splitlines()


# -- planning and writing -------------------------------------------------------------------------


class Status(str, Enum):
    new = "new"  # absent: written
    unchanged = "unchanged"  # already there, byte for byte
    differs = "differs"  # there, different: written only with --force
    kept = "kept"  # the config file exists: never replaced


@dataclass(frozen=True)
class Planned:
    path: str  # relative to the checkout, with forward slashes
    content: bytes
    status: Status
    workflow: str | None = None  # the workflow's name; None for the config file

    def permissions(self) -> dict[str, str]:
        """What the workflow's token may do: each job's `permissions:` (else the workflow's),
        the most any job asks for."""
        if self.workflow is None:
            return {}
        try:
            document = yaml.safe_load(self.content)
        except yaml.YAMLError:
            return {}
        if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
            return {}
        default = document.get("permissions")
        jobs = [job for job in document["jobs"].values() if isinstance(job, dict)]
        granted: dict[str, str] = {}
        rank = {"none": 0, "read": 1, "write": 2}
        for asked in [job.get("permissions", default) for job in jobs] or [default]:
            for scope, level in asked.items() if isinstance(asked, dict) else ():
                if rank.get(str(level), 0) >= rank.get(granted.get(str(scope), "none"), 0):
                    granted[str(scope)] = str(level)
        return granted


@dataclass(frozen=True)
class Plan:
    root: Path
    files: list[Planned]
    checkout: Path | None  # the git checkout `root` is in (None: not in one)

    def conflicts(self) -> list[Planned]:
        return [f for f in self.files if f.status is Status.differs]


def check_root(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path} does not exist: give the repository's checkout (a directory)")
    if not path.is_dir():
        raise InputError(f"{path} is not a directory: give the repository's checkout")
    return path.resolve()


def git_checkout(path: Path) -> Path | None:
    """The git checkout holding `path` (a `.git` directory, or a worktree's `.git` file)."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def plan(root: Path, workflows: list[str] | None) -> Plan:
    """What `ossbot init` would write into `root` (checked, nothing written yet)."""
    root = check_root(root)
    known = available_workflows()
    wanted: list[tuple[str, bytes, str | None]] = [
        (workflow_path(name), known[name], name) for name in choose_workflows(workflows, known)
    ]
    wanted.append((CONFIG_PATH, config_text().encode("utf-8"), None))
    files = []
    for relative, content, workflow in wanted:
        target = root / relative
        if target.is_dir():
            raise InputError(f"{relative} is a directory in {root}: move it away first")
        for folder in target.relative_to(root).parents:
            if (root / folder).exists() and not (root / folder).is_dir():
                raise InputError(
                    f"{folder} is a file in {root}: {relative} needs it to be a folder"
                )
        if not target.exists():
            status = Status.new
        elif target.read_bytes() == content:
            status = Status.unchanged
        elif workflow is None:
            status = Status.kept
        else:
            status = Status.differs
        files.append(Planned(relative, content, status, workflow))
    return Plan(root, files, git_checkout(root))


def write(planned: Plan, *, force: bool) -> list[Planned]:
    """Write the new files (and, with `force`, the differing workflows); the files written.
    Refused, with nothing written, when a workflow differs and `force` is not given."""
    conflicts = planned.conflicts()
    if conflicts and not force:
        raise InputError(
            f"already there and different: {', '.join(f.path for f in conflicts)} "
            "(nothing written; --force overwrites them, --dry-run shows the new versions)"
        )
    written: list[Planned] = []
    for file in planned.files:
        if file.status is Status.new or (file.status is Status.differs and force):
            target = planned.root / file.path
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.content)
            except OSError as exc:
                done = (
                    f" (already written: {', '.join(f.path for f in written)})" if written else ""
                )
                raise OssbotError(f"cannot write {file.path}: {exc.strerror or exc}{done}") from exc
            written.append(file)
    return written


# -- what the command shows -----------------------------------------------------------------------


def where(planned: Plan) -> str:
    """Where the files go, and a note when that is not a checkout's root."""
    if planned.checkout is None:
        return f"{planned.root} (not a git checkout: the files go under {planned.root / '.github'})"
    if planned.checkout != planned.root:
        return (
            f"{planned.root} (inside the checkout {planned.checkout}: GitHub reads .github/ "
            "at the repository's root only)"
        )
    return str(planned.root)


def action(file: Planned, *, force: bool, dry_run: bool) -> str:
    """What init does (or, with `dry_run`, would do) with the file, in a word or two."""
    if file.status is Status.new:
        return "would write" if dry_run else "wrote"
    if file.status is Status.differs and force:
        return "would overwrite" if dry_run else "overwrote"
    return file.status.value  # unchanged, kept, differs


ASIDES = {
    Status.kept: "yours: init never replaces a config file; --dry-run prints a fresh one",
    Status.differs: "--force overwrites it",
}


def next_steps(planned: Plan) -> list[str]:
    steps = [
        "review and commit them (git add .github && git commit -m 'Add ossbot'): ossbot reads "
        "its config from the default branch;"
    ]
    for file in planned.files:
        granted = file.permissions()
        if granted:
            shown = ", ".join(f"{k}: {v}" for k, v in granted.items())
            steps.append(f"{file.path} gives its GITHUB_TOKEN {shown};")
    steps.append(
        'more in the README: "Setting up the workflow", "Permissions", "Configuration" and '
        '"Using an LLM" (a model is optional: ossbot works offline).'
    )
    lines = ["Next:"]
    for step in steps:
        lines += textwrap.wrap(
            step, WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False
        )
    return lines


def document(
    planned: Plan, *, force: bool, dry_run: bool, written: list[Planned]
) -> dict[str, Any]:
    """The outcome as one JSON document (`--format json`)."""
    done = {file.path for file in written}
    return {
        "root": str(planned.root),
        "checkout": str(planned.checkout) if planned.checkout else None,
        "dry_run": dry_run,
        "files": [
            {
                "path": file.path,
                "workflow": file.workflow,
                "status": file.status.value,
                "written": file.path in done,
                "action": action(file, force=force, dry_run=dry_run),
                **({"content": file.content.decode("utf-8")} if dry_run else {}),
            }
            for file in planned.files
        ],
    }


def init(
    root: Path, workflows: list[str] | None, *, dry_run: bool, force: bool, as_json: bool
) -> str:
    """`ossbot init`: plan, write (unless `dry_run`), and say what happened."""
    import json

    planned = plan(root, workflows)
    written = [] if dry_run else write(planned, force=force)
    if as_json:
        shown = document(planned, force=force, dry_run=dry_run, written=written)
        return json.dumps(shown, indent=2) + "\n"
    if dry_run:
        return _dry_run_text(planned, force=force)
    lines = [f"ossbot init: {where(planned)}"]
    for file in planned.files:
        aside = ASIDES.get(file.status) if file not in written else None
        lines.append(
            f"  {action(file, force=force, dry_run=False):<10} {file.path}"
            + (f" ({aside})" if aside else "")
        )
    if written:
        lines += ["", *next_steps(planned)]
    else:
        lines.append("Nothing written: every file is already there.")
    return "\n".join(lines) + "\n"


def _dry_run_text(planned: Plan, *, force: bool) -> str:
    parts = [f"ossbot init --dry-run: {where(planned)}\n"]
    for file in planned.files:
        shown = action(file, force=force, dry_run=True)
        aside = ASIDES.get(file.status) if shown == file.status.value else None
        shown += f": {aside}" if aside else ""
        parts.append(f"\n==> {file.path} ({shown}) <==\n{file.content.decode('utf-8')}")
    conflicts = planned.conflicts()
    if conflicts and not force:
        parts.append(
            "\nWithout --force, ossbot init would stop (nothing written): "
            f"{', '.join(f.path for f in conflicts)} already there and different.\n"
        )
    parts.append("\nDry run: nothing written.\n")
    return "".join(parts)
