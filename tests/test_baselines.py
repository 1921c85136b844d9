"""Tests of credscore.eval.baselines: interface (shapes, row sums), and each baseline's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from credscore.eval.baselines import (BASELINES, LexiconBaseline, MajorityBaseline, TfidfLogRegBaseline,
                            lexicon_attribution, lexicon_hedging)
from credscore.tasks import TASKS


def _row(i: int, text: str, attribution: str | None = "unattributed", hedging: str | None = "none") -> dict:
    return {"doc_id": f"d{i // 4}", "sent_index": i % 4, "text": text, "attribution": attribution, "hedging": hedging}


# Separable toy set: each label has its own cue words, repeated so min_df=2 keeps them.
_TOY = [
    ("The bridge opened in {y}.", "unattributed", "none"),
    ("Jane Doe said the plan works in {y}.", "direct_claim", "none"),
    ("The ministry said in {y} the road is closed.", "official_statement", "none"),
    ("A source familiar with the talks said in {y} it is over.", "anonymous_source", "none"),
    ("According to Reuters the port reopened in {y}.", "agency", "none"),
    ("The dam reportedly cracked in {y}.", "unattributed", "low"),
    ("The fire may have been deliberate in {y}.", "unattributed", "high"),
]


def toy_rows(years=(2001, 2002, 2003)) -> list[dict]:
    entries = [(t.format(y=y), a, h) for y in years for t, a, h in _TOY]
    return [_row(i, text, a, h) for i, (text, a, h) in enumerate(entries)]


DOCS = [["The bridge opened in 1932.", "Jane Doe said it was fine."], [], ["A source said the fire may have spread."]]


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_shapes_and_row_sums(name):
    model = BASELINES[name]().fit(toy_rows())
    probs = model.predict_proba(DOCS)
    assert set(probs) == set(TASKS)
    for task, labels in TASKS.items():
        assert probs[task].shape == (3, len(labels))
        assert np.allclose(probs[task].sum(1), 1.0)
        assert (probs[task] >= 0).all()
    assert isinstance(model.name, str) and model.name == name


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_empty_input_gives_empty_arrays(name):
    probs = BASELINES[name]().fit(toy_rows()).predict_proba([])
    assert {t: p.shape for t, p in probs.items()} == {t: (0, len(l)) for t, l in TASKS.items()}


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_a_bare_string_is_refused(name):
    with pytest.raises(TypeError):
        BASELINES[name]().fit(toy_rows()).predict_proba(["not a list of sentences"])


def test_majority_picks_the_majority_and_skips_unlabelled_rows():
    rows = ([_row(i, "x", "agency", "low") for i in range(3)]
            + [_row(3 + i, "y", "direct_claim", None) for i in range(5)]  # hedging unlabelled here
            + [_row(8 + i, "z", None, "high") for i in range(2)])
    probs = MajorityBaseline().fit(rows).predict_proba([["a", "b"]])
    assert TASKS["attribution"][probs["attribution"].argmax(1)[0]] == "direct_claim"
    # "none" never occurs: low (3) beats high (2) and the 5 unlabelled rows do not count as anything.
    assert TASKS["hedging"][probs["hedging"].argmax(1)[0]] == "low"
    assert np.array_equal(probs["attribution"][0], probs["attribution"][1])
    assert probs["attribution"].max() == 1.0


def test_majority_refuses_a_task_with_no_labels():
    with pytest.raises(ValueError, match="hedging"):
        MajorityBaseline().fit([_row(0, "x", "agency", None)])


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="rumour"):
        MajorityBaseline().fit([_row(0, "x", "rumour", "none")])


@pytest.mark.parametrize("sentence, label", [
    ("A source familiar with the matter said the deal was off.", "anonymous_source"),
    ("The talks collapsed, according to Reuters.", "agency"),
    ("The ministry said on Monday that the border was closed.", "official_statement"),
    ("Jane Doe said the shop would reopen.", "direct_claim"),
    ("The bridge opened in 1932.", "unattributed"),
    ("The ministry said, according to Reuters, that it was over.", "agency"),  # weakest link
    ("A source at the ministry said the plan was dropped.", "anonymous_source"),  # anonymity wins
    ("The sun was shining in Saidpur.", "unattributed"),  # word boundaries, not substrings
])
def test_lexicon_attribution(sentence, label):
    assert lexicon_attribution(sentence) == label
    probs = LexiconBaseline().predict_proba([[sentence]])["attribution"]
    assert TASKS["attribution"][probs.argmax()] == label


@pytest.mark.parametrize("sentence, label", [
    ("The fire may have been deliberate.", "high"),
    ("He reportedly left.", "low"),
    ("He left on Tuesday.", "none"),
    ("He reportedly and apparently left.", "high"),  # two hedges stack
    ("The vote took place in May.", "none"),  # the month is not the modal
    ("The mayor left.", "none"),  # "may" inside a word is no cue
])
def test_lexicon_hedging(sentence, label):
    assert lexicon_hedging(sentence) == label
    probs = LexiconBaseline().predict_proba([[sentence]])["hedging"]
    assert TASKS["hedging"][probs.argmax()] == label


def test_lexicon_carries_a_speaker_into_an_open_quote():
    doc = ['The ministry said: "We will not leave.', 'Nothing will change."', "The bridge opened in 1932."]
    probs = LexiconBaseline().predict_proba([doc])["attribution"]
    assert [TASKS["attribution"][i] for i in probs.argmax(1)] == [
        "official_statement", "official_statement", "unattributed"]


def test_lexicon_fit_is_a_no_op():
    model = LexiconBaseline()
    assert model.fit([]) is model


def test_tfidf_learns_a_separable_toy_set():
    model = TfidfLogRegBaseline(random_state=0).fit(toy_rows())
    tests = [t.format(y=2004) for t, _, _ in _TOY]
    probs = model.predict_proba([tests[:3], tests[3:]])
    for task, column in (("attribution", 1), ("hedging", 2)):
        predicted = [TASKS[task][i] for i in probs[task].argmax(1)]
        assert predicted == [entry[column] for entry in _TOY], task


def test_tfidf_tolerates_missing_labels_and_absent_classes():
    rows = toy_rows()
    rows += [_row(100, "Unlabelled row about nothing.", None, None), {"doc_id": "x", "sent_index": 0, "text": "t"}]
    # Drop "agency" from training: its column must exist and be 0.
    rows = [r for r in rows if r.get("attribution") != "agency"]
    model = TfidfLogRegBaseline().fit(rows)
    probs = model.predict_proba([["According to Reuters the port reopened."]])
    agency = TASKS["attribution"].index("agency")
    assert probs["attribution"][0, agency] == 0.0
    assert np.allclose(probs["attribution"].sum(1), 1.0)
    # Rows without an attribution label still count for hedging and vice versa.
    assert len(model.pipelines_["hedging"].classes_) == 3


def test_tfidf_is_deterministic_for_a_random_state():
    a = TfidfLogRegBaseline(random_state=1).fit(toy_rows()).predict_proba([["The dam cracked in 2001."]])
    b = TfidfLogRegBaseline(random_state=1).fit(toy_rows()).predict_proba([["The dam cracked in 2001."]])
    assert all(np.array_equal(a[t], b[t]) for t in TASKS)


def test_unfitted_models_refuse_to_predict():
    for cls in (MajorityBaseline, TfidfLogRegBaseline):
        with pytest.raises(RuntimeError):
            cls().predict_proba([["x"]])
