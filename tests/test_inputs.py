"""Odd but valid inputs: HTML, no punctuation, single words, long sentences, other languages."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.errors import InputError
from credscore.reading import html_to_text, looks_like_html, read_articles
from credscore.splitting import split_sentences

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


@pytest.mark.slow
def test_five_megabyte_article_in_chunks_with_progress(tiny_model, monkeypatch):
    """A 5 MB article is encoded chunk by chunk (bounded token memory) and reports progress."""
    import credscore.predictor as predictor

    monkeypatch.setattr(predictor, "CHUNK_SENTENCES", 2048)
    sentence = "The minister said on Monday that the bridge would reopen next week after repairs. "
    text = (sentence * (5_000_000 // len(sentence) + 1))[:5_000_000]
    calls = []
    chunk_sizes = []
    real_encode = tiny_model.predictor.tokenizer.encode_pieces

    def spy(chunk):
        chunk_sizes.append(len(chunk))
        return real_encode(chunk)

    monkeypatch.setattr(tiny_model.predictor.tokenizer, "encode_pieces", spy)
    res = tiny_model.score(text, progress=lambda done, total: calls.append((done, total)))
    n = len(res.sentences)
    assert n > 50_000
    assert max(chunk_sizes) <= 2048 and sum(chunk_sizes) == n  # never all tokens at once
    assert calls[-1] == (n, n) and len(calls) > 100
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert 0 <= res.profile.reliability <= 100


def test_ctrl_c_during_a_long_score_leaves_output_intact(tmp_path, tiny_model_dir):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    article = tmp_path / "long.txt"
    article.write_text("The minister said the bridge would reopen soon. " * 150_000)  # 7 MB: a long run
    out = tmp_path / "out.json"
    out.write_text("previous result\n")
    proc = subprocess.Popen([sys.executable, "-m", "credscore.cli", "score", str(article), "--format", "json",
                             "--output", str(out), "--model", str(tiny_model_dir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # A background CI shell may ignore SIGINT, and children inherit that.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(10)  # past the imports and model load (slow on a cold machine), inside splitting
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err
    assert out.read_text() == "previous result\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
