"""The benchmark runs and reports the expected fields (speed itself is never asserted)."""

import json
import shutil

import pytest

from credscore.eval.bench import machine_key, run, speed_markdown
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
    update_model_card(model, speed_md=speed_markdown(result), machine=machine_key(result["machine"]))
    card = (model / "MODEL_CARD.md").read_text()
    speed = card.split("## Speed", 1)[1].split("\n## ", 1)[0]
    assert result["machine"]["cpu"] in speed
    assert f"{result['throughput_sentences_per_s']['transformer_fast']:.0f} sentences/s" in speed
    assert f"{result['cold_start_s']['default_fast']:.2f} s" in speed
    saved = json.loads((model / "config.json").read_text())["speed"]
    assert saved == {machine_key(result["machine"]): speed_markdown(result)}


def test_model_card_keeps_one_speed_text_per_cpu(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps(dict(config, speed="Measured on an old CPU: 1 sentence/s")))

    update_model_card(model, speed_md="Measured on CPU A: 200 sentences/s", machine="CPU A (avx2)")
    update_model_card(model, speed_md="Measured on CPU B: 300 sentences/s", machine="CPU B (avx2, avx512f)")
    update_model_card(model, speed_md="Measured on CPU A: 210 sentences/s", machine="CPU A (avx2)")

    saved = json.loads((model / "config.json").read_text())["speed"]
    assert saved == {"earlier": "Measured on an old CPU: 1 sentence/s",
                     "CPU A (avx2)": "Measured on CPU A: 210 sentences/s",
                     "CPU B (avx2, avx512f)": "Measured on CPU B: 300 sentences/s"}
    speed = (model / "MODEL_CARD.md").read_text().split("## Speed", 1)[1].split("\n## ", 1)[0]
    assert "200 sentences/s" not in speed
    assert speed.index("old CPU") < speed.index("CPU A: 210") < speed.index("CPU B: 300")
