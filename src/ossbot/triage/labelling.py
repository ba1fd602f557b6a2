"""Which labels an issue gets, offline: learned from the repository's labelled history, with
keyword rules for the labels the history does not teach. Every candidate carries a confidence;
`choose` splits them into labels to apply and labels to suggest, by the configured thresholds.

Only labels that exist in the repository (or that `create_missing` allows) and that the config
permits are ever candidates, whatever the issue text says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ossbot.context import Context
from ossbot.events import Issue, Label
from ossbot.labels.model import Example, LabelModel
from ossbot.repo_config import LabelsConfig
from ossbot.triage.history import Past, history
from ossbot.triage.offline import keyword_scores, resolve_label

MIN_KEYWORD_SCORE = 2.0  # one keyword in the title, or two in the body


@dataclass(frozen=True)
class Candidate:
    name: str
    confidence: float
    source: str  # "history", "keywords", or the model's name

    @property
    def percent(self) -> int:
        return round(100 * self.confidence)


@dataclass
class Choice:
    apply: list[Candidate] = field(default_factory=list)
    suggest: list[Candidate] = field(default_factory=list)


@dataclass
class Learned:
    candidates: list[Candidate]
    labels: list[str]  # the labels the history taught
    examples: int  # labelled issues learned from


def permitted_labels(ctx: Context) -> list[Label] | None:
    """The repository's labels that the config lets triage apply; None when they cannot be
    read (no token)."""
    available = ctx.reader.repo_labels(ctx.repo)
    if available is None:
        return None
    return [label for label in available if ctx.config.labels.permits(label.name)]


def training_examples(
    past: Sequence[Past], names: list[str], leave_out: int | None = None
) -> list[Example]:
    """Issues of the history that carry one of `names`, with only those labels."""
    keep = set(names)
    examples = (p.example(keep) for p in past if p.number != leave_out)
    return [e for e in examples if e.labels]


def labelled_examples(ctx: Context) -> list[Example]:
    """The repository's history as triage would learn from it (`ossbot labels eval --repo`)."""
    names = [label.name for label in permitted_labels(ctx) or []]
    return training_examples(history(ctx).issues, names)


def learn(issue: Issue, past: Sequence[Past], names: list[str], cfg: LabelsConfig) -> Learned:
    """Train on the labelled history (the issue itself left out) and score the issue."""
    examples = training_examples(past, names, leave_out=issue.number)
    if not cfg.learn or not examples:
        return Learned([], [], len(examples))
    model = LabelModel.train(examples, min_examples=cfg.min_examples)
    if not model.labels:
        return Learned([], [], len(examples))
    scores = model.scores(issue.title, issue.body)
    candidates = [
        Candidate(name, score, "history")
        for name, score in scores.items()
        if score >= cfg.suggest_threshold
    ]
    return Learned(_ranked(candidates), list(model.labels), len(examples))


def by_keywords(
    issue: Issue, names: list[str] | None, cfg: LabelsConfig, skip: set[str], notes: list[str]
) -> tuple[list[Candidate], list[str]]:
    """Keyword rules mapped onto the repository's labels (`names`; None when unknown), for
    labels not in `skip`. Returns the candidates and the labels that would need creating."""
    scores = keyword_scores(issue.title, issue.body, cfg.effective_rules())
    candidates: list[Candidate] = []
    create: list[str] = []
    for rule, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        if score < MIN_KEYWORD_SCORE:
            continue
        name = rule if names is None else resolve_label(rule, names)
        if name is None and cfg.create_missing:
            name = rule
            create.append(rule)
        if name is None:
            notes.append(f"label '{rule}' matched but the repository has no such label")
            continue
        if name not in skip and cfg.permits(name) and name not in {c.name for c in candidates}:
            candidates.append(Candidate(name, keyword_confidence(score), "keywords"))
    return candidates, create


def keyword_confidence(score: float) -> float:
    """2 (a title keyword) → 0.7; each further hit adds a little, never certainty."""
    return min(0.5 + 0.1 * score, 0.9)


def choose(candidates: Sequence[Candidate], cfg: LabelsConfig) -> Choice:
    """Strong candidates (≥ apply_threshold) to apply, at most `max`; the rest above
    suggest_threshold to suggest. Permitted labels only."""
    choice = Choice()
    for candidate in _ranked([c for c in candidates if cfg.permits(c.name)]):
        if candidate.name in {c.name for c in choice.apply + choice.suggest}:
            continue
        if candidate.confidence >= cfg.apply_threshold and len(choice.apply) < cfg.max:
            choice.apply.append(candidate)
        elif candidate.confidence >= cfg.suggest_threshold and len(choice.suggest) < cfg.max:
            choice.suggest.append(candidate)
    return choice


def _ranked(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.confidence, c.name.lower()))
