"""The review detectors' corpora: planted findings, built at test time, and real-world clean diffs.

`planted(seed)` gives (kind, rule, unified diff as `git diff` prints it) cases: every secret rule
in at least five contexts (.env, YAML, JSON, Python, JavaScript, shell, Dockerfile, TOML), merge
conflicts, debug leftovers across languages, and TODO comments. Fake secrets are generated here
from a seeded `random.Random` and never written down: no literal in this repository looks like a
real credential (prefixes are split so that scanners do not flag the source either).

`clean_diffs()` lists the real commits of simonw/llm in ../shared/corpora (read only, evaluation
only, never copied into the project); `[]` when that folder is absent.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Sequence
from pathlib import Path

from unidiff import PatchSet

from ossbot.review.detect import Hit, scan_file

CLEAN_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "review"
CLEAN_DIR = CLEAN_DIR / "simonw-llm-commits"

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
DIGITS = string.digits

Case = tuple[str, str, str]  # (kind, rule, diff text)


def rand(rng: random.Random, n: int, chars: str = ALNUM) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return rng.choice("123456789") + rand(rng, n - 1, DIGITS)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    issued = rng.randrange(1_600_000_001, 1_790_000_000)
    claims = {"sub": f"user-{_digits(rng, 7)}", "iat": issued, "exp": issued + 3600}
    claims["scope"] = rng.choice(["read", "read write", "admin"])
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{rand(rng, 43, B64URL)}"


def _discord(rng: random.Random) -> str:
    user_id = _b64url(str(rng.randrange(10**17, 10**19)).encode())
    return f"{user_id}.{rand(rng, 6, B64URL)}.{rand(rng, 38, B64URL)}"


def _db_url(rng: random.Random) -> str:
    scheme = rng.choice(["post" + "gres", "postgresql", "mysql", "mongodb+srv", "redis"])
    host = rng.choice(["db-7.prod.internal", "cluster0.a1b2c.mongodb.net", "pg.eu-west-1.rds.aws"])
    return f"{scheme}://app_{rand(rng, 4)}:{rand(rng, 18)}@{host}:5432/app"


# The value of each secret rule, built at test time.
TOKENS: dict[str, Callable[[random.Random], str]] = {
    "aws-access-key-id": lambda r: "AK" + "IA" + rand(r, 16, UPPER),
    "aws-secret-access-key": lambda r: rand(r, 38, B64) + r.choice("ab") + r.choice("89"),
    "github-token": lambda r: "gh" + r.choice("pousr") + "_" + rand(r, 36),
    "github-fine-grained-token": lambda r: "github" + "_pat_" + rand(r, 22) + "_" + rand(r, 59),
    "gitlab-token": lambda r: "gl" + "pat-" + rand(r, 20, ALNUM + "_"),
    "slack-token": lambda r: (
        "xo" + "xb-" + _digits(r, 12) + "-" + _digits(r, 13) + "-" + rand(r, 24)
    ),
    "slack-webhook": lambda r: (
        "https://hooks.slack.com/services/T"
        + rand(r, 10, UPPER)
        + "/B"
        + rand(r, 10, UPPER)
        + "/"
        + rand(r, 24)
    ),
    "discord-bot-token": _discord,
    "discord-webhook": lambda r: (
        "https://discord.com/api/webhooks/" + _digits(r, 18) + "/" + rand(r, 68, B64URL)
    ),
    "telegram-bot-token": lambda r: _digits(r, 10) + ":A" + "A" + rand(r, 33, B64URL),
    "stripe-secret-key": lambda r: r.choice(["sk", "rk"]) + "_live_" + rand(r, r.choice([24, 99])),
    "stripe-test-key": lambda r: "sk" + "_test_" + rand(r, r.choice([24, 99])),
    "twilio-api-key": lambda r: "S" + "K" + rand(r, 32, HEX),
    "twilio-auth-token": lambda r: rand(r, 32, HEX),
    "sendgrid-api-key": lambda r: "S" + "G." + rand(r, 22, B64URL) + "." + rand(r, 43, B64URL),
    "mailchimp-api-key": lambda r: rand(r, 32, HEX) + "-us" + str(r.randint(1, 21)),
    "npm-token": lambda r: "np" + "m_" + rand(r, 36),
    "pypi-token": lambda r: "py" + "pi-AgEIcHlwaS5vcmc" + rand(r, r.randint(120, 180), B64URL),
    "openai-api-key": lambda r: r.choice(
        [
            "sk" + "-proj-" + rand(r, 74, B64URL) + "T3Blbk" + "FJ" + rand(r, 74, B64URL),
            "sk" + "-svcacct-" + rand(r, 64, B64URL),
            "sk" + "-" + rand(r, 20) + "T3Blbk" + "FJ" + rand(r, 20),
        ]
    ),
    "anthropic-api-key": lambda r: "sk" + "-ant-api03-" + rand(r, 93, B64URL) + "AA",
    "google-api-key": lambda r: "AI" + "za" + rand(r, 35, B64URL),
    "huggingface-token": lambda r: "h" + "f_" + rand(r, 34, string.ascii_letters),
    "groq-api-key": lambda r: "gs" + "k_" + rand(r, 52),
    "replicate-api-token": lambda r: "r" + "8_" + rand(r, 37),
    "openrouter-api-key": lambda r: "sk" + "-or-v1-" + rand(r, 64, HEX),
    "azure-storage-key": lambda r: (
        "DefaultEndpointsProtocol=https;AccountName=acme"
        + rand(r, 6, string.ascii_lowercase)
        + ";Account"
        + "Key="
        + rand(r, 86, B64)
        + "==;EndpointSuffix=core.windows.net"
    ),
    "jwt": _jwt,
    "database-url-password": _db_url,
}

# The variable each rule's value is usually assigned to (some rules need the name).
NAMES: dict[str, str] = {
    "aws-access-key-id": "AWS_ACCESS_KEY_ID",
    "aws-secret-access-key": "AWS_SECRET_ACCESS_KEY",
    "twilio-auth-token": "TWILIO_AUTH_TOKEN",
    "azure-storage-key": "AZURE_STORAGE_CONNECTION_STRING",
    "database-url-password": "DATABASE_URL",
    "slack-webhook": "SLACK_WEBHOOK_URL",
    "discord-webhook": "DISCORD_WEBHOOK_URL",
    "jwt": "SERVICE_JWT",
}


def _camel(name: str) -> str:
    first, *rest = name.lower().split("_")
    return first + "".join(word.title() for word in rest)


# A context: (name, value) -> (path, lines before, added lines, lines after); None before: new file.
Context = Callable[[str, str], tuple[str, Sequence[str] | None, list[str], Sequence[str]]]

CONTEXTS: dict[str, Context] = {
    "env": lambda n, v: (".env", None, ["# local settings", f"{n}={v}", "DEBUG=false"], ()),
    "yaml": lambda n, v: (
        "deploy/config.yaml",
        ["service:", "  name: api", "  replicas: 2"],
        [f"  {n.lower()}: {v}"],
        ["  region: eu-west-1"],
    ),
    "json": lambda n, v: (
        "config/settings.json",
        ["{", '  "name": "api",'],
        [f'  "{n.lower()}": "{v}",'],
        ['  "debug": false', "}"],
    ),
    "python": lambda n, v: (
        "src/app/settings.py",
        ["import os", "", 'ENV = os.environ.get("ENV", "dev")'],
        [f'{n} = "{v}"'],
        ["", "TIMEOUT = 30"],
    ),
    "js": lambda n, v: (
        "src/client/config.js",
        ["export const config = {", '  region: "eu-west-1",'],
        [f'  {_camel(n)}: "{v}",'],
        ["};"],
    ),
    "shell": lambda n, v: (
        "scripts/deploy.sh",
        ["#!/usr/bin/env bash", "set -euo pipefail"],
        [f"export {n}={v}"],
        ['exec ./bin/server "$@"'],
    ),
    "dockerfile": lambda n, v: (
        "Dockerfile",
        ["FROM python:3.12-slim", "WORKDIR /app"],
        [f"ENV {n}={v}"],
        ['CMD ["python", "-m", "app"]'],
    ),
    "toml": lambda n, v: (
        "config/prod.toml",
        ["[service]", 'name = "api"'],
        [f'{n.lower()} = "{v}"'],
        ["port = 8080"],
    ),
}


def file_diff(
    path: str,
    added: Sequence[str],
    before: Sequence[str] | None = None,
    after: Sequence[str] = (),
    start: int = 12,
) -> str:
    """One file's `git diff` text: a new file when `before` is None, else one hunk at `start`."""
    if before is None:
        head = f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..5d3b9a1\n"
        head += f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n"
        return head + "".join(f"+{line}\n" for line in added)
    old = len(before) + len(after)
    new = old + len(added)
    head = f"diff --git a/{path} b/{path}\nindex 3b18e51..a9c2f4d 100644\n"
    head += f"--- a/{path}\n+++ b/{path}\n@@ -{start},{old} +{start},{new} @@\n"
    body = [f" {line}" for line in before] + [f"+{line}" for line in added]
    body += [f" {line}" for line in after]
    return head + "".join(f"{line}\n" for line in body)


