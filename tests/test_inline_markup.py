"""Inline markup inside a sentence (pipeline.documents.inline): tags out before translation,
back around the words that translate what they wrapped."""

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.documents.inline import MOVED, Builder, render, render_paragraph
from pipeline.documents.segmenter import segment_paragraphs

TAG = re.compile(r"</?([a-z]+)[^>]*>")


def build(pieces):
    b = Builder()
    for kind, value in pieces:
        getattr(b, kind)(*value) if isinstance(value, tuple) else getattr(b, kind)(value)
    return b.finish()


def reverse_words(text):
    return " ".join(word[::-1] for word in text.split())


def balanced(markup):
    stack = []
    for m in TAG.finditer(markup):
        if m.group(0).startswith("</"):
            if not stack or stack.pop() != m.group(1):
                return False
        elif m.group(1) not in ("br", "img"):
            stack.append(m.group(1))
    return not stack


def test_word_for_word_keeps_every_tag_on_its_words():
    plain, tags, _, _ = build([("text", "The "), ("open", '<a href="/pm">'), ("text", "prime "), ("open", "<b>"),
                               ("text", "minister"), ("close", "</b>"), ("close", "</a>"), ("text", " said "),
                               ("open", "<i>"), ("text", "yes"), ("close", "</i>"), ("text", ".")])
    assert plain == "The prime minister said yes."
    out, moved = render(reverse_words(plain), plain, tags)
    assert out == 'ehT <a href="/pm">emirp <b>retsinim</b></a> dias <i>.sey</i>'
    assert not moved
    out, moved = render("Վարչապետը ասաց այո։", plain, tags)  # another number of words: a guess, flagged
    assert moved and balanced(out) and out.count('<a href="/pm">') == 1


def test_punctuation_outside_the_tag_stays_outside():
    plain, tags, _, _ = build([("text", "He said «"), ("open", "<em>"), ("text", "no"), ("close", "</em>"),
                               ("text", "», "), ("open", "<b>"), ("text", "Armenia"), ("close", "</b>"), ("text", ", today.")])
    out, moved = render("Նա ասաց «ոչ», Հայաստան, այսօր։", plain, tags)
    assert "«<em>ոչ</em>»" in out and "<b>Հայաստան</b>," in out and not moved


def test_points_and_unplaceable_tags_are_flagged_and_well_formed():
    plain, tags, _, _ = build([("open", "<b>"), ("text", "One two"), ("close", "</b>"), ("point", ("<br>", True)),
                               ("text", "three "), ("open", '<a href="x">'), ("text", "four"), ("close", "</a>")])
    out, moved = render("uno", plain, tags)  # fewer words: placed in proportion, flagged
    assert moved and balanced(out) and "<br>" in out and '<a href="x">' in out
    out, moved = render("", plain, tags)
    assert moved and balanced(out)


def test_a_paragraph_cut_into_sentences_gets_its_tags_per_sentence():
    plain, tags, _, _ = build([("text", "First "), ("open", "<b>"), ("text", "sentence. Second"), ("close", "</b>"),
                               ("text", " one here.")])
    segments = list(segment_paragraphs("d", [(plain, "")]))
    assert len(segments) == 2
    for s in segments:
        s.target = reverse_words(s.source)
    out = render_paragraph(plain, tags, segments)
    assert out == "tsriF <b>.ecnetnes</b> <b>dnoceS</b> eno .ereh"
    assert not any(MOVED in s.flags for s in segments)


WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
NAMES = st.sampled_from(["b", "i", "a", "span", "em"])


@st.composite
def trees(draw, depth=0):
    """A random inline tree: a list of words and elements, as Builder calls and the expected wrapping."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 3 and draw(st.booleans()):
            name = draw(NAMES)
            out.append(("open", f"<{name}>"))
            out.extend(draw(trees(depth + 1)))
            out.append(("close", f"</{name}>"))
        elif draw(st.integers(0, 5)) == 0:
            out.append(("point", ("<br>", True)))
        else:
            out.append(("text", draw(WORDS) + " "))
    return out


@settings(max_examples=150, deadline=None)
@given(trees(), st.integers(0, 2**16))
def test_fuzz_well_formed_and_exact_with_a_word_for_word_engine(pieces, seed):
    plain, tags, _, _ = build(pieces)
    if not plain:
        return
    out, moved = render(reverse_words(plain), plain, tags)
    assert balanced(out)
    # word for word: the output is the source's markup with each word reversed
    source_markup, _ = render(plain, plain, tags)
    assert not moved
    assert TAG.findall(out) == TAG.findall(source_markup)
    assert re.sub(r"\S+", lambda m: m.group(0), out) and [w[::-1] for w in TAG.sub(" ", source_markup).split()] == TAG.sub(" ", out).split()
    rng = random.Random(seed)  # any other number of words: still well-formed, every tag there
    other = " ".join(rng.choice(["x", "yy", "zzz"]) for _ in range(rng.randint(0, 12)))
    out, _ = render(other, plain, tags)
    assert balanced(out) and sorted(TAG.findall(out)) == sorted(TAG.findall(source_markup))
