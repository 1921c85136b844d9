"""The reliability profile of an article, computed from sentence probabilities.

Everything here works on calibrated probabilities, so a sentence the model is
unsure about counts partially towards each share.  All components are shares
(0..1), so the score neither rewards nor punishes length by itself.

Components (higher is better; see docs/scoring.md for the reasoning and the
newsroom standards behind each):

``sourcing``
    how much of the article rests on a named source at all:
    ``min(1, attributed_share / attributed_target)``.
``named_sources``
    1 - share of attributed claims resting on anonymous sources.
``original_reporting``
    1 - share of attributed claims resting on other outlets' reporting.
``certainty``
    1 - hedging intensity, where a ``low`` hedge counts ``hedge_low_weight``
    and a ``high`` hedge 1.

``reliability = 100 * sum(w_k * c_k) / sum(w_k)`` with the weights of
:class:`ScoringConfig`.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from credscore.errors import InputError
from credscore.source_grouping import Source, article_sources
from credscore.tasks import ATTRIBUTION_LABELS, HEDGING_LABELS

COMPONENTS = ("sourcing", "named_sources", "original_reporting", "certainty")


#: Largest weight accepted: weights are relative, and larger ones overflow the weighted sum.
MAX_WEIGHT = 1e6


def _shown(value) -> str:
    return f"{type(value).__name__} {value!r:.40}" if value is not None else "null"


def _check_number(key: str, value, low: float, high: float, low_open: bool = False, integer: bool = False) -> None:
    """Refuse (exit 2, naming ``key``) anything but a finite number in range: NaN, inf, strings, null, booleans."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise InputError(f"{key} must be {'an integer' if integer else 'a number'}, got {_shown(value)}")
    if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise InputError(f"{key} must be a finite number in {interval}, got {value!r}")


@dataclass
class ScoringConfig:
    """Weights and thresholds of the reliability score (user-overridable).

    ``weights``: relative weight of each component (non-negative, not all 0).
    ``attributed_target``: share of attributed sentences at which
    ``sourcing`` reaches 1 (news reports typically attribute 40-60 %).
    ``hedge_low_weight``: how much a ``low`` hedge counts against certainty
    relative to a ``high`` one.
    ``max_listed``: how many sentence numbers an explanation lists.
    ``min_sentences``: below this, the profile warns that it rests on little text.
    """

    # Defaults chosen by eval/score_validation.py ("choose") on the training
    # split's gold labels only; see docs/scoring.md for why certainty is 0.
    weights: dict[str, float] = field(default_factory=lambda: {
        "sourcing": 1.0, "named_sources": 1.0, "original_reporting": 2.0, "certainty": 0.0,
    })
    attributed_target: float = 0.5
    hedge_low_weight: float = 0.5
    max_listed: int = 8
    min_sentences: int = 5

    def __post_init__(self):
        if not isinstance(self.weights, dict):
            raise InputError(f"weights must be a table of component = number, got {_shown(self.weights)}")
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise InputError(f"unknown score component(s): {', '.join(sorted(map(str, unknown)))}; "
                             f"expected {', '.join(COMPONENTS)}")
        for name, value in self.weights.items():
            _check_number(f"weights.{name}", value, 0.0, MAX_WEIGHT)
        if not any(self.weights.values()):
            raise InputError("score weights must not all be zero")
        _check_number("attributed_target", self.attributed_target, 0.0, 1.0, low_open=True)
        _check_number("hedge_low_weight", self.hedge_low_weight, 0.0, 1.0)
        _check_number("max_listed", self.max_listed, 0, 10_000, integer=True)
        _check_number("min_sentences", self.min_sentences, 0, 10_000_000, integer=True)

    @classmethod
    def from_file(cls, path: Path | str) -> "ScoringConfig":
        """Read overrides from a JSON or TOML file (missing keys keep their defaults)."""
        path = Path(path)
        from credscore.bounded_read import read_regular_file

        try:
            raw = read_regular_file(path, 1 << 20)
            data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
        except OSError as exc:
            raise InputError(f"{path}: cannot read scoring config ({exc.strerror})") from None
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(f"{path}: invalid scoring config ({exc})") from None
        try:
            return cls.from_dict(data)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None

    @classmethod
    def from_dict(cls, data: dict) -> "ScoringConfig":
        base = cls()
        if not isinstance(data, dict):
            raise InputError(f"a scoring config must be an object of options, got {_shown(data)}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown scoring option(s): {', '.join(sorted(map(str, unknown)))}")
        given = data.get("weights", {})
        if not isinstance(given, dict):
            raise InputError(f"weights must be a table of component = number, got {_shown(given)}")
        weights = dict(base.weights, **given)
        return cls(**{**asdict(base), **data, "weights": weights})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Finding:
    """One plain-language explanation and the sentences behind it (0-based indices; the message says "#1" for 0)."""

    code: str
    severity: str  # "positive" | "info" | "warning"
    message: str
    sentences: list[int]
    #: The message without its list of sentence numbers (a report links every sentence instead).
    summary: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Profile:
    """The reliability profile of one article (see module docstring)."""

    n_sentences: int
    attribution_shares: dict[str, float]
    hedging_shares: dict[str, float]
    attributed_claims: float
    anonymous_share_of_claims: float
    agency_share_of_claims: float
    hedging_density: float
    reliability: float
    components: dict[str, float]
    explanations: list[Finding]
    #: Sentences per arg-max label ("10 of 16 sentences"); the ``*_shares`` are probability-weighted.
    attribution_counts: dict[str, int] = field(default_factory=dict)
    hedging_counts: dict[str, int] = field(default_factory=dict)
    #: The component weights the score used (defaults, or the user's --config).
    weights: dict[str, float] = field(default_factory=dict)
    #: The article's distinct sources (:mod:`credscore.source_grouping`), most claims first; empty without mentions.
    sources: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _share(num: float, den: float) -> float:
    return float(num / den) if den > 1e-9 else 0.0


