"""Inline tags placed by the engine's word alignment (issue 22, item 2): the alignment comes from
`hf`'s and `ct2`'s cross-attention only for sentences with tags, is kept in the run's rows
(`align`), and `apply` places the tags by it again without an engine."""

from __future__ import annotations

import functools
import json

from pipeline import Translator, run
from pipeline.documents.inline import MOVED, Builder, read_links, render, write_links
from pipeline.engines.testing import FunctionEngine
from pipeline.review.apply import apply_edits
from pipeline.review.session import ReviewSession


def sentence(*pieces):
    b = Builder()
    for kind, value in pieces:
        getattr(b, kind)(value)
    plain, tags, _, _ = b.finish()
    return plain, tags


BOLD_SECOND = sentence(("text", "The "), ("open", "<b>"), ("text", "prime minister"), ("close", "</b>"),
                       ("text", " met them"))


def test_a_hand_built_alignment_puts_the_tag_around_exactly_the_aligned_words():
    plain, tags = BOLD_SECOND  # "The <b>prime minister</b> met them"
    target = "them met minister-prime the"  # 5 -> 4 words: proportional placement cannot be exact
    links = [(0, 3), (1, 2), (2, 2), (3, 1), (4, 0)]
    out, moved = render(target, plain, tags, links=links)
    assert out == "them met <b>minister-prime</b> the" and not moved
    proportional, flagged = render(target, plain, tags)
    assert proportional != out and flagged


def test_an_inconsistent_alignment_is_flagged_and_still_well_formed():
    plain, tags = BOLD_SECOND
    # "met" (source word 3) lands between the two target words of the bold source words
    out, moved = render("a b c d e", plain, tags, links=[(0, 0), (1, 1), (3, 2), (2, 3), (4, 4)])
    assert out == "a <b>b c d</b> e" and moved
    # no word of the tag aligned: placed in proportion, flagged
    out, moved = render("a b c d e", plain, tags, links=[(0, 0), (4, 4)])
    assert out.count("<b>") == 1 and out.count("</b>") == 1 and moved


def test_a_point_goes_to_the_aligned_boundary():
    b = Builder()
    b.text("one two")
    b.point("<br>", space=True)
    b.text("three")
    plain, tags, _, _ = b.finish()
    out, moved = render("z y x", plain, tags, links=[(0, 2), (1, 1), (2, 0)])
    assert moved  # reordered around the break: no boundary keeps both sides
    out, moved = render("x y z", plain, tags, links=[(0, 0), (1, 1), (2, 2)])
    assert out in ("x y<br> z", "x y <br>z", "x y<br>z") and not moved


def test_links_round_trip_in_the_row_format():
    assert write_links([(0, 3), (12, 1)]) == "0-3 12-1"
    assert read_links("0-3 12-1") == [(0, 3), (12, 1)] and read_links("") is None and read_links(None) is None


def reversed_order(text, src, tgt):
    return " ".join(reversed(text.split())).translate(ARMENIAN)


def reversed_links(text, out):
    """What a perfect attention gives for `reversed_order`: word i -> word n-1-i."""
    n = len(text.split())
    return [(i, n - 1 - i) for i in range(n)]


ARMENIAN = str.maketrans("abcdefghijklmnopqrstuvwxyz", "աբգդեզէըթժիլխծկհձղճմյնշոչպ")


