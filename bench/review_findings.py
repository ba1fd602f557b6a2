"""Review detectors (ossbot.review.detect): recall on the planted corpus (per kind, and per secret
rule) and the findings on real-world clean diffs (the commits of simonw/llm in ../shared/corpora,
read only, evaluation only), where every secret, conflict marker or debug leftover is a false
positive; each is printed with file:line and rule, its detail already redacted. New TODOs are
listed too: they are real on a clean corpus, not false positives. Prints figures; asserts
nothing; exits 0.

Every diff is parsed with unidiff.PatchSet (tests/review_corpus.py: added_by_file), its added
lines taken with their new-file line numbers, and each file scanned with scan_file.

    python bench/review_findings.py [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

import review_corpus as corpus  # noqa: E402
from ossbot.review.detect import SECRET_RULES, scan_file  # noqa: E402

KINDS = ("secret", "conflict-marker", "debug-leftover", "todo")


def planted_recall(seed: int) -> None:
    cases = corpus.planted(seed)
    total: Counter[str] = Counter()
    found: Counter[str] = Counter()
    others = 0
    for case in cases:
        kind, rule, diff = case
        hits = corpus.scan_diff(diff)
        hit = any(h.kind == kind and h.rule == rule for _, h in hits)
        others += sum((h.kind, h.rule) != (kind, rule) for _, h in hits)
        for key in (kind, f"{kind}:{rule}"):
            total[key] += 1
            found[key] += hit
    print(f"Planted corpus (seed {seed}): {len(cases)} cases")
    for kind in KINDS:
        print(
            f"  recall {kind:<16} {found[kind] / total[kind]:6.1%}  ({found[kind]}/{total[kind]})"
        )
    print("  per secret rule:")
    for rule in SECRET_RULES:
        key = f"secret:{rule}"
        print(f"    {rule:<28} {found[key] / total[key]:6.1%}  ({found[key]}/{total[key]})")
    misses = [f"{k}:{r}" for k, r, d in cases if not corpus.recalled((k, r, d))]
    print(f"  missed: {', '.join(misses) or 'none'}")
    print(f"  other findings raised by planted cases: {others}")


def clean_findings() -> None:
    paths = corpus.clean_diffs()
    if not paths:
        print(f"\nClean corpus: absent ({corpus.CLEAN_DIR}), skipped")
        return
    files = lines = 0
    per_kind: Counter[str] = Counter()
    shown: list[str] = []
    todos: list[str] = []
    start = time.perf_counter()
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name, added in corpus.added_by_file(text):
            files += 1
            lines += len(added)
            for hit in scan_file(name, added):
                per_kind[hit.kind] += 1
                row = f"    {path.name} {name}:{hit.line} {hit.rule} ({hit.severity}): {hit.detail}"
                (todos if hit.kind == "todo" else shown).append(row)
    elapsed = time.perf_counter() - start
    print(
        f"\nClean corpus ({corpus.CLEAN_DIR.name}): {len(paths)} diffs, {files} files, "
        f"{lines:,} added lines, parsed and scanned in {elapsed:.2f} s"
    )
    for kind in KINDS:
        note = "" if kind == "todo" else "  (false positives)"
        print(f"  {kind:<16} {per_kind[kind]}{note}")
    print(f"  false positives: {len(shown)}")
    for row in shown:
        print(row)
    if todos:
        print("  new TODOs (real, not false positives):")
        for row in todos:
            print(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the planted corpus's seed")
    args = parser.parse_args()
    planted_recall(args.seed)
    clean_findings()
    return 0


if __name__ == "__main__":
    sys.exit(main())
