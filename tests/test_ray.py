"""``--engine ray``: the same scorer on Ray Data, started in-process with 2 CPUs (skipped without ray)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a local Ray cluster and its actors: make test-slow

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")

from credscore.archive import JsonlSink, iter_records  # noqa: E402
from credscore.batch_scoring import RecordScorer, score_stream  # noqa: E402
from credscore.ray_engine import score_on_ray  # noqa: E402
from tests.test_scale import articles, profiles, write_rows  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    from ray import cloudpickle

    # Ray ships this module's classes by value, not by name (tests/ is not importable in its workers).
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


class DiesOnce(RecordScorer):
    """An actor that kills its own process on its first batch (once per test, marked by a file)."""

    def __init__(self, *args, marker: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.marker = Path(marker)

    def __call__(self, batch):
        if not self.marker.exists():
            self.marker.write_text("died")
            os._exit(1)
        return super().__call__(batch)


def test_ray_gives_the_same_profiles_as_the_local_command_and_resumes(local_ray, tiny_model_dir, tmp_path):
    recs = articles(12) + [{"id": "bad", "text": "", "outlet": "o0"}]
    src = write_rows(tmp_path / "in.jsonl", recs)
    kwargs = {"model_dir": str(tiny_model_dir), "backend": "torch"}
    local = tmp_path / "local.jsonl"
    sink = JsonlSink(local)
    # one core, as each actor has: torch's sums (unlike ONNX Runtime's single-threaded kernels) depend on threads
    import torch

    threads = torch.get_num_threads()
    try:
        score_stream(iter_records([str(src)]), sink, {**kwargs, "cores": 1})
    finally:
        torch.set_num_threads(threads)
    sink.close()
    local_rows = [json.loads(line) for line in local.read_text().splitlines()]

    out = str(tmp_path / "ray-out")
    written, errors, skipped = score_on_ray([str(src)], out, kwargs, actors=2, cpus_per_actor=1, batch_size=4)
    assert (written, errors, skipped) == (13, 1, 0)
    table = pq.read_table(out)
    ray_rows = table.to_pylist()
    assert sorted(r["id"] for r in ray_rows) == sorted(r["id"] for r in recs)
    assert profiles(ray_rows) == profiles(local_rows)
    assert {r["id"]: r["outlet"] for r in ray_rows} == {r["id"]: r["outlet"] for r in recs}
    assert [r["error"] for r in ray_rows if r["id"] == "bad"] == ["is empty"]
    assert not [p for p in os.listdir(out) if p.startswith(".")]

    write_rows(src, recs + articles(15)[12:])  # three new articles
    written, _, skipped = score_on_ray([str(src)], out, kwargs, actors=2, cpus_per_actor=1, batch_size=4, resume=True)
    assert (written, skipped) == (3, 13)
    assert sorted(pq.read_table(out).column("id").to_pylist()) == sorted([r["id"] for r in recs] + ["a12", "a13", "a14"])


def test_an_actor_that_dies_is_restarted_and_its_batch_retried(local_ray, tiny_model_dir, tmp_path):
    src = tmp_path / "in.parquet"
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(articles(6)), src)
    out = str(tmp_path / "out")
    kwargs = {"model_dir": str(tiny_model_dir), "backend": "torch", "marker": str(tmp_path / "died")}
    written, errors, _ = score_on_ray([str(src)], out, kwargs, actors=1, cpus_per_actor=1, batch_size=3,
                                      scorer_cls=DiesOnce)
    assert (tmp_path / "died").exists()  # an actor did die
    assert (written, errors) == (6, 0)
    ids = pq.read_table(out).column("id").to_pylist()
    assert sorted(ids) == [f"a{i}" for i in range(6)]  # every article once: no loss, no duplicate
