"""``credscore train``: validate the data, then fine-tune and save a model with its provenance; ``credscore calibrate``."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from credscore import __version__
from credscore.digest import sha256_file
from credscore.errors import InputError
from credscore.model_dir import DEFAULT_MODEL_DIR, ModelDirectory
from credscore.tasks import TASKS
from credscore.training.data import expand_paths, hold_out_dev, label_counts, load_rows
from credscore.training.train import Trainer, TrainConfig


def check_settings(epochs: int | None, context: str | None, finetune: str | None = None) -> None:
    """Refuse impossible settings before any data is read (exit 2, one line)."""
    from credscore.network import CONTEXT_MODES
    from credscore.network_config import FINETUNE_MODES

    if epochs is not None and epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}")
    if context is not None and context not in CONTEXT_MODES:
        raise InputError(f"--context must be one of {', '.join(CONTEXT_MODES)}, got {context!r}")
    if finetune is not None and finetune not in FINETUNE_MODES:
        raise InputError(f"--finetune must be one of {', '.join(FINETUNE_MODES)}, got {finetune!r}")


def require_labels(rows: list[dict], split: str) -> None:
    """Refuse a split where no row carries any task's label (nothing to learn from or select on)."""
    from credscore.tasks import TASKS

    if not any(r.get(task) is not None for r in rows for task in TASKS):
        raise InputError(f"no {split} row has a label ({' or '.join(TASKS)}); "
                         "label rows as in docs/data-format.md")


def _labelled_rows(paths: list[Path], split: str, options: dict) -> list[dict]:
    """Validated rows of ``paths``: a split with no label at all is one line; unlabelled rows are listed by line."""
    rows = load_rows(paths, **options)
    require_labels(rows, split)
    if any(all(r.get(task) is None for task in TASKS) for r in rows):
        load_rows(paths, **options, require_label=True)  # raises, naming each unlabelled row's file and line
    return rows


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


def _files(paths: list[Path]) -> list[dict]:
    return [{"path": str(p), "sha256": sha256_file(p)} for p in expand_paths(paths)]


def _parent(init_from: str | None) -> tuple[Path | None, dict | None, str | None]:
    """(path, provenance entry, what trains in its encoder) of the ``--init-from`` model; Nones without one."""
    if not init_from:
        return None, None, None
    path = DEFAULT_MODEL_DIR if init_from == "default" else Path(init_from)
    directory = ModelDirectory(path)
    if not directory.is_model():
        raise InputError(f"--init-from: no model at {path}")
    config = directory.config()
    return (path, {"model": init_from, "name": config.get("name", path.name), "version": config.get("version")},
            config.get("network", {}).get("finetune", "lora"))


