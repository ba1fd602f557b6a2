"""Docs are tested: every command is in the README, the config reference matches the model."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from ossbot.cli import app
from ossbot.docs import config_reference

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = get_command(app).commands
    assert commands
    for name, command in commands.items():
        assert command.help, name
        assert f"ossbot {name}" in readme, name


def test_the_configuration_reference_in_the_readme_is_current():
    readme = (ROOT / "README.md").read_text()
    assert config_reference() in readme, (
        "run: python -m ossbot.docs > /tmp/ref.md and paste it into README.md"
    )


def test_the_changelog_names_this_version():
    from ossbot import __version__

    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()
