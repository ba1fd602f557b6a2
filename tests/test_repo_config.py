from __future__ import annotations

import pytest

from ossbot.errors import ConfigError
from ossbot.repo_config import DEFAULT_RULES, RepoConfig, parse_repo_config


def test_empty_or_missing_config_gives_every_default():
    for text in (None, "", "  \n", "# only a comment\n"):
        assert parse_repo_config(text) == RepoConfig()
    config = RepoConfig()
    assert config.labels.max == 3 and config.labels.create_missing is False
    assert config.triage.actions == ["opened", "edited", "reopened"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("labels: [unclosed\n", "invalid YAML at line 2"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("labels:\n  maxx: 2\n", "unknown key 'labels.maxx': did you mean 'labels.max'?"),
        ("colour: red\n", "unknown key 'colour': valid keys here are bot, triage, labels"),
        ("labels:\n  max: 99\n", "'labels.max': Input should be less than or equal to 10 (got 99)"),
        ("triage:\n  actions: [closed]\n", "'triage.actions.0'"),
        ("labels:\n  rules: {bug: crash}\n", "'labels.rules.bug'"),
    ],
)
def test_errors_name_the_key_and_the_fix(text, expected):
    with pytest.raises(ConfigError) as caught:
        parse_repo_config(text, source="cfg.yml")
    message = str(caught.value)
    assert message.startswith("cfg.yml: ")
    assert expected in message
    assert "\n" not in message


def test_rules_merge_over_the_defaults_and_empty_turns_one_off():
    config = parse_repo_config(
        "labels:\n  rules:\n    bug: [kaputt]\n    question: []\n    perf: [slow]\n"
    )
    rules = config.labels.effective_rules()
    assert rules["bug"] == ["kaputt"]
    assert "question" not in rules
    assert rules["perf"] == ["slow"]
    assert rules["documentation"] == DEFAULT_RULES["documentation"]
