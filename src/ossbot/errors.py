"""Typed errors. Library code raises these; only the CLI turns them into messages and exit codes."""


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


class GitHubError(OssbotError):
    """GitHub failed at run time, after retries. `status` is the HTTP status, when there was one."""

    status: int | None = None


class ProviderCheckFailed(OssbotError):
    """`ossbot llm check` found a provider that does not answer."""


class StateError(OssbotError):
    """The state database could not be read or written."""
