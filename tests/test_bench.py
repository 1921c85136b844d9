"""The benchmark runs and reports the expected fields (speed itself is never asserted)."""

from eval.bench import run
from tests.conftest import ROOT


def test_bench_runs_on_a_tiny_input(tiny_model_dir):
    result = run(tiny_model_dir, ROOT / "seeds/dev.jsonl", n_sentences=20, reps=1)
    assert result["sentences"] >= 20
    assert set(result["throughput_sentences_per_s"]) == {"transformer_fp32", "transformer_fast", "tfidf_lr"}
    assert all(v > 0 for v in result["throughput_sentences_per_s"].values())
    for key in ("warm_latency_ms_sample_article", "cold_start_s", "cold_start_peak_rss_mb", "fast_vs_fp32_speedup"):
        assert result[key] > 0
    assert {"cpu", "cores"} <= set(result["machine"])
