"""The LLM client: the provider chain with uniform retries, the answer cache, structured output
with one repair attempt, and the accounting of every call."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ossbot.errors import OssbotError
from ossbot.llm.config import LLMSetup, ProviderSpec
from ossbot.llm.prompts import Prompt, estimate_tokens
from ossbot.llm.providers import Completion, Messages, ProviderError, make_provider
from ossbot.llm.structured import InvalidModelOutput, parse
from ossbot.state.store import StateStore

T = TypeVar("T", bound=BaseModel)
MAX_WAIT = 60.0  # the longest wait between two tries, whatever the server asks
SERVER_JITTER = 0.1  # a server-given wait is lengthened by up to this share of it ...
MAX_SERVER_JITTER = 1.0  # ... and at most this many seconds
JSON_INSTRUCTION = (
    "Answer with only a JSON object (no prose, no code fence) that matches this "
    "JSON schema:\n{schema}"
)
REPAIR_INSTRUCTION = (
    "Your answer was not valid: {error}. Answer again with only the corrected JSON object."
)


class OverBudget(OssbotError):
    """A prompt larger than the input budget is never sent."""


class AllProvidersFailed(OssbotError):
    """Every provider of the chain failed; the job uses its offline engine instead."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors) or "no provider is configured")


@dataclass
class Generation(Generic[T]):
    text: str
    value: T | None
    provider: str
    model: str
    cached: bool = False
    fallback: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


