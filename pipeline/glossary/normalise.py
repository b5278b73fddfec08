"""One normalisation for glossary terms and running text, with offsets back to the original.

Matching happens on a folded copy of the text: Unicode NFC, case folded, Armenian
punctuation and apostrophe/hyphen look-alikes unified, the ligature `և` and the
pre-reform spelling `եւ` both read as `եվ`, the Armenian stress/question/exclamation
marks that sit inside a word (`՛ ՜ ՞`) dropped, and runs of whitespace read as one space.
The text written out is never changed: `Normalised.span()` maps a match back to
character offsets in the original string.

`key()` is the fast path for glossary terms (no offsets); `normalise(s).text == key(s)`
for any string (a property test holds us to it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# One character -> one character (or nothing) after case folding.
_CHAR_MAP = {
    "\u0589": ":",  # ։ Armenian full stop
    "\u055d": ",",  # ՝ Armenian comma
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u055a": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
    "\u058a": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u00ad": None,  # soft hyphen
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,  # zero-width
    "\u055b": None, "\u055c": None, "\u055e": None,  # ՛ ՜ ՞ sit inside Armenian words
}
_TABLE = str.maketrans(_CHAR_MAP)
_MAPPED = re.compile("[" + "".join(_CHAR_MAP) + "]")
_SPACES = re.compile(r"\s+")
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")


def key(text: str) -> str:
    """Normalised form of a term (or any string) without offsets; cheap enough for 10^6 terms."""
    text = unicodedata.normalize("NFC", text).casefold()
    if _MAPPED.search(text):
        text = text.translate(_TABLE)
    if "\u0582" in text:
        text = text.replace("\u0565\u0582", "\u0565\u057e")  # եւ -> եվ (և folds to եւ)
    return _SPACES.sub(" ", text) if _ODD_SPACE.search(text) else text


def cased_key(text: str) -> str:
    """Like `key()` but keeping letter case, for case-sensitive terms."""
    text = unicodedata.normalize("NFC", text)
    if _MAPPED.search(text):
        text = text.translate(_TABLE)
    for old, new in (("և", "եվ"), ("եւ", "եվ"), ("Եւ", "Եվ"), ("ԵՒ", "ԵՎ")):
        text = text.replace(old, new)
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class Normalised:
    """`text` normalised, and for each of its characters the original [start, end) span."""

    text: str
    original: str
    starts: list[int] | None = None  # None: offsets are the identity
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of normalised [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


@lru_cache(maxsize=1)
def _length_changing() -> re.Pattern:
    """Characters whose folded form is not exactly one character, plus non-NFC material."""
    odd = [c for c in map(chr, range(0x10000)) if len(c.casefold().translate(_TABLE)) != 1]
    return re.compile("[" + "".join(re.escape(c) for c in odd) + r"]|\s\s|[^\S ]")


def normalise(text: str) -> Normalised:
    """Fold `text` for matching, remembering where every folded character came from."""
    if unicodedata.is_normalized("NFC", text) and not _length_changing().search(text):
        return Normalised(key(text), text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        chunk = unicodedata.normalize("NFC", text[i:j]).casefold().translate(_TABLE)
        for ch in chunk:
            if ch.isspace():
                if out and out[-1] == " ":
                    ends[-1] = j
                    continue
                ch = " "
            elif ch == "\u0582" and out and out[-1] == "\u0565":
                ch = "\u057e"
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return Normalised("".join(out), text, starts, ends)