def test_the_alignment_reaches_the_rows_and_apply_renders_the_same_bytes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text('<html lang="en"><body><p>The <b>talks</b> went well in Paris.</p>'
                                      "<p>They ended early.</p></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    asked = []
    engine = FunctionEngine(reversed_order, pairs=[("en", "hy")], aligner=reversed_links,
                            before_call=lambda n, texts: asked.append(n))
    with Translator.from_config(engine=engine, tgt="hy", cache=False) as translator:
        assert not run(folder, out, translator=translator, progress="off", review=False).failed
    assert asked == [1]
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    tagged = next(r for r in rows if r["source"].startswith("The talks"))
    plain = next(r for r in rows if r["source"].startswith("They"))
    assert tagged["align"] == "0-5 1-4 2-3 3-2 4-1 5-0" and "align" not in plain
    assert MOVED not in tagged["flags"]
    page = (out / "page.html").read_bytes()
    assert f"<b>{'talks'.translate(ARMENIAN)}</b> {'The'.translate(ARMENIAN)}".encode() in page  # by the alignment
    session = ReviewSession(out, memory=False)
    session.edit("page.html", plain["index"], "Նրանք ավարտեցին։")  # the other paragraph
    session.close()
    assert apply_edits(out).files == ["page.html"]  # no engine: the rows' alignment places the tag again
    assert (out / "page.html").read_bytes() == page.replace(plain["target"].encode(), "Նրանք ավարտեցին։".encode())


def test_hf_asks_for_attention_only_for_sentences_with_tags(engines, monkeypatch):
    engine = engines["en-hy"]
    calls: list[dict] = []
    generate, forward = engine.model.generate, engine.model.forward

    def spy_generate(*args, **kwargs):
        calls.append({"generate": True, **kwargs})
        return generate(*args, **kwargs)

    @functools.wraps(forward)  # generate() reads the model's arguments from its signature
    def spy_forward(*args, **kwargs):
        calls.append(kwargs)
        return forward(*args, **kwargs)

    monkeypatch.setattr(engine.model, "generate", spy_generate)
    monkeypatch.setattr(engine.model, "forward", spy_forward)
    texts = ["The CSTO is ready to send monitors.", "Lavrov met Mirzoyan in Astana."]
    plain = engine.translate(texts, src="en", tgt="hy")
    assert calls and not any(c.get("output_attentions") or c.get("return_dict_in_generate") for c in calls)
    assert all(t.alignment is None for t in plain)
    calls.clear()
    aligned = engine.translate(texts, src="en", tgt="hy", align=[False, True])
    assert [t.text for t in aligned] == [t.text for t in plain]  # the output is the same
    assert sum(1 for c in calls if c.get("output_attentions")) == 1
    assert aligned[0].alignment is None and aligned[1].alignment is not None
    words = len(texts[1].split()), len(aligned[1].text.split())
    assert all(0 <= i < words[0] and 0 <= j < words[1] for i, j in aligned[1].alignment)
    assert engine.model.config._attn_implementation == "sdpa"  # switched back after the pass


def test_ct2_gives_the_alignment_from_its_attention(ct2_engines):
    engine = ct2_engines["en-hy"]
    texts = ["The CSTO is ready to send monitors.", "Lavrov met Mirzoyan in Astana."]
    plain = engine.translate(texts, src="en", tgt="hy")
    aligned = engine.translate(texts, src="en", tgt="hy", align=[True, False])
    assert [t.text for t in aligned] == [t.text for t in plain] and all(t.alignment is None for t in plain)
    assert aligned[1].alignment is None and aligned[0].alignment is not None
    words = len(texts[0].split()), len(aligned[0].text.split())
    assert all(0 <= i < words[0] and 0 <= j < words[1] for i, j in aligned[0].alignment)


def test_attention_is_merged_from_pieces_to_words():
    from pipeline.engines.tokenizer import _piece_words, word_links

    assert _piece_words(["▁The", "▁pr", "ime", "▁", "(x", "</s>"], [False] * 5 + [True]) == [0, 1, 1, -1, 2, -1]
    # target pieces [w0, w1, w1] over source pieces [w0, w1, w1, eos]: the end of sentence is left out
    weights = [[0.1, 0.2, 0.2, 0.5], [0.6, 0.1, 0.0, 0.3], [0.5, 0.1, 0.1, 0.3]]
    assert word_links(weights, [0, 1, 1, -1], [0, 1, 1]) == ((1, 0), (0, 1))
