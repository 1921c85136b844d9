"""Joint windows: every sentence labelled from exactly one window, inside the token budget, with context."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings, strategies as st

from credscore.windows import build_window, pad_windows, plan_windows, training_windows, window_cost

lengths_strategy = st.lists(st.integers(min_value=0, max_value=126), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(lengths=lengths_strategy, window=st.sampled_from([128, 256, 384]))
def test_inference_plan_labels_each_sentence_once_within_budget(lengths, window):
    plan = plan_windows(lengths, window, window * 2 // 3)
    cores = [i for w in plan for i in range(w.core_start, w.core_end)]
    assert cores == list(range(len(lengths)))
    for w in plan:
        assert w.start <= w.core_start < w.core_end <= w.end
        # A window may exceed the budget only when its core is one sentence that alone is too long.
        assert window_cost(lengths, w.start, w.end) <= window or (w.end - w.start == 1)


def test_inference_windows_give_context_on_both_sides():
    lengths = [20] * 30
    plan = plan_windows(lengths, 384, 256)
    inner = [w for w in plan if 0 < w.core_start and w.core_end < len(lengths)]
    assert inner and all(w.start < w.core_start and w.end > w.core_end for w in inner)


@settings(max_examples=100, deadline=None)
@given(lengths=lengths_strategy, seed=st.integers(0, 100))
def test_training_windows_cover_the_document_without_overlap(lengths, seed):
    plan = training_windows(lengths, 384, random.Random(seed))
    assert [i for w in plan for i in range(w.start, w.end)] == list(range(len(lengths)))
    assert all(w.start == w.core_start and w.end == w.core_end for w in plan)


def test_sentences_alone_when_window_is_zero():
    plan = plan_windows([5, 7, 9], 0, 0)
    assert [(w.start, w.end) for w in plan] == [(0, 1), (1, 2), (2, 3)]


def test_pooling_rows_average_each_sentence_own_tokens():
    pieces = [[11, 12], [13], []]
    built = build_window(pieces, plan_windows([2, 1, 0], 64, 64)[0], cls_id=101, sep_id=102)
    assert built.ids == [101, 11, 12, 102, 13, 102, 102]
    np.testing.assert_allclose(built.pool.sum(1), 1.0)
    assert built.pool[0, 1] == built.pool[0, 2] == 0.5 and built.pool[1, 4] == 1.0
    assert built.pool[2, 6] == 1.0  # an empty sentence is represented by its [SEP]
    ids, mask, pool = pad_windows([built, build_window(pieces[:1], plan_windows([2], 64, 64)[0], 101, 102)], 0)
    assert ids.shape == mask.shape == (2, 7) and pool.shape == (2, 3, 7)
    assert mask[1].sum() == 4 and pool[1, 1:].sum() == 0


def test_alone_mode_pools_over_special_tokens_too():
    built = build_window([[11, 12]], plan_windows([2], 0, 0)[0], 101, 102, alone=True)
    np.testing.assert_allclose(built.pool, [[0.25] * 4])
