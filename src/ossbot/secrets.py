"""The secrets ossbot holds (GitHub token, LLM keys): masked in the Actions log before anything
is printed, and redacted from every message it prints, writes to the job summary, stores or
posts. Providers echo keys in their error messages; this is the last line of defence."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TextIO

from ossbot.settings import Settings

REDACTED = "***"
MIN_LENGTH = 6  # shorter values would redact ordinary words


class Secrets:
    """A multi-line secret (a private key) counts line by line too: the runner masks one line
    per `add-mask` command, and a message may quote a single line of it."""

    def __init__(self, values: Iterable[str | None]) -> None:
        self.values: list[str] = []
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Hold one more secret (a token minted during the run)."""
        if not value:
            return
        found = set(self.values)
        for part in [value, *value.splitlines()]:
            if len(part.strip()) >= MIN_LENGTH:
                found.add(part.strip())
        self.values = sorted(found, key=len, reverse=True)  # longest first: no partial leftovers

    @classmethod
    def of(cls, settings: Settings) -> Secrets:
        return cls(
            [
                settings.token,
                _pem_text(settings.ossbot_app_key),
                settings.llm_api_key,
                settings.llm_fallback_api_key,
                settings.gemini_api_key,
            ]
        )

    def redact(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def mask_commands(self) -> list[str]:
        """Workflow commands that make the runner hide each secret from the log (a command is
        one line: a multi-line secret is masked line by line)."""
        return [f"::add-mask::{value}" for value in self.values if "\n" not in value]

    def filter_logs(self) -> logging.Filter:
        """Redact every log record reaching logging's last-resort handler (the warnings of ossbot
        and its libraries); returns the filter, for removal."""
        found = _RedactingFilter(self)
        if logging.lastResort is not None:
            logging.lastResort.addFilter(found)
        return found


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets.values:
            record.msg = self.secrets.redact(record.getMessage())
            record.args = None
        return True


class RedactingStream:
    """A text stream that redacts what goes through it (stdout and stderr of one command)."""

    def __init__(self, stream: TextIO, secrets: Secrets) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(self._secrets.redact(text))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _pem_text(key: str | None) -> str | None:
    """A private key given as text, in any form (a short one-line path to one is no secret)."""
    if not key:
        return None
    text = key.strip()
    return key if "\n" in text or "-----BEGIN" in text or len(text) > 200 else None


# The secrets of the command running now (set by the CLI), so that one minted during the run
# is redacted and masked from then on.
ACTIVE: list[Secrets] = []


def register(value: str, *, actions: bool) -> None:
    """A secret learned during the run (an app's installation token): held by the command's
    redaction, and masked in the Actions log before it could be printed."""
    if actions:  # first: once held, the value would be redacted from the command itself
        import sys

        for line in Secrets([value]).mask_commands():
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    for secrets in ACTIVE:
        secrets.add(value)
