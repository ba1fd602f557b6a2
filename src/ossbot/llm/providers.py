"""Providers: one method (`complete`) over an SDK, with their failures made uniform.

OpenAI, OpenRouter, DeepSeek, Ollama and custom endpoints go through the openai SDK with a base
URL; Azure through its Azure client; Gemini through google-genai. SDK retries are off: the client
retries uniformly (client.py). SDKs are imported by `prepare()` (or the first call) only, and
the key a provider was given never appears in the message of a ProviderError it raises."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any, Literal

from ossbot.errors import OssbotError
from ossbot.llm.config import ProviderSpec, missing_sdk

ErrorKind = Literal[
    "rate_limit",
    "quota",
    "server",
    "timeout",
    "connection",
    "auth",
    "not_found",
    "bad_request",
    "empty",
]
RETRYABLE: frozenset[str] = frozenset({"rate_limit", "server", "timeout", "connection"})
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)
REDACTED = "***"
MIN_FRAGMENT = 8  # the shortest piece of a key that is redacted wherever it appears


class ProviderError(OssbotError):
    """A provider failed. `kind` says whether trying again can help."""

    def __init__(
        self,
        provider: str,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{provider}: {_describe(kind)}: {message}")
        self.provider, self.kind, self.status, self.retry_after = (
            provider,
            kind,
            status,
            retry_after,
        )

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def _describe(kind: str) -> str:
    return {
        "rate_limit": "rate limited",
        "quota": "quota exhausted",
        "server": "server error",
        "timeout": "timed out",
        "connection": "unreachable",
        "auth": "the key was refused",
        "not_found": "unknown model or endpoint",
        "bad_request": "request refused",
        "empty": "empty answer",
    }[kind]


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


Messages = list[dict[str, str]]


def _sdk(module: str) -> Any:
    """The provider's SDK, or a clear error telling how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_sdk(module) from exc


def make_provider(spec: ProviderSpec) -> OpenAIProvider | GeminiProvider:
    return GeminiProvider(spec) if spec.kind.sdk == "gemini" else OpenAIProvider(spec)


def strip_reasoning(text: str) -> str:
    """Reasoning models' thinking (`<think>…</think>`) never reaches a comment."""
    return _THINK.sub("", text).strip()


class OpenAIProvider:
    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec

    @property
    def supports_schema(self) -> bool:
        return self.spec.structured == "json_schema"

    def prepare(self) -> None:
        """Import the SDK and build its client (with the chat resources it loads lazily), so
        that a timed call times only the call."""
        self._client.chat.completions  # noqa: B018 - the cached properties are the work

    @cached_property
    def _client(self) -> Any:
        openai = _sdk("openai")
        spec = self.spec
        common = dict(
            api_key=spec.api_key or "unused",
            timeout=spec.timeout,
            max_retries=0,
            default_headers=spec.headers or None,
        )
        if spec.kind.sdk == "azure":
            return openai.AzureOpenAI(
                azure_endpoint=spec.endpoint, api_version=spec.api_version, **common
            )
        return openai.OpenAI(base_url=spec.endpoint, **common)

    def complete(
        self, messages: Messages, schema: dict[str, Any] | None = None, schema_name: str = "answer"
    ) -> Completion:
        openai = _sdk("openai")
        request: dict[str, Any] = {"model": self.spec.model, "messages": messages}
        if schema is not None and self.spec.structured == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name,
                    "schema": strict_schema(schema),
                    "strict": True,
                },
            }
        elif schema is not None and self.spec.structured == "json_object":
            request["response_format"] = {"type": "json_object"}
        try:
            response = self._client.chat.completions.create(**request)
        except openai.APIError as exc:
            raise _openai_error(self.spec, exc) from exc
        if not response.choices:
            raise ProviderError(self.spec.name, "empty", "the answer had no choices")
        usage = response.usage
        return Completion(
            strip_reasoning(response.choices[0].message.content or ""),
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or 0,
        )


