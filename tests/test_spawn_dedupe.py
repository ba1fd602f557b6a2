"""Spawn's deduplication: within the batch and against existing issues, by unique_by."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ossbot.spawn.dedupe import dedupe, key_of
from ossbot.spawn.split import Task


def issue(number, title, body="", pull=False):
    data = {"number": number, "title": title, "body": body}
    if pull:
        data["pull_request"] = {"url": "x"}
    return data


def test_case_spacing_and_punctuation_are_forgiven():
    assert key_of("Add CSV export.", "", "title") == key_of("add  csv export", "", "title")
    assert key_of("A", "body one", "hash") != key_of("A", "body two", "hash")


def test_within_the_batch_and_against_existing_issues():
    tasks = [
        Task("Add CSV export", "a"),
        Task("Add JSON export", "b"),
        Task("add csv export!", "c"),
        Task("Fix the crash", "d"),
    ]
    existing = [issue(12, "Fix the crash"), issue(13, "Add JSON export", pull=True)]
    found = dedupe(tasks, existing, "title")
    assert found.kept == [0, 1]
    assert [(s.index, s.same_as_task, s.same_as_issue) for s in found.skipped] == [
        (2, 0, None),
        (3, None, 12),
    ]


def test_by_hash_the_body_counts_too():
    tasks = [Task("Same title", "first"), Task("Same title", "second")]
    assert dedupe(tasks, [], "hash").kept == [0, 1]
    assert dedupe(tasks, [], "title").kept == [0]


def test_dependencies_follow_what_a_skipped_task_duplicates():
    tasks = [
        Task("Base", "x"),
        Task("base", "x"),  # a duplicate of task 0
        Task("Uses the base", "y", depends_on=(1,)),
        Task("Fix the crash", "w"),
        Task("Needs the crash fixed", "z", depends_on=(3, 4, 9)),
    ]
    found = dedupe(tasks, [issue(40, "Fix the crash", "w")], "hash")
    assert found.kept == [0, 2, 4]
    assert found.depends_on[2] == ((0,), ())  # task 1 was task 0's duplicate
    assert found.depends_on[4] == ((), (40,))  # task 3 is issue #40; itself and later: dropped


@settings(max_examples=150, deadline=None)
@given(
    titles=st.lists(st.sampled_from(["a", "A.", "b", "c d", "C  D", ""]), max_size=12),
    by=st.sampled_from(["title", "body", "hash"]),
)
def test_every_task_is_kept_or_skipped_once(titles, by):
    tasks = [Task(t, t, depends_on=tuple(range(i))) for i, t in enumerate(titles)]
    found = dedupe(tasks, [], by)
    assert sorted(found.kept + [s.index for s in found.skipped]) == list(range(len(tasks)))
    for index, (on_tasks, _) in found.depends_on.items():
        assert all(t in found.kept and t < index for t in on_tasks)
