"""Decision offsets: fitted on dev, kept only where held-out dev documents confirm them, applied on every path."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from credscore.calibration import apply_calibration
from credscore.errors import ModelLoadError
from credscore.model_dir import ModelDirectory
from credscore.training.calibration import cross_validated_gain, fit_decision_offsets, fit_offsets
from credscore.training.selection import macro_f1
from tests.conftest import make_rows, write_jsonl
from tests.inprocess import assert_honest, run_cli


def _over_predicting(n: int = 1200, seed: int = 0):
    """Log-probabilities of a 3-class head trained with rare classes weighted up: their logits sit 2 too high."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[0.85, 0.1, 0.05])
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), labels] += 2.5
    logits[:, 1:] += 2.0
    docs = np.repeat(np.arange(n // 20), 20)
    return logits, labels, docs


def test_offsets_undo_a_prior_shift_and_raise_macro_f1():
    logits, labels, _ = _over_predicting()
    offsets = fit_offsets(logits, labels, 3)
    assert offsets[0] == 0.0 and offsets[1] < -0.5 and offsets[2] < -0.5
    assert macro_f1(labels, (logits + offsets).argmax(1), 3) > macro_f1(labels, logits.argmax(1), 3) + 0.03


def test_offsets_of_an_unbiased_head_stay_near_zero_and_are_not_kept():
    rng = np.random.default_rng(1)
    labels = rng.choice(3, size=1200, p=[0.6, 0.25, 0.15])
    logits = np.log(np.full((1200, 3), 0.05))
    logits[np.arange(1200), labels] = 0.0  # every row right, with margin: nothing to gain
    docs = np.repeat(np.arange(60), 20)
    assert fit_offsets(logits, labels, 3) == [0.0, 0.0, 0.0]
    offsets, report = fit_decision_offsets({"hedging": logits}, {"hedging": labels}, docs, {"hedging": 1.0},
                                           {"hedging": ("none", "low", "high")}, log=lambda *_: None)
    assert offsets == {} and report["hedging"]["kept"] is False


def test_cross_validation_keeps_offsets_that_generalise_across_documents():
    logits, labels, docs = _over_predicting()
    without, held_out = cross_validated_gain(logits, labels, docs, 3)
    assert held_out > without + 0.03
    offsets, report = fit_decision_offsets({"hedging": logits}, {"hedging": labels}, docs, {"hedging": 1.0},
                                           {"hedging": ("none", "low", "high")}, log=lambda *_: None)
    assert report["hedging"]["kept"] and offsets["hedging"] == report["hedging"]["offsets"]


def test_too_small_a_dev_set_gets_no_offsets():
    logits, labels, docs = _over_predicting(40)
    offsets, report = fit_decision_offsets({"hedging": logits}, {"hedging": labels}, docs, {"hedging": 1.0},
                                           {"hedging": ("none", "low", "high")}, log=lambda *_: None)
    assert offsets == {} and "fewer than" in report["hedging"]["why"]


def test_apply_calibration_shifts_the_scaled_logits():
    logits = np.array([[2.0, 1.0, 0.0]])
    probs = apply_calibration(logits, 2.0, [0.0, -1.0, 3.0])
    z = logits / 2.0 + np.array([0.0, -1.0, 3.0])
    assert np.allclose(probs, np.exp(z) / np.exp(z).sum())
    assert probs.argmax() == 2


def test_a_model_with_offsets_applies_them_on_both_paths(tiny_model_dir, tmp_path):
    import credscore

    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    directory = ModelDirectory(copy)
    directory.write_calibration(directory.temperatures(), {"hedging": [0.0, 5.0, -5.0]})
    texts = ["The ministry said the bridge would reopen.", "It may have rained."]
    for backend in ("torch", "onnx-fp32"):
        plain = credscore.load_model(tiny_model_dir, backend=backend).predict_proba(texts)
        shifted = credscore.load_model(copy, backend=backend).predict_proba(texts)
        expected = apply_calibration(np.log(plain["hedging"]), 1.0, [0.0, 5.0, -5.0])
        assert np.allclose(shifted["hedging"], expected, atol=1e-6)
        assert np.allclose(shifted["attribution"], plain["attribution"])


@pytest.mark.parametrize("offset", ['[0, 1]', '[0, "x", 1]', '[0, 1, NaN]', '[0, 1, 1e6]', '{"a": 1}'])
def test_bad_offsets_are_refused_with_one_line(tiny_model_dir, tmp_path, offset):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "calibration.json").write_text('{"temperature": {}, "offset": {"hedging": %s}}' % offset)
    with pytest.raises(ModelLoadError, match="offset.hedging"):
        ModelDirectory(copy).offsets()
    outcome = run_cli("predict", str(write_jsonl(tmp_path / "in.jsonl", [{"text": "It rained."}])),
                      "--model", str(copy))
    assert_honest(outcome)
    assert outcome.code == 2 and "offset.hedging" in outcome.stderr


def test_calibrate_command_refits_and_keeps_the_weights(tiny_model_dir, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    weights = (copy / "heads.safetensors").read_bytes()
    dev = write_jsonl(tmp_path / "dev.jsonl", make_rows(3, 4, seed=5))
    outcome = run_cli("calibrate", str(copy), "--dev", str(dev))
    assert outcome.code == 0, outcome.stderr
    assert "decision offsets" in outcome.stderr or "not calibrating" in outcome.stderr
    assert (copy / "heads.safetensors").read_bytes() == weights
    saved = json.loads((copy / "config.json").read_text())
    assert saved["training"]["calibrated_on"]["rows"] == 12
    assert set(saved["training"]["offsets"]) == {"attribution", "hedging"}
    outcome = run_cli("calibrate", str(tmp_path / "nowhere"), "--dev", str(dev))
    assert_honest(outcome)
    assert outcome.code == 2 and "no model at" in outcome.stderr
