"""Parquet output of batch scoring: one row per article, sentences as a nested column.

The schema is fixed by the task labels and the score's components (not
inferred from the rows), so every shard of a run, and of every resumed or
distributed run, has the same columns and types, error rows included:

* ``id`` (string), ``error`` (string, null when scored), the input's other
  fields (types as read);
* the article's JSON (docs/output-format.md): ``schema_version``, ``model``
  (struct), ``input``, ``sentences`` (list of structs: ``index``, ``text``,
  ``start``, ``end`` and one struct per task with ``label``, ``confidence``,
  ``scores``), ``profile`` (struct), ``warnings`` (list of strings); null in
  error rows.

A run writes a folder of shards.  Each shard is written to a hidden
temporary file and renamed into place, so a reader (or ``--resume``) never
sees half a shard; its name is a hash of the ids it holds, so a retried
batch rewrites the same file instead of adding a duplicate.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from credscore.scoring import COMPONENTS
from credscore.tasks import TASKS

SHARD_PREFIX = "part-"
SHARD_SUFFIX = ".parquet"


def _label_struct(labels: Iterable[str]) -> pa.DataType:
    return pa.struct([(label, pa.float64()) for label in labels])


def _count_struct(labels: Iterable[str]) -> pa.DataType:
    return pa.struct([(label, pa.int64()) for label in labels])


def article_schema() -> pa.Schema:
    """The fixed columns of an output row (input fields other than ``id`` and ``text`` come after them)."""
    task_fields = [(task, pa.struct([("label", pa.string()), ("confidence", pa.float64()),
                                     ("scores", _label_struct(labels))])) for task, labels in TASKS.items()]
    sentence_mention = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                                  ("type", pa.string()), ("role", pa.string()), ("confidence", pa.float64())])
    sentence = pa.struct([("index", pa.int64()), ("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                          ("paragraph", pa.int64()), *task_fields, ("sources", pa.list_(sentence_mention)),
                          ("source_of", pa.int64())])
    finding = pa.struct([("code", pa.string()), ("severity", pa.string()), ("message", pa.string()),
                         ("sentences", pa.list_(pa.int64())), ("summary", pa.string())])
    ints = pa.list_(pa.int64())
    mention = pa.struct([("sentence", pa.int64()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                         ("role", pa.string()), ("rule", pa.string())])
    source = pa.struct([("id", pa.int64()), ("name", pa.string()), ("type", pa.string()), ("kind", pa.string()),
                        ("named", pa.bool_()), ("sentences", ints), ("claims", pa.int64()),
                        ("share_of_claims", pa.float64()), ("hedged", ints), ("hedged_share", pa.float64()),
                        ("via", ints), ("channel_for", ints), ("mentions", pa.list_(mention)),
                        ("rules", pa.list_(pa.string()))])
    profile = pa.struct([
        ("n_sentences", pa.int64()),
        ("attribution_shares", _label_struct(TASKS["attribution"])),
        ("hedging_shares", _label_struct(TASKS["hedging"])),
        ("attributed_claims", pa.float64()), ("anonymous_share_of_claims", pa.float64()),
        ("agency_share_of_claims", pa.float64()), ("hedging_density", pa.float64()), ("reliability", pa.float64()),
        ("components", _label_struct(COMPONENTS)), ("explanations", pa.list_(finding)),
        ("attribution_counts", _count_struct(TASKS["attribution"])), ("hedging_counts", _count_struct(TASKS["hedging"])),
        ("weights", _label_struct(COMPONENTS)),
        ("sources", pa.list_(source)),
    ])
    accuracy = pa.struct([("test_set", pa.string()), ("backend", pa.string()),
                          *((f"{task}_macro_f1", pa.float64()) for task in TASKS), ("measured_by", pa.string())])
    model = pa.struct([*((k, pa.string()) for k in ("name", "version", "credscore", "backend")), ("accuracy", accuracy)])
    return pa.schema([("id", pa.string()), ("error", pa.string()), ("schema_version", pa.int64()), ("model", model),
                      ("input", pa.string()), ("sentences", pa.list_(sentence)), ("profile", profile),
                      ("warnings", pa.list_(pa.string()))])


def records_to_table(records: list[dict]) -> pa.Table:
    """An Arrow table of output records: the fixed columns, then the input's other fields (inferred types)."""
    schema = article_schema()
    table = pa.Table.from_pylist([{name: r.get(name) for name in schema.names} for r in records], schema=schema)
    extra = list(dict.fromkeys(k for r in records for k in r if k not in schema.names))
    if extra:
        others = pa.Table.from_pylist([{k: r.get(k) for k in extra} for r in records])
        for name in extra:
            table = table.append_column(name, others.column(name))
    return table


def shard_name(ids: list[str]) -> str:
    """A shard's file name from the ids it holds: the same batch always gets the same name."""
    digest = hashlib.sha1("\n".join(ids).encode("utf-8")).hexdigest()[:20]
    return f"{SHARD_PREFIX}{digest}{SHARD_SUFFIX}"


def filesystem_for(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and path of a local path or URI (``s3://``, ``gs://``, ``hdfs://``, ...)."""
    try:
        return pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, ValueError):  # a plain relative path
        return pafs.LocalFileSystem(), str(uri)


def write_shard(table: pa.Table, folder: str) -> str:
    """Write ``table`` as one shard under ``folder`` (local path or URI), atomically; returns its name.

    The shard goes to a hidden temporary name (pyarrow's dataset readers
    skip names starting with ``.``), then is moved into place: a rename on a
    local disk; on object stores an object only appears once fully uploaded.
    """
    fs, base = filesystem_for(folder)
    fs.create_dir(base, recursive=True)
    name = shard_name([str(i) for i in table.column("id").to_pylist()])
    tmp = f"{base}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        with fs.open_output_stream(tmp) as out:
            pq.write_table(table, out)
        fs.move(tmp, f"{base}/{name}")
    except BaseException:
        try:
            fs.delete_file(tmp)
        except (OSError, FileNotFoundError):
            pass
        raise
    return name


def shard_ids(folder: str) -> set[str]:
    """Ids in the complete shards under ``folder`` (empty when there is none)."""
    fs, base = filesystem_for(folder)
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.NotFound:
        return set()
    selector = pafs.FileSelector(base, recursive=False)
    files = [f.path for f in fs.get_file_info(selector)
             if f.type == pafs.FileType.File and f.base_name.endswith(SHARD_SUFFIX) and not f.base_name.startswith(".")]
    done: set[str] = set()
    for path in files:
        with fs.open_input_file(path) as fh:
            done.update(str(i) for i in pq.read_table(fh, columns=["id"]).column("id").to_pylist())
    return done


def write_parquet(results, stream, *, lines: bool, terminal: bool) -> None:
    """The registry's writer: scored articles as one Parquet file on a binary stream."""
    from credscore.records import result_record

    records = [result_record(r.name or f"article-{i}", r, {}) for i, r in enumerate(results)]
    pq.write_table(records_to_table(records), getattr(stream, "buffer", stream))