def _openai_error(spec: ProviderSpec, exc: Any) -> ProviderError:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(spec.name, "timeout", "no answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(spec.name, "connection", _message(spec, str(exc)))
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    code = body.get("code") if isinstance(body, dict) else getattr(exc, "code", None)
    detail = body.get("message") if isinstance(body, dict) else None
    message = _message(spec, detail or getattr(exc, "message", None) or str(exc))
    retry_after = _retry_after(getattr(exc, "response", None))
    return ProviderError(
        spec.name, _kind(status, code), message, status=status, retry_after=retry_after
    )


def _kind(status: int | None, code: Any = None) -> ErrorKind:
    if status == 429:
        return (
            "quota"
            if code in ("insufficient_quota", "billing_hard_limit_reached")
            else "rate_limit"
        )
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status is not None and status >= 500:
        return "server"
    return "bad_request"


def _retry_after(response: Any) -> float | None:
    """The wait the server asks for, in seconds: `retry-after-ms` (OpenAI, Azure) wins over
    `retry-after`, which is seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    headers = getattr(response, "headers", None) or {}
    milliseconds = _seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    return seconds if seconds is not None else _until(value)


def _seconds(value: Any) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return max(0.0, number) if number is not None and number == number else None  # not NaN


def _until(date: str) -> float | None:
    """The seconds from now until an HTTP-date; 0 for a date already past."""
    try:
        when = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _message(spec: ProviderSpec, text: str) -> str:
    """An error text fit for a ProviderError: the spec's key redacted, on one short line."""
    return _short(redact(str(text), spec.api_key))


def redact(text: str, secret: str | None) -> str:
    """TEXT with SECRET, and any piece of at least MIN_FRAGMENT characters that begins or ends
    it, replaced by `***` (providers echo keys, or their first characters, in error texts). A
    key shorter than that is redacted only where it stands alone, not inside a word."""
    if not secret:
        return text
    if len(secret) < MIN_FRAGMENT:
        alone = rf"(?<![\w-]){re.escape(secret)}(?![\w-])"
        return re.sub(alone, REDACTED, text)
    spans = _prefix_spans(text, secret) + _prefix_spans(text[::-1], secret[::-1], reverse=True)
    return _replace(text, spans)


def _prefix_spans(text: str, secret: str, reverse: bool = False) -> list[tuple[int, int]]:
    """Where pieces of TEXT begin like SECRET for MIN_FRAGMENT characters or more (REVERSE:
    TEXT and SECRET are reversed, the spans are given in the unreversed text)."""
    spans = []
    start = text.find(secret[:MIN_FRAGMENT])
    while start != -1:
        length = MIN_FRAGMENT
        while length < len(secret) and text[start + length : start + length + 1] == secret[length]:
            length += 1
        end = start + length
        spans.append((len(text) - end, len(text) - start) if reverse else (start, end))
        start = text.find(secret[:MIN_FRAGMENT], start + 1)
    return spans


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    """TEXT with each run of overlapping SPANS replaced by one `***`."""
    pieces: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if start > done or not pieces:
            pieces += [text[done:start], REDACTED]
        done = max(done, end)
    return "".join(pieces) + text[done:]


def _short(text: str) -> str:
    first = " ".join(str(text).split())
    return first[:300]


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema as OpenAI's strict structured outputs accept it: every object closed, every
    property required, keywords strict mode rejects dropped (answers are validated anyway)."""
    result = copy.deepcopy(schema)
    _close(result)
    return result


_UNSUPPORTED_IN_STRICT = (
    "default",
    "maxItems",
    "minItems",
    "maxLength",
    "minLength",
    "pattern",
    "format",
)


def _close(node: Any) -> None:
    if isinstance(node, dict):
        for keyword in _UNSUPPORTED_IN_STRICT:
            if not isinstance(node.get(keyword), dict):
                node.pop(keyword, None)
        if node.get("type") == "object" or "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


class GeminiProvider:
    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec

    supports_schema = True

    def prepare(self) -> None:
        """Import the SDK and build its client, so that a timed call times only the call."""
        self._client  # noqa: B018 - the cached property is the work

    @cached_property
    def _client(self) -> Any:
        genai = _sdk("google.genai")
        from google.genai import types

        options = types.HttpOptions(
            base_url=self.spec.endpoint,
            timeout=int(self.spec.timeout * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        return genai.Client(api_key=self.spec.api_key, http_options=options)

    def complete(
        self, messages: Messages, schema: dict[str, Any] | None = None, schema_name: str = "answer"
    ) -> Completion:
        _sdk("google.genai")  # the install hint, not a ModuleNotFoundError, when it is missing
        from google.genai import types

        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system") or None
        contents = [
            types.Content(
                role="model" if m["role"] == "assistant" else "user",
                parts=[types.Part(text=m["content"])],
            )
            for m in messages
            if m["role"] != "system"
        ]
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json" if schema is not None else None,
            response_json_schema=schema,
        )
        try:
            response = self._client.models.generate_content(
                model=self.spec.model, contents=contents, config=config
            )
        except Exception as exc:
            raise _gemini_error(self.spec, exc) from exc
        return Completion(_gemini_text(response), *_gemini_usage(response))


def _gemini_text(response: Any) -> str:
    """The first candidate's text parts, its thought parts left out."""
    content = response.candidates[0].content if response.candidates else None
    parts = content.parts or [] if content is not None else []
    return strip_reasoning("".join(p.text for p in parts if p.text and not p.thought))


def _gemini_usage(response: Any) -> tuple[int, int]:
    usage = response.usage_metadata
    if usage is None:
        return 0, 0
    return usage.prompt_token_count or 0, usage.candidates_token_count or 0


def _gemini_error(spec: ProviderSpec, exc: Exception) -> Exception:
    from google.genai import errors

    provider = spec.name
    if isinstance(exc, errors.APIError):
        message = _message(spec, exc.message or str(exc))
        return ProviderError(
            provider,
            _kind(exc.code),
            message,
            status=exc.code,
            retry_after=_retry_after(getattr(exc, "response", None)),
        )
    name = type(exc).__name__
    if "Timeout" in name:
        return ProviderError(provider, "timeout", "no answer in time")
    if "Connect" in name or isinstance(exc, OSError):
        return ProviderError(provider, "connection", _message(spec, str(exc)))
    return exc