def _pem(rng: random.Random, label: str) -> list[str]:
    kind = f"{label} PRIVATE KEY" if label else "PRIVATE KEY"
    body = [rand(rng, 64, B64) for _ in range(rng.randint(3, 6))] + [rand(rng, 24, B64) + "=="]
    return [f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"]


def _private_keys(rng: random.Random) -> list[str]:
    rsa, ec, ossh, dsa, enc = (_pem(rng, label) for label in ("RSA", "EC", "OPENSSH", "DSA", ""))
    pkcs8 = _pem(rng, "ENCRYPTED")
    pgp_body = [rand(rng, 64, B64) for _ in range(4)]
    pgp = ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "Version: GnuPG v2", "", *pgp_body]
    pgp += ["=" + rand(rng, 4, B64), "-----END PGP PRIVATE KEY BLOCK-----"]
    inline = "\\n".join(enc) + "\\n"
    return [
        file_diff("deploy/id_rsa", rsa),
        file_diff(
            "config/service-account.json",
            ['  "private_key_id": "' + rand(rng, 40, HEX) + '",', f'  "private_key": "{inline}",'],
            ["{", '  "type": "service_account",'],
            ['  "client_email": "bot@acme.iam.gserviceaccount.com"', "}"],
        ),
        file_diff(
            "src/app/keys.py",
            [f'SIGNING_KEY = """{ec[0]}', *ec[1:], '"""'],
            ["import os", ""],
            ["", "def sign(data):", "    ..."],
        ),
        file_diff(
            ".github/deploy.yaml",
            ["    ssh_key: |", *(f"      {line}" for line in ossh)],
            ["deploy:", "  target: prod"],
        ),
        file_diff("docs/setup.md", ["Use this key:", "", "```", *pkcs8, "```"], ["# Setup", ""]),
        file_diff(".env.production", [f'SSH_KEY="{dsa[0]}', *dsa[1:-1], f'{dsa[-1]}"'], None),
        file_diff("keys/release.asc", pgp),
    ]


