"""A finished run opened for review: its segments with the editors' work laid over them.

`ReviewSession(out_dir)` reads `segments.jsonl` and `run.json` (as `review.html` does), the
post-edits in `edits.jsonl` and the marks in `review-log.jsonl`. What it offers is what the
review server and `targman import` need: each segment's current text and state, `edit()`
(a post-edit: `edits.jsonl` with via "review" or "xliff", and the translation memory's
human table), `mark()` (reviewed), and adding a glossary concept (`add_concept`: lint, then
one new line where `glossary fmt` would put it).

A segment's state, as XLIFF names them:
    translated  the machine's output, no editor has touched it
    reviewed    an editor changed it (not yet in the article) or marked it reviewed
    final       the article holds the editor's text (`targman apply`, or a later run)
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import replace
from pathlib import Path

from pipeline.errors import GlossaryError, TargmanError
from pipeline.evaluation.postedit import editable, row_chains, row_key, run_post_edits
from pipeline.invisible import invisible_problem
from pipeline.runfolder.edits import CONFLICT, Edit, open_conflicts
from pipeline.runfolder.folder import RunFolder, Stamp

log = logging.getLogger("targman")

MAX_TEXT = 20_000  # characters in one segment's post-edit
MAX_CELL = 1_000  # characters in one glossary cell
CONCEPT_FIELDS = ("type", "en", "hy", "en_short", "hy_short", "note", "options")
STATES = ("translated", "reviewed", "final")


class ReviewError(TargmanError):
    """A request the review cannot honour; `status` is the HTTP status the server answers with."""

    def __init__(self, message: str, status: int = 422, problems: list[str] | None = None,
                 conflict: dict | None = None):
        super().__init__(message)
        self.status = status
        self.problems = problems or []
        self.conflict = conflict  # a stale save (409): the segment's text now, and the one not saved


def check_text(text, what: str = "the translation") -> str:
    """An editor's text is kept exactly; it must be one line of printable text."""
    if not isinstance(text, str):
        raise ReviewError(f"{what} must be a string", 400)
    if len(text) > MAX_TEXT:
        raise ReviewError(f"{what} is longer than {MAX_TEXT} characters", 413)
    if not text.strip():
        raise ReviewError(f"{what} is empty; a segment needs some text")
    bad = sorted({c for c in text if (unicodedata.category(c) == "Cc" and c != "\t") or c in "\u2028\u2029"})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise ReviewError(f"{what} holds a line break or control character ({shown}); a segment is one line")
    if problem := invisible_problem(text, what):  # a bidi override (U+202E) shows text backwards
        raise ReviewError(problem)
    return text


def clean_who(who) -> str | None:
    if who is None:
        return None
    if not isinstance(who, str):
        raise ReviewError("who must be a string", 400)
    who = "".join(c for c in who if unicodedata.category(c)[0] != "C").strip()[:100]
    return who or None


