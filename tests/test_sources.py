"""Sources: mentions grouped into who said it, their profile entries and findings, and the grouping's evaluation."""

from __future__ import annotations

import json

from credscore.scoring import ScoringConfig, build_profile
from credscore.source_grouping import group_mentions, sources_from_mentions
from tests.sources_fixture import article_from_rows, belgorod, belgorod_rows


def _m(sentence, text, type_="direct_claim", role="source", start=0):
    return {"sentence": sentence, "start": start, "end": start + len(text), "text": text, "type": type_, "role": role}


def _groups(mentions):
    groups, _ = group_mentions(mentions)
    return [[mentions[i]["text"] for i in g] for g in groups]


def test_pronouns_names_and_titles_join_their_source():
    ms = [_m(0, "Belgorod’s governor Vyacheslav Gladkov", "official_statement"),
          _m(1, "He", "official_statement"),
          _m(2, "the governor", "official_statement"),
          _m(3, "Gladkov", "official_statement"),
          _m(4, "Senator Cruz"), _m(5, "The senator"), _m(6, "Mr. Cruz"),
          _m(7, "a Washington Post report", "agency"), _m(8, "the Post", "agency"), _m(9, "the paper", "agency")]
    assert _groups(ms) == [["Belgorod’s governor Vyacheslav Gladkov", "He", "the governor", "Gladkov"],
                           ["Senator Cruz", "The senator", "Mr. Cruz"],
                           ["a Washington Post report", "the Post", "the paper"]]
    sources = sources_from_mentions(ms, {}, ["official_statement"] * 4 + ["direct_claim"] * 3 + ["agency"] * 3,
                                    ["none"] * 10)
    assert [s.name for s in sources] == ["Vyacheslav Gladkov", "Cruz", "Washington Post"]
    people = [_m(0, "US Ambassador to Germany Richard Grenell", "official_statement"),
              _m(1, "German Chancellor Angela Merkel's spokesperson, Steffen Seibert", "official_statement"),
              _m(2, "Trump transition spokeswoman Hope Hicks"), _m(3, "The Freedom of Russia Legion")]
    assert [s.name for s in sources_from_mentions(people, {}, ["direct_claim"] * 4, ["none"] * 4)] == [
        "Richard Grenell", "Steffen Seibert", "Hope Hicks", "Freedom of Russia Legion"]


def test_pronoun_goes_to_the_nearest_compatible_source():
    ms = [_m(0, "Jane Doe"), _m(0, "the Acme company", start=20), _m(1, "She"), _m(2, "It")]
    assert _groups(ms) == [["Jane Doe", "She"], ["the Acme company", "It"]]
    # a pronoun never joins a source of another type, nor an outlet that only carried the words
    ms = [_m(0, "a spokesman", "official_statement"), _m(0, "the Kyiv Post", "agency", "channel", 30),
          _m(1, "He", "official_statement")]
    assert _groups(ms) == [["a spokesman", "He"], ["the Kyiv Post"]]


def test_different_people_stay_apart():
    ms = [_m(0, "a source", "anonymous_source"), _m(1, "a source", "anonymous_source"),
          _m(2, "Jane Doe"), _m(3, "John Doe"), _m(4, "Russia", "official_statement"),
          _m(5, "The Freedom of Russia Legion")]
    groups = _groups(ms)
    assert ["Jane Doe", "John Doe"] in groups  # same surname, same type: merged (a known limitation) ...
    assert ["Russia"] in groups and ["The Freedom of Russia Legion"] in groups  # ... but not across types
    assert groups.count(["a source"]) == 2  # an indefinite person is someone new