def _secret_cases(rng: random.Random) -> list[Case]:
    cases: list[Case] = [("secret", "private-key", diff) for diff in _private_keys(rng)]
    for rule, make in TOKENS.items():
        name = NAMES.get(rule, rule.upper().replace("-", "_"))
        for context in CONTEXTS.values():
            path, before, added, after = context(name, make(rng))
            cases.append(("secret", rule, file_diff(path, added, before, after)))
    return cases


def _conflict(ours: Sequence[str], theirs: Sequence[str], base: Sequence[str] = ()) -> list[str]:
    lines = ["<<<<<<< HEAD", *ours]
    if base:
        lines += ["||||||| merged common ancestors", *base]
    return [*lines, "=======", *theirs, ">>>>>>> feature/retry"]


def _conflict_cases() -> list[Case]:
    diffs = [
        file_diff(
            "src/app/models.py",
            _conflict(["    timeout = 30"], ["    timeout = 60"]),
            ["class Client:"],
            ["    retries = 3"],
        ),
        file_diff(
            "web/src/app.js",
            _conflict(["const API = '/v1';"], ["const API = '/v2';"]),
            ["import x from './x';"],
        ),
        file_diff("deploy/app.yaml", _conflict(["replicas: 2"], ["replicas: 4"]), ["name: api"]),
        file_diff(
            "package.json",
            _conflict(['    "react": "^18.2.0",'], ['    "react": "^18.3.1",']),
            ["{", '  "dependencies": {'],
            ["  }", "}"],
        ),
        file_diff(
            "README.md", _conflict(["Install with pip."], ["Install with uv."]), ["# Widgets", ""]
        ),
        file_diff(
            "docs/index.rst",
            _conflict(["Widgets", "======="], ["Widgets!", "========"]),
            [".. toctree::", ""],
        ),
        file_diff(
            "src/lib.rs",
            _conflict(["    let n = 1;"], ["    let n = 2;"], base=["    let n = 0;"]),
            ["fn main() {"],
            ["}"],
        ),
        file_diff("src/util.go", ["\treturn nil", ">>>>>>> main"], ["func f() error {"], ["}"]),
        file_diff("web/styles.css", ["<<<<<<< HEAD", "  color: red;"], [".btn {"], ["}"]),
        file_diff("Gemfile.lock", _conflict(["    rails (7.1.2)"], ["    rails (7.1.3)"]), ["GEM"]),
        file_diff("notes.txt", _conflict(["meeting at 3"], ["meeting at 4"]), ["Notes"]),
        file_diff(
            "src/main/java/com/acme/App.java",
            _conflict(["    int port = 8080;"], ["    int port = 9090;"]),
            ["public class App {"],
            ["}"],
        ),
        file_diff(
            "CHANGELOG.md",
            ["Release 2.0", "===========", "", *_conflict(["- fix A"], ["- fix B"])],
            ["# Changelog", ""],
        ),
    ]
    return [("conflict-marker", "conflict-marker", diff) for diff in diffs]


