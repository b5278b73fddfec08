"""Quality flags: tables of segments and the flags an editor should see."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.segment import BOILERPLATE, DUPLICATE, Segment, TermHit
from pipeline.translation import qa

NTREX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ntrex"

EN = "Foreign Minister Ararat Mirzoyan met his Russian counterpart in Moscow on Tuesday."
HY = "Արտգործնախարար Արարատ Միրզոյանը երեքշաբթի Մոսկվայում հանդիպեց ռուս գործընկերոջը։"


@pytest.mark.parametrize(
    "source,target,src_lang,tgt,expected",
    [
        # good translations: no flags
        (EN, HY, "en", "hy", []),
        (HY, EN, "hy", "en", []),
        # untranslated: copied, or still in the source script
        (EN, EN, "en", "hy", ["untranslated"]),
        (HY, HY, "hy", "en", ["untranslated"]),
        (EN, "Foreign Minister Mirzoyan met the Russian counterpart in Moscow Tuesday.", "en", "hy", ["untranslated"]),
        # Latin names inside an Armenian sentence are normal
        ("NATO and the CSTO met in Brussels today.", "NATO-ն և CSTO-ն այսօր հանդիպեցին Բրյուսելում։", "en", "hy", []),
        # length ratio: truncated, empty, or bloated output
        (EN, "Միրզոյանը։", "en", "hy", ["length-ratio"]),
        (EN, "", "en", "hy", ["length-ratio"]),
        (HY, "Mirzoyan met.", "hy", "en", ["length-ratio"]),
        (EN, HY + " " + HY + " Նա նաև ասաց, որ բանակցությունները կշարունակվեն։", "en", "hy", ["length-ratio"]),
        # short sources are not judged on length
        ("Breaking news", "Վերջին լուրեր, որոնք հենց նոր ստացանք խմբագրությունում", "en", "hy", []),
        # repeated n-grams: a looping model
        (
            "Նա ասաց, որ բանակցությունները կշարունակվեն։",
            "He said the talks the talks the talks the talks will go on.",
            "hy", "en", ["repeated-ngrams"],
        ),
        (
            "Ասաց, որ բանակցությունները կշարունակվեն։",
            "He said that that that that the talks will continue.",
            "hy", "en", ["repeated-ngrams"],
        ),
        # ... but not when the source repeats the same way
        ("Run, run, run, run!", "Վազիր, վազիր, վազիր, վազիր։", "en", "hy", []),
        # numbers: separators normalised, decimals either way, small numbers spelled out
        ("About 1,000 people gathered in Republic Square.", "Հանրապետության հրապարակում հավաքվել էր մոտ 1 000 մարդ։", "en", "hy", []),
        ("About 1,000 people gathered in Republic Square.", "Հանրապետության հրապարակում հավաքվել էր մոտ 1000 մարդ։", "en", "hy", []),
        ("Prices rose by 3.5 percent in September.", "Սեպտեմբերին գներն աճել են 3,5 տոկոսով։", "en", "hy", []),
        ("Sims was 20 years old when he died.", "Սիմսը մահացավ քսան տարեկանում։", "en", "hy", []),
        ("Սիմսը 2 անգամ այցելել է Երևան։", "Sims has visited Yerevan twice, two times in all.", "hy", "en", []),
        ("About 1,000 people gathered in Republic Square.", "Հանրապետության հրապարակում հավաքվել էր մոտ 100 մարդ։", "en", "hy", ["number-missing"]),
        ("Prices rose by 3.5 percent in September.", "Սեպտեմբերին գներն աճել են 35 տոկոսով։", "en", "hy", ["number-missing"]),
        # "Երեքշաբթի" (Tuesday) starts with "երեք" (three) but is not a number
        ("The vote is on 3 October, a Tuesday.", "Քվեարկությունը հոկտեմբերի երեքշաբթի օրն է։", "en", "hy", ["number-missing"]),
    ],
)
def test_flags_for(source, target, src_lang, tgt, expected):
    assert qa.flags_for(source, target, src_lang, tgt) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1,000 and 1 000 and 1\u00a0000 and 1000", {"1000": 4}),
        ("3.5 or 3,5", {"3": 2, "5": 2}),
        ("12.10.2022", {"12": 1, "10": 1, "2022": 1}),
        ("in 2019 200 people", {"2019": 1, "200": 1}),
        ("1,234,567.89", {"1234567": 1, "89": 1}),
        ("at 09:05", {"9": 1, "5": 1}),
    ],
)
def test_numbers_normalised(text, expected):
    assert qa.numbers(text) == Counter(expected)


@pytest.mark.parametrize(
    "score,terms,expected",
    [
        (-0.4, [], []),
        (-2.3, [], ["low-confidence"]),
        (None, [TermHit("mirzoyan", "Mirzoyan", "Միրզոյան", honoured=True)], []),
        (None, [TermHit("mirzoyan", "Mirzoyan", "Միրզոյան", honoured=None)], []),
        (
            -3.0,
            [TermHit("csto", "CSTO", "ՀԱՊԿ", honoured=True), TermHit("mirzoyan", "Mirzoyan", "Միրզոյան", honoured=False)],
            ["low-confidence", "term-missed"],
        ),
    ],
)
def test_confidence_and_term_flags(score, terms, expected):
    assert qa.flags_for(EN, HY, "en", "hy", score=score, terms=terms) == expected


def test_low_confidence_threshold_is_a_parameter():
    assert qa.flags_for(EN, HY, "en", "hy", score=-0.9, min_logprob=-0.5) == ["low-confidence"]


def test_check_flags_only_translated_text_and_keeps_order():
    segments = [
        Segment("a.txt", 0, 0, EN, src_lang="en", target=EN),  # untranslated
        Segment("a.txt", 0, 1, EN, src_lang="en", kind=BOILERPLATE, target=EN),  # boilerplate: not checked
        Segment("a.txt", 1, 2, EN, src_lang="en", kind=DUPLICATE, target=""),  # duplicate: not checked
        Segment("a.txt", 1, 3, HY, src_lang="hy", target=HY),  # already Armenian: passed through
        Segment("a.txt", 1, 4, EN, src_lang="en"),  # not translated yet (target None)
        Segment("a.txt", 2, 5, EN, src_lang="en", target="", score=-4.0, flags=["constraint-failed"]),
    ]
    out = list(qa.check(iter(segments), "hy"))
    assert [s.index for s in out] == [0, 1, 2, 3, 4, 5]
    assert [s.flags for s in out] == [
        ["untranslated"], [], [], [], [], ["constraint-failed", "length-ratio", "low-confidence"],
    ]


def test_check_is_lazy():
    def endless():
        i = 0
        while True:
            yield Segment("a.txt", 0, i, EN, src_lang="en", target=HY)
            i += 1

    stage = qa.check(endless(), "hy")
    assert next(stage).index == 0 and next(stage).index == 1


def test_human_translations_are_rarely_flagged():
    """Calibration: on NTREX (English with a human Armenian translation) in both directions."""
    if not NTREX.is_dir():
        pytest.skip(f"shared NTREX data not found at {NTREX}")
    src = (NTREX / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    ref = (NTREX / "newstest2019-ref.hye.txt").read_text(encoding="utf-8").splitlines()
    counts = Counter()
    for en, hy in zip(src, ref):
        counts.update(f"en-hy {f}" for f in qa.flags_for(en, hy, "en", "hy"))
        counts.update(f"hy-en {f}" for f in qa.flags_for(hy, en, "hy", "en"))
    assert counts["en-hy length-ratio"] == counts["hy-en length-ratio"] == 0
    for name, count in counts.items():
        assert count <= 0.015 * len(src), (name, count)
    # and an output cut to half of the reference is caught nearly always
    cut = sum(qa.bad_length_ratio(en, hy[: len(hy) // 3], "en", "hy") for en, hy in zip(src, ref) if len(en) >= 40)
    assert cut >= 0.9 * sum(len(en) >= 40 for en in src)
