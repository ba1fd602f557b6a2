"""`ossbot llm check`: one small structured call to each configured provider."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ossbot.llm.client import AllProvidersFailed, LLMClient
from ossbot.llm.config import LLMSetup
from ossbot.llm.prompts import Prompts

WORD = "ossbot"


class CheckAnswer(BaseModel):
    ok: bool
    echo: str


@dataclass
class CheckResult:
    provider: str
    model: str
    endpoint: str
    ok: bool
    seconds: float = 0.0
    structured: str = "no"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str = ""


def check(setup: LLMSetup) -> list[CheckResult]:
    """Each provider on its own (no fallback, no cache), so every link of the chain is tested."""
    prompt = Prompts().render("check.j2", repo="(connectivity check)", word=WORD)
    results = []
    for spec in setup.providers:
        single = LLMSetup(
            [spec],
            setup.max_retries,
            setup.backoff,
            cache_ttl_hours=0,
            input_budget=setup.input_budget,
        )
        result = CheckResult(spec.name, spec.model, spec.endpoint or "(SDK default)", ok=False)
        try:
            answer = LLMClient(single).generate(
                prompt, CheckAnswer, purpose="check", use_cache=False
            )
        except AllProvidersFailed as failure:
            result.error = str(failure)
        else:
            value = answer.value
            result.ok = True
            result.seconds = answer.seconds
            result.structured = (
                "yes" if value and value.ok and value.echo.strip().lower() == WORD else "answer off"
            )
            result.prompt_tokens, result.completion_tokens = (
                answer.prompt_tokens,
                answer.completion_tokens,
            )
        results.append(result)
    return results
