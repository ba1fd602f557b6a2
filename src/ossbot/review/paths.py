"""What a changed path is: ignored or not (globs), and its kind (source, test, docs, config,
lock file), which orders what a review reads first."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

# Priority when the token budget is filled: lower first.
KIND_RANK = {"source": 0, "config": 1, "test": 2, "docs": 3, "lock": 4, "other": 5}

DOC_EXTENSIONS = {".md", ".mdx", ".rst", ".txt", ".adoc", ".asciidoc", ".org", ".tex"}
DOC_NAMES = {
    "readme",
    "changelog",
    "changes",
    "history",
    "license",
    "licence",
    "authors",
    "contributing",
    "code_of_conduct",
    "notice",
    "security",
    "copying",
}
CONFIG_EXTENSIONS = {
    ".yml",
    ".yaml",
    ".toml",
    ".ini",
    ".cfg",
    ".json",
    ".conf",
    ".properties",
    ".env",
    ".xml",
    ".gradle",
}
CONFIG_NAMES = {
    "dockerfile",
    "makefile",
    "justfile",
    "procfile",
    "vagrantfile",
    ".gitignore",
    ".gitattributes",
    ".editorconfig",
    ".dockerignore",
    "codeowners",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "package.json",
    "go.mod",
    "cargo.toml",
    "gemfile",
    "requirements.txt",
}
BINARY_EXTENSIONS = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".bmp",
    ".ico",
    ".webp",
    ".tif",
    ".tiff",
    ".psd",
    ".pdf",
    ".zip",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".7z",
    ".rar",
    ".tar",
    ".jar",
    ".war",
    ".whl",
    ".egg",
    ".so",
    ".dll",
    ".dylib",
    ".exe",
    ".bin",
    ".o",
    ".a",
    ".class",
    ".pyc",
    ".pyo",
    ".wasm",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".eot",
    ".mp3",
    ".mp4",
    ".mov",
    ".avi",
    ".wav",
    ".ogg",
    ".flac",
    ".webm",
    ".sqlite",
    ".db",
    ".pkl",
    ".npy",
    ".npz",
    ".parquet",
    ".onnx",
    ".pt",
    ".h5",
    ".lockb",
    ".keystore",
    ".jks",
    ".p12",
    ".pfx",
    ".der",
    ".xlsx",
    ".docx",
    ".pptx",
}
# A lock file and the manifest it is generated from.
LOCK_MANIFESTS = {
    "package-lock.json": ("package.json",),
    "npm-shrinkwrap.json": ("package.json",),
    "yarn.lock": ("package.json",),
    "pnpm-lock.yaml": ("package.json",),
    "bun.lockb": ("package.json",),
    "poetry.lock": ("pyproject.toml",),
    "uv.lock": ("pyproject.toml",),
    "pdm.lock": ("pyproject.toml",),
    "Pipfile.lock": ("Pipfile",),
    "Cargo.lock": ("Cargo.toml",),
    "Gemfile.lock": ("Gemfile", "gems.rb"),
    "composer.lock": ("composer.json",),
    "go.sum": ("go.mod",),
    "mix.lock": ("mix.exs",),
    "pubspec.lock": ("pubspec.yaml",),
    "Podfile.lock": ("Podfile",),
}
_TEST_PARTS = {
    "test",
    "tests",
    "testing",
    "spec",
    "specs",
    "__tests__",
    "e2e",
    "testdata",
    "fixtures",
    "cassettes",
}
_TEST_NAME = re.compile(
    r"(^test_.*|.*_test\.[a-z0-9]+$|.*\.(test|spec)\.[a-z0-9]+$|^conftest\.py$|.*Tests?\.[a-z]+$)"
)
_DOC_PARTS = {"docs", "doc", "documentation", "examples", "example"}


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-like glob: `*` within a name, `**` across folders, `?` one character. A
    pattern without `/` (but for a trailing `/**`: a folder) matches at any depth; a leading
    `/` anchors it at the repository's root."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/").removesuffix("/**")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out).lstrip("/")
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"{prefix}{body}", re.IGNORECASE)


def ignored_by(path: str, patterns: list[str]) -> str | None:
    """The first pattern that matches `path`, or None."""
    for pattern in patterns:
        if pattern and _glob_regex(pattern.strip()).fullmatch(path):
            return pattern
    return None


def kind_of(path: str) -> str:
    p = PurePosixPath(path)
    name, suffix = p.name, p.suffix.lower()
    parts = {part.lower() for part in p.parts[:-1]}
    if name in LOCK_MANIFESTS or suffix == ".lock":
        return "lock"
    if parts & _TEST_PARTS or _TEST_NAME.match(name):
        return "test"
    stem = p.stem.lower()
    if (
        suffix in DOC_EXTENSIONS
        or stem in DOC_NAMES
        or (parts & _DOC_PARTS and suffix in DOC_EXTENSIONS | {""})
    ):
        return "docs"
    if ".github" in parts or name.lower() in CONFIG_NAMES or suffix in CONFIG_EXTENSIONS:
        return "config"
    if suffix in BINARY_EXTENSIONS:
        return "other"
    return "source" if suffix else "other"


def is_binary_path(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in BINARY_EXTENSIONS
