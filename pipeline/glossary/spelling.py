"""The desk's spelling of Armenian `և`: `respell(text, mode)`, a pure function.

SentencePiece models normalise text with NFKC, which turns the ligature `և` (U+0587)
into the two letters `եւ`; so every Armenian output of an OPUS-MT or NLLB model spells
`Երեւան`, `Ալիեւ`, `եւ` even where the glossary and the desk write `Երևան`, `Ալիև`, `և`.

Modes:
- `reformed` (the standard in Armenia, the default): `եւ` is written `և` inside and at the
  end of a word (`Երևան`, `Ալիև`) and as the conjunction (`և`, also `ևս`, `ևեթ`); a
  capitalised word starts with `Եվ` (`Եվ նա ասաց`, classical `Եւրոպա` -> `Եվրոպա`), as
  there is no capital ligature, and an all-capital word has `ԵՎ` (`ԵՐԵՎԱՆ`); a word-initial
  `եւ` in any longer word becomes `եվ`. Words spelled `եվ` (`Եվրոպա`, `հոգեվարք`) are
  left as they are.
- `classical`: the ligature is written out `եւ` (`Երեւան`, the conjunction `եւ`), and the
  conjunction written `Եվ`/`եվ` becomes `Եւ`/`եւ`. Other words spelled with `վ`
  (`Եվրոպա`) are left alone: which of them classical spelling writes with `ւ` is lexical.
- `keep`: the text as the model wrote it.

Only the letters `և`, `ե`/`Ե` + `ւ`/`Ւ`/`վ`/`Վ` change; every other character, and the
text's length apart from the ligature, stays as it is.
"""

from __future__ import annotations

import re

MODES = ("reformed", "classical", "keep")
_WORD = re.compile(r"[\u0531-\u0556\u0561-\u0587\u055b\u055c\u055e]+")  # Armenian letters and in-word marks
_LIGATURE_WORDS = {"ս", "եթ"}  # `ևս` (also), `ևեթ` (even) keep the ligature word-initially


def respell(text: str, mode: str = "reformed") -> str:
    """`text` with `և` spelled as `mode` says (see the module notes)."""
    if mode == "keep" or not text:
        return text
    if mode == "reformed":
        if "\u0582" not in text and "\u0552" not in text and "\u0587" not in text:
            return text  # no ւ/Ւ/և: nothing to respell (the common case for a fast run)
        return _WORD.sub(_reformed, text)
    if mode == "classical":
        if "\u0587" not in text and "վ" not in text and "Վ" not in text:
            return text
        return _WORD.sub(_classical, text)
    raise ValueError(f"unknown Armenian spelling {mode!r}; use one of {', '.join(MODES)}")


def _reformed(found: re.Match) -> str:
    word = found.group()
    head = ""
    first = word[:2]
    if first in ("եւ", "Եւ", "ԵՒ", "եՒ"):
        rest = word[2:]
        if not rest or rest.lower() in _LIGATURE_WORDS:  # the conjunction, `ևս`
            if first == "եւ":
                return "և" + rest
            return ("ԵՎ" + rest) if first == "ԵՒ" or rest.isupper() else ("Եվ" + rest)
        head, word = first[0] + ("Վ" if first[1] == "Ւ" else "վ"), rest
    elif word[:1] == "և" and len(word) > 1 and word[1:].lower() not in _LIGATURE_WORDS:
        head, word = "եվ", word[1:]  # a word-initial ligature in a longer word: `եվ`
    if "ւ" in word or "Ւ" in word:
        word = word.replace("եւ", "և").replace("ԵՒ", "ԵՎ").replace("եՒ", "և").replace("Եւ", "Եվ")
    return head + word


def _classical(found: re.Match) -> str:
    word = found.group()
    conjunction = {"եվ": "եւ", "Եվ": "Եւ", "ԵՎ": "ԵՒ"}
    if word in conjunction:
        return conjunction[word]
    if word[2:].lower() in _LIGATURE_WORDS and word[:2] in conjunction:  # `Եվս` -> `Եւս`
        return conjunction[word[:2]] + word[2:]
    return word.replace("և", "եւ")


def for_output(text: str, lang: str, mode: str) -> str:
    """A translation as the run writes it: Armenian (`lang` hy) in the desk's spelling."""
    return respell(text, mode) if lang == "hy" and text else text


def respell_all(texts, mode: str) -> list[str]:
    """`respell` over a list (the constrained search's term forms), duplicates dropped."""
    return list(dict.fromkeys(respell(t, mode) for t in texts))
