"""The review detectors (ossbot.review.detect): secrets by provider format, conflict markers,
debug leftovers by language and new TODO comments, on a diff's added lines. Fake secrets are
built at test time from a seeded random.Random (tests/review_corpus.py): none is written here."""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import re
import string
from collections import Counter

import pytest

import review_corpus as corpus
from ossbot.review import detect
from ossbot.review.detect import SECRET_RULES, Hit, redact, scan_file

HEX = "0123456789abcdef"


def rng(seed: int = 7) -> random.Random:
    return random.Random(seed)


def rand(n: int, chars: str = corpus.ALNUM, seed: int = 7) -> str:
    return corpus.rand(rng(seed), n, chars)


def token(rule: str, seed: int = 7) -> str:
    return corpus.TOKENS[rule](rng(seed))


def lines(*texts: str, start: int = 1) -> list[tuple[int, str]]:
    return list(enumerate(texts, start))


def scan(path: str, *texts: str, start: int = 1) -> list[Hit]:
    return scan_file(path, lines(*texts, start=start))


def rules(hits: list[Hit]) -> list[str]:
    return [hit.rule for hit in hits]


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def preview_of(detail: str) -> str:
    found = re.search(r"\(([^()]*…[^()]*)\)", detail)
    assert found, detail
    return found.group(1)


# --- the interface -------------------------------------------------------------------------


def test_hit_is_a_frozen_dataclass_with_the_agreed_fields() -> None:
    assert [f.name for f in dataclasses.fields(Hit)] == [
        "kind",
        "rule",
        "line",
        "title",
        "detail",
        "severity",
    ]
    hit = scan("src/app.py", "breakpoint()")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.line = 2  # type: ignore[misc]


def test_nothing_in_nothing_out() -> None:
    assert scan_file("src/app.py", []) == []
    assert scan("src/app.py", "", "x = 1") == []


# --- secrets: one positive per rule, in several contexts ------------------------------------

TOKEN_RULES = sorted(corpus.TOKENS)


@pytest.mark.parametrize("rule", TOKEN_RULES)
def test_each_secret_rule_finds_its_format_on_the_given_line(rule: str) -> None:
    value = token(rule)
    name = corpus.NAMES.get(rule, rule.upper().replace("-", "_"))
    hits = scan("src/app/settings.py", "import os", f'{name} = "{value}"', start=40)
    assert [(h.kind, h.rule, h.line) for h in hits] == [("secret", rule, 41)]
    assert hits[0].severity == ("low" if rule == "stripe-test-key" else "high")
    assert hits[0].title and value not in hits[0].title


@pytest.mark.parametrize("rule", TOKEN_RULES)
@pytest.mark.parametrize("context", sorted(corpus.CONTEXTS))
def test_each_secret_rule_in_each_context(rule: str, context: str) -> None:
    name = corpus.NAMES.get(rule, rule.upper().replace("-", "_"))
    path, _, added, _ = corpus.CONTEXTS[context](name, token(rule, seed=11))
    assert rule in rules(scan(path, *added))


def test_every_secret_rule_has_a_generator_and_five_planted_cases() -> None:
    assert set(SECRET_RULES) == {"private-key", *corpus.TOKENS}
    planted = Counter(rule for kind, rule, _ in corpus.planted() if kind == "secret")
    assert all(planted[rule] >= 5 for rule in SECRET_RULES), planted


def test_tokens_inside_urls_quotes_and_headers_are_found() -> None:
    gh = token("github-token")
    assert rules(scan("ci.yml", f"  url: https://x-access-token:{gh}@github.com/a/b.git")) == [
        "github-token"
    ]
    assert rules(scan("a.sh", f'curl -H "Authorization: Bearer {gh}" https://api.github.com')) == [
        "github-token"
    ]
    aws_id, aws_secret = token("aws-access-key-id"), token("aws-secret-access-key")
    creds = ["[default]", f"aws_access_key_id = {aws_id}", f"aws_secret_access_key = {aws_secret}"]
    assert rules(scan(".aws/credentials", *creds)) == ["aws-access-key-id", "aws-secret-access-key"]


# --- secrets: negatives and placeholders ----------------------------------------------------


