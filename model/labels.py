"""The label sets of credscore, in their fixed order.

This module is the single source of truth for every label name, its index in
the model's output vectors, and the display colours.  Everything else imports
from here; nothing else spells a label list out.

The definitions are those of the annotation guide (``docs/annotation-guide.md``
mirrors ``shared/annotation-guide.md``).
"""

from __future__ import annotations

# Order matters: it is the column order of every probability vector and of
# every saved classification head.  Never reorder; only append.
ATTRIBUTION_LABELS: tuple[str, ...] = (
    "unattributed",
    "direct_claim",
    "official_statement",
    "anonymous_source",
    "agency",
)

HEDGING_LABELS: tuple[str, ...] = ("none", "low", "high")

ANNOTATORS: tuple[str, ...] = ("manual", "weak", "mapped")

#: Name of each classification task and its label set.
TASKS: dict[str, tuple[str, ...]] = {
    "attribution": ATTRIBUTION_LABELS,
    "hedging": HEDGING_LABELS,
}

#: The guide's "weakest link" order for several sources in one sentence
#: (rule 5): a higher rank wins.
ATTRIBUTION_WEAKNESS_RANK: dict[str, int] = {
    "unattributed": 0,
    "direct_claim": 1,
    "official_statement": 2,
    "agency": 3,
    "anonymous_source": 4,
}

#: Colours (rich style names / CSS colours) used by the table and HTML views.
ATTRIBUTION_COLOURS: dict[str, str] = {
    "unattributed": "#9e9e9e",
    "direct_claim": "#1e88e5",
    "official_statement": "#43a047",
    "anonymous_source": "#e53935",
    "agency": "#8e24aa",
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
