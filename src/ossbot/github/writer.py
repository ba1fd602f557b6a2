"""Writing GitHub: held only by the executor. Each write forgets the reads it makes stale; the
few reads here are the executor's own (finding what an ambiguous create left behind)."""

from __future__ import annotations

from typing import Any

from ossbot.errors import GitHubError
from ossbot.events import Comment, Label
from ossbot.github.http import GitHubHTTP
from ossbot.github.reader import LiveReader


class Writer:
    """`written` tells, in words, every write GitHub carried out in this run (a failure later
    says what was already written)."""

    def __init__(self, http: GitHubHTTP, reader: LiveReader) -> None:
        self.http = http
        self.reader = reader
        self.written: list[str] = []

    def _did(self, what: str) -> None:
        self.written.append(what)

    # -- comments -------------------------------------------------------------------------------

    def create_comment(self, repo: str, number: int, body: str) -> Comment:
        self.reader.forget("comments", repo, number)
        data = self.http.call(
            "POST", f"/repos/{repo}/issues/{number}/comments", body={"body": body}
        )
        created = Comment.model_validate(data)
        self._did(f"comment created on {repo}#{number} ({created.html_url})")
        return created

    def edit_comment(self, repo: str, number: int, comment_id: int, body: str) -> Comment:
        self.reader.forget("comments", repo, number)
        data = self.http.call(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", body={"body": body}
        )
        edited = Comment.model_validate(data)
        self._did(f"comment edited on {repo}#{number} ({edited.html_url})")
        return edited

    def comment(self, repo: str, comment_id: int) -> Comment | None:
        """The comment as it is now, or None when it was deleted."""
        try:
            return Comment.model_validate(
                self.http.call("GET", f"/repos/{repo}/issues/comments/{comment_id}")
            )
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def delete_comment(self, repo: str, number: int, comment_id: int) -> bool:
        """False when it was gone already (another run deleted it)."""
        self.reader.forget("comments", repo, number)
        try:
            self.http.call("DELETE", f"/repos/{repo}/issues/comments/{comment_id}")
        except GitHubError as exc:
            if exc.status == 404:
                return False
            raise
        self._did(f"comment deleted on {repo}#{number}")
        return True

    # -- labels ---------------------------------------------------------------------------------

    def add_labels(
        self, repo: str, number: int, labels: list[str] | list[dict[str, Any]]
    ) -> list[str]:
        """The issue's labels afterwards. Plain names are applied; objects with `suggest: true`
        become pending suggestions (GitHub's issue suggestions). Adding is idempotent."""
        data = self.http.call(
            "POST", f"/repos/{repo}/issues/{number}/labels", body={"labels": labels}
        )
        names = [item if isinstance(item, str) else item["name"] for item in labels]
        self._did(f"labels added to {repo}#{number}: {', '.join(names)}")
        return [item["name"] for item in data]

    def remove_label(self, repo: str, number: int, name: str) -> None:
        try:
            self.http.call("DELETE", f"/repos/{repo}/issues/{number}/labels/{_quoted(name)}")
        except GitHubError as exc:
            if exc.status != 404:
                raise
            return
        self._did(f"label {name} removed from {repo}#{number}")

    def create_label(self, repo: str, name: str, color: str, description: str | None) -> Label:
        self.reader.forget("labels", repo)
        body = {"name": name, "color": color, "description": description or ""}
        try:  # sending it twice is harmless: names are unique
            data = self.http.call("POST", f"/repos/{repo}/labels", body=body, idempotent=True)
        except GitHubError as exc:
            if "already_exists" not in exc.codes:  # another run created it meanwhile
                raise
            data = self.http.call("GET", f"/repos/{repo}/labels/{_quoted(name)}")
            return Label.model_validate(data)
        self._did(f"label {name} created in {repo}")
        return Label.model_validate(data)

    # -- issues ---------------------------------------------------------------------------------

    def create_issue(
        self,
        repo: str,
        title: str,
        body: str,
        labels: list[str],
        assignees: list[str],
        milestone: int | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"title": title, "body": body}
        if labels:
            payload["labels"] = labels
        if assignees:
            payload["assignees"] = assignees
        if milestone is not None:
            payload["milestone"] = milestone
        created: dict[str, Any] = self.http.call("POST", f"/repos/{repo}/issues", body=payload)
        self._did(f"issue created: {repo}#{created['number']}")
        return created

    def recent_issues(self, repo: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest issues (to find one whose create answered ambiguously)."""
        params = {"state": "all", "sort": "created", "direction": "desc"}
        return list(self.http.pages(f"/repos/{repo}/issues", params, limit=limit))

    def issues_since(self, repo: str, since: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """The issues created at or after `since` (ISO time), newest first: the pages of the
        newest issues up to the first one older (a handful of requests for a run's batch)."""
        found: list[dict[str, Any]] = []
        params = {"state": "all", "sort": "created", "direction": "desc"}
        for issue in self.http.pages(f"/repos/{repo}/issues", params, limit=limit):
            if str(issue.get("created_at") or "") < since:
                break
            found.append(issue)
        return found

    def edit_issue(self, repo: str, number: int, **fields: Any) -> dict[str, Any]:
        """PATCH the issue's fields (title, body, state...): the same edit twice is harmless."""
        data: dict[str, Any] = self.http.call(
            "PATCH", f"/repos/{repo}/issues/{number}", body=fields, idempotent=True
        )
        self._did(f"issue edited: {repo}#{number}")
        return data

    def open_issues_by(self, repo: str, login: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Open issues (not pull requests) opened by `login`, oldest first."""
        params = {"creator": login, "state": "open", "sort": "created", "direction": "asc"}
        found = self.http.pages(f"/repos/{repo}/issues", params, limit=limit)
        return [issue for issue in found if not issue.get("pull_request")]

    def pin_issue(self, node_id: str, *, pin: bool = True) -> None:
        """Pin (or unpin) the issue in the repository (GraphQL only; at most three pinned);
        pinning a pinned issue again changes nothing."""
        name = "pinIssue" if pin else "unpinIssue"
        self.http.graphql(
            f"mutation($id: ID!) {{ {name}(input: {{issueId: $id}}) {{ issue {{ number }} }} }}",
            {"id": node_id},
        )

    def close_issue(self, repo: str, number: int, reason: str) -> dict[str, Any]:
        """Close with a reason (not_planned, duplicate, completed); closing twice is harmless."""
        body = {"state": "closed", "state_reason": reason}
        data: dict[str, Any] = self.http.call(
            "PATCH", f"/repos/{repo}/issues/{number}", body=body, idempotent=True
        )
        self._did(f"issue closed ({reason}): {repo}#{number}")
        return data

    def remove_sub_issue(self, repo: str, parent: int, child_id: int) -> bool:
        """False when it was not linked (any more)."""
        try:
            self.http.call(
                "DELETE",
                f"/repos/{repo}/issues/{parent}/sub_issue",
                body={"sub_issue_id": child_id},
                idempotent=True,
            )
        except GitHubError as exc:
            if exc.status in (404, 422):
                return False
            raise
        self._did(f"issue {child_id} unlinked from {repo}#{parent}")
        return True

    def add_blocked_by(self, repo: str, number: int, blocker_id: int) -> bool:
        """Mark `number` blocked by the issue of id `blocker_id`; False when it was already."""
        try:
            self.http.call(
                "POST",
                f"/repos/{repo}/issues/{number}/dependencies/blocked_by",
                body={"issue_id": blocker_id},
                idempotent=True,
            )
        except GitHubError as exc:
            if exc.status == 422 and blocker_id in self.blocked_by_ids(repo, number):
                return False
            raise
        self._did(f"{repo}#{number} marked blocked by issue {blocker_id}")
        return True

    def blocked_by_ids(self, repo: str, number: int) -> set[int]:
        path = f"/repos/{repo}/issues/{number}/dependencies/blocked_by"
        return {item["id"] for item in self.http.pages(path)}

    def sub_issues(self, repo: str, parent: int) -> list[dict[str, Any]]:
        return list(self.http.pages(f"/repos/{repo}/issues/{parent}/sub_issues"))

    def add_sub_issue(self, repo: str, parent: int, child_id: int) -> dict[str, Any]:
        body = {"sub_issue_id": child_id}
        try:
            linked: dict[str, Any] = self.http.call(
                "POST", f"/repos/{repo}/issues/{parent}/sub_issues", body=body, idempotent=True
            )
        except GitHubError as exc:
            if exc.status == 422 and child_id in self.sub_issue_ids(repo, parent):
                return {}  # linked already: an earlier attempt got through
            raise
        self._did(f"issue {child_id} linked under {repo}#{parent}")
        return linked

    def sub_issue_ids(self, repo: str, parent: int) -> set[int]:
        return {item["id"] for item in self.sub_issues(repo, parent)}

    # -- pull request reviews -------------------------------------------------------------------

    def create_review(
        self, repo: str, number: int, commit_id: str, body: str, comments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A COMMENT review (never an approval: GitHub Actions may not approve)."""
        payload = {"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments}
        review: dict[str, Any] = self.http.call(
            "POST", f"/repos/{repo}/pulls/{number}/reviews", body=payload
        )
        self._did(f"review with {len(comments)} inline comment(s) on {repo}#{number}")
        return review

    # -- check runs -----------------------------------------------------------------------------

    def check_runs(self, repo: str, sha: str, name: str) -> list[dict[str, Any]]:
        params = {"check_name": name, "filter": "latest"}
        data = self.http.call("GET", f"/repos/{repo}/commits/{sha}/check-runs", params=params)
        return list(data.get("check_runs") or [])

    def create_check_run(self, repo: str, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.http.call("POST", f"/repos/{repo}/check-runs", body=body)
        self._did(f"check run '{body.get('name')}' created in {repo}")
        return created

    def update_check_run(self, repo: str, run_id: int, body: dict[str, Any]) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.call(
            "PATCH", f"/repos/{repo}/check-runs/{run_id}", body=body
        )
        self._did(f"check run '{body.get('name')}' updated in {repo}")
        return updated


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
