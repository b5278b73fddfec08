"""Inline markup inside a sentence (`<a>`, `<b>`, `*em*`, a Word run's bold): taken out
before translation and put back around the words that translate what it wrapped.

The engine, the glossary, the memory, QA and the scores see the plain text only. A reader
gives a paragraph's plain text and its tags (`Builder`), the segmenter cuts the plain text
into sentences, and the writer puts each sentence's tags back into its translation
(`render`). A tag is kept as its own raw bytes (`<a href="...">` and `</a>`, `**`, `](url)`),
so whatever it holds (a link target, attributes) comes back unchanged.

Placement works on words (`\\S+`). With as many target words as source words (a
word-for-word engine) word i of the target stands for word i of the source, so every tag
wraps exactly the words it wrapped; with `links` (an engine's word alignment, `Segment.align`)
a tag wraps the target words aligned to its source words; else the words are matched in
proportion and the sentence is flagged `markup-moved` for a reviewer. A placement by the
alignment is exact (not flagged) when it is consistent, as a phrase pair of statistical MT
is: no target word inside a tag's target words is aligned to a source word outside the tag
(and no word before a point's place to a source word after it, nor after it to one before);
a tag none of whose words is aligned is placed in proportion, and flagged. Tags are nested again after placing, so
the output is always well-formed: a tag that would cross another is cut at its parent's end
(also `markup-moved`). The memory needs no markup in its key: the tags are put back from
the source's tags and the plain translation, the same way every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

MOVED = "markup-moved"
WORD = re.compile(r"\S+")
RUNS = re.compile(r"\s+|\S+")
SPACE = re.compile(r"\s+")
PUNCT = re.compile(r"^[^\w]*$")


@dataclass
class Tag:
    """One piece of markup of a sentence. A span (`open` ... `close`) wraps plain[start:end];
    a point (`close` is None) stands at `start` (a `<br>`, an image, inline code)."""

    start: int
    end: int
    open: str
    close: str | None = None
    space_after: bool = False  # a point: the source had whitespace right after it
    left: bool = False  # a point that ends the word before it (`word<br>`), not one that starts the next
    inside: tuple = ()  # a point: the spans (indexes in the same list) it is inside of
    space_before: bool = False  # a point: the source had whitespace right before it
    around: tuple[str, str] = ("", "")  # the source's own whitespace before the tag (its open) and after
    # it (its close): a line break, an indent is written back in place of the translation's space
    glue: bool = False  # a point whose space in the plain text is its own (`<br>`), with none after it in the source

    @property
    def point(self) -> bool:
        return self.close is None

    def to_list(self) -> list:
        return [self.start, self.end, self.open, self.close, self.space_after, self.left, list(self.inside),
                self.space_before]

    @classmethod
    def from_list(cls, row: Sequence) -> "Tag":
        return cls(int(row[0]), int(row[1]), row[2], row[3],
                   space_after=bool(row[4]) if len(row) > 4 else False,
                   left=bool(row[5]) if len(row) > 5 else False,
                   inside=tuple(row[6]) if len(row) > 6 else (),
                   space_before=bool(row[7]) if len(row) > 7 else False)


class Builder:
    """Plain text and tags from a paragraph's pieces, in document order. Whitespace is
    collapsed to one space (as HTML shows it) when `collapse`; the ends are trimmed."""

    def __init__(self, collapse: bool = True):
        self.collapse = collapse
        self.parts: list[str] = []
        self.length = 0
        self.tags: list[Tag] = []
        self.stack: list[Tag] = []
        self.open_index: list[int] = []  # where each open span is in `tags`
        self.inside_of: list[tuple[int, ...]] = []  # for each tag, the spans open around it
        self.pending_point: Tag | None = None
        self.spaced = False  # whitespace was fed since the last tag
        self.ws_before: dict[int, bool] = {}  # tag number -> whitespace came right before it
        self.ws_before_close: dict[int, bool] = {}
        self.ws_after: dict[int, bool] = {}  # tag number -> whitespace came right after it (its close)
        self.last_event: int | None = None
        self.raw_ws = ""  # the source's whitespace fed since the last tag (at the end of the text)
        self.raw_before: dict[tuple[int, bool], str] = {}  # (tag, its close) -> the source's whitespace before
        self.raw_after: dict[tuple[int, bool], str] = {}  # ... and after it
        self.after_event: tuple[int, bool] | None = None
        self.spaces: dict[int, str] = {}  # offset in the plain text -> the source's whitespace collapsed there
        self.synthetic_at: set[int] = set()  # the offsets of the spaces a `<br>` stands for

    def _event(self, number: int, closing: bool = False) -> None:
        (self.ws_before_close if closing else self.ws_before)[number] = self.spaced
        if closing:
            self.ws_after.pop(number, None)  # what follows the close counts, not what followed the open
        self.spaced = False
        self.last_event = number
        self.raw_before[number, closing] = self.raw_ws
        self.raw_ws = ""
        self.after_event = (number, closing)

    def _last_space(self) -> bool:
        return not self.parts or self.parts[-1][-1:].isspace()

    def text(self, text: str) -> None:
        if not text:
            return
        if self.last_event is not None:
            self.ws_after.setdefault(self.last_event, text[:1].isspace())
            self.last_event = None
        self.spaced = text[-1:].isspace()
        if self.pending_point is not None:
            self.pending_point.space_after = text[:1].isspace()
            self.pending_point = None
        if self.after_event is not None:
            self.raw_after[self.after_event] = text[:len(text) - len(text.lstrip())]
            self.after_event = None
        trailing = text[len(text.rstrip()):]
        self.raw_ws = self.raw_ws + trailing if not text.strip() else trailing
        if self.collapse:
            text = self._collapse(text)
        if text:
            self.parts.append(text)
            self.length += len(text)

    def _collapse(self, text: str) -> str:
        """Whitespace as one space; where the source had other whitespace, `spaces` keeps it."""
        out = []
        at = self.length
        last_space = self._last_space()
        for m in RUNS.finditer(text):
            chunk = m.group()
            if not chunk[0].isspace():
                out.append(chunk)
                at += len(chunk)
                last_space = False
            elif last_space:  # joins the space before it (a `<br>`'s own space is not the source's)
                if at - 1 in self.spaces or chunk != " ":
                    self.spaces[at - 1] = ("" if at - 1 in self.synthetic_at else self.spaces.get(at - 1, " ")) + chunk
            else:
                if chunk != " ":
                    self.spaces[at] = chunk
                out.append(" ")
                at += 1
                last_space = True
        return "".join(out)

    def open(self, raw: str) -> None:
        self.pending_point = None  # a tag between a point and a space: the space is not the point's
        tag = Tag(self.length, self.length, raw, "")
        self._event(len(self.tags))
        self.inside_of.append(tuple(self.open_index))
        self.open_index.append(len(self.tags))
        self.tags.append(tag)
        self.stack.append(tag)

    def close(self, raw: str) -> bool:
        """Close the innermost open span; False when none is open (the caller keeps `raw` as a point)."""
        if not self.stack:
            return False
        self.pending_point = None
        tag = self.stack.pop()
        number = self.open_index.pop()
        self._event(number, closing=True)
        tag.end, tag.close = self.length, raw
        return True

    def point(self, raw: str, space: bool = False) -> None:
        """A piece kept whole at this place; `space`: it separates words (`<br>`)."""
        tag = Tag(self.length, self.length, raw, left=space and not self._last_space())
        self._event(len(self.tags))
        self.inside_of.append(tuple(self.open_index))
        self.tags.append(tag)
        if space:
            spaces, length = dict(self.spaces), self.length
            self.text(" ")
            if self.length > length:
                self.synthetic_at.add(length)
            self.after_event = (len(self.tags) - 1, False)  # the whitespace after a `<br>` is the source's next
            self.raw_after.pop(self.after_event, None)
            self.spaces, self.raw_ws, self.spaced = spaces, "", False  # its space is no whitespace of the source
        else:
            self.pending_point = tag

    def plain(self) -> str:
        return "".join(self.parts)

    def finish(self) -> tuple[str, list[Tag], str, str]:
        """(plain text trimmed, its tags, whitespace cut at the start, at the end). A span left
        open is closed at the end with an empty close (its raw close was not in the paragraph);
        an element without text (`<a name=x></a>`, `<sup><br></sup>`) becomes one point."""
        for tag in self.stack:
            tag.end, tag.close = self.length, ""
        self.stack, self.open_index = [], []
        plain = self.plain()
        lead = len(plain) - len(plain.lstrip())
        body = plain.strip()
        tags = self.tags
        parent = {i: (self.inside_of[i][-1] if self.inside_of[i] else None) for i in range(len(tags))}

        def empty(i: int) -> bool:
            tag = tags[i]
            start, end = (min(max(x - lead, 0), len(body)) for x in (tag.start, tag.end))
            return not tag.point and (end <= start or not body[start:end].strip())

        def whole(i: int) -> str:
            """An element without text, written whole, with the spaces it had inside."""
            inner = "".join(space(j, False, self.ws_before.get(j)) + whole(j)
                            for j in range(i + 1, len(tags)) if parent[j] == i)
            if tags[i].point:
                return tags[i].open
            return tags[i].open + inner + space(i, True, self.ws_before_close.get(i)) + (tags[i].close or "")

        def space(j: int, closing: bool, spaced: bool | None) -> str:
            """The whitespace before tag j (its close) inside an element without text, as written."""
            return (self.raw_before.get((j, closing)) or " ") if spaced else ""

        gone: set[int] = set()
        kept: list[tuple[int, Tag]] = []
        for i, tag in enumerate(tags):
            if i in gone:
                continue
            start = min(max(tag.start - lead, 0), len(body))
            end = min(max(tag.end - lead, 0), len(body))
            before = self.ws_before.get(i, False) or plain[tag.start - 1:tag.start].isspace()
            around = self._around(i, tag.point)
            glue = self.collapse and tag.start in self.synthetic_at and not around[1]
            if empty(i):
                gone.update(j for j in range(i + 1, len(tags)) if i in self.inside_of[j])
                after = self.ws_after.get(i, False)
                kept.append((i, Tag(start, start, whole(i), inside=self.inside_of[i], space_before=before, space_after=after,
                                    around=around, glue=glue)))
            else:
                kept.append((i, Tag(start, end, tag.open, tag.close, tag.space_after, tag.left, self.inside_of[i],
                                    before and tag.point, around, glue and tag.point)))
        new = {old: k for k, (old, _) in enumerate(kept)}
        out = []
        for _, tag in kept:
            tag.inside = tuple(new[i] for i in tag.inside if i in new and not kept[new[i]][1].point) if tag.point else ()
            out.append(tag)
        self.spaces = {at - lead: ws for at, ws in self.spaces.items() if 0 <= at - lead < len(body)}
        return body, out, plain[:lead], plain[lead + len(body):]

    def _around(self, i: int, point: bool) -> tuple[str, str]:
        """The source's whitespace before tag i and after it (after its close), when the text is
        collapsed (else the plain text holds it already)."""
        if not self.collapse:
            return "", ""
        return self.raw_before.get((i, False), ""), self.raw_after.get((i, point is False), "")


def slice_tags(tags: list[Tag], start: int, end: int, stop: int | None = None, begin: int | None = None) -> list[Tag]:
    """The tags of plain[start:end] (a sentence), in its own offsets. A span crossing the
    sentence's ends is cut to it (the element is repeated in each sentence it covers); a point
    between `end` and `stop` (the space after the sentence) goes to the sentence's end, one
    between `begin` and `start` (a list marker before it) to its start."""
    stop = end if stop is None else stop
    begin = start if begin is None else begin
    out: list[Tag] = []
    index: dict[int, int] = {}
    for number, tag in enumerate(tags):
        if tag.point:
            if begin <= tag.start < stop or (tag.start == stop == end):
                at = min(max(tag.start, start), end) - start
                inside = tuple(index[i] for i in tag.inside if i in index and not out[index[i]].point)
                index[number] = len(out)
                out.append(Tag(at, at, tag.open, None, tag.space_after, tag.left, inside, tag.space_before, tag.around,
                               tag.glue))
        elif tag.start < end and tag.end > start:
            index[number] = len(out)
            around = (tag.around[0] if tag.start >= start else "", tag.around[1] if tag.end <= end else "")
            out.append(Tag(max(tag.start, start) - start, min(tag.end, end) - start, tag.open, tag.close, around=around))
    return out


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in WORD.finditer(text)]


def _covered(words: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """First and last word overlapping plain[start:end]."""
    inside = [i for i, (s, e) in enumerate(words) if s < end and e > start]
    return (inside[0], inside[-1]) if inside else None


def _boundary(words: list[tuple[int, int]], pos: int) -> int:
    """The word boundary at (or nearest to) `pos`: the number of words before it."""
    for i, (s, e) in enumerate(words):
        if pos <= s:
            return i
        if pos < e:
            return i if pos - s <= e - pos else i + 1
    return len(words)


def render(target: str, source: str, tags: list[Tag], escape: Callable[[str], str] = lambda s: s,
           links: list[tuple[int, int]] | None = None) -> tuple[str, bool]:
    """`target` with `tags` (in `source`'s offsets) put back; (markup, moved). `escape` is
    the format's text escaping (the tags are raw already). `links`: (source word, target
    word) pairs from the engine, if it gives them."""
    if not tags:
        return escape(target), False
    src_words, tgt_words = _words(source), _words(target)
    n, m = len(src_words), len(tgt_words)
    links = [(i, j) for i, j in links or () if 0 <= i < n and 0 <= j < m] or None if links else None
    exact = n == m and not links
    moved = not exact and not links

    def word_range(first: int, last: int) -> tuple[int, int]:
        """Target words [a, b] for source words [first, last]."""
        if m == 0:
            return 0, -1
        if exact:
            return first, last
        nonlocal moved
        if links:
            hit = [j for i, j in links if first <= i <= last]
            if hit:
                a, b = min(hit), max(hit)
                moved = moved or any(a <= j <= b and not first <= i <= last for i, j in links)
                return a, b
            moved = True
        # word boundaries in proportion: nested source spans stay nested
        a = min(m - 1, round(first * m / n))
        return a, max(a, min(m - 1, round((last + 1) * m / n) - 1))

    spans: list[list] = []  # [start, end, order, tag] in target offsets
    points: list[tuple[int, int, Tag]] = []
    for order, tag in enumerate(tags):
        if tag.point:
            k = _boundary(src_words, tag.start)
            if m == 0 or n == 0:
                j = 0 if k == 0 else m
            elif exact:
                j = k
            elif links:
                j = _link_boundary(links, k, m)
                moved = moved or any((i < k) != (t < j) for i, t in links)
            else:
                j = min(m, round(k * m / n))
            # a point glued to the end of a word (`well<footnote mark> in`, `word<img> next`) stays on its word
            glued = 0 < tag.start < len(source) and not source[tag.start - 1].isspace() and source[tag.start].isspace()
            if (tag.left or glued) and j > 0 and (j == m or not tag.open[-1:].isspace()):
                pos = tgt_words[j - 1][1]
            else:  # a line break (`\n> ` of a quote) takes the place of the space before the next word
                pos = tgt_words[j][0] if j < m else len(target)
            points.append((pos, order, tag))
            continue
        cover = _covered(src_words, tag.start, tag.end)
        if cover is None or m == 0:
            pos = 0 if cover is None or cover[0] == 0 else len(target)
            spans.append([pos, pos, order, tag])
            moved = moved or cover is not None
            continue
        a, b = word_range(*cover)
        start, end = tgt_words[a][0], tgt_words[b][1]
        # A tag that starts or ends inside its first or last word (`«<b>Word</b>»`, `<b>word</b>,`)
        # leaves out of the target word what it left out of the source word, when it is the same.
        first_src = source[src_words[cover[0]][0]:tag.start]
        own_first = source[tag.start:min(src_words[cover[0]][1], tag.end)]  # the tag's part of its first word
        first_end = tgt_words[a][1]
        if first_src and target[start:start + len(first_src)] == first_src and start + len(first_src) < end:
            start += len(first_src)
        elif first_src and PUNCT.match(own_first) and target[start:first_end].endswith(own_first) and own_first:
            start = first_end - len(own_first)  # `37<b>,</b>`: the comma after the translated number
        elif first_src and not PUNCT.match(first_src):
            moved = True
        last_src = source[tag.end:src_words[cover[1]][1]]
        own_last = source[max(src_words[cover[1]][0], tag.start):tag.end]
        last_start = tgt_words[b][0]
        if last_src and target[end - len(last_src):end] == last_src and end - len(last_src) > start:
            end -= len(last_src)
        elif last_src and own_last and PUNCT.match(own_last) and target[last_start:end].startswith(own_last):
            end = last_start + len(own_last)  # `<b>«</b>word`
        elif last_src and not PUNCT.match(last_src):
            moved = True
        spans.append([start, end, order, tag])
    moved = _nest(spans) or moved
    placed = {span[2]: span for span in spans}
    for k, (pos, order, tag) in enumerate(points):  # a point stays inside the spans it was inside of
        for parent in tag.inside:
            if parent in placed and placed[parent][0] < placed[parent][1]:
                pos = min(max(pos, placed[parent][0]), placed[parent][1])
        points[k] = (pos, order, tag)
    return _emit(target, spans, points, escape), moved


def _link_boundary(links: list[tuple[int, int]], k: int, m: int) -> int:
    """The target word boundary for source boundary `k`: before the first target word aligned
    to a source word at or after it."""
    after = [j for i, j in links if i >= k]
    return min(after) if after else m


def _contains(outer: list, inner: list) -> bool:
    """Whether `outer` holds `inner` in the source (the same words: the one opened first holds)."""
    o, i = outer[3], inner[3]
    return o.start <= i.start and i.end <= o.end and ((o.start, o.end) != (i.start, i.end) or outer[2] < inner[2])


def _nest(spans: list[list]) -> bool:
    """Make the spans nest (laminar); True when one had to be cut. Source order breaks ties."""
    spans.sort(key=lambda s: (s[0], -s[1], s[2]))
    stack: list[list] = []
    cut = False
    for span in spans:
        if span[0] == span[1]:  # written whole (open and close together): nests anywhere
            continue
        while stack and stack[-1][1] <= span[0]:
            stack.pop()
        if stack and not _contains(stack[-1], span):
            # two elements side by side in the source, on the same words of the target: nesting one in
            # the other would make a link inside a link; the later one is written whole after the first
            span[0] = span[1] = stack[-1][1]
            cut = True
            continue
        if stack and span[1] > stack[-1][1]:
            span[1] = stack[-1][1]
            cut = True
        stack.append(span)
    return cut


def _emit(target: str, spans: list[list], points: list[tuple[int, int, Tag]], escape) -> str:
    """The target with the tags inserted. At one place: the closes (innermost first), then the
    opens (outermost first); a point goes before the close and after the open of the spans it
    is inside of, and outside the others."""
    closes: dict[int, list[list]] = {}
    opens: dict[int, list[list]] = {}
    at: dict[int, list[tuple[int, Tag | list]]] = {}
    for span in spans:  # sorted: outer before inner
        if span[0] == span[1]:  # written whole: like a point outside every span
            at.setdefault(span[0], []).append((span[2], span))
            continue
        opens.setdefault(span[0], []).append(span)
        closes.setdefault(span[1], []).insert(0, span)
    for pos, order, tag in points:
        at.setdefault(pos, []).append((order, tag))
    out = []
    last = 0
    after = ""  # the source's whitespace after the tags written last, for the start of the next piece
    for pos in sorted(set(closes) | set(opens) | set(at)):
        waiting = sorted(at.get(pos, []), key=lambda item: item[0])
        piece = target[last:pos]
        if any(not isinstance(item[1], list) and item[1].left and item[1].open[-1:].isspace() for item in waiting):
            piece = piece.rstrip()
        starting = [item[1] if not isinstance(item[1], list) else item[1][3] for item in waiting] + [
            span[3] for span in opens.get(pos, [])]  # in the order they are written
        before = next((tag.around[0] for tag in starting if tag.around[0]), "")
        out.append(_respace(escape(piece), after, before))
        after = next((tag.around[1] for tag in [span[3] for span in closes.get(pos, [])] + starting if tag.around[1]), "")
        moved = [any(tag.glue for tag in starting)]  # the space after these tags is theirs, or went before them
        last = pos

        def raw(item, pos=pos, moved=moved) -> str:
            piece = item[1]
            if isinstance(piece, list):
                return piece[3].open + (piece[3].close or "")
            before = (piece.around[0] or " " if (piece.space_before or piece.around[0]) and 0 < pos
                      and not target[pos - 1].isspace() else "")
            moved[0] = moved[0] or bool(before)
            after = (piece.around[1] or " " if (piece.space_after or piece.around[1]) and pos < len(target)
                     and not target[pos].isspace() else "")
            return before + piece.open + after

        def inside(item, span) -> bool:
            return not isinstance(item[1], list) and span[2] in item[1].inside

        for span in closes.get(pos, []):
            out.extend(raw(item) for item in waiting if inside(item, span))
            waiting = [item for item in waiting if not inside(item, span)]
            out.append(span[3].close or "")
        here = opens.get(pos, [])
        deepest = {id(item): max((i for i, span in enumerate(here) if inside(item, span)), default=-1) for item in waiting}
        out.extend(raw(item) for item in waiting if deepest[id(item)] == -1)
        for i, span in enumerate(here):
            out.append(span[3].open)
            out.extend(raw(item) for item in waiting if deepest[id(item)] == i)
        if moved[0] and not after:
            after = GLUE
    out.append(_respace(escape(target[last:]), after, ""))
    return "".join(out)


def valid_placement(tags: list[Tag], events: object, length: int) -> bool:
    """Whether `events` (an editor's placement, see `place`) puts each of `tags` once, well nested,
    inside a target of `length` characters."""
    if not isinstance(events, list):
        return False
    seen: set[int] = set()
    stack: list[int] = []
    last = 0
    for event in events:
        if not (isinstance(event, (list, tuple)) and len(event) == 3 and isinstance(event[0], int)
                and isinstance(event[1], int) and event[2] in ("open", "close", "point")):
            return False
        pos, number, kind = event
        if not last <= pos <= length or not 0 <= number < len(tags):
            return False
        last = pos
        if kind == "close":
            if not stack or stack.pop() != number:
                return False
            continue
        if number in seen or (kind == "point") != tags[number].point:
            return False
        seen.add(number)
        if kind == "open":
            stack.append(number)
    return not stack and len(seen) == len(tags)


def place(target: str, tags: list[Tag], events: list, escape: Callable[[str], str] = lambda s: s) -> str:
    """`target` with `tags` where an editor put them: `events` are [offset in target, tag number,
    "open" | "close" | "point"] in the editor's order (checked by `valid_placement`)."""
    out, last = [], 0
    for pos, number, kind in events:
        out.append(escape(target[last:pos]))
        last = pos
        tag = tags[number]
        out.append(tag.close or "" if kind == "close" else tag.open)
    out.append(escape(target[last:]))
    return "".join(out)


def placement(target: str, source: str, tags: list[Tag]) -> list:
    """The events (see `place`) of the placement `render` gives: what a target without an
    editor's placement has, so an import can tell a moved tag from one left where it was."""
    marked = [Tag(t.start, t.end, f"\x02{n}{'p' if t.point else 'o'}\x03", None if t.point else f"\x02{n}c\x03",
                  left=t.left, inside=t.inside) for n, t in enumerate(tags)]  # no spaces added around a point
    text, _ = render(target, source, marked)
    events, plain = [], 0
    kinds = {"o": "open", "c": "close", "p": "point"}
    for piece in re.split("(\x02\\d+[ocp]\x03)", text):
        if piece.startswith("\x02"):
            events.append([plain, int(piece[1:-2]), kinds[piece[-2]]])
        else:
            plain += len(piece)
    return events


GLUE = "\x00"  # `_respace`'s lead for a piece after a `<br>` that had no whitespace after it: the space goes


def _respace(piece: str, lead: str, trail: str) -> str:
    """`piece` (text between tags) with its leading whitespace written as `lead` and its trailing
    as `trail`, where the source had those (a line break before a link) and the target has a space."""
    if lead == GLUE:
        piece, lead = (piece[1:] if piece[:1] == " " else piece), ""
    if not piece or not (lead or trail):
        return piece
    if not piece.strip():
        return trail or lead
    if lead and piece[0].isspace():
        piece = lead + piece.lstrip()
    if trail and piece[-1].isspace():
        piece = piece.rstrip() + trail
    return piece


def identity(source: str, tags: list[Tag], escape: Callable[[str], str] = lambda s: s) -> str:
    """The source with its own tags back (a sentence left untranslated)."""
    return render(source, source, tags, escape)[0]


def render_paragraph(text: str, tags: list[Tag], segments: list, escape: Callable[[str], str] = lambda s: s,
                     links: dict | None = None, spaces: dict[int, str] | None = None) -> str:
    """A paragraph's translation with its tags back, sentence by sentence; a sentence whose
    tags could not be placed exactly is flagged `markup-moved`. A dropped or untranslated
    sentence (chrome, a repeat) keeps its source and its tags as they were.

    `text` is the paragraph's plain text, `segments` its segments in order (`pre + source +
    sep` over them gives `text`). `spaces`: the source's whitespace where `text` has one space
    (`Builder.spaces`): the line break between two sentences is written back."""
    out = []
    cursor = 0
    for segment, mine in zip(segments, sentence_tags(text, tags, segments)):
        cursor += len(segment.pre) + len(segment.source)
        sep = segment.sep
        if spaces and sep == " " and cursor in spaces:
            sep = spaces[cursor]
        cursor += len(segment.sep)
        target = segment.target
        if target is None or "dropped" in segment.flags:
            body = identity(segment.source, mine, escape)
        elif mine and valid_placement(mine, getattr(segment, "markup", None), len(target)):
            body = place(target, mine, segment.markup, escape)  # where an editor put the tags
        else:
            aligned = (links or {}).get(segment.index) or (None if segment.origin == "human" else read_links(
                getattr(segment, "align", None)))  # an editor's text is not the one the engine aligned
            body, moved = render(target, segment.source, mine, escape, aligned)
            if moved:
                segment.flag(MOVED)
        sep = "" if body[-1:].isspace() and not segment.sep.strip() else sep  # a line break ended it
        out.append(escape(segment.pre) + body + escape(sep))
    return "".join(out)


def write_links(links) -> str:
    """A word alignment as a row keeps it (`Segment.align`): `0-0 1-2 2-1`, source word -
    target word, the Pharaoh format of fast_align and eflomal."""
    return " ".join(f"{i}-{j}" for i, j in links)


def read_links(text: str | None) -> list[tuple[int, int]] | None:
    """`write_links` read back; None for none (the row's field is checked when it is read)."""
    if not text:
        return None
    return [(int(i), int(j)) for i, j in (pair.split("-") for pair in text.split())]


def tagged_sentences(layout: Any, segments: list) -> Iterator[tuple[Any, Any, list[Tag]]]:
    """The sentences of a document read in place (`layout`: its paragraphs, with their tags) that
    carry inline tags: (segment, its paragraph, its tags in its own offsets)."""
    paragraphs = getattr(layout, "paragraphs", None)
    if not paragraphs:
        return
    groups: dict[int, list] = {}
    for segment in segments:
        groups.setdefault(segment.para, []).append(segment)
    for para, group in groups.items():
        if para < len(paragraphs) and paragraphs[para].tags:
            paragraph = paragraphs[para]
            for segment, tags in zip(group, sentence_tags(paragraph.text, paragraph.tags, group)):
                if tags:
                    yield segment, paragraph, tags


def sentence_tags(text: str, tags: list[Tag], segments: list) -> list[list[Tag]]:
    """Each sentence's tags, in its own offsets (`segments` cut `text`: `pre + source + sep`)."""
    out = []
    cursor = 0
    for n, segment in enumerate(segments):
        begin = cursor
        start = cursor + len(segment.pre)
        end = start + len(segment.source)
        stop = end + len(segment.sep)
        if n == len(segments) - 1:
            stop = max(stop, len(text)) + 1  # a point at the paragraph's very end too
        out.append(slice_tags(tags, start, end, stop, begin=begin))
        cursor = stop
    return out
