"""Progress while the repository's history is read: told page by page, then done, so that a
terminal shows a bar rather than a silent minute on a large repository."""

from __future__ import annotations

from conftest import REPO
from ossbot.context import build_session
from ossbot.settings import load_settings
from ossbot.triage.history import history


def test_reading_the_history_tells_its_progress_page_by_page(gh):
    for n in range(250):
        gh.add_issue(REPO, f"Issue {n}", "Some body text.", user="jdoe", labels=["bug"])
    session = build_session(load_settings(), REPO, dry_run=True)
    told: list[tuple[str, int, int]] = []
    session.ctx.progress = lambda what, done, total: told.append((what, done, total))
    try:
        found = history(session.ctx)
    finally:
        session.close()
    assert len(found.issues) == 250
    counts = [done for _, done, _ in told]
    assert counts[:2] == [100, 200]  # a page at a time
    assert told[-1][1] == told[-1][2]  # ends complete
    assert all(what == f"reading {REPO}'s issues" for what, _, _ in told)


def test_a_warm_read_says_it_reads_only_what_changed(gh):
    gh.add_issue(REPO, "One issue", "Some body text.", user="jdoe")
    session = build_session(load_settings(), REPO, dry_run=False)
    try:
        history(session.ctx)
        told: list[str] = []
        session.ctx.progress = lambda what, done, total: told.append(what)
        history(session.ctx)
    finally:
        session.close()
    assert told and all(what.endswith("since the last run") for what in told)


def test_a_failed_read_still_ends_the_bar(gh):
    import pytest

    from ossbot.errors import OssbotError

    gh.add_issue(REPO, "One issue", "Some body text.", user="jdoe")
    gh.fail("GET", r"/repos/acme/widgets/issues$", 404)
    session = build_session(load_settings(), REPO, dry_run=True)
    told: list[tuple[int, int]] = []
    session.ctx.progress = lambda what, done, total: told.append((done, total))
    try:
        with pytest.raises(OssbotError):
            history(session.ctx)
    finally:
        session.close()
    assert told and told[-1][0] == told[-1][1]
