"""Conformance of the fake GitHub's answers with GitHub's official REST examples.

For each sampled operation the fake is sent the documented method and path (with the
official example request body when there is one). It must answer with the documented
success status and with every top-level key of the official example response, each
holding the same JSON type (null matches any type, either way); for list answers the
first elements are compared. The examples are third-party material read in place from
../shared/corpora, never copied into the project: without it this module is skipped.
"""

from __future__ import annotations

import functools
import gzip
import json
import urllib.request
from pathlib import Path

import pytest

from fakes.github import FakeGitHub

REST = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "github-rest"
if not (REST / "examples-subset.json").is_file() or not (REST / "api.github.com.json.gz").is_file():
    pytest.skip(
        f"the official GitHub REST examples are absent ({REST} not found): REST conformance suite skipped",
        allow_module_level=True,
    )

TOKEN = "ghp_conformance"
REPO = "octo-org/hello-world"
OPERATIONS = [
    "issues/get",
    "issues/create",
    "issues/update",
    "issues/list-for-repo",
    "issues/create-comment",
    "issues/list-comments",
    "issues/get-comment",
    "issues/update-comment",
    "issues/list-labels-for-repo",
    "issues/create-label",
    "issues/get-label",
    "issues/update-label",
    "issues/list-labels-on-issue",
    "issues/add-labels",
    "issues/set-labels",
    "issues/remove-label",
    "repos/get",
    "repos/get-content",
    "repos/get-collaborator-permission-level",
    "pulls/get",
    "pulls/list-files",
    "pulls/update",
    "users/get-authenticated",
    "users/get-by-username",
    "rate-limit/get",
    "issues/list-suggestions",
    "issues/approve-suggestion",
    "issues/dismiss-suggestion",
]
# The schema of each timeline event the fake produces (components/schemas of the OpenAPI description).
TIMELINE_SCHEMAS = {
    "labeled": "labeled-issue-event",
    "unlabeled": "unlabeled-issue-event",
    "assigned": "timeline-assigned-issue-event",
    "unassigned": "timeline-unassigned-issue-event",
    "closed": "state-change-issue-event",
    "reopened": "state-change-issue-event",
    "commented": "timeline-comment-event",
    "cross-referenced": "timeline-cross-referenced-event",
}
# Keys GitHub itself sends only for objects these samples do not create.
CONDITIONAL = {
    "pull_request": "issues that are pull requests",
    "parent": "forks",
    "source": "forks",
    "template_repository": "repositories generated from a template",
}


@functools.cache
def spec() -> dict:
    with gzip.open(REST / "api.github.com.json.gz") as source:
        return json.load(source)


@functools.cache
def subset_examples() -> dict:
    return json.loads((REST / "examples-subset.json").read_text())


@functools.cache
def operations() -> dict[str, tuple[str, str, dict]]:
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


def examples(operation_id: str) -> dict:
    """The official examples, keyed "status:name" ("request:name" for request bodies)."""
    if operation_id in subset_examples():
        return subset_examples()[operation_id]
    responses = operations()[operation_id][2]["responses"]
    return {
        f"{status}:{name}": example.get("value", example)
        for status, response in responses.items()
        for name, example in response.get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .items()
    }


