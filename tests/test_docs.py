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


# -- the rendered examples: what ossbot writes for the sample events, quoted in the README ------

EXAMPLE_RUNS = {
    "triage": ("triage", "--event", "examples/issue-opened.json"),
    "review": (
        "review",
        "--event",
        "examples/pull-request-opened.json",
        "--diff",
        "examples/pull-request.diff",
    ),
    "spawn": ("spawn", "--event", "examples/issue-spec.json"),
}
EXAMPLE_BLOCK = (
    "<!-- example: {job} (python tests/test_docs.py writes it) -->\n{body}<!-- /example -->"
)


def rendered_example(job: str) -> str:
    """The first comment ossbot would write for the job's sample event, quoted."""
    import json

    from typer.testing import CliRunner

    args = [a if not a.startswith("examples/") else str(ROOT / a) for a in EXAMPLE_RUNS[job]]
    env = {"OSSBOT_STATE": "none", "GITHUB_TOKEN": "", "LLM_PROVIDER": "none"}
    ran = CliRunner().invoke(app, [*args, "--dry-run", "--format", "json"], env=env)
    assert ran.exit_code == 0, ran.output
    plan = json.loads(ran.stdout)
    body = next(a["body"] for a in plan["actions"] if a.get("body"))
    quoted = "".join(f"> {line}".rstrip() + "\n" for line in body.strip().splitlines())
    return EXAMPLE_BLOCK.format(job=job, body=quoted)


def test_the_readme_shows_what_each_job_writes_for_the_sample_events():
    readme = (ROOT / "README.md").read_text()
    for job in EXAMPLE_RUNS:
        assert rendered_example(job) in readme, (
            f"the README's {job} example is stale: python tests/test_docs.py"
        )


if __name__ == "__main__":  # rewrite the README's examples
    import re
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    path = ROOT / "README.md"
    text = path.read_text()
    for job in EXAMPLE_RUNS:
        pattern = re.compile(rf"<!-- example: {job} .*?<!-- /example -->", re.S)
        assert pattern.search(text), f"no example block for {job} in README.md"
        text = pattern.sub(lambda _m, job=job: rendered_example(job), text)
    path.write_text(text)
