"""The JSON Schema of `.github/ossbot.yml`, generated from the config model (`RepoConfig`).

The package ships the generated copy (ossbot.schema.json, next to this file); a test fails when
it drifts from the model. `python -m ossbot.schema` prints the schema, `--write` rewrites the
shipped copy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ossbot.repo_config import RepoConfig

# Where editors find the schema (`# yaml-language-server: $schema=…` in the file `ossbot init`
# writes): the committed copy on the default branch.
SCHEMA_URL = "https://raw.githubusercontent.com/ossbot/ossbot/main/src/ossbot/ossbot.schema.json"

FILENAME = "ossbot.schema.json"
PATH = Path(__file__).with_name(FILENAME)
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# What each section of the file is for (the model's fields describe the keys, not the sections).
# Every section needs one: schema() fails on a section missing here.
SECTIONS: dict[str, str] = {
    "bot": "Who ossbot is: the bot account's login and the handle people address it by.",
    "triage": "Triage of new, edited and reopened issues: the summary comment and possible "
    "duplicates.",
    "triage.duplicates": "Open issues that look like the same problem, listed in the summary.",
    "labels": "Labelling issues: learned from the repository's own labelled issues, keyword "
    "rules for the rest, and which labels may be applied.",
    "onboarding": "Answers to comments from people who want to contribute.",
    "mentions": "Answers to questions in comments that mention the handle (bot.handle).",
    "commands": "Commands in comments (`@ossbot <command>`) and the role each one needs.",
    "welcome": "Welcome comments for first-time issue and pull request authors.",
    "review": "Pull request review: one comment kept up to date, a check run, and inline "
    "comments if wanted.",
    "spawn": "`@ossbot spawn`: issues created from a spec, with limits and a preview for large "
    "or flagged batches.",
    "llm": "The model ossbot may use (default: none, the offline engine). API keys come only "
    "from the environment, never from this file.",
    "llm.fallback": "A second provider, tried when the first one fails.",
    "report": "`ossbot report`: what ossbot did and how well, its cost, and the report issue.",
}

# A keyword of labels.rules must not be empty, nor only `title:` (the model's validator).
RULE_KEYWORD = r"^(?!\s*$)(?!\s*[Tt][Ii][Tt][Ll][Ee]:\s*$)"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `.github/ossbot.yml`: every key with its description
    and default, unknown keys rejected where the model rejects them."""
    generated = RepoConfig.model_json_schema()
    definitions: dict[str, Any] = generated.pop("$defs", {})
    _describe(RepoConfig, generated, definitions, "")
    for node in [generated, *definitions.values()]:
        _untitle(node)
    labels = definitions[_ref(generated["properties"]["labels"])]["properties"]
    labels["rules"]["additionalProperties"]["items"]["pattern"] = RULE_KEYWORD
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_URL,
        "title": "ossbot configuration (.github/ossbot.yml)",
        "description": "The configuration of ossbot for one repository, read from "
        ".github/ossbot.yml on the default branch. Every key is optional; an unknown key is "
        "an error.",
        **generated,
        "$defs": definitions,
    }


def _describe(
    model: type[BaseModel], node: dict[str, Any], definitions: dict[str, Any], prefix: str
) -> None:
    """Section descriptions, and the defaults pydantic leaves out (those of a default_factory),
    for `model`'s schema `node` and, recursively, its sections."""
    if (
        model.model_config.get("extra") == "forbid"
        and node.get("additionalProperties") is not False
    ):
        raise ValueError(f"{model.__name__} forbids unknown keys but its schema allows them")
    defaults = model().model_dump(mode="json")
    properties: dict[str, Any] = node["properties"]
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        prop = properties[name]
        section = _section(field.annotation)
        if section is None:
            prop.setdefault("default", defaults[name])
            if prop["default"] != defaults[name]:
                raise ValueError(f"the schema's default of '{key}' is not the model's")
            continue
        if key not in SECTIONS:
            raise KeyError(f"no description of the section '{key}': add one to SECTIONS")
        prop["description"] = SECTIONS[key]
        _describe(section, definitions[_ref(prop)], definitions, key + ".")


def _section(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _ref(prop: dict[str, Any]) -> str:
    """The $defs entry a section's property points at (`{"$ref": "#/$defs/Name"}`)."""
    ref: str = prop["$ref"]
    return ref.removeprefix("#/$defs/")


def _untitle(node: Any) -> None:
    """Drop pydantic's titles (the key, title-cased: noise in an editor's hover), leaving
    properties that happen to be named `title` alone."""
    if not isinstance(node, dict):
        if isinstance(node, list):
            for item in node:
                _untitle(item)
        return
    node.pop("title", None)
    for keyword, value in node.items():
        if keyword in ("properties", "$defs", "patternProperties"):
            for sub in value.values():
                _untitle(sub)
        elif isinstance(value, dict | list) and keyword not in ("default", "enum", "const"):
            _untitle(value)


def render() -> str:
    """The schema as the shipped file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {PATH}", file=sys.stderr)
        return 0
    if argv:
        print("usage: python -m ossbot.schema [--write]", file=sys.stderr)
        return 2
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
