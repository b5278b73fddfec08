"""Paragraphs into sentences, for both Armenian and English.

Armenian ends a sentence with `։` (U+0589), and scraped text often has an ASCII
`:` in its place; `՞ ՜ ՛` sit inside words and end nothing; quotes are `« »`.
Splitting never loses a character: `pre + source + sep` over a paragraph's
segments gives the paragraph back.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator

from pipeline.documents.script import char_script, detect_language
from pipeline.segment import BOILERPLATE, DUPLICATE, TEXT, Segment

ARMENIAN_FULL_STOP = "\u0589"
ENDERS = ".!?…" + ARMENIAN_FULL_STOP
CLOSERS = "\"'”’»)]"
OPENERS = "\"'“‘«(["
# Words after which a period does not end a sentence.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "gov",
    "sen", "rep", "rev", "hon", "mt", "no", "nos", "vs", "etc", "e.g", "i.e", "a.m", "p.m",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.u", "inc", "ltd", "co", "corp", "approx", "fig", "vol",
    # Armenian: թ. (year), թթ. (years), էջ, պրն (Mr), տիկ (Mrs), հմմտ, օր.
    "թ", "թթ", "պրն", "տկն", "տիկ", "հմմտ", "օր", "դ", "մ.թ.ա", "մ.թ",
}
# Markdown markers at the start of a line that are structure, not text.
MARKDOWN_LEAD = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d{1,3}[.)]\s+)?)")


def _is_upper_start(text: str, pos: int) -> bool:
    """Does a new sentence plausibly start at text[pos:]?"""
    while pos < len(text) and text[pos] in OPENERS + "-–—":
        pos += 1
    if pos >= len(text):
        return False
    ch = text[pos]
    return ch.isupper() or ch.isdigit() or (char_script(ch) not in (None, "Latin", "Armenian", "Cyrillic"))


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in OPENERS:
        start -= 1
    return text[start:end]


def _ends_sentence(text: str, i: int) -> bool:
    """Is the punctuation at text[i] a sentence end (given what follows is whitespace)?"""
    ch = text[i]
    if ch == ARMENIAN_FULL_STOP or ch in "!?…":
        return True
    word = _word_before(text, i).rstrip(CLOSERS + ENDERS)
    if ch == ":":
        # An ASCII colon ends an Armenian sentence (scraped text), never an English one.
        return bool(word) and char_script(word[-1]) == "Armenian"
    if ch == ".":
        bare = word.lower().rstrip(".")
        if bare in ABBREVIATIONS:
            return False
        if len(bare) == 1 and bare.isalpha():  # an initial: "J. Smith", "Ս. Լավրով"
            return False
        return True
    return False


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Split a paragraph into (sentence, whitespace-after) pairs; joined they give `text` back."""
    pieces: list[tuple[str, str]] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in ENDERS or ch == ":":
            j = i + 1
            while j < n and (text[j] in ENDERS or text[j] in CLOSERS):
                j += 1
            k = j
            while k < n and text[k].isspace():
                k += 1
            if k > j and k < n and _ends_sentence(text, i) and (
                ch in (ARMENIAN_FULL_STOP, ":") or _is_upper_start(text, k)
            ):
                pieces.append((text[start:j], text[j:k]))
                start = k
                i = k
                continue
            i = j
            continue
        i += 1
    if start < n:
        body = text[start:]
        stripped = body.rstrip()
        pieces.append((stripped, body[len(stripped):]))
    return pieces


def normalize_for_compare(text: str) -> str:
    """Case-, space- and form-insensitive key for boilerplate and duplicate detection."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())


def is_layout(line: str) -> bool:
    """A line with no text to translate: blank, or only a markdown marker (`>`, `- `, `1. `).

    Readers keep such lines as layout (with the line breaks around them);
    `segment_paragraphs` makes no segment of them.
    """
    body = line[len(MARKDOWN_LEAD.match(line).group(1)):]
    return not normalize_for_compare(body)


def segment_paragraphs(
    doc: str,
    paragraphs: Iterable[tuple[str, str]],
    *,
    boilerplate: Iterable[str] = (),
    repeats: bool = True,
    meta: dict | None = None,
) -> Iterator[Segment]:
    """Turn (paragraph text, line break after it) pairs into segments.

    A paragraph equal to a boilerplate entry is one `boilerplate` segment; with
    `repeats`, a paragraph equal to the paragraph just before it is `duplicate`; a
    paragraph without text (`is_layout`) gives no segment, so callers keep it as layout.
    """
    chrome = {normalize_for_compare(b) for b in boilerplate}
    previous_key = None
    index = 0
    para = 0
    for raw, para_sep in paragraphs:
        lead = MARKDOWN_LEAD.match(raw).group(1)
        body = raw[len(lead):]
        stripped = body.rstrip()
        trail = body[len(stripped):]
        key = normalize_for_compare(stripped)
        if not key:
            continue
        if key in chrome:
            kind = BOILERPLATE
        elif repeats and key == previous_key:
            kind = DUPLICATE
        else:
            kind = TEXT
        previous_key = key
        if kind == BOILERPLATE:
            sentences = [(stripped, "")]
        else:
            sentences = split_sentences(stripped)
        for n, (sentence, sep) in enumerate(sentences):
            last = n == len(sentences) - 1
            segment = Segment(
                doc=doc,
                para=para,
                index=index,
                source=sentence,
                src_lang=detect_language(sentence),
                kind=kind,
                pre=lead if n == 0 else "",
                sep=sep + (trail if last else ""),
                para_sep=para_sep if last else "",
                meta=dict(meta or {}),
            )
            segment.meta["last_in_para"] = last
            yield segment
            index += 1
        para += 1
