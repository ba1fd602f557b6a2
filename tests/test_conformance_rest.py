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
    "pulls/list-commits",
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
        server.add_milestone(REPO, "v1.0")  # the official examples name milestone 1
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


def call(fake: FakeGitHub, method: str, path: str, body, token: str = TOKEN) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    request = urllib.request.Request(fake.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


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
    return validation_errors({"$ref": f"#/components/schemas/{name}"}, value)


def validation_errors(schema: dict, value) -> list[str]:
    """Where VALUE breaks SCHEMA, an OpenAPI schema whose $refs point into the description."""
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
    validator = jsonschema.Draft202012Validator({"$defs": schemas, **convert(schema)})
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


# ---------------------------------------------------------------- operations that need state first

APP_TOKEN = "ghs_conformance_app"
HEAD_SHA = "ce587453ced02b1526dfb4cb910479d431683101"  # the official check-run examples' head_sha


def _link_sub_issue(fake: FakeGitHub) -> dict:
    child = fake.add_issue(REPO, "Sub-task")
    call(fake, "POST", f"/repos/{REPO}/issues/1/sub_issues", {"sub_issue_id": child["id"]})
    return child


def _block(fake: FakeGitHub) -> dict:
    blocker = fake.add_issue(REPO, "Blocker")
    call(
        fake, "POST", f"/repos/{REPO}/issues/1/dependencies/blocked_by", {"issue_id": blocker["id"]}
    )
    return blocker


def _check_run(fake: FakeGitHub) -> int:
    body = resolve(examples("checks/create")["request:example-of-in-progress-conclusion"])
    return call(fake, "POST", f"/repos/{REPO}/check-runs", body, APP_TOKEN)[1]["id"]


def _main(fake: FakeGitHub) -> str:
    return call(fake, "GET", f"/repos/{REPO}/git/ref/heads/main", None)[1]["object"]["sha"]


def _next_commit(fake: FakeGitHub) -> str:
    main = _main(fake)
    tree = call(fake, "GET", f"/repos/{REPO}/git/commits/{main}", None)[1]["tree"]["sha"]
    body = {"message": "next", "tree": tree, "parents": [main]}
    return call(fake, "POST", f"/repos/{REPO}/git/commits", body)[1]["sha"]


def _git_tree(fake: FakeGitHub) -> str:
    return call(fake, "GET", f"/repos/{REPO}/git/commits/{_main(fake)}", None)[1]["tree"]["sha"]


def _after(_seeded: object, params: dict) -> dict:
    """PARAMS, once the seeding written before them has run."""
    return params


def _official(operation_id: str, name: str = "default"):
    return resolve(examples(operation_id)[f"request:{name}"])


# Operation id -> its path parameters and request body, made from the fake after seeding what
# the operation needs (the official example bodies where their values can work as they are).
PREPARED = {
    "issues/add-sub-issue": lambda f: (
        {"issue_number": 1},
        {"sub_issue_id": f.add_issue(REPO, "Sub-task")["id"]},
    ),
    "issues/list-sub-issues": lambda f: (_after(_link_sub_issue(f), {"issue_number": 1}), None),
    "issues/get-parent": lambda f: ({"issue_number": _link_sub_issue(f)["number"]}, None),
    "issues/remove-sub-issue": lambda f: (
        {"issue_number": 1},
        {"sub_issue_id": _link_sub_issue(f)["id"]},
    ),
    "issues/add-blocked-by-dependency": lambda f: (
        {"issue_number": 1},
        {"issue_id": f.add_issue(REPO, "Blocker")["id"]},
    ),
    "issues/list-dependencies-blocked-by": lambda f: (_after(_block(f), {"issue_number": 1}), None),
    "issues/list-dependencies-blocking": lambda f: ({"issue_number": _block(f)["number"]}, None),
    "issues/remove-dependency-blocked-by": lambda f: (
        {"issue_number": 1, "issue_id": _block(f)["id"]},
        None,
    ),
    "issues/delete-comment": lambda f: ({"comment_id": f.comments(REPO, 1)[0]["id"]}, None),
    "checks/create": lambda f: ({}, _official("checks/create", "example-of-completed-conclusion")),
    "checks/update": lambda f: ({"check_run_id": _check_run(f)}, _official("checks/update")),
    "checks/get": lambda f: ({"check_run_id": _check_run(f)}, None),
    "checks/list-for-ref": lambda f: (_after(_check_run(f), {"ref": HEAD_SHA}), None),
    "git/get-ref": lambda f: ({"ref": "heads/main"}, None),
    "git/list-matching-refs": lambda f: ({"ref": "heads/"}, None),
    "git/create-ref": lambda f: ({}, {"ref": "refs/heads/featureA", "sha": _main(f)}),
    "git/update-ref": lambda f: ({"ref": "heads/main"}, {"sha": _next_commit(f), "force": False}),
    "git/delete-ref": lambda f: (
        _after(f.put_file(REPO, "x", "y", ref="other"), {"ref": "heads/other"}),
        None,
    ),
    "git/create-blob": lambda f: ({}, _official("git/create-blob")),
    "git/get-blob": lambda f: (
        {
            "file_sha": call(f, "POST", f"/repos/{REPO}/git/blobs", _official("git/create-blob"))[
                1
            ]["sha"]
        },
        None,
    ),
    "git/create-tree": lambda f: (
        {},
        {
            "base_tree": _git_tree(f),
            "tree": [{"path": "file.rb", "mode": "100644", "type": "blob", "content": "puts 1"}],
        },
    ),
    "git/get-tree": lambda f: ({"tree_sha": _git_tree(f)}, None),
    "git/create-commit": lambda f: (
        {},
        _official("git/create-commit") | {"tree": _git_tree(f), "parents": [_main(f)]},
    ),
    "git/get-commit": lambda f: ({"commit_sha": _main(f)}, None),
    "repos/create-or-update-file-contents": lambda f: (
        {"path": "notes/hello.txt"},
        _official("repos/create-or-update-file-contents", "example-for-creating-a-file"),
    ),
}


@pytest.mark.parametrize("operation_id", PREPARED)
def test_stateful_operations_answer_the_official_shape_and_schema(fake, operation_id):
    fake.add_token(APP_TOKEN, "octo-app[bot]", kind="installation")
    method, template, op = operations()[operation_id]
    params, body = PREPARED[operation_id](fake)
    path = template.format(owner=REPO.split("/")[0], repo=REPO.split("/")[1], **params)
    token = APP_TOKEN if operation_id.startswith("checks/") else TOKEN
    success = {key: r for key, r in op["responses"].items() if key.startswith("2")}

    status, answer = call(fake, method, path, body, token)

    assert str(status) in success
    schema = success[str(status)].get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        assert answer is None
        return
    assert validation_errors(schema, answer) == []
    official = examples(operation_id)
    key = next((k for k in official if k.startswith(f"{status}:")), None)
    expected = resolve(official[key]) if key else None
    if isinstance(expected, list):
        assert answer, "the fake answered an empty list"
        expected, answer = expected[0], answer[0]
    if isinstance(expected, dict):
        assert mismatches(expected, answer) == []


def test_the_schema_check_has_teeth(fake):
    fake.add_token(APP_TOKEN, "octo-app[bot]", kind="installation")
    run = call(fake, "GET", f"/repos/{REPO}/check-runs/{_check_run(fake)}", None)[1]
    ref = call(fake, "GET", f"/repos/{REPO}/git/ref/heads/main", None)[1]

    assert schema_errors("check-run", run) == []
    assert schema_errors("check-run", run | {"status": "finished"}) != []
    assert schema_errors("git-ref", {k: v for k, v in ref.items() if k != "object"}) != []
    issue = call(fake, "GET", f"/repos/{REPO}/issues/1", None)[1]
    assert schema_errors("issue", issue) == []
    assert schema_errors("issue", issue | {"sub_issues_summary": {"total": 1}}) != []
