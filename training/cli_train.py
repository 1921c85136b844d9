"""``credscore train``: validate the data, then fine-tune and save a model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from credscore import __version__
from credscore.errors import InputError
from credscore.model_dir import DEFAULT_MODEL_DIR, ModelDirectory
from credscore.training.data import expand_paths, label_counts, load_rows
from credscore.training.train import Trainer, TrainConfig


def check_settings(epochs: int | None, context: str | None) -> None:
    """Refuse impossible settings before any data is read (exit 2, one line)."""
    from credscore.network import CONTEXT_MODES

    if epochs is not None and epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}")
    if context is not None and context not in CONTEXT_MODES:
        raise InputError(f"--context must be one of {', '.join(CONTEXT_MODES)}, got {context!r}")


def require_labels(rows: list[dict], split: str) -> None:
    """Refuse a split where no row carries any task's label (nothing to learn from or select on)."""
    from credscore.tasks import TASKS

    if not any(r.get(task) is not None for r in rows for task in TASKS):
        raise InputError(f"no {split} row has a label ({' or '.join(TASKS)}); "
                         "label rows as in docs/data-format.md")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


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
    check_settings(epochs=epochs, context=context)
    if ModelDirectory(output).check_output():
        log(f"note: {output} holds a model; it will be replaced (atomically) when training ends")
    mention_notes: list[str] = []
    train_files = [f for f in expand_paths(data) if not _same_file(f, dev)]
    if len(train_files) < len(expand_paths(data)):
        log(f"note: {dev} is the --dev file; it is left out of the training files")
    if not train_files:
        raise InputError("the training set is empty (the only training file is the --dev file)")
    train_rows = load_rows(train_files, warn=mention_notes.append)
    dev_rows = load_rows([dev], warn=mention_notes.append)
    if mention_notes:
        log(f"note: {len(mention_notes)} rows' attribution differs from their weakest source mention "
            f"(the guide allows exceptions), e.g. {mention_notes[0]}")
    if no_mapped:
        train_rows = [r for r in train_rows if r.get("annotator") != "mapped"]
    if not train_rows:
        raise InputError("the training set is empty")
    require_labels(train_rows, "training")
    require_labels(dev_rows, "dev")
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
