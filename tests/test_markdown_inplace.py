"""Markdown translated in place (pipeline.documents.markdown_doc): code byte for byte and
never sent to the model, links and images keep their targets, emphasis on its words."""

import json
import random
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pipeline.batch.runner import run
from pipeline.config import Config, with_overrides
from pipeline.documents import html_doc, markdown_doc
from pipeline.documents.inline import identity, render
from pipeline.engines.testing import FunctionEngine

STORY = (Path(__file__).parent / "data" / "story.md").read_text(encoding="utf-8")


def reverse_words(text, src="en", tgt="hy"):
    return " ".join(word[::-1] for word in text.split())


def config(tgt="hy"):
    return with_overrides(Config(), model__id="function-engine", run__tgt=tgt, run__progress="off", cache__memory=False)


def structure(text):
    """What a Markdown renderer makes of the text, but the words: block and inline token types, link
    targets, image sources, code."""
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    out = []
    for token in md.parse(text):
        if token.type == "inline":
            for child in token.children:
                if child.type in ("text", "softbreak"):
                    continue
                out.append((child.type, child.attrs.get("href") or child.attrs.get("src"),
                            child.content if child.type in ("code_inline", "html_inline") else None))
        elif token.type in ("fence", "code_block"):
            out.append((token.type, token.info, token.content))
        elif token.type == "html_block":  # its elements, scripts and comments (text and alt are translated)
            out.append((token.type, [html_doc.NAME.match(t).group(0) if kind in ("start", "end") else t
                                     for kind, t in html_doc.tokens(token.content) if kind not in ("text", "raw:title")]))
        else:
            out.append((token.type, token.tag))
    return out


def run_story(tmp_path, story):
    """(the story translated word by word by a run, the engine)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.md").write_text(story, encoding="utf-8")
    engine = FunctionEngine(reverse_words, pairs=[("en", "hy")])
    run(folder, tmp_path / "out", config(), engine=engine, review=False)
    return (tmp_path / "out" / "story.md").read_text(encoding="utf-8"), engine


def test_a_run_translates_the_story_in_place(tmp_path):
    out, engine = run_story(tmp_path, STORY)
    assert '```sh\necho "do not translate"\n```\n' in out and "    indented code stays\n" in out
    assert '<div class="x">nA LMTH kcolb</div>' in out and '[r]: https://ref.example "Ref"' in out
    sent = " ".join(text for call in engine.calls for text in call)
    assert "echo" not in sent and "indented" not in sent and "ls -la" not in sent and "pm-visits" not in sent
    assert 'title: "ehT emirp retsinim stisiv siraP"' in out and "slug: pm-visits-paris" in out
    assert "# ehT *emirp* retsinim stisiv siraP" in out
    assert 'ehT **emirp retsinim** dias no [yadnoM](https://example.com/mon "Monday page")' in out
    assert "![a otohp fo siraP](paris.png)" in out and "[fer knil][r]" in out and "`ls -la`" in out
    assert "| lokiN naynihsaP | *emirp* retsinim |" in out
    assert "> A detouq *enil* ereh\n> dna sti .noitaunitnoc\n" in out  # the lines of a paragraph stay lines
    assert "eniL htiw drah kaerb  \ntxen .enil\n" in out
    assert structure(out) == structure(STORY)
    rows = [json.loads(line) for line in (tmp_path / "out" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("markup-moved" not in r["flags"] and "*" not in r["source"].replace("* indeed", "") for r in rows)


def test_untranslated_story_keeps_its_bytes_outside_the_text():
    doc = markdown_doc.parse(STORY)
    back = markdown_doc.render(doc, [identity(p.text, p.tags, markdown_doc.escape_for(p)) for p in doc.paragraphs])
    assert structure(back) == structure(STORY)
    kept = [part for part in doc.parts if isinstance(part, str)]
    assert all(part in back for part in kept)


def test_a_paragraph_that_starts_with_emphasis_is_read():
    doc = markdown_doc.parse("**A cyclist** has died.\n\n*Yes* indeed.\n")
    assert [(p.text, [(t.start, t.end, t.open) for t in p.tags]) for p in doc.paragraphs] == [
        ("A cyclist has died.", [(0, 9, "**")]), ("Yes indeed.", [(0, 3, "*")])]


def test_translated_text_that_looks_like_markup_stays_text():
    doc = markdown_doc.parse("Plain *words* here.\n")
    out = markdown_doc.render(doc, [render("Stars * and [brackets] and `ticks` <b>", doc.paragraphs[0].text,
                                           doc.paragraphs[0].tags, markdown_doc.escape)[0]])
    assert structure(out) == structure("Plain *words* here.\n")


@pytest.mark.parametrize("seed", range(40))
def test_fuzz_random_stories_keep_their_structure(seed):
    rng = random.Random(seed)
    words = "the prime minister said on Monday that talks went well in Yerevan".split()

    def sentence(depth=0):
        parts = []
        for _ in range(rng.randint(1, 5)):
            roll = rng.random()
            if roll < 0.1 and depth < 2:
                parts.append(f"*{sentence(depth + 1)}*")
            elif roll < 0.2 and depth < 2:
                parts.append(f"**{sentence(depth + 1)}**")
            elif roll < 0.28 and depth < 2:
                parts.append(f"[{sentence(depth + 1)}](https://x.org/{rng.randint(0, 99)})")
            elif roll < 0.32:
                parts.append(f"![{rng.choice(words)} photo](p{rng.randint(0, 9)}.png)")
            elif roll < 0.36:
                parts.append("`code x`")
            else:
                parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) + rng.choice(["", ".", ","]))
        return " ".join(parts)

    blocks = []
    for _ in range(6):
        kind = rng.choice(["p", "h", "li", "quote", "code", "table"])
        if kind == "p":
            blocks.append(sentence())
        elif kind == "h":
            blocks.append("#" * rng.randint(1, 4) + " " + sentence())
        elif kind == "li":
            blocks.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(1, 3))))
        elif kind == "quote":
            blocks.append(f"> {sentence()}")
        elif kind == "code":
            blocks.append("```\nthe prime *minister*\n```")
        else:
            blocks.append(f"| a | b |\n|---|---|\n| {sentence(2)} | {sentence(2)} |")
    story = "\n\n".join(blocks) + "\n"
    doc = markdown_doc.parse(story)
    def words(children):
        return "".join(c.content if c.type == "text" else words(c.children or []) for c in children)

    inlines = [t for t in MarkdownIt("commonmark").enable("table").parse(story)
               if t.type == "inline" and any(ch.isalnum() for ch in words(t.children))]
    assert len(doc.paragraphs) == len(inlines)  # every block's pieces were found: none kept untranslated
    out = markdown_doc.render(doc, [render(reverse_words(p.text), p.text, p.tags, markdown_doc.escape_for(p))[0]
                                    for p in doc.paragraphs])
    assert structure(out) == structure(story)
    assert re.findall(r"```\n.*?\n```", out, re.S) == re.findall(r"```\n.*?\n```", story, re.S)


HTML_STORY = """# Tom &amp; Jerry &mdash; a story

