"""Source-mention tags: gold spans to token tags and back, and continuation links."""

from __future__ import annotations

import numpy as np

from credscore.mentions import MENTION_TAGS, decode_tags, encode_tags, resolve_source_of
from credscore.tokenization import SentenceTokenizer


def _one_hot(tags: list[int]) -> np.ndarray:
    probs = np.full((len(tags), len(MENTION_TAGS)), 0.01)
    probs[np.arange(len(tags)), tags] = 1.0
    return probs / probs.sum(1, keepdims=True)


def test_gold_spans_survive_encoding_and_decoding():
    text = "Belgorod's governor Vyacheslav Gladkov said, according to the Kyiv Post, that it was over."
    spans = [{"start": 0, "end": 38, "type": "official_statement", "role": "source"},
             {"start": 58, "end": 71, "type": "agency", "role": "channel"}]
    _, offsets, _ = SentenceTokenizer().encode_pieces([text])
    decoded = decode_tags(_one_hot(encode_tags(offsets[0], spans)), offsets[0], text)
    assert [(m["start"], m["end"], m["text"], m["type"], m["role"]) for m in decoded] == [
        (0, 38, "Belgorod's governor Vyacheslav Gladkov", "official_statement", "source"),
        (58, 71, "the Kyiv Post", "agency", "channel")]
    assert all(0.8 < m["confidence"] <= 1.0 for m in decoded)


def test_a_span_ending_inside_a_word_is_widened_to_the_word():
    text = "Gladkov spoke."
    _, offsets, _ = SentenceTokenizer().encode_pieces([text])
    assert len(offsets[0]) > 3  # "Gladkov" is several word pieces
    tags = [0] * len(offsets[0])
    tags[0] = MENTION_TAGS.index("B-official_statement/source")  # only the first piece tagged
    decoded = decode_tags(_one_hot(tags), offsets[0], text)
    assert [m["text"] for m in decoded] == ["Gladkov"]


def test_no_tags_no_mentions():
    _, offsets, _ = SentenceTokenizer().encode_pieces(["Prices rose."])
    assert decode_tags(_one_hot([0] * len(offsets[0])), offsets[0], "Prices rose.") == []


def test_continuations_link_to_the_nearest_earlier_source_of_their_type():
    gladkov = [{"type": "official_statement", "role": "source"}]
    source = [{"type": "anonymous_source", "role": "source"}]
    labels = ["official_statement", "official_statement", "unattributed", "anonymous_source",
              "official_statement", "anonymous_source"]
    mentions = [gladkov, [], [], source, [], []]
    assert resolve_source_of(labels, mentions) == [None, 0, None, None, 0, 3]


def test_a_span_starting_inside_a_word_covers_the_whole_word():
    text = "Vyacheslav Gladkov spoke."
    _, offsets, _ = SentenceTokenizer().encode_pieces([text])
    pieces = [text[a:b] for a, b in offsets[0]]
    tags = [0] * len(offsets[0])
    begin, inside = MENTION_TAGS.index("B-official_statement/source"), MENTION_TAGS.index("I-official_statement/source")
    for i, piece in enumerate(pieces):  # only the first word and the last piece of the surname are tagged
        if text.startswith(piece) and i == 0:
            tags[i] = begin
        elif piece == pieces[offsets[0].index(max(o for o in offsets[0] if o[1] <= 18))]:
            tags[i] = inside
    decoded = decode_tags(_one_hot(tags), offsets[0], text)
    assert [m["text"] for m in decoded] == ["Vyacheslav Gladkov"]


def _tagged(text: str, words: dict[str, str]) -> np.ndarray:
    """One-hot tag probabilities: every piece of each word in ``words`` gets that tag."""
    _, offsets, _ = SentenceTokenizer().encode_pieces([text])
    tags = []
    for a, b in offsets[0]:
        word = next((w for w in words if text.find(w) <= a and b <= text.find(w) + len(w)), None)
        tags.append(MENTION_TAGS.index(words[word]) if word else 0)
    return _one_hot(tags), offsets[0]


def test_a_mention_whose_tags_change_type_inside_stays_one_mention_of_the_majority_type():
    text = "A Ukrainian intelligence source said so."
    probs, offsets = _tagged(text, {"A": "B-anonymous_source/source", "Ukrainian": "I-official_statement/source",
                                    "intelligence": "I-anonymous_source/source", "source": "I-anonymous_source/source"})
    decoded = decode_tags(probs, offsets, text)
    assert [(m["text"], m["type"]) for m in decoded] == [("A Ukrainian intelligence source", "anonymous_source")]


def test_punctuation_inside_a_mention_is_bridged_but_a_new_begin_tag_starts_a_new_mention():
    text = "Mr. Trump and the Kyiv Post said so."
    probs, offsets = _tagged(text, {"Mr": "B-direct_claim/source", "Trump": "I-direct_claim/source",
                                    "the": "B-agency/channel", "Kyiv": "I-agency/channel", "Post": "I-agency/channel"})
    decoded = decode_tags(probs, offsets, text)
    assert [(m["text"], m["type"], m["role"]) for m in decoded] == [
        ("Mr. Trump", "direct_claim", "source"), ("the Kyiv Post", "agency", "channel")]
