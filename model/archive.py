"""Streaming article archives: article records in, output records out, one batch at a time.

An *article record* is a dict with ``id`` (string), ``text`` and any other
fields, which are kept in the output.  Records come lazily from

* folders and text/HTML files: ``id`` is the path (a file that cannot be
  read or decoded becomes a record with ``error`` set, scored as an error row);
* JSON Lines files (``.jsonl``, ``.ndjson``): one object per line; a line
  that is not an object with a ``text`` string becomes an error row whose id
  is the object's ``id`` or ``FILE:LINE``;
* Parquet files (``.parquet``): read one row group batch at a time; the
  columns ``id`` and ``text`` are required.

Outputs are JSON Lines files (:class:`JsonlSink`) or folders of Parquet
shards (:class:`ParquetSink`); :func:`done_ids` reads the ids already in
either, for ``--resume``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from credscore.errors import InputError
from credscore.output_target import check_output_file, open_in_place
from credscore.reading import TEXT_SUFFIXES, read_articles

JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
#: Parquet rows read per step: bounds memory whatever the file's row groups.
READ_BATCH_ROWS = 256


def is_record_file(path: str) -> bool:
    """True for inputs holding many article records (JSON Lines, Parquet) rather than one article."""
    return path.lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES)


def iter_records(inputs: list[str], html: bool | None = None) -> Iterator[dict]:
    """Article records from every input, in order, lazily (see the module docstring)."""
    if not inputs:
        raise InputError("no input given: pass a file, a folder or - for stdin")
    for raw in inputs:
        lower = raw.lower()
        if lower.endswith(JSONL_SUFFIXES):
            yield from _jsonl_records(Path(raw))
        elif lower.endswith(PARQUET_SUFFIXES):
            yield from _parquet_records(raw)
        elif raw != "-" and Path(raw).is_dir():
            files = sorted(p for p in Path(raw).iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not files:
                raise InputError(f"{raw}: folder holds no text files ({', '.join(TEXT_SUFFIXES)})")
            for path in files:
                yield _file_record(str(path), html)
        else:
            yield _file_record(raw, html)


def _file_record(path: str, html: bool | None) -> dict:
    name = "<stdin>" if path == "-" else path
    try:
        (article,) = read_articles([path], html=html)
    except InputError as exc:
        if path != "-" and not Path(path).exists():
            raise  # a missing input is a usage error, not an article that failed
        return {"id": name, "error": str(exc)}
    return {"id": article.name, "text": article.text}


def _jsonl_records(path: Path) -> Iterator[dict]:
    """Article records of a JSON Lines file: a regular file (never a FIFO or device), each line at most the input limit."""
    from credscore.bounded_read import max_input_bytes, open_regular

    limit = max_input_bytes()
    with open_regular(path) as fh:
        for number, raw in enumerate(iter(lambda: fh.readline(limit + 1), b""), 1):
            where = f"{path}:{number}"
            if len(raw) > limit and not raw.endswith(b"\n"):
                raise InputError(f"{where}: line longer than the {limit >> 20} MB input limit")
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield {"id": where, "error": f"{where}: invalid JSON ({str(exc).splitlines()[0]})"}
                continue
            if not isinstance(row, dict):
                yield {"id": where, "error": f"{where}: expected a JSON object"}
                continue
            row["id"] = str(row["id"]) if row.get("id") is not None else where
            yield row


def _parquet_records(uri: str) -> Iterator[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from credscore.formats.parquet import filesystem_for

    fs, path = filesystem_for(uri)
    try:
        source = pq.ParquetFile(fs.open_input_file(path))
    except FileNotFoundError:
        raise InputError(f"{uri}: no such file") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{uri}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    missing = {"id", "text"} - set(source.schema_arrow.names)
    if missing:
        raise InputError(f"{uri}: Parquet input needs the columns id and text (missing: {', '.join(sorted(missing))})")
    for batch in source.iter_batches(batch_size=READ_BATCH_ROWS):
        for row in batch.to_pylist():
            row["id"] = str(row["id"])
            yield row


def _jsonl_ids(path: Path) -> set[str]:
    done: set[str] = set()
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                done.add(str(json.loads(raw)["id"]))
            except (ValueError, KeyError, TypeError):
                continue  # not a row this command wrote (or cut short): it is scored again
    return done


def done_ids(output: str, parquet: bool) -> set[str]:
    """Ids already in ``output``: a JSON Lines file (and its ``.partial`` file) or a folder of Parquet shards."""
    if parquet:
        from credscore.formats.parquet import shard_ids

        return shard_ids(output)
    done: set[str] = set()
    real = Path(os.path.realpath(output))  # where JsonlSink writes: through a symbolic link
    for path in (real, partial_path(real)):
        if path.is_file():
            done |= _jsonl_ids(path)
    return done


def partial_path(output: Path) -> Path:
    """Where an unfinished JSON Lines output grows: ``.NAME.partial`` next to ``output``."""
    return output.with_name(f".{output.name}.partial")


class JsonlSink:
    """Output records as JSON Lines, appended one batch at a time.

    To a file, rows grow in ``.NAME.partial`` (flushed to disk after every
    batch) and the file is renamed to ``NAME`` when the run completes, so an
    existing ``NAME`` stays untouched until then.  With ``resume``, an
    existing partial file (its last line cut to the last complete row) or
    else the finished ``NAME`` is continued.  ``path=None`` writes to stdout.
    As for every ``--output`` (:mod:`credscore.output_target`), a symbolic
    link is written through (its target is replaced, the link stays, and so
    does the target's mode), and a character device or FIFO is streamed into,
    never replaced by a regular file.
    """

    def __init__(self, path: Path | None, resume: bool = False):
        self.path, self.mode, self.stream = path, None, False
        if path is None:
            self.fh = sys.stdout
            return
        check_output_file(path)
        path = self.path = Path(os.path.realpath(path))
        if path.exists() and not path.is_file():  # /dev/null, a terminal, a FIFO
            self.fh, self.path, self.stream = open_in_place(path), None, True
            return
        if path.exists():
            self.mode = stat.S_IMODE(path.stat().st_mode)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = partial_path(path)
        if resume and not self.partial.exists() and path.exists():
            os.replace(path, self.partial)  # continue the finished file; a rename copies nothing
        if resume and self.partial.exists():
            _cut_to_last_line(self.partial)
            self.fh = open(self.partial, "a", encoding="utf-8")
        else:
            self.fh = open(self.partial, "w", encoding="utf-8")

    def write(self, records: list[dict]) -> None:
        for r in records:
            self.fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        self.fh.flush()
        if self.path is not None:
            os.fsync(self.fh.fileno())

    def close(self) -> None:
        """Finish: the partial file becomes the output."""
        if self.path is None:
            self._close_stream()
            return
        self.fh.close()
        if self.mode is not None:
            os.chmod(self.partial, self.mode)
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Stop without finishing: the partial file stays for ``--resume``."""
        if self.path is not None:
            self.fh.close()
        else:
            self._close_stream()

    def _close_stream(self) -> None:
        if self.stream:  # stdout stays open
            self.fh.close()


def _cut_to_last_line(path: Path) -> None:
    """Drop a last line without its newline (a row cut short by a kill)."""
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                fh.truncate(pos - step + nl + 1)
                return
            pos -= step
        fh.truncate(0)


class ParquetSink:
    """Output records as Parquet shards of ``shard_rows`` rows in the folder ``folder`` (each written atomically)."""

    def __init__(self, folder: str, shard_rows: int = 1000):
        self.folder = folder
        self.shard_rows = shard_rows
        self.pending: list[dict] = []

    def write(self, records: list[dict]) -> None:
        self.pending += records
        while len(self.pending) >= self.shard_rows:
            self._flush(self.pending[:self.shard_rows])
            self.pending = self.pending[self.shard_rows:]

    def _flush(self, records: list[dict]) -> None:
        from credscore.formats.parquet import records_to_table, write_shard

        write_shard(records_to_table(records), self.folder)

    def close(self) -> None:
        if self.pending:
            self._flush(self.pending)
            self.pending = []

    def abort(self) -> None:
        """Stop: rows not yet in a shard are dropped (``--resume`` scores them again)."""
        self.pending = []
