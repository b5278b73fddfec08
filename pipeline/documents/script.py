"""Which writing system a piece of text is in, and so which language we take it for.

The desk's text is Armenian or English; the script tells them apart without a
statistical language model. Cyrillic is taken for Russian (the other language
a South Caucasus desk quotes most); anything else, or text without letters, is
`und` and passes through untouched.
"""

from __future__ import annotations

import unicodedata

SCRIPT_LANG = {"Armenian": "hy", "Latin": "en", "Cyrillic": "ru", "Georgian": "ka"}


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

    A Latin-script name or acronym inside an Armenian sentence (NATO, MWPs)
    leaves the sentence Armenian because most of its letters are Armenian.
    """
    counts = script_counts(text)
    if not counts:
        return "und"
    script = max(counts, key=lambda s: (counts[s], s == "Armenian"))
    return SCRIPT_LANG.get(script, "und")


def latin_words_in(text: str) -> list[str]:
    """Latin-script words of an otherwise non-Latin text: names and acronyms to copy through."""
    words, current = [], []
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
