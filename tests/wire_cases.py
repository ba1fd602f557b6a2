"""The provider wire cases shared by the cassette recorder and the wire tests: each provider at
its real default endpoint, with the settings a user would give."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ossbot.llm.config import ProviderSpec, resolve
from ossbot.repo_config import parse_repo_config
from ossbot.settings import Settings

MESSAGES = [
    {"role": "system", "content": "You label issues."},
    {"role": "user", "content": "Issue: the app crashes on start. Choose labels."},
]


class Labels(BaseModel):
    labels: list[str]


SCHEMA = Labels.model_json_schema()
ANSWER = {"labels": ["bug"]}


@dataclass(frozen=True)
class WireCase:
    name: str
    env: dict[str, Any]
    real_base: str  # what the SDK calls in production
    fake_path: str  # where the same call lands on the fake LLM server
    headers: dict[str, str] = field(default_factory=dict)  # request headers the cassette must hold
    reasoning: str | None = None

    def spec(self, endpoint: str | None = None) -> ProviderSpec:
        env = dict(self.env)
        if endpoint is not None:
            env["llm_endpoint"] = endpoint
        return resolve(Settings(**env), parse_repo_config("").llm).providers[0]


CASES = [
    WireCase(
        "openai",
        {"llm_provider": "openai", "llm_api_key": "sk-test"},
        "https://api.openai.com/v1",
        "/v1",
        {"authorization": "Bearer sk-test"},
    ),
    WireCase(
        "azure_openai",
        {
            "llm_provider": "azure_openai",
            "llm_api_key": "az-test",
            "llm_model_name": "triage-deploy",
            "llm_endpoint": "https://ossbot-test.openai.azure.com",
        },
        "https://ossbot-test.openai.azure.com",
        "",
        {"api-key": "az-test"},
    ),
    WireCase(
        "openrouter",
        {
            "llm_provider": "openrouter",
            "llm_api_key": "or-test",
            "openrouter_site_url": "https://github.com/acme/widgets",
            "openrouter_app_name": "ossbot",
        },
        "https://openrouter.ai/api/v1",
        "/v1",
        {
            "authorization": "Bearer or-test",
            "http-referer": "https://github.com/acme/widgets",
            "x-title": "ossbot",
        },
    ),
    WireCase(
        "deepseek",
        {"llm_provider": "deepseek", "llm_api_key": "ds-test"},
        "https://api.deepseek.com",
        "/v1",
        {"authorization": "Bearer ds-test"},
    ),
    WireCase(
        "deepseek_r1",
        {"llm_provider": "deepseek_r1", "llm_api_key": "ds-test"},
        "https://api.deepseek.com",
        "/v1",
        {"authorization": "Bearer ds-test"},
        reasoning="The issue mentions a crash, so bug.",
    ),
    WireCase(
        "ollama",
        {"llm_provider": "ollama", "llm_model_name": "qwen2.5"},
        "http://localhost:11434/v1",
        "/v1",
    ),
    WireCase(
        "gemini",
        {"llm_provider": "gemini", "gemini_api_key": "g-test"},
        "https://generativelanguage.googleapis.com",
        "",
        {"x-goog-api-key": "g-test"},
    ),
]
