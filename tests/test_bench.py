"""The benchmark runs and reports the expected fields (speed itself is never asserted)."""

import json
import shutil

import pytest

from credscore.eval.bench import run, speed_markdown
from credscore.training.model_card import update_model_card
from tests.conftest import ROOT

SYSTEMS = {"transformer_fp32", "transformer_fast", "onnx_fp32_no_quantisation", "tfidf_lr"}


@pytest.mark.slow
def test_bench_runs_on_a_tiny_input(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    result = run(tiny_model_dir, ROOT / "seeds/dev.jsonl", n_sentences=20, reps=1)
    assert result["sentences"] >= 20
    assert set(result["throughput_sentences_per_s"]) == SYSTEMS
    assert all(v > 0 for v in result["throughput_sentences_per_s"].values())
    assert all(len(result["runs_s"][name]) == 1 for name in SYSTEMS)
    for key in ("warm_latency_ms_sample_article", "cold_start_s", "cold_start_peak_rss_mb"):
        assert set(result[key]) >= {"transformer_fast"} or set(result[key]) == {"default_fast", "fp32_no_fast"}
        assert all(v > 0 for v in result[key].values())
    assert result["fast_vs_fp32_speedup"] > 0
    assert result["first_fast_run_with_graph_build"]["wall_s"] > 0
    assert {"cpu", "cores", "onnxruntime"} <= set(result["machine"])

    # The measured numbers go into the measured model's card (on a copy: the fixture is shared).
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    update_model_card(model, speed_md=speed_markdown(result))
    card = (model / "MODEL_CARD.md").read_text()
    speed = card.split("## Speed", 1)[1].split("\n## ", 1)[0]
    assert result["machine"]["cpu"] in speed
    assert f"{result['throughput_sentences_per_s']['transformer_fast']:.0f} sentences/s" in speed
    assert f"{result['cold_start_s']['default_fast']:.2f} s" in speed
    assert json.loads((model / "config.json").read_text())["speed"] == speed_markdown(result)