def provenance(data: list[Path], dev: list[Path] | None, dev_note: str | None, parent: dict | None,
               config: TrainConfig, command: str | None) -> dict:
    """What made the model: parent, hashes of the data files, dev split, command line, credscore version, time."""
    return {"parent": parent, "training_files": _files(data),
            "dev": {"files": _files(dev)} if dev else {"held_out": dev_note},
            "command": command, "credscore": __version__, "seed": config.seed,
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def default_version(prov: dict, config: TrainConfig) -> str:
    """``YYYY-MM-DD.<8 hex>``: the date and a digest of the inputs (data hashes, dev, parent, configuration)."""
    inputs = {k: prov[k] for k in ("parent", "training_files", "dev", "seed")}
    digest = hashlib.sha256(json.dumps([inputs, config.to_dict()], sort_keys=True, default=str).encode()).hexdigest()
    return f"{prov['trained_at'][:10]}.{digest[:8]}"


def summary(report: dict) -> list[str]:
    """Lines comparing dev metrics per head before and after training."""
    lines = [f"dev before -> after training (best epoch {report['best_epoch']}):"]
    for task, after in report["dev_after"].items():
        before = (report["dev_before"] or {}).get(task)
        if not after["rows"]:
            lines.append(f"  {task:<12} no labelled dev rows")
            continue
        if before is None:
            lines.append(f"  {task:<12} macro-F1 {after['macro_f1']:.3f}   accuracy {after['accuracy']:.3f}   "
                         f"({after['rows']} rows)")
            continue
        lines.append(f"  {task:<12} macro-F1 {before['macro_f1']:.3f} -> {after['macro_f1']:.3f}   "
                     f"accuracy {before['accuracy']:.3f} -> {after['accuracy']:.3f}   ({after['rows']} rows)")
    return lines


def run_training(data: list[Path], dev: Path | list[Path] | None, output: Path, *, init_from: str | None = None,
                 resume: bool = False, epochs: int | None = None, lr: float | None = None, seed: int | None = None,
                 context: str | None = None, window_tokens: int | None = None, finetune: str | None = None,
                 no_context: bool = False, no_mapped: bool = False, console=None,
                 name: str | None = None, version: str | None = None, command: str | None = None) -> dict:
    """Validate ``data`` (and ``dev``, or hold a dev split out), train, write ``output``; returns the training report.

    ``no_context``: rows without ``doc_id`` are documents of their own instead
    of forming one document per run of consecutive rows.  ``name`` and
    ``version`` default to the output folder's name and :func:`default_version`.
    """
    # Whole lines (a redirected stderr would wrap at 80 columns), and no markup in paths or messages.
    log = (lambda m: console.print(m, soft_wrap=True, highlight=False, markup=False)) if console is not None else print
    check_settings(epochs=epochs, context=context, finetune=finetune)
    if ModelDirectory(output).check_output():
        log(f"note: {output} holds a model; it will be replaced (atomically) when training ends")
    init_path, parent, parent_finetune = _parent(init_from)
    config = TrainConfig.adapting() if init_path is not None else TrainConfig()
    for key, value in {"epochs": epochs, "seed": seed}.items():
        if value is not None:
            setattr(config, key, value)
    if context is not None:
        config.network.context = context
    if finetune is not None:
        config.network.finetune = finetune
    config.network.__post_init__()
    if lr is not None:  # the rate of what trains in the encoder; the heads keep the preset's ratio to it
        trains = parent_finetune or config.network.finetune  # a parent's network is kept (Trainer._init_network)
        key = "encoder_lr" if trains == "layers" else "lora_lr"
        config.lr = lr * config.lr / getattr(config, key)
        setattr(config, key, lr)
    if window_tokens is not None:
        if window_tokens < 0 or 0 < window_tokens < 2 * config.network.max_length or window_tokens > 512:
            raise InputError(f"--window-tokens must be 0 or between {2 * config.network.max_length} and 512 "
                             f"(the encoder's positions), got {window_tokens}")
        config.network.window_tokens = window_tokens
        config.network.core_tokens = min(config.network.core_tokens, window_tokens * 2 // 3)
    mention_notes: list[str] = []
    options = dict(warn=mention_notes.append, context=not no_context)
    dev = [dev] if isinstance(dev, (str, Path)) else (list(dev) if dev else None)
    train_files = [f for f in expand_paths(data) if not dev or not any(_same_file(f, d) for d in dev)]
    if len(train_files) < len(expand_paths(data)):
        log(f"note: {', '.join(map(str, dev))}: --dev files are left out of the training files")
    if not train_files:
        raise InputError("the training set is empty (the only training file is the --dev file)")
    train_rows = _labelled_rows(train_files, "training", options)
    if no_mapped:
        train_rows = [r for r in train_rows if r.get("annotator") != "mapped"]
    if not train_rows:
        raise InputError("the training set is empty")
    dev_note = None
    if dev:
        dev_rows = _labelled_rows(dev, "dev", options)
    else:
        # Dev measures the user's own kind of data: held out from manual rows when there are any.
        manual = [r for r in train_rows if r["annotator"] == "manual"]
        others = [r for r in train_rows if r["annotator"] != "manual"] if manual else []
        train_rows, dev_rows, dev_note = hold_out_dev(manual or train_rows, config.seed)
        train_rows += others
        log(f"no --dev: {dev_note}")
    if mention_notes:
        log(f"note: {len(mention_notes)} rows' attribution differs from their weakest source mention "
            f"(the guide allows exceptions), e.g. {mention_notes[0]}")
    require_labels(dev_rows, "dev")
    for task, per_label in label_counts(dev_rows).items():
        missing = [label for label, n in per_label.items() if n == 0]
        if missing and sum(per_label.values()):
            log(f"warning: dev set has no {task} example of: {', '.join(missing)} (its F1 counts as absent)")
    prov = provenance(train_files, dev, dev_note, parent, config, command)
    name = name or Path(output).resolve().name
    version = version or default_version(prov, config)
    origin = f"from {parent['name']} {parent['version'] or '(unversioned)'}" if parent else "from scratch"
    log(f"training {name} {version} {origin} on {describe_rows(train_rows)}; dev {len(dev_rows)} rows")
    meta = {"name": name, "version": version, "provenance": prov, "data_description": describe_rows(train_rows)}
    report = Trainer(config, log=log).fit(train_rows, dev_rows, output, init_from=init_path, resume=resume, meta=meta)
    for line in summary(report):
        log(line)
    log(f"wrote {output} ({name} {version}) in {report['train_seconds']:.0f} s")
    return report


def run_calibration(model: str, dev: list[Path], console=None) -> dict:
    """Refit a saved model's temperatures and decision offsets on ``dev`` (``credscore calibrate``).

    The network's weights are not touched: only ``calibration.json`` and the
    training report in ``config.json`` and the model card change, each file
    replaced atomically.  Returns the new calibration report.
    """
    from credscore.network import NetworkConfig
    from credscore.training.calibration import fit_calibration
    from credscore.training.model_card import render_model_card

    log = (lambda m: console.print(m, soft_wrap=True, highlight=False, markup=False)) if console is not None else print
    path = DEFAULT_MODEL_DIR if model == "default" else Path(model)
    directory = ModelDirectory(path)
    if not directory.is_model():
        raise InputError(f"no model at {path}")
    saved = directory.config()
    rows = _labelled_rows(list(dev), "dev", dict(warn=lambda _: None))
    config = TrainConfig(network=NetworkConfig.from_dict(saved["network"]), encoder=directory.encoder_spec(saved))
    trainer = Trainer(config, log=log, measure_before=False)
    ds = trainer._dataset(rows)
    logits = trainer.evaluate_logits(directory.load_network().network, ds)
    fitted = fit_calibration(logits, ds, directory.temperatures(), TASKS, log)
    temperatures, offsets = fitted["temperatures"], fitted["offsets"]
    directory.write_calibration(temperatures, offsets)
    training = dict(saved.get("training", {}), temperatures=temperatures, uncalibrated=fitted["uncalibrated"],
                    offsets=fitted["offset_report"], calibrated_on={"files": _files(list(dev)), "rows": len(rows)})
    directory.update_config({"training": training}, render_card=render_model_card if "training" in saved else None)
    log(f"wrote {directory.CALIBRATION_FILE} of {model}: temperatures "
        + ", ".join(f"{t} {v:.3f}" for t, v in temperatures.items())
        + "; offsets " + (", ".join(offsets) if offsets else "none"))
    if saved.get("evaluation"):
        log("note: the model card's evaluation was measured with the previous calibration; measure again "
            "(credscore eval, or python -m credscore.eval.finalize for the default model)")
    return {"temperatures": temperatures, "offsets": fitted["offset_report"]}
