"""The network's hyper-parameters, saved as JSON with every model (no torch: the ONNX path reads them too)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

CONTEXT_MODES = ("none", "neighbours", "bigru")
#: What training changes in the encoder: LoRA adapters on every layer, or the transformer layers themselves
#: (full fine-tuning with the word-piece embeddings frozen; see :func:`credscore.encoders.make_trainable`).
FINETUNE_MODES = ("lora", "layers")
#: Bits of each stored difference of a fine-tuned layer: 16 (fp16) or 4 (int4 in groups, :mod:`credscore.weight_storage`).
DELTA_BITS = (16, 4)


@dataclass
class NetworkConfig:
    """Hyper-parameters of the network (saved as JSON with every model)."""

    context: str = "bigru"
    max_length: int = 128  # tokens per sentence; longer ones are truncated
    head_hidden: int = 256
    context_hidden: int = 192  # per direction, bigru mode
    dropout: float = 0.1
    # "layers" trains better hedging and mentions than adapters at the same budget (docs/model-design.md,
    # "Full fine-tuning"); its differences from the base, in int4, keep the model under 10 MB.
    finetune: str = "layers"
    # int4 differences (5.7 MB for MiniLM) moved dev and test macro-F1 by tenths of a point against fp16 (21 MB).
    delta_bits: int = 4
    lora_r: int = 16
    lora_alpha: int = 32
    # No dropout on the adapters' inputs: on 2 CPU cores its random masks (aten::bernoulli_) took a third of a
    # training step; without it a step is 1.54x faster (eval/reports/train-step-bench.json), paid into more epochs.
    lora_dropout: float = 0.0
    lora_targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "dense"])
    # Adapters only in the top layers: gradients then stop there, which makes a
    # training step on 2 CPU cores ~1.8x faster than adapting all 6 layers.
    lora_layers: list[int] | None = None  # None: every layer
    # Tokens of a joint window; 0 reads each sentence alone. 0 won the design comparison on CPU budgets
    # (eval/reports/design-comparison.json): windows learned more slowly in the same number of steps.
    window_tokens: int = 0
    core_tokens: int = 160  # tokens of the sentences labelled from one window (the rest is context)
    # Dropout on attention probabilities in training. 0 lets PyTorch's fused attention run: with it a
    # training step on a 380-token window took 3.4x longer on 2 CPU cores (measured on the forward pass).
    attention_dropout: float = 0.0
    mention_head: bool = True
    mention_pool: bool = True

    def __post_init__(self):
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"context must be one of {CONTEXT_MODES}, got {self.context!r}")
        if self.finetune not in FINETUNE_MODES:
            raise ValueError(f"finetune must be one of {FINETUNE_MODES}, got {self.finetune!r}")
        if self.delta_bits not in DELTA_BITS:
            raise ValueError(f"delta_bits must be one of {DELTA_BITS}, got {self.delta_bits!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def reads_alone(self) -> bool:
        return self.window_tokens <= 0

    @classmethod
    def from_dict(cls, data: dict) -> "NetworkConfig":
        """From saved JSON; fields a model saved before they existed take :data:`LEGACY_DEFAULTS`."""
        known = {k: v for k, v in {**LEGACY_DEFAULTS, **data}.items() if k in cls.__dataclass_fields__}
        return cls(**known)


#: What a saved config without these fields meant: the first network (sentence alone, no mention head).
LEGACY_DEFAULTS = {"finetune": "lora", "delta_bits": 16, "window_tokens": 0, "mention_head": False, "mention_pool": False, "lora_layers": [2, 3, 4, 5],
                   "attention_dropout": 0.1}
