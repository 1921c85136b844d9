"""Context ablation: does reading a sentence's neighbours help, and which way?

A cheap, controlled probe: an encoder is frozen (the pretrained MiniLM, or
with ``--model`` the fine-tuned encoder of a credscore model), sentence
vectors are computed once, and only a fresh context layer + heads are trained
for each context mode (``none``, ``neighbours``, ``bigru``) over several
seeds. Differences between modes are then due to context alone.

    python -m credscore.eval.context_ablation --seeds 3 --output eval/reports/context_ablation.json
    python -m credscore.eval.context_ablation --model model/weights --epochs 15 --output eval/reports/context_ablation_finetuned.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from credscore.eval.metrics import macro_f1
from credscore.tasks import TASKS
from credscore.network import CONTEXT_MODES, DocumentContext, NetworkConfig
from credscore.encoders import EncoderSpec, build_base_encoder
from credscore.predictor import Predictor
from credscore.data_format import group_documents
from credscore.training.data import load_rows


class _Probe(nn.Module):
    def __init__(self, hidden: int, config: NetworkConfig):
        super().__init__()
        self.context = DocumentContext(hidden, config)
        self.heads = nn.ModuleDict({t: nn.Sequential(nn.Dropout(0.1), nn.Linear(self.context.out_dim, 256), nn.GELU(),
                                                     nn.Linear(256, len(l))) for t, l in TASKS.items()})

    def forward(self, emb, lengths):
        ctx = self.context(emb, lengths)
        return {t: h(ctx) for t, h in self.heads.items()}


def embed_split(predictor: Predictor, rows: list[dict]):
    docs = group_documents(rows)
    emb, _ = predictor.embed([r["text"] for d in docs for r in d])
    emb = torch.from_numpy(emb)
    targets = {t: torch.tensor([TASKS[t].index(r[t]) if r.get(t) else -1 for d in docs for r in d]) for t in TASKS}
    return emb, [len(d) for d in docs], targets


def _doc_batches(lengths, rng, max_sents=64):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batch, size = [], 0
    for i in order:
        batch.append(i)
        size += lengths[i]
        if size >= max_sents:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def train_probe(mode, train, dev, seed, epochs):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    emb, lengths, targets = train
    starts = np.cumsum([0] + lengths[:-1])
    probe = _Probe(emb.shape[1], NetworkConfig(context=mode))
    opt = torch.optim.AdamW(probe.parameters(), lr=1e-3, weight_decay=0.01)
    weights = {}
    for t, labels in TASKS.items():
        y = targets[t][targets[t] >= 0]
        counts = torch.bincount(y, minlength=len(labels)).float().clamp(min=1)
        weights[t] = (1 / counts) ** 0.5
    best, best_state = -1, None
    for _ in range(epochs):
        probe.train()
        for b in _doc_batches(lengths, rng):
            idx = torch.cat([torch.arange(starts[i], starts[i] + lengths[i]) for i in b])
            out = probe(emb[idx], [lengths[i] for i in b])
            loss = sum(nn.functional.cross_entropy(out[t], targets[t][idx], weight=weights[t], ignore_index=-1)
                       for t in TASKS)
            opt.zero_grad()
            loss.backward()
            opt.step()
        score = np.mean(list(evaluate(probe, dev).values()))
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in probe.state_dict().items()}
    probe.load_state_dict(best_state)
    return probe


@torch.no_grad()
def evaluate(probe, split) -> dict[str, float]:
    probe.eval()
    emb, lengths, targets = split
    out = probe(emb, lengths)
    res = {}
    for t, labels in TASKS.items():
        keep = targets[t] >= 0
        res[t] = macro_f1(targets[t][keep].numpy(), out[t].argmax(1)[keep].numpy(), len(labels))
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description="frozen-encoder context ablation")
    parser.add_argument("--train", default="seeds/train.jsonl")
    parser.add_argument("--dev", default="seeds/dev.jsonl")
    parser.add_argument("--test", default="seeds/test.jsonl")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("eval/reports/context_ablation.json"))
    parser.add_argument("--model", type=Path, default=None, help="use this model's fine-tuned encoder")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--modes", nargs="+", default=list(CONTEXT_MODES))
    args = parser.parse_args()
    torch.set_num_threads(2)
    from credscore.network import CredscoreNetwork

    if args.model:
        from credscore.model_dir import ModelDirectory

        network = ModelDirectory(args.model).load_network().network
    else:
        network = CredscoreNetwork(build_base_encoder(EncoderSpec()), NetworkConfig(context="none")).eval()
    from credscore.tokenization import SentenceTokenizer
    from credscore.backends.pytorch import TorchBackend

    predictor = Predictor(TorchBackend(network), SentenceTokenizer(max_length=network.config.max_length))
    splits = {name: embed_split(predictor, load_rows([path])) for name, path in
              (("train", args.train), ("dev", args.dev), ("test", args.test))}
    results = {"encoder": str(args.model or "pretrained MiniLM (frozen)"), "epochs": args.epochs}
    for mode in args.modes:
        runs = []
        for seed in range(args.seeds):
            probe = train_probe(mode, splits["train"], splits["dev"], seed, args.epochs)
            runs.append({"seed": seed, "dev": evaluate(probe, splits["dev"]), "test": evaluate(probe, splits["test"])})
        summary = {f"{split}_{t}": (float(np.mean([r[split][t] for r in runs])), float(np.std([r[split][t] for r in runs])))
                   for split in ("dev", "test") for t in TASKS}
        results[mode] = {"runs": runs, "mean_std": summary}
        print(mode, {k: f"{m:.3f}±{s:.3f}" for k, (m, s) in summary.items()}, flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
