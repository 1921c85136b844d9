"""The HTML report: self-contained, escaped, and rendered by real headless Chromium."""

import re

import pytest

from credscore.eval.render_check import chromium, rendered_dom, visible_text

ATTACK = ('Officials said <script>document.title="pwned";document.body.setAttribute("data-x","pwned")</script> '
          'it rained. A source said "><img src=x onerror="document.body.setAttribute(\'data-y\',\'pwned\')"> too.')


def test_html_is_self_contained_and_escaped(tiny_model):
    html = tiny_model.score(ATTACK).to_html()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external assets
    assert "Content-Security-Policy" in html
    assert html.count('class="s ') == len(tiny_model.score(ATTACK).sentences)


needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium not installed (apt-get install chromium)")


@needs_chromium
def test_chromium_shows_every_sentence_and_runs_no_script(tiny_model, tmp_path):
    result = tiny_model.score(ATTACK)
    page = tmp_path / "r.html"
    page.write_text(result.to_html(), encoding="utf-8")
    dom = rendered_dom(page)
    # Had either payload run, it would have set these attributes or the title.
    assert 'data-x="pwned"' not in dom and "data-y=\"pwned\"" not in dom
    assert "<title>pwned" not in dom
    text = visible_text(page)
    for s in result.sentences:
        assert " ".join(s.text.split()) in text
