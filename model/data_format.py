"""Validation of one labelled-data row (the format of docs/data-format.md).

Shared by training (``credscore.training.data``) and batch prediction (``credscore.file_prediction``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from credscore.errors import InputError
from credscore.tasks import ANNOTATORS, TASKS

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


def iter_jsonl(path: Path, require_provenance: bool) -> Iterator[tuple[int, int, dict | None, list[str]]]:
    """Stream ``path`` as ``(line_number, byte_offset, row_or_None, problems)`` per non-blank line.

    Each row is parsed and checked with :func:`row_problems`, and a repeated
    ``(doc_id, sent_index)`` is reported with the line it first appeared on.
    Memory is constant apart from the set of keys seen.  Raises
    :class:`InputError` when the file cannot be read or a line is not UTF-8.
    """
    seen: dict[tuple[str, int], int] = {}
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        pos = 0
        for lineno, raw in enumerate(fh, 1):
            start, pos = pos, pos + len(raw)
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{where}: is not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                yield lineno, start, None, [f"{where}: invalid JSON ({exc.msg} at column {exc.colno})"]
                continue
            problems = row_problems(row, where, require_provenance)
            if not problems:
                key = (row["doc_id"], row["sent_index"])
                if key in seen:
                    problems.append(f"{where}: duplicate (doc_id, sent_index) {key}, first at line {seen[key]}")
                else:
                    seen[key] = lineno
            yield lineno, start, (row if not problems else None), problems


def group_documents(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by ``doc_id`` (first-appearance order), each sorted by ``sent_index``."""
    docs: dict[str, list[dict]] = {}
    for row in rows:
        docs.setdefault(row["doc_id"], []).append(row)
    return [sorted(d, key=lambda r: r["sent_index"]) for d in docs.values()]