def test_aws_documented_examples_are_not_secrets() -> None:
    assert scan(".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE") == []
    assert scan(".env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == []
    assert scan("a.py", 'secret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"') == []


def test_aws_secret_needs_an_aws_secret_name_and_a_random_looking_value() -> None:
    value = token("aws-secret-access-key")
    assert scan("a.py", f'checksum = "{value}"') == []  # 40 base64 characters, no name
    sha1 = rand(40, HEX)
    assert scan("a.py", f'AWS_SECRET_ACCESS_KEY = "{sha1}"') == []  # one case, no upper


@pytest.mark.parametrize(
    "value",
    [
        "gh" + "p_" + "x" * 36,
        "gh" + "p_" + "a" * 36,
        "gh" + "p_" + "ab" * 18,  # low variety
        "gh" + "p_" + "your_token_here",
        "gh" + "p_" + "${GITHUB_TOKEN}",
        "gh" + "p_" + "<token>",
        "gh" + "p_" + "1234567890abcdefghijklmnopqrstuvwxyz",
        "gh" + "p_" + "EXAMPLE" + "k3Jd9sL2mQ8vR4tY7uW1zX5cB6nA0",
        "gh" + "p_" + "XXXX" + string.ascii_letters[:32],
        "sk" + "-" + "0" * 48,
        "sk" + "-proj-" + "x" * 60,
        "sk" + "-proj-...",
        "sk" + "-ant-api03-" + "." * 10,
        "gl" + "pat-" + "x" * 20,
        "AI" + "za" + "0" * 35,
        "npm_" + "0" * 36,
        "xo" + "xb-your-bot-token",
        "xo" + "xb-000000000000-0000000000000-" + "x" * 24,
    ],
)
def test_placeholders_are_not_secrets(value: str) -> None:
    assert scan("config/settings.py", f'TOKEN = "{value}"') == []
    assert scan(".env", f"TOKEN={value}") == []


def test_wrong_length_or_glued_tokens_are_not_secrets() -> None:
    body = token("github-token")[4:]
    assert scan("a.py", f'T = "gh{"p"}_{body[:35]}"') == []
    assert scan("a.py", f'T = "gh{"p"}_{body}Z"') == []  # 37 characters
    assert scan("a.py", f'T = "xgh{"p"}_{body}"') == []  # glued to a word


def test_identifiers_shaped_like_tokens_are_not_secrets() -> None:
    # camelCase words have few capitals; long base62 tokens have digits.
    assert scan("a.py", "from transformers import h" + "f_AutoModelForSequenceClassification") == []
    assert scan("a.js", "const fn = np" + "m_installPackagesFromRegistryWithRetry;") == []
    assert scan("a.py", "gh" + "p_" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij") == []


def test_regex_and_format_definitions_are_not_secrets() -> None:
    gh = token("github-token")
    assert scan("src/scan.py", 'GITHUB = re.compile(r"gh[pousr]_[A-Za-z0-9]{36}")') == []
    assert scan("src/scan.js", "const AWS = /(AKIA|ASIA)[A-Z0-9]{16}/;") == []
    assert scan("src/scan.go", "var k = regexp.MustCompile(`AIza[0-9A-Za-z_\\-]{35}`)") == []
    # A definition line is skipped whole, even around a value: documented, deliberate.
    assert scan("src/scan.py", f'assert re.match(r"gh[pousr]_", "{gh}")') == []


def test_slack_documented_webhook_is_not_a_secret() -> None:
    url = "https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24
    assert scan("README.md", f"SLACK_WEBHOOK_URL={url}") == []


def test_twilio_account_sid_alone_is_not_a_secret() -> None:
    sid = "AC" + rand(32, HEX)
    assert scan("a.py", f'TWILIO_ACCOUNT_SID = "{sid}"') == []


def test_deepseek_style_keys_are_not_reported() -> None:
    key = "sk" + "-" + rand(32, HEX)
    assert scan("a.py", f'DEEPSEEK_API_KEY = "{key}"') == []


def test_stripe_test_keys_are_low_and_the_documented_one_is_skipped() -> None:
    hits = scan("a.py", f'STRIPE_KEY = "{token("stripe-test-key")}"')
    assert [(h.rule, h.severity) for h in hits] == [("stripe-test-key", "low")]
    documented = "4eC39HqLyjWDarjtT1zdp7dc"  # the body of Stripe's documentation key
    assert scan("a.py", f'STRIPE_KEY = "sk{"_test_"}{documented}"') == []
    assert scan("a.py", f'STRIPE_KEY = "sk{"_live_"}{documented}"') == []  # a common fake


def test_azurite_development_key_is_not_a_secret() -> None:
    key = detect._AZURITE_KEY_PREFIX + rand(34, string.ascii_letters)
    line = f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;Account{'Key'}={key}=="
    assert scan(".env", line) == []


def test_discord_token_needs_a_numeric_user_id() -> None:
    good = token("discord-bot-token")
    assert rules(scan("bot.py", f'TOKEN = "{good}"')) == ["discord-bot-token"]
    _, stamp, mac = good.split(".")
    fake_id = base64.urlsafe_b64encode(b"1" + b"-not-a-user-id-xy").decode().rstrip("=")
    assert re.fullmatch(r"[MNO][A-Za-z0-9_\-]{22,26}", fake_id)  # the shape, not the digits
    assert scan("bot.py", f'TOKEN = "{fake_id}.{stamp}.{mac}"') == []


def test_jwts_only_when_they_look_real() -> None:
    real = token("jwt")
    assert rules(scan("a.py", f'AUTH = "{real}"')) == ["jwt"]
    sig = real.split(".")[2]
    header = b64url({"alg": "HS256", "typ": "JWT"})
    # jwt.io's example claims; no registered claim; alg none; a header without alg; not JSON.
    doe = b64url({"sub": "1234567890", "name": "John Doe", "iat": 1516239022})
    assert scan("a.py", f'T = "{header}.{doe}.{sig}"') == []
    assert scan("a.py", f'T = "{header}.{b64url({"some": "payload"})}.{sig}"') == []
    claims = b64url({"sub": "user-42", "exp": 1790000000})
    assert scan("a.py", f'T = "{b64url({"alg": "none"})}.{claims}.{sig}"') == []
    assert scan("a.py", f'T = "{b64url({"typ": "JWT"})}.{claims}.{sig}"') == []
    assert scan("a.py", f'T = "eyJub3QganNvbg.{claims}.{sig}"') == []


@pytest.mark.parametrize(
    "url",
    [
        "postgres://user:password@db.example.com/app",
        "postgres://postgres:postgres@localhost:5432/app",
        "postgresql://app:Zq8rT2vLm9wK@localhost/app",  # local: a dev setting
        "postgresql://app:Zq8rT2vLm9wK@db:5432/app",  # docker-compose service name
        "mysql://root:changeme@mysql.internal.acme.io/shop",
        "postgres://app:${DB_PASSWORD}@db.prod.acme.io/app",
        "postgres://app:%(password)s@db.prod.acme.io/app",
        "postgres://app:<password>@db.prod.acme.io/app",
        "postgres://app:****@db.prod.acme.io/app",
        "redis://default:secret@cache.prod.acme.io:6379",
        "postgres://admin:admin@db.prod.acme.io/app",
        "postgres://db.prod.acme.io/app",  # no password at all
        "https://user:Zq8rT2vLm9wK@example.org/",  # not a database scheme
    ],
)
def test_database_urls_with_placeholder_passwords_or_local_hosts_are_not_secrets(url: str) -> None:
    assert scan("settings.py", f'DATABASE_URL = "{url}"') == []


def test_database_url_without_a_user_name() -> None:
    url = f"redis://:{rand(20)}@cache-1.prod.acme.io:6379/0"
    assert rules(scan("settings.py", f'REDIS_URL = "{url}"')) == ["database-url-password"]


def test_database_url_with_a_real_password_is_a_secret_and_only_the_password_is_previewed() -> None:
    password = rand(18)
    hits = scan(".env", f"DATABASE_URL=postgresql://app:{password}@db-1.prod.acme.io:5432/app")
    assert rules(hits) == ["database-url-password"]
    assert password not in hits[0].detail
    assert preview_of(hits[0].detail) == redact(password)


# --- private keys --------------------------------------------------------------------------


def pem(label: str = "RSA") -> list[str]:
    return corpus._pem(rng(), label)


def test_private_key_header_alone_in_code_is_enough() -> None:
    hits = scan("src/app/keys.py", 'KEY = """-----BEGIN RSA PRIVATE KEY-----')
    assert [(h.rule, h.severity, h.line) for h in hits] == [("private-key", "high", 1)]
    assert "private key block (RSA)" in hits[0].detail


@pytest.mark.parametrize("label", ["RSA", "EC", "OPENSSH", "DSA", "ENCRYPTED", ""])
def test_private_key_blocks_of_each_type(label: str) -> None:
    assert rules(scan("deploy/key.pem", *pem(label))) == ["private-key"]
    assert rules(scan("docs/keys.md", *pem(label))) == ["private-key"]  # docs need the body


def test_pgp_private_key_block_with_armor_headers_in_a_doc() -> None:
    body = corpus._pem(rng(), "RSA")[1:3]
    block = ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "Version: GnuPG v2", "", *body]
    assert rules(scan("docs/release.rst", *block)) == ["private-key"]


def test_private_key_headers_about_the_format_are_not_keys() -> None:
    header = "-----BEGIN RSA PRIVATE KEY-----"
    assert scan("docs/keys.md", "A key starts with:", "", header, "...") == []
    assert scan("notes.txt", header) == []
    assert scan("src/pem.py", f'    if text.startswith("{header}"):') == []
    assert scan("src/pem.py", f'RSA_HEADER = "{header}"') == []
    assert scan("tests/test_pem.py", f'    assert "{header}" in out') == []
    assert scan("src/pem.py", f'# "{header}...",') == []
    assert scan("src/pem.py", f'"private_key": "{header}\\n<key bytes>\\n-----END",') == []
    assert scan("src/pem.py", 'PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")') == []
    assert scan("src/pem.py", "-----BEGIN PUBLIC KEY-----", *pem()[1:3]) == []


def test_private_key_in_a_json_string_with_escaped_newlines() -> None:
    block = "\\n".join(pem("")) + "\\n"
    assert rules(scan("sa.json", f'  "private_key": "{block}",')) == ["private-key"]


# --- redaction -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 8, 9, 12, 17, 18, 20, 40, 200])
def test_redact_shows_at_most_4_plus_2_and_a_third(size: int) -> None:
    value = rand(size, string.ascii_letters, seed=size)
    shown = redact(value).replace("…", "")
    assert len(shown) <= min(6, size // 3)
    head, _, tail = redact(value).partition("…")
    assert len(head) <= 4 and len(tail) <= 2
    assert value.startswith(head) and value.endswith(tail)


@pytest.mark.parametrize("rule", TOKEN_RULES)
def test_details_hold_a_redacted_preview_never_the_value(rule: str) -> None:
    for seed in range(5):
        value = token(rule, seed)
        name = corpus.NAMES.get(rule, rule.upper().replace("-", "_"))
        hits = scan("config/app.py", f"{name} = '{value}'")
        assert hits or detect._placeholder(value), (rule, seed)  # 0000 in random hex: rare
        for hit in hits:
            assert value not in hit.detail and value not in hit.title
            head, _, tail = preview_of(hit.detail).partition("…")
            assert len(head) <= 4 and len(tail) <= 2
            assert len(head) + len(tail) <= len(value) // 3


def test_no_planted_value_leaks_into_any_detail() -> None:
    tokens = re.compile(r"[A-Za-z0-9+/=_\-.:]{16,}")
    for kind, rule, diff in corpus.planted(seed=3):
        if kind != "secret":
            continue
        values = [
            v for line in diff.splitlines() if line.startswith("+") for v in tokens.findall(line)
        ]
        for _, hit in corpus.scan_diff(diff):
            text = hit.title + " " + hit.detail
            for value in values:
                windows = {value[i : i + 8] for i in range(len(value) - 7)}
                leaked = [w for w in windows if w in text and not w.isalpha()]
                assert not leaked, (kind, rule, hit, leaked)


def test_todo_detail_drops_the_comment_text_when_the_line_holds_a_secret() -> None:
    gh = token("github-token")
    hits = scan("src/app.py", f"x = 1  # TODO rotate {gh}")
    assert sorted(rules(hits)) == ["github-token", "todo"]
    assert all(gh not in hit.detail for hit in hits)
    assert [h.detail for h in scan("a.py", "x = 1  # TODO: cache this")] == [
        "A new TODO comment was added: “cache this”."
    ]


# --- conflict markers ----------------------------------------------------------------------

BLOCK = ["<<<<<<< HEAD", "x = 1", "=======", "x = 2", ">>>>>>> feature"]


def test_a_conflict_block_is_one_high_finding_at_its_start() -> None:
    hits = scan("src/app.py", "def f():", *BLOCK, start=10)
    assert [(h.kind, h.line, h.severity) for h in hits] == [("conflict-marker", 11, "high")]


def test_two_blocks_two_findings_and_diff3_bases_add_none() -> None:
    diff3 = ["<<<<<<< ours", "a", "||||||| base", "b", "=======", "c", ">>>>>>> theirs"]
    hits = scan("src/app.go", *BLOCK, "", *diff3)
    assert [h.line for h in hits] == [1, 7]


def test_orphan_markers_in_code() -> None:
    assert [h.line for h in scan("src/app.py", "x = 1", ">>>>>>> main")] == [2]
    assert [h.line for h in scan("src/app.py", "<<<<<<< HEAD", "x = 1")] == [1]
    assert [h.line for h in scan("src/app.py", "=======", ">>>>>>> main")] == [1, 2]


def test_lone_equals_lines_are_headings_not_markers() -> None:
    assert scan("src/app.py", "x = 1", "=======", "y = 2") == []
    assert scan("docs/index.rst", "Title", "=======") == []
    assert scan("README.md", "Widgets", "=======", "", "text") == []


def test_docs_need_both_start_and_end_markers() -> None:
    assert scan("README.md", "<<<<<<< HEAD", "text") == []
    assert scan("notes.txt", "> quoted", ">>>>>>> deeply quoted") == []
    assert [h.line for h in scan("README.md", *BLOCK)] == [1]
    assert [h.line for h in scan("docs/a.rst", *BLOCK)] == [1]


def test_marker_lookalikes_are_not_markers() -> None:
    assert scan("a.py", "<<<<<<<< eight", ">>>>>>>> eight") == []
    assert scan("a.py", "x = '<<<<<<< HEAD'", "  >>>>>>> indented") == []
    assert scan("a.py", "========", "======= trailing text") == []


# --- debug leftovers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "line", "rule", "severity"),
    [
        ("src/pkg/core.py", "    breakpoint()", "breakpoint", "medium"),
        ("src/pkg/core.py", "    import pdb; pdb.set_trace()", "pdb", "medium"),
        ("src/pkg/core.py", "import ipdb", "pdb", "medium"),
        ("src/pkg/core.py", "    __import__('pdb').set_trace()", "pdb", "medium"),
        ("src/pkg/core.py", "    if x: breakpoint()", "breakpoint", "medium"),
        ("src/pkg/core.py", '    print("got", data)', "python-print", "low"),
        ("web/src/app.js", "  console.log('x', x);", "js-console-log", "low"),
        ("web/src/app.tsx", "  items.map((i) => console.debug(i));", "js-console-log", "low"),
        ("web/src/app.ts", "  debugger;", "debugger", "medium"),
        ("web/src/app.ts", "  debugger", "debugger", "medium"),
        ("app/models/user.rb", "    binding.pry", "binding-pry", "medium"),
        ("app/models/user.rb", "    binding.irb", "binding-irb", "medium"),
        ("app/models/user.rb", "    byebug", "byebug", "medium"),
        ("src/Home.php", "    var_dump($user);", "php-var-dump", "low"),
        ("src/Home.php", "    dd($order);", "php-dd", "medium"),
        ("src/main.rs", "    let n = dbg!(a + b);", "rust-dbg", "medium"),
        ("src/main/java/a/App.java", '    System.out.println("x");', "java-println", "low"),
        ("src/main/kotlin/a/App.kt", '    System.out.println("x")', "java-println", "low"),
    ],
)
def test_debug_leftovers_by_language(path: str, line: str, rule: str, severity: str) -> None:
    hits = scan(path, line, start=5)
    assert [(h.kind, h.rule, h.line, h.severity) for h in hits] == [
        ("debug-leftover", rule, 5, severity)
    ]


@pytest.mark.parametrize(
    ("path", "line"),
    [
        # print where printing is the point: scripts, CLIs, tests, examples, docs.
        *[
            (p, '    print("x")')
            for p in [
                "tests/test_core.py",
                "src/pkg/test_core.py",
                "examples/demo.py",
                "scripts/release.py",
                "bin/tool.py",
                "docs/conf.py",
                "src/pkg/__main__.py",
                "src/pkg/cli.py",
                "setup.py",
                "conftest.py",
                "README.md",
            ]
        ],
        ("src/pkg/core.py", "    print(msg, file=sys.stderr)"),
        ("src/pkg/core.py", "    # print(x)"),
        ("src/pkg/core.py", '    help = "call print(x) to see it"'),
        ("src/pkg/core.py", "    self.print(x)"),
        ("src/pkg/core.py", "    import pdb  # noqa: T100"),
        ("src/pkg/debugging.py", "    import pdb"),
        ("src/pkg/core.py", "    pdb_path = 1"),
        ("web/src/app.js", "  console.error('failed', e);"),
        ("web/src/app.js", "  console.warn('slow');"),
        ("web/src/app.js", "  // console.log(x)"),
        ("web/src/app.js", "   * console.log(x) in a block comment"),
        ("web/src/app.js", "  const s = 'console.log(';"),
        ("web/src/app.js", "  logger.console.log(x);"),
        ("web/src/app.js", "  console.log(x); // eslint-disable-line no-console"),
        ("web/tests/app.test.js", "  console.log(x);"),
        ("web/src/app.spec.ts", "  console.log(x);"),
        ("scripts/build.js", "  console.log(x);"),
        ("webpack.config.js", "  console.log(x);"),
        ("examples/basic.js", "  console.log(x);"),
        ("web/src/app.js", "  const debuggerEnabled = true;"),
        ("web/src/app.js", "  options.debugger = true;"),
        ("app/models/user.rb", "    # binding.pry"),
        ("app/models/user.rb", '    puts "binding.pry"'),
        ("src/Home.php", "    $this->dd($x);"),
        ("src/Home.php", "function dd($x) {"),
        ("src/Home.php", "    // var_dump($x);"),
        ("src/main.go", '\tfmt.Println("hello")'),
        ("src/main.rs", "    // dbg!(x);"),
        ("src/test/java/a/AppTest.java", '    System.out.println("x");'),
        ("src/main/java/a/App.java", '    // System.out.println("x");'),
        ("src/pkg/core.rb", "    breakpoint()"),  # a Python rule, not a Ruby one
    ],
)
def test_not_debug_leftovers(path: str, line: str) -> None:
    assert [h for h in scan(path, line) if h.kind == "debug-leftover"] == []


def test_debuggers_are_reported_even_in_tests() -> None:
    assert rules(scan("tests/test_core.py", "    breakpoint()")) == ["breakpoint"]
    assert rules(scan("web/tests/a.test.js", "  debugger;")) == ["debugger"]


def test_python_files_that_are_scripts_may_print() -> None:
    script = ["import sys", "def main():", '    print("hi")', "", 'if __name__ == "__main__":']
    assert scan("src/pkg/tool.py", *script, "    main()") == []
    assert scan("src/pkg/tool.py", "#!/usr/bin/env python3", 'print("hi")') == []
    assert scan("src/pkg/tool.py", "import argparse", 'print("hi")') == []
    assert rules(scan("src/pkg/tool.py", "import sys", 'print("hi")')) == ["python-print"]


def test_node_scripts_with_a_shebang_may_log() -> None:
    assert scan("src/tool.js", "#!/usr/bin/env node", "console.log('hi');") == []


def test_python_docstrings_and_type_checking_imports_are_not_code() -> None:
    doc = ["def f():", '    """Use it:', "", "    print(f())", "    import pdb", '    """']
    assert scan("src/pkg/core.py", *doc) == []
    nested = [
        '    """Example:',
        "    x = '''",
        "    '''",
        "    print(x)",
        '    """',
        "    print(1)",
    ]
    assert [h.line for h in scan("src/pkg/core.py", *nested)] == [6]
    checking = ["if TYPE_CHECKING:", "    import pdb", "    from x import Y", "import pdb"]
    assert [h.line for h in scan("src/pkg/core.py", *checking)] == [4]


def test_docstring_state_restarts_at_a_gap_in_the_line_numbers() -> None:
    added = [(1, '    """Start of a docstring'), (40, '    print("x")')]
    assert rules(scan_file("src/pkg/core.py", added)) == ["python-print"]


# --- TODO comments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "line", "word"),
    [
        ("src/a.py", "x = 1  # TODO: cache", "TODO"),
        ("src/a.py", "# FIXME(bob) flaky", "FIXME"),
        ("src/a.js", "const u = 'http://x'; // HACK around a bug", "HACK"),
        ("src/a.ts", "  /* XXX: remove after the migration */", "XXX"),
        ("src/a.c", " * TODO handle EINTR", "TODO"),
        ("db/001.sql", "-- TODO drop the column", "TODO"),
        ("web/base.html", "<!-- TODO: move to the CDN -->", "TODO"),
        ("deploy/app.yaml", "replicas: 3  # TODO autoscale", "TODO"),
        ("Dockerfile", "# TODO pin the digest", "TODO"),
        ("src/lib.rs", "    // FIXME: avoid the clone", "FIXME"),
    ],
)
def test_new_todo_comments(path: str, line: str, word: str) -> None:
    hits = scan(path, line, start=3)
    assert [(h.kind, h.rule, h.line, h.title, h.severity) for h in hits] == [
        ("todo", "todo", 3, f"New {word}", "low")
    ]


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("docs/plan.md", "- TODO: write the guide"),
        ("README.md", "<!-- TODO: badge -->"),
        ("notes.txt", "# TODO"),
        ("src/a.py", "TODO_LIST = []"),
        ("src/a.py", '    msg = "# TODO later"'),
        ("src/a.py", "# todo: lower case is prose"),
        ("src/a.py", "# see the TODOs in the tracker"),
        ("src/a.py", "# call 555-XXX-XXXX for help"),
        ("src/a.js", "const url = 'https://x.io/#TODO';"),
        ("data/x.json", '  "note": "TODO"'),
    ],
)
def test_not_todo_comments(path: str, line: str) -> None:
    assert scan(path, line) == []


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "a" * 1_000_000,
        "gh" + "p_" * 200_000,
        ("gh" + "p_") * 200_000,
        "eyJ" * 300_000,
        "eyJ" + "a" * 500_000 + "." + "eyJ" + "b" * 500_000,
        "-----BEGIN " * 100_000,
        "postgres://a:" * 100_000,
        "AK" + "IA" * 300_000,
        ":AA" * 300_000,
        "SG." * 300_000,
        "<" * 1_000_000,
        '"' * 1_000_000,
        "'\\" * 500_000,
        "# TODO " * 100_000,
        "aws_secret" * 100_000,
        "1" * 500_000 + ":AA" + "b" * 500_000,
        "M" * 1_000_000 + ".",
        "console.log(" * 100_000,
    ],
)
def test_hostile_lines_finish(line: str) -> None:
    for path in ("src/app.py", "web/app.js", "README.md", "x.unknown"):
        assert isinstance(scan(path, line), list)


