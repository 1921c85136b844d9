"""Library conventions of the Python API (on a tiny random model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import credscore
from credscore.errors import InputError

SENTENCES = ["The ministry said the bridge would reopen.", "A source said it may close again.", "It rained."]


def test_predict_accepts_any_iterable_generators_included(tiny_model):
    from_list = tiny_model.predict(SENTENCES)
    from_generator = tiny_model.predict(s for s in SENTENCES)
    assert len(from_generator) == 3
    assert [p.to_dict() for p in from_generator] == [p.to_dict() for p in from_list]
    assert [p.index for p in from_list] == [0, 1, 2]  # 0-based
    with pytest.raises(InputError):
        tiny_model.predict("one string, not sentences")


def test_predict_proba_columns_follow_the_models_label_lists(tiny_model):
    probs = tiny_model.predict_proba(iter(SENTENCES))
    labels = tiny_model.labels
    assert set(probs) == set(labels) == {"attribution", "hedging"}
    for task, p in probs.items():
        assert p.shape == (3, len(labels[task]))
        np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)
    preds = tiny_model.predict(SENTENCES)
    assert [labels["hedging"][i] for i in probs["hedging"].argmax(1)] == [p.hedging.label for p in preds]


def test_score_takes_text_or_pre_split_sentences(tiny_model):
    by_list = tiny_model.score(SENTENCES)
    assert [s.text for s in by_list.sentences] == SENTENCES
    joined = " ".join(SENTENCES)
    assert all(joined[s.start:s.end] == s.text for s in by_list.sentences)
    by_text = tiny_model.score(joined)
    assert by_text.profile.to_dict() == by_list.profile.to_dict()


def test_pipe_scores_lazily_in_input_order_like_score(tiny_model):
    texts = [f"Officials said {i} people were hurt. It may rain." for i in range(5)]
    gen = tiny_model.pipe(iter(texts), batch_size=2)
    assert iter(gen) is gen  # a generator: nothing is scored before it is asked for
    results = list(gen)
    assert [r.sentences[0].text for r in results] == [f"Officials said {i} people were hurt." for i in range(5)]
    for text, got in zip(texts, results):
        want = tiny_model.score(text)
        for a, b in zip(got.sentences, want.sentences):
            assert a.attribution.label == b.attribution.label
            np.testing.assert_allclose(list(a.hedging.scores.values()), list(b.hedging.scores.values()), atol=1e-4)


def test_every_result_level_converts_to_a_dict(tiny_model):
    result = tiny_model.score("The ministry said it would. A source said it may not.")
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["schema_version"] == 2 and data["model"]["backend"] == "torch"
    assert result.sentences[0].to_dict() == data["sentences"][0]
    assert result.sentences[0].attribution.to_dict() == data["sentences"][0]["attribution"]
    assert result.profile.to_dict() == data["profile"]
    assert all(0 <= i < len(result.sentences) for f in result.profile.explanations for i in f.to_dict()["sentences"])


def test_package_exports_and_unknown_backend(tiny_model_dir):
    assert credscore.__version__ and callable(credscore.load_model)
    with pytest.raises(InputError, match="unknown backend 'gpu'; expected one of torch, onnx-int8, onnx-fp32"):
        credscore.load_model(tiny_model_dir, backend="gpu")
