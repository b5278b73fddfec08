"""Per-segment quality flags: what an editor should look at first.

`check(segments, tgt)` is a pipeline stage: it adds flags to every translated text segment
(kind "text", `target` set, `src_lang` not the target language) and passes every segment on,
in order. `flags_for(...)` is the same test on plain values.

Flags (names as they appear in `Segment.flags`):

- `untranslated`: most letters of the output are in the source language's script (Latin
  for a translation into Armenian, Armenian for a translation into English), or the output
  equals the source.
- `length-ratio`: output length / source length in characters is far outside what human
  translators produce. Calibrated on NTREX-128 newstest2019 (1997 English sentences with a
  human Eastern Armenian translation): len(hy)/len(en) had median 1.067, 1st-99th percentile
  0.695-1.651, min 0.515, max 2.216. We flag outside [0.5, 2.3] for en->hy (no human pair
  falls outside), and the reciprocal range [0.43, 2.0] for hy->en. Sources shorter than
  `MIN_RATIO_CHARS` characters are not judged (a two-word headline varies too much).
  An empty output of a long source is always flagged (ratio 0).
- `repeated-ngrams`: the output repeats an n-gram back to back (a looping model) more than
  the source does: a word 4+ times in a row, a 2-6 word phrase 3+ times in a row, or a
  4-word phrase 4+ times anywhere.
- `number-missing`: a number in the source does not appear in the output. Thousands
  separators are normalised ("1,000", "1 000", "1.000" and "1000" are one number), and
  decimal separators too ("3.5" = "3,5"), by comparing digit groups; zeros are ignored
  ("15:00" -> "3 p.m."), and the output may spell small numbers out ("20" -> "twenty",
  "քսան", "երկուսը"). On NTREX's human translations this flags 19 of 1997 en->hy pairs
  and 18 hy->en, nearly all real liberties (a time converted, an age folded into a word).
  All flags together on those human pairs: 21 en->hy, 19 hy->en (untranslated: a sports
  score line and a film title left in English); length-ratio and repeated-ngrams: none.
- `low-confidence`: the engine's mean token log-probability (`Segment.score`) is below
  `min_logprob` (default -1.5; a starting point, not yet calibrated on a real model).
- `term-missed`: a glossary hit whose `honoured` is False.
- `untranslated-words`: a sentence taken as English (so passed through into an English
  output) that holds Armenian words; the note lists them. Set when routing (`chain.route`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from pipeline.segment import TEXT, Segment, TermHit

UNTRANSLATED = "untranslated"
PASSED_THROUGH = "untranslated:"  # `untranslated:LANG`: a language the model does not translate, kept as it is
LENGTH_RATIO = "length-ratio"
REPEATED_NGRAMS = "repeated-ngrams"
NUMBER_MISSING = "number-missing"
LOW_CONFIDENCE = "low-confidence"
TERM_MISSED = "term-missed"
WORDS_LEFT = "untranslated-words"  # Armenian words in a sentence passed through into English
FLAGS = (UNTRANSLATED, LENGTH_RATIO, REPEATED_NGRAMS, NUMBER_MISSING, LOW_CONFIDENCE, TERM_MISSED)

# len(target) / len(source) bounds, by (source language, target language). See the docstring.
LENGTH_RATIO_BOUNDS = {("en", "hy"): (0.5, 2.3), ("hy", "en"): (1 / 2.3, 1 / 0.5)}
DEFAULT_RATIO_BOUNDS = (1 / 2.3, 2.3)  # any other pair (e.g. "und" -> en): the widest of both
MIN_RATIO_CHARS = 20
MIN_LOGPROB = -1.5
UNTRANSLATED_SHARE = 0.5  # share of the output's letters in the source script

_ARMENIAN = re.compile(r"[\u0531-\u0556\u0561-\u0587\uFB13-\uFB17]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_ARMENIAN_WORD = re.compile(r"[\u0531-\u0556\u0561-\u0587\uFB13-\uFB17][\u0531-\u0556\u0561-\u0587\uFB13-\uFB17՛՜՞'’-]*")


def armenian_words(text: str) -> list[str]:
    """The Armenian words of `text`, in order, each once."""
    return list(dict.fromkeys(_ARMENIAN_WORD.findall(text)))
_LETTER = re.compile(r"[^\W\d_]")
# A number written with group separators: 1-3 digits, then groups of exactly 3.
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[,.\u00A0\u202F ]\d{3})+(?!\d)")
_DIGITS = re.compile(r"\d+")
# Number words a translation may use for a source's digits ("20" -> "twenty", "քսան").
_EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_EN_TENS = dict(thirty=30, forty=40, fifty=50, sixty=60, seventy=70, eighty=80, ninety=90, hundred=100)
_HY_NUMBERS = {
    "զրո": 0, "մեկ": 1, "երկու": 2, "երեք": 3, "չորս": 4, "հինգ": 5, "վեց": 6, "յոթ": 7, "ութ": 8,
    "ինը": 9, "ինն": 9, "տաս": 10, "տասը": 10, "տասն": 10, "քսան": 20, "երեսուն": 30, "քառասուն": 40,
    "հիսուն": 50, "վաթսուն": 60, "յոթանասուն": 70, "ութսուն": 80, "իննսուն": 90, "հարյուր": 100,
}
NUMBER_WORDS = {**{w: n for n, w in enumerate(_EN_NUMBERS)}, **_EN_TENS, **_HY_NUMBERS}
# A number word alone or with an Armenian case ending / article (երկուսը, չորսից, հինգին).
_NUMBER_WORD = re.compile(
    r"(?<!\w)(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?:ը|ն|ի|ից|ին|ով|ում|ս|սը|սի|սից|սին|սով)?(?!\w)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)


def script_share(text: str, script: str) -> float:
    """Share of the letters in `text` that are Armenian ("hy") or Latin ("en"); 0 without letters."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return 0.0
    pattern = _ARMENIAN if script == "hy" else _LATIN
    return len(pattern.findall(text)) / letters


