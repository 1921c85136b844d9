"""Validation of one labelled-data row (the format of docs/data-format.md).

Shared by training (``credscore.training.data``) and batch prediction (``credscore.file_prediction``).
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from credscore.errors import InputError
from credscore.tasks import ANNOTATORS, ATTRIBUTION_WEAKNESS_RANK, MENTION_ROLES, MENTION_TYPES, TASKS

REQUIRED_FIELDS: dict[str, type] = {"doc_id": str, "sent_index": int, "text": str}
PROVENANCE_FIELDS: dict[str, type] = {"annotator": str, "source": str}
#: Every field with a fixed type; checked whenever present (``null`` counts as absent).
FIELD_TYPES: dict[str, type] = dict(REQUIRED_FIELDS, **PROVENANCE_FIELDS)

#: ``check(row, where) -> (row, problems)``: validates one parsed row and may complete it (training's defaults).
RowCheck = Callable[[object, str], tuple[object, list[str]]]

#: Sentence indices are stored as int64 (Arrow, numpy): larger ones are refused.
MAX_INDEX = 2**63 - 1
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _surrogate_fields(value: object, path: str = "") -> list[str]:
    """Where ``value`` (a parsed JSON row) holds a lone surrogate (``"\\ud800"``: valid JSON, not valid text)."""
    if isinstance(value, str):
        return [path or "value"] if _SURROGATE_RE.search(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _surrogate_fields(k, path or "key") + _surrogate_fields(
            v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _surrogate_fields(v, f"{path}[{i}]")]
    return []


def row_problems(row: object, where: str, require_provenance: bool = False, *,
                 required: Collection[str] | None = None, require_label: bool = False) -> list[str]:
    """Every problem of ``row`` as ``"<where>: <what>"`` strings (empty list: valid).

    ``required``: the fields that must be present (default: ``doc_id``,
    ``sent_index``, ``text``, plus ``annotator`` and ``source`` when
    ``require_provenance``); the others of :data:`FIELD_TYPES` are type-checked
    when present.  ``require_label``: at least one task label must be given.
    """
    if not isinstance(row, dict):
        return [f"{where}: expected a JSON object, got {type(row).__name__}"]
    if required is None:
        required = list(REQUIRED_FIELDS) + (list(PROVENANCE_FIELDS) if require_provenance else [])
    problems = []
    for name, kind in FIELD_TYPES.items():
        if row.get(name) is None:
            if name in required:
                problems.append(f"{where}: missing field {name!r}")
        elif not isinstance(row[name], kind) or isinstance(row[name], bool):
            problems.append(f"{where}: field {name!r} must be {kind.__name__}, got {row[name]!r:.40}")
    if require_label and all(row.get(task) is None for task in TASKS):
        problems.append(f"{where}: no label (give at least one of {', '.join(TASKS)})")
    if isinstance(row.get("sent_index"), int) and not 0 <= row["sent_index"] <= MAX_INDEX:
        problems.append(f"{where}: sent_index must be between 0 and 2**63-1, got {str(row['sent_index'])[:40]}")
    bad_text = _surrogate_fields(row)
    if bad_text:
        problems.append(f"{where}: field {bad_text[0]!r} holds a lone surrogate escape (e.g. \\ud800), not valid Unicode")
    if isinstance(row.get("text"), str) and not row["text"].strip():
        problems.append(f"{where}: empty text")
    for task, labels in TASKS.items():
        value = row.get(task)
        if value is not None and value not in labels:
            problems.append(f"{where}: unknown {task} label {value!r} (expected one of {', '.join(labels)})")
    annotator = row.get("annotator")
    if annotator is not None and annotator not in ANNOTATORS:
        problems.append(f"{where}: unknown annotator {annotator!r} (expected one of {', '.join(ANNOTATORS)})")
    return problems + mention_problems(row, where)


def mention_problems(row: dict, where: str) -> list[str]:
    """Problems of the optional ``sources`` / ``source_of`` fields (guide section 3) of one row."""
    problems = []
    text = row.get("text") if isinstance(row.get("text"), str) else ""
    sources = row.get("sources")
    if sources is not None and not isinstance(sources, list):
        return [f"{where}: field 'sources' must be a list of mentions"]
    for k, m in enumerate(sources or []):
        at = f"{where}: sources[{k}]"
        if not isinstance(m, dict):
            problems.append(f"{at}: expected an object with start, end, text, type, role")
            continue
        start, end = m.get("start"), m.get("end")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end <= len(text):
            problems.append(f"{at}: start/end must be offsets into the text (0 <= start < end <= {len(text)})")
        elif text[start:end] != m.get("text"):
            problems.append(f"{at}: text[{start}:{end}] is {text[start:end]!r}, not the mention's text {m.get('text')!r}")
        if m.get("type") not in MENTION_TYPES:
            problems.append(f"{at}: unknown type {m.get('type')!r} (expected one of {', '.join(MENTION_TYPES)})")
        if m.get("role") not in MENTION_ROLES:
            problems.append(f"{at}: unknown role {m.get('role')!r} (expected one of {', '.join(MENTION_ROLES)})")
    source_of = row.get("source_of")
    if source_of is not None and (not isinstance(source_of, int) or isinstance(source_of, bool)
                                  or not 0 <= source_of <= MAX_INDEX or source_of == row.get("sent_index")):
        problems.append(f"{where}: source_of must be the sent_index of another sentence, got {source_of!r:.40}")
    return problems


def resolve_mentions(text: str, sources: list[dict], where: str = "") -> list[dict]:
    """``sources`` with ``start``/``end`` offsets into ``text`` (each mention's first unused occurrence).

    Raises ``ValueError`` naming ``where`` when a mention's text is not in the sentence.
    """
    out, used = [], []
    for m in sources:
        span = m["text"]
        pos = text.find(span)
        while pos >= 0 and any(pos < e and s < pos + len(span) for s, e in used):
            pos = text.find(span, pos + 1)
        if pos < 0:
            pos = text.find(span)  # the same words named twice (two roles): reuse the span
        if pos < 0:
            raise ValueError(f"{where}: mention {span!r} is not in the sentence {text[:60]!r}")
        used.append((pos, pos + len(span)))
        out.append({"start": pos, "end": pos + len(span), "text": span, "type": m["type"], "role": m["role"]})
    return out


def mention_warnings(row: dict, where: str) -> list[str]:
    """Where a labelled row's attribution disagrees with its mentions (the guide allows exceptions: warn only)."""
    att = row.get("attribution")
    sources = row.get("sources") or []
    if att is None or not isinstance(sources, list):
        return []
    if att == "unattributed" and (sources or row.get("source_of") is not None):
        return [f"{where}: unattributed sentence has source mentions"]
    types = [m.get("type") for m in sources if isinstance(m, dict) and m.get("type") in ATTRIBUTION_WEAKNESS_RANK]
    if types:
        weakest = max(types, key=ATTRIBUTION_WEAKNESS_RANK.__getitem__)
        if weakest != att:
            return [f"{where}: attribution {att} but the weakest mention is {weakest} (guide rule 5)"]
    return []


class DuplicateKeys:
    """Remembers the line of each ``(doc_id, sent_index)`` of one file, to report repeats."""

    def __init__(self):
        self.seen: dict[tuple[str, int], int] = {}

    def problems(self, row: dict, lineno: int, where: str) -> list[str]:
        key = (row["doc_id"], row["sent_index"])
        if key in self.seen:
            return [f"{where}: duplicate (doc_id, sent_index) {key}, first at line {self.seen[key]}"]
        self.seen[key] = lineno
        return []


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text:.20} is out of range")
    return value


