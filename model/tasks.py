"""The tasks credscore predicts, each with its labels, head and loss: one registry.

A :class:`Task` declares everything the rest of the code needs to know about
it: its label set (in the fixed order of its probability vectors), the head
architecture that predicts it (a name in :data:`credscore.network.HEADS`) and
its training loss (a name in :data:`credscore.network.LOSSES`).  The network,
the predictor, the results and the loss iterate over :data:`TASK_REGISTRY`;
adding a task is one :func:`register_task` call here.

The definitions are those of the annotation guide (``docs/annotation-guide.md``
mirrors the project's contract).
"""

from __future__ import annotations

from dataclasses import dataclass

from credscore.registry import Registry


@dataclass(frozen=True)
class Task:
    """One prediction task.

    ``labels``: the label names; their order is the column order of every
    probability vector and saved head, so never reorder, only append.
    ``head``: head architecture name; ``loss``: loss name (see the module docstring).
    """

    name: str
    labels: tuple[str, ...]
    head: str = "mlp"
    loss: str = "weighted_cross_entropy"


TASK_REGISTRY: Registry[Task] = Registry("task")


def register_task(task: Task) -> Task:
    return TASK_REGISTRY.register(task.name, task)


ATTRIBUTION_LABELS: tuple[str, ...] = register_task(Task("attribution", (
    "unattributed",
    "direct_claim",
    "official_statement",
    "anonymous_source",
    "agency",
))).labels

HEDGING_LABELS: tuple[str, ...] = register_task(Task("hedging", ("none", "low", "high"))).labels

#: Name of each task and its label set, in registry order (the order of heads and graph outputs).
TASKS: dict[str, tuple[str, ...]] = {name: task.labels for name, task in TASK_REGISTRY.items()}

#: Source mentions (guide section 3): the type of who vouches, and whether they make the claim or carry it.
MENTION_TYPES: tuple[str, ...] = tuple(label for label in ATTRIBUTION_LABELS if label != "unattributed")
MENTION_ROLES: tuple[str, ...] = ("source", "channel")

#: Who made a label: by hand from the guide, by a rule, or mapped from another scheme.
ANNOTATORS: tuple[str, ...] = ("manual", "weak", "mapped")

#: The guide's "weakest link" order for several sources in one sentence
#: (rule 5): a higher rank wins.
ATTRIBUTION_WEAKNESS_RANK: dict[str, int] = {
    "unattributed": 0,
    "direct_claim": 1,
    "official_statement": 2,
    "agency": 3,
    "anonymous_source": 4,
}

#: Colours (CSS hex, also rich styles) of the table and HTML views: the Okabe-Ito palette, told apart
#: by colour-blind readers too; the HTML report adds a text badge and an underline pattern per type.
ATTRIBUTION_COLOURS: dict[str, str] = {
    "unattributed": "#999999",
    "direct_claim": "#0072B2",
    "official_statement": "#009E73",
    "anonymous_source": "#D55E00",
    "agency": "#CC79A7",
}

#: Short human labels (badges in the HTML report) and underline patterns: type without relying on colour.
ATTRIBUTION_BADGES: dict[str, str] = {
    "unattributed": "", "direct_claim": "NAMED", "official_statement": "OFFICIAL",
    "anonymous_source": "ANONYMOUS", "agency": "OTHER OUTLET",
}
ATTRIBUTION_PATTERNS: dict[str, str] = {
    "unattributed": "none", "direct_claim": "solid", "official_statement": "double",
    "anonymous_source": "dotted", "agency": "dashed",
}

HEDGING_MARKS: dict[str, str] = {"none": "", "low": "~", "high": "?!"}


def label_to_index(task: str, label: str) -> int:
    """Index of ``label`` in the label set of ``task``.

    Raises ``ValueError`` with the allowed values when the label is unknown.
    """
    labels = TASKS[task]
    try:
        return labels.index(label)
    except ValueError:
        raise ValueError(
            f"unknown {task} label {label!r}; expected one of {', '.join(labels)}"
        ) from None


def label_scores(task: str, probabilities) -> dict[str, float]:
    """``{label: probability}`` of one sentence for ``task``, rounded to 4 decimals (as every output shows them)."""
    return {label: round(float(p), 4) for label, p in zip(TASKS[task], probabilities)}
