import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.errors import InputError
from credscore.scoring import COMPONENTS, ScoringConfig, build_profile


def onehot(indices, n):
    out = np.zeros((len(indices), n))
    out[np.arange(len(indices)), indices] = 1.0
    return out


def test_shares_components_and_score_on_a_known_article():
    # 4 sentences: unattributed, official, anonymous, anonymous; hedging none, none, low, high
    p = build_profile(onehot([0, 2, 3, 3], 5), onehot([0, 0, 1, 2], 3))
    assert p.attribution_shares["anonymous_source"] == pytest.approx(0.5)
    assert p.attributed_claims == pytest.approx(3)
    assert p.anonymous_share_of_claims == pytest.approx(2 / 3)
    assert p.hedging_density == pytest.approx(0.5)
    assert p.components["sourcing"] == pytest.approx(1.0)  # 75 % attributed > 50 % target
    assert p.components["named_sources"] == pytest.approx(1 / 3, abs=1e-3)
    assert p.components["certainty"] == pytest.approx(1 - (0.5 + 1) / 4, abs=1e-3)
    w = ScoringConfig().weights
    expected = 100 * sum(w[k] * p.components[k] for k in COMPONENTS) / sum(w.values())
    assert p.reliability == pytest.approx(expected, abs=0.05)


def test_explanations_name_the_sentences():
    p = build_profile(onehot([0, 3, 3, 3, 3, 1], 5), onehot([0] * 6, 3))
    anon = [f for f in p.explanations if f.code == "anonymous"][0]
    assert anon.sentences == [1, 2, 3, 4]  # 0-based in data; "#2" in the message is index 1
    assert anon.message.startswith("4 of 6 sentences rest on anonymous sources: #2, #3, #4, #5")


def test_no_sources_is_explained():
    p = build_profile(onehot([0] * 6, 5), onehot([0] * 6, 3))
    assert any(f.code == "no_sources" for f in p.explanations)
    assert p.components["sourcing"] == 0.0


def test_length_alone_does_not_change_the_score():
    att, hed = onehot([0, 1, 2, 3], 5), onehot([0, 1, 0, 2], 3)
    short = build_profile(att, hed)
    long = build_profile(np.tile(att, (10, 1)), np.tile(hed, (10, 1)))
    assert long.reliability == pytest.approx(short.reliability)


def test_weights_change_the_score_and_config_files_load(tmp_path):
    att, hed = onehot([3, 3, 1, 0], 5), onehot([0, 0, 0, 0], 3)
    base = build_profile(att, hed).reliability
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"named_sources": 5.0}}))
    heavier = build_profile(att, hed, ScoringConfig.from_file(path)).reliability
    assert heavier < base  # anonymous sourcing now weighs more
    toml = tmp_path / "w.toml"
    toml.write_text("attributed_target = 0.25\n[weights]\ncertainty = 0.0\n")
    cfg = ScoringConfig.from_file(toml)
    assert cfg.attributed_target == 0.25 and cfg.weights["certainty"] == 0.0 and cfg.weights["sourcing"] == 1.0


@pytest.mark.parametrize("bad", [{"weights": {"vibes": 1}}, {"weights": {"sourcing": -1}}, {"colour": 1},
                                 {"attributed_target": 0}])
def test_bad_scoring_configs_refused(bad):
    with pytest.raises(InputError):
        ScoringConfig.from_dict(bad)


def test_empty_article_refused():
    with pytest.raises(InputError):
        build_profile(np.zeros((0, 5)), np.zeros((0, 3)))


def _probs(draw, n, k):
    raw = draw(st.lists(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k), min_size=n, max_size=n))
    arr = np.array(raw)
    return arr / arr.sum(1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_profile_properties_hold_for_any_probabilities(data):
    n = data.draw(st.integers(1, 30))
    p = build_profile(_probs(data.draw, n, 5), _probs(data.draw, n, 3))
    assert sum(p.attribution_shares.values()) == pytest.approx(1.0)
    assert sum(p.hedging_shares.values()) == pytest.approx(1.0)
    assert 0.0 <= p.reliability <= 100.0
    assert all(0.0 <= v <= 1.0 + 1e-9 for v in p.components.values())
    assert all(0 <= i < n for f in p.explanations for i in f.sentences)