def _debug_cases() -> list[Case]:
    py_before = ["def handle(request):", "    data = request.json()"]
    rows: list[tuple[str, str, list[str], list[str] | None]] = [
        ("breakpoint", "src/widgets/core.py", ["    breakpoint()"], py_before),
        ("pdb", "src/widgets/api.py", ["    import pdb; pdb.set_trace()"], py_before),
        ("pdb", "src/widgets/jobs.py", ["    import ipdb", "    ipdb.set_trace()"], py_before),
        ("python-print", "src/widgets/store.py", ['    print("data", data)'], py_before),
        (
            "js-console-log",
            "src/components/Button.jsx",
            ["  console.log('clicked', props);"],
            ["export function Button(props) {"],
        ),
        ("js-console-log", "lib/queue.mjs", ["  console.debug(job)"], ["function run(job) {"]),
        ("debugger", "src/app.ts", ["  debugger;"], ["function boot(): void {"]),
        ("binding-pry", "app/models/user.rb", ["    binding.pry"], ["  def save", "    valid?"]),
        ("byebug", "app/controllers/users_controller.rb", ["    byebug"], ["  def create"]),
        ("binding-irb", "lib/tasks/sync.rb", ["  binding.irb"], ["def sync"]),
        ("php-var-dump", "src/Controller/Home.php", ["        var_dump($user);"], ["<?php"]),
        ("php-dd", "app/Http/Controllers/OrderController.php", ["        dd($order);"], ["<?php"]),
        ("rust-dbg", "src/parser.rs", ["    let n = dbg!(tokens.len());"], ["fn parse() {"]),
        (
            "java-println",
            "src/main/java/com/acme/Service.java",
            ['        System.out.println("got " + order);'],
            ["    public void handle(Order order) {"],
        ),
    ]
    return [
        ("debug-leftover", rule, file_diff(path, added, before, ["    return None"]))
        for rule, path, added, before in rows
    ]


def _todo_cases() -> list[Case]:
    rows = [
        ("src/widgets/retry.py", ["    # TODO: back off exponentially", "    time.sleep(1)"]),
        ("src/client/socket.ts", ["  // FIXME race between close and send"]),
        ("cmd/server/main.go", ["\t// HACK: the proxy drops the header"]),
        ("db/migrations/0042.sql", ["-- TODO drop the legacy column next release"]),
        ("deploy/values.yaml", ["replicas: 3  # XXX: until the autoscaler lands"]),
        ("web/templates/base.html", ["<!-- TODO: move to the CDN -->"]),
        ("src/lib.rs", ["    /* TODO: avoid the clone */"]),
    ]
    return [("todo", "todo", file_diff(path, added, ["x = 1"], [])) for path, added in rows]


def planted(seed: int = 0) -> list[Case]:
    """(kind, rule, diff text) cases, each planting one finding of that kind and rule."""
    rng = random.Random(seed)
    return _secret_cases(rng) + _conflict_cases() + _debug_cases() + _todo_cases()


def clean_diffs() -> list[Path]:
    """The real-world diffs (commits of simonw/llm), or [] when the corpus is absent."""
    return sorted(CLEAN_DIR.glob("*.diff")) if CLEAN_DIR.is_dir() else []


def added_by_file(diff_text: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """(path, added lines with their new-file line numbers) per file of a unified diff."""
    files = []
    for patched in PatchSet(diff_text):
        if patched.is_removed_file or patched.is_binary_file:
            continue
        added = [
            (int(line.target_line_no), line.value.rstrip("\r\n"))
            for hunk in patched
            for line in hunk
            if line.is_added and line.target_line_no is not None
        ]
        files.append((patched.path, added))
    return files


def scan_diff(diff_text: str) -> list[tuple[str, Hit]]:
    return [
        (path, hit) for path, added in added_by_file(diff_text) for hit in scan_file(path, added)
    ]


def recalled(case: Case) -> bool:
    kind, rule, diff = case
    return any(hit.kind == kind and hit.rule == rule for _, hit in scan_diff(diff))