Prices rose &amp; fell, &copy; 2024.

<div class="note" lang="en">
  <p>An <b>HTML</b> block, kept <em>well</em>.</p>
  <img src="x.png" alt="A picture">
  <script>var x = "not text";</script>
  <p translate="no">Not this</p>
  <code>ls -la</code>
</div>

> <div>
> A quoted block
> </div>
"""


def translate_story(doc, fn):
    from pipeline.documents.inline import render_paragraph
    from pipeline.documents.segmenter import segment_paragraphs

    out = []
    for p in doc.paragraphs:
        segments = list(segment_paragraphs("d", [(p.text, "")]))
        for segment in segments:
            segment.target = fn(segment.source) if fn else None
        out.append(render_paragraph(p.text, p.tags, segments, markdown_doc.escape_for(p), spaces=getattr(p, "spaces", None)))
    return out


def test_an_html_block_is_translated_in_place_and_entities_keep_their_spelling(tmp_path):
    out, engine = run_story(tmp_path, HTML_STORY)
    assert out.startswith("# moT &amp; yrreJ &mdash; a yrots\n\nsecirP esor &amp; ,llef &copy; .4202\n")
    assert """<div class="note" lang="hy">
  <p>nA <b>LMTH</b> ,kcolb tpek <em>.llew</em></p>
  <img src="x.png" alt="A erutcip">
  <script>var x = "not text";</script>
  <p translate="no">Not this</p>
  <code>ls -la</code>
</div>
""" in out
    assert out.endswith("> <div>\n> A quoted block\n> </div>\n")  # inside a quote: kept as it is
    sent = " ".join(text for call in engine.calls for text in call)
    assert "not text" not in sent and "Not this" not in sent and "ls -la" not in sent
    assert structure(out) == structure(HTML_STORY)
    # left untranslated, the story comes back byte for byte (the block's `lang` too)
    doc = markdown_doc.parse(HTML_STORY)
    assert markdown_doc.render(doc, translate_story(doc, None)) == HTML_STORY


def test_a_translated_ampersand_renders_as_the_text_it_is():
    md = MarkdownIt("commonmark")
    doc = markdown_doc.parse("Research and development.\n")
    for target in ("R&D; &copy; AT&T &#169; & done", "Tom &amp; Jerry"):
        out = markdown_doc.render(doc, translate_story(doc, lambda source, target=target: target))
        assert md.render(out) == f"<p>{html_doc.escape(target)}</p>\n", out
    assert markdown_doc.escape("AT&T; R&D &copy;") == "AT&T; R&D &amp;copy;"  # no entity, left as written


def test_an_untranslated_front_matter_value_comes_back_as_written():
    story = "---\ntitle: \"Talks in  Paris \"\ndescription: 'It''s short'\n---\nText here.\n"
    doc = markdown_doc.parse(story)
    assert markdown_doc.render(doc, translate_story(doc, None)) == story
    assert markdown_doc.render(doc, translate_story(doc, reverse_words)).startswith(
        "---\ntitle: \"sklaT ni siraP\"\ndescription: 's''tI trohs'\n---\n")
