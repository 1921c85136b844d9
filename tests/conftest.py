"""Shared fixtures: tiny randomly initialised models built in the test session."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from credscore.tasks import ATTRIBUTION_LABELS, HEDGING_LABELS
from credscore.network import NetworkConfig
from credscore.encoders import EncoderSpec

ROOT = Path(__file__).resolve().parent.parent

TINY_BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                 vocab_size=30522, max_position_embeddings=128)


def tiny_train_config(**overrides):
    from credscore.training.train import TrainConfig

    cfg = TrainConfig(epochs=2, patience=5, max_batch_sentences=16, seed=3,
                      encoder=EncoderSpec(kind="random", bert_config=TINY_BERT),
                      # LoRA, as shipped; tests/test_layer_finetuning.py covers fine-tuning the layers
                      network=NetworkConfig(finetune="lora", lora_r=4, lora_alpha=8, head_hidden=16, context_hidden=8,
                                            lora_layers=None, max_length=48, window_tokens=96, core_tokens=48))
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


def make_rows(n_docs: int = 8, n_sents: int = 5, seed: int = 0) -> list[dict]:
    """Synthetic labelled rows whose labels follow their words (learnable)."""
    rng = random.Random(seed)
    cue = {"unattributed": "The bridge opened", "direct_claim": "Jane Doe said", "official_statement":
           "The ministry said", "anonymous_source": "A source said", "agency": "Reuters reported"}
    hedge = {"none": "it rained", "low": "it reportedly rained", "high": "it may have rained"}
    rows = []
    for d in range(n_docs):
        for s in range(n_sents):
            a, h = rng.choice(ATTRIBUTION_LABELS), rng.choice(HEDGING_LABELS)
            rows.append({"doc_id": f"doc{d}", "sent_index": s, "text": f"{cue[a]} that {hedge[h]} on day {s}.",
                         "attribution": a, "hedging": h, "annotator": "manual", "source": "synthetic"})
    return rows


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny model trained for two epochs on synthetic rows (seconds)."""
    from credscore.training.train import Trainer

    out = tmp_path_factory.mktemp("models") / "tiny"
    rows = make_rows(10, 5)
    Trainer(tiny_train_config(), log=lambda *a: None).fit(rows[:40], rows[40:], out, meta={"name": "tiny-test"})
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from credscore.api import load_model

    return load_model(tiny_model_dir, backend="torch")
