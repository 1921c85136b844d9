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


ARTICLE = ("Storm hits coast\n\nThe ministry said on Monday that two people died. A source said the toll may rise.\n\n"
           "Reuters reported that roads were closed. \"We are working,\" the mayor said. It rained all day.")


def test_report_keeps_paragraphs_and_explains_itself(tiny_model):
    result = tiny_model.score(ARTICLE)
    html = result.to_html()
    assert [s.paragraph for s in result.sentences] == [0, 1, 1, 2, 2, 2]
    assert html.count("<p><span class=\"s ") == 3  # one <p> per paragraph as written
    assert "How to read this" in html and "sourcing, not truth" in html and "machine-made" in html
    n = len(result.sentences)
    for label, count in result.profile.attribution_counts.items():
        assert f"{count} of {n}" in html
    assert "and 1 more" not in html and " more.</li>" not in html  # findings list every sentence as a link


@needs_chromium
def test_every_finding_link_resolves_to_a_sentence_in_chromium(tiny_model, tmp_path):
    from selectolax.lexbor import LexborHTMLParser

    result = tiny_model.score(ARTICLE + " " + " ".join(f"Officials said item {i} was found." for i in range(12)))
    page = tmp_path / "r.html"
    page.write_text(result.to_html(), encoding="utf-8")
    tree = LexborHTMLParser(rendered_dom(page))
    ids = {node.attributes.get("id") for node in tree.css("span.s")}
    assert len(ids) == len(result.sentences)
    links = [a.attributes["href"] for a in tree.css(".findings a")]
    assert len(links) == sum(len(f.sentences) for f in result.profile.explanations) > 8
    assert all(href.startswith("#") and href[1:] in ids for href in links)
    assert not tree.css("script")