class ReviewSession:
    """A run folder under review. `glossary`: the glossary file concepts are added to (default:
    the run's, when that file is here); `memory`: False for none, None to open the run's."""

    def __init__(self, out_dir: str | Path, *, glossary: str | Path | None = None, memory=None):
        self.out_dir = Path(out_dir)
        self.folder = RunFolder(self.out_dir)
        self._stamp: Stamp | None = None
        self._load()
        self.edits = self.folder.edits
        self.log = self.folder.review_log
        self.glossary_path = self._glossary_path(glossary)
        self._memory = memory
        self._lock = threading.RLock()
        self._glossary_cache: tuple | None = None

    def _load(self) -> None:
        self._stamp = self.folder.stamp()
        self.rows, self.run = self.folder.read()
        tgt = self.folder.target_language(self.run)
        if not tgt:
            raise TargmanError(f"{self.out_dir / 'run.json'}: no target language recorded; is this a targman run?")
        self.tgt: str = tgt
        self.dom_ids: dict[tuple[str, int | None], str] = {}  # a row's "index" is optional
        # doc -> (its input's mtime and size, its tagged sentences: index, source, tags), for `inline_tags`
        self.inline_cache: dict[str, tuple[tuple[int, int], list[tuple[int, str, list]]]] = {}
        self.by_key: dict[tuple[str, int | None], dict] = {}
        docs: dict[str, int] = {}
        for row in self.rows:
            d = docs.setdefault(str(row["doc"]), len(docs))
            self.by_key[(row["doc"], row.get("index"))] = row
            self.dom_ids[(row["doc"], row.get("index"))] = f"s{d}-{row.get('index')}"

    def refresh(self) -> bool:
        """Read the run's tables again when `targman apply` or `run` rewrote them since; True if so."""
        if self.folder.stamp() == self._stamp:
            return False
        try:
            self._load()
        except TargmanError:  # a run in the middle of rewriting them: keep what was read
            return False
        return True

    # -- where things are ----------------------------------------------------------------
    def _glossary_path(self, given) -> Path | None:
        if given:
            path = Path(given)
            if not path.is_file():
                raise TargmanError(f"{path}: no such glossary file")
            return path.resolve()
        recorded = (self.run.get("glossary") or {}).get("path") or ((self.run.get("config") or {}).get("glossary") or {}).get("path")
        if recorded and Path(recorded).is_file():
            return Path(recorded).resolve()
        return None

    @property
    def memory(self):
        """The translation memory the run used (its human table keeps the post-edits), or None."""
        if self._memory is None:
            self._memory = False
            cache = (self.run.get("config") or {}).get("cache") or {}
            if cache.get("memory", True):
                from pipeline.cachedir import cache_dir
                from pipeline.translation.memory import TranslationMemory

                try:
                    self._memory = TranslationMemory.in_folder(cache_dir(cache.get("dir") or None))
                except (TargmanError, OSError) as error:
                    log.warning(f"{error}; post-edits go to {self.edits.path} only")
        return self._memory or None

    def close(self) -> None:
        if self._memory:
            self._memory.close()
        self._memory = False

    # -- reading ---------------------------------------------------------------------------
    def row(self, doc, index) -> dict:
        self.refresh()
        row = self.by_key.get((doc, index))
        if row is None:
            raise ReviewError(f"no segment {index!r} in document {doc!r} in this run", 404)
        return row

    def chains(self) -> dict[tuple[str, int | None], list[Edit]]:
        """(doc, index) -> the post-edits of that segment, oldest first."""
        return row_chains(self.rows, self.edits.read(), self.tgt)

    def views(self) -> list[dict]:
        """Every row with the editors' work laid over it (see `view`)."""
        self.refresh()
        chains = self.chains()
        marks = self.log.reviewed()
        return [self._view(row, chains, marks) for row in self.rows]

    def view(self, doc, index) -> dict:
        row = self.row(doc, index)
        return self._view(row, self.chains(), self.log.reviewed())

    def _view(self, row: dict, chains: dict, marks: dict) -> dict:
        """`machine` (what the engine wrote), `text` (the current translation: the latest
        post-edit, else the row's), `markup` (where an editor put its inline tags, or None),
        `edited`, `state`, `editable`, and the row."""
        can_edit = editable(row, self.tgt)
        chain = chains.get((row["doc"], row.get("index"))) if can_edit else None
        target = row.get("target")
        text = chain[-1].after if chain else target
        machine = chain[0].before if chain else target
        marked = marks.get((row["doc"], row.get("index"))) == row["source"]
        if can_edit and row.get("origin") == "human" and text == target:
            state = "final"
        elif can_edit and (text != target or marked):
            state = "reviewed"
        else:
            state = "translated"
        who = chain[-1].who if chain else None
        return {"row": row, "doc": row["doc"], "index": row.get("index"), "text": text, "machine": machine,
                "edited": bool(chain) and text != machine, "pending": text != target, "state": state,
                "editable": can_edit, "reviewed": marked, "who": who, "dom_id": self.dom_ids[(row["doc"], row.get("index"))],
                "chain": chain or [], "markup": chain[-1].markup if chain else row.get("markup")}

    # -- writing -----------------------------------------------------------------------------
    def edit(self, doc, index, text, *, who=None, via: str = "review", base=None, markup=None) -> dict:
        """Take an editor's translation of one segment, exactly as given; `markup`: where the
        editor put the sentence's inline tags in it (the page's tag chips; see `editors_markup`).

        `base`: the text the editor started from (what the page showed). When the segment
        has changed since (another tab, an import), nothing is saved: the attempt is kept in
        edits.jsonl as a conflict, and ReviewError 409 carries both texts."""
        row = self.row(doc, index)
        if not editable(row, self.tgt):
            raise ReviewError(f"segment {index} of {doc} was not translated by the engine (it passed through or "
                              "was dropped); there is nothing to post-edit", 409)
        text = check_text(text)
        if base is not None and not isinstance(base, str):
            raise ReviewError("base must be a string: the text the edit started from", 400)
        who = clean_who(who)
        with self._lock:
            current = self.view(doc, index)
            placed = markup is not None
            if placed:
                tags = inline_tags(self, {doc: [current]}).get((doc, index))
                markup = editors_markup(markup, text, row["source"], tags, current)
            if text == current["text"] and (not placed or markup == current["markup"]):
                return current
            edit = self.new_edit(current, text, via=via, who=who, markup=markup)
            if base is not None and base != current["text"]:
                conflict = replace(edit, before=base, status=CONFLICT, current=current["text"])
                self.edits.append([conflict])
                changed_by = f" by {current['who']}" if current.get("who") else ""
                raise ReviewError(f"segment {index} of {doc} was changed{changed_by} since you opened it; your text was "
                                  "not saved (it is kept as a conflict): compare the two and save again", 409,
                                  conflict={"current": current["text"], "theirs": text, "who": current.get("who")})
            self.take([edit])
            return self.view(doc, index)

    def new_edit(self, view: dict, text: str, *, via: str, who: str | None, markup: list | None = None) -> Edit:
        """The post-edit that makes `text` the segment's translation (base: its current text).
        A segment whose paragraph an editor rewrote whole keeps that paragraph's edit shape;
        a text that is the machine's own translation is a revert (unless the editor moved its
        inline tags: `markup`, see `Segment.markup`)."""
        row = view["row"]
        src, tgt, context, source = row_key(row, self.tgt)
        span = 1
        latest = view["chain"][-1] if view["chain"] else None
        if latest is not None and latest.span > 1:
            span, source = latest.span, latest.source
        revert = bool(view["chain"]) and text == view["machine"] and markup is None
        return Edit(doc=row["doc"], index=row["index"], src_lang=src, tgt=tgt, context=context, source=source,
                    before=view["text"], after=text, via=via, who=who, span=span, revert=revert, markup=markup)

    def take(self, edits: list[Edit]) -> None:
        """Post-edits into edits.jsonl and the translation memory's human table (an editor's own
        sentences only: no revert to machine text, no paragraph-wide edit)."""
        if not edits:
            return
        self.edits.append(edits)
        memory = self.memory
        if memory is not None:
            by_direction: dict[tuple[str, str | None], list] = {}
            for edit in edits:
                if edit.status == "taken" and not edit.revert and edit.span == 1:
                    by_direction.setdefault((edit.src_lang, edit.who), []).append((edit.context, edit.source, edit.after))
            for (src, who), entries in by_direction.items():
                memory.store_human(src, self.tgt, entries, who=who)

    def conflicts(self) -> list[dict]:
        """Edits that were not applied because the segment had changed since their base, and that
        nobody has settled since (see `batch.edits.open_conflicts`)."""
        return open_conflicts(self.edits.read_all(), self.rows, self.tgt)

    def mark(self, doc, index, reviewed: bool = True, *, who=None) -> dict:
        row = self.row(doc, index)
        if not editable(row, self.tgt):
            raise ReviewError(f"segment {index} of {doc} was not translated by the engine; it has no review state", 409)
        if not isinstance(reviewed, bool):
            raise ReviewError("reviewed must be true or false", 400)
        with self._lock:
            self.log.mark(row["doc"], row["index"], row["source"], reviewed, clean_who(who))
            return self.view(doc, index)

    # -- the glossary ----------------------------------------------------------------------------
    def glossary(self):
        """The glossary file as it is now (loaded again when it changed), or None when there is
        none or it does not pass lint."""
        if self.glossary_path is None:
            return None
        try:
            stat = self.glossary_path.stat()
        except OSError:
            return None
        stamp = (stat.st_size, stat.st_mtime_ns)
        if self._glossary_cache is None or self._glossary_cache[0] != stamp:
            from pipeline.glossary import load

            try:
                loaded = load(self.glossary_path)
            except (GlossaryError, OSError):
                loaded = None
            self._glossary_cache = (stamp, loaded)
        return self._glossary_cache[1]

    def _concept_values(self, values) -> dict[str, str]:
        if not isinstance(values, dict):
            raise ReviewError("the concept must be an object of column: text", 400)
        unknown = sorted(set(values) - set(CONCEPT_FIELDS))
        if unknown:
            raise ReviewError(f"unknown field(s) {', '.join(map(repr, unknown))}; valid: {', '.join(CONCEPT_FIELDS)}", 400)
        clean = {}
        for name, value in values.items():
            if value is None:
                continue
            if not isinstance(value, str):
                raise ReviewError(f"{name} must be a string", 400)
            if len(value) > MAX_CELL:
                raise ReviewError(f"{name} is longer than {MAX_CELL} characters", 413)
            clean[name] = value
        from pipeline.glossary.schema import TYPES

        if clean.get("type") not in TYPES:
            raise ReviewError(f"type must be one of {', '.join(TYPES)}")
        return clean

    def _glossary_file(self) -> Path:
        if self.glossary_path is None:
            raise ReviewError("no glossary file to add to: start the review with --glossary FILE", 409)
        return self.glossary_path

    def _added(self, values, concept_id) -> tuple[bytes, str, str, str]:
        """(old bytes, new text, id, the new line) of adding a concept; ReviewError with lint's problems."""
        from pipeline.glossary.edit import add_concept

        glossary_path = self._glossary_file()
        if concept_id is not None and (not isinstance(concept_id, str) or len(concept_id) > 200):
            raise ReviewError("id must be a short string", 400)
        values = self._concept_values(values)
        try:
            data = glossary_path.read_bytes()
        except OSError as error:
            raise ReviewError(f"cannot read {glossary_path}: {error.strerror}", 500) from None
        try:
            text, new_id = add_concept(data, glossary_path.name, values, concept_id or None)
        except GlossaryError as error:
            raise ReviewError("glossary lint refused the concept; nothing was saved", 422,
                              [str(p) for p in error.problems]) from None
        old = data.decode("utf-8-sig").split("\n")
        line = next((l for l in text.split("\n") if l not in old), "")
        return data, text, new_id, line

    def preview_concept(self, values, concept_id=None) -> dict:
        """What adding the concept would write (lint has passed), without writing it."""
        _, _, new_id, line = self._added(values, concept_id)
        return {"id": new_id, "line": line, "glossary": str(self.glossary_path)}

    def add_concept(self, values, concept_id=None, *, doc=None, index=None, who=None) -> dict:
        """Add a concept to the glossary file: lint first, one new line in canonical order."""
        from pipeline.atomic import atomic_write_text

        if doc is not None:
            self.row(doc, index)
        who = clean_who(who)
        with self._lock:
            data, text, new_id, line = self._added(values, concept_id)
            glossary_path = self._glossary_file()
            if glossary_path.read_bytes() != data:  # pragma: no cover - changed between read and write
                raise ReviewError(f"{glossary_path} changed while adding; try again", 409)
            try:
                atomic_write_text(glossary_path, text)
            except OSError as error:
                raise ReviewError(f"cannot write {self.glossary_path}: {error.strerror}", 500) from None
            self.log.concept(new_id, str(self.glossary_path), line, doc, index, who)
        return {"id": new_id, "line": line, "glossary": str(self.glossary_path)}

    def new_terms(self, row: dict, glossary) -> list[dict]:
        """Hits in the row's source of concepts the run did not know (added since), as term dicts."""
        if glossary is None or not editable(row, self.tgt) or self.tgt not in glossary.languages:
            return []
        matcher = glossary.matchers[row["src_lang"]]
        if matcher is None:
            return []
        known = {t.get("concept") for t in row.get("terms") or () if isinstance(t, dict)}
        found = []
        for match in matcher.find(row["source"]):
            if match.concept in known:
                continue
            found.append({"concept": match.concept, "source": match.surface, "target": glossary.target_for(match, self.tgt),
                          "honoured": None, "start": match.start, "end": match.end, "new": True})
        return found

    # -- the page's rows ------------------------------------------------------------------------
    def page_rows(self) -> tuple[list[dict], list[dict]]:
        """(rows as the report renders them, with the current text and terms re-checked on it; the views)."""
        glossary = self.glossary()
        views = self.views()
        rows = []
        for view in views:
            row = dict(view["row"])
            if view["pending"]:  # flags and terms as `apply` will leave them, not the machine output's
                row.update(self._refinished(row, view["text"], glossary))
            row["terms"] = [dict(t) for t in row.get("terms") or () if isinstance(t, dict)] + self.new_terms(row, glossary)
            row["target"] = view["text"]
            rows.append(row)
        return rows, views

    def _refinished(self, row: dict, text: str, glossary) -> dict:
        from pipeline.review.apply import refinish
        from pipeline.segment import Segment

        try:
            segment = Segment.from_row(row)
        except (TypeError, AttributeError, KeyError):
            return {}
        refinish(segment, text, self.tgt, glossary)
        new = segment.to_row()
        changed = {key: new[key] for key in ("flags", "terms", "origin")}
        changed["notes"] = new.get("notes")
        changed["score"] = None
        return changed

    def post_edits(self) -> dict | None:
        return run_post_edits(self.out_dir, self.rows, self.tgt, self.glossary())


