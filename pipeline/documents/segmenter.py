"""Paragraphs into sentences, for both Armenian and English.

Armenian ends a sentence with `։` (U+0589), and scraped text often has an ASCII
`:` in its place; `՞ ՜ ՛` sit inside words and end nothing; quotes are `« »`.
A period after an Armenian word is an abbreviation point (`Հր. Դինք`, `Էդ.`, `ՎԼ.`,
`2022 թ.`, `1915-1923 թթ.`, `մ.թ.ա.`, `պրոֆ.`, `փող.`, `պրն.`, `մլն.`) or the Armenian
colon, the միջակետ (`Նա ասաց. «...»`, `Հարձակում Նորթոնում. Մահափորձ...`), never a
full stop: in a paragraph that ends its Armenian sentences with `։` (or `:`), it ends
none. A paragraph written with `.` as its full stop (some web text: no `։` or `:`, and a
period at its end) is split at a period unless the word before it is an abbreviation. A sentence that ends in an abbreviation
still ends where the full stop follows it (`1915 թ.։`). Splitting never loses a character: `pre + source + sep` over a
paragraph's segments gives the paragraph back.

Within a sentence, a stretch of Armenian words and a stretch of English words with no
punctuation between them become two segments (`script.split_script_runs`), so each is
routed by its own language; names, acronyms and addresses stay in their sentence.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator

from pipeline.documents.script import char_script, detect_language, split_script_runs
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
    # Armenian: թ. (year), թթ. (years), դ./դդ. (century), մ.թ.ա. (BC), պրն (Mr), տիկ (Mrs), հմմտ, օր.
    "թ", "թթ", "պրն", "տկն", "տիկ", "հմմտ", "օր", "դ", "դդ", "մ.թ.ա", "մ.թ", "ք.ա", "ք.հ",
    "պրոֆ", "ակադ", "դոկտ", "դոց", "գեն", "լեյտ", "սբ", "ընկ", "պարոն",  # titles
    "փող", "պող", "հրապ", "շրջ", "նահ", "բն", "շ", "տ", "ք", "գ",  # addresses: street, avenue, ...
    "տես", "մասն", "նույն", "խմբ", "թարգմ", "հրատ", "հատ", "էջ", "համ",  # references: see, ed., vol.
    "հազ", "մլն", "մլրդ", "դոլ", "կմ", "կգ", "ժ", "ր",  # numbers and units
}
# Short Armenian words that do end a sentence before a period (`Այո.`): not name initials.
ARMENIAN_SHORT_WORDS = {"այո", "ոչ", "նա", "ես", "դու", "սա", "դա", "այն", "որ", "ով", "իր", "էլ", "ու",
                        "և", "եվ", "իսկ", "հա", "չէ", "էր", "է", "եմ", "են", "էի", "էին", "մեր", "ձեր",
                        "այս", "այդ", "մի", "ինձ", "քեզ", "նրա", "ում", "ինչ", "կա", "չկա", "եկ"}
_ARMENIAN_VOWELS = set("աեէըիոօւևԱԵԷԸԻՈՕՒ")
_IN_WORD_MARKS = str.maketrans("", "", "՛՜՞")  # ՛ ՜ ՞
# Markdown markers at the start of a line that are structure, not text.
MARKDOWN_LEAD = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d{1,3}[.)]\s+)?)")


def markdown_lead(line: str) -> str:
    """The markdown marker (and the blanks before it) that `line` starts with, or ""."""
    found = MARKDOWN_LEAD.match(line)
    return found.group(1) if found else ""  # every group is optional: it always matches


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


def armenian_abbreviation(word: str) -> bool:
    """Is `word` (the text before a period) an Armenian abbreviation?

    Known abbreviations (`թթ`, `պրոֆ`, `մ.թ.ա`, `տե՛ս`), a word without a written vowel
    (`պրն`, `մլրդ`: every Armenian word has one), and a capitalised word of up to three
    letters that is not a common short word: an abbreviated first name (`Հր`, `Էդ`, `ԳՐ`).
    """
    bare = word.translate(_IN_WORD_MARKS).rstrip(".")
    if not bare or char_script(bare[-1]) != "Armenian":
        return False
    lower = bare.lower()
    if lower in ABBREVIATIONS:
        return True
    letters = [c for c in bare if c.isalpha()]
    if not all(char_script(c) == "Armenian" for c in letters):
        return False
    if not any(c in _ARMENIAN_VOWELS for c in letters):
        return True
    return len(letters) <= 3 and bare[0].isupper() and lower not in ARMENIAN_SHORT_WORDS


# An Armenian sentence end (`։`, or an ASCII `:` after an Armenian word): the paragraph
# uses them, so its periods after Armenian words are abbreviations and colons.
_ARMENIAN_STOPS = re.compile(r"։|[\u0531-\u0587][.»\"'”’)\]]*:")


def _ends_sentence(text: str, i: int, j: int | None = None, armenian_stops: bool = False) -> bool:
    """Is the punctuation run text[i:j] a sentence end (given what follows is whitespace)?

    `armenian_stops`: the paragraph ends its Armenian sentences with `։` or `:`.
    """
    ch = text[i]
    run = text[i:j] if j is not None else ch
    if ARMENIAN_FULL_STOP in run or any(c in "!?…" for c in run):
        return True  # `1915 թ.։`: a full stop after an abbreviation's period
    word = _word_before(text, i).rstrip(CLOSERS + ENDERS)
    if ":" in run:
        # An ASCII colon ends an Armenian sentence (scraped text), never an English one.
        return bool(word) and char_script(word[-1]) == "Armenian"
    if ch == "." and armenian_stops and word and char_script(word[-1]) == "Armenian":
        return False  # an abbreviation point or the Armenian colon (միջակետ)
    if ch == ".":
        bare = word.lower().rstrip(".")
        if bare in ABBREVIATIONS or armenian_abbreviation(word):
            return False
        if len(bare) == 1 and bare.isalpha() and (word[-1:].isupper() or char_script(bare) != "Armenian"):
            return False  # an initial: "J. Smith", "Ս. Լավրով" (not Armenian `է.` "is")
        return True
    return False


def _script_runs(sentence: str, sep: str) -> list[tuple[str, str]]:
    """`sentence` cut at its script runs (`script.split_script_runs`); the last piece keeps `sep`."""
    pieces = split_script_runs(sentence)
    return pieces[:-1] + [(pieces[-1][0], sep)]


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Split a paragraph into (sentence, whitespace-after) pairs; joined they give `text` back."""
    pieces: list[tuple[str, str]] = []
    start = 0
    i = 0
    n = len(text)
    # Periods after Armenian words end sentences only in a paragraph written with `.` as its
    # full stop: no `։`/`:` anywhere, and a period at the end (a headline `Հարձակում
    # Նորթոնում. Մահափորձ...` has neither, and its period is the colon).
    armenian_stops = "." in text and (bool(_ARMENIAN_STOPS.search(text))
                                      or not text.rstrip().rstrip(CLOSERS).endswith("."))
    while i < n:
        ch = text[i]
        if ch in ENDERS or ch == ":":
            j = i + 1
            while j < n and (text[j] in ENDERS or text[j] in CLOSERS):
                j += 1
            k = j
            while k < n and text[k].isspace():
                k += 1
            if k > j and k < n and _ends_sentence(text, i, j, armenian_stops) and (
                ARMENIAN_FULL_STOP in text[i:j] or ":" in text[i:j] or _is_upper_start(text, k)
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
    body = line[len(markdown_lead(line)):]
    return not normalize_for_compare(body)


CHROME_PREFIX_WORDS = 12  # a longer paragraph is an article's, whatever it starts with


def sentence_like(key: str) -> bool:
    """A line that reads as a sentence: it ends with a full stop, or it is long."""
    return key.rstrip(CLOSERS)[-1:] in ENDERS or len(key.split()) > CHROME_PREFIX_WORDS


def _starts_with_chrome(key: str, chrome: set[str]) -> bool:
    """A boilerplate entry matches the start of a short line that is not a sentence when a
    separator follows it ("Share" finds "Share | Tweet | Email" and "Share: Facebook", not
    "Share prices fell"): a line that merely starts with the entry's words is the story's."""
    if not chrome or sentence_like(key):
        return False
    return any(entry and key.startswith(entry) and _separator(key[len(entry):]) for entry in chrome)


def _separator(rest: str) -> bool:
    """`rest` (what follows a boilerplate entry) starts with a separator: `|`, `:`, `-`, `•`, `/`..."""
    rest = rest.lstrip()
    return bool(rest) and not rest[0].isalnum() and rest[0] not in "\"'«“‘"


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
        lead = markdown_lead(raw)
        body = raw[len(lead):]
        stripped = body.rstrip()
        trail = body[len(stripped):]
        key = normalize_for_compare(stripped)
        if not key:
            continue
        if key in chrome or _starts_with_chrome(key, chrome):
            kind = BOILERPLATE
        elif repeats and key == previous_key:
            kind = DUPLICATE
        else:
            kind = TEXT
        previous_key = key
        if kind == BOILERPLATE:
            sentences = [(stripped, "")]
        else:  # sentences, and within one, stretches of Armenian and English without punctuation between
            sentences = [piece for sentence, sep in split_sentences(stripped) for piece in _script_runs(sentence, sep)]
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
