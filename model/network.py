"""The credscore network: a MiniLM sentence encoder shared by two heads.

Shapes: a batch holds ``N`` sentences of ``D`` documents, in document order
(sentence 0..n_0-1 of document 0, then document 1, ...), with
``doc_lengths`` (``D`` ints summing to ``N``).  The encoder turns each
sentence into one ``H``-dim vector (mean pooling over tokens, as
all-MiniLM-L6-v2 was trained); a context layer mixes each vector with its
document neighbours; the heads map the result to logits ``(N, 5)`` for
attribution and ``(N, 3)`` for hedging.

Context modes (``NetworkConfig.context``):

* ``"none"``: the sentence alone.
* ``"neighbours"``: ``[e_i, e_{i-1}, e_{i+1}]`` concatenated (a learned
  vector stands in for a missing neighbour).  Costs no extra encoder pass:
  the neighbours' embeddings are computed for their own labels anyway.
* ``"bigru"``: ``[e_i, GRU_fwd(e_0..e_i), GRU_bwd(e_i..e_n)]``, a
  bidirectional GRU over the document's sentence vectors, so a quote's
  speaker named three sentences earlier can still reach the label.

The encoder is fine-tuned with LoRA adapters (``peft``); only adapters,
heads and context layer are saved (see :mod:`credscore.model_dir`).

Each task of :data:`credscore.tasks.TASK_REGISTRY` names its head
architecture (:data:`HEADS`) and its loss (:data:`LOSSES`): the network
builds one head per task and the trainer sums one loss per task.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from credscore.registry import Registry
from credscore.tasks import TASK_REGISTRY, TASKS

CONTEXT_MODES = ("none", "neighbours", "bigru")

#: Head architectures: ``build(in_dim, n_labels, config) -> nn.Module`` mapping ``(N, in_dim)`` to logits.
HEADS: Registry = Registry("head")
#: Losses: ``loss(logits (N, C), targets (N,), row_weights (N,), class_weights (C,)) -> scalar``;
#: rows with target -1 carry no label for that task and must be ignored.
LOSSES: Registry = Registry("loss")


@HEADS.register("mlp")
def mlp_head(in_dim: int, n_labels: int, config: "NetworkConfig") -> nn.Module:
    """Dropout, a GELU hidden layer of ``config.head_hidden`` units, dropout, linear to the labels."""
    return nn.Sequential(
        nn.Dropout(config.dropout),
        nn.Linear(in_dim, config.head_hidden),
        nn.GELU(),
        nn.Dropout(config.dropout),
        nn.Linear(config.head_hidden, n_labels),
    )


@LOSSES.register("weighted_cross_entropy")
def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor, row_weights: torch.Tensor,
                           class_weights: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with per-class and per-row weights, normalised by the weights' sum (0 if no row is labelled)."""
    keep = target >= 0
    if not keep.any():
        return logits.sum() * 0.0
    ce = nn.functional.cross_entropy(logits[keep], target[keep], weight=class_weights, reduction="none")
    w = row_weights[keep] * class_weights[target[keep]]
    return (ce * row_weights[keep]).sum() / w.sum()


