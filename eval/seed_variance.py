"""Spread of dev and test macro-F1 across training runs that differ only in their seed.

    python -m credscore.eval.seed_variance model/weights runs/design/sentence+bigru-seed29-f1 \
        --output eval/reports/seed_variance.json

Each model directory is evaluated on corpus v2's dev and test splits
(seeds + OneStopEnglish, :data:`credscore.eval.report.SPLITS`) on two
inference paths, fp32 PyTorch and int8 ONNX Runtime, and on the source-mention
overlap F1 of the test split (fp32).  The report gives every run's numbers
and, per split, path and head, the mean and the sample standard deviation.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from credscore.atomic import atomic_output
from credscore.eval.mentions import evaluate as evaluate_mentions
from credscore.eval.report import SPLITS, evaluate_probs, predict_rows
from credscore.tasks import TASKS
from credscore.training.data import load_rows

PATHS = {"fp32": "torch", "int8": "onnx-int8"}


def evaluate_run(model_dir: Path) -> dict:
    """Macro-F1 per split, path and head of one model directory."""
    from credscore.api import load_model
    from credscore.model_dir import ModelDirectory

    seed = ModelDirectory(model_dir).config().get("training", {}).get("config", {}).get("seed")
    out = {"model": str(model_dir), "seed": seed}
    splits = {split: load_rows([p for p in SPLITS[split] if p.exists()]) for split in ("dev", "test")}
    for path_name, backend in PATHS.items():
        model = load_model(model_dir, backend=backend)
        for split, rows in splits.items():
            ordered, scores = predict_rows(model, rows)
            report = evaluate_probs(ordered, scores)
            out[f"{split}_{path_name}"] = {t: report[t]["macro_f1"] for t in TASKS}
            if path_name == "fp32" and split == "test":
                out["test_mentions"] = {"overlap_f1": evaluate_mentions(model, rows)["all"]["overlap"]["f1"]}
    return out


def summarise(runs: list[dict]) -> dict:
    """Mean and sample standard deviation of each ``split_path`` / head over the runs."""
    keys = [k for k in runs[0] if k not in ("model", "seed")]
    return {k: {t: {"mean": statistics.mean(r[k][t] for r in runs),
                    "std": statistics.stdev(r[k][t] for r in runs) if len(runs) > 1 else 0.0}
                for t in runs[0][k]} for k in keys}


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
