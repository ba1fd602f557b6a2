"""Which labels an issue gets, offline: learned from the repository's labelled history, with
keyword rules for the labels the history does not teach. Every candidate carries a confidence
and, where it has earned one, the probability from which it may be applied; `choose` splits
them into labels to apply and labels to suggest.

- A learned label is applied only from its backtested threshold (`ossbot.labels.policy`): the
  lowest probability at which it was right at least `labels.target_precision` of the time on
  the repository's own issues, each scored by a model that had not seen it.
- Keyword rules, and learned labels with too little history to backtest, are only suggested
  unless `labels.cold_start: apply`.
- A label ossbot applied is training data only once a person kept it (`confirmed`).
- The model is cached in the state by the content of what it learned from: an unchanged
  history is never learned twice.

Only labels that exist in the repository (or that `create_missing` allows) and that the config
permits are ever candidates, whatever the issue text says.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ossbot.context import Context
from ossbot.events import Issue, Label
from ossbot.labels.model import TRAINER, Example, LabelModel
from ossbot.labels.policy import PROVEN, Policy, policies
from ossbot.repo_config import LabelsConfig
from ossbot.triage.history import Past, history
from ossbot.triage.offline import keyword_scores, resolve_label

if TYPE_CHECKING:
    from ossbot.state.store import StateStore

MIN_KEYWORD_SCORE = 2.0  # one keyword in the title or in a template field


@dataclass(frozen=True)
class Candidate:
    name: str
    confidence: float
    source: str  # "history", "keywords", or the model's name
    apply_from: float | None = 0.0  # applied from max(this, apply_threshold); None: suggested
    why: str = ""  # why it is only suggested, for the comment

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


@dataclass(frozen=True)
class Trained:
    """A model and its per-label policies."""

    model: LabelModel
    policies: dict[str, Policy]
    examples: int


def permitted_labels(ctx: Context) -> list[Label] | None:
    """The repository's labels that the config lets triage apply; None when they cannot be
    read (no token)."""
    available = ctx.reader.repo_labels(ctx.repo)
    if available is None:
        return None
    return [label for label in available if ctx.config.labels.permits(label.name)]


def training_examples(
    past: Sequence[Past],
    names: list[str],
    leave_out: int | None = None,
    unconfirmed: set[int] | None = None,
) -> list[Example]:
    """Issues of the history that carry one of `names`, with only those labels; the issues in
    `unconfirmed` (ossbot labelled them and no person has kept the labels yet) are left out."""
    keep = set(names)
    skip = unconfirmed or set()
    examples = (p.example(keep) for p in past if p.number != leave_out and p.number not in skip)
    # In a fixed order (the history is by last update): a comment on an old issue changes
    # neither the cache key nor the model.
    return sorted((e for e in examples if e.labels), key=lambda e: (e.number or 0, e.created_at))


def unconfirmed(store: StateStore, repo: str, past: Sequence[Past], grace_days: float) -> set[int]:
    """Issues carrying a label ossbot applied that no person has confirmed yet: applied less
    than `grace_days` ago, and the issue's labels are still exactly as ossbot left them (a
    person who changed them has looked, and kept the rest)."""
    now = {p.number: {name.lower() for name in p.labels} for p in past}
    since = (datetime.now(UTC) - timedelta(days=grace_days)).isoformat(timespec="seconds")
    out = set()
    for row in store.labels_applied(repo, since=since):
        current = now.get(row["number"])
        if current is None:
            continue
        after = {name.lower() for name in json.loads(row["after"] or "[]")}
        if current == after:
            out.add(row["number"])
    return out


def labelled_examples(ctx: Context) -> list[Example]:
    """The repository's history as triage would learn from it (`ossbot labels eval --repo`)."""
    names = [label.name for label in permitted_labels(ctx) or []]
    past = history(ctx).issues
    skip = unconfirmed(ctx.store, ctx.repo, past, ctx.config.labels.grace_days)
    return training_examples(past, names, unconfirmed=skip)


def model_key(examples: Iterable[Example], cfg: LabelsConfig) -> str:
    """What a model depends on: its examples' text and labels, the settings it is trained and
    thresholded with, and the model's format."""
    digest = hashlib.sha256()
    settings = [TRAINER, PROVEN, cfg.min_examples, cfg.target_precision, cfg.apply_threshold]
    digest.update(json.dumps(settings).encode())
    for e in examples:
        digest.update(json.dumps([e.title, e.body, sorted(e.labels), e.repo]).encode())
    return digest.hexdigest()


def train(examples: Sequence[Example], cfg: LabelsConfig) -> Trained:
    model = LabelModel.train(examples, min_examples=cfg.min_examples)
    return Trained(model, policies(model, cfg.target_precision, cfg.apply_threshold), len(examples))


