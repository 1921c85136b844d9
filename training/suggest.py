"""``credscore suggest``: what to label next, by the model's uncertainty (active learning, as in Prodigy).

Every unlabelled sentence is predicted with its document as context; its
uncertainty on a head is the **margin** measure ``1 - (p1 - p2)`` (``p1``,
``p2``: the two largest calibrated probabilities) or the **entropy**
``-sum p log p / log C``, both in ``[0, 1]`` (1: the model cannot tell).  A
sentence counts on the heads whose label it lacks and takes the largest
uncertainty among them; an article takes the mean of its sentences'.  The
most uncertain rows are written in the data format with empty labels, ready
to fill in and pass to ``credscore train --init-from``.
"""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from credscore.atomic import atomic_output
from credscore.data_format import group_documents
from credscore.errors import InputError
from credscore.tasks import TASKS
from credscore.training.data import DATA_SUFFIXES, load_rows

MEASURES = ("margin", "entropy")
UNITS = ("sentence", "article")
#: Sentences predicted per model call (documents are kept whole).
GROUP_SENTENCES = 512
#: Columns of a CSV of suggestions: the data format's, then the model's hints.
CSV_COLUMNS = ("doc_id", "sent_index", "text", *TASKS, *(f"pred_{t}" for t in TASKS), "uncertainty",
               "uncertain_head", "source")


def uncertainty(probs: np.ndarray, by: str) -> np.ndarray:
    """Uncertainty ``(N,)`` in ``[0, 1]`` of probability rows ``(N, C)`` (see the module docstring)."""
    p = np.asarray(probs, dtype=np.float64)
    if by == "margin":
        top = np.sort(p, axis=1)[:, -2:]
        return 1.0 - (top[:, 1] - top[:, 0])
    logs = np.log(np.clip(p, 1e-12, 1.0))
    return -(p * logs).sum(1) / np.log(p.shape[1])


def read_documents(inputs: list[str]) -> list[list[dict]]:
    """Documents as lists of rows: data files (JSON Lines, CSV) as they are, articles split into sentences."""
    from credscore.reading import read_articles
    from credscore.splitting import split_sentences

    docs: list[list[dict]] = []
    for item in inputs:
        path = Path(item)
        if item != "-" and path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
            docs += group_documents(load_rows([path]))
            continue
        for article in read_articles([item]):
            docs.append([{"doc_id": article.name, "sent_index": i, "text": s.text, "source": article.name}
                         for i, s in enumerate(split_sentences(article.text))])
    docs = [d for d in docs if d]
    if not docs:
        raise InputError("nothing to suggest from: the inputs hold no sentences")
    return docs


def _score_rows(model, docs: list[list[dict]], by: str, heads: list[str]) -> list[tuple[dict, float | None]]:
    """Each row with its hints added and its uncertainty (``None`` when it carries every ranked label)."""
    out, group, size = [], [], 0
    for i, doc in enumerate(docs):
        group.append(doc)
        size += len(doc)
        if size >= GROUP_SENTENCES or i == len(docs) - 1:
            out += _score_group(model, group, by, heads)
            group, size = [], 0
    return out


def _score_group(model, docs, by, heads):
    probs = model.predict_documents([[r["text"] for r in d] for d in docs]).scores
    rows = [r for d in docs for r in d]
    per_head = {t: uncertainty(probs[t], by) for t in heads}
    name = f"{model.info['name']} {model.info['version']}"
    out = []
    for i, row in enumerate(rows):
        open_heads = [t for t in heads if row.get(t) is None]
        row = {**row, **{t: row.get(t) for t in TASKS}}
        for t in TASKS:
            row[f"pred_{t}"] = TASKS[t][int(probs[t][i].argmax())]
        score = None
        if open_heads:
            worst = max(open_heads, key=lambda t: per_head[t][i])
            score = float(per_head[worst][i])
            row.update(uncertainty=round(score, 4), uncertain_head=worst, suggested_by=f"{name} ({by})")
        out.append((row, score))
    return out


def suggest_rows(model, inputs: list[str], n: int, by: str = "margin", head: str | None = None,
                 unit: str = "sentence") -> list[dict]:
    """The ``n`` most uncertain sentences (or all sentences of the ``n`` most uncertain articles) of ``inputs``.

    Sentences come most uncertain first; articles most uncertain first, each
    in sentence order.  Rows keep their input fields and get empty labels for
    the heads they lack, the model's predicted labels (``pred_*``, hints),
    ``uncertainty``, ``uncertain_head`` and ``suggested_by``.
    """
    if by not in MEASURES:
        raise InputError(f"--by: expected one of {', '.join(MEASURES)}, got {by!r}")
    if unit not in UNITS:
        raise InputError(f"--unit: expected one of {', '.join(UNITS)}, got {unit!r}")
    if head is not None and head not in TASKS:
        raise InputError(f"--head: expected one of {', '.join(TASKS)}, got {head!r}")
    if n < 1:
        raise InputError(f"-n must be at least 1, got {n}")
    docs = read_documents(inputs)
    scored = _score_rows(model, docs, by, [head] if head else list(TASKS))
    if unit == "sentence":
        ranked = sorted((p for p in scored if p[1] is not None), key=lambda p: -p[1])  # stable: ties in input order
        return [row for row, _ in ranked[:n]]
    by_doc: dict[str, list[tuple[dict, float | None]]] = {}
    for row, score in scored:
        by_doc.setdefault(row["doc_id"], []).append((row, score))
    means = {d: float(np.mean([s for _, s in rs if s is not None])) for d, rs in by_doc.items()
             if any(s is not None for _, s in rs)}
    top = sorted(means, key=lambda d: -means[d])[:n]
    return [row for d in top for row, _ in by_doc[d]]


def write_suggestions(rows: list[dict], output: Path | None) -> None:
    """Rows as JSON Lines (stdout when ``output`` is ``None``), or as CSV when ``output`` ends in ``.csv``."""
    if output is not None and output.suffix.lower() == ".csv":
        with atomic_output(output) as fh:
            writer = csv.DictWriter(fh, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return
    with (atomic_output(output) if output is not None else nullcontext(sys.stdout)) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
