"""Structured output: JSON found in a model's answer and validated against a pydantic model.

Native schema support is asked for where the provider has it; this tolerant extractor stands
behind it for JSON mode and prompted JSON (code fences, prose before or after)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ossbot.errors import OssbotError

T = TypeVar("T", bound=BaseModel)


class InvalidModelOutput(OssbotError):
    """The model's answer was not valid for the schema."""


def extract_json(text: str) -> Any:
    """The first JSON object or array in the text."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(text, index)
                return value
            except json.JSONDecodeError:
                continue
    raise InvalidModelOutput("the answer holds no JSON")


def parse(text: str, model: type[T]) -> T:
    try:
        return model.model_validate(extract_json(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InvalidModelOutput(f"{where}: {first['msg']}") from exc
