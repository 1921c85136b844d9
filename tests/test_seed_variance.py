"""Seed-variance report: per-run numbers and their spread."""

import pytest

from credscore.eval.seed_variance import evaluate_run, summarise


def test_summarise_mean_and_sample_std():
    runs = [{"model": "a", "seed": 1, "dev_fp32": {"attribution": 0.5, "hedging": 0.7}},
            {"model": "b", "seed": 2, "dev_fp32": {"attribution": 0.6, "hedging": 0.7}}]
    out = summarise(runs)["dev_fp32"]
    assert out["attribution"]["mean"] == pytest.approx(0.55)
    assert out["attribution"]["std"] == pytest.approx(0.0707, abs=1e-4)
    assert out["hedging"]["std"] == 0.0


def test_evaluate_run_covers_both_paths_and_splits(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    run = evaluate_run(tiny_model_dir)
    assert run["seed"] == 3
    assert set(run) == {"model", "seed", "dev_fp32", "test_fp32", "dev_int8", "test_int8", "test_mentions"}
    assert all(0.0 <= v <= 1.0 for k, res in run.items() if k not in ("model", "seed") for v in res.values())
