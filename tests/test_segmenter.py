import pytest

from pipeline.documents.script import detect_language, latin_words_in
from pipeline.documents.segmenter import segment_paragraphs, split_sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("Mr. Smith went to Washington. He left.", ["Mr. Smith went to Washington.", "He left."]),
        ("The U.S. and the EU agreed. Then they left.", ["The U.S. and the EU agreed.", "Then they left."]),
        ("He said: yes. It rained.", ["He said: yes.", "It rained."]),
        ("“Mass media are full of rumors.” He smiled.", ["“Mass media are full of rumors.”", "He smiled."]),
        ("J. Smith arrived. Good!", ["J. Smith arrived.", "Good!"]),
        ("It cost 2.5 million. Yes.", ["It cost 2.5 million.", "Yes."]),
        # Armenian full stop, and the ASCII colon scraped text uses instead
        ("Լավրովը հանդիպեց Միրզոյանին։ Նա ասաց։", ["Լավրովը հանդիպեց Միրզոյանին։", "Նա ասաց։"]),
        ("Լավրովը հանդիպեց Միրզոյանին: Նա ասաց:", ["Լավրովը հանդիպեց Միրզոյանին:", "Նա ասաց:"]),
        # ՞ inside a word ends nothing; « » quotes
        ("Ինչո՞ւ է նա այստեղ։ Հայտնի չէ։", ["Ինչո՞ւ է նա այստեղ։", "Հայտնի չէ։"]),
        ("Նա ասաց՝ «Ոչ»: Հետո մեկնեց:", ["Նա ասաց՝ «Ոչ»:", "Հետո մեկնեց:"]),
        # an initial is not a sentence end
        ("Ս. Լավրովը ժամանեց Երևան։", ["Ս. Լավրովը ժամանեց Երևան։"]),
        ("2022 թ. սեպտեմբերին նա եկավ։ Այո։", ["2022 թ. սեպտեմբերին նա եկավ։", "Այո։"]),
        # a Latin acronym stays inside its Armenian sentence
        ("ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին։ Ավարտ։", ["ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին։", "Ավարտ։"]),
        # mixed paragraph: each sentence its own language
        ("Armenia agreed. Հայաստանը համաձայնեց։", ["Armenia agreed.", "Հայաստանը համաձայնեց։"]),
        ("no end", ["no end"]),
    ],
)
def test_split_sentences(text, expected):
    pieces = split_sentences(text)
    assert [s for s, _ in pieces] == expected
    assert "".join(s + sep for s, sep in pieces) == text


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Hello world", "en"),
        ("Բարև աշխարհ", "hy"),
        ("ՆԱՏՕ-ն և MWPs անդամները հավաքվեցին", "hy"),
        ("The ՀԱՊԿ met", "en"),
        ("Привет мир", "ru"),
        ("2022, 14:30 — 15%", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_latin_words_in_armenian():
    assert latin_words_in("ՆԱՏՕ-ն և MWPs անդամները, Twp-ն ու COVID-19-ը") == ["MWPs", "Twp", "COVID-19"]


def test_segments_rebuild_paragraphs_and_kinds():
    paragraphs = [
        ("Մատչելիության հղումներ", "\n\n"),
        ("# CSTO Ready. Really!", "\n"),
        ("Caption printed twice.", "\n"),
        ("Caption  printed twice.", "\n\n"),
        ("Լավրովը խոսեց։ Նա ասաց։", ""),
    ]
    segments = list(segment_paragraphs("a.txt", paragraphs, boilerplate=["Մատչելիության հղումներ"]))
    assert [s.kind for s in segments] == ["boilerplate", "text", "text", "text", "duplicate", "text", "text"]
    assert [s.src_lang for s in segments] == ["hy", "en", "en", "en", "en", "hy", "hy"]
    assert [s.index for s in segments] == list(range(7))
    assert [s.para for s in segments] == [0, 1, 1, 2, 3, 4, 4]
    assert segments[1].pre == "# " and segments[1].source == "CSTO Ready."
    rebuilt = "".join(s.pre + s.source + s.sep + s.para_sep for s in segments)
    assert rebuilt == "".join(text + sep for text, sep in paragraphs)
