"""`ossbot review --diff`: the review of a local change, offline, before it is pushed: the diff
read as GitHub's files endpoint lists files, the same engine, nothing written."""

from __future__ import annotations

from pathlib import Path

from conftest import ossbot
from ossbot.review.diff import files_from_diff

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EVENT = str(EXAMPLES / "pull-request-opened.json")
DIFF = str(EXAMPLES / "pull-request.diff")

RENAME_AND_BINARY = """\
diff --git a/old.txt b/new.txt
similarity index 90%
rename from old.txt
rename to new.txt
index 3333333..4444444 100644
--- a/old.txt
+++ b/new.txt
@@ -1 +1 @@
-a
+b
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/logo.png differ
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 6666666..0000000
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
"""


def test_a_diff_reads_as_the_files_endpoint_lists_files():
    renamed, binary, removed = files_from_diff(RENAME_AND_BINARY)
    assert renamed["filename"] == "new.txt" and renamed["status"] == "renamed"
    assert renamed["previous_filename"] == "old.txt"
    assert renamed["patch"].startswith("@@ -1,1 +1,1 @@") and "\n+b" in renamed["patch"]
    assert (renamed["additions"], renamed["deletions"]) == (1, 1)
    assert binary["status"] == "added" and "patch" not in binary
    assert removed["filename"] == "gone.py" and removed["status"] == "removed"


def test_review_of_a_local_diff_offline(monkeypatch):
    monkeypatch.setenv("OSSBOT_STATE", "none")
    ran = ossbot("review", "--event", EVENT, "--diff", DIFF, "--dry-run", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    plan = ran.json()
    comment = next(a for a in plan["actions"] if a["type"] == "upsert_comment")
    assert "print() call left in" in comment["body"] and "widgets/export.py:17" in comment["body"]
    assert "+10 −3" in comment["body"]  # both files, counted from the diff
    assert plan["dry_run"] is True


def test_without_a_diff_offline_review_says_how_to_preview(monkeypatch):
    monkeypatch.setenv("OSSBOT_STATE", "none")
    ran = ossbot("review", "--event", EVENT, "--dry-run")
    assert ran.exit_code == 0 and "--diff" in ran.stdout


def test_a_diff_must_be_a_dry_run_and_a_diff(tmp_path):
    ran = ossbot("review", "--event", EVENT, "--diff", DIFF)
    assert ran.exit_code == 2 and "add --dry-run" in ran.stderr
    junk = tmp_path / "junk.diff"
    junk.write_text("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n+b\n")
    ran = ossbot("review", "--event", EVENT, "--diff", str(junk), "--dry-run")
    assert ran.exit_code == 2 and "not a unified diff" in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1
    junk.write_text("hello\n")
    ran = ossbot("review", "--event", EVENT, "--diff", str(junk), "--dry-run")
    assert ran.exit_code == 2 and "changes no file" in ran.stderr
    ran = ossbot("review", "--event", EVENT, "--diff", str(tmp_path / "nope"), "--dry-run")
    assert ran.exit_code == 2 and "cannot read" in ran.stderr


def test_quoted_paths_and_no_prefix_diffs_keep_their_names():
    quoted = (
        'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"\n'
        '--- "a/caf\\303\\251.txt"\n+++ "b/caf\\303\\251.txt"\n@@ -1 +1 @@\n-a\n+b\n'
    )
    [entry] = files_from_diff(quoted)
    assert (entry["filename"], entry["status"]) == ("café.txt", "modified")
    [entry] = files_from_diff("--- b/inner.py\n+++ b/inner.py\n@@ -1 +1 @@\n-a\n+b\n")
    assert entry["filename"] == "b/inner.py"  # --no-prefix: a real folder named b
    [entry] = files_from_diff("--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n")
    assert (entry["filename"], entry["status"]) == ("x", "modified")


def test_a_diff_of_a_latin_1_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("OSSBOT_STATE", "none")
    diff = tmp_path / "latin.diff"
    diff.write_bytes(b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+name = '\xe9t\xe9'\n")
    ran = ossbot("review", "--event", EVENT, "--diff", str(diff), "--dry-run")
    assert ran.exit_code == 0, ran.stderr
