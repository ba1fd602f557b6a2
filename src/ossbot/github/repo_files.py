"""The repository's own ossbot files on the default branch: `.github/ossbot.yml`, and overrides
of templates and prompts under `.github/ossbot/templates/` and `.github/ossbot/prompts/`.

One listing of `.github` tells what exists and the content hashes; contents are cached in the
state DB by git sha (content-addressed, never stale), so a warm run costs one request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ossbot.state.store import StateStore

CONFIG_NAMES = ("ossbot.yml", "ossbot.yaml")


class RepoFiles:
    """`commit`: the default branch's head when the run knows it (Actions sets GITHUB_SHA for
    issue and comment events): the `.github` listing is then cached under it, and a warm run
    reads nothing for its config."""

    def __init__(
        self,
        reader: Any,
        store: StateStore,
        repo: str,
        commit: str | None = None,
        *,
        ref: str | None = None,
    ) -> None:
        self.reader = reader
        self.store = store
        self.repo = repo
        self.commit = commit
        self.ref = ref  # read at this commit, not the default branch (a pull request's base)

    def _entries(self) -> dict[str, tuple[str, str]]:
        if self.commit is None:
            return self.reader.directory(self.repo, ".github", self.ref) or {}
        key = f"dir:{self.repo}:.github@{self.commit}"
        cached = self.store.cache_get(key)
        if cached is not None:
            return {name: (kind, sha) for name, (kind, sha) in json.loads(cached).items()}
        entries = self.reader.directory(self.repo, ".github", self.ref)
        if entries is None and not self.reader.online:
            return {}
        self.store.cache_set(key, json.dumps(entries or {}))
        return entries or {}

    def config(self) -> tuple[str, str] | None:
        """(path, text) of the repository's config file, or None."""
        entries = self._entries()
        name = next((n for n in CONFIG_NAMES if entries.get(n, ("",))[0] == "file"), None)
        if name is None:
            return None
        path = f".github/{name}"
        return path, self._cached(
            f"blob:{entries[name][1]}",
            lambda: self.reader.file_text(self.repo, path, self.ref) or "",
        )

    def template(self, name: str) -> str | None:
        """The repository's override of a comment template, or None."""
        return self.override("templates", name)

    def prompt(self, name: str) -> str | None:
        """The repository's override of a prompt, or None."""
        return self.override("prompts", name)

    def override(self, folder: str, name: str) -> str | None:
        """`.github/ossbot/<folder>/<name>` on the default branch, or None."""
        kind, tree_sha = self._entries().get("ossbot", ("", ""))
        if kind != "dir":
            return None
        listing = json.loads(
            self._cached(
                f"tree:{tree_sha}", lambda: json.dumps(self.reader.tree(self.repo, tree_sha))
            )
        )
        blob_sha = listing.get(f"{folder}/{name}")
        if blob_sha is None:
            return None
        return self._cached(f"blob:{blob_sha}", lambda: self.reader.blob_text(self.repo, blob_sha))

    def _cached(self, key: str, fetch: Callable[[], str]) -> str:
        value = self.store.cache_get(key)
        if value is None:
            value = fetch()
            self.store.cache_set(key, value)
        return value
