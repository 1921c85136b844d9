"""Measure a freshly trained model and make it the shipped default.

Steps (each measured in this one run, numbers written to eval/reports/):
1. copy the model directory to model/weights (atomically; skipped when no
   directory is given: the installed model is re-measured);
2. side-by-side comparison on corpus v2's test and dev splits (the seeds
   files with their OneStopEnglish rows; baselines, transformer fp32 in
   PyTorch, transformer int8 in ONNX Runtime), and how often the two
   transformer paths give the same labels;
3. decide the default inference path: int8 when its macro-F1 (mean of both
   heads) is within 1 point of fp32 (or above it) on test and on dev, on this
   machine; otherwise ``onnx-fp32``, the same fused graphs without quantisation;
4. expected calibration error before (T=1, no offsets) and after calibration (temperatures, decision offsets);
5. document-level bootstrap 95 % intervals of the test macro-F1;
6. source-mention accuracy on test on both paths (:mod:`credscore.eval.mentions`);
7. write the evaluation into config.json and MODEL_CARD.md.

    python -m credscore.eval.finalize runs/v2_seed13       # install and measure
    python -m credscore.eval.finalize                      # re-measure the installed model
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from credscore.eval.metrics import expected_calibration_error, macro_f1
from credscore.eval.bench import machine
from credscore.eval.report import SPLITS, Comparison, comparison_table, compare, gold_indices, predict_rows
from credscore.atomic import atomic_directory, atomic_output
from credscore.tasks import TASKS
from credscore.model_dir import DEFAULT_MODEL_DIR, ModelDirectory
from credscore.training.data import load_rows
from credscore.training.model_card import update_model_card


def install(src: Path, dst: Path = DEFAULT_MODEL_DIR) -> None:
    """Copy the model directory ``src`` over ``dst`` atomically."""
    with atomic_directory(dst) as tmp:
        shutil.copytree(src, tmp, dirs_exist_ok=True)


def calibration_report(model_dir: Path, data: list[Path]) -> dict:
    """ECE per head with the fitted calibration (temperatures, offsets) and with T = 1, no offsets (uncalibrated)."""
    from credscore.api import load_model

    rows = load_rows(data)
    model = load_model(model_dir, backend="torch")
    fitted, offsets = dict(model.predictor.temperatures), dict(model.predictor.offsets)
    out = {}
    for label, temps, shift in (("after", fitted, offsets), ("before", {t: 1.0 for t in TASKS}, {})):
        model.predictor.temperatures, model.predictor.offsets = temps, shift
        ordered, scores = predict_rows(model, rows)
        out[label] = {t: expected_calibration_error(scores[t][gold_indices(ordered, t) >= 0],
                                                    gold_indices(ordered, t)[gold_indices(ordered, t) >= 0])
                      for t in TASKS}
    out["temperatures"], out["offsets"] = fitted, offsets
    return out


def bootstrap_macro_f1(ordered: list[dict], scores: dict[str, np.ndarray], n: int = 1000, seed: int = 0) -> dict:
    """95 % interval of macro-F1 per head of predictions ``scores`` for rows ``ordered``, resampling whole documents."""
    doc_ids = np.array([r["doc_id"] for r in ordered])
    docs = sorted(set(doc_ids))
    index = {d: np.where(doc_ids == d)[0] for d in docs}
    rng = np.random.default_rng(seed)
    out = {}
    for task, labels in TASKS.items():
        y, p = gold_indices(ordered, task), scores[task].argmax(1)
        vals = []
        for _ in range(n):
            idx = np.concatenate([index[d] for d in rng.choice(docs, len(docs))])
            keep = y[idx] >= 0
            vals.append(macro_f1(y[idx][keep], p[idx][keep], len(labels)))
        out[task] = [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]
    return out


def label_agreement(comparison: Comparison) -> dict:
    """Share of the compared sentences whose arg-max label is the same on the fast path and in fp32, per head."""
    _, fp32 = comparison.predictions["transformer_fp32"]
    _, fast = comparison.predictions["transformer_fast"]
    return {t: float((fp32[t].argmax(1) == fast[t].argmax(1)).mean()) for t in TASKS}


def main() -> None:
    from credscore.api import load_model
    from credscore.eval.mentions import evaluate as evaluate_mentions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, nargs="?", default=None,
                        help="trained model directory to install (default: re-measure the installed model)")
    parser.add_argument("--reports", type=Path, default=Path("eval/reports"))
    args = parser.parse_args()
    if args.model is not None:
        install(args.model)
    compared = {split: compare(list(SPLITS["train"]), list(SPLITS[split]), DEFAULT_MODEL_DIR, args.reports / split)
                for split in ("dev", "test")}
    test, dev = compared["test"].summary, compared["dev"].summary
    mean = lambda res: np.mean([res[t]["macro_f1"] for t in TASKS])
    gap = mean(test["transformer_fp32"]) - mean(test["transformer_fast"])
    gap_dev = mean(dev["transformer_fp32"]) - mean(dev["transformer_fast"])
    agreement = {split: label_agreement(comparison) for split, comparison in compared.items()}
    # int8 is the default only when it is within 1 point of fp32 on both splits, measured on this machine;
    # otherwise the same fused graphs in fp32 (exact: they reproduce the torch network within 1e-3).
    fast = bool(gap <= 0.01 and gap_dev <= 0.01)
    backend = "onnx-int8" if fast else "onnx-fp32"
    calib = calibration_report(DEFAULT_MODEL_DIR, list(SPLITS["dev"]))
    calib_test = calibration_report(DEFAULT_MODEL_DIR, list(SPLITS["test"]))
    ci = bootstrap_macro_f1(*compared["test"].predictions["transformer_fast" if fast else "transformer_fp32"])
    test_rows = load_rows(list(SPLITS["test"]))
    mentions = {name: evaluate_mentions(load_model(DEFAULT_MODEL_DIR, backend=b), test_rows)
                for name, b in (("fp32", "torch"), ("int8", "onnx-int8"))}
    summary = {"machine": machine(), "fast_path_default": fast, "fp32_minus_int8_mean_macro_f1_test": gap,
               "fp32_minus_int8_mean_macro_f1_dev": gap_dev, "label_agreement_int8_vs_fp32": agreement,
               "calibration_dev": calib, "calibration_test": calib_test, "test_macro_f1_95ci_default_path": ci,
               "test_mentions": mentions}
    with atomic_output(args.reports / "finalize.json") as fh:
        json.dump(summary, fh, indent=2)
    m = mentions["int8" if fast else "fp32"]
    test_desc = " + ".join(f"`{p}`" for p in SPLITS["test"])
    evaluation = "\n".join([
        f"Test split ({test_desc}: {len({r['doc_id'] for r in test_rows})} documents, {len(test_rows)} sentences), "
        "measured by `python -m credscore.eval.finalize` on "
        f"{summary['machine']['cpu']} ({', '.join(summary['machine']['cpu_flags'])}):", "",
        comparison_table(test, list(SPLITS["test"])), "",
        "`transformer_fp32` is the PyTorch network; `transformer_fast` the same weights in ONNX Runtime "
        "(fused attention, int8 weights except the feed-forward output projections and the mention head). "
        "Same label on both paths: "
        + "; ".join(f"{split} attribution {a['attribution']:.1%}, hedging {a['hedging']:.1%}"
                    for split, a in agreement.items()) + ".", "",
        f"Document-bootstrap 95 % interval of test macro-F1 ({'int8' if fast else 'fp32'} path): "
        + ", ".join(f"{t} [{lo:.3f}, {hi:.3f}]" for t, (lo, hi) in ci.items()), "",
        f"Source mentions on the test split ({'int8' if fast else 'fp32'} path, `python -m credscore.eval.mentions`): "
        f"exact-span F1 {m['all']['exact']['f1']:.3f}, overlap F1 {m['all']['overlap']['f1']:.3f}, "
        f"type accuracy of matched mentions {m['all']['type_accuracy_of_matched'] or 0:.3f}; "
        f"continuation links (`source_of`) F1 {m['source_of']['f1']:.3f}.", "",
        "Dev split:", "", comparison_table(dev, list(SPLITS["dev"])), "",
        "Expected calibration error (10 bins), before -> after calibration (temperatures, decision offsets): "
        + "; ".join(f"{t}: dev {calib['before'][t]:.3f} -> {calib['after'][t]:.3f}, "
                    f"test {calib_test['before'][t]:.3f} -> {calib_test['after'][t]:.3f}" for t in TASKS),
    ])
    note = (f"int8 minus fp32 mean macro-F1: test {-gap:+.4f}, dev {-gap_dev:+.4f} on this machine's CPU "
            "(default int8 when both are within 1 point, else the fp32 ONNX graphs).")
    update_model_card(DEFAULT_MODEL_DIR, evaluation, {"backend": backend, "note": note})
    default = test["transformer_fast" if fast else "transformer_fp32"]
    ModelDirectory(DEFAULT_MODEL_DIR).update_config({"accuracy": {  # shown in every output's "model" and the report
        "test_set": " + ".join(str(p) for p in SPLITS["test"]), "backend": backend,
        **{f"{t}_macro_f1": round(float(default[t]["macro_f1"]), 3) for t in TASKS},
        "mention_overlap_f1": m["all"]["overlap"]["f1"],
        "measured_by": "python -m credscore.eval.finalize"}})
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
