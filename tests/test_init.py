"""`ossbot init`: the packaged workflows and a commented config, written into a checkout."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ossbot
from ossbot.init import config_entries, config_text
from ossbot.repo_config import RepoConfig, parse_repo_config
from ossbot.schema import SCHEMA_URL

CONFIG = ".github/ossbot.yml"
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@]+)?@[0-9a-f]{40}")


def packaged() -> dict[str, bytes]:
    folder = resources.files("ossbot.workflows")
    return {
        entry.name.removesuffix(".yml"): entry.read_bytes()
        for entry in folder.iterdir()
        if entry.name.endswith(".yml")
    }


def target(name: str) -> str:
    return (
        ".github/workflows/ossbot.yml"
        if name == "ossbot"
        else f".github/workflows/ossbot-{name}.yml"
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    return root


def files_in(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def uncomment(text: str) -> str:
    """Every key line of the generated config uncommented (the header, and the descriptions,
    which are comments inside the commented block, stay comments)."""
    header, _, body = text.partition("\n\n")
    lines = []
    for line in body.splitlines():
        if line.startswith("# ") and not line[2:].lstrip().startswith("#"):
            line = line[2:]
        lines.append(line)
    return header + "\n\n" + "\n".join(lines) + "\n"


# -- the package data ---------------------------------------------------------------------------


def test_the_installed_package_holds_the_example_workflows():
    names = set(packaged())
    assert {"ossbot", "triage", "review", "spawn", "triage-preview"} <= names
    for name, content in packaged().items():
        assert yaml.safe_load(content)["jobs"], name


# -- writing ------------------------------------------------------------------------------------


def test_dry_run_prints_every_file_and_writes_nothing(checkout):
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--workflow", "review", "--dry-run")
    assert ran.exit_code == 0, ran.stderr
    for name in ("triage", "review"):
        assert f"==> {target(name)} (would write) <==" in ran.stdout
        assert packaged()[name].decode() in ran.stdout
    assert f"==> {CONFIG} (would write) <==" in ran.stdout
    assert config_text() in ran.stdout
    assert "nothing written" in ran.stdout
    assert files_in(checkout) == {}


def test_the_default_is_the_all_in_one_workflow_and_the_config(checkout):
    ran = ossbot("init", str(checkout))
    assert ran.exit_code == 0, ran.stderr
    assert files_in(checkout) == {
        ".github/workflows/ossbot.yml": packaged()["ossbot"],
        CONFIG: config_text().encode(),
    }


def test_init_writes_the_chosen_workflows_verbatim_and_says_what_next(checkout):
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--workflow", "REVIEW.yml")
    assert ran.exit_code == 0, ran.stderr
    assert files_in(checkout) == {
        ".github/workflows/ossbot-triage.yml": packaged()["triage"],
        ".github/workflows/ossbot-review.yml": packaged()["review"],
        CONFIG: config_text().encode(),
    }
    assert re.search(r"wrote +\.github/workflows/ossbot-triage\.yml", ran.stdout)
    assert re.search(r"wrote +\.github/ossbot\.yml", ran.stdout)
    assert "git add .github" in ran.stdout
    assert "issues: write" in ran.stdout  # the permissions the workflow gives its token
    assert '"Permissions"' in ran.stdout


def test_init_writes_into_the_current_directory_by_default(checkout, monkeypatch):
    monkeypatch.chdir(checkout)
    ran = ossbot("init", "--workflow", "triage-preview")
    assert ran.exit_code == 0, ran.stderr
    assert set(files_in(checkout)) == {".github/workflows/ossbot-triage-preview.yml", CONFIG}


def test_a_directory_that_is_not_a_checkout_is_said_so(tmp_path):
    ran = ossbot("init", str(tmp_path), "--workflow", "triage")
    assert ran.exit_code == 0, ran.stderr
    assert "not a git checkout" in ran.stdout
    assert (tmp_path / CONFIG).exists()


def test_identical_files_are_left_alone_and_reported_unchanged(checkout):
    assert ossbot("init", str(checkout), "--workflow", "triage").exit_code == 0
    before = {p: (checkout / p).stat().st_mtime_ns for p in files_in(checkout)}
    ran = ossbot("init", str(checkout), "--workflow", "triage")
    assert ran.exit_code == 0, ran.stderr
    assert re.search(r"unchanged +\.github/workflows/ossbot-triage\.yml", ran.stdout)
    assert re.search(r"unchanged +\.github/ossbot\.yml", ran.stdout)
    assert "Nothing written" in ran.stdout
    assert {p: (checkout / p).stat().st_mtime_ns for p in files_in(checkout)} == before


def test_a_file_that_differs_stops_init_before_it_writes_anything(checkout):
    assert ossbot("init", str(checkout), "--workflow", "triage").exit_code == 0
    mine = checkout / ".github/workflows/ossbot-triage.yml"
    mine.write_text("name: mine\n")
    before = files_in(checkout)
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--workflow", "review")
    assert ran.exit_code == 2
    errors = ran.stderr.strip().splitlines()
    assert len(errors) == 1
    assert ".github/workflows/ossbot-triage.yml" in errors[0] and "--force" in errors[0]
    assert files_in(checkout) == before  # not even the new review workflow


def test_force_overwrites_the_workflows_and_keeps_a_config_file(checkout):
    assert ossbot("init", str(checkout), "--workflow", "triage").exit_code == 0
    (checkout / ".github/workflows/ossbot-triage.yml").write_text("name: mine\n")
    (checkout / CONFIG).write_text("labels:\n  max: 1\n")
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--force")
    assert ran.exit_code == 0, ran.stderr
    assert (checkout / ".github/workflows/ossbot-triage.yml").read_bytes() == packaged()["triage"]
    assert (checkout / CONFIG).read_text() == "labels:\n  max: 1\n"
    assert re.search(r"overwrote +\.github/workflows/ossbot-triage\.yml", ran.stdout)
    assert re.search(r"kept +\.github/ossbot\.yml", ran.stdout)


def test_a_config_file_of_ones_own_is_no_conflict(checkout):
    (checkout / ".github").mkdir()
    (checkout / CONFIG).write_text("labels:\n  max: 1\n")
    ran = ossbot("init", str(checkout), "--workflow", "review")
    assert ran.exit_code == 0, ran.stderr
    assert (checkout / CONFIG).read_text() == "labels:\n  max: 1\n"
    assert (checkout / ".github/workflows/ossbot-review.yml").exists()


def test_dry_run_shows_what_force_would_do(checkout):
    assert ossbot("init", str(checkout), "--workflow", "triage").exit_code == 0
    (checkout / ".github/workflows/ossbot-triage.yml").write_text("name: mine\n")
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--dry-run")
    assert ran.exit_code == 0
    assert "(differs: --force overwrites it)" in ran.stdout
    assert "Without --force, ossbot init would stop" in ran.stdout
    forced = ossbot("init", str(checkout), "--workflow", "triage", "--dry-run", "--force")
    assert "(would overwrite)" in forced.stdout
    assert (checkout / ".github/workflows/ossbot-triage.yml").read_text() == "name: mine\n"


def test_json_lists_the_files(checkout):
    ran = ossbot("init", str(checkout), "--workflow", "triage", "--dry-run", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    shown = ran.json()
    assert shown["dry_run"] is True and shown["checkout"] == str(checkout.resolve())
    assert [(f["path"], f["status"], f["written"]) for f in shown["files"]] == [
        (".github/workflows/ossbot-triage.yml", "new", False),
        (CONFIG, "new", False),
    ]
    assert shown["files"][1]["content"] == config_text()
    done = ossbot("init", str(checkout), "--workflow", "triage", "--format", "json").json()
    assert [f["action"] for f in done["files"]] == ["wrote", "wrote"]
    assert "content" not in done["files"][0]


# -- bad input ----------------------------------------------------------------------------------


def test_an_unknown_workflow_is_one_line_with_a_suggestion(checkout):
    ran = ossbot("init", str(checkout), "--workflow", "triag")
    assert ran.exit_code == 2
    assert len(ran.stderr.strip().splitlines()) == 1
    assert "unknown workflow 'triag': did you mean 'triage'?" in ran.stderr
    assert files_in(checkout) == {}


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_bad_path_is_one_line(tmp_path, kind):
    path = tmp_path / "nowhere"
    if kind == "file":
        path.write_text("x")
    ran = ossbot("init", str(path), "--workflow", "triage")
    assert ran.exit_code == 2
    assert len(ran.stderr.strip().splitlines()) == 1
    assert str(path) in ran.stderr


# -- what is written ----------------------------------------------------------------------------


def _uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for value in node.values() for u in _uses(value)]
    if isinstance(node, list):
        return [u for item in node for u in _uses(item)]
    return []


def test_every_workflow_parses_and_pins_the_actions_it_uses(checkout):
    names = sorted(packaged())
    args = [arg for name in names for arg in ("--workflow", name)]
    assert ossbot("init", str(checkout), *args).exit_code == 0
    for name in names:
        document = yaml.safe_load((checkout / target(name)).read_text())
        assert document["jobs"], name
        uses = _uses(document["jobs"])
        assert uses, name
        for ref in uses:
            if ref.startswith(("./", "docker://")):
                continue
            assert PINNED.fullmatch(ref.split("#")[0].strip()), f"{name}: {ref} is not pinned"


def test_the_config_names_its_schema_and_parses_to_the_defaults_as_it_is():
    text = config_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert yaml.safe_load(text) is None
    assert parse_repo_config(text) == RepoConfig()


def test_the_config_uncommented_is_valid_and_holds_every_default():
    text = uncomment(config_text())
    data = yaml.safe_load(text)
    assert data == RepoConfig().model_dump(mode="json")
    assert parse_repo_config(text) == RepoConfig()


def test_the_config_shows_every_key_with_its_meaning():
    lines = config_text().splitlines()
    at = 0
    for entry in config_entries():  # in order, each after the one before
        indent = "  " * entry.depth
        start = at
        at = next(
            i for i in range(at, len(lines)) if lines[i].startswith(f"# {indent}{entry.name}:")
        )
        if entry.description:
            above = [line for line in lines[start:at] if line.startswith(f"# {indent}# ")]
            assert above and entry.description.split()[-1] in above[-1], entry.key
    assert all(len(line) <= 100 for line in lines[1:])


def test_the_config_uncommented_passes_the_shipped_schema():
    import jsonschema

    from ossbot.schema import schema

    jsonschema.Draft202012Validator(schema()).validate(yaml.safe_load(uncomment(config_text())))


def test_one_key_uncommented_with_its_section_changes_only_that_key():
    text = config_text().replace("\n# labels:\n", "\nlabels:\n", 1)
    text = text.replace("\n#   mode: apply\n", "\n  mode: comment\n", 1)
    config = parse_repo_config(text)
    assert config.labels.mode == "comment"
    assert config.model_copy(update={"labels": RepoConfig().labels}) == RepoConfig()


# -- cost ---------------------------------------------------------------------------------------


def test_init_loads_no_github_client_and_no_sdk(tmp_path):
    probe = (
        "import sys\n"
        "from ossbot.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = ('github', 'openai', 'google.genai', 'requests', 'ossbot.context')\n"
        "print(json.dumps({'code': code, 'loaded': [m for m in heavy if m in sys.modules]}),\n"
        "      file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe, "init", str(tmp_path), "--dry-run"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **_pythonpath()},
        timeout=60,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}


def _pythonpath() -> dict[str, str]:
    import os

    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


def test_a_file_where_a_folder_goes_is_one_line(checkout):
    (checkout / ".github").write_text("not a folder")
    ran = ossbot("init", str(checkout), "--workflow", "triage")
    assert ran.exit_code == 2
    assert ran.stderr.strip() == (
        f"ossbot: error: .github is a file in {checkout}: "
        ".github/workflows/ossbot-triage.yml needs it to be a folder"
    )
