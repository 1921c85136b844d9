"""Fine-tuning the two-headed credscore network.

``Trainer(config).fit(train_rows, dev_rows)`` validates nothing itself (the
caller passes validated rows, see :mod:`credscore.training.data`), trains the encoder (its layers, or LoRA adapters),
context layer and heads with a fixed seed, evaluates on dev every epoch,
keeps the best epoch by mean dev macro-F1 (early stopping), fits the
calibration temperatures on dev and writes the model directory atomically.
A checkpoint after every epoch (safetensors + JSON only) lets ``--resume``
continue an interrupted run.  It holds every state the rest of the run
depends on (weights, best weights, optimizer moments and learning rates,
scheduler, the Python, numpy and torch random states, early-stopping
counters), so an interrupted and resumed run ends with the same weights as an
uninterrupted one, and a fingerprint of the data, labels and settings, so a
checkpoint made for another run is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from credscore.digest import sha256_file
from credscore.encoders import EncoderSpec
from credscore.errors import InputError
from credscore.model_dir import ModelDirectory
from credscore.network import LOSSES, CredscoreNetwork, NetworkConfig, build_network
from credscore.tasks import TASK_REGISTRY, TASKS
from credscore.mentions import IGNORE, encode_tags
from credscore.tokenization import SentenceTokenizer
from credscore.windows import document_windows, pad_windows, plan_windows, training_windows
from credscore.training.calibration import fit_calibration
from credscore.training.selection import macro_f1

#: Key of the mention tag logits beside the task logits in a training forward pass.
MENTION_OUTPUT = "mentions"


@dataclass
class TrainConfig:
    """Training hyper-parameters (saved into the model card and config)."""

    # The shipped recipe: the most epochs that train the whole corpus on 2 cores within 30 minutes.
    # A 4th epoch adds 2.5 points of dev hedging F1 but takes 36 (docs/model-design.md).
    epochs: int = 3
    patience: int = 2  # epochs without dev improvement before stopping
    lr: float = 2e-3  # heads, mention head and context layer
    # Adapters on every layer: at 1e-3 (the rate of the first network, which adapted layers 2-5 only)
    # the dev predictions collapsed to the majority labels; 5e-4 trains.
    lora_lr: float = 5e-4
    # The encoder's own weights when its layers are fine-tuned (``network.finetune == "layers"``):
    # 1e-4 beat 2e-4 on dev (docs/model-design.md, "Full fine-tuning").
    encoder_lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    # Runs shorter than this many steps get no warm-up: its first step has learning rate 0,
    # so a one-batch retrain would change nothing.
    min_warmup_steps: int = 100
    max_batch_sentences: int = 32
    mapped_weight: float = 0.3  # loss weight of `mapped` rows (out-of-domain certainty sets)
    weak_weight: float = 0.5  # loss weight of `weak` rows
    class_weight_power: float = 0.75  # class weights = (1 / frequency) ** power, normalised
    mention_weight: float = 1.0  # weight of the source-mention tagging loss beside the two sentence losses
    seed: int = 13
    threads: int = 2
    network: NetworkConfig = field(default_factory=NetworkConfig)
    encoder: EncoderSpec = field(default_factory=EncoderSpec)

    def to_dict(self) -> dict:
        data = asdict(self)
        return data

    @classmethod
    def adapting(cls, **overrides) -> "TrainConfig":
        """Defaults for continuing from a trained model on a few hundred rows (``--init-from``).

        No warm-up (the heads are already trained, so every step should
        learn), a lower learning rate than from scratch (the parent's weights
        are a good start to stay near) and few epochs (a few hundred rows
        overfit fast); model selection on dev still picks the best epoch.
        """
        return cls(**{"epochs": 4, "lr": 5e-4, "lora_lr": 5e-4, "encoder_lr": 5e-5, "warmup_ratio": 0.0, **overrides})


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_fingerprint(train_rows: list[dict], dev_rows: list[dict], config: "TrainConfig",
                    init_from: Path | None) -> str:
    """sha256 of everything a training run depends on: rows (text, labels, order), settings, initial weights."""
    digest = hashlib.sha256()
    for part in (train_rows, dev_rows, config.to_dict()):
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "replace"))
        digest.update(b"\0")
    if init_from is not None:
        for file in sorted(Path(init_from).glob("*.safetensors")):
            digest.update(sha256_file(file).encode())
    return digest.hexdigest()


def random_states() -> tuple[dict[str, torch.Tensor], dict]:
    """The Python, numpy and torch random states as (tensors, JSON-able data) for a checkpoint."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, py_state, py_gauss = random.getstate()
    tensors = {"rng.torch": torch.get_rng_state(), "rng.numpy": torch.from_numpy(keys.astype(np.int64))}
    return tensors, {"numpy": [kind, int(pos), int(has_gauss), float(gauss)],
                     "python": [version, list(py_state), py_gauss]}