def resolve(example):
    if isinstance(example, dict) and "$ref" in example:
        return spec()["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]["value"]
    return example


def json_type(value) -> str:
    names = {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }
    return names.get(type(value), "null")


def mismatches(example: dict, answer: dict) -> list[str]:
    found = []
    for key, value in example.items():
        if key not in answer:
            if key not in CONDITIONAL:
                found.append(f"{key}: missing")
        elif None not in (value, answer[key]) and json_type(value) != json_type(answer[key]):
            found.append(
                f"{key}: {json_type(value)} in the example, {json_type(answer[key])} from the fake"
            )
    return found


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        server.add_user("octo-org", type="Organization")
        server.add_token(TOKEN, "octocat")
        server.add_repo(REPO)
        server.set_permission(REPO, "octocat", "admin")
        server.add_label(REPO, "triage", color="c5def5", description="Waiting for a maintainer")
        labels, body = ["triage", "question"], "I'm having a problem with this."
        server.add_issue(REPO, "Found a bug", body, labels=labels, assignees=["octocat"])
        server.add_comment(REPO, 1, "Me too", user="octocat")
        patch = "@@ -132,7 +132,7 @@ module Test"
        files = [
            {
                "filename": "file1.txt",
                "status": "added",
                "additions": 103,
                "deletions": 21,
                "patch": patch,
            }
        ]
        server.add_pull(
            REPO, "Amazing new feature", "Please pull these awesome changes in!", files=files
        )
        server.put_file(REPO, "README.md", "# hello-world\n")
        server.enable_suggestions(REPO)
        server.add_suggestion(
            REPO, 1, "needs-repro", rationale="A stack trace in the description.", confidence="high"
        )
        yield server


def call(fake: FakeGitHub, method: str, path: str, body) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"token {TOKEN}", "Accept": "application/vnd.github+json"}
    request = urllib.request.Request(fake.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_answer_has_the_official_example_shape(fake, operation_id):
    method, template, _ = operations()[operation_id]
    owner, name = REPO.split("/")
    path = template.format(
        owner=owner,
        repo=name,
        issue_number=1,
        pull_number=2,
        name="triage",
        path="README.md",
        username="octocat",
        comment_id=fake.comments(REPO, 1)[0]["id"],
        suggestion_id=fake.suggestions(REPO, 1)[0]["id"],
    )
    official = examples(operation_id)
    response_key = next(key for key in official if key[0] == "2")

    status, answer = call(fake, method, path, resolve(official.get("request:default")))

    expected = resolve(official[response_key])
    if isinstance(expected, list):
        assert answer, "the fake answered an empty list"
        expected, answer = expected[0], answer[0]
    assert status == int(response_key.partition(":")[0])
    assert mismatches(expected, answer) == []


def schema_errors(name: str, value) -> list[str]:
    """Where VALUE breaks the OpenAPI description's schema NAME (OpenAPI 3.0 "nullable" made JSON Schema)."""
    jsonschema = pytest.importorskip("jsonschema")

    def convert(node):
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return {"$ref": "#/$defs/" + node["$ref"].rsplit("/", 1)[1]}
        out = {
            key: convert(item)
            for key, item in node.items()
            if key not in ("nullable", "example", "discriminator")
        }
        return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out

    schemas = {key: convert(schema) for key, schema in spec()["components"]["schemas"].items()}
    validator = jsonschema.Draft202012Validator({"$defs": schemas, "$ref": f"#/$defs/{name}"})
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)
    ]


def test_timeline_events_have_the_official_shapes(fake):
    fake.add_pull(REPO, "Fix the bug", "Fixes #1", state="merged")
    call(fake, "PATCH", f"/repos/{REPO}/issues/1", {"state": "closed"})

    status, timeline = call(fake, "GET", f"/repos/{REPO}/issues/1/timeline", None)

    by_event = {item["event"]: item for item in timeline}
    assert status == 200
    assert set(by_event) == {"labeled", "assigned", "commented", "cross-referenced", "closed"}
    official = {
        item["event"]: item
        for item in resolve(examples("issues/list-events-for-timeline")["200:default"])
    }
    for event in ("labeled", "commented"):
        assert mismatches(official[event], by_event[event]) == []
    for event, item in by_event.items():
        assert schema_errors(TIMELINE_SCHEMAS[event], item) == [], event
    source = by_event["cross-referenced"]["source"]["issue"]
    assert mismatches(resolve(examples("issues/get")["200:default"]), source) == []
    assert schema_errors("pull-request", call(fake, "GET", f"/repos/{REPO}/pulls/3", None)[1]) == []


def test_suggestions_match_their_schema(fake):
    suggestion_id = fake.suggestions(REPO, 1)[0]["id"]

    status, approved = call(
        fake, "POST", f"/repos/{REPO}/issues/1/suggestions/{suggestion_id}/approve", None
    )

    assert status == 200
    assert schema_errors("issue-suggestion", approved) == []
    assert (
        schema_errors("issue-suggestion", approved | {"confidence": "high"}) != []
    )  # the check has teeth
