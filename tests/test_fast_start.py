"""`ossbot --help` and `--version` start fast (no typer, no rich), and say what the full CLI
says. Times are not asserted here (bench/startup.py measures them); imports are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ossbot import __version__
from ossbot.entry import HELP, render

OSSBOT = str(Path(sys.executable).parent / "ossbot")


def test_the_kept_help_is_what_typer_renders():
    assert HELP.read_text(encoding="utf-8") == render(), (
        "src/ossbot/help.txt is stale: python -m ossbot.entry --write"
    )


def test_help_and_version_print_without_importing_typer_or_rich():
    probe = (
        "import sys\n"
        "sys.argv = ['ossbot', '{arg}']\n"
        "from ossbot.entry import main\n"
        "main()\n"
        "print('LOADED', sorted(m for m in ('typer', 'rich', 'click', 'github') if m in sys.modules))\n"
    )
    for arg, expected in (("--help", "Usage: ossbot"), ("--version", f"ossbot {__version__}")):
        done = subprocess.run(
            [sys.executable, "-c", probe.format(arg=arg)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert expected in done.stdout
        assert "LOADED []" in done.stdout, done.stdout


def test_the_installed_command_answers_and_still_runs_everything_else():
    help_text = subprocess.run([OSSBOT, "--help"], capture_output=True, text=True, check=True)
    assert help_text.stdout == HELP.read_text(encoding="utf-8")
    version = subprocess.run([OSSBOT, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"ossbot {__version__}"
    sub = subprocess.run([OSSBOT, "labels", "--help"], capture_output=True, text=True, check=True)
    assert "eval" in sub.stdout
    bad = subprocess.run([OSSBOT, "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2


def _commands(group, prefix=()):
    import click

    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_no_help_shows_a_flag_as_taking_a_value():
    """A flag (--dry-run) is shown without a type: `<bool>` read as `--dry-run true`."""
    import typer.main

    from conftest import ossbot
    from ossbot.cli import app

    every = list(_commands(typer.main.get_command(app)))
    assert len(every) > 10
    for path in [(), *every]:
        shown = ossbot(*path, "--help")
        assert shown.exit_code == 0, path
        assert "<bool>" not in shown.stdout, path
    assert "<str>" in ossbot("triage", "--help").stdout  # options that take a value keep theirs
