"""Streaming batch prediction over a JSON Lines file (``credscore predict``).

Two passes keep memory flat whatever the file size: the first validates
every row and records, per document, the byte offset of each of its rows;
the second reads one group of documents at a time (rows seeked by offset,
ordered by ``sent_index``), predicts them with their neighbours as context
and appends the rows, with every input field kept, to the output file,
which replaces ``output`` atomically at the end.
"""

from __future__ import annotations

import json
import sys
from array import array
from contextlib import nullcontext
from pathlib import Path

from credscore.errors import DataValidationError, InputError
from credscore.output_target import open_output
from credscore.terminal_text import json_inert
from credscore.tasks import TASKS, label_scores
from credscore.data_format import iter_jsonl

GROUP_SENTENCES = 512  # sentences predicted per group of documents


def index_rows(path: Path) -> tuple[dict[str, array], int]:
    """Validate ``path`` and map each doc_id to the byte offsets of its rows (first-seen order)."""
    offsets: dict[str, array] = {}
    problems: list[str] = []
    n = 0
    for _, start, row, found in iter_jsonl(path, require_provenance=False):
        if found:
            problems += found
            continue
        offsets.setdefault(row["doc_id"], array("q")).append(start)
        n += 1
    if problems:
        raise DataValidationError(problems)
    if n == 0:
        raise InputError(f"{path}: holds no rows")
    return offsets, n


def _read_doc(fh, offsets: array) -> list[dict]:
    rows = []
    for off in offsets:
        fh.seek(off)
        rows.append(json.loads(fh.readline().decode("utf-8")))  # validated in the first pass
    return sorted(rows, key=lambda r: r["sent_index"])


def predict_file(model, data: Path, output: Path | None, console=None) -> int:
    """Predict every row of ``data`` into ``output`` (``None``: stdout); returns the number of rows written."""
    offsets, total = index_rows(Path(data))
    replaced: set[str] = set()
    progress = None
    if console is not None:
        from rich.progress import Progress

        progress = Progress(console=console, transient=True, disable=not console.is_terminal)
        progress.start()
        task = progress.add_task("predicting", total=total)
    written = 0
    try:
        with open(data, "rb") as src, (open_output(output) if output else nullcontext(sys.stdout)) as out:
            group: list[list[dict]] = []
            size = 0
            for doc_offsets in offsets.values():
                group.append(_read_doc(src, doc_offsets))
                size += len(doc_offsets)
                if size >= GROUP_SENTENCES:
                    written += _flush(model, group, out, replaced)
                    if progress:
                        progress.advance(task, size)
                    group, size = [], 0
            if group:
                written += _flush(model, group, out, replaced)
                if progress:
                    progress.advance(task, size)
    finally:
        if progress:
            progress.stop()
    if replaced and console is not None:
        console.print(f"warning: input fields {', '.join(sorted(replaced))} were replaced by this run's predictions")
    return written


#: Row fields this module writes besides ``pred_<task>`` and ``<task>_scores``.
PREDICTED_FIELDS = ("pred_sources", "pred_source_of")


def _flush(model, docs: list[list[dict]], out, replaced: set[str]) -> int:
    """Predict ``docs`` and write their rows; names of input fields overwritten go into ``replaced``."""
    probs = model.predict_documents([[r["text"] for r in d] for d in docs])
    made_by = {k: model.info[k] for k in ("name", "version")}  # so outputs of two models can be told apart
    i = 0
    for doc in docs:
        for row in doc:
            replaced.update(k for task in TASKS for k in (f"pred_{task}", f"{task}_scores", "pred_model")
                            if k in row)
            replaced.update(k for k in PREDICTED_FIELDS if k in row)
            row["pred_model"] = made_by
            for task, labels in TASKS.items():
                p = probs.scores[task][i]
                row[f"pred_{task}"] = labels[int(p.argmax())]
                row[f"{task}_scores"] = label_scores(task, p)
            # Offsets into this row's text; the continued sentence by its sent_index.
            row["pred_sources"] = probs.mentions[i] if probs.mentions else []
            target = probs.source_of[i] if probs.source_of else None
            row["pred_source_of"] = doc[target]["sent_index"] if target is not None else None
            out.write(json_inert(json.dumps(row, ensure_ascii=False, allow_nan=False)) + "\n")
            i += 1
    return i
