"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class OssbotError(Exception):
    """Base class. `exit_code` is what the CLI exits with."""

    exit_code = 1


class InputError(OssbotError):
    """Bad input from the user or the event: exit 2, nothing written."""

    exit_code = 2


class ConfigError(InputError):
    """An invalid `.github/ossbot.yml` or setting."""


class UnsupportedEvent(InputError):
    """The event is not one this command handles."""


class MissingToken(InputError):
    """A write was asked for without a token."""


class TokenRejected(InputError):
    """GitHub refused the token (401)."""


class TokenPermission(InputError):
    """The token may not do what was asked (403 "Resource not accessible by integration").
    `permission` is what to grant, e.g. "issues: write"."""

    def __init__(self, message: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class GitHubError(OssbotError):
    """GitHub failed at run time, after retries. `status` is the HTTP status, when there was one."""

    def __init__(
        self, message: str, status: int | None = None, codes: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes  # the `errors[].code` of a 422 (e.g. "already_exists")


class AmbiguousWrite(GitHubError):
    """A write whose outcome is unknown: it timed out, the connection dropped, or GitHub
    answered 5xx. GitHub may have carried it out, so it is never re-sent blindly."""


class WriteFailed(OssbotError):
    """A failure after something was already written: exit 1, and the message says what was
    written (a 401 or 403 half-way is no longer 'nothing written')."""

    def __init__(self, cause: OssbotError, written: list[str]) -> None:
        shown = written if len(written) <= 6 else [*written[:5], f"and {len(written) - 5} more"]
        super().__init__(f"{cause} (already written before it failed: {'; '.join(shown)})")
        self.cause = cause
        self.written = written


class ProviderCheckFailed(OssbotError):
    """`ossbot llm check` found a provider that does not answer."""


class StateError(OssbotError):
    """The state database could not be read or written."""
