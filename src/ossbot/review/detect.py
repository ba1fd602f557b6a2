"""Deterministic detectors for pull-request review, run on the ADDED lines of one file's diff:
leaked secrets (by precise provider formats), merge-conflict markers, debug leftovers (by
language) and new TODO comments. Few false positives matter more than recall on ambiguous cases,
so every rule is anchored on a provider prefix or an exact marker, and placeholders are dropped.

Cost is linear in the input: only the first `MAX_LINE` characters of a line are scanned, each
secret regex runs only when one of its literal keywords is in the line, every pattern starts at
a token boundary (a negative lookbehind on its own character set, so a run of repeated prefixes
is tried once, not once per character) and uses bounded or possessive quantifiers only (no
nested unbounded repetition, hence no catastrophic backtracking).

A hit never carries a detected value: titles are fixed per rule, and a secret's detail holds at
most a redacted preview (the first 4 and last 2 characters, never more than a third of it).

Decisions worth knowing:
- Stripe test keys (sk_test_/rk_test_) are reported at low severity, not skipped: they still
  open the account's test mode (customers, webhooks), but leaking one is no emergency.
- Twilio: API key SIDs (SK + 32 hex) and an auth token (32 hex) assigned to a twilio-named
  variable are reported; account SIDs (AC + 32 hex) are identifiers, not credentials, and
  "an auth token nearby" is too loose, so AC... alone is never reported.
- DeepSeek keys (sk- + 32 hex) have no distinctive prefix and are not reported.
- Database URLs with a password are reported only for a non-local host with a non-trivial
  password (no localhost, docker-compose service names without a dot, example domains, or
  passwords like "password", "postgres", "changeme", or equal to the user name).
- A private-key header in a code file is reported when it ends its line (the block goes on
  below) or a key body follows; text right after it ("...", "<key bytes>", a closing quote and
  code) means code or prose about the format. In a doc (.md/.rst/.txt/...) a body is required.
- Besides markers, a value is a placeholder when its random part has fewer than 8 distinct
  characters or six of one character in a row; after a prefix an identifier could start with
  (hf_, npm_, ghp_, sk_live_, ...), a camelCase-like case balance
  (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) or, for long base62 tokens, no digit; and documented
  public examples (AWS's, Stripe's, GitHub's REST API examples, Azurite's key) are skipped.
  Random real values fail these checks at most 2 times in 1,000 (measured).
- Lines that define a format (re.compile(...), "[A-Z0-9]{16}", "(?:") are skipped whole.
- Debug leftovers skip comments, string contents, Python docstrings and `if TYPE_CHECKING:`
  blocks (followed over consecutive added lines), lines with a lint pragma (noqa,
  eslint-disable, ...), pdb in debugging modules and pdb.post_mortem (a deliberate --pdb).
  print()/console.log() are skipped in scripts, CLIs, tests, examples and docs, and in files
  whose added lines show a shebang, a __main__ guard or argv parsing; Go's fmt.Println is never
  reported.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Kind = Literal["secret", "conflict-marker", "debug-leftover", "todo"]
Severity = Literal["low", "medium", "high"]

# Only the first 4,000 characters of an added line are scanned: real secrets, markers and
# debug calls sit well within that, and it bounds the cost of a minified or hostile line
# (a 1 MB line costs what a 4 kB one does). A secret beyond that column is not reported.
MAX_LINE = 4000

DOC_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"})


@dataclass(frozen=True)
class Hit:
    kind: Kind
    rule: str  # e.g. "aws-access-key-id", "github-token", "private-key", "python-print", "todo"
    line: int  # the new-file line number given with the line
    title: str  # short, e.g. "Possible AWS access key ID"; never holds the value
    detail: str  # one sentence; for a secret, a redacted preview only, never the value
    severity: Severity


def redact(value: str) -> str:
    """At most the first 4 and last 2 characters, and never more than a third of the value."""
    budget = len(value) // 3
    tail = min(2, budget // 3)
    head = min(4, budget - tail)
    return value[:head] + "…" + (value[len(value) - tail :] if tail else "")


# --- secrets -------------------------------------------------------------------------------

# Substrings (lower case) that mark a documented example or a placeholder, not a real value.
_PLACEHOLDER_MARKERS = (
    "example",
    "sample",
    "dummy",
    "placeholder",
    "your",
    "xxxx",
    "0000",
    "12345678",
    "abcdef",
    "fake",
    "redacted",
    "changeme",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "...",
    "…",
)
# Documented public values that contain none of the markers, by SHA-256 of the value or of its
# random part (so this file holds no key-shaped literal): the body of Stripe's documentation
# test key (sk_test_4eC3…dc, copied under every prefix), the token of GitHub's REST API examples
# (gh?_16C7…4a, under every prefix) and the OIDC token of those examples (eyJ0…YA).
_KNOWN_EXAMPLES = frozenset(
    {
        "153a182586451358014e3142089118ce38f6c7dc7c79014d3fa40b57f80b4aab",
        "7e498f91828a193cac5ecbe78ab47c6cae601d6d9edc40c59310c0e305db85ea",
        "a09fee15ced56fd50b3ac2c8a2e24152d3c70d25b84b3d438d2a91db98153c27",
    }
)
# ... and the private key of GitHub's REST API examples (the App manifest's "pem"), by the
# SHA-256 of its body's first 40 characters.
_KNOWN_KEY_BODIES = frozenset({"0274c26fc3aa3c46c387ba8e221598dceaba4e4464e56dd116a08265b209d7cc"})
# Azurite's well-known development storage key (devstoreaccount1), by its public prefix.
_AZURITE_KEY_PREFIX = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2U"

_REPEAT_RUN = re.compile(r"(.)\1{5}")  # six of one character in a row
# Lines that define a format rather than hold a value: regex constructors and pattern syntax
# ("[A-Z0-9]{16}", "[a-zA-Z0-9_-]+", "\d{4}", "(?:", "(?i)").
_FORMAT_LINE = re.compile(
    r"\bre\.(?:compile|search|match|fullmatch|findall|finditer|sub|split)\(|RegExp\(|"
    r"regexp\.(?:MustCompile|Compile)\(|Regex(?:::new)?\(|Pattern\.compile\(|"
    r"\[[^\]\s]{0,24}[A-Za-z0-9]-[A-Za-z0-9][^\]\s]{0,24}\](?:\{\d|[+*?])|"
    r"\\[dwsb](?:\{\d|[+*])|\(\?[:=!<iP]"
)

_ASSIGN = r"""["']?(?:\s{0,4}(?:=>|:=|[:=])\s{0,4}|\s{1,4})["']?"""


@dataclass(frozen=True)
class _SecretRule:
    rule: str
    title: str
    keywords: tuple[str, ...]  # lower case; the regex runs only when one is in the line
    pattern: re.Pattern[str]  # group "v": the value; optional group "r": its random part
    severity: Severity = "high"
    check: Callable[[re.Match[str]], bool] | None = None
    min_distinct: int = 8  # distinct characters the random part needs (placeholders have few)
    mixed_case: bool = False  # a random mixed-case body after a prefix an identifier could start
    # with (hf_, npm_): both cases in about equal parts, as random text has them
    needs_digit: bool = False  # a long random base62 body: at least one digit

    @property
    def noun(self) -> str:
        return _NOUNS.get(self.rule) or self.title.removeprefix("Possible ")


_NOUNS = {"database-url-password": "database URL password"}


def _mixed_case_and_digit(m: re.Match[str]) -> bool:
    value = m["v"]
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def _b64url_decode(part: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None


def _discord_id(m: re.Match[str]) -> bool:
    raw = _b64url_decode(m["id"])  # the first part is the bot's numeric user id, base64
    return raw is not None and raw.isdigit() and 17 <= len(raw) <= 20


def _jwt(m: re.Match[str]) -> bool:
    head, payload, _ = m["v"].split(".")
    header_raw, payload_raw = _b64url_decode(head), _b64url_decode(payload)
    if header_raw is None or payload_raw is None:
        return False
    try:
        header, claims = json.loads(header_raw), json.loads(payload_raw)
    except ValueError:
        return False
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return False
    if not claims.keys() & {"exp", "iat", "nbf", "sub", "iss", "aud", "jti"}:
        return False  # no registered claim: a made-up example ({"some": "payload"})
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        return False
    text = payload_raw.decode("utf-8", "replace").lower()  # jwt.io's John Doe, 1234567890
    return not any(marker in text for marker in ("john doe", "jane doe", *_PLACEHOLDER_MARKERS))


_COMMON_PASSWORDS = frozenset(
    {
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "changeme",
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongo",
        "mongodb",
        "redis",
        "rabbitmq",
        "guest",
        "root",
        "admin",
        "administrator",
        "test",
        "tester",
        "testing",
        "user",
        "username",
        "dbpass",
        "dbpassword",
        "hunter2",
        "letmein",
        "qwerty",
        "default",
        "foobar",
        "sa",
        "toor",
    }
)
_LOCAL_HOSTS = ("localhost", "127.", "0.0.0.0", "[::1]", "host.docker.internal")
_EXAMPLE_DOMAINS = (".example", "example.com", "example.org", "example.net", ".test", ".local")


def _db_password(m: re.Match[str]) -> bool:
    user, password, host = m["user"], m["v"], m["host"].lower()
    if not host.startswith("["):
        host = host.split(":")[0].rstrip(".")  # no port
    low = password.lower()
    if low in _COMMON_PASSWORDS or low == user.lower() or len(password) < 6:
        return False
    if any(word in low for word in ("password", "passwd", "secret", "changeme", "pass123")):
        return False
    if any(c in password for c in "$%{}[]*()<>"):  # templates: ${DB_PASS}, %(pw)s, {pw}, ***
        return False
    if "." not in host or host.startswith(_LOCAL_HOSTS) or host.endswith(_EXAMPLE_DOMAINS):
        return False  # localhost, docker-compose service names ("db"), documentation hosts
    return not any(name in host for name in ("example.", "your", "host.", "hostname"))


def _rule(
    rule: str,
    title: str,
    keywords: tuple[str, ...],
    pattern: str,
    severity: Severity = "high",
    check: Callable[[re.Match[str]], bool] | None = None,
    min_distinct: int = 8,
    mixed_case: bool = False,
    needs_digit: bool = False,
) -> _SecretRule:
    compiled = re.compile(pattern)
    return _SecretRule(
        rule, title, keywords, compiled, severity, check, min_distinct, mixed_case, needs_digit
    )


def _random_case(text: str) -> bool:
    """Random mixed-case text has both cases in about equal parts; an identifier in camelCase
    (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: 5 capitals in 34 letters) has few capitals. The
    rarer case must be within 3.5 standard deviations of half (a random value fails 1 in 2,000)."""
    upper = sum(c.isupper() for c in text)
    lower = sum(c.islower() for c in text)
    letters = upper + lower
    return letters < 8 or min(upper, lower) >= letters / 2 - 1.75 * math.sqrt(letters)


_W = r"(?<![A-Za-z0-9_])"  # left boundary for word-character tokens
_WD = r"(?<![A-Za-z0-9_\-])"  # ... for tokens that may contain "-"
_E = r"(?![A-Za-z0-9_])"  # right boundaries
_ED = r"(?![A-Za-z0-9_\-])"

_SECRET_RULES: tuple[_SecretRule, ...] = (
    _rule(
        "aws-access-key-id",
        "Possible AWS access key ID",
        ("akia", "asia"),
        r"(?<![A-Za-z0-9])(?P<v>(?:AKIA|ASIA)(?P<r>[A-Z0-9]{16}))(?![A-Za-z0-9])",
    ),
    _rule(
        "aws-secret-access-key",
        "Possible AWS secret access key",
        ("secret",),
        r"(?i:aws[a-z0-9_.\-]{0,20}secret[a-z0-9_.\-]{0,20}|secret_?access_?key[a-z0-9_\-]{0,8})"
        + _ASSIGN
        + r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        check=_mixed_case_and_digit,
    ),
    _rule(
        "github-token",
        "Possible GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _W + r"(?P<v>gh[pousr]_(?P<r>[A-Za-z0-9]{36}))" + _E,
        needs_digit=True,
        mixed_case=True,
    ),
    _rule(
        "github-fine-grained-token",
        "Possible GitHub fine-grained token",
        ("github_pat_",),
        _W + r"(?P<v>github_pat_(?P<r>[A-Za-z0-9]{22}_[A-Za-z0-9]{59}))" + _E,
        needs_digit=True,
        mixed_case=True,
    ),
    _rule(
        "gitlab-token",
        "Possible GitLab token",
        ("glpat-", "gldt-", "glptt-", "glrt-"),
        _WD
        + r"(?P<v>(?:glpat|gldt|glptt|glrt)-(?P<r>[A-Za-z0-9_\-]{20,64})"
        + r"(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?)(?![A-Za-z0-9_\-.])",
        mixed_case=True,
    ),
    _rule(
        "slack-token",
        "Possible Slack token",
        ("xox",),
        r"(?<![A-Za-z0-9\-])(?P<v>xox[abposr]-(?P<r>[0-9]{6,15}-[0-9]{6,15}(?:-[0-9]{6,15})?"
        r"-[A-Za-z0-9]{20,64}))(?![A-Za-z0-9\-])",
    ),
    _rule(
        "slack-webhook",
        "Possible Slack webhook URL",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/(?:services/(?P<v>T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/"
        r"(?P<r>[A-Za-z0-9]{20,32}))|(?:workflows|triggers)/(?P<v2>T[A-Z0-9]{6,12}/"
        r"[A-Z0-9]{6,12}/[0-9]{6,20}/(?P<r2>[A-Za-z0-9]{20,40})))(?![A-Za-z0-9])",
    ),
    _rule(
        "discord-bot-token",
        "Possible Discord bot token",
        (".",),
        r"(?<![A-Za-z0-9_\-.])(?P<v>(?P<id>[MNO][A-Za-z0-9_\-]{22,26})\.[A-Za-z0-9_\-]{6}\."
        r"(?P<r>[A-Za-z0-9_\-]{27,38}))(?![A-Za-z0-9_\-.])",
        check=_discord_id,
    ),
    _rule(
        "discord-webhook",
        "Possible Discord webhook URL",
        ("discord",),
        r"discord(?:app)?\.com/api/webhooks/(?P<v>[0-9]{17,20}/(?P<r>[A-Za-z0-9_\-]{60,68}))" + _ED,
    ),
    _rule(
        "telegram-bot-token",
        "Possible Telegram bot token",
        (":aa",),
        _W + r"(?P<v>[0-9]{8,10}:AA(?P<r>[A-Za-z0-9_\-]{33}))" + _ED,
    ),
    _rule(
        "stripe-secret-key",
        "Possible Stripe live secret key",
        ("sk_live_", "rk_live_"),
        _W + r"(?P<v>[sr]k_live_(?P<r>[A-Za-z0-9]{24,247}))" + _E,
        mixed_case=True,
    ),
    _rule(
        "stripe-test-key",
        "Stripe test-mode secret key",
        ("sk_test_", "rk_test_"),
        _W + r"(?P<v>[sr]k_test_(?P<r>[A-Za-z0-9]{24,247}))" + _E,
        severity="low",
        mixed_case=True,
    ),
    _rule(
        "twilio-api-key",
        "Possible Twilio API key",
        ("sk",),
        _W + r"(?P<v>SK(?P<r>[0-9a-f]{32}))" + _E,
    ),
    _rule(
        "twilio-auth-token",
        "Possible Twilio auth token",
        ("twilio",),
        r"(?i:twilio[a-z0-9_.\-]{0,20}(?:auth[_\-.]?token|secret|token))"
        + _ASSIGN
        + r"(?P<v>[0-9a-f]{32})(?![A-Za-z0-9])",
    ),
    _rule(
        "sendgrid-api-key",
        "Possible SendGrid API key",
        ("sg.",),
        r"(?<![A-Za-z0-9_\-.])(?P<v>SG\.(?P<r>[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}))" + _ED,
    ),
    _rule(
        "mailchimp-api-key",
        "Possible Mailchimp API key",
        ("-us",),
        r"(?<![A-Za-z0-9])(?P<v>(?P<r>[0-9a-f]{32})-us[0-9]{1,2})(?![A-Za-z0-9])",
    ),
    _rule(
        "npm-token",
        "Possible npm access token",
        ("npm_",),
        _W + r"(?P<v>npm_(?P<r>[A-Za-z0-9]{36}))" + _E,
        needs_digit=True,
        mixed_case=True,
    ),
    _rule(
        "pypi-token",
        "Possible PyPI API token",
        ("pypi-ageichlwas5vcmc",),
        _WD + r"(?P<v>pypi-AgEIcHlwaS5vcmc(?P<r>[A-Za-z0-9_\-]{50,1000}+))" + _ED,
    ),
    _rule(
        "openai-api-key",
        "Possible OpenAI API key",
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        _WD + r"(?P<v>sk-(?:proj|svcacct|admin)-(?P<r>[A-Za-z0-9_\-]{40,250}+))" + _ED,
    ),
    _rule(
        "openai-api-key",
        "Possible OpenAI API key",
        ("t3blbkfj",),
        _WD + r"(?P<v>sk-(?P<r>[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))" + _ED,
    ),
    _rule(
        "anthropic-api-key",
        "Possible Anthropic API key",
        ("sk-ant-",),
        _WD + r"(?P<v>sk-ant-(?:api|admin)[0-9]{2}-(?P<r>[A-Za-z0-9_\-]{80,120}+))" + _ED,
    ),
    _rule(
        "google-api-key",
        "Possible Google API key",
        ("aiza",),
        _WD + r"(?P<v>AIza(?P<r>[0-9A-Za-z_\-]{35}))" + _ED,
    ),
    _rule(
        "huggingface-token",
        "Possible Hugging Face token",
        ("hf_",),
        _W + r"(?P<v>hf_(?P<r>[A-Za-z0-9]{34}))" + _E,
        mixed_case=True,
    ),
    _rule(
        "groq-api-key",
        "Possible Groq API key",
        ("gsk_",),
        _W + r"(?P<v>gsk_(?P<r>[A-Za-z0-9]{52}))" + _E,
        needs_digit=True,
        mixed_case=True,
    ),
    _rule(
        "replicate-api-token",
        "Possible Replicate API token",
        ("r8_",),
        _W + r"(?P<v>r8_(?P<r>[A-Za-z0-9]{37}))" + _E,
        needs_digit=True,
        mixed_case=True,
    ),
    _rule(
        "openrouter-api-key",
        "Possible OpenRouter API key",
        ("sk-or-v1-",),
        _WD + r"(?P<v>sk-or-v1-(?P<r>[0-9a-f]{64}))" + _ED,
    ),
    _rule(
        "azure-storage-key",
        "Possible Azure storage account key",
        ("accountkey=",),
        r"(?<![A-Za-z])(?i:AccountKey)=(?P<v>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])",
        check=lambda m: not m["v"].startswith(_AZURITE_KEY_PREFIX),
    ),
    _rule(
        "azure-storage-key",
        "Possible Azure shared access key",
        ("sharedaccesskey=",),
        r"(?<![A-Za-z])(?i:SharedAccessKey)=(?P<v>[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])",
    ),
    _rule(
        "jwt",
        "Possible JSON Web Token",
        ("eyj",),
        _WD + r"(?P<v>eyJ[A-Za-z0-9_\-]{10,1000}+\.eyJ[A-Za-z0-9_\-]{10,3000}+\."
        r"(?P<r>[A-Za-z0-9_\-]{20,1000}+))" + _ED,
        check=_jwt,
    ),
    _rule(
        "database-url-password",
        "Password in a database URL",
        ("://",),
        r"(?<![A-Za-z0-9+.\-])(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|"
        r"amqps?|mssql|sqlserver|cockroachdb|clickhouse)(?:\+[A-Za-z0-9]{1,20})?://"
        r"(?P<user>[^\s:/@'\"`]{0,64}):(?P<v>[^\s/@'\"`]{1,128})@"
        r"(?P<host>[A-Za-z0-9.\-_\[\]:]{1,253})",
        check=_db_password,
        min_distinct=5,
    ),
)

SECRET_RULES: tuple[str, ...] = (
    "private-key",
    *dict.fromkeys(rule.rule for rule in _SECRET_RULES),
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _placeholder(value: str, random_part: str = "") -> bool:
    low = value.lower()
    if any(marker in low for marker in _PLACEHOLDER_MARKERS):
        return True
    if _sha256(value) in _KNOWN_EXAMPLES or _sha256(random_part) in _KNOWN_EXAMPLES:
        return True
    return _REPEAT_RUN.search(value) is not None


_KEYWORDS = tuple(sorted({k for rule in _SECRET_RULES for k in rule.keywords}))
_RULES_BY_KEYWORD: dict[str, tuple[int, ...]] = {
    keyword: tuple(i for i, rule in enumerate(_SECRET_RULES) if keyword in rule.keywords)
    for keyword in _KEYWORDS
}


def _secret_hits(number: int, line: str, low: str) -> list[Hit]:
    found = [keyword for keyword in _KEYWORDS if keyword in low]
    if not found:
        return []
    candidates = sorted({index for keyword in found for index in _RULES_BY_KEYWORD[keyword]})
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    format_line: bool | None = None  # decided on the first candidate match only
    for index in candidates:
        rule = _SECRET_RULES[index]
        for m in rule.pattern.finditer(line):
            if format_line is None:
                format_line = _FORMAT_LINE.search(line) is not None
            if format_line:
                return []
            groups = m.groupdict()
            value = groups.get("v") or groups.get("v2") or ""
            random_part = groups.get("r") or groups.get("r2") or value
            if not value or _placeholder(value, random_part):
                continue
            if len(set(random_part)) < rule.min_distinct:
                continue
            if rule.mixed_case and not _random_case(random_part):
                continue
            if rule.needs_digit and not any(c.isdigit() for c in random_part):
                continue
            if rule.check is not None and not rule.check(m):
                continue
            span = m.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue  # one value, one finding (the first rule in the table wins)
            taken.append(span)
            detail = (
                f"Matches the {rule.noun} format ({redact(value)}): if it is real, revoke it "
                "and read it from a secret store instead."
            )
            hits.append(Hit("secret", rule.rule, number, rule.title, detail, rule.severity))
            break  # one finding per rule and line
    return hits


_PRIVATE_KEY = re.compile(r"-----BEGIN(?P<label>[ A-Z0-9]{0,30})PRIVATE KEY(?: BLOCK)?-----")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/]{40,}")
_KEY_BODY_LINE = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_ARMOR_HEADER = re.compile(r"[A-Za-z][A-Za-z\-]{1,30}: ")
_LINE_BREAKS = re.compile(r"(?:\s|\\[rn])+")  # whitespace and escaped line breaks


def _body(text: str) -> str | None:
    """The key body (base64, 40+ characters) in `text`, or None."""
    found = _KEY_BODY.search(text.replace("\\n", " ").replace("\\r", " "))
    return found.group() if found is not None and len(set(found.group())) >= 10 else None


def _private_key_hits(added: Sequence[tuple[int, str]], doc: bool) -> list[Hit]:
    hits: list[Hit] = []
    for index, (number, raw) in enumerate(added):
        line = raw[:MAX_LINE]
        if "PRIVATE KEY" not in line:
            continue
        m = _PRIVATE_KEY.search(line)
        if m is None or _FORMAT_LINE.search(line):
            continue
        after = line[m.end() : m.end() + 400]
        body = _body(after)
        for next_number, next_raw in [] if body else added[index + 1 : index + 6]:
            if next_number - number > 5:
                break
            text = next_raw[:MAX_LINE].strip(" \t\"'`,+;").removesuffix("\\n").strip()
            if not text or _ARMOR_HEADER.match(text):
                continue  # PGP/PEM armor headers ("Version: ", "Proc-Type: ") and blank lines
            body = _body(text) if _KEY_BODY_LINE.fullmatch(text) else None
            break
        if body is not None and _sha256(body[:40]) in _KNOWN_KEY_BODIES:
            continue  # a documented example key
        # Without a body: never in a doc; in code, only a header that ends its line (the block
        # goes on below). Text after it means a format, not a key: "...", "<key bytes>", a
        # string closed right after the header (a constant, a startswith() test, an assertion).
        if not body and (doc or _LINE_BREAKS.sub("", after)):
            continue
        label = " ".join(m["label"].split())
        what = f"private key block ({label})" if label else "private key block"
        hits.append(
            Hit(
                "secret",
                "private-key",
                number,
                "Possible private key",
                f"A {what} starts on this line: if it is real, revoke the key and remove it "
                "from the history.",
                "high",
            )
        )
    return hits


# --- conflict markers ----------------------------------------------------------------------

_CONFLICT_START = re.compile(r"<{7}(?:[ \t]|$)")
_CONFLICT_END = re.compile(r">{7}(?:[ \t]|$)")
_CONFLICT_MIDDLE = re.compile(r"(?:={7}|\|{7}(?:[ \t].*)?)$")


def _conflict_hits(added: Sequence[tuple[int, str]], doc: bool) -> list[Hit]:
    markers: list[tuple[int, str]] = []
    for number, raw in added:
        if not raw or raw[0] not in "<>=|":
            continue
        line = raw[:MAX_LINE].rstrip("\r\n")
        if _CONFLICT_START.match(line):
            markers.append((number, "<"))
        elif _CONFLICT_END.match(line):
            markers.append((number, ">"))
        elif _CONFLICT_MIDDLE.match(line):
            markers.append((number, "="))
    kinds = {kind for _, kind in markers}
    if doc and not {"<", ">"} <= kinds:
        return []  # "=======" underlines a heading; a lone ">>>>>>>" can be quoting
    if not kinds & {"<", ">"}:
        return []
    hits: list[Hit] = []
    open_block = False  # one finding per conflict block, at its "<<<<<<<" line
    for number, kind in markers:
        if kind == "<":
            open_block = True
        elif open_block:
            if kind == ">":
                open_block = False
            continue
        # Named in words: the comment escapes "<" and ">", which code spans would show as is.
        marker = {"<": "conflict-start", ">": "conflict-end", "=": "conflict-separator"}[kind]
        hits.append(
            Hit(
                "conflict-marker",
                "conflict-marker",
                number,
                "Merge conflict marker",
                f"A {marker} marker (seven {'<>='['<>='.index(kind)]} characters) was added: "
                "resolve the conflict before merging.",
                "high",
            )
        )
    return hits


# --- languages, comments and strings -------------------------------------------------------


@dataclass(frozen=True)
class _Syntax:
    name: str
    tokens: re.Pattern[str]  # group "q": a string literal; group "c": a comment opener
    star_lines: bool  # a line starting with "*" continues a block comment


def _syntax(name: str, quotes: str, openers: Sequence[str], star_lines: bool) -> _Syntax:
    # Possessive, unrolled string literals (an unterminated one runs to the end of the line).
    strings = [rf"{q}(?:[^{q}\\]++|\\.)*+{q}?" for q in quotes]
    comment = "|".join(re.escape(opener) for opener in openers)
    return _Syntax(name, re.compile(rf"(?P<q>{'|'.join(strings)})|(?P<c>{comment})"), star_lines)


_PYTHON = _syntax("python", "\"'", ["#"], False)
_RUBY = _syntax("ruby", "\"'", ["#"], False)
_HASH = _syntax("hash", "\"'", ["#"], False)
_JS = _syntax("js", "\"'`", ["//", "/*"], True)
_PHP = _syntax("php", "\"'", ["#", "//", "/*"], True)
_GO = _syntax("go", '"`', ["//", "/*"], True)
_RUST = _syntax("rust", '"', ["//", "/*"], True)  # no ' strings: lifetimes ('a) are not quotes
_JAVA = _syntax("java", "\"'", ["//", "/*"], True)
_C = _syntax("c", "\"'", ["//", "/*"], True)
_CSS = _syntax("css", "\"'", ["/*"], True)
_DASHES = _syntax("dashes", "\"'", ["--"], False)
_HTML = _syntax("html", "\"'", ["<!--"], False)

_BY_SUFFIX: dict[str, _Syntax] = {
    **dict.fromkeys([".py", ".pyw", ".pyi"], _PYTHON),
    **dict.fromkeys([".rb", ".rake", ".gemspec", ".ru"], _RUBY),
    **dict.fromkeys(
        [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte"], _JS
    ),
    ".php": _PHP,
    ".go": _GO,
    ".rs": _RUST,
    **dict.fromkeys([".java", ".kt", ".kts"], _JAVA),
    **dict.fromkeys(
        (
            *(".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".swift", ".dart", ".m"),
            *(".mm", ".scala", ".groovy", ".gradle", ".proto", ".scss", ".less", ".zig"),
        ),
        _C,
    ),
    ".css": _CSS,
    **dict.fromkeys(
        (
            *(".sh", ".bash", ".zsh", ".fish", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf"),
            *(".env", ".r", ".pl", ".pm", ".ex", ".exs", ".tf", ".hcl", ".nix", ".cmake", ".mk"),
            *(".dockerfile", ".properties", ".ps1", ".jl", ".nim", ".cr"),
        ),
        _HASH,
    ),
    **dict.fromkeys([".sql", ".lua", ".hs", ".elm", ".ada"], _DASHES),
    **dict.fromkeys([".html", ".htm", ".xml", ".svg", ".xhtml", ".jinja", ".j2"], _HTML),
}
_BY_NAME: dict[str, _Syntax] = {
    **dict.fromkeys(["gemfile", "rakefile", "vagrantfile", "podfile", "brewfile"], _RUBY),
    **dict.fromkeys(
        (
            *("dockerfile", "containerfile", "makefile", "gnumakefile", "procfile", "justfile"),
            *(".gitignore", ".dockerignore", ".gitattributes", ".editorconfig", "cmakelists.txt"),
            *(".env", ".npmrc", ".bashrc", ".zshrc", ".profile"),
        ),
        _HASH,
    ),
}


def _syntax_of(path: str) -> _Syntax | None:
    p = PurePosixPath(path)
    name = p.name.lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith((".env.", "dockerfile.", "makefile.")):
        return _HASH
    return _BY_SUFFIX.get(p.suffix.lower())


def _is_doc(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return PurePosixPath(name).suffix in DOC_SUFFIXES and name != "cmakelists.txt"


def _split(line: str, syntax: _Syntax) -> tuple[str, str | None]:
    """(the code, with string literals emptied; the comment's text, or None)."""
    if syntax.star_lines and line.lstrip().startswith("*"):
        return "", line.lstrip().lstrip("*")
    pieces: list[str] = []
    pos = 0
    for m in syntax.tokens.finditer(line):
        pieces.append(line[pos : m.start()])
        if m.lastgroup == "c":
            return "".join(pieces), line[m.end() :]
        pieces.append(m.group()[0] * 2)  # '' or "": the call stays visible, its text does not
        pos = m.end()
    pieces.append(line[pos:])
    return "".join(pieces), None


# --- debug leftovers -----------------------------------------------------------------------


def _dirs(path: str) -> str:
    return "/" + path.lower().lstrip("./")


_PY_SCRIPT_DIRS = (
    "/tests/",
    "/test/",
    "/testing/",
    "/examples/",
    "/example/",
    "/scripts/",
    "/script/",
    "/bin/",
    "/docs/",
    "/doc/",
    "/tools/",
    "/bench/",
    "/benchmarks/",
    "/demo/",
    "/demos/",
    "/samples/",
    "/notebooks/",
    "/cli/",
    "/commands/",
    "/command/",
    "/_examples/",
)
_PY_SCRIPT_NAMES = frozenset(
    {
        "__main__.py",
        "cli.py",
        "setup.py",
        "conftest.py",
        "manage.py",
        "noxfile.py",
        "tasks.py",
        "fabfile.py",
        "conf.py",
        "main.py",
        "tests.py",
    }
)
_JS_SCRIPT_DIRS = (
    "/tests/",
    "/test/",
    "/__tests__/",
    "/spec/",
    "/e2e/",
    "/scripts/",
    "/script/",
    "/bin/",
    "/examples/",
    "/example/",
    "/docs/",
    "/demo/",
)


def _python_script_path(path: str) -> bool:
    """Paths where print() is the point: scripts, CLIs, tests, examples, docs."""
    p = _dirs(path)
    name = p.rsplit("/", 1)[-1]
    return (
        any(d in p for d in _PY_SCRIPT_DIRS)
        or name in _PY_SCRIPT_NAMES
        or name.startswith("test_")
        or name.endswith("_test.py")
    )


def _js_script_path(path: str) -> bool:
    p = _dirs(path)
    name = p.rsplit("/", 1)[-1]
    return (
        any(d in p for d in _JS_SCRIPT_DIRS)
        or ".test." in name
        or ".spec." in name
        or re.search(r"\.config\.[cm]?[jt]s$", name) is not None
        or name.startswith(("gulpfile.", "gruntfile.", "webpack.", "rollup.", "vite."))
    )


def _debugging_module(path: str) -> bool:
    """A module about debugging (debugging.py, pdb_utils.py) imports pdb on purpose."""
    name = PurePosixPath(path).name.lower()
    return "debug" in name or "pdb" in name


def _java_main_path(path: str) -> bool:
    return "/src/main/" in _dirs(path)


@dataclass(frozen=True)
class _DebugRule:
    rule: str
    title: str
    syntaxes: tuple[_Syntax, ...]
    keyword: str  # lower case; the rule runs only when it is in the line
    pattern: re.Pattern[str]  # searched in the code part, with string literals emptied
    severity: Severity
    applies: Callable[[str], bool] | None = None  # the path's test; None: every path
    script_sensitive: bool = False  # skipped when the file is a script (__main__ guard, ...)


_DEBUG_RULES: tuple[_DebugRule, ...] = (
    _DebugRule(
        "breakpoint",
        "Debugger breakpoint left in (breakpoint())",
        (_PYTHON,),
        "breakpoint(",
        re.compile(r"(?:^|[;:])\s*breakpoint\(\s*\)"),
        "medium",
    ),
    _DebugRule(
        "pdb",
        "Debugger left in (pdb)",
        (_PYTHON,),
        "db",
        re.compile(
            r"(?:^|[;:])\s*(?:import\s+(?:i?pdb|pudb)\b|from\s+(?:i?pdb|pudb)\s+import\b|"
            r"(?:i?pdb|pudb)\.set_trace\(|"
            r"""__import__\((?:''|"")\)\.set_trace\()"""
        ),
        "medium",
        applies=lambda path: not _debugging_module(path),
    ),
    _DebugRule(
        "python-print",
        "print() call left in",
        (_PYTHON,),
        "print(",
        re.compile(r"^\s*print\((?!.*\bfile\s*=)"),
        "low",
        applies=lambda path: not _python_script_path(path),
        script_sensitive=True,
    ),
    _DebugRule(
        "js-console-log",
        "console.log() call left in",
        (_JS,),
        "console.",
        re.compile(r"(?<![\w$.])console\.(?:log|debug)\s*\("),
        "low",
        applies=lambda path: not _js_script_path(path),
        script_sensitive=True,
    ),
    _DebugRule(
        "debugger",
        "debugger statement left in",
        (_JS,),
        "debugger",
        re.compile(r"(?:^|[;{}])\s*debugger\s*(?:;|$|})"),
        "medium",
    ),
    _DebugRule(
        "binding-pry",
        "Debugger left in (binding.pry)",
        (_RUBY,),
        "binding.pry",
        re.compile(r"(?<![\w.])binding\.pry\b"),
        "medium",
    ),
    _DebugRule(
        "binding-irb",
        "Debugger left in (binding.irb)",
        (_RUBY,),
        "binding.irb",
        re.compile(r"(?<![\w.])binding\.irb\b"),
        "medium",
    ),
    _DebugRule(
        "byebug",
        "Debugger left in (byebug)",
        (_RUBY,),
        "byebug",
        re.compile(r"(?:^|;)\s*byebug\s*(?:;|$)"),
        "medium",
    ),
    _DebugRule(
        "php-var-dump",
        "var_dump() call left in",
        (_PHP,),
        "var_dump",
        re.compile(r"(?<![\w$>:\\])var_dump\s*\("),
        "low",
    ),
    _DebugRule(
        "php-dd",
        "dd() call left in",
        (_PHP,),
        "dd(",
        re.compile(r"(?<![\w$>:\\])(?<!function )dd\s*\("),
        "medium",
    ),
    _DebugRule(
        "rust-dbg",
        "dbg!() call left in",
        (_RUST,),
        "dbg!",
        re.compile(r"(?<![\w:])dbg!\s*\("),
        "medium",
    ),
    _DebugRule(
        "java-println",
        "System.out.println() call left in",
        (_JAVA,),
        "system.out.print",
        re.compile(r"(?<![\w.])System\.out\.print(?:ln)?\s*\("),
        "low",
        applies=_java_main_path,
    ),
)

_STOP = "remove it before merging"
_LOG = "remove it, or log through the project's logger if the output is wanted"
_DEBUG_WHAT: dict[str, tuple[str, str]] = {
    "breakpoint": ("breakpoint()", _STOP),
    "pdb": ("pdb", _STOP),
    "python-print": ("print()", _LOG),
    "js-console-log": ("console.log()", _LOG),
    "debugger": ("debugger", _STOP),
    "binding-pry": ("binding.pry", _STOP),
    "binding-irb": ("binding.irb", _STOP),
    "byebug": ("byebug", _STOP),
    "php-var-dump": ("var_dump()", _LOG),
    "php-dd": ("dd()", _STOP),
    "rust-dbg": ("dbg!()", _STOP),
    "java-println": ("System.out.println()", _LOG),
}
DEBUG_RULES: tuple[str, ...] = tuple(_DEBUG_WHAT)

_MAIN_GUARD = re.compile(r"__name__\s*==\s*['\"]__main__['\"]|['\"]__main__['\"]\s*==\s*__name__")
_SCRIPT_SIGNS = ("argparse", "sys.argv", "import click", "import typer", "from click import")


def _is_script(added: Sequence[tuple[int, str]], syntax: _Syntax) -> bool:
    """The added lines show a program meant to print: a shebang, a __main__ guard, argv."""
    if any(number == 1 and text.startswith("#!") for number, text in added[:1]):
        return True
    if syntax is not _PYTHON:
        return False
    for _, raw in added:
        if "__main__" in raw[:MAX_LINE] and _MAIN_GUARD.search(raw[:MAX_LINE]):
            return True
        if any(sign in raw[:MAX_LINE] for sign in _SCRIPT_SIGNS):
            return True
    return False


# --- TODO comments -------------------------------------------------------------------------

_TODO = re.compile(
    r"(?<![A-Za-z0-9_])(?P<w>TODO|FIXME|HACK)(?![A-Za-z0-9_])|"
    r"^[\s/*!#-]*(?P<x>XXX)(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?P<y>XXX)(?=[:(])"
)


# --- the scan ------------------------------------------------------------------------------


class _PythonBlocks:
    """Which added Python lines are docstring text or type-checking-only imports, followed over
    consecutive added lines (a gap in the line numbers starts afresh: unseen lines between)."""

    def __init__(self) -> None:
        self.previous = -2
        self.docstring: str | None = None  # the open docstring's delimiter, ''' or """
        self.type_checking: int | None = None  # the indent of an `if TYPE_CHECKING:` block

    def skip(self, number: int, line: str) -> bool:
        if number != self.previous + 1:
            self.docstring, self.type_checking = None, None
        self.previous = number
        was_in_docstring = self.docstring is not None
        self._follow_quotes(line)
        if was_in_docstring:
            return True
        stripped = line.lstrip()
        if not stripped:
            return False
        indent = len(line) - len(stripped)
        if self.type_checking is not None and indent <= self.type_checking:
            self.type_checking = None
        if _TYPE_CHECKING.match(stripped):
            self.type_checking = indent
            return False
        return self.type_checking is not None

    def _follow_quotes(self, line: str) -> None:
        # The next position of each delimiter, searched again only once passed: linear.
        ahead = {'"""': line.find('"""'), "'''": line.find("'''")}
        pos = 0
        while True:
            wanted = ahead if self.docstring is None else {self.docstring: 0}
            for quote in wanted:
                if 0 <= ahead[quote] < pos:
                    ahead[quote] = line.find(quote, pos)
            found = [(ahead[quote], quote) for quote in wanted if ahead[quote] >= 0]
            if not found:
                return
            pos, quote = min(found)
            self.docstring = quote if self.docstring is None else None
            pos += 3


_TYPE_CHECKING = re.compile(r"if\s+(?:typing\.)?TYPE_CHECKING\s*:")
# Comments that say a debug call is deliberate (flake8-debugger/-print, eslint, rubocop, ...).
_PRAGMA = re.compile(r"noqa|eslint-disable|rubocop:disable|phpcs:ignore|NOSONAR|nolint")


def scan_file(path: str, added: Sequence[tuple[int, str]]) -> list[Hit]:
    """Hits in the added lines (line number, text without the leading '+') of one file."""
    doc = _is_doc(path)
    syntax = None if doc else _syntax_of(path)
    hits: list[Hit] = []
    hits += _private_key_hits(added, doc)
    hits += _conflict_hits(added, doc)
    debug_rules: list[_DebugRule] = []
    if syntax is not None:
        script = None
        for rule in _DEBUG_RULES:
            if syntax not in rule.syntaxes or (rule.applies and not rule.applies(path)):
                continue
            if rule.script_sensitive:
                if script is None:
                    script = _is_script(added, syntax)
                if script:
                    continue
            debug_rules.append(rule)
    blocks = _PythonBlocks() if syntax is _PYTHON else None
    for number, raw in added:
        line = raw[:MAX_LINE]
        low = line.lower()
        secrets = _secret_hits(number, line, low)
        hits += secrets
        if syntax is None:
            continue
        if blocks is not None and blocks.skip(number, line):
            continue  # docstring text, or an import only type checkers see
        wanted = [rule for rule in debug_rules if rule.keyword in low]
        todo = "TODO" in line or "FIXME" in line or "XXX" in line or "HACK" in line
        if not wanted and not todo:
            continue
        code, comment = _split(line, syntax)
        if wanted and not (comment is not None and _PRAGMA.search(comment)):
            for rule in wanted:
                if rule.pattern.search(code):
                    what, hint = _DEBUG_WHAT[rule.rule]
                    detail = f"`{what}` looks like a debugging leftover: {hint}."
                    hits.append(
                        Hit("debug-leftover", rule.rule, number, rule.title, detail, rule.severity)
                    )
        if todo and comment is not None:
            m = _TODO.search(comment)
            if m is not None:
                word = m["w"] or m["x"] or m["y"] or "TODO"
                text = " ".join(comment[m.end() :].strip(" :-*/>#").split())
                note = "" if secrets or not text else f": “{text[:80]}”"
                hits.append(
                    Hit(
                        "todo",
                        "todo",
                        number,
                        f"New {word}",
                        f"A new {word} comment was added{note}.",
                        "low",
                    )
                )
    kinds = {"secret": 0, "conflict-marker": 1, "debug-leftover": 2, "todo": 3}
    hits.sort(key=lambda hit: (hit.line, kinds[hit.kind], hit.rule))
    return hits