def test_hostile_many_lines_finish() -> None:
    gh = token("github-token")
    many = [(i, f"    value_{i} = compute(alpha, beta)  # TODO {i}") for i in range(1, 100_001)]
    many[50_000] = (50_001, f'TOKEN = "{gh}"')
    hits = scan_file("src/app.py", many)
    assert Counter(h.kind for h in hits) == {"todo": 99_999, "secret": 1}
    assert scan_file("src/app.py", [(1, "x" * 1_000_000)] * 100) == []


def test_only_the_first_4000_characters_of_a_line_are_scanned() -> None:
    gh = token("github-token")
    assert rules(scan("a.py", " " * 3000 + gh)) == ["github-token"]
    assert scan("a.py", " " * detect.MAX_LINE + gh) == []


# --- the corpora ---------------------------------------------------------------------------


def test_planted_corpus_shape() -> None:
    cases = corpus.planted()
    kinds = Counter(kind for kind, _, _ in cases)
    assert kinds["conflict-marker"] >= 10 and kinds["debug-leftover"] >= 10
    assert corpus.planted() == cases  # deterministic for a seed
    assert corpus.planted(seed=1) != cases
    for _, _, diff in cases:
        assert diff.startswith("diff --git a/") and "\n+++ b/" in diff


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recall_on_the_planted_corpus(seed: int) -> None:
    total: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for case in corpus.planted(seed):
        kind, rule, _ = case
        for key in (kind, f"{kind}:{rule}"):
            total[key] += 1
            found[key] += corpus.recalled(case)
    for kind in ("secret", "conflict-marker", "debug-leftover", "todo"):
        assert found[kind] / total[kind] >= 0.95, (kind, found[kind], total[kind])
    for rule in SECRET_RULES:
        key = f"secret:{rule}"
        assert found[key] / total[key] >= 0.8, (key, found[key], total[key])