def test_sample_article_sources_in_the_profile():
    result = belgorod()
    by_name = {s.name: s for s in result.profile.sources}
    assert set(by_name) == {"Freedom of Russia Legion", "a Ukrainian intelligence source", "Kyiv Post",
                            "Vyacheslav Gladkov", "Russia", "a Ukrainian military spokerson", "agencies"}
    gladkov = by_name["Vyacheslav Gladkov"]
    assert gladkov.type == "official_statement" and gladkov.sentences == [5, 6] and gladkov.hedged == [6]
    assert gladkov.hedged_share == 0.5 and gladkov.share_of_claims == round(2 / 14, 4)
    anon = by_name["a Ukrainian intelligence source"]
    assert anon.sentences == [2, 3, 4]  # its own sentence and the two that continue the quote (source_of)
    post = by_name["Kyiv Post"]
    assert anon.via == [post.id] and post.channel_for == [2] and post.sentences == [8]
    assert [len(s.sentences) for s in result.profile.sources] == sorted(
        (len(s.sentences) for s in result.profile.sources), reverse=True)
    data = json.loads(result.to_json())
    first = data["profile"]["sources"][0]
    assert set(first) == {"id", "name", "type", "kind", "named", "sentences", "claims", "share_of_claims", "hedged",
                          "hedged_share", "via", "channel_for", "mentions", "rules"}
    assert first["name"] == "Freedom of Russia Legion" and first["claims"] == 4


def test_source_findings_point_at_their_sentences():
    result = belgorod()
    findings = {f.code: f for f in result.profile.explanations}
    assert findings["top_source"].sentences == [0, 1, 10, 11] and "29%" in findings["top_source"].message
    assert findings["top_source"].severity == "info"
    distinct = findings["distinct_sources"]
    assert distinct.summary == ("4 distinct named sources (“Freedom of Russia Legion”, “Vyacheslav Gladkov”, “Kyiv Post”, "
                                "“Russia”), 2 on the record without a name, 1 anonymous")
    assert distinct.sentences == [0, 1, 5, 6, 8, 10, 11, 12]
    assert findings["via_outlet"].sentences == [2, 3, 4] and "Kyiv Post" in findings["via_outlet"].message
    assert findings["anonymous_source"].sentences == [2, 3, 4]
    hedged = [f for f in result.profile.explanations if f.code == "hedged_source"]
    assert sorted(i for f in hedged for i in f.sentences) == [1, 6, 14]
    n = len(result.sentences)
    assert all(0 <= i < n for f in result.profile.explanations for i in f.sentences)


def test_one_source_carrying_most_claims_is_a_warning():
    rows = [{"sent_index": i, "text": f"Sentence {i}.", "attribution": "direct_claim", "hedging": "none",
             "sources": [{"start": 0, "end": 2, "text": "He" if i else "Jane Doe", "type": "direct_claim",
                          "role": "source"}]} for i in range(4)]
    rows[0]["text"] = "Jane Doe said so."
    top = {f.code: f for f in article_from_rows(rows).profile.explanations}["top_source"]
    assert top.severity == "warning" and "100%" in top.message and top.sentences == [0, 1, 2, 3]


def test_sources_never_change_the_score():
    result = belgorod()
    att = [[s.attribution.scores[l] for l in s.attribution.scores] for s in result.sentences]
    hed = [[s.hedging.scores[l] for l in s.hedging.scores] for s in result.sentences]
    bare = build_profile(att, hed, ScoringConfig())
    assert bare.sources == [] and bare.reliability == result.profile.reliability
    assert bare.components == result.profile.components
    assert [f.code for f in bare.explanations] == [f.code for f in result.profile.explanations][: len(bare.explanations)]


def test_no_mentions_no_sources():
    rows = [dict(r, sources=[], source_of=None) for r in belgorod_rows()]
    result = article_from_rows(rows)
    assert result.profile.sources == [] and json.loads(result.to_json())["profile"]["sources"] == []
    assert not any(f.code in {"top_source", "distinct_sources"} for f in result.profile.explanations)


def test_model_mentions_become_sources(tiny_model):
    """Whatever the (random) tiny model marks, every source points at real sentences and mentions."""
    result = tiny_model.score("The ministry said on Monday that two people died. A source said the toll may rise. "
                              "Reuters reported that roads were closed. \"We are working,\" the mayor said.")
    n = len(result.sentences)
    marked = sum(len(s.sources) for s in result.sentences)
    assert sum(len(src.mentions) for src in result.profile.sources) == marked
    for src in result.profile.sources:
        assert all(0 <= i < n for i in src.sentences + src.hedged + src.channel_for)
        for m in src.mentions:
            sentence = result.sentences[m["sentence"]]
            assert sentence.text[m["start"]:m["end"]] == m["text"]


