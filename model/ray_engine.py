"""``credscore score --engine ray``: the same batch scorer on Ray Data (optional extra ``credscore[ray]``).

The pipeline is ``read_json`` / ``read_parquet`` (local paths or any
filesystem pyarrow understands: ``s3://``, ``gs://``, ``hdfs://``) ->
``map_batches(RecordScorer)``: one stateful actor per model copy, loaded once
per actor, ``actors`` of them with ``cpus_per_actor`` CPUs each, calling
:func:`credscore.batch_scoring.score_records` exactly as the local command
does -> ``map_batches(write_shard)``: Parquet shards written atomically,
named by the ids they hold.

Ray restarts an actor that dies and retries its batch (``max_restarts``,
``max_task_retries``); a retried batch rewrites the same shard name, so
nothing is duplicated.  ``ray.init()`` joins the cluster named by
``RAY_ADDRESS`` (as under ``ray job submit``) or starts a local one.
"""

from __future__ import annotations

from credscore.errors import InputError

#: How often Ray retries the batch of an actor that died before the job fails (a batch
#: that kills every actor it meets would otherwise be retried for ever).
MAX_TASK_RETRIES = 3
#: Ray resources of the reading, filtering and writing stages.  They reserve no CPU: the
#: model actors may then hold every core (a read task waiting for a core that actors
#: hold would stall the pipeline), and their work is small next to scoring.
IO_STAGE = {"num_cpus": 0}


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("--engine ray needs Ray Data: pip install 'credscore[ray]'") from None
    return ray


def _read(ray, inputs: list[str]):
    from credscore.archive import JSONL_SUFFIXES, PARQUET_SUFFIXES

    jsonl = [p.lower().endswith(JSONL_SUFFIXES) for p in inputs]
    if all(jsonl):
        return ray.data.read_json(inputs, file_extensions=[s.lstrip(".") for s in JSONL_SUFFIXES],
                                  ray_remote_args=IO_STAGE)
    if not any(jsonl):  # Parquet files or folders of them
        return ray.data.read_parquet(inputs, file_extensions=[s.lstrip(".") for s in PARQUET_SUFFIXES],
                                     ray_remote_args=IO_STAGE)
    raise InputError("--engine ray reads JSON Lines or Parquet inputs, one kind per run")


def _drop_done(batch, done):
    """Rows whose ``id`` is not in ``done`` (a ``pyarrow.Array`` of ids already written)."""
    import pyarrow.compute as pc

    return batch.filter(pc.invert(pc.is_in(pc.cast(batch.column("id"), "string"), value_set=done)))


def _with_string_ids(batch):
    import pyarrow.compute as pc

    return batch.set_column(batch.schema.get_field_index("id"), "id", pc.cast(batch.column("id"), "string"))


def _write(batch, folder: str):
    """Write one batch of output rows as a shard; returns a one-row summary."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from credscore.formats.parquet import write_shard

    name = write_shard(batch, folder)
    errors = int(pc.sum(pc.is_valid(batch.column("error"))).as_py() or 0)
    return pa.table({"shard": [name], "rows": [batch.num_rows], "errors": [errors]})


def score_on_ray(inputs: list[str], output: str, model_kwargs: dict, actors: int = 2, cpus_per_actor: float = 1,
                 batch_size: int = 16, shard_rows: int = 1000, resume: bool = False,
                 scorer_cls=None) -> tuple[int, int, int]:
    """Score ``inputs`` into Parquet shards under ``output``; returns (written, errors, skipped).

    ``model_kwargs`` are :class:`~credscore.batch_scoring.RecordScorer`'s
    (``model_dir``, ``backend``, ``scoring``, ``html``); ``scorer_cls``
    replaces that class (a subclass, e.g. to inject faults in tests).
    """
    ray = _import_ray()
    from credscore.batch_scoring import RecordScorer
    from credscore.formats.parquet import shard_ids

    if actors < 1 or cpus_per_actor <= 0:
        raise InputError("--actors must be at least 1 and --cpus-per-actor above 0")
    done = shard_ids(output)
    if done and not resume:
        raise InputError(f"{output}: already holds scored shards; pass --resume to continue it, or pick a new folder")
    if not ray.is_initialized():
        ray.init(log_to_driver=False, configure_logging=False)
    ds = _read(ray, inputs)
    if "id" not in ds.schema().names or "text" not in ds.schema().names:
        raise InputError("--engine ray: inputs need the fields id and text")
    ds = ds.map_batches(_with_string_ids, batch_format="pyarrow", **IO_STAGE)
    skipped = 0
    if done:
        import pyarrow as pa

        before = ds.count()
        ds = ds.map_batches(_drop_done, batch_format="pyarrow", fn_kwargs={"done": pa.array(sorted(done))}, **IO_STAGE)
        ds = ds.materialize()
        skipped = before - ds.count()
    model_kwargs = {**model_kwargs, "model_dir": str(model_kwargs["model_dir"]) if model_kwargs.get("model_dir") else None}
    ds = ds.map_batches(scorer_cls or RecordScorer, batch_format="pyarrow", batch_size=batch_size,
                        fn_constructor_kwargs={**model_kwargs, "cores": cpus_per_actor},
                        concurrency=actors, num_cpus=cpus_per_actor,
                        max_restarts=-1, max_task_retries=MAX_TASK_RETRIES)
    summary = ds.map_batches(_write, batch_format="pyarrow", batch_size=shard_rows, fn_kwargs={"folder": output},
                             **IO_STAGE)
    rows = summary.take_all()
    return sum(r["rows"] for r in rows), sum(r["errors"] for r in rows), skipped
