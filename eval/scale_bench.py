"""Archive-scale benchmark: articles per second and memory of ``credscore score`` over JSON Lines archives.

One run on this machine, each system once (a run over 1,000 articles takes
minutes, so repetition is left to whoever re-runs it):

* ``plain``: ``credscore score ARCHIVE --format jsonl -o OUT`` (one process,
  the default backend, every core);
* ``workers2``: the same with ``--workers 2`` (two processes, one core each);
* ``ray2``: ``--engine ray --format parquet --actors 2 --cpus-per-actor 1``
  on a local Ray instance started by the command (start-up included);
* ``plain_memory``: the plain command on ``--memory-articles`` (10,000) for
  the peak-memory comparison with ``plain`` (the streaming claim: within 10 %).

Articles are the real texts of ``seeds/holdout/articles.jsonl`` and the
whole documents of ``seeds/train.jsonl`` (sentences joined), cycled with
distinct ids.  Each command runs in a fresh process under a small launcher
that reports its wall time and peak resident memory (the largest process
of the command's tree: for ``--workers`` and Ray, a worker or the driver);
each Ray actor's resident memory is sampled every 0.2 s.  From the figures
the report projects CPU hours and nodes for 1 million and 100 million
articles (``docs/scale.md``).

    python -m credscore.eval.scale_bench --output eval/reports/scale.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from pathlib import Path

from credscore.atomic import atomic_output
from credscore.eval.bench import machine, measured_run

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT = ROOT / "seeds/holdout/articles.jsonl"
TRAIN = ROOT / "seeds/train.jsonl"
#: Node size assumed by the projections (cores per node), and the length of "a day's run".
NODE_CORES = 32
DAY_HOURS = 24

def real_texts() -> list[str]:
    """Article texts: the held-out articles, then the training documents in file order."""
    texts = [json.loads(line)["text"] for line in HOLDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs: dict[str, list[tuple[int, str]]] = {}
    for line in TRAIN.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        docs.setdefault(row["doc_id"], []).append((row["sent_index"], row["text"]))
    texts += [" ".join(t for _, t in sorted(sents)) for sents in docs.values()]
    return texts


def write_archive(path: Path, n: int, texts: list[str]) -> dict:
    """``n`` article records with distinct ids, cycling through ``texts``; returns size figures."""
    chars = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = texts[i % len(texts)]
            chars += len(text)
            fh.write(json.dumps({"id": f"art-{i:07d}", "text": text, "copy": i // len(texts)}) + "\n")
    return {"articles": n, "distinct_texts": min(n, len(texts)), "mean_chars": round(chars / n, 1)}


def _actor_sampler(stop: threading.Event, peaks: dict[int, float]) -> None:
    """Record the peak RSS (MB) of every Ray model actor process until ``stop``."""
    import psutil

    while not stop.is_set():
        for proc in psutil.process_iter(["pid", "cmdline"]):
            try:
                cmd = " ".join(proc.info["cmdline"] or [])
                if cmd.startswith("ray::MapWorker") and "Scorer" in cmd:
                    rss = proc.memory_info().rss / 2**20
                    peaks[proc.pid] = max(peaks.get(proc.pid, 0.0), rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        stop.wait(0.2)


def measure(cmd: list[str], actors: bool = False) -> dict:
    """Wall time, peak RSS of ``cmd`` in a fresh process tree; with ``actors``, each Ray actor's peak RSS."""
    peaks: dict[int, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_actor_sampler, args=(stop, peaks), daemon=True) if actors else None
    if sampler:
        sampler.start()
    try:
        wall, peak = measured_run(cmd)
    finally:
        stop.set()
        if sampler:
            sampler.join()
    figures = {"wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1)}
    if actors:
        figures["actor_peak_rss_mb"] = sorted(round(v, 1) for v in peaks.values())
    return figures


def _score(archive: Path, output: Path, model_dir: Path | None, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "credscore.cli", "score", str(archive), "-o", str(output), *extra]
    return cmd + (["--model", str(model_dir)] if model_dir else [])


def _rows(path: Path) -> list[dict]:
    if path.is_dir():
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _profiles(rows: list[dict]) -> dict:
    return {r["id"]: r["profile"] for r in rows}


def _leaves(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{prefix}/{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{prefix}/{i}")
    else:
        yield prefix, value


def max_difference(a: dict, b: dict) -> float:
    """Largest absolute difference between the numbers of two runs' profiles (inf if their shapes differ)."""
    worst = 0.0
    for key in a.keys() | b.keys():
        left, right = dict(_leaves(a.get(key))), dict(_leaves(b.get(key)))
        if left.keys() != right.keys():
            return math.inf
        for path, x in left.items():
            y = right[path]
            if isinstance(x, (int, float)) and isinstance(y, (int, float)):
                worst = max(worst, abs(x - y))
            elif x != y:
                return math.inf
    return worst


def projections(articles_per_core_s: float) -> dict:
    """CPU hours for 1M and 100M articles at the measured per-core rate, and nodes for a day's run."""
    out = {}
    for label, n in (("1M", 1_000_000), ("100M", 100_000_000)):
        cpu_h = n / articles_per_core_s / 3600
        out[label] = {"cpu_hours": round(cpu_h, 1),
                      f"nodes_of_{NODE_CORES}_cores_for_{DAY_HOURS}h": math.ceil(cpu_h / (NODE_CORES * DAY_HOURS))}
    return out


def run(model_dir: Path | None, n_articles: int, memory_articles: int, ray: bool = True) -> dict:
    """Every measurement of the module docstring; returns the report dict."""

    texts = real_texts()
    with tempfile.TemporaryDirectory(prefix="credscore-scale-") as tmp:
        tmp = Path(tmp)
        small, large = tmp / "small.jsonl", tmp / "large.jsonl"
        report = {"machine": machine(), "input": write_archive(small, n_articles, texts)}
        write_archive(large, memory_articles, texts)
        runs = {"plain": measure(_score(small, tmp / "plain.jsonl", model_dir, "--format", "jsonl")),
                "workers2": measure(_score(small, tmp / "workers2.jsonl", model_dir, "--format", "jsonl",
                                           "--workers", "2"))}
        outputs = {"plain": tmp / "plain.jsonl", "workers2": tmp / "workers2.jsonl"}
        if ray:
            runs["ray2"] = measure(_score(small, tmp / "ray2", model_dir, "--format", "parquet", "--engine", "ray",
                                          "--actors", "2", "--cpus-per-actor", "1"), actors=True)
            outputs["ray2"] = tmp / "ray2"
        runs["plain_memory"] = measure(_score(large, tmp / "large-out.jsonl", model_dir, "--format", "jsonl"))
        rows = {name: _rows(path) for name, path in outputs.items()}
    plain = _profiles(rows["plain"])
    for name, figures in runs.items():
        n = memory_articles if name == "plain_memory" else n_articles
        figures["articles_per_s"] = round(n / figures["wall_s"], 2)
    report["runs"] = runs
    report["rows_written"] = {name: len(r) for name, r in rows.items()}
    report["error_rows"] = {name: sum(1 for x in r if x.get("error")) for name, r in rows.items()}
    report["profiles_identical_to_plain"] = {name: _profiles(r) == plain for name, r in rows.items() if name != "plain"}
    # ONNX backends run each batch on one thread: identical.  torch sums in an order that depends
    # on its thread count (1 per worker or actor, every core in the plain run): last digits differ.
    report["profiles_max_difference_to_plain"] = {name: max_difference(_profiles(r), plain)
                                                  for name, r in rows.items() if name != "plain"}
    report["peak_rss_ratio_large_vs_small"] = round(runs["plain_memory"]["peak_rss_mb"] / runs["plain"]["peak_rss_mb"], 3)
    if ray:
        report["ray_overhead_vs_plain"] = round(runs["ray2"]["wall_s"] / runs["plain"]["wall_s"] - 1, 3)
    cores = report["machine"]["cores"] or 1
    per_core = max(r["articles_per_s"] for k, r in runs.items() if k != "plain_memory") / cores
    report["articles_per_core_s"] = round(per_core, 3)
    report["projections"] = {"assumes": f"the best local rate per core of this run, {NODE_CORES}-core nodes, "
                             f"{DAY_HOURS} h", **projections(per_core)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--memory-articles", type=int, default=10_000)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    parser.add_argument("--output", type=Path, default=ROOT / "eval/reports/scale.json")
    args = parser.parse_args()
    started = time.time()
    report = run(args.model, args.articles, args.memory_articles, ray=not args.no_ray)
    report["benchmark_wall_s"] = round(time.time() - started, 1)
    with atomic_output(args.output) as fh:
        fh.write(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
