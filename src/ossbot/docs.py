"""The configuration reference, generated from the config model (a test keeps the README in step)."""

from __future__ import annotations

import json
from typing import Any

from ossbot.init import config_entries


def config_reference() -> str:
    """One row per key of the config model (the walk `ossbot init` writes its file from)."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    lines += [
        f"| `{e.key}` | {_show(e.default)} | {e.description} |"
        for e in config_entries()
        if not e.section
    ]
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return "—" if value is None else f"`{json.dumps(value)}`"


if __name__ == "__main__":
    print(config_reference(), end="")
