"""The configuration reference, generated from the config model (a test keeps the README in step)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ossbot.repo_config import RepoConfig


def config_reference() -> str:
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    lines += _rows(RepoConfig, "")
    return "\n".join(lines) + "\n"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    defaults = model()
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, key + ".")
            continue
        value = _show(getattr(defaults, name))
        rows.append(f"| `{key}` | {value} | {field.description or ''} |")
    return rows


def _show(value: Any) -> str:
    return "—" if value is None else f"`{json.dumps(value)}`"


if __name__ == "__main__":
    print(config_reference(), end="")
