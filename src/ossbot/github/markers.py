"""Hidden markers: how ossbot recognises its own comments and issues across runs.

A marker is an HTML comment such as `<!-- ossbot:triage-summary labels=bug -->`. It is trusted
only on content authored by the bot itself, so a user who pastes one cannot hijack an upsert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

_MARKER = re.compile(r"<!-- ossbot:(?P<kind>[a-z0-9-]+)(?P<attrs>(?: [a-z0-9_-]+=[^\s>]*)*) -->")


@dataclass(frozen=True)
class Marker:
    """`attrs` values are strings or lists of strings (rendered comma-separated)."""

    kind: str
    attrs: dict[str, str | list[str]] = field(default_factory=dict)

    def render(self) -> str:
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
            pairs = (item.split("=", 1) for item in match.group("attrs").split())
            return Marker(kind, dict(pairs))
    return None


def marker_kinds(text: str) -> list[str]:
    """The kinds of every marker in the text, in order."""
    return [match.group("kind") for match in _MARKER.finditer(text or "")]


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text or "")
