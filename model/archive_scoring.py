"""``credscore score`` over archives: streaming, resumable, on local processes or on Ray.

Used when the input holds many articles (a folder, several files, a JSON
Lines or Parquet file of article records) and the output is records (JSON
Lines: ``--format json`` or ``jsonl``; a folder of Parquet shards:
``--format parquet``), or when ``--resume``, ``--workers`` or ``--engine
ray`` is given.  Articles are read, scored (:func:`credscore.batch_scoring.score_records`)
and written one batch at a time, so memory does not grow with the archive.
"""

from __future__ import annotations

from pathlib import Path

from credscore.archive import JsonlSink, ParquetSink, done_ids, is_record_file, iter_records
from credscore.batch_scoring import check_workers, score_stream
from credscore.errors import CredscoreError, InputError
from credscore.output_target import check_output_folder

#: Formats written record by record.
RECORD_FORMATS = ("json", "jsonl", "parquet")
ENGINES = ("local", "ray")


class Interrupted(CredscoreError):
    """Ctrl-C during an archive run: what was written stays, for ``--resume``."""

    exit_code = 130


def wants_archive(inputs: list[str], format: str, engine: str, workers: int, resume: bool) -> bool:
    """Whether ``score`` takes the streaming path rather than scoring a few articles in memory."""
    records = any(p != "-" and is_record_file(p) for p in inputs)  # never read as one article's text
    many = len(inputs) > 1 or any(p != "-" and Path(p).is_dir() for p in inputs)
    return (records or format == "parquet" or engine != "local" or workers != 1 or resume
            or (many and format in RECORD_FORMATS))


def _check(format: str, output: str | None, engine: str, resume: bool) -> None:
    if engine not in ENGINES:
        raise InputError(f"--engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if format not in RECORD_FORMATS:
        raise InputError(f"--format {format} takes a few articles at a time; archives are scored to "
                         f"{', '.join(RECORD_FORMATS)} (with --resume, --workers or --engine ray too)")
    if (format == "parquet" or engine == "ray") and output is None:
        raise InputError("Parquet output is a folder of shards: give it with -o FOLDER")
    if resume and output is None:
        raise InputError("--resume continues an output file: give it with -o")
    if engine == "ray" and format != "parquet":
        raise InputError("--engine ray writes Parquet shards: add --format parquet")
    if format == "parquet":
        check_output_folder(output)


def score_archive(inputs: list[str], format: str, output: str | None, model_kwargs: dict, engine: str = "local",
                  workers: int = 1, resume: bool = False, actors: int = 2, cpus_per_actor: float = 1,
                  console=None) -> tuple[int, int, int]:
    """Score every article of ``inputs`` into ``output``; returns (written, errors, skipped by --resume).

    ``model_kwargs``: ``model_dir``, ``backend``, ``scoring``, ``html`` (see
    :class:`~credscore.batch_scoring.RecordScorer`).  ``output=None``: JSON
    Lines on stdout.
    """
    _check(format, output, engine, resume)
    check_workers(workers)
    parquet = format == "parquet"
    if engine == "ray":
        from credscore.ray_engine import score_on_ray

        counts = score_on_ray(inputs, output, model_kwargs, actors=actors, cpus_per_actor=cpus_per_actor,
                              resume=resume)
    else:
        counts = _score_locally(inputs, parquet, output, model_kwargs, workers, resume)
    if console is not None:
        written, errors, skipped = counts
        console.print(f"scored {written - errors} articles, {errors} error rows, {skipped} already in the output "
                      f"(skipped); wrote {output or 'stdout'}", highlight=False)
    return counts


def _score_locally(inputs, parquet: bool, output: str | None, model_kwargs: dict, workers: int,
                   resume: bool) -> tuple[int, int, int]:
    done = done_ids(output, parquet) if resume else set()
    if parquet and not resume and done_ids(output, parquet=True):
        raise InputError(f"{output}: already holds scored shards; pass --resume to continue it, or pick a new folder")
    records = iter_records(inputs, html=model_kwargs.get("html"))
    first = next(records, None)  # errors of the inputs themselves surface before any model is loaded
    sink = ParquetSink(output) if parquet else JsonlSink(Path(output) if output else None, resume=resume)
    try:
        counts = score_stream(_chain(first, records), sink, model_kwargs, workers=workers, done=done)
    except KeyboardInterrupt:
        sink.abort()
        kept = "the shards written so far are kept" if parquet else (
            f"the rows written so far are in {sink.partial}" if output else "rows went to stdout")
        raise Interrupted(f"interrupted: {kept}; rerun with --resume to continue") from None
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return counts


def _chain(first, rest):
    if first is not None:
        yield first
    yield from rest
