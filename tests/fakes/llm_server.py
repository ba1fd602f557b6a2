"""A scripted fake of the LLM APIs ossbot calls, served over HTTP on loopback.

One server speaks three wire formats, chosen by the path the client calls:

- OpenAI-compatible chat completions (OpenAI, OpenRouter, DeepSeek, Ollama, custom):
  ``POST /v1/chat/completions`` and ``GET /v1/models``; point clients at ``openai_base``.
- Azure OpenAI: ``POST /openai/deployments/{deployment}/chat/completions?api-version=...``;
  point ``AzureOpenAI(azure_endpoint=...)`` at ``url``.
- Gemini Developer API (google-genai): ``POST /{version}/models/{model}:generateContent``;
  point ``HttpOptions(base_url=...)`` at ``url``.

Tests script the answers: ``queue(text("..."), error(429), ...)`` lines them up for the
next completion requests, whatever their API, and ``default`` answers when the queue is
empty. Each Answer is rendered in the format of the API that was called. Only a
well-formed completion request takes an answer: a malformed body (400), a stream request
(400), Azure without api-version (404), ``GET /v1/models`` and unknown paths (404) leave
the queue alone. Every request, answered or not, lands in ``requests`` with its parsed
JSON body, lower-case headers, ``api`` and answered ``status``.
The fake checks no credentials (tests assert on the recorded headers instead) and does
not stream: a request with ``"stream": true`` gets a 400.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, NamedTuple, Self
from urllib.parse import unquote

from .loopback import LoopbackHandler, LoopbackServer, Wire

FAKE_MODEL = "fake-model"
OPENAI_ERROR_TYPES = {401: "authentication_error", 429: "rate_limit_error"}
GEMINI_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
OPENAI_CHAT = re.compile(r"/v1/chat/completions")
OPENAI_MODELS = re.compile(r"/v1/models")
AZURE_CHAT = re.compile(r"/openai/deployments/(?P<model>[^/]+)/chat/completions")
GEMINI_GENERATE = re.compile(r"/(?P<version>[^/]+)/models/(?P<model>[^/:]+):generateContent")


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answer:
    """What the fake says to one completion request; build it with text(), error(), delay()."""

    content: str = ""
    reasoning: str | None = None
    prompt_tokens: int = 11
    completion_tokens: int = 7
    status: int = 200
    message: str | None = None
    code: str | None = None
    type: str | None = None
    retry_after: float | str | None = None
    retry_after_ms: float | None = None
    wait: float = 0.0


def text(
    content: str,
    *,
    reasoning: str | None = None,
    prompt_tokens: int = 11,
    completion_tokens: int = 7,
) -> Answer:
    """A successful answer; REASONING becomes DeepSeek's reasoning_content or Gemini's thought part."""
    return Answer(content, reasoning, prompt_tokens, completion_tokens)


def json_answer(obj: Any, **kw: Any) -> Answer:
    """A successful answer whose content is OBJ as JSON (keywords as for text())."""
    return text(json.dumps(obj), **kw)


def error(
    status: int,
    message: str | None = None,
    *,
    code: str | None = None,
    type: str | None = None,
    retry_after: float | str | None = None,
    retry_after_ms: float | None = None,
) -> Answer:
    """An error answer with the API's error body.

    MESSAGE defaults to the HTTP reason phrase. CODE is OpenAI's ``error.code`` (e.g.
    "model_not_found"); for Gemini it replaces the ``error.status`` string derived from
    STATUS. TYPE is OpenAI's ``error.type``. RETRY_AFTER adds a retry-after header: a number
    of seconds, or a string sent as is (an HTTP-date, see ``http_date()``). RETRY_AFTER_MS adds
    a retry-after-ms header (milliseconds, as OpenAI and Azure send it).
    """
    if not 400 <= status <= 599:
        raise ValueError(f"an error answer needs a 4xx or 5xx status, not {status}")
    message = HTTPStatus(status).phrase if message is None else message
    return Answer(
        status=status,
        message=message,
        code=code,
        type=type,
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
    )


def http_date(seconds_from_now: float) -> str:
    """An HTTP-date (RFC 9110, e.g. "Wed, 21 Oct 2026 07:28:00 GMT") SECONDS_FROM_NOW."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


def delay(seconds: float, then: Answer) -> Answer:
    """THEN, after SECONDS (other requests are served meanwhile): for client timeouts."""
    return replace(then, wait=then.wait + seconds)


# ---------------------------------------------------------------- requests and replies


@dataclass
class Request:
    """One request the fake received, as its log keeps it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes = field(default=b"", repr=False)
    api: str | None = None
    status: int | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Reply(NamedTuple):
    status: int
    body: Any
    headers: dict[str, str]
    wait: float = 0.0


def _parse_json(raw: bytes) -> Any:
    """The body's JSON; None for an empty or malformed body."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _retry_headers(answer: Answer) -> dict[str, str]:
    headers = {}
    if answer.retry_after is not None:
        headers["retry-after"] = _number(answer.retry_after)
    if answer.retry_after_ms is not None:
        headers["retry-after-ms"] = _number(answer.retry_after_ms)
    return headers


