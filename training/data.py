"""Reading and validating labelled data in the credscore JSON Lines format.

The format (``docs/data-format.md``): one sentence per line with ``doc_id``
(str), ``sent_index`` (int >= 0), ``text`` (str), optional ``attribution`` and
``hedging`` labels, ``annotator`` (manual | weak | mapped) and ``source``
(provenance), plus any extra fields.

:func:`validate_file` reports *every* bad row with file and line number and
refuses the file; :func:`load_rows` returns validated rows of one or more
files or folders; :func:`to_dataset` turns them into a ``datasets.Dataset``
ordered by document and sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from credscore.errors import DataValidationError, InputError
from credscore.data_format import group_documents, iter_jsonl, mention_warnings
from credscore.tasks import TASKS

def iter_validated(path: Path, require_provenance: bool = True) -> Iterator[tuple[int, dict | None, list[str]]]:
    """Yield ``(line_number, row_or_None, problems)`` for each non-blank line (streaming)."""
    for lineno, _, row, problems in iter_jsonl(path, require_provenance):
        yield lineno, row, problems


def validate_file(path: Path | str, require_provenance: bool = True) -> list[dict]:
    """Validated rows of one JSONL file; raises :class:`DataValidationError` listing every bad row."""
    path = Path(path)
    rows, problems = [], []
    for _, row, row_problems in iter_validated(path, require_provenance):
        problems += row_problems
        if row is not None:
            rows.append(row)
    if problems:
        raise DataValidationError(problems)
    return rows


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files named directly, plus every ``*.jsonl`` below a named folder (sorted)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.rglob("*.jsonl"))
            if not found:
                raise InputError(f"{p}: folder holds no .jsonl files")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def load_rows(paths: Iterable[Path | str], require_provenance: bool = True, warn=None) -> list[dict]:
    """Validated rows of every file in ``paths`` (files or folders), in file order.

    Duplicate ``(doc_id, sent_index)`` keys across files are refused too, and so
    is a ``source_of`` that names no sentence of the row's document.  Rows whose
    attribution disagrees with their mentions are allowed (the guide has
    exceptions); ``warn(message)``, if given, is called once per such row.
    """
    rows, problems, origin = [], [], {}
    for path in expand_paths(paths):
        try:
            part = validate_file(path, require_provenance)
        except DataValidationError as exc:
            problems += exc.problems
            continue
        for i, row in enumerate(part):
            key = (row["doc_id"], row["sent_index"])
            if key in origin:
                problems.append(f"{path}: duplicate (doc_id, sent_index) {key}, also in {origin[key]}")
            origin[key] = path
        rows += part
    for row in rows:
        key = (row["doc_id"], row["sent_index"])
        target = row.get("source_of")
        if target is not None and (row["doc_id"], target) not in origin:
            problems.append(f"{origin[key]}: {key}: source_of {target} is not a sentence of document {row['doc_id']!r}")
        if warn is not None:
            for message in mention_warnings(row, f"{origin[key]}: {key}"):
                warn(message)
    if problems:
        raise DataValidationError(problems)
    return rows


def to_dataset(rows: list[dict]):
    """A ``datasets.Dataset`` of the rows, ordered by document then sentence.

    Columns: ``doc_id``, ``sent_index``, ``text``, ``attribution`` and
    ``hedging`` (label index, -1 where the row has no such label: masked out
    of that head's loss).
    """
    from datasets import Dataset

    from credscore.tasks import label_to_index

    ordered = [r for doc in group_documents(rows) for r in doc]
    columns = {
        "doc_id": [r["doc_id"] for r in ordered],
        "sent_index": [r["sent_index"] for r in ordered],
        "text": [r["text"] for r in ordered],
    }
    for task in TASKS:
        columns[task] = [label_to_index(task, r[task]) if r.get(task) is not None else -1 for r in ordered]
    return Dataset.from_dict(columns)


def label_counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    """Per task, how many rows carry each label (rows without the label skipped)."""
    counts = {task: {label: 0 for label in labels} for task, labels in TASKS.items()}
    for row in rows:
        for task in TASKS:
            if row.get(task) is not None:
                counts[task][row[task]] += 1
    return counts
