"""Models saved before joint windows still load and score exactly as they did.

``tests/data/model-v1`` is the first shipped model (sentences read alone, no
mention head), and ``tests/data/sample-v1-torch.json`` is ``credscore score
seeds/belgorod-legion-raid.txt --format json --no-fast`` with it from credscore
0.1.0 (commit 1fa3706, before the package became ``credscore``), on the fp32
torch backend so the pin does not depend on the CPU's int8 kernels.  Schema 2
changed only the numbering: sentence indices are 0-based (``#1`` in messages
is index 0), and it adds fields (a model without a mention head finds no sources).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PINNED = json.loads((ROOT / "tests/data/sample-v1-torch.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.e2e


def _close(a, b, tol=1e-3):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k], tol)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, tol)
    elif isinstance(a, float):
        assert abs(a - b) <= tol
    else:
        assert a == b


def test_sample_article_scores_as_before_the_restructuring():
    import credscore

    text = (ROOT / "seeds/belgorod-legion-raid.txt").read_text(encoding="utf-8")
    model = credscore.load_model(ROOT / "tests/data/model-v1", backend="torch")
    now = model.score(text, name="seeds/belgorod-legion-raid.txt").to_dict()
    assert now["schema_version"] == 2
    assert len(now["sentences"]) == len(PINNED["sentences"]) == 16
    for old, new in zip(PINNED["sentences"], now["sentences"]):
        assert new["index"] == old["index"] - 1  # 0-based since schema 2
        assert (new["text"], new["start"], new["end"]) == (old["text"], old["start"], old["end"])
        for task in ("attribution", "hedging"):
            assert new[task]["label"] == old[task]["label"]
            _close(old[task]["scores"], new[task]["scores"])
    old_profile, new_profile = dict(PINNED["profile"]), dict(now["profile"])
    old_findings, new_findings = old_profile.pop("explanations"), new_profile.pop("explanations")
    assert all(s["sources"] == [] and s["source_of"] is None for s in now["sentences"])
    _close(old_profile, {k: new_profile[k] for k in old_profile})  # schema 2 adds fields, changes none
    assert [f["message"] for f in new_findings] == [f["message"] for f in old_findings]
    assert [f["sentences"] for f in new_findings] == [[i - 1 for i in f["sentences"]] for f in old_findings]


def test_first_model_on_int8_does_not_depend_on_what_else_is_scored(tmp_path, monkeypatch):
    """Sentences read alone go 8 to a call, but never mixed with another document's (int8 scales are per call)."""
    import credscore
    from credscore.data_format import group_documents
    from credscore.training.data import load_rows

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    model = credscore.load_model(ROOT / "tests/data/model-v1", backend="onnx-int8")
    docs = [[r["text"] for r in d] for d in group_documents(load_rows([ROOT / "seeds/test.jsonl"]))[:6]]
    together, start = model.predict_documents(docs), 0
    for doc in docs:
        alone = model.predict_documents([doc])
        for task in ("attribution", "hedging"):
            part = together.scores[task][start:start + len(doc)]
            assert (alone.scores[task].argmax(1) == part.argmax(1)).all()
            assert abs(alone.scores[task] - part).max() <= 1e-5
        start += len(doc)
