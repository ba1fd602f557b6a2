"""Keyword label rules (triage's offline labels, for repositories with no labelled history),
measured on the NLBSE'24 training issues (1,500: bug / feature / question, 300 from each of five
repositories). Rules map to labels bug → bug, enhancement → feature, question → question;
documentation has no NLBSE label, so only its matches are counted. Prints figures; asserts
nothing. The corpus is read from ../shared/corpora (evaluation only; never shipped or copied).

1. The baseline: the rules and scoring as they were (2 points per keyword in the title, 1 per
   keyword anywhere in the body; score >= 2 is a candidate of confidence min(0.5 + 0.1 * score,
   0.9), applied from 0.7, at most 3 labels), and whether ossbot still ships the same.
2. Each keyword found in the title, in the template fields (headings, bold-only lines, the
   short answer under a heading; also only those under 40 characters) and anywhere in the body:
   matches and precision, and per repository in the title or the fields.
3. Rule sets narrowed to keywords that are evidence in the title or the template fields
   (precision > 0.5, then > 0.7, over >= 5 matches there), chosen on all five repositories and,
   to see the overfitting, on four and scored on the fifth.
4. The recommended rules (RECOMMENDED, picked by hand), scored on "title + fields under 40
   characters", "title + fields" and "title only", with the precision each place earned (a
   title match, a template-field match, both): the confidence to give it.

    python bench/label_rules.py
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ossbot.labels.evaluate import load_examples
from ossbot.markdown import COMMENT, HEADING, PARAGRAPH, parse
from ossbot.repo_config import DEFAULT_RULES
from ossbot.text import plain
from ossbot.triage.labelling import MIN_KEYWORD_SCORE, keyword_confidence
from ossbot.triage.offline import keyword_scores

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "issues" / "nlbse24-train.csv"
TARGET = {"bug": "bug", "enhancement": "feature", "documentation": None, "question": "question"}
APPLY, MAX_LABELS = 0.7, 3  # LabelsConfig's apply_threshold and max (with cold_start: apply)
MIN_MATCHES, MIN_PRECISION = 5, 0.5  # a keyword is kept from this many matches, above this
SHORT_ANSWER = 40  # an issue form's dropdown choice, rendered as a paragraph under its heading
SHORT_FIELD = 40  # a field that names a kind ("Bug report"), not a prompt sentence

# The default rules before narrowing (src/ossbot/repo_config.py at b6de4d8), kept here so that
# the baseline stays the baseline when the defaults change.
BASELINE_RULES: dict[str, list[str]] = {
    "bug": [
        "bug", "error", "crash", "crashes", "exception", "traceback", "fails", "failed",
        "failure", "broken", "regression", "doesn't work", "does not work", "not working",
        "segfault", "panic", "incorrect", "wrong", "unexpected", "stack trace",
    ],
    "enhancement": [
        "feature", "feature request", "enhancement", "add support", "support for",
        "would be nice", "proposal", "propose", "suggestion", "request", "improve",
        "improvement", "allow",
    ],
    "documentation": [
        "docs", "documentation", "readme", "typo", "docstring", "tutorial", "guide", "changelog",
    ],
    "question": [
        "question", "how do i", "how can i", "how to", "is it possible", "is there a way", "help",
        "clarification", "wondering",
    ],
}  # fmt: skip

# Further keywords measured: generic words and phrases a maintainer would expect, including
# title prefixes ("[feature]") and the headings of GitHub's default issue templates.
EXTRA_RULES: dict[str, list[str]] = {
    "bug": [
        "[bug]", "bug report", "defect", "crashed", "crashing", "not work", "error message",
        "steps to reproduce", "expected behavior", "actual behavior", "describe the bug",
    ],
    "enhancement": [
        "[feature]", "feature:", "new feature", "feature proposal", "add", "support",
        "ability to", "option to", "would like", "would be great", "describe the solution",
        "motivation",
    ],
    "documentation": ["doc", "doc issue", "example", "examples"],
    "question": [
        "[question]", "question:", "support", "how", "why", "what is", "can i", "need help",
        "please help", "usage", "understand",
    ],
}  # fmt: skip

# What this bench recommends (see the report): generic keywords that were evidence in the title
# or the template fields in most of the repositories.
RECOMMENDED: dict[str, list[str]] = {
    "bug": [
        "bug", "crash", "crashes", "crashed", "segfault", "exception", "incorrect", "regression",
    ],
    "enhancement": [
        "feature", "feature request", "enhancement", "add support", "support for", "allow",
        "improve", "improvement", "proposal", "describe the solution",
    ],
    "documentation": list(BASELINE_RULES["documentation"]),
    "question": ["question", "how to", "how do i", "how can i", "why"],
}  # fmt: skip

_BOLD_LINE = re.compile(r"\*\*([^*]+)\*\*[ \t:]*")  # `[^*]` then `**`: no backtracking to speak of


def template_fields(body: str) -> list[tuple[str, str]]:
    """The fields of an issue template, as (kind, text) with the text as shown, lower-case:
    every heading outside quotes ("heading"), every line that is bold and nothing else
    (`**Feature request**`, "bold"), and the short answer under a heading ("answer": a one-line
    paragraph of under 40 characters, as an issue form renders a dropdown choice:
    `### Issue type\\n\\nBug`). Comments are skipped, hidden text is not read."""
    doc = parse(body)
    blocks = [
        b for b in doc.blocks if b.kind != COMMENT and not b.quoted and b.start < doc.hidden_from
    ]
    fields: list[tuple[str, str]] = []
    for at, block in enumerate(blocks):
        after = blocks[at + 1] if at + 1 < len(blocks) else None
        if block.kind == HEADING:
            fields.append(("heading", block.content))
            answer = after.content.strip() if after and after.kind == PARAGRAPH else ""
            if answer and "\n" not in answer and len(answer) < SHORT_ANSWER:
                fields.append(("answer", answer))
        elif block.kind == PARAGRAPH:
            for line in block.content.split("\n"):
                if match := _BOLD_LINE.fullmatch(line.strip()):
                    fields.append(("bold", match.group(1)))
    shown = ((kind, " ".join(plain(text).lower().split())) for kind, text in fields)
    return [(kind, text) for kind, text in shown if text]


@cache
def _pattern(keyword: str) -> tuple[str, re.Pattern[str]]:
    """As ossbot.triage.offline matches a keyword: whole words, any white space between them."""
    words = keyword.lower().split()
    pattern = r"(?<![\w-])" + r"\s+".join(map(re.escape, words)) + r"(?![\w-])"
    return max(words, key=len), re.compile(pattern)


def found(text: str, keyword: str) -> bool:
    longest, pattern = _pattern(keyword)
    return longest in text and bool(pattern.search(text))


@dataclass(frozen=True)
class Issue:
    repo: str
    label: str
    raw_title: str
    raw_body: str
    title: str  # lower-case
    fields: tuple[tuple[str, str], ...]  # (kind, lower-case text) per template field
    body: str  # plain, lower-case


PLACES = ("title", "heading", "bold", "answer", "short", "body")
FIELDS = frozenset({"heading", "bold", "answer"})  # the template fields, as defined above
SHORT = frozenset({"short heading", "short bold", "short answer"})  # those under 40 characters
TITLE = frozenset({"title"})
TITLE_AND_FIELDS = TITLE | FIELDS
TITLE_AND_SHORT = TITLE | SHORT


@cache
def places(issue: Issue, keyword: str) -> frozenset[str]:
    """Where the keyword is: "title", a kind of template field ("heading", "bold", "answer",
    and "short heading" etc. when the field is under 40 characters) and "body" (anywhere)."""
    where = set()
    for kind, text in issue.fields:
        if found(text, keyword):
            where.add(kind)
            if len(text) < SHORT_FIELD:
                where.add(f"short {kind}")
    if found(issue.title, keyword):
        where.add("title")
    if found(issue.body, keyword):
        where.add("body")
    return frozenset(where)


def issues() -> list[Issue]:
    return [
        Issue(
            e.repo,
            e.labels[0],
            e.title,
            e.body,
            e.title.lower(),
            tuple(template_fields(e.body)),
            plain(e.body).lower(),
        )
        for e in load_examples(CORPUS)
    ]


def short(repo: str) -> str:
    return repo.split("/")[-1][:7]


def pct(n: int, d: int) -> str:
    return f"{n / d:.2f}" if d else "  - "


# --- applying rules ---------------------------------------------------------------------------

Labeller = Callable[[Issue], list[str]]  # the rules applied to an issue


def applied_from_scores(scores: dict[str, float]) -> list[str]:
    """Candidates from MIN_KEYWORD_SCORE, ranked by confidence; applied from APPLY, at most 3."""
    ranked = sorted(
        (
            (keyword_confidence(score), rule)
            for rule, score in scores.items()
            if score >= MIN_KEYWORD_SCORE
        ),
        key=lambda c: (-c[0], c[1]),
    )
    return [rule for confidence, rule in ranked if confidence >= APPLY][:MAX_LABELS]


def baseline(issue: Issue) -> list[str]:
    scores = {}
    for rule, keywords in BASELINE_RULES.items():
        score = sum(2 * found(issue.title, k) + found(issue.body, k) for k in keywords)
        if score:
            scores[rule] = float(score)
    return applied_from_scores(scores)


def shipped(issue: Issue) -> list[str]:
    return applied_from_scores(keyword_scores(issue.raw_title, issue.raw_body, DEFAULT_RULES))


def narrowed(rules: dict[str, list[str]], where: frozenset[str]) -> Labeller:
    """A rule applies when one of its keywords is found in one of the places `where`: one such
    keyword is worth what a title keyword is worth today, so it is applied."""

    def label(issue: Issue) -> list[str]:
        hit = [
            r for r, keywords in rules.items() if any(places(issue, k) & where for k in keywords)
        ]
        return hit[:MAX_LABELS]

    return label


# --- reports ----------------------------------------------------------------------------------


def report(
    name: str, corpus: list[Issue], label: Labeller, indent: str = "  ", repos: bool = True
) -> None:
    applied = [(issue, label(issue)) for issue in corpus]
    _totals(name, applied, indent)
    for rule, target in TARGET.items():
        hits = [issue for issue, rules in applied if rule in rules]
        if target is None:
            kinds = Counter(issue.label for issue in hits)
            print(
                f"{indent}  {rule:<13} applied {len(hits):4d}  (no NLBSE label; the issues are "
                + ", ".join(f"{kind} {kinds[kind]}" for kind in ("bug", "feature", "question"))
                + ")"
            )
            continue
        right = sum(issue.label == target for issue in hits)
        total = sum(issue.label == target for issue in corpus)
        print(
            f"{indent}  {rule:<13} applied {len(hits):4d}  right {right:4d}  precision "
            f"{pct(right, len(hits))}  recall {pct(right, total)} (of {total} {target})"
        )
    if repos:
        for repo in sorted({issue.repo for issue in corpus}):
            _totals(f"  {short(repo)}", [(i, r) for i, r in applied if i.repo == repo], indent)


def _totals(name: str, applied: list[tuple[Issue, list[str]]], indent: str) -> None:
    scored = [(issue, rule) for issue, rules in applied for rule in rules if TARGET[rule]]
    right = sum(issue.label == TARGET[rule] for issue, rule in scored)
    labelled = sum(bool(rules) for _, rules in applied)
    docs = sum("documentation" in rules for _, rules in applied)
    print(
        f"{indent}{name:<13} issues labelled {labelled:4d}/{len(applied)}"
        f" ({pct(labelled, len(applied))})  applied {len(scored):4d} (+{docs} documentation)"
        f"  precision {pct(right, len(scored))}  wrong {pct(len(scored) - right, len(scored))}"
    )


def _cell(hit: list[Issue], target: str | None, width: int = 10) -> str:
    if not hit:
        return "0".rjust(width - 5) + " " * 5
    if target is None:
        kinds = Counter(issue.label for issue in hit)
        return f"{kinds['bug']}/{kinds['feature']}/{kinds['question']}".rjust(width)
    right = sum(issue.label == target for issue in hit)
    return f"{len(hit):>3} {right / len(hit):.2f}".rjust(width)


def keyword_table(corpus: list[Issue], pools: dict[str, list[str]]) -> None:
    repos = sorted({issue.repo for issue in corpus})
    columns = (*PLACES, "title|fld")
    print(
        f"  {'':<24}"
        + "".join(f"{c:>10}" for c in columns)
        + "  |"
        + "".join(f"{short(r):>10}" for r in repos)
    )
    for rule, keywords in pools.items():
        target = TARGET[rule]
        print(
            f"  {rule}"
            + ("" if target else " (no label: the matched issues' bug/feature/question)")
        )
        body_only = []
        for keyword in keywords:
            hits = [(issue, places(issue, keyword)) for issue in corpus]
            if not any(p & TITLE_AND_FIELDS for _, p in hits):
                body_only.append(
                    f"{keyword} {_cell([i for i, p in hits if 'body' in p], target, 0)}"
                )
                continue
            where = {place: frozenset({place}) for place in PLACES} | {"short": SHORT}
            cells = [_cell([i for i, p in hits if p & where[place]], target) for place in PLACES]
            cells.append(_cell([i for i, p in hits if p & TITLE_AND_FIELDS], target))
            per_repo = [
                _cell([i for i, p in hits if i.repo == repo and p & TITLE_AND_FIELDS], target)
                for repo in repos
            ]
            mark = " " if keyword in BASELINE_RULES[rule] else "+"
            print(f"  {mark}{keyword:<23}" + "".join(cells) + "  |" + "".join(per_repo))
        if body_only:
            print(f"    never in title or fields (body n prec): {'; '.join(body_only)}")


def select(corpus: list[Issue], pools: dict[str, list[str]], floor: float) -> dict[str, list[str]]:
    """Per rule, the keywords found in the title or a template field of at least MIN_MATCHES
    issues, of which more than `floor` carry the rule's label. Documentation, which has no
    label here to check it by, keeps its baseline keywords."""
    chosen: dict[str, list[str]] = {}
    for rule, keywords in pools.items():
        if TARGET[rule] is None:
            chosen[rule] = list(BASELINE_RULES[rule])
            continue
        chosen[rule] = []
        for keyword in keywords:
            hit = [i for i in corpus if places(i, keyword) & TITLE_AND_FIELDS]
            right = sum(i.label == TARGET[rule] for i in hit)
            if len(hit) >= MIN_MATCHES and right / len(hit) > floor:
                chosen[rule].append(keyword)
    return chosen


def held_out(corpus: list[Issue], pools: dict[str, list[str]], floor: float) -> None:
    """Keywords chosen on four repositories, applied (title + fields) to the fifth."""
    everywhere = select(corpus, pools, floor)
    scored = right = labelled = 0
    for repo in sorted({issue.repo for issue in corpus}):
        rules = select([i for i in corpus if i.repo != repo], pools, floor)
        test = [i for i in corpus if i.repo == repo]
        label = narrowed(rules, TITLE_AND_FIELDS)
        applied = [(i, r) for i in test for r in label(i) if TARGET[r]]
        ok = sum(i.label == TARGET[r] for i, r in applied)
        labelled += sum(bool(label(i)) for i in test)
        scored, right = scored + len(applied), right + ok
        gained = "; ".join(
            f"{rule} {', '.join(k for k in kept if k not in everywhere[rule])}"
            for rule, kept in rules.items()
            if set(kept) - set(everywhere[rule])
        )
        print(
            f"    {short(repo):<10} applied {len(applied):4d}  precision {pct(ok, len(applied))}"
            + (f"  (chosen only without it: {gained})" if gained else "")
        )
    print(
        f"    {'together':<10} applied {scored:4d}  precision {pct(right, scored)}"
        f"  issues labelled {labelled}/{len(corpus)}"
    )


def by_place(corpus: list[Issue], rules: dict[str, list[str]], fields: frozenset[str]) -> None:
    """The observed precision of a rule on a title match and on a template-field match (also
    per kind of field, with no title match, with both), per rule and per repository: what each
    place has earned as confidence."""
    columns = ("title", "fields", "fields only", "both", "heading", "bold", "answer")
    print(f"    {'right/n prec':<13}" + "".join(f"{c:>13}" for c in columns))
    rows: dict[str, dict[str, list[int]]] = {}
    for rule, keywords in rules.items():
        target = TARGET[rule]
        if target is None:
            continue
        for issue in corpus:
            where = frozenset().union(*(places(issue, k) for k in keywords))
            in_fields = where & fields
            kinds = {kind.split()[-1] for kind in in_fields}
            hits = {
                "title": "title" in where,
                "fields": bool(in_fields),
                "fields only": bool(in_fields) and "title" not in where,
                "both": bool(in_fields) and "title" in where,
                "heading": "heading" in kinds,
                "bold": "bold" in kinds,
                "answer": "answer" in kinds,
            }
            for row in (rule, "all", short(issue.repo)):
                counts = rows.setdefault(row, {c: [0, 0] for c in columns})
                for column, hit in hits.items():
                    if hit:
                        counts[column][0] += 1
                        counts[column][1] += issue.label == target
    order = [r for r in rules if TARGET[r]] + ["all"]
    order += sorted((r for r in rows if r not in order), key=lambda r: r)
    for row in order:
        print(f"    {row:<13}" + "".join(_ratio(*rows[row][c]) for c in columns))
    bounds = [f"{c} {wilson(*rows['all'][c]):.2f}" for c in ("title", "fields only", "both")]
    print(f"    confidence earned (95% Wilson lower bound, all): {', '.join(bounds)}")


def wilson(n: int, right: int, z: float = 1.96) -> float:
    """The lower end of the 95% Wilson interval of right/n: a precision not overstated."""
    if not n:
        return 0.0
    p = right / n
    centre = p + z * z / (2 * n)
    spread = z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return (centre - spread) / (1 + z * z / n)


def _ratio(n: int, right: int) -> str:
    return f"{right}/{n} {pct(right, n)}".rjust(13)


def show_rules(rules: dict[str, list[str]], indent: str = "    ") -> None:
    for rule, keywords in rules.items():
        print(f"{indent}{rule}: {', '.join(keywords) or '(none)'}")


def main() -> None:
    if not CORPUS.exists():
        print(f"corpus absent ({CORPUS}): nothing to measure")
        return
    start = time.perf_counter()
    corpus = issues()
    kinds = Counter(i.label for i in corpus)
    with_fields = Counter(kind for i in corpus for kind in {k for k, _ in i.fields})
    print(
        f"{len(corpus)} issues ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) from "
        f"{len({i.repo for i in corpus})} repositories; with a template heading "
        f"{with_fields['heading']}, a bold-only line {with_fields['bold']}, "
        f"a short answer {with_fields['answer']}"
    )
    print("precision: share of applied labels the issue carries (bug→bug, enhancement→feature,")
    print("question→question); documentation has no NLBSE label and is left out of it")

    print(
        "\n1. Baseline: title keyword 2, body keyword 1; score >= 2 → candidate, applied from 0.7"
    )
    report("baseline", corpus, baseline)
    same = sum(baseline(i) == shipped(i) for i in corpus)
    print(f"  shipped now (DEFAULT_RULES, keyword_scores): same labels on {same}/{len(corpus)}")
    if same != len(corpus):
        report("shipped", corpus, shipped)

    pools = {rule: list(dict.fromkeys(BASELINE_RULES[rule] + EXTRA_RULES[rule])) for rule in TARGET}
    print("\n2. Per keyword: issues matched and share with the rule's label (n prec), by place:")
    print(f"   short: a heading, bold line or answer under {SHORT_FIELD} characters; title|fld:")
    print("   title or any template field, also per repo after |; + not in the baseline")
    keyword_table(corpus, pools)

    for floor in (MIN_PRECISION, APPLY):
        name = f"prec > {floor}"
        print(
            f"\n3{'ab'[floor == APPLY]}. Chosen: keywords of precision > {floor} over >= "
            f"{MIN_MATCHES} matches in title or template fields"
        )
        rules = select(corpus, pools, floor)
        show_rules(rules)
        print("  title + template fields:")
        report(name, corpus, narrowed(rules, TITLE_AND_FIELDS), "    ", repos=floor != APPLY)
        print("  title only:")
        report(name, corpus, narrowed(rules, TITLE), "    ", repos=floor != APPLY)
        if floor != APPLY:
            print("  precision by where the rule matched (title + template fields):")
            by_place(corpus, rules, FIELDS)
        print("  chosen on four repositories, applied (title + template fields) to the fifth:")
        held_out(corpus, pools, floor)

    print("\n4. Recommended: generic keywords picked by hand from 2 (see RECOMMENDED)")
    show_rules(RECOMMENDED)
    for where, name in (
        (TITLE_AND_SHORT, f"title + template fields under {SHORT_FIELD} characters"),
        (TITLE_AND_FIELDS, "title + template fields"),
        (TITLE, "title only"),
    ):
        print(f"  {name}:")
        report("recommended", corpus, narrowed(RECOMMENDED, where), "    ")
    print(f"  precision by where the rule matched (title + fields under {SHORT_FIELD} characters):")
    by_place(corpus, RECOMMENDED, SHORT)
    print("  precision by where the rule matched (title + template fields):")
    by_place(corpus, RECOMMENDED, FIELDS)
    print(f"\n[{time.perf_counter() - start:.1f} s]")


if __name__ == "__main__":
    main()
