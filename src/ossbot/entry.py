"""The `ossbot` command's entry point. `ossbot --help` and `ossbot --version` are answered
without importing typer and rich (most of a start-up's time): the help is the text typer
renders, kept in `help.txt` beside this module (`python -m ossbot.entry --write` renders it
again; a test fails when it is stale). Everything else goes to the Typer app."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = Path(__file__).with_name("help.txt")
WIDTH = 80  # the help is rendered for this many columns


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from ossbot import __version__

        sys.stdout.write(f"ossbot {__version__}\n")
        return
    if args == ["--help"] and HELP.is_file():
        sys.stdout.write(HELP.read_text(encoding="utf-8"))
        return
    from ossbot.cli import main as full

    full()


def render() -> str:
    """`ossbot --help` as typer prints it, WIDTH columns, no colour."""
    from typer.testing import CliRunner

    from ossbot.cli import app

    # CliRunner sets these for the call only (rich reads the width when it prints).
    env = {"COLUMNS": str(WIDTH), "TERM": "dumb", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["--help"], prog_name="ossbot", env=env)
    return result.output


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        HELP.write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
