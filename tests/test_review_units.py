"""The review's parts: diff parsing, paths, selection within the budget, the offline engine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ossbot.repo_config import DEFAULT_IGNORE
from ossbot.review.diff import parse_file, parse_patch
from ossbot.review.offline import category, file_note, pull_findings, scores
from ossbot.review.paths import ignored_by, kind_of
from ossbot.review.select import select


def entry(name, patch=None, status="modified", additions=None, deletions=0, **extra):
    added = additions if additions is not None else (patch or "").count("\n+")
    return {
        "filename": name,
        "status": status,
        "additions": added,
        "deletions": deletions,
        **({"patch": patch} if patch is not None else {}),
        **extra,
    }


HUNKS = (
    "@@ -1,3 +1,4 @@ def main():\n"
    " a = 1\n"
    "-b = 2\n"
    "+b = 3\n"
    "+c = 4\n"
    " d = 5\n"
    "@@ -10,2 +11,2 @@\n"
    " x\n"
    "-y\n"
    "+z\n"
    "\\ No newline at end of file"
)


def test_patch_lines_carry_new_file_numbers():
    hunks = parse_patch(HUNKS)
    assert [h.added for h in hunks] == [[(2, "b = 3"), (3, "c = 4")], [(12, "z")]]
    assert hunks[0].right_lines == {1, 2, 3, 4}
    assert hunks[1].right_lines == {11, 12}
    assert hunks[0].removed == ["b = 2"]
    assert hunks[0].header.endswith("def main():")


def test_a_malformed_patch_is_a_coverage_gap_not_a_crash():
    diff = parse_file(entry("a.py", "@@ -1,5 +1,5 @@\n+only one line"))
    assert diff.problem and "could not be parsed" in diff.problem
    assert diff.hunks == []


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_patch_text_parses_or_is_reported(text):
    diff = parse_file(entry("x.py", text))
    assert diff.problem is None or "patch" in diff.problem


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("src/app.py", "source"),
        ("tests/test_app.py", "test"),
        ("pkg/thing_test.go", "test"),
        ("web/button.spec.ts", "test"),
        ("docs/guide.md", "docs"),
        ("README.rst", "docs"),
        ("CHANGELOG", "docs"),
        ("package-lock.json", "lock"),
        ("rust/Cargo.lock", "lock"),
        (".github/workflows/ci.yml", "config"),
        ("Dockerfile", "config"),
        ("pyproject.toml", "config"),
        ("assets/logo.png", "other"),
    ],
)
def test_kinds(path, kind):
    assert kind_of(path) == kind


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("package-lock.json", True),
        ("frontend/yarn.lock", True),
        ("vendor/github.com/x/y.go", True),
        ("src/vendor.py", False),
        ("static/app.min.js", True),
        ("static/app.js", False),
        ("api/service_pb2.py", True),
        ("go.sum", True),
        ("dist/bundle.js", True),
        ("src/dist.py", False),
        ("ui/__snapshots__/a.snap", True),
    ],
)
def test_default_ignores(path, ignored):
    assert (ignored_by(path, DEFAULT_IGNORE) is not None) is ignored


def test_anchored_globs_and_double_star():
    assert ignored_by("gen/a/b.py", ["gen/**"]) == "gen/**"
    assert ignored_by("src/gen/a.py", ["gen/**"]) == "gen/**"  # a folder at any depth
    assert ignored_by("src/gen/a.py", ["/gen/**"]) is None  # anchored at the root
    assert ignored_by("gen/a.py", ["/gen/**"]) == "/gen/**"
    assert ignored_by("src/a/gen/b.py", ["src/gen/**"]) is None
    assert ignored_by("src/gen/a.py", ["**/gen/*.py"]) == "**/gen/*.py"
    assert ignored_by("a.PY", ["*.py"]) == "*.py"


def big_hunk(start, lines, word="x"):
    body = "\n".join(f"+{word}_{i} = {i}" for i in range(lines))
    return f"@@ -{start},0 +{start},{lines} @@\n{body}"


def test_budget_is_filled_source_first_and_reports_what_is_left():
    files = [
        parse_file(entry("docs/guide.md", big_hunk(1, 40))),
        parse_file(entry("tests/test_a.py", big_hunk(1, 40))),
        parse_file(entry("src/a.py", big_hunk(1, 40))),
        parse_file(entry("logo.png", None, status="added", additions=0)),
        parse_file(entry("big.sql", None, additions=50000)),
        parse_file(entry("package-lock.json", big_hunk(1, 5))),
        parse_file(entry("b.py", None, status="renamed", additions=0, previous_filename="a.py")),
    ]
    source_tokens = files[2].tokens
    chosen = select(files, DEFAULT_IGNORE, source_tokens + files[1].tokens)
    assert list(chosen.chosen) == ["tests/test_a.py", "src/a.py"]  # file order kept
    status = {c.path: c.status for c in chosen.coverage}
    assert status == {
        "docs/guide.md": "over-budget",
        "tests/test_a.py": "reviewed",
        "src/a.py": "reviewed",
        "logo.png": "binary",
        "big.sql": "no-patch",
        "package-lock.json": "ignored",
        "b.py": "rename",
    }
    assert chosen.tokens <= chosen.budget


def test_riskier_hunks_first_within_a_file():
    patch = big_hunk(1, 10) + "\n" + big_hunk(50, 10, word="password_token_secret")
    diff = parse_file(entry("src/auth.py", patch))
    one = diff.hunks[1].tokens
    chosen = select([diff], [], one)
    assert chosen.chosen["src/auth.py"] == [diff.hunks[1]]
    assert chosen.coverage[0].status == "partial"


@pytest.mark.parametrize(
    ("title", "paths", "expected"),
    [
        ("fix: crash on start", ["src/a.py"], "fix"),
        ("feat(cli): add --json", ["src/a.py"], "feature"),
        ("Fix typo in README", ["README.md"], "docs"),
        ("Update guide", ["docs/a.md", "docs/b.rst"], "docs"),
        ("More tests", ["tests/test_a.py"], "test"),
        ("Bump deps", ["package.json", "package-lock.json"], "chore"),
        ("Refactor the loader", ["src/a.py"], "refactor"),
        ("Prefix handling", ["src/a.py"], "mixed"),
        ("Add feature and fix bug", ["src/a.py"], "mixed"),
        ("Suffixes", ["src/a.py"], "mixed"),  # "fix" only as a whole word
    ],
)
def test_category(title, paths, expected):
    files = [parse_file(entry(p, big_hunk(1, 2))) for p in paths]
    assert category(title, files) == expected


def test_pull_findings_tests_size_and_lock_files():
    source = parse_file(entry("src/a.py", big_hunk(1, 30)))
    lock = parse_file(entry("web/package-lock.json", big_hunk(1, 3)))
    found = {f.kind: f for f in pull_findings([source, lock], large_lines=20)}
    assert set(found) == {"tests", "size", "lockfile"}
    assert "web/package.json" in found["lockfile"].details
    manifest = parse_file(entry("web/package.json", big_hunk(1, 1)))
    test = parse_file(entry("tests/test_a.py", big_hunk(1, 3)))
    again = {f.kind for f in pull_findings([source, lock, manifest, test], large_lines=1000)}
    assert again == set()


def test_file_risk_rises_with_risky_words_and_paths():
    plain = parse_file(entry("src/a.py", big_hunk(1, 4)))
    risky = parse_file(entry("src/auth.py", big_hunk(1, 30, word="password_hash = token_secret")))
    workflow = parse_file(entry(".github/workflows/ci.yml", big_hunk(1, 6)))
    assert file_note(plain).risk == "low"
    assert file_note(risky).risk == "high"
    assert file_note(workflow).risk == "high"
    assert "touches" in file_note(risky).note


def test_score_card_formula():
    from ossbot.plan import Finding

    def f(kind, severity):
        return Finding(key=kind + severity, kind=kind, title="t", severity=severity)

    card = scores([f("secret", "high"), f("debug-leftover", "low"), f("tests", "low")], [])
    assert card == {
        "correctness": 7.0,
        "readability": 9.0,
        "maintainability": 7.5,
        "overall": 7.6,
    }
    assert scores([], [])["overall"] == 10.0
    many = [f("secret", "high")] * 10
    assert scores(many, [])["correctness"] == 0.0
