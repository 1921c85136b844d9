"""``credscore train``: validate the data, then fine-tune and save a model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from credscore import __version__
from credscore.errors import InputError
from credscore.model_dir import DEFAULT_MODEL_DIR, ModelDirectory
from credscore.training.data import label_counts, load_rows
from credscore.training.train import Trainer, TrainConfig


def describe_rows(rows: list[dict]) -> str:
    """One line: row counts by annotator and by source."""
    by_annot = Counter(r.get("annotator", "?") for r in rows)
    by_source = Counter(r.get("source", "?") for r in rows)
    return (", ".join(f"{n} {a}" for a, n in by_annot.most_common()) + " rows from "
            + ", ".join(f"{s} ({n})" for s, n in by_source.most_common()))


def run_training(data: list[Path], dev: Path, output: Path, *, init_from: str | None = None, resume: bool = False,
                 epochs: int | None = None, seed: int | None = None, context: str | None = None,
                 no_mapped: bool = False, console=None, name: str = "credscore-minilm") -> dict:
    """Validate ``data`` and ``dev``, train, write ``output``; returns the training report."""
    log = console.print if console is not None else print
    mention_notes: list[str] = []
    train_rows = load_rows(data, warn=mention_notes.append)
    dev_rows = load_rows([dev], warn=mention_notes.append)
    if mention_notes:
        log(f"note: {len(mention_notes)} rows' attribution differs from their weakest source mention "
            f"(the guide allows exceptions), e.g. {mention_notes[0]}")
    if no_mapped:
        train_rows = [r for r in train_rows if r.get("annotator") != "mapped"]
    if not train_rows:
        raise InputError("the training set is empty")
    counts = label_counts(dev_rows)
    for task, per_label in counts.items():
        missing = [label for label, n in per_label.items() if n == 0]
        if missing and sum(per_label.values()):
            log(f"warning: dev set has no {task} example of: {', '.join(missing)} (its F1 counts as absent)")
    config = TrainConfig()
    if epochs is not None:
        config.epochs = epochs
    if seed is not None:
        config.seed = seed
    if context is not None:
        config.network.context = context
        config.network.__post_init__()
    init_path = None
    if init_from:
        init_path = DEFAULT_MODEL_DIR if init_from == "default" else Path(init_from)
        if not ModelDirectory(init_path).is_model():
            raise InputError(f"--init-from: no model at {init_path}")
    log(f"training on {describe_rows(train_rows)}; dev {len(dev_rows)} rows")
    meta = {"name": name, "version": __version__, "data_description": describe_rows(train_rows)}
    report = Trainer(config, log=log).fit(train_rows, dev_rows, output, init_from=init_path, resume=resume, meta=meta)
    log(f"best epoch {report['best_epoch']}: dev macro-F1 "
        + ", ".join(f"{t} {v:.3f}" for t, v in report["dev_macro_f1"].items())
        + f"; wrote {output} in {report['train_seconds']:.0f} s")
    return report
