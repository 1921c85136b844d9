"""End-to-end tests on the shipped model in model/weights (a few, each a few seconds)."""

import json
import re
import subprocess
import sys

import pytest

from credscore.model_dir import DEFAULT_MODEL_DIR
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
SAMPLE = ROOT / "seeds/belgorod-legion-raid.txt"


@pytest.fixture(scope="module")
def shipped():
    from credscore.api import load_model

    return load_model()


def test_shipped_model_is_small_and_safe():
    files = list(DEFAULT_MODEL_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 10 * 1024 * 1024
    assert {f.suffix for f in files} <= {".json", ".safetensors", ".md"}
    assert (DEFAULT_MODEL_DIR / "MODEL_CARD.md").exists()


def test_sample_article_against_the_guide(shipped):
    """The guide labels the sample sentence by sentence; the model should mostly agree."""
    gold = [json.loads(l) for l in (ROOT / "seeds/belgorod-legion-raid.jsonl").read_text().splitlines()]
    result = shipped.score(SAMPLE.read_text(encoding="utf-8"))
    assert [s.text for s in result.sentences] == [g["text"] for g in gold]
    att = sum(s.attribution.label == g["attribution"] for s, g in zip(result.sentences, gold))
    hed = sum(s.hedging.label == g["hedging"] for s, g in zip(result.sentences, gold))
    # A model that lost its training would agree near chance (about 3 of 16 for attribution).
    assert att >= 6, f"attribution agrees on {att} of {len(gold)}"  # measured 8 of 16
    assert hed >= 11, f"hedging agrees on {hed} of {len(gold)}"  # measured 13 of 16


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no Python example"
    for code in blocks:
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, timeout=300)


def test_cli_score_json_with_shipped_model():
    res = subprocess.run([sys.executable, "-m", "credscore.cli", "score", str(SAMPLE), "--format", "json"],
                         cwd=ROOT, capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    doc = json.loads(res.stdout)
    assert doc["model"]["name"] == "credscore-minilm"
    assert len(doc["sentences"]) == 16


def test_only_attributed_sentences_report_source_mentions(shipped):
    """Guide section 3: a sentence labelled `unattributed` has no source mentions, an attributed one may."""
    sentences = ["The bridge, built in 1932 by the city council, is 40 metres long.",
                 "Mayor Anne Hidalgo said the bridge would reopen in May."]
    predictions = shipped.predict(sentences, context="none")
    assert predictions[0].attribution.label == "unattributed" and predictions[0].sources == []
    assert predictions[1].attribution.label != "unattributed"
    assert [m["text"] for m in predictions[1].sources] == ["Mayor Anne Hidalgo"]
