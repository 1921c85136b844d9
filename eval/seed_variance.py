"""Spread of dev and test macro-F1 across training runs that differ only in their seed.

    python -m credscore.eval.seed_variance model/weights runs/final7_seed7 --output eval/reports/seed_variance.json

Each model directory is evaluated on both inference paths (fp32 PyTorch and
the int8 ONNX Runtime fast path); the report gives every run's numbers and,
per split, path and head, the mean and the sample standard deviation.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from credscore.eval.report import evaluate_probs, predict_rows
from credscore.atomic import atomic_output
from credscore.tasks import TASKS
from credscore.training.data import load_rows

SPLITS = {"dev": Path("seeds/dev.jsonl"), "test": Path("seeds/test.jsonl")}


def evaluate_run(model_dir: Path) -> dict:
    """Macro-F1 per split, path and head of one model directory."""
    from credscore.api import load_model
    from credscore.model_dir import ModelDirectory

    seed = ModelDirectory(model_dir).config().get("training", {}).get("config", {}).get("seed")
    out = {"model": str(model_dir), "seed": seed}
    for path_name, backend in (("fp32", "torch"), ("fast", "onnx-int8")):
        model = load_model(model_dir, backend=backend)
        for split, data in SPLITS.items():
            ordered, scores = predict_rows(model, load_rows([data]))
            report = evaluate_probs(ordered, scores)
            out[f"{split}_{path_name}"] = {t: report[t]["macro_f1"] for t in TASKS}
    return out


def summarise(runs: list[dict]) -> dict:
    """Mean and sample standard deviation of each ``split_path`` / head over the runs."""
    keys = [k for k in runs[0] if k not in ("model", "seed")]
    return {k: {t: {"mean": statistics.mean(r[k][t] for r in runs),
                    "std": statistics.stdev(r[k][t] for r in runs) if len(runs) > 1 else 0.0}
                for t in TASKS} for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--output", type=Path, default=Path("eval/reports/seed_variance.json"))
    args = parser.parse_args()
    runs = [evaluate_run(m) for m in args.models]
    result = {"runs": runs, "summary": summarise(runs)}
    with atomic_output(args.output) as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