def compute_components(att: np.ndarray, hed: np.ndarray, config: ScoringConfig) -> tuple[dict, dict]:
    """(components, statistics) from probabilities ``att`` ``(N, 5)`` and ``hed`` ``(N, 3)``."""
    a = {label: float(att[:, i].sum()) for i, label in enumerate(ATTRIBUTION_LABELS)}
    n = att.shape[0]
    claims = n - a["unattributed"]
    anon = _share(a["anonymous_source"], claims)
    agency = _share(a["agency"], claims)
    intensity = float((config.hedge_low_weight * hed[:, 1] + hed[:, 2]).mean()) if n else 0.0
    components = {
        "sourcing": min(1.0, _share(claims, n) / config.attributed_target),
        "named_sources": 1.0 - anon if claims > 1e-9 else 0.0,
        "original_reporting": 1.0 - agency if claims > 1e-9 else 0.0,
        "certainty": 1.0 - intensity,
    }
    stats = {"claims": claims, "anonymous": anon, "agency": agency,
             "hedging_density": float(1.0 - hed[:, 0].mean()) if n else 0.0}
    return components, stats


def reliability_score(components: dict[str, float], config: ScoringConfig) -> float:
    """Weighted mean of the components, scaled to 0-100."""
    total = sum(config.weights.get(k, 0.0) for k in components)
    return 100.0 * sum(config.weights.get(k, 0.0) * v for k, v in components.items()) / total


def _refs(indices: list[int], config: ScoringConfig) -> str:
    shown = ", ".join(f"#{i + 1}" for i in indices[: config.max_listed])
    return shown + (f" and {len(indices) - config.max_listed} more" if len(indices) > config.max_listed else "")


def _finding(code: str, severity: str, summary: str, sentences: list[int], config: ScoringConfig) -> Finding:
    """A finding whose message lists its sentences ("#1, #2 and 6 more"), at most ``config.max_listed`` of them."""
    message = f"{summary}: {_refs(sentences, config)}." if sentences else summary
    return Finding(code, severity, message, sentences, summary)


def explain(att_labels: list[str], hed_labels: list[str], config: ScoringConfig) -> list[Finding]:
    """Plain-language findings from the predicted labels, each naming its sentences (0-based)."""
    n = len(att_labels)
    idx = {label: [i for i, l in enumerate(att_labels) if l == label] for label in ATTRIBUTION_LABELS}
    findings: list[Finding] = []
    if n < config.min_sentences:
        findings.append(_finding("short_text", "info", f"Only {n} sentence{'s' if n != 1 else ''}: "
                                 "the profile rests on very little text.", [], config))
    attributed = [i for i, l in enumerate(att_labels) if l != "unattributed"]
    if not attributed:
        findings.append(_finding("no_sources", "warning", f"None of the {n} sentences names a source: "
                                 "everything rests on the outlet's own word.", [], config))
    else:
        findings.append(_finding("attributed", "info", f"{len(attributed)} of {n} sentences attribute their claim "
                                 "to a source", attributed, config))
    on_record = sorted(idx["official_statement"] + idx["direct_claim"])
    if on_record:
        findings.append(_finding("on_record", "positive",
                                 f"{len(on_record)} of {n} sentences rest on named or on-record sources "
                                 f"({len(idx['official_statement'])} official, {len(idx['direct_claim'])} named "
                                 "people or organisations)", on_record, config))
    if idx["anonymous_source"]:
        findings.append(_finding("anonymous", "warning", f"{len(idx['anonymous_source'])} of {n} sentences rest on "
                                 "anonymous sources", idx["anonymous_source"], config))
    if idx["agency"]:
        findings.append(_finding("agency", "info", f"{len(idx['agency'])} of {n} sentences rest on other outlets' "
                                 "reporting", idx["agency"], config))
    hedged = [i for i, l in enumerate(hed_labels) if l != "none"]
    strong = [i for i, l in enumerate(hed_labels) if l == "high"]
    if hedged:
        findings.append(_finding("hedged", "warning" if strong else "info",
                                 f"{len(hedged)} of {n} sentences are hedged"
                                 + (f", {len(strong)} of them strongly (speculative or unverified)" if strong else ""),
                                 hedged, config))
    return findings


