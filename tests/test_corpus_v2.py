"""Corpus v2: source mentions in the data format, their validation, and the shipped corpus's invariants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credscore.data_format import mention_problems, mention_warnings, resolve_mentions
from credscore.errors import DataValidationError
from credscore.training.data import load_rows
from tests.conftest import write_jsonl

ROOT = Path(__file__).resolve().parent.parent
TEXT = "A source was quoted by the Kyiv Post as saying it was over."


def _row(**kw):
    base = {"doc_id": "d", "sent_index": 0, "text": TEXT, "attribution": "anonymous_source", "hedging": "none",
            "annotator": "manual", "source": "t"}
    return {**base, **kw}


def _mention(text, type_="anonymous_source", role="source", start=None):
    start = TEXT.index(text) if start is None else start
    return {"start": start, "end": start + len(text), "text": text, "type": type_, "role": role}


def test_valid_mentions_pass_and_are_kept(tmp_path):
    rows = [_row(sources=[_mention("A source"), _mention("the Kyiv Post", "agency", "channel")]),
            _row(sent_index=1, text="It was over.", sources=None, source_of=0)]
    rows[1].pop("sources")
    loaded = load_rows([write_jsonl(tmp_path / "ok.jsonl", rows)])
    assert loaded[0]["sources"][1]["text"] == "the Kyiv Post" and loaded[1]["source_of"] == 0


@pytest.mark.parametrize("bad, message", [
    ({"sources": [_mention("A source", start=30)]}, "not the mention's text 'A source'"),
    ({"sources": [{**_mention("A source"), "end": 999}]}, "offsets into the text"),
    ({"sources": [_mention("A source", type_="unattributed")]}, "unknown type 'unattributed'"),
    ({"sources": [_mention("A source", role="speaker")]}, "unknown role 'speaker'"),
    ({"sources": "A source"}, "must be a list"),
    ({"source_of": "3"}, "source_of must be the sent_index"),
    ({"source_of": 0}, "source_of must be the sent_index"),  # itself
])
def test_bad_mentions_are_reported_with_file_and_line(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [_row(sent_index=5), _row(**bad)])
    with pytest.raises(DataValidationError) as err:
        load_rows([path])
    text = "\n".join(err.value.problems)
    assert f"{path}:2" in text
    assert message in text


def test_source_of_must_name_a_sentence_of_the_same_document(tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [_row(sources=[_mention("A source")]),
                                              _row(doc_id="e", sent_index=1, source_of=0)])
    with pytest.raises(DataValidationError, match="source_of 0 is not a sentence of document 'e'"):
        load_rows([path])


def test_weakest_link_disagreement_warns_but_is_accepted(tmp_path):
    row = _row(attribution="official_statement", sources=[_mention("A source")])
    assert mention_problems(row, "f:1") == []
    assert "weakest mention is anonymous_source" in mention_warnings(row, "f:1")[0]
    notes = []
    assert load_rows([write_jsonl(tmp_path / "w.jsonl", [row])], warn=notes.append)
    assert len(notes) == 1


def test_mentions_given_as_text_become_offsets_or_are_refused():
    got = resolve_mentions("He said he would go.", [{"text": "He", "type": "direct_claim", "role": "source"}])
    assert got == [{"start": 0, "end": 2, "text": "He", "type": "direct_claim", "role": "source"}]
    with pytest.raises(ValueError, match="'She' is not in the sentence"):
        resolve_mentions("He said.", [{"text": "She", "type": "direct_claim", "role": "source"}], "f:3")


def _split_rows():
    for folder in (ROOT / "seeds", ROOT / "seeds/onestopenglish"):
        for split in ("train", "dev", "test"):
            with open(folder / f"{split}.jsonl", encoding="utf-8") as fh:
                yield from (json.loads(line) for line in fh)


def test_shipped_corpus_has_a_mention_or_continuation_on_every_attributed_sentence():
    rows = list(_split_rows())
    assert len(rows) >= 15_000
    for r in rows:
        if r["attribution"] != "unattributed":
            assert r.get("sources") or r.get("source_of") is not None, (r["doc_id"], r["sent_index"])
        for m in r.get("sources", []):
            assert r["text"][m["start"]:m["end"]] == m["text"]


def test_sharealike_rows_stay_in_their_own_folder():
    for split in ("train", "dev", "test"):
        main = (ROOT / f"seeds/{split}.jsonl").read_text(encoding="utf-8")
        assert '"source": "onestopenglish"' not in main
    assert "CC BY-SA 4.0" in (ROOT / "seeds/onestopenglish/LICENSE.md").read_text(encoding="utf-8")


def test_annotation_guide_is_the_projects_contract():
    shared = ROOT.parent / "shared/annotation-guide.md"
    if not shared.exists():
        pytest.skip("the shared folder is not beside this checkout")
    assert (ROOT / "docs/annotation-guide.md").read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_sample_article_mentions_follow_the_guides_worked_example():
    rows = {r["sent_index"]: r for r in map(json.loads, (ROOT / "seeds/belgorod-legion-raid.jsonl").open(encoding="utf-8"))}
    assert [(m["text"], m["type"], m["role"]) for m in rows[2]["sources"]] == [
        ("a Ukrainian intelligence source", "anonymous_source", "source"), ("the Kyiv Post", "agency", "channel")]
    assert rows[3]["source_of"] == rows[4]["source_of"] == 2
    assert rows[15]["attribution"] == "agency" and rows[15]["sources"][0]["text"] == "agencies"
    assert rows[14]["hedging"] == "high"


def test_mention_pass_and_adjudication_edit_label_files_and_record_why(tmp_path):
    from credscore.training.annotations import apply_adjudication, merge_mention_pass

    labels = tmp_path / "labels"
    labels.mkdir()
    base = {"doc_id": "d", "annotator": "manual"}
    write_jsonl(labels / "b1.jsonl", [
        {**base, "sent_index": 0, "text": "Reports said it burned.", "attribution": "anonymous_source", "hedging": "none"},
        {**base, "sent_index": 1, "text": "It spread.", "attribution": "unattributed", "hedging": "none"}])
    mention_pass = write_jsonl(tmp_path / "pass.jsonl", [
        {"doc_id": "d", "sent_index": 0, "attribution": "agency", "hedging": "low", "change_reason": "rule 9",
         "sources": [{"text": "Reports", "type": "agency", "role": "source"}]},
        {"doc_id": "d", "sent_index": 1, "attribution": "unattributed", "hedging": "none"}])
    counts = merge_mention_pass(mention_pass, labels)
    assert counts["relabelled"] == 1 and counts["sources"] == 1
    rows = [json.loads(line) for line in (labels / "b1.jsonl").open()]
    assert rows[0]["relabelled"]["was"] == "anonymous_source/none" and rows[0]["sources"][0]["text"] == "Reports"
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"doc_id": "d", "sent_index": 0, "attribution": "agency",
                                               "hedging": "low", "sources": [{"text": "Nobody", "type": "agency",
                                                                              "role": "source"}]}])
    with pytest.raises(ValueError, match="'Nobody' is not in the sentence"):
        merge_mention_pass(bad, labels)
    second = write_jsonl(tmp_path / "second.jsonl", [{"doc_id": "d", "sent_index": 1, "attribution": "direct_claim",
                                                      "hedging": "none", "source_of": 0}])
    decisions = write_jsonl(tmp_path / "adj.jsonl", [{"doc_id": "d", "sent_index": 1, "task": "attribution",
                                                      "first": "unattributed", "second": "agency", "final": "agency",
                                                      "rule": "rule 1"}])
    assert apply_adjudication(decisions, [labels], [second]) == 1
    row = [json.loads(line) for line in (labels / "b1.jsonl").open()][1]
    assert row["attribution"] == "agency" and row["source_of"] == 0  # an attributed row keeps a source
    assert row["adjudicated"]["attribution"]["was"] == "unattributed"
