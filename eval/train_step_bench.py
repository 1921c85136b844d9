"""Training-step benchmark: seconds per optimiser step of the shipped recipe against its variants.

Why it exists: a profile of a training step on 2 CPU cores showed the random
masks of dropout (``aten::bernoulli_``) taking about a third of the step,
most of them on the inputs of the LoRA adapters (one mask per adapted linear
layer, on 1,536-wide inputs for the feed-forward layers).  The shipped
recipe therefore trains the adapters without input dropout
(``NetworkConfig.lora_dropout = 0``); this measures what that buys, and
what fine-tuning the encoder's layers themselves (``finetune = "layers"``,
every weight but the embeddings) costs a step against adapters.

Both variants train the same batches of real training documents (whole
documents, up to 32 sentences a step, as :class:`credscore.training.train.Trainer`
does), stepped in turn so a slow spell of the machine hits both; the report
gives each variant's median seconds per step after ``--warmup`` steps, their
ratio and the machine (CPU flags included).

    python -m credscore.eval.train_step_bench --output eval/reports/train-step-bench.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from credscore.atomic import atomic_output

#: Network settings of each variant; ratios are taken against :data:`BASELINE`, the shipped recipe.
VARIANTS = {"adapters, dropout 0.1": {"finetune": "lora", "lora_dropout": 0.1},
            "adapters, no dropout": {"finetune": "lora", "lora_dropout": 0.0},
            "layers fine-tuned": {"finetune": "layers", "lora_dropout": 0.0}}
BASELINE = "adapters, no dropout"


def _stepper(network: dict, rows: list[dict], steps: int, seed: int):
    """A closure running one training step of batch ``i``: the Trainer's own collate, forward, loss and update."""
    import torch

    from credscore.network import build_network
    from credscore.training.train import Trainer, TrainConfig, make_batches

    config = TrainConfig(seed=seed)
    for key, value in network.items():
        setattr(config.network, key, value)
    trainer = Trainer(config, log=lambda *_: None, measure_before=False)
    ds = trainer._dataset(rows)
    network = build_network(config.network, config.encoder, seed=seed)
    network.train()
    class_weights = trainer._class_weights(ds)
    encoder_lr = config.encoder_lr if config.network.finetune == "layers" else config.lora_lr
    optimizer = torch.optim.AdamW([p for p in network.parameters() if p.requires_grad], lr=encoder_lr)
    batches = make_batches(ds, config.max_batch_sentences, shuffle=True, rng=random.Random(seed))[:steps]

    def step(i: int) -> float:
        start = time.perf_counter()
        batch = trainer._collate(ds, batches[i], random.Random(i))
        loss = trainer._loss(trainer._forward(network, batch), batch, class_weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    return step, len(batches)


def run(train: Path, n_rows: int, steps: int, warmup: int, threads: int, seed: int = 13,
        variants: list[str] | None = None) -> dict:
    """Median seconds per step per variant (see the module docstring), and each one's ratio to :data:`BASELINE`."""
    variants = list(dict.fromkeys([BASELINE, *(variants or VARIANTS)]))
    import torch

    from credscore.eval.bench import machine
    from credscore.training.data import load_rows

    torch.set_num_threads(threads)
    rows = load_rows([train])[:n_rows]
    steppers = {name: _stepper(VARIANTS[name], rows, steps, seed) for name in variants}
    n = min(count for _, count in steppers.values())
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(n):
        for name, (step, _) in steppers.items():
            seconds = step(i)
            if i >= warmup:
                times[name].append(seconds)
    medians = {name: statistics.median(t) for name, t in times.items()}
    return {"seconds_per_step": {k: round(v, 4) for k, v in medians.items()},
            "ratio_to_baseline": {k: round(v / medians[BASELINE], 2) for k, v in medians.items()},
            "steps_timed": n - warmup, "rows": len(rows), "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=Path("seeds/train.jsonl"))
    parser.add_argument("--rows", type=int, default=1500, help="first rows of --train (whole documents)")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), help="default: all")
    parser.add_argument("--output", type=Path, default=Path("eval/reports/train-step-bench.json"))
    args = parser.parse_args()
    result = run(args.train, args.rows, args.steps, args.warmup, args.threads, variants=args.variants)
    with atomic_output(args.output) as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}))


if __name__ == "__main__":
    main()
