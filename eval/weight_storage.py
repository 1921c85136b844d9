"""What storing a layers model's differences in fewer bits costs in accuracy.

    python -m credscore.eval.weight_storage runs/v6_e3_seed13 runs/v6/sentence+bigru-seed29-f1 \
        runs/v6/sentence+bigru-seed47-f1 --output eval/reports/weight-storage.json

Each model directory must hold fp16 layer differences (``delta_bits`` 16, as
``--finetune layers`` saved them in models 0.6.0).  Every storage variant of
:data:`VARIANTS` rewrites a copy of it (heads in fp16 for all but the
reference) and the copy is evaluated with fp32 PyTorch on corpus v2's dev and
test splits: macro-F1 per head, and the size of the weight files.  The
calibration of the original run is kept, so only the weights differ.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from credscore.atomic import atomic_output
from credscore.eval.report import SPLITS, evaluate_probs, predict_rows
from credscore.model_dir import ModelDirectory
from credscore.tasks import TASKS
from credscore.training.data import load_rows
from credscore.weight_storage import decode_delta, encode_delta


def _low_rank(rank: int):
    """Truncated SVD of each difference matrix, stored as its fp16 product (the size is that of its factors)."""
    def store(delta: dict) -> tuple[dict, int]:
        out, size = {}, 0
        for key, value in delta.items():
            if value.dim() == 2:
                u, s, vh = torch.linalg.svd(value, full_matrices=False)
                a, b = (u[:, :rank] * s[:rank]).half(), vh[:rank].half()
                out[key], size = (a.float() @ b.float()).half(), size + 2 * (a.numel() + b.numel())
            else:
                out[key], size = value.half(), size + 2 * value.numel()
        return out, size
    return store


def _nbytes(tensors: dict) -> int:
    return sum(v.numel() * v.element_size() for v in tensors.values())


def _bits(bits: int):
    def store(delta: dict) -> tuple[dict, int]:
        saved = encode_delta(delta, bits)
        return saved, _nbytes(saved)
    return store


#: name -> (store(delta) -> (tensors to save, bytes they take), config delta_bits, fp16 heads)
VARIANTS = {"fp16 (reference)": (_bits(16), 16, False), "fp16, fp16 heads": (_bits(16), 16, True),
            "int4 g64, fp16 heads": (_bits(4), 4, True), "low rank 64, fp16 heads": (_low_rank(64), 16, True)}


def _variant(src: Path, dst: Path, store, bits: int, half_heads: bool) -> int:
    """Copy ``src`` to ``dst`` with its differences stored by ``store``; returns bytes of the weight files."""
    shutil.copytree(src, dst)
    directory = ModelDirectory(dst)
    tensors, delta_bytes = store(decode_delta(load_file(str(src / directory.ENCODER_DELTA_FILE))))
    save_file(tensors, str(dst / directory.ENCODER_DELTA_FILE))
    heads = load_file(str(src / directory.HEADS_FILE))
    if half_heads:
        heads = {k: v.half() for k, v in heads.items()}
        save_file(heads, str(dst / directory.HEADS_FILE))
    directory.update_config({"network": dict(directory.config()["network"], delta_bits=bits)})
    return delta_bytes + _nbytes(heads)


def evaluate(model_dir: Path, splits: dict[str, list[dict]]) -> dict:
    from credscore.api import load_model

    model = load_model(model_dir, backend="torch")
    out = {}
    for split, rows in splits.items():
        ordered, scores = predict_rows(model, rows)
        report = evaluate_probs(ordered, scores)
        out[split] = {t: round(report[t]["macro_f1"], 4) for t in TASKS}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--output", type=Path, default=Path("eval/reports/weight-storage.json"))
    args = parser.parse_args()
    splits = {s: load_rows([p for p in SPLITS[s] if p.exists()]) for s in ("dev", "test")}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(args.models):
            if ModelDirectory(src).config()["network"].get("delta_bits", 16) != 16:
                raise SystemExit(f"error: {src} does not hold fp16 layer differences")
            run = {"model": str(src), "variants": {}}
            for j, (name, (store, bits, half_heads)) in enumerate(VARIANTS.items()):
                dst = Path(tmp) / f"{i}-{j}"
                size = _variant(src, dst, store, bits, half_heads)
                run["variants"][name] = {"weight_bytes": size, **evaluate(dst, splits)}
                print(src, name, run["variants"][name], flush=True)
            runs.append(run)
    summary = {name: {f"{s}_{t}_change": round(sum(r["variants"][name][s][t] - r["variants"]["fp16 (reference)"][s][t]
                                                   for r in runs) / len(runs), 4)
                      for s in splits for t in TASKS} for name in VARIANTS}
    with atomic_output(args.output) as fh:
        json.dump({"runs": runs, "mean_change_vs_fp16": summary}, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()
