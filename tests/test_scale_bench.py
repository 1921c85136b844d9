"""The archive-scale benchmark runs end to end on a tiny model and reports its fields (speed is never asserted)."""

import importlib.util

import pytest

from credscore.eval.scale_bench import projections, real_texts, run


def test_real_texts_are_whole_seed_articles():
    texts = real_texts()
    assert len(texts) > 300 and len(set(texts)) == len(texts)
    assert min(len(t) for t in texts) > 50


def test_max_difference_compares_every_number():
    from credscore.eval.scale_bench import max_difference

    a = {"x": {"p": 1.0, "l": [{"v": 2.0}], "s": "k"}}
    assert max_difference(a, a) == 0.0
    assert max_difference(a, {"x": {"p": 1.5, "l": [{"v": 2.0}], "s": "k"}}) == 0.5
    assert max_difference(a, {"x": {"p": 1.0, "l": [], "s": "k"}}) == float("inf")
    assert max_difference(a, {"x": {"p": 1.0, "l": [{"v": 2.0}], "s": "other"}}) == float("inf")


def test_projections_follow_the_rate():
    slow, fast = projections(1.0), projections(2.0)
    assert slow["1M"]["cpu_hours"] == round(1_000_000 / 3600, 1)
    assert fast["100M"]["cpu_hours"] * 2 == slow["100M"]["cpu_hours"]
    assert slow["100M"]["nodes_of_32_cores_for_24h"] >= fast["100M"]["nodes_of_32_cores_for_24h"] >= 1


@pytest.mark.slow
def test_scale_bench_on_a_tiny_model(tiny_model_dir):
    with_ray = importlib.util.find_spec("ray") is not None
    report = run(tiny_model_dir, n_articles=6, memory_articles=12, ray=with_ray)
    expected = {"plain": 6, "workers2": 6, **({"ray2": 6} if with_ray else {})}
    assert report["rows_written"] == expected and set(report["error_rows"].values()) == {0}
    # the tiny model runs on torch, whose thread count (every core vs one per worker) moves the last digits
    assert all(d < 1e-6 for d in report["profiles_max_difference_to_plain"].values())
    assert all(r["articles_per_s"] > 0 and r["peak_rss_mb"] > 0 for r in report["runs"].values())
    assert report["peak_rss_ratio_large_vs_small"] > 0
    if with_ray:
        assert 1 <= len(report["runs"]["ray2"]["actor_peak_rss_mb"]) <= 2
        assert "ray_overhead_vs_plain" in report
    assert report["projections"]["100M"]["cpu_hours"] > report["projections"]["1M"]["cpu_hours"] > 0
