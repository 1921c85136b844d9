"""Reading and validating labelled data: credscore JSON Lines, or CSV with a header.

The format (``docs/data-format.md``): one sentence per row with ``text`` and
at least one of the ``attribution`` and ``hedging`` labels; ``doc_id``,
``sent_index``, ``annotator`` and ``source`` are optional and get defaults
here (:class:`RowDefaults`), plus any extra fields.

:func:`validate_file` reports *every* bad row with file and line number and
refuses the file; :func:`load_rows` returns validated rows of one or more
files or folders; :func:`hold_out_dev` splits a dev set off by document;
:func:`to_dataset` turns rows into a ``datasets.Dataset`` ordered by
document and sentence.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from credscore.errors import DataValidationError, InputError
from credscore.data_format import group_documents, iter_csv, iter_jsonl, mention_warnings, row_problems
from credscore.tasks import TASKS

#: File suffixes read as CSV (with a header row); everything else is JSON Lines.
CSV_SUFFIXES = (".csv", ".tsv")
DATA_SUFFIXES = (".jsonl", *CSV_SUFFIXES)


class RowDefaults:
    """Checks the rows of one file and fills in what a minimal row leaves out.

    A row needs ``text`` (and, with ``require_label``, at least one label).
    Absent ``annotator`` is ``manual`` and absent ``source`` the file's name.
    A row without ``doc_id`` belongs to the document formed by its run of
    consecutive rows without one (named ``FILE:LINE`` after the run's first
    row), or, with ``context=False``, is a document of its own.  Absent
    ``sent_index`` is one more than the largest index seen so far in that
    document of the file (0 for its first row): file order.
    """

    def __init__(self, path: Path, context: bool = True, require_label: bool = False):
        self.source = Path(path).name
        self.context = context
        self.require_label = require_label
        self.run: str | None = None  # doc_id of the current run of rows without doc_id
        self.next_index: dict[str, int] = {}

    def check(self, row: object, where: str) -> tuple[object, list[str]]:
        problems = row_problems(row, where, required=("text",), require_label=self.require_label)
        if problems:
            return row, problems
        row = {k: v for k, v in row.items() if v is not None or k in TASKS}
        if "doc_id" not in row:
            if self.run is None or not self.context:
                self.run = where
            row["doc_id"] = self.run
        else:
            self.run = None
        doc = row["doc_id"]
        row.setdefault("sent_index", self.next_index.get(doc, 0))
        self.next_index[doc] = max(self.next_index.get(doc, 0), row["sent_index"] + 1)
        row.setdefault("annotator", "manual")
        row.setdefault("source", self.source)
        return row, []


def iter_validated(path: Path, context: bool = True, require_label: bool = False
                   ) -> Iterator[tuple[int, dict | None, list[str]]]:
    """Yield ``(line_number, row_or_None, problems)`` for each non-blank line or CSV record (streaming)."""
    path = Path(path)
    check = RowDefaults(path, context, require_label).check
    if path.suffix.lower() in CSV_SUFFIXES:
        yield from iter_csv(path, check)
        return
    for lineno, _, row, problems in iter_jsonl(path, True, check=check):
        yield lineno, row, problems


def validate_file(path: Path | str, context: bool = True, require_label: bool = False) -> list[dict]:
    """Validated, completed rows of one file; raises :class:`DataValidationError` listing every bad row."""
    rows, problems = [], []
    for _, row, row_problems_ in iter_validated(Path(path), context, require_label):
        problems += row_problems_
        if row is not None:
            rows.append(row)
    if problems:
        raise DataValidationError(problems)
    return rows


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files named directly, plus every ``*.jsonl`` and ``*.csv`` below a named folder (sorted)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DATA_SUFFIXES)
            if not found:
                raise InputError(f"{p}: folder holds no .jsonl or .csv files")
            files += found
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def load_rows(paths: Iterable[Path | str], warn=None, *, context: bool = True,
              require_label: bool = False) -> list[dict]:
    """Validated rows of every file in ``paths`` (files or folders), in file order.

    Rows are completed by :class:`RowDefaults` (``context``, ``require_label``
    as there).  Duplicate ``(doc_id, sent_index)`` keys across files are
    refused too, and so is a ``source_of`` that names no sentence of the row's
    document.  Every problem of every file is collected before raising.  Rows
    whose attribution disagrees with their mentions are allowed (the guide
    has exceptions); ``warn(message)``, if given, is called once per such row.
    """
    rows, problems, origin = [], [], {}
    for path in expand_paths(paths):
        try:
            part = validate_file(path, context, require_label)
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


#: Without ``--dev``, documents are held out whole when there are at least this many.
MIN_DOCUMENTS_TO_SPLIT = 10
#: Largest passage (consecutive sentences of one document) held out when there are fewer documents.
PASSAGE_SENTENCES = 20


def hold_out_dev(rows: list[dict], seed: int, fraction: float = 0.1) -> tuple[list[dict], list[dict], str]:
    """Split ``rows`` into (train, dev, description), dev about ``fraction`` of the rows, chosen with ``seed``.

    Whole documents are held out (in a seeded random order, skipping any that
    would make dev more than 1.5 times its target) when there are at least
    :data:`MIN_DOCUMENTS_TO_SPLIT` of them.  With fewer, such as one
    spreadsheet read as a single document, documents are cut into passages of
    consecutive sentences (at most :data:`PASSAGE_SENTENCES`, about a tenth
    of the rows) and whole passages are held out.  A held-out passage keeps
    its ``doc_id``: its sentences see each other as context, not the
    training part of the document.
    """
    target = max(1.0, fraction * len(rows))
    docs = group_documents(rows)
    chosen, units, unit_name = _pick(docs, target, seed), docs, "documents"
    if len(docs) < MIN_DOCUMENTS_TO_SPLIT or not chosen:
        size = max(1, min(PASSAGE_SENTENCES, len(rows) // 10))
        units = [doc[i:i + size] for doc in docs for i in range(0, len(doc), size)]
        chosen, unit_name = _pick(units, target, seed), f"passages of up to {size} consecutive sentences"
    if len(units) < 2 or not chosen:
        raise InputError(f"too few rows ({len(rows)}) to hold out a dev set; label more or pass --dev")
    held = {(r["doc_id"], r["sent_index"]) for i in chosen for r in units[i]}
    dev = [r for r in rows if (r["doc_id"], r["sent_index"]) in held]
    train = [r for r in rows if (r["doc_id"], r["sent_index"]) not in held]
    note = (f"held out {len(chosen)} of {len(units)} {unit_name} as dev "
            f"({len(dev)} of {len(rows)} rows, seed {seed}; pass --dev to choose)")
    return train, dev, note


def _pick(units: list[list[dict]], target: float, seed: int) -> list[int]:
    """Indices of units, in seeded random order, until their rows reach ``target`` (never all units)."""
    order = list(range(len(units)))
    random.Random(seed).shuffle(order)
    chosen, size = [], 0
    for i in order:
        if size >= target or len(chosen) == len(units) - 1:
            break
        if size + len(units[i]) <= 1.5 * target:
            chosen.append(i)
            size += len(units[i])
    return chosen


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
