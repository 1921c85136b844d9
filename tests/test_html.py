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


def _sources_report():
    from tests.sources_fixture import belgorod

    return belgorod()


def _check_sources_panel(tree, result) -> None:
    ids = {node.attributes.get("id") for node in tree.css("span.s")}
    rows = tree.css("table.sources tr[id]")
    assert [r.attributes["id"] for r in rows] == [f"src{s.id}" for s in result.profile.sources]
    links = [a.attributes["href"] for a in tree.css("table.sources a")]
    sentence_links = [h for h in links if h.startswith("#s") and not h.startswith("#src")]
    assert len(sentence_links) == sum(len(s.sentences) + len(s.channel_for) for s in result.profile.sources)
    assert all(h[1:] in ids for h in sentence_links)
    row_ids = {r.attributes["id"] for r in rows}
    assert all(h[1:] in row_ids for h in links if h.startswith("#src"))
    assert "#src2" in links  # the anonymous source's row links to the outlet that carried it
    marks = tree.css("span.s mark.m")
    assert len(marks) == sum(len(s.sources) for s in result.sentences)
    assert all(m.attributes.get("data-label") for m in marks)  # each mention says its type in text, not colour alone
    assert all(a.attributes["href"][1:] in row_ids for m in marks for a in m.css("a"))
    finding_links = [a.attributes["href"] for a in tree.css(".findings a")]
    assert len(finding_links) == sum(len(f.sentences) for f in result.profile.explanations)
    assert all(h[1:] in ids for h in finding_links)


def test_sources_panel_and_marked_mentions():
    from selectolax.lexbor import LexborHTMLParser

    result = _sources_report()
    html = result.to_html()
    tree = LexborHTMLParser(html)
    _check_sources_panel(tree, result)
    gladkov = tree.css_first("#s6")
    assert gladkov.text() == result.sentences[5].text  # marks never change the sentence's text
    mark = gladkov.css_first("mark")
    assert mark.text() == "Belgorod’s governor Vyacheslav Gladkov" and mark.attributes["data-label"] == "official source"
    post = [m for m in tree.css("#s3 mark") if m.text() == "the Kyiv Post"][0]
    assert "role-channel" in post.attributes["class"] and post.attributes["data-label"] == "outlet carrying the words"
    assert "Sources: who said it" in html and "<script" not in html.lower()
    from tests.sources_fixture import article_from_rows, belgorod_rows

    bare = article_from_rows([dict(r, sources=[], source_of=None) for r in belgorod_rows()])
    assert "Sources: who said it" not in bare.to_html()


def test_mentions_are_escaped_and_bad_offsets_ignored():
    from selectolax.lexbor import LexborHTMLParser

    from tests.sources_fixture import article_from_rows

    rows = [{"sent_index": 0, "text": '<b>Evil</b> Corp said "x" <i>.', "attribution": "direct_claim", "hedging": "none",
             "sources": [{"start": 0, "end": 16, "text": "<b>Evil</b> Corp", "type": "direct_claim", "role": "source"},
                         {"start": 5, "end": 9, "text": "Evil", "type": "direct_claim", "role": "source"},
                         {"start": 20, "end": 999, "text": "?", "type": "agency", "role": "channel"}]}]
    html = article_from_rows(rows).to_html()
    assert "<b>Evil" not in html and "&lt;b&gt;Evil&lt;/b&gt; Corp" in html
    tree = LexborHTMLParser(html)
    assert tree.css_first("#s1").text() == rows[0]["text"] and len(tree.css("#s1 mark")) == 1


@needs_chromium
def test_sources_panel_links_resolve_in_chromium(tmp_path):
    from selectolax.lexbor import LexborHTMLParser

    result = _sources_report()
    page = tmp_path / "r.html"
    page.write_text(result.to_html(), encoding="utf-8")
    tree = LexborHTMLParser(rendered_dom(page))
    _check_sources_panel(tree, result)
    assert not tree.css("script")
    text = visible_text(page)
    for s in result.sentences:
        assert " ".join(s.text.split()) in text
