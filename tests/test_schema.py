"""The JSON Schema of `.github/ossbot.yml`: current, shipped, valid, and in step with the model;
and a bad file reports every error at once, each naming its key, on one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from conftest import ossbot
from ossbot.errors import ConfigError
from ossbot.repo_config import RepoConfig, parse_repo_config
from ossbot.schema import PATH, SCHEMA_URL, render, schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_EVENT = ROOT / "examples" / "issue-opened.json"
REGENERATE = "run: .venv/bin/python -m ossbot.schema --write"

VALIDATOR = jsonschema.Draft202012Validator(schema())


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "check-jsonschema"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "check_jsonschema"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _readme_example() -> str:
    """The ```yaml block right after "## Configuration" in the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1]
    found = re.search(r"^```yaml\n(.*?)^```$", section, re.S | re.M)
    assert found, "no ```yaml block in the README's Configuration section"
    return found.group(1)


# -- the file: current, shipped, valid -------------------------------------------------------


def test_the_committed_schema_is_the_models():
    assert PATH.read_text(encoding="utf-8") == render(), (
        f"src/ossbot/ossbot.schema.json is out of date with the config model; {REGENERATE}"
    )


def test_the_schema_ships_with_the_package():
    shipped = resources.files("ossbot").joinpath("ossbot.schema.json")
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "ossbot.schema.json" in pyproject["tool"]["setuptools"]["package-data"]["ossbot"]