def restore_random_states(tensors: dict[str, torch.Tensor], data: dict) -> None:
    """Inverse of :func:`random_states`."""
    kind, pos, has_gauss, gauss = data["numpy"]
    np.random.set_state((kind, tensors["rng.numpy"].numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, py_state, py_gauss = data["python"]
    random.setstate((version, tuple(py_state), py_gauss))
    torch.set_rng_state(tensors["rng.torch"])


@dataclass
class Batch:
    """Windows ``(B, T)`` with pooling ``(B, S, T)``; the ``N`` labelled sentences gathered by ``(rows, slots)``."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    pool: torch.Tensor
    rows: torch.Tensor  # (N,) window of each labelled sentence
    slots: torch.Tensor  # (N,) its position in that window
    doc_lengths: list[int]
    targets: dict[str, torch.Tensor]
    weights: torch.Tensor
    tags: torch.Tensor  # (B, T) mention tag per token, IGNORE where unlabelled


def document_has_mentions(rows: list[dict]) -> set[str]:
    """Documents whose rows carry mention labels (any ``sources`` or ``source_of``): the others are not tagged."""
    return {r["doc_id"] for r in rows if r.get("sources") or r.get("source_of") is not None}


#: Tokens (windows x longest window) per encoder call in training.
ENCODE_TOKENS = 2048


def length_groups(lengths: list[int], budget: int) -> list[list[int]]:
    """Indices of ``lengths`` in groups of similar length whose padded size stays within ``budget`` tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups, current = [], []
    for i in order:
        if current and lengths[i] * (len(current) + 1) > budget:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def _chunks(doc: list[int], size: int) -> list[list[int]]:
    return [doc[i:i + size] for i in range(0, len(doc), size)]


def make_batches(dataset, max_sentences: int, shuffle: bool, rng: random.Random) -> list[list[list[int]]]:
    """Group row indices into batches of whole documents (or chunks of long ones).

    Returns a list of batches; each batch is a list of documents; each
    document a list of row indices in sentence order.
    """
    docs: dict[str, list[int]] = {}
    for i, doc_id in enumerate(dataset["doc_id"]):
        docs.setdefault(doc_id, []).append(i)
    pieces = [c for d in docs.values() for c in _chunks(d, max_sentences)]
    if shuffle:
        rng.shuffle(pieces)
    batches, current, size = [], [], 0
    for piece in pieces:
        if size + len(piece) > max_sentences and current:
            batches.append(current)
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current:
        batches.append(current)
    return batches


class Trainer:
    """Fine-tunes a :class:`CredscoreNetwork`; see the module docstring."""

    def __init__(self, config: TrainConfig, log=print, measure_before: bool = True):
        self.config = config
        self.log = log
        # False skips the dev pass before training (the before/after summary): experiments of many runs.
        self.measure_before = measure_before
        self.tokenizer = SentenceTokenizer(config.encoder.entry.tokenizer_file(), config.network.max_length)

    # -- data -------------------------------------------------------------
    def _dataset(self, rows: list[dict]):
        from credscore.training.data import to_dataset

        ds = to_dataset(rows)
        weight_of = {"manual": 1.0, "weak": self.config.weak_weight, "mapped": self.config.mapped_weight}
        annot = {(r["doc_id"], r["sent_index"]): r.get("annotator", "manual") for r in rows}
        weights = [weight_of.get(annot[(d, s)], 1.0) for d, s in zip(ds["doc_id"], ds["sent_index"])]
        ds = ds.add_column("weight", weights)
        tagged = document_has_mentions(rows)
        spans = {(r["doc_id"], r["sent_index"]): r.get("sources") or [] for r in rows}

        def tokenise(batch):
            pieces, offsets, _ = self.tokenizer.encode_pieces(batch["text"])
            tags = [encode_tags(o, spans[(d, i)]) if d in tagged else [IGNORE] * len(o)
                    for o, d, i in zip(offsets, batch["doc_id"], batch["sent_index"])]
            return {"pieces": pieces, "tags": tags}

        return ds.map(tokenise, batched=True, desc="tokenising")

    def _collate(self, ds, docs: list[list[int]], rng: random.Random | None = None) -> Batch:
        """Windows of each document piece of ``docs``: random training cuts with ``rng``, else the inference plan."""
        tok, net = self.tokenizer, self.config.network
        rows = ds.select([i for d in docs for i in d])
        pieces, tags = rows["pieces"], rows["tags"]
        inputs, window_tags, gather_rows, gather_slots, first = [], [], [], [], 0
        for doc in docs:
            lengths = [len(p) for p in pieces[first:first + len(doc)]]
            plan = (training_windows(lengths, net.window_tokens, rng) if rng is not None
                    else plan_windows(lengths, net.window_tokens, net.core_tokens))
            for piece, cores in document_windows(pieces[first:first + len(doc)], plan, tok.cls_token_id,
                                                 tok.sep_token_id, alone=net.reads_alone):
                token_tags = [IGNORE] * len(piece.ids)
                for core in cores:
                    a, b = core.token_span
                    token_tags[a:b] = tags[first + core.sentence]
                    gather_rows.append(len(inputs))
                    gather_slots.append(core.slot)
                inputs.append(piece)
                window_tags.append(token_tags)
            first += len(doc)
        ids, mask, pool = pad_windows(inputs, tok.pad_token_id)
        tag_targets = torch.full(ids.shape, IGNORE, dtype=torch.long)
        for b, token_tags in enumerate(window_tags):
            tag_targets[b, :len(token_tags)] = torch.tensor(token_tags, dtype=torch.long)
        return Batch(
            torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(pool),
            torch.tensor(gather_rows), torch.tensor(gather_slots), [len(d) for d in docs],
            {t: torch.tensor(rows[t]) for t in TASKS}, torch.tensor(rows["weight"], dtype=torch.float), tag_targets,
        )

    def _class_weights(self, ds) -> dict[str, torch.Tensor]:
        out = {}
        for task, labels in TASKS.items():
            y = np.array(ds[task])
            counts = np.array([(y == i).sum() for i in range(len(labels))], dtype=float)
            if not counts.sum():  # no row carries this label: its loss is zero anyway
                out[task] = torch.ones(len(labels))
                continue
            w = (1.0 / np.maximum(counts, 1.0)) ** self.config.class_weight_power
            out[task] = torch.tensor(w / (w * counts).sum() * counts.sum(), dtype=torch.float)
        return out

    # -- loop ---------------------------------------------------------------
    def _loss(self, logits, batch: Batch, class_weights) -> torch.Tensor:
        total = torch.zeros(())
        for name, task in TASK_REGISTRY.items():
            total = total + LOSSES.get(task.loss)(logits[name], batch.targets[name], batch.weights,
                                                  class_weights[name])
        tags = logits.get(MENTION_OUTPUT)
        if tags is not None and (batch.tags != IGNORE).any():
            total = total + self.config.mention_weight * torch.nn.functional.cross_entropy(
                tags.flatten(0, 1), batch.tags.flatten(), ignore_index=IGNORE)
        return total

    @staticmethod
    def _forward(network: CredscoreNetwork, batch: Batch) -> dict[str, torch.Tensor]:
        """Task logits of the batch's labelled sentences, and mention tag logits ``(B, T, 17)``.

        Windows are encoded in groups of similar length (:func:`length_groups`),
        each trimmed to its longest window: one padded tensor of short single
        sentences beside long ones would spend most of its time on padding.
        """
        lengths = batch.attention_mask.sum(1)
        features, tags = None, None
        for group in length_groups(lengths.tolist(), ENCODE_TOKENS):
            index = torch.tensor(group)
            width = int(lengths[index].max())
            rows = int((batch.pool[index, :, :width].sum(-1) > 0).sum(1).max())
            feats, group_tags = network.encode_windows(batch.input_ids[index, :width],
                                                       batch.attention_mask[index, :width],
                                                       batch.pool[index, :rows, :width])
            if features is None:
                features = feats.new_zeros(batch.pool.shape[0], batch.pool.shape[1], feats.shape[-1])
                if group_tags is not None:
                    tags = group_tags.new_zeros(*batch.input_ids.shape, group_tags.shape[-1])
            features = features.index_put((index,), torch.nn.functional.pad(
                feats, (0, 0, 0, features.shape[1] - rows)))
            if group_tags is not None:
                tags = tags.index_put((index,), torch.nn.functional.pad(
                    group_tags, (0, 0, 0, tags.shape[1] - width)))
        logits = network.classify(features[batch.rows, batch.slots], batch.doc_lengths)
        if tags is not None:
            logits[MENTION_OUTPUT] = tags
        return logits

    @torch.inference_mode()
    def evaluate_logits(self, network: CredscoreNetwork, ds) -> dict[str, torch.Tensor]:
        """Logits of every row of ``ds`` in dataset order (documents kept whole)."""
        network.eval()
        batches = make_batches(ds, 10_000, shuffle=False, rng=random.Random(0))
        out = {t: [] for t in TASKS}
        for docs in batches:
            for piece in [docs[i:i + 8] for i in range(0, len(docs), 8)]:
                logits = self._forward(network, self._collate(ds, piece))
                for t in TASKS:
                    out[t].append(logits[t])
        return {t: torch.cat(v) for t, v in out.items()}

    @staticmethod
    def metrics(logits: dict[str, torch.Tensor], ds) -> dict[str, dict[str, float]]:
        """Per task: macro-F1, accuracy and the number of labelled rows of ``ds`` under ``logits``."""
        out = {}
        for task, labels in TASKS.items():
            y = np.array(ds[task])
            keep = y >= 0
            pred = logits[task].argmax(1).numpy()[keep]
            out[task] = {"macro_f1": macro_f1(y[keep], pred, len(labels)) if keep.any() else 0.0,
                         "accuracy": float((pred == y[keep]).mean()) if keep.any() else 0.0,
                         "rows": int(keep.sum())}
        return out

    def dev_scores(self, network, ds) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
        logits = self.evaluate_logits(network, ds)
        return self.dev_scores_from(logits, ds), logits

    @staticmethod
    def dev_scores_from(logits: dict[str, torch.Tensor], ds) -> dict[str, float]:
        """Macro-F1 per task of ``logits`` against the labels of ``ds``."""
        scores = {}
        for task, labels in TASKS.items():
            y = np.array(ds[task])
            keep = y >= 0
            scores[task] = macro_f1(y[keep], logits[task].argmax(1).numpy()[keep], len(labels)) if keep.any() else 0.0
        return scores

    def fit(self, train_rows: list[dict], dev_rows: list[dict], output: Path,
            init_from: Path | None = None, resume: bool = False, meta: dict | None = None) -> dict:
        """Train, select the best epoch, calibrate, write ``output``; return the training report."""
        cfg = self.config
        if not train_rows:
            raise InputError("the training set is empty")
        if not dev_rows:
            raise InputError("the dev set is empty: pass --dev or a folder with a dev split")
        if cfg.epochs < 1:
            raise InputError(f"epochs must be at least 1, got {cfg.epochs}")
        ModelDirectory(output).check_output()  # before hours of training, not after
        torch.set_num_threads(cfg.threads)
        set_seed(cfg.seed)
        rng = random.Random(cfg.seed)
        train_ds, dev_ds = self._dataset(train_rows), self._dataset(dev_rows)
        for task, labels in TASKS.items():
            present = set(train_ds[task]) - {-1}
            if present and len(present) < len(labels):
                missing = [labels[i] for i in range(len(labels)) if i not in present]
                self.log(f"warning: training data has no {task} example of: {', '.join(missing)}")
        network = self._init_network(init_from)
        # Before any step: the parent's dev metrics (or a fresh network's), for the before/after summary.
        before = self.metrics(self.evaluate_logits(network, dev_ds), dev_ds) if self.measure_before else None
        class_weights = self._class_weights(train_ds)
        optimizer, scheduler, _ = self._optimizer(network, train_ds, rng)
        ckpt = Path(str(output) + ".checkpoint")
        fingerprint = run_fingerprint(train_rows, dev_rows, cfg, init_from)
        start_epoch, best, history, patience_left = 0, None, [], cfg.patience
        if resume:
            start_epoch, best, history, patience_left = self._load_checkpoint(
                ckpt, network, optimizer, scheduler, fingerprint)
        t0 = time.time()
        for epoch in range(start_epoch, cfg.epochs if patience_left > 0 else start_epoch):
            rng = random.Random(cfg.seed + epoch)
            loss = self._train_epoch(network, train_ds, optimizer, scheduler, class_weights, rng, epoch)
            scores, _ = self.dev_scores(network, dev_ds)
            mean = float(np.mean(list(scores.values())))
            history.append({"epoch": epoch + 1, "train_loss": loss, **{f"dev_macro_f1_{t}": s for t, s in scores.items()},
                            "dev_macro_f1_mean": mean})
            self.log(f"epoch {epoch + 1}: loss {loss:.4f}  dev macro-F1 "
                     + "  ".join(f"{t} {s:.3f}" for t, s in scores.items()))
            if best is None or mean > best["score"]:
                best = {"score": mean, "epoch": epoch + 1, "state": self._trainable_state(network)}
                patience_left = cfg.patience
            else:
                patience_left -= 1
            self._save_checkpoint(ckpt, network, optimizer, scheduler, epoch + 1, best, history,
                                  patience_left, fingerprint)
            if patience_left <= 0:
                self.log(f"early stop: no dev improvement for {cfg.patience} epochs")
                break
        network.load_state_dict(best["state"], strict=False)
        # Score (and calibrate) the weights as the model files hold them, not as trained: fp16 heads and int4
        # layer differences move logits slightly, and what the model card reports is what users load.
        ModelDirectory.round_to_saved(network, cfg.encoder)
        scores, logits = self.dev_scores(network, dev_ds)
        keep = ModelDirectory(init_from).temperatures() if init_from is not None else {t: 1.0 for t in TASKS}
        calibration = fit_calibration(logits, dev_ds, keep, TASKS, self.log)
        temperatures = calibration["temperatures"]
        report = {"best_epoch": best["epoch"], "dev_macro_f1": scores, "temperatures": temperatures,
                  "uncalibrated": calibration["uncalibrated"], "offsets": calibration["offset_report"],
                  "dev_before": before, "dev_after": self.metrics(logits, dev_ds),
                  "history": history, "train_seconds": round(time.time() - t0, 1),
                  "train_rows": len(train_rows), "dev_rows": len(dev_rows), "config": cfg.to_dict()}
        from credscore.training.model_card import render_model_card

        full_meta = dict(meta or {}, training=report)
        ModelDirectory(output).save(network, cfg.encoder, temperatures, full_meta, render_model_card(full_meta),
                                    offsets=calibration["offsets"])
        shutil.rmtree(ckpt, ignore_errors=True)
        return report

    # -- pieces ---------------------------------------------------------------
    def _init_network(self, init_from: Path | None) -> CredscoreNetwork:
        cfg = self.config
        if init_from is None:
            return build_network(cfg.network, cfg.encoder, seed=cfg.seed)
        from peft import set_peft_model_state_dict

        parent = ModelDirectory(init_from)
        saved = parent.config()
        if NetworkConfig.from_dict(saved["network"]) != cfg.network:
            self.log("note: using the network configuration of the model in --init-from")
            cfg.network = NetworkConfig.from_dict(saved["network"])
        cfg.encoder = parent.encoder_spec(saved)  # the parent's weights only fit the parent's encoder
        network = build_network(cfg.network, cfg.encoder, seed=cfg.seed, base_state=parent.read_full_encoder(saved))
        adapter, heads = parent.read_trainable_weights()
        if adapter is not None:
            set_peft_model_state_dict(network.encoder, adapter)
        network.load_state_dict(heads, strict=False)
        return network

    def _optimizer(self, network, train_ds, rng):
        from transformers import get_linear_schedule_with_warmup

        cfg = self.config
        encoder = [p for n, p in network.encoder.named_parameters() if p.requires_grad]
        rest = [p for n, p in network.named_parameters() if not n.startswith("encoder.")]
        encoder_lr = cfg.lora_lr if cfg.network.finetune == "lora" else cfg.encoder_lr
        optimizer = torch.optim.AdamW([{"params": encoder, "lr": encoder_lr}, {"params": rest, "lr": cfg.lr}],
                                      weight_decay=cfg.weight_decay)
        steps = len(make_batches(train_ds, cfg.max_batch_sentences, False, rng))
        total = steps * cfg.epochs
        warmup = math.ceil(total * cfg.warmup_ratio) if total >= cfg.min_warmup_steps else 0
        scheduler = get_linear_schedule_with_warmup(optimizer, warmup, total)
        return optimizer, scheduler, steps

    def _train_epoch(self, network, ds, optimizer, scheduler, class_weights, rng, epoch) -> float:
        from tqdm.auto import tqdm

        network.train()
        batches = make_batches(ds, self.config.max_batch_sentences, shuffle=True, rng=rng)
        running, bar = None, tqdm(batches, desc=f"epoch {epoch + 1}/{self.config.epochs}", unit="batch",
                                   leave=False, dynamic_ncols=True)
        for docs in bar:
            batch = self._collate(ds, docs, rng)
            logits = self._forward(network, batch)
            loss = self._loss(logits, batch, class_weights)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in network.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            scheduler.step()
            running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
            bar.set_postfix(loss=f"{running:.4f}")
        bar.close()
        return float(running or 0.0)

    @staticmethod
    def _trainable_state(network) -> dict[str, torch.Tensor]:
        names = {n for n, p in network.named_parameters() if p.requires_grad}
        return {k: v.detach().clone() for k, v in network.state_dict().items() if k in names}

    def _save_checkpoint(self, ckpt: Path, network, optimizer, scheduler, epoch, best, history,
                         patience_left: int, fingerprint: str) -> None:
        """Weights, best weights, optimizer state and random states as safetensors; the rest as JSON."""
        from safetensors.torch import save_file

        from credscore.atomic import atomic_directory

        opt = optimizer.state_dict()
        tensors = {f"{index}.{key}": value.detach().clone().contiguous() if value.dim() else value.reshape(1)
                   for index, state in opt["state"].items() for key, value in state.items()
                   if isinstance(value, torch.Tensor)}
        rng_tensors, rng_data = random_states()
        with atomic_directory(ckpt) as tmp:
            save_file(self._trainable_state(network), str(tmp / "current.safetensors"))
            save_file({k: v.contiguous() for k, v in best["state"].items()}, str(tmp / "best.safetensors"))
            save_file(tensors, str(tmp / "optimizer.safetensors"))
            save_file(rng_tensors, str(tmp / "random.safetensors"))
            (tmp / "state.json").write_text(json.dumps({
                "fingerprint": fingerprint, "epoch": epoch, "best_epoch": best["epoch"], "best_score": best["score"],
                "history": history, "patience_left": patience_left, "param_groups": opt["param_groups"],
                "scalar_state": sorted(k for k, v in tensors.items() if v.dim() == 1 and v.numel() == 1
                                       and k.endswith(".step")),
                "scheduler": scheduler.state_dict(), "random": rng_data, "config": self.config.to_dict(),
            }, default=str))

    def _load_checkpoint(self, ckpt: Path, network, optimizer, scheduler, fingerprint: str):
        """Restore everything :meth:`_save_checkpoint` wrote; (epoch, best, history, patience_left).

        Refuses (:class:`InputError`) a checkpoint whose data, labels or settings differ from this run's.
        """
        from credscore.model_dir import read_json, read_safetensors

        if not (ckpt / "state.json").exists():
            self.log(f"no checkpoint at {ckpt}: starting from scratch")
            return 0, None, [], self.config.patience
        state = read_json(ckpt / "state.json")
        if not isinstance(state, dict) or state.get("fingerprint") != fingerprint:
            raise InputError(f"{ckpt}: checkpoint was made with other data, labels or settings (or an older "
                             "credscore); resume with the same ones, or delete it to start afresh")
        network.load_state_dict(read_safetensors(ckpt / "current.safetensors"), strict=False)
        moments = read_safetensors(ckpt / "optimizer.safetensors")
        per_param: dict[int, dict] = {}
        for key, value in moments.items():
            index, name = key.split(".", 1)
            per_param.setdefault(int(index), {})[name] = value.reshape(()) if key in state["scalar_state"] else value
        optimizer.load_state_dict({"state": per_param, "param_groups": state["param_groups"]})
        scheduler.load_state_dict(state["scheduler"])
        restore_random_states(read_safetensors(ckpt / "random.safetensors"), state["random"])
        best = {"score": state["best_score"], "epoch": state["best_epoch"],
                "state": read_safetensors(ckpt / "best.safetensors")}
        self.log(f"resuming after epoch {state['epoch']}")
        return state["epoch"], best, state["history"], state["patience_left"]