def test_planted_cases_raise_no_other_findings() -> None:
    for kind, rule, diff in corpus.planted():
        others = [hit for _, hit in corpus.scan_diff(diff) if (hit.kind, hit.rule) != (kind, rule)]
        assert others == [], (kind, rule, others)


@pytest.mark.skipif(
    not corpus.clean_diffs(),
    reason=f"the clean review corpus is absent ({corpus.CLEAN_DIR}); an extra conformance test",
)
def test_no_secrets_markers_or_leftovers_on_the_clean_corpus() -> None:
    found = []
    for path in corpus.clean_diffs():
        for name, hit in corpus.scan_diff(path.read_text(encoding="utf-8", errors="replace")):
            if hit.kind != "todo":
                found.append(f"{path.name} {name}:{hit.line} {hit.rule}")
    assert found == []


GITHUB_REST = corpus.CLEAN_DIR.parents[1] / "github-rest" / "api.github.com.json.gz"


@pytest.mark.skipif(
    not GITHUB_REST.is_file(), reason=f"GitHub's REST description is absent ({GITHUB_REST})"
)
def test_github_rest_api_examples_are_documented_not_secrets() -> None:
    # Its example token (gh?_16C7…), App manifest key and OIDC token recur in API fixtures.
    import gzip

    text = gzip.decompress(GITHUB_REST.read_bytes()).decode()
    assert scan_file("api.github.com.json", lines(*text.splitlines())) == []


