"""Acting as a GitHub App from a terminal: `--app-id` and `--app-key` are exchanged for an
installation token of the one repository the run is about, and the app's bot login.

In Actions the same comes from `actions/create-github-app-token` (its token is the action's
`token`); the login is then asked of GitHub (Context.bot_login). Three requests, signed with a
JWT by PyGithub's `AppAuth`: the app (its slug, hence `slug[bot]`), its installation on the
repository, and a token limited to that repository. The token lasts an hour, longer than a run.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ossbot.errors import ConfigError, GitHubError, InputError, TokenRejected
from ossbot.github.http import GitHubHTTP

PEM_START = "-----BEGIN"


@dataclass(frozen=True)
class Installation:
    token: str
    login: str  # the app's bot: "slug[bot]"
    installation_id: int
    expires_at: str | None


def app_auth(app_id: str | None, key: str | None) -> Any:
    """PyGithub's JWT auth for the app; a ConfigError naming the flag when either is missing or
    the key is not a private key."""
    app_id, key = (app_id or "").strip(), (key or "").strip()
    if not app_id or not key:
        missing = "--app-key (OSSBOT_APP_KEY)" if app_id else "--app-id (OSSBOT_APP_ID)"
        raise ConfigError(f"a GitHub App needs its ID and its private key: {missing} is not set")
    if not (app_id.isdigit() or app_id.startswith("Iv")):
        raise ConfigError(
            f"--app-id: an app ID is a number or a Client ID (Iv...) (got {app_id!r})"
        )
    pem = _pem(key)
    from github import Auth

    return Auth.AppAuth(app_id, pem)


def _pem(key: str) -> str:
    """The key's PEM text, from the text itself (also base64-encoded, as one-line secrets hold
    it), or from a file. No message ever quotes the value: it may be the key."""
    text = _as_text(key)
    if text is None:
        try:
            path = Path(key).expanduser()
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError, ValueError):
            text = None
        if text is None:
            raise ConfigError(
                "--app-key: neither a PEM private key nor a readable .pem file (give the "
                "file's path, or the key's text)"
            )
        text = _as_text(text) or text
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        loaded = load_pem_private_key(text.encode(), password=None)
    except TypeError:
        raise ConfigError(
            "--app-key: the key has a passphrase; give it without one (as GitHub generates it)"
        ) from None
    except ValueError:
        raise ConfigError(
            "--app-key: not a PEM private key (the app's settings page generates one: "
            "'Generate a private key')"
        ) from None
    if not isinstance(loaded, RSAPrivateKey):
        raise ConfigError("--app-key: a GitHub App's key is an RSA key; this one is not")
    return text


def _as_text(value: str) -> str | None:
    """The PEM block in `value` (after a BOM or openssl's attribute lines; or base64-decoded),
    or None when the value reads as a path."""
    start = value.find(PEM_START)
    if start >= 0:
        return value[start:]
    compact = "".join(value.split())
    if len(compact) > 200:
        import base64
        import binascii

        try:
            decoded = base64.b64decode(compact, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return value  # key-like text, not a path: it will fail as a key, unquoted
        return decoded[decoded.find(PEM_START) :] if PEM_START in decoded else value
    return None


# Installation tokens minted by this process: revoked when their session closes.
MINTED: set[str] = set()


def installation(
    http: GitHubHTTP, repo: str, app_id: str, server_url: str = "https://github.com"
) -> Installation:
    """The app's installation token for `repo`, through `http` signed as the app."""
    try:
        app = http.call("GET", "/app")
    except TokenRejected as exc:
        raise InputError(
            f"GitHub rejected the app's credentials (--app-id {app_id}, --app-key): "
            f"{_cause(exc)}; check the ID and that the key is the app's current one"
        ) from None
    slug = str(app.get("slug") or "")
    if not slug:
        raise GitHubError("GitHub's answer to GET /app names no app slug")
    try:
        found = http.call("GET", f"/repos/{repo}/installation")
    except GitHubError as exc:
        if exc.status == 404:
            raise InputError(
                f"the GitHub App {slug} is not installed on {repo}: install it there "
                f"({server_url.rstrip('/')}/apps/{slug}/installations/new) or choose another "
                "repository"
            ) from None
        raise
    number = int(found["id"])
    name = repo.split("/", 1)[1]
    answer = http.call(
        "POST",
        f"/app/installations/{number}/access_tokens",
        body={"repositories": [name]},  # this repository only: a token of least reach
        idempotent=True,  # a second token is as good as the first
    )
    MINTED.add(str(answer["token"]))
    return Installation(
        token=str(answer["token"]),
        login=f"{slug}[bot]",
        installation_id=number,
        expires_at=answer.get("expires_at"),
    )


def _cause(exc: Exception) -> str:
    text = str(exc)
    start, end = text.find("("), text.find(")")
    return text[start + 1 : end] if 0 <= start < end else text


def revoke(http: GitHubHTTP) -> None:
    """Revoke the session's token if this process minted it (it would stay valid an hour);
    a failure is harmless: it expires anyway."""
    token = http.token
    if token not in MINTED:
        return
    MINTED.discard(token)
    with suppress(GitHubError, InputError):
        http.call("DELETE", "/installation/token")