def trained(ctx: Context, examples: Sequence[Example], cfg: LabelsConfig) -> Trained:
    """The model for these examples: from the state's cache when they have not changed, else
    trained and cached."""
    key = model_key(examples, cfg)
    row = ctx.store.label_model(ctx.repo)
    if row and row["key"] == key:
        try:
            model = LabelModel.from_bytes(row["model"])
            table = json.loads(row["policies"])
            return Trained(model, {k: Policy.of(v) for k, v in table.items()}, row["examples"])
        except (ValueError, TypeError, KeyError, AttributeError):
            pass  # a damaged or older cache entry: trained afresh below
    result = train(examples, cfg)
    ctx.store.label_model_store(
        ctx.repo,
        key=key,
        model=result.model.to_bytes(),
        policies=json.dumps({k: v.as_dict() for k, v in result.policies.items()}),
        examples=result.examples,
    )
    return result


def learn(
    ctx: Context, issue: Issue, past: Sequence[Past], names: list[str], cfg: LabelsConfig
) -> Learned:
    """Train on the labelled history (the issue itself and unconfirmed issues left out) and
    score the issue."""
    skip = unconfirmed(ctx.store, ctx.repo, past, cfg.grace_days) if cfg.learn else set()
    examples = training_examples(past, names, leave_out=issue.number, unconfirmed=skip)
    if not cfg.learn or not examples:
        return Learned([], [], len(examples))
    result = trained(ctx, examples, cfg)
    if not result.model.labels:
        return Learned([], [], len(examples))
    scores = result.model.scores(issue.title, issue.body)
    candidates = learned_candidates(scores, result.policies, cfg)
    return Learned(_ranked(candidates), list(result.model.labels), len(examples))


def learned_candidates(
    scores: dict[str, float], table: dict[str, Policy], cfg: LabelsConfig
) -> list[Candidate]:
    """The model's labels scoring at least suggest_threshold, each applicable from its
    backtested threshold; unproven labels only with `cold_start: apply`."""
    out = []
    for name, score in scores.items():
        if score < cfg.suggest_threshold:
            continue
        policy = table.get(name)
        if policy is not None and policy.why == "constant":
            continue  # every labelled issue carries it: it says nothing about this one
        if policy is not None and policy.threshold is not None:
            out.append(Candidate(name, score, "history", policy.threshold))
        elif policy is not None and policy.why == "unproven" and cfg.cold_start == "apply":
            out.append(Candidate(name, score, "history", cfg.apply_threshold))
        else:
            why = _WHY.get(policy.why if policy else "unproven", "")
            out.append(Candidate(name, score, "history", None, why))
    return out


_WHY = {
    "unproven": "too little history to apply it automatically",
    "imprecise": "not precise enough in this repository's history to apply it automatically",
}


def by_keywords(
    title: str,
    body: str,
    names: list[str] | None,
    cfg: LabelsConfig,
    skip: set[str],
    notes: list[str],
) -> tuple[list[Candidate], list[str]]:
    """Keyword rules mapped onto the repository's labels (`names`; None when unknown), for
    labels not in `skip`. Returns the candidates and the labels that would need creating."""
    scores = keyword_scores(title, body, cfg.effective_rules())
    candidates: list[Candidate] = []
    create: list[str] = []
    applies = cfg.cold_start == "apply"
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
            candidates.append(
                Candidate(
                    name,
                    keyword_confidence(score),
                    "keywords",
                    cfg.apply_threshold if applies else None,
                    "" if applies else "matched a keyword rule",
                )
            )
    return candidates, create


def keyword_confidence(score: float) -> float:
    """One match (2) → 0.8, two or more → 0.9: what a match in the title or a template field
    earned on the NLBSE'24 issues (right 85% and 97% of the time; bench/label_rules.py)."""
    return 0.8 if score < 4 else 0.9


def choose(candidates: Sequence[Candidate], cfg: LabelsConfig) -> Choice:
    """Candidates at or above both apply_threshold and their own threshold to apply, at most
    `max`; the rest above suggest_threshold to suggest. Permitted labels only."""
    choice = Choice()
    for candidate in _ranked([c for c in candidates if cfg.permits(c.name)]):
        if candidate.name in {c.name for c in choice.apply + choice.suggest}:
            continue
        floor = (
            None if candidate.apply_from is None else max(cfg.apply_threshold, candidate.apply_from)
        )
        if floor is not None and candidate.confidence >= floor and len(choice.apply) < cfg.max:
            choice.apply.append(candidate)
        elif candidate.confidence >= cfg.suggest_threshold and len(choice.suggest) < cfg.max:
            choice.suggest.append(candidate)
    return choice


def _ranked(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.confidence, c.name.lower()))