# --- properties ----------------------------------------------------------------------------


def test_property_hits_are_well_formed_on_arbitrary_input() -> None:
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    paths = st.sampled_from(
        ["src/a.py", "web/a.js", "a.rb", "a.php", "a.rs", "README.md", "a.rst", "Dockerfile", "x"]
    )
    alphabet = st.sampled_from([*"ab_-=:./+<>#\"' \tAKIghpsx019{}$*", "\n", "é"])
    text = st.text(alphabet=alphabet, max_size=200)

    @settings(max_examples=300, deadline=None)
    @given(path=paths, texts=st.lists(text, max_size=12))
    def check(path: str, texts: list[str]) -> None:
        added = lines(*texts, start=10)
        hits = scan_file(path, added)
        numbers = {number for number, _ in added}
        for hit in hits:
            assert hit.line in numbers
            assert hit.kind in ("secret", "conflict-marker", "debug-leftover", "todo")
            assert hit.severity in ("low", "medium", "high")
            assert hit.title and hit.detail
        assert scan_file(path, added) == hits  # deterministic

    check()


def test_property_an_embedded_secret_is_found_and_never_leaked() -> None:
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from([*" =:;,(){}[]\"'", "key", "x", "token", "Bearer"])
    filler = st.lists(pieces, max_size=8).map("".join)
    # Long random base62 bodies without a digit are left alone on purpose (identifiers such as
    # 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 look like them): about 0.2% of real tokens.
    needs_digit = {r.rule for r in detect._SECRET_RULES if r.needs_digit}

    @settings(max_examples=300, deadline=None)
    @given(
        rule=st.sampled_from(
            sorted(set(TOKEN_RULES) - {"aws-secret-access-key", "twilio-auth-token"})
        ),
        seed=st.integers(0, 10_000),
        before=filler,
        after=filler,
    )
    def check(rule: str, seed: int, before: str, after: str) -> None:
        value = token(rule, seed)
        hits = scan("config/app.py", f"{before} {value} {after}")
        for hit in hits:
            assert value not in hit.detail and value not in hit.title
        if rule in needs_digit and not any(c.isdigit() for c in value.split("_", 1)[-1]):
            assert rule not in rules(hits)  # the documented exception, as documented
            return
        assert rule in rules(hits) or detect._placeholder(value), (rule, value)

    check()