def is_untranslated(source: str, target: str, tgt: str) -> bool:
    if not _LETTER.search(target):
        return False
    if target.strip() == source.strip():
        return True
    source_script = "en" if tgt == "hy" else "hy"
    return script_share(target, source_script) > UNTRANSLATED_SHARE


def length_ratio(source: str, target: str) -> float | None:
    """len(target) / len(source) in characters, or None when the source is too short to judge."""
    source, target = source.strip(), target.strip()
    if len(source) < MIN_RATIO_CHARS:
        return None
    return len(target) / len(source)


def bad_length_ratio(source: str, target: str, src_lang: str, tgt: str) -> bool:
    ratio = length_ratio(source, target)
    if ratio is None:
        return False
    low, high = LENGTH_RATIO_BOUNDS.get((src_lang, tgt), DEFAULT_RATIO_BOUNDS)
    return not low <= ratio <= high


def max_repeats(tokens: Sequence[str], max_n: int = 6) -> dict[int, int]:
    """For each n-gram size n, the most times one n-gram occurs back to back."""
    best = {}
    for n in range(1, max_n + 1):
        top = 1 if len(tokens) >= n else 0
        for start in range(n):
            run, previous = 0, None
            for i in range(start, len(tokens) - n + 1, n):
                gram = tuple(tokens[i : i + n])
                run = run + 1 if gram == previous else 1
                previous = gram
                top = max(top, run)
        best[n] = top
    return best


def _most_common_4gram(tokens: Sequence[str]) -> int:
    grams = Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))
    return max(grams.values(), default=0)


def _loops(tokens: Sequence[str]) -> bool:
    repeats = max_repeats(tokens)
    return repeats[1] >= 4 or any(repeats[n] >= 3 for n in range(2, 7)) or _most_common_4gram(tokens) >= 4


def has_repeated_ngrams(source: str, target: str) -> bool:
    target_tokens = [t.casefold() for t in _WORD.findall(target)]
    if not _loops(target_tokens):
        return False
    return not _loops([t.casefold() for t in _WORD.findall(source)])


def numbers(text: str, words: bool = False) -> Counter:
    """The numbers in `text` as digit groups, separators normalised ("1 000" -> "1000").

    With `words`, also the numbers written as words (English and Armenian, 0-20, tens, 100).
    """
    joined = _GROUPED.sub(lambda m: re.sub(r"\D", "", m.group()), text)
    found = Counter(str(int(d)) for d in _DIGITS.findall(joined))
    if words:
        found.update(str(NUMBER_WORDS[m.group(1).lower()]) for m in _NUMBER_WORD.finditer(text))
    return found


def missing_numbers(source: str, target: str) -> list[str]:
    """Nonzero numbers of the source absent from the target, in source order.

    Zeros are left out: "15:00" -> "3 p.m." should not count the minutes.
    """
    have = numbers(target, words=True)
    return [n for n in numbers(source) if n != "0" and n not in have]


def flags_for(
    source: str,
    target: str,
    src_lang: str,
    tgt: str,
    *,
    score: float | None = None,
    terms: Iterable[TermHit] = (),
    min_logprob: float = MIN_LOGPROB,
) -> list[str]:
    """The quality flags of one translated segment, in `FLAGS` order."""
    flags = []
    if is_untranslated(source, target, tgt):
        flags.append(UNTRANSLATED)
    if bad_length_ratio(source, target, src_lang, tgt):
        flags.append(LENGTH_RATIO)
    if has_repeated_ngrams(source, target):
        flags.append(REPEATED_NGRAMS)
    if missing_numbers(source, target):
        flags.append(NUMBER_MISSING)
    if score is not None and score < min_logprob:
        flags.append(LOW_CONFIDENCE)
    if any(term.honoured is False for term in terms):
        flags.append(TERM_MISSED)
    return flags


def check(segments: Iterable[Segment], tgt: str, *, min_logprob: float = MIN_LOGPROB) -> Iterator[Segment]:
    """Stage: flag translated text segments; every segment passes on, in order."""
    for segment in segments:
        passed = any(name.startswith(PASSED_THROUGH) for name in segment.flags)  # not translated: nothing to check
        if segment.kind == TEXT and segment.target is not None and segment.src_lang != tgt and not passed:
            for name in flags_for(
                segment.source, segment.target, segment.src_lang, tgt,
                score=segment.score, terms=segment.terms, min_logprob=min_logprob,
            ):
                segment.flag(name)
        yield segment