@dataclass
class NetworkConfig:
    """Hyper-parameters of the network (saved as JSON with every model)."""

    context: str = "bigru"
    max_length: int = 128  # tokens per sentence; longer ones are truncated
    head_hidden: int = 256
    context_hidden: int = 192  # per direction, bigru mode
    dropout: float = 0.1
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "dense"])
    # Adapters only in the top layers: gradients then stop there, which makes a
    # training step on 2 CPU cores ~1.8x faster than adapting all 6 layers.
    lora_layers: list[int] | None = field(default_factory=lambda: [2, 3, 4, 5])

    def __post_init__(self):
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"context must be one of {CONTEXT_MODES}, got {self.context!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "NetworkConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of token vectors ``(N, T, H)`` over real tokens -> ``(N, H)``."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class DocumentContext(nn.Module):
    """Mixes sentence vectors with their document neighbours (see module doc)."""

    def __init__(self, hidden: int, config: NetworkConfig):
        super().__init__()
        self.mode = config.context
        if self.mode == "neighbours":
            self.missing = nn.Parameter(torch.zeros(hidden))
            self.out_dim = 3 * hidden
        elif self.mode == "bigru":
            self.gru = nn.GRU(hidden, config.context_hidden, batch_first=True, bidirectional=True)
            self.out_dim = hidden + 2 * config.context_hidden
        else:
            self.out_dim = hidden

    def forward(self, emb: torch.Tensor, doc_lengths: list[int]) -> torch.Tensor:
        if self.mode == "none":
            return emb
        if self.mode == "neighbours":
            return self._neighbours(emb, doc_lengths)
        return self._bigru(emb, doc_lengths)

    def forward_document(self, emb: torch.Tensor) -> torch.Tensor:
        """Context of one document's vectors ``(n, H)``: equal to ``forward(emb, [n])``.

        Written with traceable tensor operations only (no Python lists of
        lengths, no packed sequences), so it can be exported to ONNX with a
        dynamic ``n``.
        """
        if self.mode == "none":
            return emb
        if self.mode == "neighbours":
            missing = self.missing.unsqueeze(0)
            prev = torch.cat([missing, emb[:-1]], 0)
            nxt = torch.cat([emb[1:], missing], 0)
            return torch.cat([emb, prev, nxt], 1)
        out, _ = self.gru(emb.unsqueeze(0))
        return torch.cat([emb, out[0]], 1)

    def _neighbours(self, emb: torch.Tensor, doc_lengths: list[int]) -> torch.Tensor:
        n = emb.shape[0]
        starts = torch.zeros(n, dtype=torch.bool, device=emb.device)
        ends = torch.zeros(n, dtype=torch.bool, device=emb.device)
        pos = 0
        for length in doc_lengths:
            starts[pos] = True
            ends[pos + length - 1] = True
            pos += length
        prev = torch.roll(emb, 1, 0)
        nxt = torch.roll(emb, -1, 0)
        prev = torch.where(starts.unsqueeze(1), self.missing.expand_as(emb), prev)
        nxt = torch.where(ends.unsqueeze(1), self.missing.expand_as(emb), nxt)
        return torch.cat([emb, prev, nxt], dim=1)

    def _bigru(self, emb: torch.Tensor, doc_lengths: list[int]) -> torch.Tensor:
        docs = list(torch.split(emb, doc_lengths))
        padded = nn.utils.rnn.pad_sequence(docs, batch_first=True)
        packed = nn.utils.rnn.pack_padded_sequence(
            padded, torch.tensor(doc_lengths), batch_first=True, enforce_sorted=False
        )
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=padded.shape[1])
        mixed = torch.cat([out[i, :length] for i, length in enumerate(doc_lengths)])
        return torch.cat([emb, mixed], dim=1)


class CredscoreNetwork(nn.Module):
    """Encoder + document context + one classification head per task."""

    def __init__(self, encoder: nn.Module, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.context = DocumentContext(hidden, config)
        self.heads = nn.ModuleDict({
            name: HEADS.get(task.head)(self.context.out_dim, len(task.labels), config)
            for name, task in TASK_REGISTRY.items()
        })

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Sentence vectors ``(N, H)`` from token ids ``(N, T)``."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return mean_pool(out.last_hidden_state, attention_mask)

    def classify(self, emb: torch.Tensor, doc_lengths: list[int]) -> dict[str, torch.Tensor]:
        """Logits per task from sentence vectors in document order."""
        ctx = self.context(emb, doc_lengths)
        return {task: head(ctx) for task, head in self.heads.items()}

    def classify_document(self, emb: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Logits per task, in :data:`credscore.tasks.TASKS` order, for one document ``(n, H)``.

        The traceable twin of ``classify(emb, [n])`` used for ONNX export.
        """
        ctx = self.context.forward_document(emb)
        return tuple(self.heads[task](ctx) for task in TASKS)

    def forward(self, input_ids, attention_mask, doc_lengths: list[int]) -> dict[str, torch.Tensor]:
        return self.classify(self.embed(input_ids, attention_mask), doc_lengths)

    def head_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights of everything but the encoder (context layer and heads)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("encoder.")}


def build_network(config: NetworkConfig, spec, seed: int = 0, base_state: dict | None = None) -> CredscoreNetwork:
    """A fresh trainable network for :class:`~credscore.encoders.EncoderSpec` ``spec``: base encoder + LoRA + new heads.

    ``base_state``: weights of the whole base encoder to start from (a saved
    model whose encoder entry saves ``"full"`` weights), loaded before LoRA is added.
    """
    from credscore.encoders import add_lora, build_base_encoder

    base = build_base_encoder(spec, seed)
    if base_state is not None:
        base.load_state_dict(base_state)
    encoder = add_lora(base, config, spec)
    torch.manual_seed(seed)
    return CredscoreNetwork(encoder, config)