def test_grouping_evaluation_runs_on_the_gold_groups(tmp_path):
    from credscore.eval.source_grouping import bcubed, evaluate, main

    assert bcubed([0, 0, 1], [0, 0, 1]) == (1.0, 1.0)
    p, r = bcubed([0, 0, 0], [0, 1, 2])
    assert p == 1.0 and abs(r - 1 / 3) < 1e-9
    report = evaluate()
    assert report["documents"] >= 6 and report["held_out_documents"]["documents"] >= 3
    assert 0.8 < report["bcubed_f1"] <= 1.0 and report["display_name_accuracy"] > 0.8
    belgorod_doc = next(d for d in report["per_document"] if d["doc_id"] == "belgorod-legion-raid")
    assert belgorod_doc["bcubed_f1"] == 1.0 and belgorod_doc["names_right"] == belgorod_doc["gold_sources"]
    out = tmp_path / "r.json"
    main(["--out", str(out)])
    assert json.loads(out.read_text())["bcubed_f1"] == report["bcubed_f1"]


def test_gold_groups_cover_every_gold_mention():
    from credscore.eval.source_grouping import GOLD, gold_mentions, load_document
    from tests.conftest import ROOT

    for line in GOLD.read_text(encoding="utf-8").splitlines():
        spec = json.loads(line)
        rows = load_document(ROOT / spec["file"], spec["doc_id"])
        assert sum(len(g["mentions"]) for g in spec["groups"]) == len(gold_mentions(rows)), spec["doc_id"]
    assert belgorod_rows()[2]["sources"][1]["role"] == "channel"


def test_table_shows_each_sentences_source_and_a_sources_panel():
    import io

    from credscore.formats.table import write_table

    out = io.StringIO()
    write_table([belgorod()], out, False)
    text = out.getvalue()
    assert "sources (who said it)" in text
    assert "Vyacheslav Gladkov (official)" in text  # beside sentences 6 and 7
    assert "(anonymous) via Kyiv Post" in text and "carried #3" in text
    panel = text[text.index("sources (who said it)"):]
    assert panel.index("Freedom of Russia Legion") < panel.index("Vyacheslav Gladkov") < panel.index("agencies")
    bare = io.StringIO()
    write_table([article_from_rows([dict(r, sources=[], source_of=None) for r in belgorod_rows()])], bare, False)
    assert "sources (who said it)" not in bare.getvalue() and "│ source" not in bare.getvalue()


def test_grouping_never_fails_on_odd_mentions():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    mention = st.fixed_dictionaries({
        "sentence": st.integers(0, 5), "start": st.integers(0, 40), "end": st.integers(0, 60),
        "text": st.text(max_size=25) | st.sampled_from(["He", "it", "the paper", "a source", "Mr.", "’s", "The The"]),
        "type": st.sampled_from(["direct_claim", "official_statement", "anonymous_source", "agency"]),
        "role": st.sampled_from(["source", "channel"])})

    @settings(max_examples=150, deadline=None)
    @given(st.lists(mention, max_size=12), st.dictionaries(st.integers(0, 7), st.integers(0, 7) | st.none()))
    def check(mentions, source_of):
        groups, rules = group_mentions(mentions)
        assert sorted(i for g in groups for i in g) == list(range(len(mentions))) and all(rules)
        sources = sources_from_mentions(mentions, source_of, ["direct_claim"] * 6, ["low"] * 6)
        assert all(0 <= i < 6 for s in sources for i in s.sentences) and all(s.name for s in sources)

    check()


def test_parquet_rows_keep_the_sources():
    from credscore.formats.parquet import records_to_table
    from credscore.records import result_record

    record = result_record("belgorod", belgorod(), {})
    back = records_to_table([record]).to_pylist()[0]
    assert back["profile"]["sources"] == record["profile"]["sources"]
    assert back["sentences"][2]["sources"][1]["role"] == "channel" and back["sentences"][3]["source_of"] == 2