@dataclass
class Usage:
    """What this invocation spent, for the run details and the job summary."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    models: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, generation: Generation[Any]) -> None:
        label = f"{generation.provider}:{generation.model}"
        if label not in self.models:
            self.models.append(label)
        if generation.cached:
            self.cached += 1
            return
        self.calls += 1
        self.prompt_tokens += generation.prompt_tokens
        self.completion_tokens += generation.completion_tokens
        self.seconds += generation.seconds

    def summary(self) -> str:
        parts = [
            ", ".join(self.models) or "no model answered",
            f"{self.calls} call(s)",
            f"{self.cached} from cache",
            f"{self.prompt_tokens} tokens in, {self.completion_tokens} out",
            f"{self.seconds:.1f} s",
        ]
        return " · ".join(parts)


class LLMClient:
    """The chain of `setup.providers`; `sleep` is how it waits between retries, `rng` where
    the jitter of those waits comes from."""

    def __init__(
        self,
        setup: LLMSetup,
        store: StateStore | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.setup = setup
        self.store = store
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.usage = Usage()
        self._providers = [make_provider(spec) for spec in setup.providers]

    @property
    def enabled(self) -> bool:
        return self.setup.enabled

    def generate(
        self,
        prompt: Prompt,
        schema: type[T] | None = None,
        *,
        purpose: str,
        json_schema: dict[str, Any] | None = None,
        use_cache: bool = True,
    ) -> Generation[T]:
        """The first provider that answers validly; `json_schema` overrides the schema sent (the
        answer is still validated against `schema`). Raises AllProvidersFailed."""
        sent_schema = json_schema or (schema.model_json_schema() if schema else None)
        errors: list[Exception] = []
        for index, provider in enumerate(self._providers):
            try:
                generation = self._generate_with(
                    provider, prompt, schema, sent_schema, purpose, cache=use_cache and index == 0
                )
            except (ProviderError, InvalidModelOutput, OverBudget) as exc:
                errors.append(
                    exc
                    if not isinstance(exc, InvalidModelOutput)
                    else InvalidModelOutput(f"{provider.spec.name}: invalid answer: {exc}")
                )
                self.usage.failures.append(str(errors[-1]))
                continue
            generation.fallback = index > 0
            self.usage.add(generation)
            return generation
        raise AllProvidersFailed(errors)

    def _generate_with(
        self,
        provider: Any,
        prompt: Prompt,
        schema: type[T] | None,
        sent_schema: dict[str, Any] | None,
        purpose: str,
        cache: bool,
    ) -> Generation[T]:
        spec: ProviderSpec = provider.spec
        key = _cache_key(spec, prompt, sent_schema)
        hit = (
            self.store.llm_cached(key)
            if cache and self.store and self.setup.cache_ttl_hours
            else None
        )
        if hit is not None:
            value = parse(hit["text"], schema) if schema else None
            self._record(purpose, spec, "cached")
            return Generation(hit["text"], value, spec.name, spec.model, cached=True)
        messages = _messages(prompt, sent_schema, native=provider.supports_schema)
        tokens = sum(estimate_tokens(message["content"]) for message in messages)
        if tokens > self.setup.input_budget:
            raise OverBudget(
                f"{spec.name}: the prompt (about {tokens} tokens) is over llm.input_budget "
                f"({self.setup.input_budget}); it was not sent"
            )
        generation = self._complete(provider, messages, sent_schema, purpose)
        if schema is not None:
            generation.value = self._validated(
                provider, messages, sent_schema, schema, generation, purpose
            )
        if cache and self.store and self.setup.cache_ttl_hours:
            self.store.llm_store(
                key,
                provider=spec.name,
                model=spec.model,
                text=generation.text,
                prompt_tokens=generation.prompt_tokens,
                completion_tokens=generation.completion_tokens,
                ttl_hours=self.setup.cache_ttl_hours,
            )
        return generation

    def _validated(
        self,
        provider: Any,
        messages: Messages,
        sent_schema: dict[str, Any] | None,
        schema: type[T],
        generation: Generation[T],
        purpose: str,
    ) -> T:
        """Parse; on failure ask once for a repair, then give up (InvalidModelOutput)."""
        try:
            return parse(generation.text, schema)
        except InvalidModelOutput as error:
            repair = [
                *messages,
                {"role": "assistant", "content": generation.text},
                {"role": "user", "content": REPAIR_INSTRUCTION.format(error=error)},
            ]
            again = self._complete(provider, repair, sent_schema, purpose + ":repair")
            generation.text = again.text
            generation.prompt_tokens += again.prompt_tokens
            generation.completion_tokens += again.completion_tokens
            generation.seconds += again.seconds
            return parse(again.text, schema)

    def _complete(
        self, provider: Any, messages: Messages, sent_schema: dict[str, Any] | None, purpose: str
    ) -> Generation[Any]:
        spec: ProviderSpec = provider.spec
        provider.prepare()  # the SDK's import and client set-up are no part of the latency
        for attempt in range(self.setup.max_retries + 1):
            started = time.monotonic()
            try:
                done: Completion = provider.complete(
                    messages, sent_schema, _schema_name(sent_schema)
                )
            except ProviderError as error:
                self._record(
                    purpose, spec, f"error:{error.kind}", seconds=time.monotonic() - started
                )
                if not error.retryable or attempt == self.setup.max_retries:
                    raise
                self.sleep(self._wait(error, attempt))
                continue
            seconds = time.monotonic() - started
            self._record(purpose, spec, "ok", done.prompt_tokens, done.completion_tokens, seconds)
            if not done.text.strip():
                raise ProviderError(spec.name, "empty", "the model answered nothing")
            return Generation(
                done.text,
                None,
                spec.name,
                spec.model,
                prompt_tokens=done.prompt_tokens,
                completion_tokens=done.completion_tokens,
                seconds=seconds,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, error: ProviderError, attempt: int) -> float:
        """What the server asked for plus a little (never less), or else full jitter on the
        exponential backoff; never more than MAX_WAIT."""
        if error.retry_after is not None:
            asked = error.retry_after
            jitter = self.rng.uniform(0, min(asked * SERVER_JITTER, MAX_SERVER_JITTER))
            return min(asked + jitter, MAX_WAIT)
        return self.rng.uniform(0, min(self.setup.backoff * (2**attempt), MAX_WAIT))

    def _record(
        self,
        purpose: str,
        spec: ProviderSpec,
        outcome: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        seconds: float = 0.0,
    ) -> None:
        if self.store is not None:
            self.store.record_llm_call(
                purpose=purpose,
                provider=spec.name,
                model=spec.model,
                outcome=outcome,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_ms=int(seconds * 1000),
            )


def _messages(prompt: Prompt, schema: dict[str, Any] | None, native: bool) -> Messages:
    messages = prompt.messages()
    if schema is not None and not native:
        instruction = JSON_INSTRUCTION.format(schema=json.dumps(schema, sort_keys=True))
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + "\n\n" + instruction}
    return messages


def _schema_name(schema: dict[str, Any] | None) -> str:
    title = (schema or {}).get("title") or "answer"
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in str(title))[:64]


def _cache_key(spec: ProviderSpec, prompt: Prompt, schema: dict[str, Any] | None) -> str:
    material = json.dumps(
        [spec.name, spec.model, spec.endpoint, prompt.system, prompt.user, schema], sort_keys=True
    )
    return hashlib.sha256(material.encode()).hexdigest()
