"""Which writing system a piece of text is in, and so which language we take it for.

The desk's text is Armenian or English; the script tells them apart without a
statistical language model. Cyrillic is taken for Russian (the other language
a South Caucasus desk quotes most); anything else, or text without letters, is
`und` and passes through untouched.
"""

from __future__ import annotations

import re
import unicodedata

SCRIPT_LANG = {"Armenian": "hy", "Latin": "en", "Cyrillic": "ru", "Georgian": "ka"}
# A Latin word with an Armenian case ending: `Reuters-ի`, `Joe Biden-ը`, `MWPs-ում`, `COVID-19-ից`.
INFLECTED_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'’]*[-‑–][\u0561-\u0587\u0531-\u0556]{1,6}(?![\u0561-\u0587])")
# Addresses and code: Latin letters that say nothing about the sentence's language.
NOT_WORDS = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+|`[^`]*`")
# English words that start a sentence capitalised but are not names.
FUNCTION_WORDS = frozenset(
    "the a an in on at to of for and but or it he she they we i you this that these those there his her their "
    "its our was were is are has have had will would after before when while as by from with".split()
)


def char_script(ch: str) -> str | None:
    """The script of one letter, or None for digits, punctuation and spaces."""
    code = ord(ch)
    if 0x0531 <= code <= 0x058F or 0xFB13 <= code <= 0xFB17:
        return "Armenian" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    if code < 0x0250 or 0x1E00 <= code <= 0x1EFF:
        return "Latin"
    if 0x0400 <= code <= 0x052F:
        return "Cyrillic"
    if 0x10A0 <= code <= 0x10FF or 0x1C90 <= code <= 0x1CBF:
        return "Georgian"
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0].title() if name else "Other"


def script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        script = char_script(ch)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return counts


def detect_language(text: str) -> str:
    """ISO 639-1 code of the script most letters are in; `und` when there are no letters.

    A Latin-script name or acronym inside an Armenian sentence (NATO, MWPs, `Joe Biden-ը`)
    leaves the sentence Armenian, even when its letters outnumber the Armenian ones: a
    Latin word with an Armenian case ending makes the sentence Armenian, URLs, e-mail
    addresses and code do not count, and when Armenian words are present, only ordinary
    English words (lowercase ones and function words such as "The") weigh against them.
    """
    counts = script_counts(NOT_WORDS.sub(" ", text))
    if not counts:
        return "und"
    armenian, latin = counts.get("Armenian", 0), counts.get("Latin", 0)
    if armenian and INFLECTED_LATIN.search(text):
        return "hy"
    if armenian and latin > armenian and _ordinary_latin(text) < armenian:
        return "hy"
    script = max(counts, key=lambda s: (counts[s], s == "Armenian"))
    return SCRIPT_LANG.get(script, "und")


def _is_ordinary(word: str) -> bool:
    """An English word that is not a name or an acronym: lowercase, or a function word."""
    bare = word.strip(".,;:!?\"'“”‘’()[]«»—–-")
    return bool(bare) and (bare[0].islower() or bare.lower() in FUNCTION_WORDS)


def _ordinary_latin(text: str) -> int:
    """Latin letters in ordinary English words of `text` (names, acronyms and addresses left out)."""
    return sum(
        sum(1 for ch in word if char_script(ch) == "Latin")
        for word in NOT_WORDS.sub(" ", text).split()
        if _is_ordinary(word) and not any(char_script(ch) == "Armenian" for ch in word)
    )


def _word_script(word: str) -> str | None:
    """'hy' for a word with Armenian letters (an inflected Latin name too), 'en' for a Latin
    word, None for numbers, punctuation, addresses and other scripts."""
    if NOT_WORDS.fullmatch(word):
        return None
    scripts = {char_script(ch) for ch in word}
    if "Armenian" in scripts:
        return "hy"
    return "en" if "Latin" in scripts else None


def split_script_runs(sentence: str) -> list[tuple[str, str]]:
    """A sentence cut where a stretch of Armenian words meets a stretch of English words with
    nothing between them (`Լավրովը հանդիպեց Միրզոյանին The talks went on for hours`), as
    (piece, whitespace after) pairs that join to give the sentence back.

    A stretch counts when it is at least two Armenian words, or three English words of which
    two are ordinary (lowercase or function words): names, acronyms, addresses and code inside
    an Armenian sentence (`Joe Biden-ը`, `Washington Post`, `MWPs`) stay where they are.
    """
    words = [(m.start(), m.end(), _word_script(m.group())) for m in re.finditer(r"\S+", sentence)]
    runs: list[list] = []  # [script, first word, last word, words, ordinary words]
    for n, (_, _, script) in enumerate(words):
        if runs and (script is None or script == runs[-1][0] or runs[-1][0] is None):
            run = runs[-1]
            run[0] = run[0] or script
        else:
            run = [script, n, n, 0, 0]
            runs.append(run)
        run[2] = n
        if script:
            run[3] += 1
            run[4] += script == "en" and _is_ordinary(sentence[words[n][0]:words[n][1]])
    strong = [r for r in runs if (r[0] == "hy" and r[3] >= 2) or (r[0] == "en" and r[3] >= 3 and r[4] >= 2)]
    if len(strong) < 2:
        return [(sentence, "")]
    cuts = []  # word numbers where a new piece starts: where a strong run follows one of the other script
    last = strong[0]
    for run in strong[1:]:
        if run[0] != last[0]:
            cuts.append(run[1])
        last = run
    if not cuts:
        return [(sentence, "")]
    pieces, start = [], 0
    for cut in cuts:
        end = words[cut - 1][1]
        pieces.append((sentence[start:end], sentence[end:words[cut][0]]))
        start = words[cut][0]
    pieces.append((sentence[start:], ""))
    return pieces


def latin_words_in(text: str) -> list[str]:
    """Latin-script words of an otherwise non-Latin text: names and acronyms to copy through."""
    words: list[str] = []
    current: list[str] = []
    for ch in text + " ":
        if char_script(ch) == "Latin" or (current and (ch.isdigit() or ch in "-.'")):
            current.append(ch)
        else:
            if current:
                word = "".join(current).strip("-.'")
                if any(char_script(c) == "Latin" for c in word):
                    words.append(word)
            current = []
    return words
