"""The executor: the only code that writes to GitHub. It applies a plan action by action:

- adds each body's hidden marker itself, and cleans every text it sends (`clean`: control and
  bidi characters, terminal escapes, secrets);
- resolves references to what earlier actions produced;
- records the intent of a create before sending it, and each effect as it happens;
- never re-sends a create whose outcome is unknown without looking for its marker first;
- converges with overlapping runs: after creating a comment it reads the comments again and
  keeps the oldest of each kind (and at most `family_max` of a family);
- turns a failure after some writes into one that says what was written.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from ossbot.errors import AmbiguousWrite, GitHubError, OssbotError, TokenPermission, WriteFailed
from ossbot.events import Comment
from ossbot.github.markers import Marker, find_marker, marker_kinds, strip_markers
from ossbot.github.own import own_comments
from ossbot.github.writer import Writer
from ossbot.plan import (
    AddLabels,
    AddSubIssue,
    CreateIssue,
    CreateLabel,
    Plan,
    PostReview,
    RecordReview,
    RecordRun,
    Ref,
    Result,
    RollbackRun,
    SpawnBatch,
    SuggestLabels,
    UpsertCheckRun,
    UpsertComment,
    UpsertIssue,
)
from ossbot.state.reconcile import rebuild_from
from ossbot.state.store import StateStore

RETRIES_AFTER_AMBIGUITY = 1  # a create found absent after an ambiguous answer is sent once more
ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit for one create or update of a check run


class UnknownAction(OssbotError):
    """An action type the executor does not know: a bug, never silently skipped."""


class BotLoginMismatch(OssbotError):
    """GitHub wrote as another login than the one ossbot takes for its own."""


class Executor:
    """`bot_login`: whose comments are ossbot's own. `clean`: applied to every text written."""

    def __init__(
        self,
        writer: Writer,
        store: StateStore,
        bot_login: str,
        *,
        job: str,
        event_key: str,
        clean: Callable[[str], str] = lambda text: text,
        render: Callable[..., str] | None = None,
        handle: str = "@ossbot",
        pace_scale: float = 1.0,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.writer = writer
        self.reader = writer.reader
        self.store = store
        self.bot_login = bot_login
        self.job = job
        self.event_key = event_key
        self.clean = clean
        self.render = render  # a template's name and values -> text (spawn's run comment)
        self.handle = handle
        self.pace_scale = pace_scale  # multiplies spawn's pacing (tests and benchmarks)
        self.progress = progress
        self._recent: dict[str, list[dict[str, Any]]] = {}
        self._again: set[str] = set()  # marker kinds an earlier run already wrote as we do
        self._handlers: dict[str, Callable[[Any], Result]] = {
            "upsert_comment": self._upsert_comment,
            "upsert_issue": self._upsert_issue,
            "add_labels": self._add_labels,
            "suggest_labels": self._suggest_labels,
            "create_label": self._create_label,
            "create_issue": self._create_issue,
            "add_sub_issue": self._add_sub_issue,
            "upsert_check_run": self._upsert_check_run,
            "post_review": self._post_review,
            "record_review": self._record_review,
            "spawn_batch": self._spawn_batch,
            "rollback_run": self._rollback_run,
            "record_run": self._record_run,
        }

    def apply(self, plan: Plan) -> list[Result]:
        unknown = [a.type for a in plan.actions if a.type not in self._handlers]
        if unknown:  # before anything is written
            raise UnknownAction(f"the executor has no handler for action type '{unknown[0]}'")
        results: list[Result] = []
        produced: dict[str, Result] = {}
        for action in plan.actions:
            try:
                resolved = _resolve(action, produced)
                result = self._handlers[action.type](resolved).model_copy(
                    update={"key": action.key}
                )
            except OssbotError as exc:
                if self.writer.written and not isinstance(exc, WriteFailed):
                    raise WriteFailed(exc, self.writer.written) from exc
                raise
            self.store.record_effect(
                self.event_key,
                job=self.job,
                action=action.type,
                repo=action.repo,
                number=getattr(resolved, "number", None),
                result=result.result,
                url=result.url,
                marker=getattr(action, "marker", None),
                object_number=result.number,
                object_id=result.id,
            )
            if action.key is not None:
                produced[action.key] = result
            results.append(result)
        return results

    def _body(self, body: str, kind: str, attrs: dict[str, Any]) -> str:
        """The cleaned body without any marker it quotes (text from issues and comments could
        carry one into a comment of ossbot's), then ossbot's own marker."""
        return (
            strip_markers(self.clean(body)).rstrip() + "\n\n" + Marker(kind, attrs).render() + "\n"
        )

    # -- comments ---------------------------------------------------------------------------

    def _upsert_comment(self, action: UpsertComment) -> Result:
        hint = "On a fork's pull_request run the token is read-only: use pull_request_target"
        result = _permitted(action, self._comment, "comment", hint)
        if action.suggests and result.result in ("created", "updated"):  # not again unchanged
            number = int(action.number)  # type: ignore[arg-type]
            self._log_suggested(action.repo, number, list(action.suggests), action.suggests)
        return result

    def _log_suggested(
        self, repo: str, number: int, labels: list[str], confidence: dict[str, float] | None
    ) -> None:
        self.store.log_labels(
            repo,
            number,
            sorted(labels),
            action="suggested",
            after=[],
            event_key=self.event_key,
            confidence=confidence,
            by=self.bot_login,
        )

    def _comment(self, action: UpsertComment) -> Result:
        # The event and job that wrote it: how a lost ledger is rebuilt (state/reconcile.py).
        attrs = {**action.attrs, "e": self.event_key, "j": self.job}
        if action.version:
            attrs["v"] = action.version
        body = self._body(action.body, action.marker, attrs)
        number = int(action.number)  # type: ignore[arg-type]  # resolved
        if not action.new:
            existing = self._own(action, number, fresh=action.fresh)
            if existing:
                self._note_again(action, existing[0])
                found = {**existing[0].model_dump(), "number": number}
                rebuild_from(self.store, action.repo, found, note=True)
                for extra in existing[1:]:  # left behind by an overlapping run
                    self.writer.delete_comment(action.repo, number, extra.id)
                reread = action.reread and not action.fresh
                return self._edit(action, number, existing[0], body, reread=reread)
        mine = self._create_comment(action, number, body)
        return self._converge(action, number, mine, body)

    def _own(self, action: UpsertComment, number: int, *, fresh: bool) -> list[Comment]:
        return own_comments(
            self.reader, action.repo, number, self.bot_login, kind=action.marker, fresh=fresh
        )

    def _note_again(self, action: UpsertComment, found: Comment) -> None:
        """Whether the comment found was written with the same attributes as ours (say, for the
        same head commit): the run that wrote it may have written the rest of its plan too."""
        theirs = find_marker(found.body, action.marker)
        if theirs is not None and all(
            theirs.get(key) == value
            for key, value in action.attrs.items()
            if isinstance(value, str)
        ):
            self._again.add(action.marker)

    def _edit(
        self, action: UpsertComment, number: int, existing: Comment, body: str, *, reread: bool
    ) -> Result:
        """Edit in place unless it says the same, or a run that read the issue later wrote it.
        The comment is read again just before (`reread`): what was read while planning may be
        old."""
        if reread and not _same(existing.body, body):
            existing = self.writer.comment(action.repo, existing.id) or existing
        if _same(existing.body, body):
            return Result(
                type=action.type, result="unchanged", url=existing.html_url, id=existing.id
            )
        if _newer(find_marker(existing.body, action.marker), action.version):
            return Result(
                type=action.type,
                result="unchanged",
                url=existing.html_url,
                id=existing.id,
                note="a run that read the issue later wrote it",
            )
        edited = self.writer.edit_comment(action.repo, number, existing.id, body)
        return Result(type=action.type, result="updated", url=edited.html_url, id=edited.id)

    def _create_comment(self, action: UpsertComment, number: int, body: str) -> Comment:
        for attempt in range(RETRIES_AFTER_AMBIGUITY + 1):
            try:
                created = self.writer.create_comment(action.repo, number, body)
            except AmbiguousWrite:
                found = self._own(action, number, fresh=True)
                if found:
                    return found[-1]
                if attempt == RETRIES_AFTER_AMBIGUITY:
                    raise
                continue
            if created.user.login.lower() != self.bot_login.lower():
                raise BotLoginMismatch(
                    f"ossbot's comments are written as {created.user.login}, but it takes "
                    f"{self.bot_login}'s for its own and would not find them again: set bot.login "
                    f"in .github/ossbot.yml (or --bot-login) to {created.user.login}"
                )
            return created
        raise AssertionError("unreachable")  # pragma: no cover

    def _converge(self, action: UpsertComment, number: int, mine: Comment, body: str) -> Result:
        """Read the comments again: keep the oldest of this kind (the newest content on it), and
        within a family at most `family_max`, by age."""
        prefix = action.family or action.marker
        listed = own_comments(
            self.reader, action.repo, number, self.bot_login, prefix=prefix, fresh=True
        )
        same = [c for c in listed if action.marker in marker_kinds(c.body)]
        if not same:  # ours was deleted by an overlapping run meanwhile: nothing is left to do
            return Result(
                type=action.type, result="withdrawn", note="removed by an overlapping run"
            )
        keep = same[0]
        for extra in same[1:]:
            self.writer.delete_comment(action.repo, number, extra.id)
        result = Result(type=action.type, result="created", url=keep.html_url, id=keep.id)
        if keep.id != mine.id:
            self._note_again(action, keep)
            result = Result(
                type=action.type,
                result="merged",
                url=keep.html_url,
                id=keep.id,
                note="an overlapping run had written it first",
            )
            theirs = find_marker(keep.body, action.marker)
            if not _same(keep.body, body) and not _newer(theirs, action.version):
                self.writer.edit_comment(action.repo, number, keep.id, body)
        if action.family and action.family_max and keep.id == mine.id:
            left = [c for c in listed if c.id not in {extra.id for extra in same[1:]}]
            first = [c.id for c in _one_per_kind(left, action.family)][: action.family_max]
            if keep.id not in first:
                self.writer.delete_comment(action.repo, number, keep.id)
                return Result(
                    type=action.type,
                    result="withdrawn",
                    note=f"overlapping runs reached the limit of {action.family_max}",
                )
        return result

    # -- labels -------------------------------------------------------------------------------

    def _add_labels(self, action: AddLabels) -> Result:
        number = int(action.number)  # type: ignore[arg-type]
        now = self.writer.add_labels(action.repo, number, action.labels)
        if action.limit is None:
            return Result(type=action.type, result="added")
        on_issue = {name.lower() for name in now}
        ours = [name for name in action.labels if name.lower() in on_issue]
        before = {name.lower() for name in action.applied_before} & on_issue
        present = {name.lower() for name in action.present}
        others = on_issue - present - {name.lower() for name in ours} - before
        excess = len(before | others | {name.lower() for name in ours}) - action.limit
        removed = []
        for name in reversed(ours):  # the weakest of ours go first
            if excess <= 0:
                break
            self.writer.remove_label(action.repo, number, name)
            removed.append(name)
            excess -= 1
        note = (
            f"removed {', '.join(removed)}: overlapping runs added labels too" if removed else None
        )
        kept = [name for name in ours if name not in removed]
        if kept:  # whether people keep them decides when they become training data
            self.store.log_labels(
                action.repo,
                number,
                kept,
                action="applied",
                after=[name for name in now if name not in removed],
                event_key=self.event_key,
                confidence=action.confidence,
                source=action.source,
                by=self.bot_login,
            )
        return Result(type=action.type, result="added", note=note)

    def _suggest_labels(self, action: SuggestLabels) -> Result:
        items = [
            {
                "name": s.name,
                "suggest": True,
                "confidence": s.confidence,
                "rationale": self.clean(s.rationale),
            }
            for s in action.labels
        ]
        self.writer.add_labels(action.repo, int(action.number), items)  # type: ignore[arg-type]
        number = int(action.number)  # type: ignore[arg-type]
        self._log_suggested(action.repo, number, [s.name for s in action.labels], None)
        return Result(type=action.type, result="suggested")

    def _create_label(self, action: CreateLabel) -> Result:
        label = self.writer.create_label(action.repo, action.name, action.color, action.description)
        return Result(type=action.type, result="created", id=label.id)

    # -- issues -------------------------------------------------------------------------------

    def _create_issue(self, action: CreateIssue) -> Result:
        marker = Marker(action.marker, dict(action.attrs)).render()
        body = self._body(action.body, action.marker, dict(action.attrs))
        earlier = self.store.intents(action.repo, marker)
        intent = self.store.intend(
            self.event_key,
            job=self.job,
            action=action.type,
            repo=action.repo,
            number=None,
            marker=marker,
        )
        found = self._issue_with(action.repo, marker) if earlier else None  # an unfinished run's
        state = "exists" if found is not None else "created"
        ambiguous = 0
        while found is None:
            try:
                found = self.writer.create_issue(
                    action.repo,
                    self.clean(action.title),
                    body,
                    action.labels,
                    action.assignees,
                    action.milestone,
                )
            except AmbiguousWrite:
                found = self._issue_with(action.repo, marker, fresh=True)
                ambiguous += 1
                if found is None and ambiguous > RETRIES_AFTER_AMBIGUITY:
                    self.store.intent_done(
                        intent, state="unknown", number=None, object_id=None, url=None
                    )
                    raise
        self.store.intent_done(
            intent,
            state=state,
            number=found["number"],
            object_id=found["id"],
            url=found.get("html_url"),
        )
        return Result(
            type=action.type,
            result=state,
            url=found.get("html_url"),
            number=found["number"],
            id=found["id"],
        )

    def _upsert_issue(self, action: UpsertIssue) -> Result:
        body = self._body(action.body, action.marker, {})
        title = self.clean(action.title)
        mine = self._own_issues(action)
        made, notes = None, []
        if not mine:
            create = CreateIssue(
                repo=action.repo, marker=action.marker, title=action.title, body=action.body
            )
            made = self._create_issue(create)
            mine = self._own_issues(action) or [
                {"number": made.number, "id": made.id, "html_url": made.url, "body": body}
            ]
        keep, extra = mine[0], mine[1:]
        for other in extra:  # an overlapping run's: the oldest stays, pinned or not
            if action.pin and other.get("node_id"):
                with suppress(GitHubError, TokenPermission):
                    self.writer.pin_issue(str(other["node_id"]), pin=False)
            self.writer.close_issue(action.repo, int(other["number"]), "duplicate")
        if made is not None and keep["number"] == made.number:
            result = made.result
        elif _same(keep.get("body") or "", body) and keep.get("title") == title:
            result = "unchanged"
        else:
            fields = {"body": body, "title": title}
            keep = {**keep, **self.writer.edit_issue(action.repo, int(keep["number"]), **fields)}
            result = "updated"
        if action.pin:  # every run: a pin that failed once (three pinned already) heals
            if keep.get("node_id"):
                try:
                    self.writer.pin_issue(str(keep["node_id"]))
                except (GitHubError, TokenPermission) as exc:
                    notes.append(f"not pinned: {exc}")
            else:
                notes.append("not pinned: the issue was not listed yet (the next run pins it)")
        return Result(
            type=action.type,
            result=result,
            url=keep.get("html_url"),
            number=int(keep["number"]),
            id=keep.get("id"),
            note="; ".join(notes) or None,
        )

    def _own_issues(self, action: UpsertIssue) -> list[dict[str, Any]]:
        """ossbot's open issues of this marker kind, oldest first."""
        return [
            issue
            for issue in self.writer.open_issues_by(action.repo, self.bot_login)
            if (issue.get("user") or {}).get("login", "").lower() == self.bot_login.lower()
            and action.marker in marker_kinds(issue.get("body") or "")
        ]

    def _issue_with(self, repo: str, marker: str, *, fresh: bool = False) -> dict[str, Any] | None:
        """The issue carrying this marker among the newest ones (read once per run, or again
        when `fresh`: after an ambiguous answer the issue may be newer than that read)."""
        if fresh or repo not in self._recent:
            self._recent[repo] = self.writer.recent_issues(repo)
        for issue in self._recent[repo]:
            user = (issue.get("user") or {}).get("login", "")
            if user.lower() == self.bot_login.lower() and marker in (issue.get("body") or ""):
                return issue
        return None

    def _add_sub_issue(self, action: AddSubIssue) -> Result:
        self.writer.add_sub_issue(action.repo, int(action.parent), int(action.child))  # type: ignore[arg-type]
        return Result(type=action.type, result="linked")

    # -- check runs ---------------------------------------------------------------------------

    def _upsert_check_run(self, action: UpsertCheckRun) -> Result:
        hint = (
            "Add `checks: write` to the workflow's permissions (a GitHub App or GITHUB_TOKEN; "
            "from a fork, use pull_request_target)"
        )
        return _permitted(action, self._check_run, "check run", hint)

    def _check_run(self, action: UpsertCheckRun) -> Result:
        """Annotations are appended by GitHub, never replaced: a run that has some already is
        left as it is when it says the same (a digest of all it says is its `external_id`),
        else a new run of the name is started (GitHub shows the newest)."""
        output: dict[str, Any] = {
            "title": self.clean(action.title),
            "summary": self.clean(action.summary),
        }
        if action.text:
            output["text"] = self.clean(action.text)
        notes = [
            {**a.model_dump(), "title": self.clean(a.title), "message": self.clean(a.message)}
            for a in action.annotations
        ]
        said, marked = _digest([output, action.conclusion]), _digest(notes)
        digest = f"{said}.{marked}"
        batches = [
            notes[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(0, len(notes), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        body: dict[str, Any] = {
            "name": action.name,
            "head_sha": action.head_sha,
            "status": action.status,
            "external_id": digest,
            "output": {**output, **({"annotations": batches[0]} if batches[0] else {})},
        }
        if action.conclusion:
            body["conclusion"] = action.conclusion
        new = action.new_commit is not None and action.new_commit not in self._again
        found = [] if new else self.writer.check_runs(action.repo, action.head_sha, action.name)
        found = [run for run in found if self._ours(run)]  # another app's run of the name
        latest = found[0] if found else None
        if latest is not None and latest.get("external_id") == digest:
            return Result(
                type=action.type, result="unchanged", url=latest.get("html_url"), id=latest["id"]
            )
        annotated = latest is not None and (latest.get("output") or {}).get("annotations_count")
        same_notes = latest is not None and str(latest.get("external_id")).endswith(f".{marked}")
        if latest is not None and (not annotated or same_notes):
            if same_notes:  # the annotations it has are these: only what it says changes
                body["output"] = output
                batches = [[]]
            done = self.writer.update_check_run(action.repo, latest["id"], body)
            state = "updated"
        else:
            state = "created"
            done = self._create_check_run(action, body)
        for batch in batches[1:]:
            self.writer.update_check_run(
                action.repo, done["id"], {"output": {**output, "annotations": batch}}
            )
        return Result(type=action.type, result=state, url=done.get("html_url"), id=done.get("id"))

    def _ours(self, run: dict[str, Any]) -> bool:
        slug = str((run.get("app") or {}).get("slug") or "")
        return not slug or slug.lower() == self.bot_login.lower().removesuffix("[bot]")

    def _create_check_run(self, action: UpsertCheckRun, body: dict[str, Any]) -> dict[str, Any]:
        """Created once: after an ambiguous answer the run is looked for (by its digest) before
        it is sent again."""
        for attempt in range(RETRIES_AFTER_AMBIGUITY + 1):
            try:
                return self.writer.create_check_run(action.repo, body)
            except AmbiguousWrite:
                again = [
                    run
                    for run in self.writer.check_runs(action.repo, action.head_sha, action.name)
                    if self._ours(run) and run.get("external_id") == body["external_id"]
                ]
                if again:
                    return again[0]  # it did get through
                if attempt == RETRIES_AFTER_AMBIGUITY:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- pull request reviews -------------------------------------------------------------------

    def _post_review(self, action: PostReview) -> Result:
        hint = "Inline comments need `pull-requests: write`"
        return _permitted(action, self._review, "inline comments", hint)

    def _review(self, action: PostReview) -> Result:
        """Inline comments whose key no comment of ossbot's carries yet, in one review. A create
        that answered ambiguously is looked for by its comments' markers first."""
        for attempt in range(RETRIES_AFTER_AMBIGUITY + 1):
            posted = self._inline_keys(action)
            todo = [c for c in action.comments if c.key not in posted][: action.limit]
            if not todo:
                state = "unchanged" if attempt == 0 else "created"
                return Result(type=action.type, result=state)
            comments = [
                {
                    "path": c.path,
                    "line": c.line,
                    "side": "RIGHT",
                    "body": self._body(c.body, action.marker, {"k": c.key}),
                }
                for c in todo
            ]
            try:
                review = self.writer.create_review(
                    action.repo, action.number, action.commit_id, self.clean(action.body), comments
                )
            except AmbiguousWrite:
                if attempt == RETRIES_AFTER_AMBIGUITY:
                    raise
                continue
            except GitHubError as exc:
                if exc.status != 422:  # e.g. the commit is no longer the pull request's
                    raise
                return Result(
                    type=action.type, result="rejected", note=f"GitHub refused them: {exc}"
                )
            return Result(
                type=action.type,
                result="created",
                url=review.get("html_url"),
                id=review.get("id"),
                note=f"{len(todo)} inline comment(s)",
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _inline_keys(self, action: PostReview) -> set[str]:
        keys: set[str] = set()
        for comment in self.reader.review_comments(action.repo, action.number):
            user = (comment.get("user") or {}).get("login", "")
            if user.lower() != self.bot_login.lower():
                continue
            marker = find_marker(comment.get("body") or "", action.marker)
            if marker is not None and marker.get("k"):
                keys.add(str(marker.get("k")))
        return keys

    def _spawn_batch(self, action: SpawnBatch) -> Result:
        from ossbot.spawn.execute import run_batch

        return run_batch(self, action)

    def _rollback_run(self, action: RollbackRun) -> Result:
        from ossbot.spawn.execute import rollback

        return rollback(self, action)

    def _record_run(self, action: RecordRun) -> Result:
        self.store.save_run(action.row)
        return Result(type=action.type, result="recorded")

    def _record_review(self, action: RecordReview) -> Result:
        self.store.record_review({**action.row, "event_key": self.event_key})
        return Result(type=action.type, result="recorded")


def _permitted(action: Any, work: Callable[[Any], Result], what: str, hint: str) -> Result:
    """`work(action)`; for an `optional` action, a token that may not do it (403) is a result
    that says so, not a failure."""
    try:
        return work(action)
    except (GitHubError, TokenPermission) as exc:
        refused = isinstance(exc, TokenPermission) or exc.status == 403
        if not (action.optional and refused):
            raise
        return Result(type=action.type, result="not permitted", note=f"no {what}: {exc}. {hint}")


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _resolve(action: Any, produced: dict[str, Result]) -> Any:
    update = {}
    for name, value in action.__dict__.items():
        if isinstance(value, Ref):
            source = produced.get(value.action)
            found = getattr(source, value.field, None) if source else None
            if found is None:
                raise OssbotError(
                    f"{action.describe()}: {value} is not known (that action produced none)"
                )
            update[name] = found
    return action.model_copy(update=update) if update else action


def _same(existing: str, body: str) -> bool:
    """The same comment, whatever version of the issue each was read from."""
    return _unversioned(existing) == _unversioned(body)


# Bookkeeping attributes: the version read (v), the event (e) and the job (j) that wrote it.
_BOOKKEEPING = re.compile(r"(<!-- ossbot:[a-z0-9-]+(?: [a-z0-9_-]+=[^\s>]*)*?) [vej]=[^\s>]*")


def _unversioned(body: str) -> str:
    """The body without its markers' bookkeeping attributes (each marker has at most three)."""
    for _ in range(3):
        body = _BOOKKEEPING.sub(r"\1", body)
    return body.strip()


def _newer(marker: Marker | None, version: str | None) -> bool:
    """Whether what a marker records was read later than `version`."""
    theirs = marker.get("v") if marker else None
    return bool(theirs and version and theirs > version)


def _one_per_kind(comments: list[Comment], prefix: str) -> list[Comment]:
    seen: set[str] = set()
    kept = []
    for comment in comments:
        kinds = [k for k in marker_kinds(comment.body) if k.startswith(prefix)]
        if kinds and kinds[0] not in seen:
            seen.add(kinds[0])
            kept.append(comment)
    return kept
