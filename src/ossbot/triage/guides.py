"""The repository's own guides, found with directory listings (no file is downloaded): the
README, the contributing guide (root, `.github/` or `docs/`, as GitHub looks for it) and a
`docs/` folder."""

from __future__ import annotations

from dataclasses import dataclass

from ossbot.context import Context

CONTRIBUTING_FOLDERS = ("", ".github", "docs")


@dataclass(frozen=True)
class Guide:
    title: str
    url: str


def _find(entries: dict[str, tuple[str, str]] | None, stem: str) -> str | None:
    for name, (kind, _) in sorted((entries or {}).items()):
        if kind == "file" and name.lower().split(".")[0] == stem:
            return name
    return None


def contributing(ctx: Context) -> Guide | None:
    root = ctx.reader.directory(ctx.repo, "") or {}
    for folder in CONTRIBUTING_FOLDERS:
        if folder and root.get(folder, ("",))[0] != "dir":  # not listed: no request for it
            continue
        name = _find(ctx.reader.directory(ctx.repo, folder) if folder else root, "contributing")
        if name:
            return Guide("contributing guide", blob_url(ctx, f"{folder}/{name}".lstrip("/")))
    return None


def guides(ctx: Context) -> list[Guide]:
    """README, contributing guide and docs folder, those that exist."""
    found: list[Guide] = []
    root = ctx.reader.directory(ctx.repo, "")
    readme = _find(root, "readme")
    if readme:
        found.append(Guide("README", blob_url(ctx, readme)))
    guide = contributing(ctx)
    if guide:
        found.append(guide)
    if (root or {}).get("docs", ("",))[0] == "dir":
        found.append(Guide("documentation folder", f"{repo_url(ctx)}/tree/HEAD/docs"))
    return found


def repo_url(ctx: Context) -> str:
    return f"{ctx.settings.github_server_url.rstrip('/')}/{ctx.repo}"


def blob_url(ctx: Context, path: str) -> str:
    """HEAD: the default branch, whatever its name."""
    return f"{repo_url(ctx)}/blob/HEAD/{path}"