def iter_jsonl(path: Path, require_provenance: bool, check: RowCheck | None = None,
               max_line_bytes: int | None = None) -> Iterator[tuple[int, int, dict | None, list[str]]]:
    """Stream ``path`` as ``(line_number, byte_offset, row_or_None, problems)`` per non-blank line.

    Each row is parsed and checked with :func:`row_problems` (or ``check``,
    which may also fill in defaults), and a repeated ``(doc_id, sent_index)``
    is reported with the line it first appeared on.  A UTF-8 byte-order mark
    at the start is skipped (the first offset is then 3).  Memory is constant
    apart from the set of keys seen: lines longer than ``max_line_bytes``
    (default: the input limit of :mod:`credscore.bounded_read`) are refused.
    Raises :class:`InputError` when the file is not a regular file, cannot be
    read, or a line is not UTF-8.
    """
    from credscore.bounded_read import max_input_bytes, open_regular

    if check is None:
        check = lambda row, where: (row, row_problems(row, where, require_provenance))  # noqa: E731
    limit = max_line_bytes or max_input_bytes()
    keys = DuplicateKeys()
    with open_regular(path) as fh:
        pos = 0
        for lineno in itertools.count(1):
            raw = fh.readline(limit + 1)
            if not raw:
                break
            if len(raw) > limit and not raw.endswith(b"\n"):
                raise InputError(f"{path}:{lineno}: line longer than the {limit >> 20} MB input limit")
            start, pos = pos, pos + len(raw)
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw, start = raw[3:], 3
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
            except UnicodeDecodeError:
                raise InputError(f"{where}: is not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                yield lineno, start, None, [f"{where}: invalid JSON ({exc.msg} at column {exc.colno})"]
                continue
            except (ValueError, RecursionError) as exc:  # integers of over 4,300 digits, absurd nesting
                yield lineno, start, None, [f"{where}: invalid JSON ({str(exc).split(';')[0]:.80})"]
                continue
            row, problems = check(row, where)
            if not problems:
                problems = keys.problems(row, lineno, where)
            yield lineno, start, (row if not problems else None), problems


_INTEGER = re.compile(r"[+-]?\d+")
_DELIMITERS = ",;\t"


def csv_cells(header: list[str], cells: list[str]) -> dict:
    """One CSV record as a row: empty cells are absent, ``sent_index`` becomes an int when it is one."""
    row = {}
    for name, cell in zip(header, cells):
        cell = cell.strip()
        if cell:
            row[name] = int(cell) if name == "sent_index" and _INTEGER.fullmatch(cell) else cell
    return row


def iter_csv(path: Path, check: RowCheck) -> Iterator[tuple[int, dict | None, list[str]]]:
    """Stream a CSV file with a header row as ``(line_number, row_or_None, problems)`` per non-blank record.

    Column names are matched without case or surrounding spaces; the
    delimiter is whichever of ``,``, ``;`` and tab the header uses most
    (spreadsheets in some locales save ``;``).  Each record is checked like a
    JSON Lines row (``check``) and repeated ``(doc_id, sent_index)`` keys are
    reported; line numbers are those of the record's first line.  Raises
    :class:`InputError` when the file cannot be read or is not UTF-8.
    """
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # -sig: spreadsheets often write a BOM
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    keys = DuplicateKeys()
    try:
        with fh:
            first = fh.readline()
            delimiter = max(_DELIMITERS, key=first.count)
            header = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter), [])]
            if "text" not in header:
                yield 1, None, [f"{path}:1: the CSV header has no 'text' column (columns: {', '.join(header) or 'none'})"]
                return
            reader = csv.reader(fh, delimiter=delimiter)
            lineno = 2
            for cells in reader:
                where, start, lineno = f"{path}:{lineno}", lineno, reader.line_num + 2
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header):
                    yield start, None, [f"{where}: {len(cells)} cells but the header has {len(header)} columns"]
                    continue
                row, problems = check(csv_cells(header, cells), where)
                if not problems:
                    problems = keys.problems(row, start, where)
                yield start, (row if not problems else None), problems
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; save the spreadsheet as 'CSV UTF-8'") from None
    except csv.Error as exc:
        raise InputError(f"{path}: is not a readable CSV file ({exc})") from None


def group_documents(rows: list[dict]) -> list[list[dict]]:
    """Rows grouped by ``doc_id`` (first-appearance order), each sorted by ``sent_index``."""
    docs: dict[str, list[dict]] = {}
    for row in rows:
        docs.setdefault(row["doc_id"], []).append(row)
    return [sorted(d, key=lambda r: r["sent_index"]) for d in docs.values()]
