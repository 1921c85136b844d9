"""Evaluation reports: one model on one file, and the side-by-side comparison.

``credscore eval FILE [--model DIR] [-o FOLDER]`` writes, into the output folder:
``metrics.json`` (per-class precision/recall/F1, macro-F1, accuracy,
confusion matrices and ECE per head), ``report.md`` and PNG plots
(confusion matrices, reliability diagrams).

``python -m credscore.eval.report`` (``make eval``) evaluates the majority, lexicon and
TF-IDF + LR baselines (fitted on seeds/train.jsonl) and the transformer in
fp32 and on its fast path on seeds/test.jsonl, writes one table
(eval/reports/test/comparison.md/.json), and runs the external checks
(:mod:`credscore.eval.external`, eval/reports/external.json).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from credscore.eval.metrics import classification_report, reliability_bins
from credscore.atomic import atomic_output
from credscore.tasks import TASKS
from credscore.data_format import group_documents
from credscore.training.data import load_rows


#: Corpus v2's splits: the seeds files and the OneStopEnglish rows kept in files of their own (CC BY-SA).
SPLITS: dict[str, tuple[Path, ...]] = {split: (Path(f"seeds/{split}.jsonl"), Path(f"seeds/onestopenglish/{split}.jsonl"))
                                       for split in ("train", "dev", "test")}


def gold_indices(rows_in_order: list[dict], task: str) -> np.ndarray:
    """Label index per row (``-1`` where the row has no label for ``task``)."""
    labels = TASKS[task]
    return np.array([labels.index(r[task]) if r.get(task) is not None else -1 for r in rows_in_order])


def evaluate_probs(rows_in_order: list[dict], scores: dict[str, np.ndarray]) -> dict:
    """Per-task classification report of probabilities ``scores[task]`` ``(N, C)`` against the rows' labels."""
    return {task: classification_report(gold_indices(rows_in_order, task), scores[task].argmax(1), labels,
                                         probs=scores[task])
            for task, labels in TASKS.items()}


