"""Validation of one labelled-data row (the format of docs/data-format.md).

Shared by training (``training.data``) and batch prediction (``model.batch``).
"""

from __future__ import annotations

from model.labels import ANNOTATORS, TASKS

REQUIRED_FIELDS: dict[str, type] = {"doc_id": str, "sent_index": int, "text": str}
PROVENANCE_FIELDS: dict[str, type] = {"annotator": str, "source": str}


def row_problems(row: object, where: str, require_provenance: bool) -> list[str]:
    """Every problem of ``row`` as ``"<where>: <what>"`` strings (empty list: valid)."""
    if not isinstance(row, dict):
        return [f"{where}: expected a JSON object, got {type(row).__name__}"]
    problems = []
    fields = dict(REQUIRED_FIELDS, **(PROVENANCE_FIELDS if require_provenance else {}))
    for name, kind in fields.items():
        if name not in row:
            problems.append(f"{where}: missing field {name!r}")
        elif not isinstance(row[name], kind) or isinstance(row[name], bool):
            problems.append(f"{where}: field {name!r} must be {kind.__name__}, got {row[name]!r:.40}")
    if isinstance(row.get("sent_index"), int) and row["sent_index"] < 0:
        problems.append(f"{where}: sent_index must be >= 0, got {row['sent_index']}")
    if isinstance(row.get("text"), str) and not row["text"].strip():
        problems.append(f"{where}: empty text")
    for task, labels in TASKS.items():
        value = row.get(task)
        if value is not None and value not in labels:
            problems.append(f"{where}: unknown {task} label {value!r} (expected one of {', '.join(labels)})")
    annotator = row.get("annotator")
    if annotator is not None and annotator not in ANNOTATORS:
        problems.append(f"{where}: unknown annotator {annotator!r} (expected one of {', '.join(ANNOTATORS)})")
    return problems
