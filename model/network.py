"""The credscore network: a MiniLM encoder reading joint windows, a source-mention head, two sentence heads.

Shapes: the encoder reads ``B`` windows of ``T`` tokens, each holding ``S``
consecutive sentences of one document (:mod:`credscore.windows`), and returns

* sentence features ``(B, S, F)``: each sentence's mean-pooled token states
  (through the pooling matrix ``(B, S, T)``), followed, with
  ``mention_pool``, by the mean of its token states weighted by the mention
  head's probability that the token belongs to a source mention: the sentence
  heads read *who* the sentence names, not only what it says;
* mention tag logits ``(B, T, 17)`` (:data:`credscore.mentions.MENTION_TAGS`).

The labelled sentences of a batch are then gathered in document order, ``N``
sentences of ``D`` documents with ``doc_lengths`` (``D`` ints summing to
``N``); a context layer mixes each vector with its document neighbours; the
heads map the result to logits ``(N, 5)`` for attribution and ``(N, 3)`` for
hedging.

``window_tokens == 0`` reads each sentence alone, mean-pooled over all its
tokens: the first credscore network (sentence alone + BiGRU), still loaded
for models saved before windows existed (their config lacks the new fields,
see :data:`LEGACY_DEFAULTS`).

Context modes (``NetworkConfig.context``):

* ``"none"``: the sentence alone.
* ``"neighbours"``: ``[e_i, e_{i-1}, e_{i+1}]`` concatenated (a learned
  vector stands in for a missing neighbour).
* ``"bigru"``: ``[e_i, GRU_fwd(e_0..e_i), GRU_bwd(e_i..e_n)]``, a
  bidirectional GRU over the document's sentence vectors: a light
  sentence-level layer over the whole document.

The encoder is fine-tuned with LoRA adapters (``peft``, the default; only
the adapters are saved) or in its layers (``finetune="layers"``: every
weight but the embeddings; saved as fp16 differences from the pinned base),
see :func:`credscore.encoders.make_trainable` and :mod:`credscore.model_dir`.

Each task of :data:`credscore.tasks.TASK_REGISTRY` names its head
architecture (:data:`HEADS`) and its loss (:data:`LOSSES`): the network
builds one head per task and the trainer sums one loss per task.
"""

from __future__ import annotations

import torch
from torch import nn

from credscore.network_config import CONTEXT_MODES, LEGACY_DEFAULTS, NetworkConfig  # noqa: F401  (re-exported)
from credscore.registry import Registry
from credscore.tasks import TASK_REGISTRY, TASKS


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
    """Window encoder + mention head + document context + one classification head per task."""

    def __init__(self, encoder: nn.Module, config: NetworkConfig):
        super().__init__()
        from credscore.mentions import MENTION_TAGS

        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.mention = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(hidden, len(MENTION_TAGS))) \
            if config.mention_head else None
        self.feature_dim = hidden * (2 if config.mention_head and config.mention_pool else 1)
        self.context = DocumentContext(self.feature_dim, config)
        self.heads = nn.ModuleDict({
            name: HEADS.get(task.head)(self.context.out_dim, len(task.labels), config)
            for name, task in TASK_REGISTRY.items()
        })

    def encode_windows(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                       pool: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Sentence features ``(B, S, F)`` and mention tag logits ``(B, T, 17)`` (``None`` without a mention head).

        ``input_ids``/``attention_mask``: ``(B, T)``; ``pool``: ``(B, S, T)``, each row the
        averaging weights of one sentence's tokens (zero rows for padding sentences).
        """
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        sentences = torch.matmul(pool, hidden)
        if self.mention is None:
            return sentences, None
        tags = self.mention(hidden)
        if self.config.mention_pool:
            in_mention = 1.0 - torch.softmax(tags, -1)[..., 0]  # (B, T): P(token is part of a mention)
            weights = (pool > 0).to(hidden.dtype) * in_mention.unsqueeze(1)
            named = torch.matmul(weights, hidden) / (weights.sum(-1, keepdim=True) + 1e-3)
            sentences = torch.cat([sentences, named], -1)
        return sentences, tags

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
        """Logits per task for ``N`` single-sentence rows ``(N, T)``, each pooled over its own mask."""
        mask = attention_mask.to(torch.float32)
        pool = (mask / mask.sum(1, keepdim=True).clamp(min=1.0)).unsqueeze(1)
        features, _ = self.encode_windows(input_ids, attention_mask, pool)
        return self.classify(features[:, 0], doc_lengths)

    def head_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights of everything but the encoder (context layer and heads)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("encoder.")}


def build_network(config: NetworkConfig, spec, seed: int = 0, base_state: dict | None = None) -> CredscoreNetwork:
    """A fresh trainable network for :class:`~credscore.encoders.EncoderSpec` ``spec``: base encoder made
    trainable by ``config.finetune`` (LoRA or its layers) + new heads.

    ``base_state``: weights of the whole base encoder to start from (a saved
    model whose encoder entry saves ``"full"`` weights, or whose layers were
    fine-tuned), loaded before LoRA is added.
    """
    from credscore.encoders import build_base_encoder, make_trainable

    base = build_base_encoder(spec, seed)
    if base_state is not None:
        base.load_state_dict(base_state)
    for module in base.modules():  # attention dropout is read from each attention module at run time
        if type(module).__name__.endswith("SelfAttention") and isinstance(getattr(module, "dropout", None), nn.Dropout):
            module.dropout.p = config.attention_dropout
    encoder = make_trainable(base, config, spec)
    torch.manual_seed(seed)
    return CredscoreNetwork(encoder, config)