def predict_rows(predictor, rows: list[dict], progress=None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Rows in document order and ``predictor``'s probabilities for them.

    ``predictor`` is a model (``predict_documents(list[list[str]], progress)``
    returning probabilities) or a baseline (``predict_proba(list[list[str]])``).
    """
    docs = group_documents(rows)
    texts = [[r["text"] for r in d] for d in docs]
    if hasattr(predictor, "predict_documents"):
        scores = predictor.predict_documents(texts, progress).scores
    else:
        scores = predictor.predict_proba(texts)
    return [r for d in docs for r in d], scores


def plot_confusions(metrics: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 4.6))
    for ax, (task, rep) in zip(axes, metrics.items()):
        cm = np.array(rep["confusion"])
        ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(len(rep["labels"])), rep["labels"], rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(rep["labels"])), rep["labels"], fontsize=8)
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{task} (macro-F1 {rep['macro_f1']:.3f})")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(rows_in_order, scores, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TASKS), figsize=(9, 4))
    for ax, task in zip(axes, TASKS):
        y = gold_indices(rows_in_order, task)
        keep = y >= 0
        bins = [b for b in reliability_bins(scores[task][keep], y[keep]) if b["count"]]
        ax.plot([0, 1], [0, 1], "--", color="grey")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-")
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
        ax.set_title(task)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_report(name: str, metrics: dict) -> str:
    lines = [f"# Evaluation: {name}", ""]
    for task, rep in metrics.items():
        lines += [f"## {task}", "",
                  f"n = {rep['n']} labelled rows ({rep['skipped']} without a {task} label skipped); "
                  f"macro-F1 **{rep['macro_f1']:.3f}**, accuracy {rep['accuracy']:.3f}"
                  + (f", ECE {rep['ece']:.3f}" if "ece" in rep else ""), "",
                  "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, c in rep["per_class"].items():
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
        lines += ["", "Confusion (rows gold, columns predicted): " + ", ".join(rep["labels"]), "", "```"]
        lines += [f"{label:>19} {row}" for label, row in zip(rep["labels"], rep["confusion"])]
        lines += ["```", ""]
    return "\n".join(lines)


def write_report(name: str, rows_in_order, scores, output: Path) -> dict:
    """Write metrics.json, report.md and the plots for one predictor into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    metrics = evaluate_probs(rows_in_order, scores)
    with atomic_output(output / "metrics.json") as fh:
        json.dump({"name": name, **metrics}, fh, indent=2)
    with atomic_output(output / "report.md") as fh:
        fh.write(markdown_report(name, metrics))
    plot_confusions(metrics, output / "confusion.png", name)
    plot_reliability(rows_in_order, scores, output / "reliability.png", name)
    return metrics


def evaluate_model_cli(data: Path, model_dir: Path | None, output: Path | None, backend: str | None,
                       console) -> dict:
    """``credscore eval``: load the model, predict ``data`` (with a progress bar), write the report.

    With ``output`` the report folder is written; without, the Markdown report goes to stdout.
    """
    import sys

    from rich.progress import Progress

    from credscore.api import load_model

    rows = load_rows([data])
    if not any(r.get(task) is not None for r in rows for task in TASKS):
        from credscore.errors import InputError

        raise InputError(f"{data}: no row has a label ({' or '.join(TASKS)}); nothing to evaluate against")
    model = load_model(model_dir, backend=backend)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("evaluating", total=len(rows))
        ordered, scores = predict_rows(model, rows, lambda done, total: bar.update(task, completed=done))
    name = f"{model.info['name']} on {data}"
    if output is None:
        metrics = evaluate_probs(ordered, scores)
        sys.stdout.write(markdown_report(name, metrics))
        return metrics
    metrics = write_report(name, ordered, scores, output)
    for task_name, rep in metrics.items():
        console.print(f"{task_name}: macro-F1 {rep['macro_f1']:.3f}, accuracy {rep['accuracy']:.3f}, "
                      + (f"ECE {rep['ece']:.3f}" if "ece" in rep else "ECE n/a") + f" (n={rep['n']}, skipped {rep['skipped']})")
    console.print(f"wrote {output}/metrics.json, report.md, confusion.png, reliability.png", highlight=False)
    return metrics


@dataclass
class Comparison:
    """What :func:`compare` measured.

    ``summary[system][task]``: macro-F1, accuracy, ECE and per-class F1 (as in
    comparison.json); ``predictions[system]``: the test rows in document order
    and the probabilities ``(N, n_labels)`` per task behind those numbers, so
    callers can derive more from them without predicting again.
    """

    summary: dict
    predictions: dict[str, tuple[list[dict], dict[str, np.ndarray]]]


def compare(train: Path | list[Path], test: Path | list[Path], model_dir: Path | None, output: Path,
            seed: int = 0) -> Comparison:
    """Baselines and transformer side by side on ``test`` (files); writes comparison.json/.md under ``output``."""
    from credscore.eval.baselines import BASELINES
    from credscore.api import load_model

    train_rows = [r for r in load_rows(_paths(train)) if r.get("annotator") == "manual"]
    test_rows = load_rows(_paths(test))
    predictions = {}
    for name, cls in BASELINES.items():
        baseline = cls(random_state=seed) if name == "tfidf_lr" else cls()
        predictions[name] = predict_rows(baseline.fit(train_rows), test_rows)
    for name, backend in (("transformer_fp32", "torch"), ("transformer_fast", "onnx-int8")):
        predictions[name] = predict_rows(load_model(model_dir, backend=backend), test_rows)
    results = {name: write_report(name, ordered, scores, output / name)
               for name, (ordered, scores) in predictions.items()}
    summary = {name: {task: {"macro_f1": rep["macro_f1"], "accuracy": rep["accuracy"], "ece": rep.get("ece"),
                             "per_class_f1": {l: c["f1"] for l, c in rep["per_class"].items()}}
                      for task, rep in res.items()} for name, res in results.items()}
    with atomic_output(output / "comparison.json") as fh:
        json.dump(summary, fh, indent=2)
    with atomic_output(output / "comparison.md") as fh:
        fh.write(comparison_table(summary, test))
    return Comparison(summary, predictions)


def _paths(value: Path | list[Path]) -> list[Path]:
    return [value] if isinstance(value, (str, Path)) else list(value)


def comparison_table(summary: dict, test: Path | list[Path]) -> str:
    lines = [f"Test set: {' + '.join(f'`{p}`' for p in _paths(test))}", "",
             "| system | attribution macro-F1 | attribution acc. | hedging macro-F1 | hedging acc. | ECE att. / hed. |",
             "|---|---|---|---|---|---|"]
    for name, res in summary.items():
        a, h = res["attribution"], res["hedging"]
        ece = f"{a['ece']:.3f} / {h['ece']:.3f}" if a.get("ece") is not None else "-"
        lines.append(f"| {name} | {a['macro_f1']:.3f} | {a['accuracy']:.3f} | {h['macro_f1']:.3f} | "
                     f"{h['accuracy']:.3f} | {ece} |")
    lines += ["", "Per-class F1:", ""]
    for task in TASKS:
        labels = TASKS[task]
        lines += [f"| {task} | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for name, res in summary.items():
            lines.append(f"| {name} | " + " | ".join(f"{res[task]['per_class_f1'][l]:.3f}" for l in labels) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="side-by-side evaluation of baselines and the transformer")
    parser.add_argument("--train", type=Path, nargs="+", default=list(SPLITS["train"]))
    parser.add_argument("--test", type=Path, nargs="+", default=list(SPLITS["test"]))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=Path("eval/reports/test"))
    parser.add_argument("--external-output", type=Path, default=Path("eval/reports"))
    parser.add_argument("--skip-external", action="store_true")
    args = parser.parse_args()
    summary = compare(args.train, args.test, args.model, args.output).summary
    print(comparison_table(summary, args.test))
    if not args.skip_external:
        from credscore.eval.external import run_external

        print(json.dumps(run_external(args.model, args.external_output), indent=2))


if __name__ == "__main__":
    main()
