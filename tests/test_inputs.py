"""Odd but valid inputs: HTML, no punctuation, single words, long sentences, other languages."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.errors import InputError
from model.inputs import html_to_text, looks_like_html, read_articles
from model.text import split_sentences

PAGE = """<!DOCTYPE html><html><head><title>Storm hits coast</title><script>alert(1)</script></head>
<body><nav>Home | World</nav><article><h1>Storm hits coast</h1><p>Officials said two people were hurt.</p>
<p>A source said <b>more</b> damage may follow.</p></article><footer>(c) Paper</footer></body></html>"""


def test_html_is_detected_and_extracted(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE)
    (article,) = read_articles([str(path)])
    assert "Officials said two people were hurt." in article.text
    assert "A source said more damage may follow." in article.text
    assert "alert" not in article.text and "<p>" not in article.text and "Home | World" not in article.text


def test_html_can_be_forced_off_and_on(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PAGE)
    assert "<p>" in read_articles([str(path)], html=False)[0].text
    frag = tmp_path / "frag.txt"
    frag.write_text("<p>One sentence here.</p>")
    assert read_articles([str(frag)], html=True)[0].text == "One sentence here."


def test_plain_text_is_not_mistaken_for_html():
    assert not looks_like_html("The a < b comparison and x > y are maths, not markup.")
    assert looks_like_html(PAGE)
    assert html_to_text("<html><body></body></html>") == ""


def test_no_punctuation_and_single_word(tiny_model):
    res = tiny_model.score("breaking news from the capital\nmore later")
    assert [s.text for s in res.sentences] == ["breaking news from the capital", "more later"]
    one = tiny_model.score("Hello")
    assert len(one.sentences) == 1 and one.profile.n_sentences == 1


def test_long_sentence_truncated_with_warning(tiny_model):
    res = tiny_model.score("The minister said " + "very " * 400 + "much.")
    assert any("truncated" in w for w in res.warnings)


def test_non_english_warning(tiny_model):
    res = tiny_model.score("Der Minister sagte am Montag, dass die Abstimmung in der Hauptstadt stattfinden werde. "
                           "Die Opposition kritisierte den Plan und forderte eine neue Debatte im Parlament.")
    assert any("English" in w for w in res.warnings)


def test_empty_text_refused(tiny_model):
    with pytest.raises(InputError):
        tiny_model.score("   \n  ")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_splitter_properties_for_any_text(text):
    sents = split_sentences(text)
    prev_end = 0
    for s in sents:
        assert 0 <= s.start < s.end <= len(text)
        assert s.start >= prev_end
        assert text[s.start:s.end] == s.text
        prev_end = s.end
    covered = "".join(s.text for s in sents)
    assert "".join(covered.split()) == "".join(text.split())


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab .!?"\n\r\u2029Mr.J'), max_size=200))
def test_splitter_properties_on_punctuation_heavy_text(text):
    sents = split_sentences(text)
    assert "".join("".join(s.text for s in sents).split()) == "".join(text.split())
