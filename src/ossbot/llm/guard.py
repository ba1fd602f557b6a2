"""The boundary between model output and a plan. A model's answer is untrusted: labels are
intersected with the allowed set, counts are capped, text is cleaned and bounded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ossbot.github.markers import strip_markers
from ossbot.text import safe_inline


def allowed_labels(proposed: Iterable[Any], allowed: Iterable[str], cap: int) -> list[str]:
    """Proposed labels that are in the allowed set (matched case-insensitively, returned with
    the repository's spelling), without duplicates, at most `cap`."""
    by_lower = {name.lower(): name for name in allowed}
    chosen: list[str] = []
    for label in proposed:
        name = by_lower.get(str(label).strip().lower())
        if name is not None and name not in chosen:
            chosen.append(name)
    return chosen[: max(cap, 0)]


def clean_text(text: Any, limit: int = 300) -> str:
    """One line of model text fit for a comment: no markers, no mentions, no HTML, bounded."""
    return safe_inline(strip_markers(str(text or "")), limit)


def clean_lines(lines: Iterable[Any], *, most: int, limit: int = 300) -> list[str]:
    cleaned = [clean_text(line, limit) for line in lines]
    return [line for line in cleaned if line][: max(most, 0)]


def enum_schema(base: dict[str, Any], field: str, allowed: list[str], cap: int) -> dict[str, Any]:
    """The schema sent to the model, with the allowed values of a list field spelled out (the
    answer is still checked with `allowed_labels`: a schema guides, it does not guarantee)."""
    schema = {**base, "properties": dict(base.get("properties", {}))}
    items: dict[str, Any] = {"type": "string"}
    if allowed:
        items["enum"] = list(allowed)
    schema["properties"][field] = {
        **schema["properties"].get(field, {}),
        "type": "array",
        "items": items,
        "maxItems": cap,
    }
    return schema