def inline_tags(session, by_doc: dict[str, list[dict]]) -> dict[tuple[str, int], list]:
    """The inline markup of each sentence of the HTML pages, Markdown stories and Word files of
    `by_doc` (doc -> its views), read again from the run's input (the rows hold plain text):
    {(doc, index): tags}; a Word run's tags as `<b>`, `<a href>` (`docx_doc.code_label`). A
    document that cannot be read, or whose sentences are no longer the rows', gets none. For the
    XLIFF export's inline codes and the review page's tag chips. Each input is read once while it
    stays the same file (`session.inline_cache`, emptied when the run's tables are read again)."""
    from pipeline.batch.jobs import segment_file
    from pipeline.config import ConfigError, from_mapping
    from pipeline.documents.inline import tagged_sentences
    from pipeline.documents.reader import read_file

    wanted = [doc for doc in by_doc if Path(doc).suffix.lower() in (".html", ".htm", ".md", ".markdown", ".docx")]
    if not wanted:
        return {}
    root = Path(str(session.run.get("input") or ""))
    root = root.parent if root.is_file() else root
    recorded = session.run.get("config") or {}
    try:
        config = from_mapping({key: recorded.get(key) or {} for key in ("run", "html")}, where="run.json")
    except (ConfigError, TypeError):
        return {}
    chrome = session.run.get("chrome") or {}
    out: dict[tuple[str, int], list] = {}
    for doc in wanted:
        try:
            stat = (root / doc).stat()
        except OSError:  # the input moved: its sentences stay plain text
            continue
        cached = session.inline_cache.get(doc)
        if cached is None or cached[0] != (stat.st_mtime_ns, stat.st_size):
            try:
                file = read_file(root, root / doc, html=config.html)
                folder = Path(doc).parent.as_posix()
                per_article = segment_file(file, config, chrome=tuple(chrome.get(folder if folder != "" else ".", {})))
            except Exception:  # the input changed: its sentences stay plain text
                continue
            cached = ((stat.st_mtime_ns, stat.st_size),
                      [(segment.index, segment.source, _labelled(article.layout, paragraph, tags))
                       for article, segments in per_article
                       for segment, paragraph, tags in tagged_sentences(article.layout, segments)])
            session.inline_cache[doc] = cached  # the page, each save and the export read a document once
        rows = {view["row"]["index"]: view["row"]["source"] for view in by_doc[doc]}
        for index, source, tags in cached[1]:
            if rows.get(index, source) == source:
                out[(doc, index)] = list(tags)
    return out


