"""A GitHub App's identity: `--app-id`/`--app-key` (PyGithub's JWT auth, an installation token of
the one repository) and an installation token given as the token (actions/create-github-app-token),
with the bot's login found from the app. Against the fake GitHub, which checks the JWT's
signature, issuer and lifetime."""

from __future__ import annotations

from conftest import BOT, REPO, edit_issue, ossbot

APP = "ossbot-app"
LOGIN = f"{APP}[bot]"
BUG = ("Crash when saving a file", "Steps to reproduce: save a file. It crashes with a traceback.")


def _key_file(tmp_path, pem: str):
    path = tmp_path / "app.pem"
    path.write_text(pem)
    return path


def _triage(number: int, *extra: str):
    return ossbot("triage", "--repo", REPO, "--issue", str(number), *extra)


def _own(gh, number: int) -> list[dict]:
    return [c for c in gh.comments(REPO, number) if c["user"]["login"] == LOGIN]


def test_app_credentials_act_as_the_app_and_find_its_comment_again(tmp_path, gh, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    key = _key_file(tmp_path, gh.add_app(APP, installed_on=[REPO, "acme/other"]))
    gh.add_repo("acme/other")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    args = ("--app-id", str(gh.app_id(APP)), "--app-key", str(key))

    first = _triage(number, *args)
    assert first.exit_code == 0, first.stderr
    edit_issue(gh, number, body=BUG[1] + " Also when saving as.")
    second = _triage(number, *args)
    assert second.exit_code == 0, second.stderr

    comments = gh.comments(REPO, number)
    assert len(comments) == 1 and comments[0]["user"]["login"] == LOGIN  # updated in place
    asked = gh.calls("POST", r"/app/installations/\d+/access_tokens$")
    assert len(asked) == 2 and all(c.body == {"repositories": ["widgets"]} for c in asked)
    assert len(gh.calls("GET", r"/app$")) == 2
    assert gh.calls("POST", r"/graphql$") == []  # the app said who it is
    assert gh.calls("GET", r"/user$") == []


def test_the_minted_token_is_revoked_when_the_run_ends(tmp_path, gh, monkeypatch):
    import requests

    monkeypatch.delenv("GITHUB_TOKEN")
    key = _key_file(tmp_path, gh.add_app(APP, installed_on=[REPO]))
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    ran = _triage(number, "--app-id", str(gh.app_id(APP)), "--app-key", str(key), "--dry-run")
    assert ran.exit_code == 0, ran.stderr
    token = next(
        r.header("Authorization").split()[1]
        for r in gh.requests
        if r.path.startswith(f"/repos/{REPO}/issues")
    )
    assert token.startswith("ghs_") and token not in ran.stdout + ran.stderr
    assert len(gh.calls("DELETE", r"/installation/token$")) == 1
    after = requests.get(
        f"{gh.url}/repos/{REPO}", headers={"Authorization": f"token {token}"}, timeout=10
    )
    assert after.status_code == 401  # not left valid for an hour


def test_a_scoped_installation_token_reads_public_repositories_only(gh):
    """The fake enforces what GitHub does: repositories outside the token's reach are hidden
    when private and never writable."""
    import jwt
    import requests

    gh.add_repo("acme/secret", private=True)
    pem = gh.add_app(APP, installed_on=[REPO, "acme/secret"])
    now = int(__import__("time").time())
    signed = jwt.encode(
        {"iat": now - 60, "exp": now + 300, "iss": str(gh.app_id(APP))}, pem, algorithm="RS256"
    )
    installation = requests.get(
        f"{gh.url}/repos/{REPO}/installation", headers={"Authorization": f"Bearer {signed}"}
    ).json()["id"]
    token = requests.post(
        f"{gh.url}/app/installations/{installation}/access_tokens",
        json={"repositories": ["widgets"]},
        headers={"Authorization": f"Bearer {signed}"},
    ).json()["token"]
    auth = {"Authorization": f"token {token}"}
    assert requests.get(f"{gh.url}/repos/{REPO}", headers=auth).status_code == 200
    assert requests.get(f"{gh.url}/repos/acme/secret", headers=auth).status_code == 404


def test_key_forms_people_paste_work(tmp_path, gh, monkeypatch):
    """Base64 of the PEM (one-line secrets) and a PEM after openssl's attribute lines."""
    import base64

    monkeypatch.delenv("GITHUB_TOKEN")
    pem = gh.add_app(APP, installed_on=[REPO])
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    app_id = str(gh.app_id(APP))
    for form in (
        base64.b64encode(pem.encode()).decode(),
        "Bag Attributes\n    friendlyName: ossbot\n" + pem,
        "\ufeff" + pem,
    ):
        ran = _triage(number, "--app-id", app_id, "--app-key", form, "--dry-run")
        assert ran.exit_code == 0, ran.stderr


def test_the_key_is_masked_line_by_line_in_actions(tmp_path, gh, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    pem = gh.add_app(APP, installed_on=[REPO])
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("OSSBOT_APP_ID", str(gh.app_id(APP)))
    monkeypatch.setenv("OSSBOT_APP_KEY", pem)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    ran = _triage(number, "--dry-run")
    assert ran.exit_code == 0, ran.stderr
    masked = {line.removeprefix("::add-mask::") for line in ran.stdout.splitlines()}
    body = [line for line in pem.splitlines() if line and "-----" not in line]
    assert set(body) <= masked  # every line of the key, before anything else is printed
    token = next(m for m in masked if m.startswith("ghs_"))  # the minted token too
    assert ran.stdout.index(token) < ran.stdout.index("ossbot triage")
    for line in ran.stdout.splitlines():
        if not line.startswith("::add-mask::"):
            assert not any(part in line for part in body)


def test_app_credentials_from_the_environment_with_the_key_as_text(tmp_path, gh, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    pem = gh.add_app(APP, installed_on=[REPO])
    monkeypatch.setenv("OSSBOT_APP_ID", f"Iv23li{gh.app_id(APP):014d}")  # a Client ID works too
    monkeypatch.setenv("OSSBOT_APP_KEY", pem)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    ran = _triage(number)
    assert ran.exit_code == 0, ran.stderr
    assert len(_own(gh, number)) == 1
    assert "BEGIN" not in ran.stdout + ran.stderr


def test_an_app_token_from_create_github_app_token_finds_its_login(gh, monkeypatch):
    monkeypatch.delenv("OSSBOT_ACTIONS_TOKEN")  # the action sets it only for github.token
    gh.add_token("ghs_from_the_action", LOGIN, kind="installation")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_from_the_action")
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    for _ in range(2):
        ran = _triage(number)
        assert ran.exit_code == 0, ran.stderr
    assert len(gh.comments(REPO, number)) == 1 and len(_own(gh, number)) == 1
    assert len(gh.calls("POST", r"/graphql$")) == 2  # one per run: such tokens last an hour


def test_the_workflow_token_needs_no_question_when_the_action_says_so(gh, monkeypatch):
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    ran = _triage(number)  # the fixture sets OSSBOT_ACTIONS_TOKEN, as the action does
    assert ran.exit_code == 0, ran.stderr
    assert gh.calls("POST", r"/graphql$") == []
    assert [c["user"]["login"] for c in gh.comments(REPO, number)] == [BOT]


def test_the_workflow_token_is_recognised_without_the_hint(gh, monkeypatch):
    monkeypatch.delenv("OSSBOT_ACTIONS_TOKEN")  # ossbot run in a workflow without the action
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    assert _triage(number).exit_code == 0
    assert _triage(number).exit_code == 0
    assert [c["user"]["login"] for c in gh.comments(REPO, number)] == [BOT]
    assert len(gh.calls("POST", r"/graphql$")) == 2


def _refused(ran, *words: str) -> None:
    assert ran.exit_code == 2, ran.stdout + ran.stderr
    line = ran.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, line
    for word in words:
        assert word in line, line


def test_bad_app_credentials_are_one_line_errors_and_write_nothing(tmp_path, gh, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    pem = gh.add_app(APP, installed_on=[REPO])
    other_pem = gh.add_app("someone-else", installed_on=[REPO])
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    app_id = str(gh.app_id(APP))
    gh.clear_log()

    _refused(_triage(number, "--app-id", app_id), "--app-key")
    _refused(_triage(number, "--app-key", str(_key_file(tmp_path, pem))), "--app-id")
    _refused(
        _triage(number, "--app-id", app_id, "--app-key", "/nope.pem"), "nor a readable .pem file"
    )
    hostile = "QUJD" * 200  # key-like text that is no key: refused without being quoted
    ran = _triage(number, "--app-id", app_id, "--app-key", hostile)
    _refused(ran, "not a PEM private key")
    assert "QUJDQUJD" not in ran.stderr
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    _refused(_triage(number, "--app-id", app_id, "--app-key", ec_pem), "RSA key")
    (tmp_path / "junk.pem").write_text("not a key")
    _refused(
        _triage(number, "--app-id", app_id, "--app-key", str(tmp_path / "junk.pem")),
        "not a PEM private key",
    )
    _refused(_triage(number, "--app-id", "my app", "--app-key", pem), "--app-id")
    assert gh.requests == []  # all of them caught before any request

    wrong = _triage(number, "--app-id", app_id, "--app-key", other_pem)
    _refused(wrong, "rejected the app's credentials", app_id)
    assert other_pem not in wrong.stderr

    gh.add_repo("acme/elsewhere")
    elsewhere = gh.add_issue("acme/elsewhere", *BUG, user="jdoe")["number"]
    missing = ossbot(
        "triage", "--repo", "acme/elsewhere", "--issue", str(elsewhere),
        "--app-id", app_id, "--app-key", pem,
    )  # fmt: skip
    _refused(missing, "not installed on acme/elsewhere", f"apps/{APP}/installations/new")
    assert [r for r in gh.requests if r.method != "GET" and "/app/" not in r.path] == []
    assert gh.comments(REPO, number) == []


def test_an_expired_or_foreign_jwt_is_refused_by_the_fake(gh):
    """The fake checks what GitHub checks, so the tests above can fail."""
    import time

    import jwt
    import requests

    pem = gh.add_app(APP, installed_on=[REPO])
    now = int(time.time())

    def ask(claims: dict) -> int:
        token = jwt.encode(claims, pem, algorithm="RS256")
        return requests.get(
            f"{gh.url}/app", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).status_code

    good = {"iat": now - 60, "exp": now + 300, "iss": str(gh.app_id(APP))}
    assert ask(good) == 200
    assert ask({**good, "exp": now - 10}) == 401
    assert ask({**good, "exp": now + 3600}) == 401
    assert ask({**good, "iss": "12345"}) == 401
    plain = requests.get(f"{gh.url}/app", headers={"Authorization": "token ghs_actions_token"})
    assert plain.status_code == 401
    signed = jwt.encode(good, pem, algorithm="RS256")
    issues = requests.get(
        f"{gh.url}/repos/{REPO}/issues", headers={"Authorization": f"Bearer {signed}"}, timeout=10
    )
    assert issues.status_code == 401  # a JWT is for the app's own endpoints only


def test_graphql_rate_limits_are_waited_out_and_an_unknown_viewer_writes_nothing(gh, monkeypatch):
    monkeypatch.delenv("OSSBOT_ACTIONS_TOKEN")
    limited = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    gh.fail("POST", r"/graphql$", 200, body=limited, times=2)
    number = gh.add_issue(REPO, *BUG, user="jdoe")["number"]
    ran = _triage(number)
    assert ran.exit_code == 0, ran.stderr
    assert len(gh.calls("POST", r"/graphql$")) == 3
    assert [c["user"]["login"] for c in gh.comments(REPO, number)] == [BOT]

    other = gh.add_issue(REPO, "Another crash", "It crashes too.", user="jdoe")["number"]
    gh.fail("POST", r"/graphql$", 200, body={"data": {"viewer": None}})
    ran = _triage(other)
    assert ran.exit_code == 1 and "bot.login" in ran.stderr
    assert gh.comments(REPO, other) == []  # no guess, so no comment a later run misses