def _number(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


# ---------------------------------------------------------------- the three wire formats


def _openai_error(answer: Answer) -> dict:
    status = answer.status
    default = (
        "server_error" if status >= 500 else OPENAI_ERROR_TYPES.get(status, "invalid_request_error")
    )
    return {
        "error": {
            "message": answer.message,
            "type": answer.type or default,
            "param": None,
            "code": answer.code,
        }
    }


def _openai_completion(answer: Answer, model: str, number: int) -> dict:
    message = {"role": "assistant", "content": answer.content, "refusal": None}
    if answer.reasoning is not None:
        message["reasoning_content"] = answer.reasoning
    p, c = answer.prompt_tokens, answer.completion_tokens
    return {
        "id": f"chatcmpl-fake{number:06d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
        "system_fingerprint": None,
    }


def _gemini_error(answer: Answer) -> dict:
    status = answer.code or GEMINI_STATUSES.get(answer.status, "UNKNOWN")
    return {"error": {"code": answer.status, "message": answer.message, "status": status}}


def _gemini_completion(answer: Answer, model: str, number: int) -> dict:
    parts = [{"text": answer.content}]
    if answer.reasoning is not None:
        parts.insert(0, {"text": answer.reasoning, "thought": True})
    p, c = answer.prompt_tokens, answer.completion_tokens
    return {
        "candidates": [
            {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": p,
            "candidatesTokenCount": c,
            "totalTokenCount": p + c,
        },
        "modelVersion": model,
        "responseId": f"fake-response-{number:06d}",
    }


RENDERERS = {
    "openai": (_openai_completion, _openai_error),
    "azure": (_openai_completion, _openai_error),
    "gemini": (_gemini_completion, _gemini_error),
}


# ---------------------------------------------------------------- the fake


class FakeLLM:
    """OpenAI, Azure OpenAI and Gemini on 127.0.0.1, answering from a queue; see the module docstring.

    The port is bound at construction, so ``url`` and ``openai_base`` are right before
    ``start()``; ``stop()`` releases it and cuts short any delay() still sleeping.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(_Handler, self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.openai_base = f"{self.url}/v1"
        self._queue: list[Answer] = []
        self._numbers = itertools.count(1)
        self.default: Answer = text("ok")
        self.requests: list[Request] = []

    # -- lifecycle

    def start(self) -> Self:
        self._server.serve_in_background()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting

    def queue(self, *answers: Answer) -> None:
        """Line ANSWERS up for the next completion requests, in order, whatever their API."""
        with self._lock:
            self._queue.extend(answers)

    def clear(self) -> None:
        """Forget the request log and the queued answers (``default`` stays)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def pending(self) -> int:
        """How many queued answers no request has taken yet."""
        with self._lock:
            return len(self._queue)

    # -- request handling

    def _dispatch(self, req: Request) -> Reply:
        with self._lock:
            try:
                reply = self._serve(req)
            except Exception as exc:  # noqa: BLE001 - a bug in the fake: answer it rather than hang the client
                reply = Reply(
                    500, {"error": {"code": 500, "message": f"FakeLLM failed: {exc!r}"}}, {}
                )
            req.status = reply.status
            self.requests.append(req)
            return reply

    def _serve(self, req: Request) -> Reply:
        if req.method == "GET" and OPENAI_MODELS.fullmatch(req.path):
            req.api = "openai"
            return Reply(200, self._models(), {})
        api, model = self._route(req)
        if api is None:
            return Reply(404, _not_found(req), {})
        req.api = api
        if api == "azure" and "api-version" not in req.query:
            return Reply(404, {"error": {"code": "404", "message": "Resource not found"}}, {})
        problem = self._problem(req)
        if problem:
            return self._render(api, error(400, problem), model)
        return self._render(api, self._take(), model or req.body.get("model") or FAKE_MODEL)

    def _route(self, req: Request) -> tuple[str | None, str | None]:
        """The API a POST is for, and the model its path names (None when the body names it)."""
        path = unquote(req.path)
        if req.method != "POST":
            return None, None
        if OPENAI_CHAT.fullmatch(path):
            return "openai", None
        for api, pattern in (("azure", AZURE_CHAT), ("gemini", GEMINI_GENERATE)):
            found = pattern.fullmatch(path)
            if found:
                return api, found["model"]
        return None, None

    def _problem(self, req: Request) -> str | None:
        if req.body is None and req.raw:
            return "We could not parse the JSON body of your request."
        if not isinstance(req.body, dict):
            return "The request body must be a JSON object."
        if req.body.get("stream"):
            return "FakeLLM does not stream: ask without stream=true."
        return None

    def _take(self) -> Answer:
        return self._queue.pop(0) if self._queue else self.default

    def _render(self, api: str, answer: Answer, model: str) -> Reply:
        completion, failure = RENDERERS[api]
        if answer.status != 200:
            return Reply(answer.status, failure(answer), _retry_headers(answer), answer.wait)
        number = next(self._numbers)
        return Reply(
            200,
            completion(answer, model, number),
            {"x-request-id": f"req_fake{number:06d}"},
            answer.wait,
        )

    def _models(self) -> dict:
        return {
            "object": "list",
            "data": [{"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "fake"}],
        }

    def _pause(self, seconds: float) -> None:
        """Sleep outside the lock, so other requests are served; stop() cuts it short."""
        if seconds > 0:
            self._stopping.wait(seconds)


def _not_found(req: Request) -> dict:
    message = f"FakeLLM has no route for {req.method} {req.path}"
    return {
        "error": {
            "code": 404,
            "message": message,
            "status": "NOT_FOUND",
            "type": "invalid_request_error",
        }
    }


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(LoopbackHandler):
    """Turns requests into Requests for FakeLLM and its Replies into JSON, after any wait."""

    server_version = "FakeLLM"

    def answer(self, path: str, query: dict[str, str], raw: bytes) -> Wire:
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, path, query, headers, _parse_json(raw), raw)
        reply = self.server.fake._dispatch(request)
        self.server.fake._pause(reply.wait)
        sent = {"content-type": "application/json; charset=utf-8", **reply.headers}
        return reply.status, sent, json.dumps(reply.body).encode()