def _quoted(name: str) -> str:
    return "\u201c" + name + "\u201d"


def source_findings(sources: list[Source], att_labels: list[str], config: ScoringConfig) -> list[Finding]:
    """Findings about who vouches (they inform; they never change the score).

    Each names its sentences (0-based): reliance on the top source, how many
    distinct named sources there are, sources heard only through another
    outlet, anonymous sources and what they carry, hedged claims per source.
    """
    speaking = [s for s in sources if s.sentences]
    if not speaking:
        return []
    findings: list[Finding] = []
    n_attr = sum(1 for label in att_labels if label != "unattributed")
    by_id = {s.id: s for s in sources}
    top = max(speaking, key=lambda s: (len(s.sentences), -s.id))
    if n_attr:
        share = top.share_of_claims
        heavy = share >= 0.5 and n_attr >= 3
        findings.append(_finding("top_source", "warning" if heavy else "info",
                                 f"The most-quoted source, {_quoted(top.name)}, carries {share:.0%} of the attributed "
                                 f"sentences ({len(top.sentences)} sentence{'s' if len(top.sentences) != 1 else ''})"
                                 + ("; the article leans on one source" if heavy else ""), top.sentences, config))
    anonymous = [s for s in speaking if s.type == "anonymous_source"]
    named = [s for s in speaking if s.named and s.type != "anonymous_source"]
    unnamed = [s for s in speaking if not s.named and s.type != "anonymous_source"]
    listed = named[: config.max_listed]
    findings.append(_finding("distinct_sources", "positive" if len(named) >= 3 else "info",
                             f"{len(named)} distinct named source{'s' if len(named) != 1 else ''}"
                             + (" (" + ", ".join(_quoted(s.name) for s in listed)
                                + (f" and {len(named) - len(listed)} more" if len(named) > len(listed) else "") + ")"
                                if named else "")
                             + (f", {len(unnamed)} on the record without a name" if unnamed else "")
                             + (f", {len(anonymous)} anonymous" if anonymous else ""),
                             sorted({i for s in named for i in s.sentences}), config))
    for s in speaking:
        own = {m["sentence"] for m in s.mentions if m["role"] == "source"}
        channels = [by_id[v] for v in s.via if v in by_id]
        carried = {i for c in channels for i in c.channel_for}
        if s.type != "agency" and channels and own <= carried:
            findings.append(_finding("via_outlet", "info",
                                     f"{_quoted(s.name)} is quoted only through "
                                     + " and ".join(_quoted(c.name) for c in channels), s.sentences, config))
    for s in anonymous:
        findings.append(_finding("anonymous_source", "warning",
                                 f"The anonymous source {_quoted(s.name)} carries {len(s.sentences)} "
                                 f"sentence{'s' if len(s.sentences) != 1 else ''}", s.sentences, config))
    for s in speaking:
        if s.hedged:
            findings.append(_finding("hedged_source", "info",
                                     f"{len(s.hedged)} of {len(s.sentences)} claims by {_quoted(s.name)} are hedged",
                                     s.hedged, config))
    return findings


def build_profile(att: np.ndarray, hed: np.ndarray, config: ScoringConfig | None = None,
                  sentences: list | None = None) -> Profile:
    """The :class:`Profile` of one article from its sentence probabilities.

    ``att``: ``(N, 5)`` attribution probabilities; ``hed``: ``(N, 3)`` hedging
    probabilities, rows in sentence order.  ``sentences``, if given: the
    article's :class:`~credscore.results.SentencePrediction` objects, whose
    source mentions become the profile's ``sources`` and their findings
    (neither changes the score).
    """
    config = config or ScoringConfig()
    att, hed = np.asarray(att, dtype=float), np.asarray(hed, dtype=float)
    n = att.shape[0]
    if n == 0:
        raise InputError("no sentences to score")
    components, stats = compute_components(att, hed, config)
    att_labels = [ATTRIBUTION_LABELS[i] for i in att.argmax(1)]
    hed_labels = [HEDGING_LABELS[i] for i in hed.argmax(1)]
    sources = article_sources(sentences, att_labels, hed_labels) if sentences else []
    sources.sort(key=lambda s: (-len(s.sentences), s.id))
    return Profile(
        n_sentences=n,
        attribution_shares={l: float(att[:, i].mean()) for i, l in enumerate(ATTRIBUTION_LABELS)},
        hedging_shares={l: float(hed[:, i].mean()) for i, l in enumerate(HEDGING_LABELS)},
        attributed_claims=round(stats["claims"], 3),
        anonymous_share_of_claims=stats["anonymous"],
        agency_share_of_claims=stats["agency"],
        hedging_density=stats["hedging_density"],
        reliability=round(reliability_score(components, config), 1),
        components={k: round(v, 4) for k, v in components.items()},
        explanations=explain(att_labels, hed_labels, config) + source_findings(sources, att_labels, config),
        attribution_counts={l: att_labels.count(l) for l in ATTRIBUTION_LABELS},
        hedging_counts={l: hed_labels.count(l) for l in HEDGING_LABELS},
        weights=dict(config.weights),
        sources=sources,
    )
