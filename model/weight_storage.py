"""How a saved model holds its trained weights in few bytes: fp16 heads, int4 differences of fine-tuned layers.

Fine-tuning moves each weight of a layer by a small amount.  The model file
keeps only those differences from the pinned base package (see
:func:`credscore.encoders.layer_delta`), and stores each difference matrix in
4 bits: symmetric integers -7..7 in groups of :data:`GROUP` weights along a
row, with one fp16 scale per group (4.25 bits a weight).  The six layers of
MiniLM then take 5.7 MB instead of 21 MB in fp16.  On three training runs dev
and test macro-F1 moved by at most a few tenths of a point
(``python -m credscore.eval.weight_storage``, ``eval/reports/weight-storage.json``):
the rounding is noise on a small change, not on the weight.  Vectors (biases,
LayerNorm) stay fp16: they are 0.3 % of the weights.

The levels are -7..7, not -8..7, so that storing weights already rounded this
way gives the same integers again (the largest value of a group maps to 7).
Training rounds the network in place (:func:`round_network`) before its last
dev scoring and calibration, so what it reports is what the files hold.
"""

from __future__ import annotations

import math

import torch

from credscore.network_config import DELTA_BITS

#: Weights that share one scale, along a row (fewer when a row is shorter).
GROUP = 64
LEVELS = 7
INT4_SUFFIX = ".int4"
SCALE_SUFFIX = ".int4_scale"


def _group(columns: int) -> int:
    return math.gcd(columns, GROUP)


def quantize_int4(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(packed, scales) of a 2-D matrix (rows, cols) with an even number of columns.

    ``packed``: uint8 (rows, cols / 2), two 4-bit codes a byte (even column in
    the low half).  ``scales``: fp16 (rows, cols / group).
    """
    rows, cols = matrix.shape
    group = _group(cols)
    grouped = matrix.detach().float().reshape(rows, cols // group, group)
    scales = (grouped.abs().amax(-1, keepdim=True) / LEVELS).to(torch.float16)
    safe = scales.float().clamp_min(torch.finfo(torch.float16).tiny)
    codes = (torch.round(grouped / safe).clamp(-LEVELS, LEVELS) + 8).to(torch.uint8).reshape(rows, cols)
    packed = codes[:, 0::2] | (codes[:, 1::2] << 4)
    return packed.contiguous(), scales.reshape(rows, -1).contiguous()


def dequantize_int4(packed: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """The fp32 matrix (rows, 2 * packed cols) that :func:`quantize_int4` stored."""
    rows, half = packed.shape
    codes = torch.stack([packed & 0x0F, packed >> 4], dim=-1).reshape(rows, 2 * half).float() - 8
    group = 2 * half // scales.shape[1]
    return (codes.reshape(rows, -1, group) * scales.float().unsqueeze(-1)).reshape(rows, 2 * half)


def encode_delta(delta: dict[str, torch.Tensor], bits: int) -> dict[str, torch.Tensor]:
    """The tensors to save for layer differences ``delta`` in ``bits`` (:data:`DELTA_BITS`)."""
    if bits not in DELTA_BITS:
        raise ValueError(f"delta bits must be one of {DELTA_BITS}, got {bits!r}")
    out = {}
    for key, value in delta.items():
        if bits == 4 and value.dim() == 2 and value.shape[1] % 2 == 0:
            out[key + INT4_SUFFIX], out[key + SCALE_SUFFIX] = quantize_int4(value)
        else:
            out[key] = value.detach().to(torch.float16).contiguous()
    return out


def decode_delta(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """fp32 differences from saved tensors (either format); ``ValueError`` when they are inconsistent."""
    out = {}
    for key, value in tensors.items():
        if key.endswith(SCALE_SUFFIX):
            continue
        if key.endswith(INT4_SUFFIX):
            name = key[: -len(INT4_SUFFIX)]
            scales = tensors.get(name + SCALE_SUFFIX)
            if (scales is None or value.dtype != torch.uint8 or value.dim() != 2 or scales.dim() != 2
                    or scales.shape[0] != value.shape[0] or scales.shape[1] == 0
                    or (2 * value.shape[1]) % scales.shape[1]):
                raise ValueError(f"{name}: int4 codes and scales do not match")
            out[name] = dequantize_int4(value, scales)
        else:
            out[key] = value.float()
    return out


def round_trip(delta: dict[str, torch.Tensor], bits: int) -> dict[str, torch.Tensor]:
    """``delta`` as a model saved in ``bits`` will load it."""
    return decode_delta(encode_delta(delta, bits))


def head_tensors(network) -> dict[str, torch.Tensor]:
    """The heads and context layer as saved: fp16 (rounding them moved no dev macro-F1 digit)."""
    return {k: v.detach().to(torch.float16).contiguous() for k, v in network.head_state_dict().items()}


@torch.no_grad()
def round_network(network, base: dict[str, torch.Tensor] | None, bits: int) -> None:
    """Round ``network`` in place to what its model files will hold.

    Heads become fp16 values; with ``base`` (the base encoder's state, for a
    model that saves layer differences) every fine-tuned layer becomes
    ``base + round_trip(trained - base)``.
    """
    from credscore.encoders import layer_delta

    state = network.state_dict()
    for key, value in head_tensors(network).items():
        state[key].copy_(value)
    if base is None:
        return
    encoder = network.encoder.state_dict()
    for key, value in round_trip(layer_delta(encoder, base), bits).items():
        encoder[key].copy_(base[key].float() + value)
