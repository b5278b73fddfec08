"""HTML pages translated in place (pipeline.documents.html_doc): the page back, byte for
byte but for its text; inline tags on the words they wrapped."""

import json
import random
import re

import pytest

from pipeline.batch.runner import run
from pipeline.config import Config, with_overrides
from pipeline.documents import html_doc
from pipeline.documents.inline import identity, render
from pipeline.engines.testing import FunctionEngine

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Prime minister visits Paris</title>
<meta name="description" content="The prime minister went to Paris.">
<meta property="og:image" content="https://example.com/pm.jpg">
<script>var a = "<p>not text</p>"; if (a < 3) {}</script>
<style>p > b { color: red }</style>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<header><p>Example News, the daily</p></header>
<!-- a comment <p>inside</p> -->
<article>
<header><h1>The prime minister <em>visits</em> Paris</h1></header>
<p>The <a href="https://example.com/pm?a=1&amp;b=2" title="Prime minister page">prime minister</a> said on <b>Monday</b> that talks went well.<br>
Run <code>ls -la</code> now.</p>
<img src="a.png" alt="The prime minister in Paris">
<pre>keep   this <b>too</b></pre>
<p translate="no">Do not translate me</p>
<p class="x notranslate">Nor me</p>
<template><p>Template text</p></template>
<ul><li>First item &amp; more</li><li><a href="/x">Second</a> item</li></ul>
<table><tr><td>Cell text</td></tr></table>
</article>
<footer>Copyright Example News</footer>
</body>
</html>
"""


def reverse_words(text, src="en", tgt="hy"):
    return " ".join(word[::-1] for word in text.split())


def config(tgt="hy", **html):
    overrides = {f"html__{k}": v for k, v in html.items()}
    return with_overrides(Config(), model__id="function-engine", run__tgt=tgt, run__progress="off",
                          cache__memory=False, **overrides)


def translate(doc, fn=reverse_words):
    """Every paragraph of the page through `fn`, its tags put back."""
    return html_doc.render(doc, [render(fn(p.text), p.text, p.tags, html_doc.escape_for(p))[0] for p in doc.paragraphs], "hy")


def skeleton(markup):
    """The page without its text: every tag, comment, script and style as written."""
    return [t for kind, t in html_doc.tokens(markup) if kind not in ("text", "raw:title")]


def test_untranslated_paragraphs_give_the_page_back():
    doc = html_doc.parse(PAGE)
    texts = [p.text for p in doc.paragraphs]
    assert "The prime minister went to Paris." in texts and "Prime minister page" in texts
    assert "The prime minister in Paris" in texts and "Cell text" in texts
    for kept in ("Home", "Example News, the daily", "keep", "Do not translate me", "Nor me", "Template text",
                 "Copyright Example News", "not text", "inside"):
        assert not any(kept in t for t in texts), kept
    back = html_doc.render(doc, [identity(p.text, p.tags, html_doc.escape_for(p)) for p in doc.paragraphs], "en")
    assert skeleton(back) == skeleton(PAGE)
    assert " ".join(back.split()) == " ".join(PAGE.replace("<br>\n", "<br> ").split())


def test_a_run_translates_the_page_in_place(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, config(), engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), review=False)
    page = (out / "page.html").read_text(encoding="utf-8")
    source_tags = [t for t in skeleton(PAGE)]
    out_tags = skeleton(page)
    assert out_tags[1] == '<html lang="hy">' and len(out_tags) == len(source_tags)
    changed = [(a, b) for a, b in zip(source_tags, out_tags) if a != b]
    assert [a for a, _ in changed] == ['<html lang="en">', '<meta name="description" content="The prime minister went to Paris.">',
                                       '<a href="https://example.com/pm?a=1&amp;b=2" title="Prime minister page">',
                                       '<img src="a.png" alt="The prime minister in Paris">']
    assert '<a href="https://example.com/pm?a=1&amp;b=2" title="emirP retsinim egap">emirp retsinim</a>' in page
    assert "<b>yadnoM</b>" in page and "<em>stisiv</em>" in page and "<code>ls -la</code>" in page
    assert "<title>emirP retsinim stisiv siraP</title>" in page
    assert "<pre>keep   this <b>too</b></pre>" in page and '<p translate="no">Do not translate me</p>' in page
    assert "<nav><a href=\"/\">Home</a>" in page and "<footer>Copyright Example News</footer>" in page
    assert "<li>tsriF meti &amp; erom</li>" in page and '<li><a href="/x">dnoceS</a> meti</li>' in page
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("markup-moved" not in r["flags"] for r in rows)
    assert all("<" not in r["source"] for r in rows)  # the engine, memory and QA see plain text


def test_chrome_translated_when_asked_and_article_output_kept(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    engine = FunctionEngine(reverse_words, pairs=[("en", "hy")])
    run(folder, tmp_path / "a", config(translate_chrome=True), engine=engine, review=False)
    page = (tmp_path / "a" / "page.html").read_text(encoding="utf-8")
    assert "emoH" in page and "thgirypoC" in page
    run(folder, tmp_path / "b", config(output="article"), engine=engine, review=False)
    clean = (tmp_path / "b" / "page.html").read_text(encoding="utf-8")
    assert "<script>" not in clean and "<article>" in clean


def test_odd_html_stays_well_formed():
    odd = ("<p>Unclosed <b>bold and <i>italic</p><p>Stray </b> end tag</p>"
           "<p>A < b and c > d, <a href=x title='it''s'>link</a></p><div>Bare text <span>in span</div>"
           "<p>x<!-- unclosed comment")
    doc = html_doc.parse(odd)
    out = translate(doc)
    assert skeleton(out)[:8] == skeleton(odd)[:8] and skeleton(out)[9:] == skeleton(odd)[9:]
    assert "<a href=x title='ti''s'>" in out
    assert "<p>dnoceS <b>dlob</b> dna <i>cilati</i></p>" not in out


@pytest.mark.parametrize("seed", range(30))
def test_fuzz_random_pages_keep_every_tag(seed):
    rng = random.Random(seed)
    words = "the prime minister said on Monday that talks went well in Yerevan".split()
    inline = ["b", "i", "em", "strong", "a", "span", "sup"]

    def sentence(depth=0):
        parts = []
        for _ in range(rng.randint(1, 5)):
            roll = rng.random()
            if roll < 0.25 and depth < 3:
                name = rng.choice(inline)
                attrs = f' href="/{rng.randint(0, 9)}?q=a&amp;b"' if name == "a" else ""
                parts.append(f"<{name}{attrs}>{sentence(depth + 1)}</{name}>")
            elif roll < 0.3:
                parts.append("<br>")
            elif roll < 0.35:
                parts.append(f'<img src="i.png" alt="{rng.choice(words)} photo">')
            else:
                parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) + rng.choice(["", ".", ","]))
        return " ".join(parts)

    blocks = ["p", "h2", "li", "td", "blockquote", "div"]
    page = "<html><body>" + "\n".join(f"<{b}>{sentence()}</{b}>" for b in rng.choices(blocks, k=6)) + "</body></html>"
    doc = html_doc.parse(page)
    out = translate(doc)
    ignore = re.compile(r' (alt|lang)="[^"]*"')
    assert [ignore.sub("", t) for t in skeleton(out)] == [ignore.sub("", t) for t in skeleton(page)]



@pytest.mark.parametrize("seed", range(20))
def test_fuzz_line_breaks_and_indents_around_tags_come_back(seed):
    """Random whitespace next to inline tags and between blocks: an untranslated page comes back
    byte for byte, and a translated one keeps every such line break and indent."""
    from pipeline.documents.inline import render_paragraph
    from pipeline.documents.segmenter import segment_paragraphs

    rng = random.Random(seed)
    words = ["the", "prime", "minister", "said", "on", "Monday", "that", "talks", "went", "well", "in", "Yerevan"]
    spaces = [" ", "\n  ", "\n\t\t", "  ", "\n"]

    def sentence(depth=0):
        parts = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.3 and depth < 2:
                name = rng.choice(["b", "em", "a", "span"])
                parts.append(f"<{name}>{sentence(depth + 1)}</{name}>")
            elif roll < 0.4:
                parts.append(rng.choice(["<br>", '<img src="i.png" alt="photo">']))
            else:
                parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 3))) + rng.choice(["", ","]))
        out = parts[0]
        for part in parts[1:]:  # other whitespace between words and a tag (inside the words it would be the words')
            if part[0] == "<" and out[-1] == ">":
                out += " " + rng.choice(words)
            out += (rng.choice(spaces) if part[0] == "<" or out[-1] == ">" else " ") + part
        return out + ("." if depth == 0 and out[-1] != ">" else "")  # one sentence: a span is not cut

    page = "<html><body>" + "".join(f"<p>{rng.choice(spaces)}{sentence()}{rng.choice(spaces)}</p>\n"
                                    for _ in range(5)) + "</body></html>"

    def back(fn):
        doc = html_doc.parse(page)
        out = []
        for p in doc.paragraphs:
            segments = list(segment_paragraphs("d", [(p.text, "")]))
            for segment in segments:
                segment.target = fn(segment.source) if fn else None
            out.append(render_paragraph(p.text, p.tags, segments, html_doc.escape_for(p), spaces=p.spaces))
        return html_doc.render(doc, out, "en")

    assert back(None) == page.replace("<html>", '<html lang="en">')
    translated = back(lambda text: text.upper())
    assert re.findall(r"\s+", translated.replace(' lang="en"', "")) == re.findall(r"\s+", page)


LONG = """<html><body>
<p>
    The first sentence is here.
    The second one goes on <b>in bold</b>.  The third
    <a href="/x">links away</a>
    and ends.<br>
    After the break <img src="a.png" alt="A picture">
    comes the end.
