"""Validation of one labelled-data row (the format of docs/data-format.md).

Shared by training (``credscore.training.data``) and batch prediction (``credscore.file_prediction``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

from credscore.errors import InputError
from credscore.tasks import ANNOTATORS, ATTRIBUTION_WEAKNESS_RANK, MENTION_ROLES, MENTION_TYPES, TASKS

REQUIRED_FIELDS: dict[str, type] = {"doc_id": str, "sent_index": int, "text": str}
PROVENANCE_FIELDS: dict[str, type] = {"annotator": str, "source": str}
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


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text:.20} is out of range")
    return value


def iter_jsonl(path: Path, require_provenance: bool,
               max_line_bytes: int | None = None) -> Iterator[tuple[int, int, dict | None, list[str]]]:
    """Stream ``path`` as ``(line_number, byte_offset, row_or_None, problems)`` per non-blank line.

    Each row is parsed and checked with :func:`row_problems`, and a repeated
    ``(doc_id, sent_index)`` is reported with the line it first appeared on.
    A UTF-8 byte-order mark at the start is skipped (the first offset is then 3).
    Memory is constant apart from the set of keys seen: lines longer than
    ``max_line_bytes`` (default: the input limit of :mod:`credscore.bounded_read`)
    are refused.  Raises :class:`InputError` when the file is not a regular
    file, cannot be read, or a line is not UTF-8.
    """
    from credscore.bounded_read import max_input_bytes, open_regular

    limit = max_line_bytes or max_input_bytes()
    seen: dict[tuple[str, int], int] = {}
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
