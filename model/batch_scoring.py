"""Batch scoring: the one function that turns a batch of article records into output records.

:func:`score_records` is the whole scoring step of ``credscore score`` over
archives: the local streaming loop (:func:`score_stream`, one process or
``--workers N``) and the Ray Data engine (:mod:`credscore.ray_engine`, through
the callable class :class:`RecordScorer`) both call it, so their outputs are
the same.

Output records are those of :mod:`credscore.records`; an article that cannot
be scored (empty, binary, too long, no sentences) becomes an error record and
the batch goes on.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from credscore.errors import CredscoreError, InputError
from credscore.reading import html_to_text, looks_like_html
from credscore.records import RESERVED_FIELDS, error_record, result_record

#: Longest article scored, in characters (about 800,000 words); longer ones become error rows.
MAX_ARTICLE_CHARS = 5_000_000
#: Articles per call of :func:`score_records` in the local loop (and per Ray batch by default).
BATCH_ARTICLES = 16


def _problem(record: dict) -> str | None:
    """Why ``record`` cannot be scored, or ``None``."""
    if record.get("error"):
        return str(record["error"])
    clash = [k for k in record if k in RESERVED_FIELDS]
    if clash:
        return f"input field {clash[0]!r} is reserved for the output; rename it"
    text = record.get("text")
    if not isinstance(text, str):
        return "no text (expected a string field 'text')"
    if not text.strip():
        return "is empty" if not text else "holds only whitespace"
    if "\x00" in text:
        return "looks like binary data, not text"
    if len(text) > MAX_ARTICLE_CHARS:
        return f"too long: {len(text):,} characters (limit {MAX_ARTICLE_CHARS:,})"
    return None


def _fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("id", "text", "error")}


def score_records(model, records: list[dict], scoring=None, html: bool | None = None) -> list[dict]:
    """Output records for ``records`` (same order, same length); never raises for one bad article.

    ``html``: True to extract text from HTML, False never, None to detect.
    """
    out: list[dict | None] = [None] * len(records)
    todo: list[tuple[int, str]] = []
    for i, r in enumerate(records):
        problem = _problem(r)
        if problem:
            out[i] = error_record(str(r.get("id")), problem, _fields(r))
            continue
        text = r["text"]
        if html or (html is None and looks_like_html(text)):
            text = html_to_text(text)
        if not text.strip():
            out[i] = error_record(str(r["id"]), "HTML without article text", _fields(r))
            continue
        todo.append((i, text))
    for i, result in zip((i for i, _ in todo), _score_texts(model, [(t, str(records[i]["id"])) for i, t in todo], scoring)):
        r = records[i]
        out[i] = (error_record(r["id"], result, _fields(r)) if isinstance(result, str)
                  else result_record(r["id"], result, _fields(r)))
    return out


def _score_texts(model, items: list[tuple[str, str]], scoring) -> list:
    """ArticleScore per ``(text, id)``, or the one-line reason it failed.

    One article per encoder call: an article's numbers then depend on its
    text alone, not on which articles shared its batch (padding changes the
    float rounding), so local, ``--workers`` and Ray runs agree exactly.
    """
    return [_one(model, item, scoring) for item in items]


def _one(model, item: tuple[str, str], scoring):
    try:
        return model.score(item[0], scoring, name=item[1])
    except CredscoreError as exc:
        return str(exc)
    except Exception as exc:  # an unexpected failure on one article must not stop an archive run
        return f"internal error ({type(exc).__name__}: {exc})"


def limit_cores(model, cores: int | None) -> None:
    """Make ``model`` use at most ``cores`` cores (one per worker or actor, not every core of the machine)."""
    if not cores:
        return
    model.predictor.backend.parallel_batches = max(1, int(cores))
    if model.backend == "torch":
        import torch

        torch.set_num_threads(max(1, int(cores)))


class RecordScorer:
    """A loaded model as a callable on batches: the Ray Data actor class and the local worker's state.

    ``RecordScorer(model_dir, backend, scoring, cores)(records) -> records``;
    the model is loaded once, in the constructor (``model``: use this loaded one instead).
    """

    def __init__(self, model_dir: str | None = None, backend: str | None = None, scoring=None,
                 cores: float | None = None, html: bool | None = None, model=None):
        from credscore.api import load_model

        self.model = model or load_model(Path(model_dir) if model_dir else None, backend=backend)
        limit_cores(self.model, int(cores) if cores else None)
        self.scoring = scoring
        self.html = html

    def score(self, records: list[dict]) -> list[dict]:
        return score_records(self.model, records, self.scoring, self.html)

    def __call__(self, batch):
        """Ray Data entry point: a ``pyarrow.Table`` batch in, a ``pyarrow.Table`` of output rows out."""
        from credscore.formats.parquet import records_to_table

        return records_to_table(self.score(batch.to_pylist()))


def batches(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """``records`` in lists of ``size`` (the last may be shorter)."""
    batch: list[dict] = []
    for r in records:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _skip_done(records: Iterable[dict], done: set[str], skipped: list[int]) -> Iterator[dict]:
    for r in records:
        if str(r.get("id")) in done:
            skipped[0] += 1
            continue
        yield r


_WORKER: RecordScorer | None = None


def _worker_init(kwargs: dict, cores: int) -> None:
    global _WORKER
    _WORKER = RecordScorer(**kwargs, cores=cores)


def _worker_score(records: list[dict]) -> list[dict]:
    return _WORKER.score(records)


def score_stream(records: Iterable[dict], sink, model_kwargs: dict, workers: int = 1, done: set[str] | None = None,
                 batch_size: int = BATCH_ARTICLES, model=None,
                 on_batch: Callable[[list[dict]], None] | None = None) -> tuple[int, int, int]:
    """Score ``records`` into ``sink`` batch by batch, in input order; returns (written, errors, skipped).

    ``workers > 1`` scores in that many processes, each with its own model
    and one core; at most ``2 * workers`` batches are in flight, so memory
    does not grow with the input.  ``model`` (one process only) reuses an
    already loaded model instead of ``model_kwargs``.
    """
    skipped = [0]
    todo = batches(_skip_done(records, done or set(), skipped), batch_size)
    written = errors = 0
    for out in _scored_batches(todo, model_kwargs, workers, model):
        sink.write(out)
        written += len(out)
        errors += sum(1 for r in out if r.get("error"))
        if on_batch:
            on_batch(out)
    return written, errors, skipped[0]


def _scored_batches(todo: Iterator[list[dict]], model_kwargs: dict, workers: int, model) -> Iterator[list[dict]]:
    if workers <= 1:
        scorer = RecordScorer(**model_kwargs, model=model)
        for batch in todo:
            yield scorer.score(batch)
        return
    import multiprocessing

    # spawn: each worker loads its own model in a fresh interpreter (no forked runtime threads).
    cores = max(1, (os.cpu_count() or 1) // workers)
    with multiprocessing.get_context("spawn").Pool(workers, _worker_init, (model_kwargs, cores)) as pool:
        pending: deque = deque()
        for batch in todo:
            pending.append(pool.apply_async(_worker_score, (batch,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def check_workers(workers: int) -> int:
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    return workers