def test_python_m_ossbot_schema_prints_it_and_imports_no_cli():
    done = subprocess.run(
        [sys.executable, "-m", "ossbot.schema"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == render()
    probe = "import sys, ossbot.schema; print([m for m in ('typer', 'rich') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_schema_is_a_good_editor_schema():
    tree = schema()
    assert tree["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert tree["$id"] == SCHEMA_URL and tree["title"] and tree["description"]

    def objects(node: dict[str, Any], key: str) -> None:
        if "$ref" in node:
            assert node.get("description"), f"section '{key}' has no description"
            node = tree["$defs"][node["$ref"].removeprefix("#/$defs/")]
            assert node["additionalProperties"] is False, f"'{key}' lets unknown keys through"
            for name, prop in node["properties"].items():
                objects(prop, f"{key}.{name}".lstrip("."))
        else:
            assert node.get("description"), f"'{key}' has no description"
            assert "default" in node, f"'{key}' shows no default"
            assert "title" not in node

    assert tree["additionalProperties"] is False
    for name, prop in tree["properties"].items():
        objects(prop, name)
    defaults = RepoConfig().model_dump(mode="json")
    labels = tree["$defs"]["LabelsConfig"]["properties"]
    assert labels["exclude"]["default"] == defaults["labels"]["exclude"]  # a default_factory's


def test_the_schema_is_valid_json_schema():
    done = _check_jsonschema("--check-metaschema", str(PATH))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_example_validates(tmp_path):
    example = _readme_example()
    parse_repo_config(example)  # the model takes it
    config = tmp_path / "ossbot.yml"
    config.write_text(example, encoding="utf-8")
    done = _check_jsonschema("--schemafile", str(PATH), str(config))
    assert done.returncode == 0, done.stdout + done.stderr


BAD_FILES = {
    "typo.yml": ("lables:\n  max: 2\n", "$"),
    "range.yml": ("labels:\n  max: 11\n", "$.labels.max"),
    "choice.yml": ("labels:\n  mode: sometimes\n", "$.labels.mode"),
    "type.yml": ("review:\n  ignore_extra: docs/**\n", "$.review.ignore_extra"),
    "nested.yml": ("triage:\n  duplicates:\n    treshold: 0.5\n", "$.triage.duplicates"),
    "handle.yml": ("bot:\n  handle: ossbot\n", "$.bot.handle"),
    "rule.yml": ("labels:\n  rules:\n    bug: ['title:']\n", "$.labels.rules.bug[0]"),
}


def test_bad_files_are_rejected_by_check_jsonschema(tmp_path):
    for name, (text, _) in BAD_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError):
            parse_repo_config(text)
    done = _check_jsonschema(
        "-o", "json", "--schemafile", str(PATH), *(str(tmp_path / name) for name in BAD_FILES)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["parse_errors"] == []
    found = {(Path(e["filename"]).name, e["path"]) for e in report["errors"]}
    assert found == {(name, path) for name, (_, path) in BAD_FILES.items()}


# -- the schema and the model agree ------------------------------------------------------------


def _schema_keys(data: Any) -> set[str]:
    """The dotted keys the schema faults (an unknown key: the key itself, as the model does)."""
    keys: set[str] = set()
    for error in VALIDATOR.iter_errors(data):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "additionalProperties":
            unknown = set(error.instance) - set(error.schema.get("properties", {}))
            keys |= {".".join([*path, str(key)]) for key in unknown}
        else:
            keys.add(".".join(path))
    return keys


def _model_keys(data: Any) -> set[str] | None:
    """The dotted keys the model faults; None when it accepts the data."""
    try:
        RepoConfig.model_validate(data)
    except ValidationError as exc:
        return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}
    return None


def _assert_agree(data: dict[str, Any]) -> None:
    schema_keys, model_keys = _schema_keys(data), _model_keys(data)
    if model_keys is None:
        assert not schema_keys, f"the model takes {data!r}, the schema faults {schema_keys}"
        return
    assert schema_keys, f"the schema takes {data!r}, the model faults {model_keys}"

    # The same places, give or take depth: a validator of a whole value (labels.rules) is
    # faulted at the value by the model, at the item by the schema.
    def within(key: str, others: set[str]) -> bool:
        return any(key == o or key.startswith(o + ".") or o.startswith(key + ".") for o in others)

    assert all(within(key, model_keys) for key in schema_keys), (data, schema_keys, model_keys)
    assert all(within(key, schema_keys) for key in model_keys), (data, schema_keys, model_keys)
    # ... and the one-line message names every key the model faults.
    with pytest.raises(ConfigError) as caught:
        parse_repo_config(yaml.safe_dump(data), source="cfg.yml")
    message = str(caught.value)
    assert "\n" not in message
    for key in model_keys:
        assert f"'{key}'" in message, (key, message)


def _walk() -> tuple[list[tuple[str, ...]], list[tuple[tuple[str, ...], dict[str, Any]]]]:
    """The sections of the file (the top level too), and its keys with their schemas."""
    tree = schema()
    sections: list[tuple[str, ...]] = []
    leaves: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        sections.append(path)
        for name, prop in node["properties"].items():
            if "$ref" in prop:
                walk(tree["$defs"][prop["$ref"].removeprefix("#/$defs/")], (*path, name))
            else:
                leaves.append(((*path, name), prop))

    walk(tree, ())
    return sections, leaves


def _candidates(prop: dict[str, Any]) -> list[Any]:
    """Values for one key, right and wrong: the bounds and just past them, each choice and a
    wrong one, other types. The model also takes a few lax spellings the schema does not (a
    number in quotes, 0 and 1 for a boolean): the schema asks for the canonical ones, so these
    are left out."""
    values: list[Any] = [prop["default"], None, [1], {"a": 1}]
    kinds = prop.get("anyOf", [prop])
    for kind in kinds:
        if "enum" in kind:
            values += [*kind["enum"], "sometimes"]
        elif kind.get("type") == "boolean":
            values += [True, False, 2, "maybe"]
        elif kind.get("type") in ("integer", "number"):
            low = kind.get("minimum", kind.get("exclusiveMinimum"))
            high = kind.get("maximum")
            for bound in (low, high):
                if bound is not None:
                    values += [bound - 1, bound, bound + 1, float(bound)]
            values += [2.5, "plenty"]
        elif kind.get("type") == "string":
            values += ["x", "", 3, "@ossbot", "@my-bot[bot]", "@-bot"]
        elif kind.get("type") == "array":
            values += [[], ["opened", "reopened"], ["a", "b"], "a", [3], ["closed"]]
        elif kind.get("type") == "object":
            values += [
                {},
                {"perf": ["slow"]},
                {"bug": []},
                {"bug": "crash"},
                {"bug": ["  "]},
                {"bug": ["title:"]},
                {"bug": ["Title: crash"]},
                {"triage": "triage"},
                {"review": "god"},
            ]
    return values


SECTIONS, LEAVES = _walk()
CASES: list[tuple[tuple[str, ...], Any]] = [
    (path, value) for path, prop in LEAVES for value in _candidates(prop)
]
# An unknown key in every section, typos, sections that are not mappings, a moved key.
CASES += [((*section, "colour"), "red") for section in SECTIONS]
CASES += [
    (("lables",), {"max": 2}),
    (("labels", "maximum"), 2),
    (("triage", "duplicates", "treshold"), 0.5),
    (("llm", "fallback", "modle"), "x"),
    (("mentions", "handle"), "@bot"),
    (("review",), []),
    (("spawn",), "yes"),
]


def _nested(pairs: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, value in pairs:
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = value
    return data


def test_the_schema_and_the_model_agree_on_every_key_alone():
    assert len(CASES) > 300
    for case in CASES:
        _assert_agree(_nested([case]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CASES), min_size=1, max_size=6))
def test_the_schema_and_the_model_agree_on_whole_files(pairs):
    _assert_agree(_nested(pairs))


def test_a_typo_is_rejected_by_both_and_the_model_says_what_was_meant():
    data = {"labels": {"max": 2, "aply_threshold": 0.8}}
    assert _schema_keys(data) == {"labels.aply_threshold"}
    assert _model_keys(data) == {"labels.aply_threshold"}
    with pytest.raises(ConfigError, match=r"did you mean 'labels\.apply_threshold'\?"):
        parse_repo_config(yaml.safe_dump(data))


# -- every error at once -------------------------------------------------------------------------

THREE_ERRORS = "labels:\n  max: 11\n  mode: sometimes\nlables:\n  deny: [wontfix]\n"
THREE_PARTS = [
    "'labels.max': Input should be less than or equal to 10 (got 11)",
    "'labels.mode': Input should be 'apply', 'comment' or 'suggest' (got 'sometimes')",
    "unknown key 'lables': did you mean 'labels'?",
]


def test_every_error_of_a_file_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        parse_repo_config(THREE_ERRORS, source=".github/ossbot.yml")
    message = str(caught.value)
    assert message.startswith(".github/ossbot.yml: ")
    assert "\n" not in message
    parts = message.removeprefix(".github/ossbot.yml: ").split("; ")
    assert sorted(parts) == sorted(THREE_PARTS)


def test_a_long_value_is_clipped_and_a_section_that_is_no_mapping_says_so():
    with pytest.raises(ConfigError) as caught:
        parse_repo_config(f"labels:\n  allow: {'x' * 500}\nreview: 3\n", source="cfg.yml")
    message = str(caught.value)
    assert "'labels.allow': Input should be a valid list (got 'xxx" in message
    assert len(message) < 200
    assert "'review': Input should be a mapping of keys (got 3)" in message


def _assert_three_errors_on_one_line(result: Any, source: Path) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ossbot: error: {source}: ")
    assert "Traceback" not in result.stderr + result.stdout
    for part in THREE_PARTS:
        assert part in lines[0]


def test_the_cli_reports_every_error_of_a_triage_config(tmp_path):
    config = tmp_path / "bad.yml"
    config.write_text(THREE_ERRORS, encoding="utf-8")
    result = ossbot("triage", "--event", str(EXAMPLE_EVENT), "--dry-run", "--config", str(config))
    _assert_three_errors_on_one_line(result, config)


def test_the_cli_reports_every_error_of_a_labels_eval_config(tmp_path):
    config = tmp_path / "bad.yml"
    config.write_text(THREE_ERRORS, encoding="utf-8")
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps({"title": "a", "body": "b", "labels": ["bug"]}) + "\n")
    result = ossbot("labels", "eval", "--train", str(train), "--config", str(config))
    _assert_three_errors_on_one_line(result, config)
