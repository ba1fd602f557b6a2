"""Finding commands in a comment: lines that start with the handle (`@ossbot`) or its slash
form (`/ossbot`), followed by a known command's name, outside code, quotes and HTML."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from ossbot.markdown import command_lines

MAX_COMMANDS = 5  # per comment
MAX_ARGS = 10
MAX_ARG_LENGTH = 100
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    line: str

    def shown(self, handle: str) -> str:
        return " ".join([handle, self.name, *self.args])


def parse_commands(
    text: str, *, handle: str, slash: bool = True, names: Collection[str] = ()
) -> list[Command]:
    """The commands of known `names` in the text, in order, each name once (the first), at most
    MAX_COMMANDS."""
    prefixes = _prefixes(handle, slash)
    known = {name.lower() for name in names}
    found: list[Command] = []
    for line in command_lines(text):
        command = _command(line, prefixes, known)
        if command is not None and command.name not in {c.name for c in found}:
            found.append(command)
            if len(found) == MAX_COMMANDS:
                break
    return found


def _prefixes(handle: str, slash: bool) -> tuple[str, ...]:
    name = handle.strip().lstrip("@/").lower()
    return (f"@{name}", f"/{name}") if slash else (f"@{name}",)


def _rest(line: str, prefixes: tuple[str, ...]) -> str | None:
    """What follows the handle at the start of the line, or None."""
    lowered = line.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix):
            after = line[len(prefix) :]
            if after and not (after[0].isspace() or after[0] in ":,"):
                return None  # `@ossbotx`, `@ossbot-team`: someone else
            return after.lstrip(":,").strip()
    return None


def _command(line: str, prefixes: tuple[str, ...], known: set[str]) -> Command | None:
    rest = _rest(line, prefixes)
    if not rest:
        return None
    word = _WORD.match(rest)
    if word is None or (word.end() < len(rest) and not rest[word.end()].isspace()):
        return None
    name = word.group().lower()
    if name not in known:
        return None
    args = tuple(arg[:MAX_ARG_LENGTH] for arg in rest[word.end() :].split()[:MAX_ARGS])
    return Command(name, args, line)
