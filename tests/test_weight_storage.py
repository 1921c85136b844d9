"""int4 storage of layer differences (:mod:`credscore.weight_storage`): bounded error, stable, self-describing."""

from __future__ import annotations

import pytest
import torch

from credscore.weight_storage import (GROUP, INT4_SUFFIX, SCALE_SUFFIX, decode_delta, dequantize_int4, encode_delta,
                                      quantize_int4, round_trip)


def _matrix(rows=6, cols=128, seed=0):
    return torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed)) * 1e-3


def test_int4_error_is_at_most_half_a_step_of_its_group():
    matrix = _matrix()
    packed, scales = quantize_int4(matrix)
    assert packed.dtype == torch.uint8 and packed.shape == (6, 64)
    assert scales.dtype == torch.float16 and scales.shape == (6, 128 // GROUP)
    restored = dequantize_int4(packed, scales)
    step = scales.float().repeat_interleave(GROUP, dim=1)
    assert torch.all((restored - matrix).abs() <= step / 2 + 1e-9)
    assert not torch.equal(restored, matrix)  # it is a rounding, not a copy


def test_each_groups_largest_value_is_kept_to_fp16_precision():
    matrix = _matrix(seed=1)
    restored = round_trip({"w": matrix}, 4)["w"]
    groups = matrix.reshape(6, -1, GROUP)
    where = groups.abs().argmax(-1, keepdim=True)
    largest = groups.gather(-1, where)
    assert torch.allclose(restored.reshape(6, -1, GROUP).gather(-1, where), largest, rtol=1e-3, atol=0)


def test_storing_rounded_values_again_changes_nothing():
    once = round_trip({"w": _matrix(seed=2)}, 4)["w"]
    assert torch.equal(round_trip({"w": once}, 4)["w"], once)


def test_zero_groups_and_vectors():
    matrix = torch.zeros(2, 64)
    matrix[1, 3] = 7 * 2.0 ** -4  # its scale, 2^-4, is exact in fp16
    assert torch.equal(round_trip({"w": matrix}, 4)["w"], matrix)
    saved = encode_delta({"bias": torch.full((5,), 0.1), "odd": torch.ones(3, 5)}, 4)
    assert saved["bias"].dtype == torch.float16 and saved["odd"].dtype == torch.float16  # no int4 form for these
    assert set(saved) == {"bias", "odd"}


def test_rows_shorter_than_a_group_take_one_scale_each():
    saved = encode_delta({"w": _matrix(rows=3, cols=32)}, 4)
    assert saved["w" + INT4_SUFFIX].shape == (3, 16) and saved["w" + SCALE_SUFFIX].shape == (3, 1)


def test_fp16_keeps_every_tensor_as_is_in_half_precision():
    matrix = _matrix(seed=3)
    assert torch.equal(decode_delta(encode_delta({"w": matrix}, 16))["w"], matrix.half().float())


def test_unknown_bits_rejected():
    with pytest.raises(ValueError, match="delta bits"):
        encode_delta({"w": _matrix()}, 8)


def test_mismatched_scales_rejected():
    saved = encode_delta({"w": _matrix()}, 4)
    saved["w" + SCALE_SUFFIX] = saved["w" + SCALE_SUFFIX][:2]
    with pytest.raises(ValueError, match="int4 codes and scales do not match"):
        decode_delta(saved)
