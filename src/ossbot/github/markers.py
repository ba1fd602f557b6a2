"""Hidden markers: how ossbot recognises its own comments and issues across runs.

A marker is an HTML comment such as `<!-- ossbot:triage-summary labels=bug -->`. It is trusted
only on content authored by the bot itself, so a user who pastes one cannot hijack an upsert.

Values are percent-encoded (every character but letters, digits and `_.-~`), so a value can
hold anything, spaces, commas and `-->` included; a list is its items encoded and joined with
commas (so a list's items are never empty). Finding markers takes linear time: after the fixed
`<!-- ossbot:`, each part of the pattern is a run of characters the next part cannot start
with, and a run ends at a space, so no character is scanned twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

_KIND = re.compile(r"[a-z0-9-]+")
_KEY = re.compile(r"[a-z0-9_-]+")
_MARKER = re.compile(r"<!-- ossbot:(?P<kind>[a-z0-9-]+)(?P<attrs>(?: [a-z0-9_-]+=[^\s>]*)*) -->")


@dataclass(frozen=True)
class Marker:
    """`attrs` values are strings or lists of strings (rendered comma-separated). A marker
    found in a text holds its values as written (encoded): read them with `get` and
    `get_list`."""

    kind: str
    attrs: dict[str, str | list[str]] = field(default_factory=dict)

    def render(self) -> str:
        """The marker as an HTML comment. A kind or key outside its alphabet could not be
        found again, so it is refused (ValueError)."""
        if not _KIND.fullmatch(self.kind):
            raise ValueError(f"marker kind {self.kind!r} is not made of a-z, 0-9 and -")
        for key in self.attrs:
            if not _KEY.fullmatch(key):
                raise ValueError(f"marker key {key!r} is not made of a-z, 0-9, _ and -")
        attrs = "".join(f" {k}={_encode(v)}" for k, v in sorted(self.attrs.items()))
        return f"<!-- ossbot:{self.kind}{attrs} -->"

    def get(self, key: str) -> str | None:
        value = self.attrs.get(key)
        return unquote(value) if isinstance(value, str) else None

    def get_list(self, key: str) -> list[str]:
        value = self.attrs.get(key)
        if not isinstance(value, str) or not value:
            return []
        return [unquote(item) for item in value.split(",")]


def _encode(value: str | list[str]) -> str:
    if isinstance(value, list):
        return ",".join(quote(item, safe="") for item in value)
    return quote(value, safe="")


def find_marker(text: str, kind: str) -> Marker | None:
    """The first marker of this kind in the text, or None."""
    for match in _MARKER.finditer(text or ""):
        if match.group("kind") == kind:
            attrs: dict[str, str | list[str]] = {}
            for item in match.group("attrs").split():
                key, _, value = item.partition("=")
                attrs[key] = value
            return Marker(kind, attrs)
    return None


def marker_kinds(text: str) -> list[str]:
    """The kinds of every marker in the text, in order."""
    return [match.group("kind") for match in _MARKER.finditer(text or "")]


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text or "")
