"""One snapshot of a pull request's changes: the files endpoint's entries, their patches parsed
with unidiff (GitHub's `patch` is the hunks of a unified diff without the file headers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from ossbot.llm.prompts import estimate_tokens
from ossbot.review.paths import is_binary_path, kind_of

MAX_PATCH_CHARS = 2_000_000  # not parsed beyond this (GitHub omits larger patches anyway)


@dataclass
class Hunk:
    header: str
    target_start: int
    target_length: int
    added: list[tuple[int, str]]  # (new-file line, text)
    removed: list[str]
    lines: list[tuple[str, int | None, str]]  # (" ", "+" or "-", new-file line or None, text)
    tokens: int = 0

    @property
    def right_lines(self) -> set[int]:
        """New-file lines a review comment may point at (added and context lines)."""
        return {line for kind, line, _ in self.lines if line is not None and kind != "-"}


@dataclass
class FileDiff:
    path: str
    status: str
    additions: int
    deletions: int
    previous: str | None = None
    patch: str | None = None
    hunks: list[Hunk] = field(default_factory=list)
    kind: str = "other"
    problem: str | None = None  # why the patch could not be read, when it could not

    @property
    def changes(self) -> int:
        return self.additions + self.deletions

    @property
    def added(self) -> list[tuple[int, str]]:
        return [pair for hunk in self.hunks for pair in hunk.added]

    @cached_property
    def right_lines(self) -> set[int]:
        return {line for hunk in self.hunks for line in hunk.right_lines}

    @property
    def binary(self) -> bool:
        return self.patch is None and (is_binary_path(self.path) or self.changes == 0)

    @property
    def pure_rename(self) -> bool:
        return self.status in ("renamed", "copied") and self.changes == 0

    @property
    def tokens(self) -> int:
        return sum(hunk.tokens for hunk in self.hunks)


def parse_files(entries: list[dict[str, Any]]) -> list[FileDiff]:
    return [parse_file(entry) for entry in entries if isinstance(entry, dict)]


def parse_file(entry: dict[str, Any]) -> FileDiff:
    path = str(entry.get("filename") or "")
    diff = FileDiff(
        path=path,
        status=str(entry.get("status") or "modified"),
        additions=_int(entry.get("additions")),
        deletions=_int(entry.get("deletions")),
        previous=entry.get("previous_filename"),
        patch=entry.get("patch") if isinstance(entry.get("patch"), str) else None,
        kind=kind_of(path),
    )
    if diff.patch:
        if len(diff.patch) > MAX_PATCH_CHARS:
            diff.problem = f"patch too large to read ({len(diff.patch):,} characters)"
        else:
            try:
                diff.hunks = parse_patch(diff.patch)
            except (UnidiffParseError, ValueError, IndexError) as exc:
                diff.problem = f"patch could not be parsed ({type(exc).__name__})"
    return diff


def parse_patch(patch: str) -> list[Hunk]:
    """The hunks of GitHub's `patch` text for one file."""
    text = f"--- a/file\n+++ b/file\n{patch}"  # not the name: it may hold anything
    if not text.endswith("\n"):
        text += "\n"
    parsed = PatchSet(text)
    hunks = []
    for patched in parsed:
        for hunk in patched:
            lines: list[tuple[str, int | None, str]] = []
            added: list[tuple[int, str]] = []
            removed: list[str] = []
            for line in hunk:
                value = line.value.rstrip("\n")
                if line.is_added and line.target_line_no is not None:
                    lines.append(("+", line.target_line_no, value))
                    added.append((line.target_line_no, value))
                elif line.is_removed:
                    lines.append(("-", None, value))
                    removed.append(value)
                elif line.is_context:
                    lines.append((" ", line.target_line_no, value))
            header = f"@@ -{hunk.source_start},{hunk.source_length} "
            header += f"+{hunk.target_start},{hunk.target_length} @@"
            if hunk.section_header:
                header += f" {hunk.section_header}"
            found = Hunk(header, hunk.target_start, hunk.target_length, added, removed, lines)
            found.tokens = estimate_tokens(render_hunk(found))
            hunks.append(found)
    return hunks


def render_hunk(hunk: Hunk) -> str:
    """The hunk as a model reads it: each line with its new-file number, so findings can cite
    lines that exist."""
    out = [hunk.header]
    for kind, line, text in hunk.lines:
        number = f"{line:>5}" if line is not None else "     "
        out.append(f"{number} {kind}{text}")
    return "\n".join(out)


def files_from_diff(text: str) -> list[dict[str, Any]]:
    """A unified diff (`git diff`'s output) as the pull request files endpoint lists it: filename,
    status, additions, deletions, changes, patch (the hunks without the file headers) and
    previous_filename; binary files have no patch. An input error when it is no diff."""
    from ossbot.errors import InputError

    text = text.replace("\r\n", "\n")
    try:
        parsed = PatchSet(text)
    except UnidiffParseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"--diff: not a unified diff ({first.rstrip(': ')})") from None
    if not len(parsed):
        raise InputError("--diff: the diff changes no file (give `git diff`'s output)")
    entries = []
    for patched in parsed:
        source, target = _unquote(patched.source_file), _unquote(patched.target_file)
        prefixed = source.startswith("a/") or source == "/dev/null"
        prefixed = prefixed and (target.startswith("b/") or target == "/dev/null")
        name = _strip(target if not patched.is_removed_file else source, prefixed)
        before = _strip(source, prefixed)
        status = (
            "added"
            if patched.is_added_file
            else "removed"
            if patched.is_removed_file
            else "renamed"
            if patched.is_rename or (before != name and before != "/dev/null")
            else "modified"
        )
        entry: dict[str, Any] = {
            "filename": name,
            "status": status,
            "additions": patched.added,
            "deletions": patched.removed,
            "changes": patched.added + patched.removed,
        }
        if status == "renamed":
            entry["previous_filename"] = before
        if not patched.is_binary_file and len(patched):
            entry["patch"] = "".join(str(hunk) for hunk in patched).rstrip("\n")
        entries.append(entry)
    return entries


def _strip(name: str, prefixed: bool) -> str:
    """A diff header's path without git's a/ or b/ prefix (when both headers carry theirs:
    `git diff --no-prefix` leaves a real `b/` folder alone)."""
    return name[2:] if prefixed and name.startswith(("a/", "b/")) else name


def _unquote(name: str) -> str:
    """Git quotes a path with unusual characters C-style ("a/caf\\303\\251.txt")."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    import codecs

    try:
        raw = codecs.escape_decode(name[1:-1].encode("latin-1"))[0]
        return bytes(raw).decode("utf-8", errors="replace")
    except (UnicodeEncodeError, ValueError):
        return name[1:-1]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
