"""``credscore serve``: the web app through an HTTP client, and end to end in headless Chromium."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from credscore.serve import create_app  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

ARTICLE = "The ministry said on Monday that two people died.\n\nA source said the toll may rise. It rained."


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    return TestClient(create_app(tiny_model_dir, max_bytes=20_000), raise_server_exceptions=False)


def test_score_returns_the_json_schema(client):
    res = client.post("/score", json={"text": ARTICLE, "name": "a.txt"})
    assert res.status_code == 200
    data = res.json()
    assert data["schema_version"] == 2 and data["input"] == "a.txt" and len(data["sentences"]) == 3
    assert data["model"]["name"] == "tiny-test"


def test_page_form_and_report(client):
    page = client.get("/")
    assert page.status_code == 200 and '<form method="post" action="/report"' in page.text
    assert "<script" not in page.text.lower()
    report = client.post("/report", data={"text": ARTICLE})
    assert report.status_code == 200 and "How to read this" in report.text and 'id="s3"' in report.text
    upload = client.post("/report", files={"file": ("b.html", b"<html><body><p>Police said it was over.</p></body></html>")})
    assert upload.status_code == 200 and "Police said it was over." in upload.text


def test_limits_and_bad_input_give_clear_errors(client):
    too_big = client.post("/score", json={"text": "Officials said so. " * 2000})
    assert too_big.status_code == 413 and "too large" in too_big.json()["detail"]
    assert client.post("/score", json={"text": "   "}).status_code == 422
    missing = client.post("/score", json={"name": "x"})
    assert missing.status_code == 422 and "Traceback" not in missing.text
    form_error = client.post("/report", data={"text": ""})
    assert form_error.status_code == 422 and '<a href="/">Back</a>' in form_error.text


def test_api_description_is_served_offline(client):
    assert "/score" in client.get("/openapi.json").json()["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "POST /score" in docs.text and "cdn" not in docs.text.lower()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
def test_chromium_pastes_the_sample_article_and_sees_its_sentences(tiny_model_dir, tmp_path):
    pytest.importorskip("playwright.sync_api")
    from credscore.eval.render_check import browser_page, chromium, serving

    if chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    sample = (ROOT / "seeds/belgorod-legion-raid.txt").read_text(encoding="utf-8")
    with serving(tiny_model_dir, _free_port()) as url, browser_page() as page:
        page.goto(url)
        page.fill("textarea[name=text]", sample)
        page.click("button[type=submit]")
        page.wait_for_selector("span.s")
        assert page.locator("span.s").count() == 16
        assert "How to read this" in page.content()
        page.screenshot(path=str(tmp_path / "web.png"), full_page=True)


def _with_mentions(original):
    """Wrap ``CredscoreModel.predict_documents`` so the model "finds" fixed mentions (the shipped one has no mention head)."""
    from dataclasses import replace

    def predict_documents(self, documents, progress=None):
        probs = original(self, documents, progress)
        mentions, source_of = [], []
        for doc in documents:
            for i, text in enumerate(doc):
                found = []
                for phrase, type_ in (("The ministry", "official_statement"), ("A source", "anonymous_source"),
                                      ("Reuters", "agency")):
                    at = text.find(phrase)
                    if at >= 0:
                        found.append({"start": at, "end": at + len(phrase), "text": phrase, "type": type_,
                                      "role": "channel" if type_ == "agency" else "source", "confidence": 0.9})
                mentions.append(found)
                source_of.append(i - 1 if text.startswith("It ") and i else None)
        return replace(probs, mentions=mentions, source_of=source_of)

    return predict_documents


def test_score_and_report_show_the_sources_the_model_finds(client, monkeypatch):
    from credscore.api import CredscoreModel

    monkeypatch.setattr(CredscoreModel, "predict_documents", _with_mentions(CredscoreModel.predict_documents))
    text = "The ministry said on Monday that two people died.\n\nA source said the toll may rise, Reuters wrote. It rained."
    data = client.post("/score", json={"text": text}).json()
    first = data["sentences"][0]["sources"][0]
    assert text[first["start"]:first["end"]] == "The ministry" and first["type"] == "official_statement"
    assert data["sentences"][2]["source_of"] == 1
    sources = {s["name"]: s for s in data["profile"]["sources"]}
    assert set(sources) == {"The ministry", "A source", "Reuters"}
    assert sources["The ministry"]["sentences"] == [0] and sources["A source"]["sentences"] == [1, 2]
    assert sources["A source"]["via"] == [sources["Reuters"]["id"]] and sources["Reuters"]["channel_for"] == [1]
    assert {"top_source", "distinct_sources", "via_outlet", "anonymous_source"} <= {
        f["code"] for f in data["profile"]["explanations"]}
    report = client.post("/report", data={"text": text})
    assert report.status_code == 200 and "Sources: who said it" in report.text
    assert report.text.count('<tr id="src') == 3 and 'href="#src' in report.text
