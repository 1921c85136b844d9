"""Model v2 design comparison: the same data and training budget, several seeds per design.

    python -m credscore.eval.design_comparison --seeds 1 2 3 --epochs 1 \\
        --output eval/reports/design-comparison.json

Designs (:data:`DESIGNS`, network settings over the training defaults):

``sentence+bigru``
    the first credscore design: each sentence encoded alone, a BiGRU over the document's sentence vectors;
``window``
    joint windows (consecutive sentences in one sequence, context on both sides), no sentence-level layer;
``window+bigru``
    joint windows and the BiGRU on top.

All three train the encoder as the training defaults say (LoRA adapters;
``{"network": {"finetune": "layers"}}`` in ``--overrides`` fine-tunes its
layers instead), the mention head and both
sentence heads on corpus v2's training split (seeds + OneStopEnglish), and
are scored on its dev split.  Each run is a child process (``--one``), so its
wall time and peak resident memory are its own.  ``--fraction`` trains on
that share of the training documents (chosen with a fixed seed): the
learning curve.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from credscore.atomic import atomic_output

TRAIN = [Path("seeds/train.jsonl"), Path("seeds/onestopenglish/train.jsonl")]
DEV = [Path("seeds/dev.jsonl"), Path("seeds/onestopenglish/dev.jsonl")]

DESIGNS: dict[str, dict] = {
    "sentence+bigru": {"window_tokens": 0, "context": "bigru"},
    "window": {"window_tokens": 256, "core_tokens": 160, "context": "none"},
    "window+bigru": {"window_tokens": 256, "core_tokens": 160, "context": "bigru"},
}


def document_subset(rows: list[dict], fraction: float, seed: int = 0) -> list[dict]:
    """Rows of ``fraction`` of the documents, drawn with ``seed`` (the same documents for every design)."""
    if fraction >= 1.0:
        return rows
    docs = sorted({r["doc_id"] for r in rows})
    keep = set(random.Random(seed).sample(docs, max(1, round(fraction * len(docs)))))
    return [r for r in rows if r["doc_id"] in keep]


def train_one(design: str, seed: int, epochs: int, fraction: float, output: Path, overrides: dict) -> dict:
    """Train one design with one seed; its dev metrics, wall time (s) and peak RSS (MB)."""
    from credscore.training.data import load_rows
    from credscore.training.train import Trainer, TrainConfig

    config = TrainConfig(epochs=epochs, seed=seed, patience=epochs)
    for key, value in {**DESIGNS[design], **overrides.get("network", {})}.items():
        setattr(config.network, key, value)
    for key, value in overrides.get("train", {}).items():
        setattr(config, key, value)
    config.network.__post_init__()
    # {"data": {"add_train": [...]}} adds files to every fraction (e.g. the hedging-only certainty rows).
    extra = [Path(p) for p in overrides.get("data", {}).get("add_train", [])]
    train_rows = document_subset(load_rows(TRAIN), fraction) + (load_rows(extra) if extra else [])
    dev_rows = load_rows(DEV)
    start = time.perf_counter()
    report = Trainer(config, log=lambda m: print(m, file=sys.stderr), measure_before=False).fit(
        train_rows, dev_rows, output, meta={"name": f"{design}-seed{seed}", "version": "experiment"})
    return {"design": design, "seed": seed, "epochs": epochs, "fraction": fraction,
            "train_documents": len({r["doc_id"] for r in train_rows}), "train_rows": len(train_rows),
            "dev_macro_f1": report["dev_macro_f1"], "best_epoch": report["best_epoch"],
            "history": report["history"], "wall_seconds": round(time.perf_counter() - start, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "model": str(output), "overrides": overrides}


def summarise(runs: list[dict]) -> dict:
    """Per design: mean and sample standard deviation of dev macro-F1 per task over its seeds."""
    def key(run: dict) -> str:
        kept = _settings(run)
        extra = [f"fraction {run['fraction']:g}" if run["fraction"] < 1 else "", f"{run['epochs']} epochs",
                 json.dumps(kept, sort_keys=True) if kept else ""]
        return " ".join([run["design"], *filter(None, extra)])

    out = {}
    for design in dict.fromkeys(map(key, runs)):
        mine = [r for r in runs if key(r) == design]
        out[design] = {task: {"mean": round(statistics.mean(r["dev_macro_f1"][task] for r in mine), 4),
                              "std": round(statistics.stdev(r["dev_macro_f1"][task] for r in mine), 4)
                              if len(mine) > 1 else 0.0, "runs": len(mine)}
                       for task in mine[0]["dev_macro_f1"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--fraction", type=float, default=1.0, help="share of training documents (learning curve)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/design"))
    parser.add_argument("--overrides", default="{}",
                        help='JSON: {"network": {...}, "train": {...}, "data": {"add_train": [FILE, ...]}}')
    parser.add_argument("--output", type=Path, default=Path("eval/reports/design-comparison.json"))
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side (threads split between them)")
    parser.add_argument("--one", nargs=2, metavar=("DESIGN", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    overrides = json.loads(args.overrides)
    if args.one:
        design, seed = args.one[0], int(args.one[1])
        result = train_one(design, seed, args.epochs, args.fraction,
                           args.runs_dir / f"{design}-seed{seed}-f{args.fraction:g}", overrides)
        print(json.dumps(result))
        return
    previous = json.loads(args.output.read_text()) if args.output.exists() else {"runs": []}
    # Seeds outermost: a slow spell of the machine hits every design alike.  With --jobs N, N runs go
    # side by side with cores/N threads each (on 2 cores, two 1-thread runs train more per second than one
    # 2-thread run); every run then records the threads it had.
    plan = [(design, seed) for seed in args.seeds for design in args.designs]
    if args.jobs > 1:
        overrides.setdefault("train", {})["threads"] = max(1, (os.cpu_count() or 2) // args.jobs)
    lock, runs = threading.Lock(), []

    def one(item: tuple[str, int]) -> None:
        design, seed = item
        cmd = [sys.executable, "-m", "credscore.eval.design_comparison", "--one", design, str(seed),
               "--epochs", str(args.epochs), "--fraction", str(args.fraction),
               "--runs-dir", str(args.runs_dir), "--overrides", json.dumps(overrides)]
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        with lock:
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(runs[-1]["dev_macro_f1"]), design, seed, file=sys.stderr, flush=True)
            keep = [r for r in previous["runs"] if _key(r) not in {_key(x) for x in runs}]
            result = {"runs": keep + runs, "summary": summarise(keep + runs)}
            with atomic_output(args.output) as fh:  # after every run: an interrupted comparison keeps its runs
                json.dump(result, fh, indent=2)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, plan))


def _key(run: dict) -> tuple:
    """What makes two runs the same experiment (a later run replaces an earlier one in the report)."""
    return run["design"], run["seed"], run["fraction"], run["epochs"], json.dumps(_settings(run) or None, sort_keys=True)


def _settings(run: dict) -> dict:
    """A run's overrides that change what it learns: all but the threads it was given."""
    out = {k: v for k, v in (run.get("overrides") or {}).items() if k != "train"}
    train = {k: v for k, v in (run.get("overrides") or {}).get("train", {}).items() if k != "threads"}
    return {**out, "train": train} if train else out


if __name__ == "__main__":
    main()