def _labelled(layout, paragraph, tags: list) -> list:
    """A Word paragraph's tags with the markup an editor is shown (its own are run numbers)."""
    from dataclasses import replace

    from pipeline.documents import docx_doc

    if not isinstance(layout, docx_doc.DocxDoc):
        return tags
    out = []
    for tag in tags:
        opening, closing = docx_doc.code_label(layout, paragraph, tag.open)
        out.append(replace(tag, open=opening, close=None if tag.point else closing))
    return out


_LINK = re.compile(r"<a[\s>]|!?\[$", re.IGNORECASE)  # an HTML (or a Word file's) link, a Markdown link or image


def link_in_link(markup: list, tags: list) -> bool:
    """Whether a placement (checked by `valid_placement`) puts a link inside a link."""
    links = 0
    for _, number, kind in markup:
        if kind != "point" and _LINK.match(tags[number].open):
            links += 1 if kind == "open" else -1
            if links > 1:
                return True
    return False


def editors_markup(markup: list | None, text: str, source: str, tags: list | None, view: dict) -> list | None:
    """An editor's placement of a sentence's tags on `text` (an XLIFF target's codes, the review
    page's chips) as `Segment.markup`: None when it is not a whole, nested placement of `tags`, puts
    a link inside a link (HTML and Markdown have none), or is where the writer would put them on
    that text anyway; the current one when nothing moved."""
    from pipeline.documents.inline import placement, valid_placement

    if markup is None or not tags or not valid_placement(tags, markup, len(text)) or link_in_link(markup, tags):
        return None
    if text == view["text"] and markup == view["markup"]:
        return markup
    return None if markup == placement(text, source, tags) else markup