</p>
</body></html>
"""


def test_a_long_paragraph_keeps_its_line_breaks_between_sentences_and_around_tags(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "long.html").write_text(LONG, encoding="utf-8")
    upper = FunctionEngine(lambda text, src, tgt: text.upper(), pairs=[("en", "hy")])
    run(folder, tmp_path / "out", config(), engine=upper, review=False)
    page = (tmp_path / "out" / "long.html").read_text(encoding="utf-8")
    # the text in capitals (the alt text too), everything else as it was, byte for byte
    assert page == re.sub(r">[^<]+<", lambda m: m.group().upper(), LONG).replace('alt="A picture"', 'alt="A PICTURE"') \
        .replace("<html>", '<html lang="hy">')
    # left untranslated (an English page into English), the paragraph comes back byte for byte
    run(folder, tmp_path / "same", config(tgt="en"), engine=FunctionEngine(pairs=[("hy", "en")]), review=False)
    assert (tmp_path / "same" / "long.html").read_text(encoding="utf-8") == LONG.replace("<html>", '<html lang="en">')


def test_an_attribute_escapes_only_its_own_quote():
    page = """<p><img alt="It's here" title='Say "hi" & go'></p>"""
    doc = html_doc.parse(page)
    assert html_doc.render(doc, [identity(p.text, p.tags, html_doc.escape_for(p)) for p in doc.paragraphs], "en") == page
    assert translate(doc) == """<p><img alt="s'tI ereh" title='yaS "ih" &amp; og'></p>"""
