"""Mention accuracy (:mod:`credscore.eval.mentions`): exact and overlap matching, types, continuation links."""

from __future__ import annotations

from credscore.eval.mentions import match_overlap, mention_scores, source_of_scores


def _m(start, end, type_="named", role="source"):
    return {"start": start, "end": end, "type": type_, "role": role}


def test_overlap_matching_is_one_to_one_largest_first():
    gold = [_m(0, 10)]
    pred = [_m(0, 3), _m(2, 10)]
    assert match_overlap(gold, pred) == [(0, 1)]


def test_exact_overlap_and_type_scores():
    gold = [[_m(0, 10, "official"), _m(20, 25, "anonymous")], [_m(0, 4, "outlet", "channel")]]
    pred = [[_m(0, 10, "official"), _m(21, 25, "named")], [], ]
    scores = mention_scores(gold, pred)
    assert scores["gold"] == 3 and scores["predicted"] == 2
    assert scores["exact"] == {"precision": 0.5, "recall": 0.3333, "f1": 0.4}
    assert scores["overlap"]["precision"] == 1.0 and scores["overlap"]["recall"] == 0.6667
    assert scores["type_accuracy_of_matched"] == 0.5
    assert scores["type_confusion_of_matched"] == {"official": {"official": 1}, "anonymous": {"named": 1}}


def test_no_match_gives_no_type_accuracy():
    scores = mention_scores([[_m(0, 3)]], [[_m(5, 8)]])
    assert scores["overlap"]["f1"] == 0.0
    assert scores["type_accuracy_of_matched"] is None and scores["type_confusion_of_matched"] == {}


def test_source_of_links():
    scores = source_of_scores([None, 0, 0, None], [None, 0, None, 1])
    assert scores["gold_links"] == 2 and scores["predicted_links"] == 2
    assert scores["precision"] == 0.5 and scores["recall"] == 0.5
