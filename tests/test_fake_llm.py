"""Tests of the fake LLM server, driven through the unmodified openai and google-genai SDKs."""

from __future__ import annotations

import json
import socket
import time

import openai
import pydantic
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from fakes.llm_server import FakeLLM, delay, error, json_answer, text

MESSAGES = [
    {"role": "system", "content": "You triage issues."},
    {"role": "user", "content": "It crashes."},
]


class Triage(pydantic.BaseModel):
    label: str
    confidence: float


@pytest.fixture(autouse=True)
def sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer setting redirects the SDKs (Vertex AI, another API version, a proxy)."""
    for name in (
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_GENAI_API_VERSION",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_API_KEY",
        "GOOGLE_GENAI_HTTP_CLIENT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def client(fake):
    with openai.OpenAI(base_url=fake.openai_base, api_key="k", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def gemini(fake):
    with genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.url)) as sdk:
        yield sdk


def ask(client: openai.OpenAI, **options):
    return client.chat.completions.create(
        model=options.pop("model", "gpt-4o-mini"), messages=MESSAGES, **options
    )


def raw_post(fake: FakeLLM, path: str, body: bytes) -> tuple[int, dict]:
    """POST BODY as is (the SDKs only send valid JSON), over a plain socket."""
    with socket.create_connection(
        ("127.0.0.1", int(fake.url.rsplit(":", 1)[1])), timeout=5
    ) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode() + body)
        data = b"".join(iter(lambda: sock.recv(65536), b""))
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


# ---------------------------------------------------------------- OpenAI-compatible


def test_openai_text_answer_is_parsed_and_request_logged(fake, client):
    fake.queue(text("It is a bug.", prompt_tokens=5, completion_tokens=3))

    reply = ask(client, temperature=0)

    choice = reply.choices[0]
    assert (choice.message.content, choice.message.role, choice.finish_reason) == (
        "It is a bug.",
        "assistant",
        "stop",
    )
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (
        5,
        3,
        8,
    )
    assert reply.model == "gpt-4o-mini" and reply.id.startswith("chatcmpl-")
    [req] = fake.requests
    assert (req.method, req.path, req.api, req.status) == (
        "POST",
        "/v1/chat/completions",
        "openai",
        200,
    )
    assert (
        req.body["model"] == "gpt-4o-mini"
        and req.body["messages"] == MESSAGES
        and req.body["temperature"] == 0
    )
    assert req.headers["authorization"] == "Bearer k"
    assert req.headers["content-type"] == "application/json"


def test_openai_default_answer_when_queue_is_empty(fake, client):
    assert ask(client).choices[0].message.content == "ok"
    fake.default = text("fallback")
    assert ask(client).choices[0].message.content == "fallback"


def test_openai_response_format_is_sent_and_json_answer_parses(fake, client):
    fake.queue(
        json_answer({"label": "bug", "confidence": 0.9}),
        json_answer({"label": "question", "confidence": 0.5}),
    )

    loose = ask(client, response_format={"type": "json_object"})
    strict = client.chat.completions.parse(
        model="gpt-4o-mini", messages=MESSAGES, response_format=Triage
    )

    assert json.loads(loose.choices[0].message.content) == {"label": "bug", "confidence": 0.9}
    assert strict.choices[0].message.parsed == Triage(label="question", confidence=0.5)
    first, second = (req.body["response_format"] for req in fake.requests)
    assert first == {"type": "json_object"}
    assert second["type"] == "json_schema"
    schema = second["json_schema"]
    assert (schema["name"], schema["strict"]) == ("Triage", True)
    assert schema["schema"]["required"] == ["label", "confidence"]
    assert schema["schema"]["additionalProperties"] is False


def test_openai_reasoning_content_reaches_the_message(fake, client):
    fake.queue(text("Label: bug", reasoning="The user reports a crash."))

    message = ask(client, model="deepseek-reasoner").choices[0].message

    reasoning = getattr(message, "reasoning_content", None) or (message.model_extra or {}).get(
        "reasoning_content"
    )
    assert reasoning == "The user reports a crash."
    assert message.content == "Label: bug"


def test_openai_rate_limit_is_retried_by_the_sdk(fake):
    fake.queue(error(429, "Slow down", retry_after=0.01), text("after the wait"))

    with openai.OpenAI(base_url=fake.openai_base, api_key="k", max_retries=1) as sdk:
        reply = ask(sdk)

    assert reply.choices[0].message.content == "after the wait"
    assert [req.status for req in fake.requests] == [429, 200]
    assert [req.headers["x-stainless-retry-count"] for req in fake.requests] == ["0", "1"]


def test_openai_error_bodies_and_headers(fake, client):
    fake.queue(error(429, "Rate limit reached", retry_after=0))

    raw = client.chat.completions.with_raw_response

    with pytest.raises(openai.RateLimitError) as caught:
        raw.create(model="gpt-4o-mini", messages=MESSAGES)

    assert caught.value.response.headers["retry-after"] == "0"
    assert caught.value.body == {
        "message": "Rate limit reached",
        "type": "rate_limit_error",
        "param": None,
        "code": None,
    }


def test_openai_authentication_error(fake, client):
    fake.queue(error(401, "Incorrect API key provided"))

    with pytest.raises(openai.AuthenticationError) as caught:
        ask(client)

    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"
    assert caught.value.body["message"] == "Incorrect API key provided"


def test_openai_model_not_found(fake, client):
    fake.queue(error(404, "The model `gpt-9` does not exist", code="model_not_found"))

    with pytest.raises(openai.NotFoundError) as caught:
        ask(client, model="gpt-9")

    assert (caught.value.code, caught.value.type) == ("model_not_found", "invalid_request_error")
    assert len(fake.requests) == 1


def test_openai_server_error_type(fake, client):
    fake.queue(error(500))

    with pytest.raises(openai.InternalServerError) as caught:
        ask(client)

    assert caught.value.body["type"] == "server_error"


def test_delay_times_the_client_out_and_does_not_block_the_server(fake, client):
    fake.queue(delay(2, text("late")), text("next"))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(client, timeout=0.5)
    timed_out = time.monotonic()
    reply = ask(client)

    assert 0.4 < timed_out - started < 1.5
    assert time.monotonic() - timed_out < 0.5  # answered while the delayed request still sleeps
    assert reply.choices[0].message.content == "next"
    assert len(fake.requests) == 2


def test_openai_models_list(fake, client):
    models = client.models.list()

    assert [model.id for model in models] == ["fake-model"]
    assert (fake.requests[0].method, fake.requests[0].path) == ("GET", "/v1/models")
    assert fake.pending() == 0


def test_streaming_is_refused_without_taking_an_answer(fake, client):
    fake.queue(text("kept"))

    with pytest.raises(openai.BadRequestError, match="does not stream"):
        ask(client, stream=True)

    assert ask(client).choices[0].message.content == "kept"


# ---------------------------------------------------------------- Azure OpenAI


def test_azure_deployment_path_query_and_key(fake):
    fake.queue(text("from azure"))

    with openai.AzureOpenAI(
        azure_endpoint=fake.url, api_version="2024-10-21", api_key="k", max_retries=0
    ) as sdk:
        reply = ask(sdk, model="my-deploy")

    assert reply.choices[0].message.content == "from azure" and reply.model == "my-deploy"
    [req] = fake.requests
    assert (req.path, req.api, req.query) == (
        "/openai/deployments/my-deploy/chat/completions",
        "azure",
        {"api-version": "2024-10-21"},
    )
    assert req.headers["api-key"] == "k" and "authorization" not in req.headers


def test_azure_without_api_version_is_not_found(fake):
    fake.queue(text("unused"))

    sdk = openai.OpenAI(
        base_url=f"{fake.url}/openai/deployments/my-deploy", api_key="k", max_retries=0
    )
    with sdk, pytest.raises(openai.NotFoundError) as caught:
        ask(sdk)

    assert caught.value.body == {"code": "404", "message": "Resource not found"}
    assert fake.pending() == 1


# ---------------------------------------------------------------- Gemini


def test_gemini_text_answer_and_request_log(fake, gemini):
    fake.queue(text("Hello from Gemini", prompt_tokens=4, completion_tokens=6))

    response = gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")

    assert response.text == "Hello from Gemini"
    usage = response.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (
        4,
        6,
        10,
    )
    assert response.model_version == "gemini-2.0-flash"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    [req] = fake.requests
    # google-genai 3.x defaults the Developer API to v1 (not v1beta).
    assert (req.method, req.path, req.api) == (
        "POST",
        "/v1/models/gemini-2.0-flash:generateContent",
        "gemini",
    )
    assert req.headers["x-goog-api-key"] == "k" and "authorization" not in req.headers
    assert req.body == {"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}


def test_gemini_explicit_api_version_is_routed(fake):
    options = types.HttpOptions(base_url=fake.url, api_version="v1beta")
    with genai.Client(api_key="k", http_options=options) as sdk:
        assert (
            sdk.models.generate_content(model="models/gemini-2.5-pro", contents="hi").text == "ok"
        )

    assert fake.requests[0].path == "/v1beta/models/gemini-2.5-pro:generateContent"


def test_gemini_structured_output_config_is_sent(fake, gemini):
    fake.queue(
        json_answer({"label": "bug", "confidence": 0.9}),
        json_answer({"label": "docs", "confidence": 0.2}),
    )
    schema_config = types.GenerateContentConfig(
        response_mime_type="application/json",
        response_schema=Triage,
        system_instruction="Be terse.",
        temperature=0,
    )
    json_schema_config = types.GenerateContentConfig(
        response_mime_type="application/json", response_json_schema=Triage.model_json_schema()
    )

    first = gemini.models.generate_content(
        model="gemini-2.0-flash", contents="hi", config=schema_config
    )
    second = gemini.models.generate_content(
        model="gemini-2.0-flash", contents="hi", config=json_schema_config
    )

    assert first.parsed == Triage(label="bug", confidence=0.9)
    assert second.parsed == {"label": "docs", "confidence": 0.2}
    one, two = (req.body for req in fake.requests)
    assert one["systemInstruction"] == {"parts": [{"text": "Be terse."}], "role": "user"}
    assert one["generationConfig"]["responseMimeType"] == "application/json"
    assert one["generationConfig"]["temperature"] == 0
    # response_schema goes out as OpenAPI-style responseSchema (upper-case types) ...
    assert one["generationConfig"]["responseSchema"]["type"] == "OBJECT"
    assert one["generationConfig"]["responseSchema"]["properties"]["label"]["type"] == "STRING"
    # ... response_json_schema as plain JSON Schema in responseJsonSchema.
    assert two["generationConfig"]["responseJsonSchema"] == Triage.model_json_schema()
    assert "responseSchema" not in two["generationConfig"]


def test_gemini_thought_part_is_not_in_text(fake, gemini):
    fake.queue(text("Label: bug", reasoning="A crash is a bug."))

    response = gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")

    assert response.text == "Label: bug"
    thought, answer = response.candidates[0].content.parts
    assert (thought.thought, thought.text) == (True, "A crash is a bug.")
    assert not answer.thought


def test_gemini_rate_limit_is_a_client_error_and_not_retried(fake, gemini):
    fake.queue(error(429, "Resource exhausted", retry_after=1))

    with pytest.raises(genai_errors.ClientError) as caught:
        gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")

    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert caught.value.message == "Resource exhausted"
    assert caught.value.response.headers["retry-after"] == "1"
    assert (
        len(fake.requests) == 1
    )  # google-genai does not retry unless HttpOptions.retry_options is set


def test_gemini_unavailable_is_a_server_error(fake, gemini):
    fake.queue(error(503, "The model is overloaded."))

    with pytest.raises(genai_errors.ServerError) as caught:
        gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")

    assert (caught.value.code, caught.value.status) == (503, "UNAVAILABLE")
    assert len(fake.requests) == 1


def test_gemini_retries_only_when_asked(fake):
    fake.queue(error(503), text("second try"))
    retry = types.HttpRetryOptions(attempts=2, initial_delay=0, max_delay=0, jitter=0)

    with genai.Client(
        api_key="k", http_options=types.HttpOptions(base_url=fake.url, retry_options=retry)
    ) as sdk:
        response = sdk.models.generate_content(model="gemini-2.0-flash", contents="hi")

    assert response.text == "second try"
    assert [req.status for req in fake.requests] == [503, 200]


# ---------------------------------------------------------------- the fake itself


def test_queue_is_shared_across_apis_in_order(fake, client, gemini):
    fake.queue(text("first"), text("second"), error(500))

    assert gemini.models.generate_content(model="gemini-2.0-flash", contents="hi").text == "first"
    assert ask(client).choices[0].message.content == "second"
    with pytest.raises(genai_errors.ServerError):
        gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert [req.api for req in fake.requests] == ["gemini", "openai", "gemini"]

    fake.queue(text("dropped"))
    fake.clear()
    assert (fake.requests, fake.pending()) == ([], 0)
    assert ask(client).choices[0].message.content == "ok"


def test_malformed_json_and_unknown_paths(fake):
    fake.queue(text("kept"))

    assert raw_post(fake, "/v1/chat/completions", b"{not json")[0] == 400
    status, body = raw_post(fake, "/v1beta/models/gemini-2.0-flash:generateContent", b"[")
    assert (status, body["error"]["status"]) == (400, "INVALID_ARGUMENT")
    status, body = raw_post(fake, "/v2/elsewhere", b"{}")
    assert (status, body["error"]["code"]) == (404, 404)

    assert [(req.api, req.status) for req in fake.requests] == [
        ("openai", 400),
        ("gemini", 400),
        (None, 404),
    ]
    assert fake.pending() == 1
