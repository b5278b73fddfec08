"""The editor's review: `review.html` (one static page) and `review.tsv`, from a run's files.

`write_review(out_dir)` reads only `out_dir/segments.jsonl` and `out_dir/run.json`, so the
review can be rebuilt without translating. Nothing in the page loads from the network, and
every piece of text from a run is HTML-escaped; a Content-Security-Policy that allows only
the page's own script (by hash) guards against anything that slips through.

Read from `run.json` (all optional): `tgt`, `model` {id, revision}, `files` {doc: {status,
error}}, `scores` (the shape of `scoring.score_segments`; computed from the rows' `ref`
fields when absent), and `glossary` {concept: {"note", "type", "forbidden": [target forms
the desk forbids]}} for notes on hover and for marking forbidden forms in the output.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_open, atomic_write_text
from pipeline.errors import InputError
from pipeline.evaluation.report_assets import CSS, JS
from pipeline.evaluation.scoring import score_segments, segment_chrf
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.status import FileStatus

LANGUAGES = {"hy": "Armenian", "en": "English"}
GREY_KINDS = ("boilerplate", "duplicate")
METRICS = ("BLEU", "chrF++", "TER", "spBLEU")
SORT_KEYS = {"bleu": "BLEU", "chrf": "chrF++", "ter": "TER"}


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


# --- text with highlighted terms -------------------------------------------------------


def _spans_in_source(source: str, terms: list[dict]) -> list[tuple[int, int, dict]]:
    spans = []
    for term in terms:
        start, end, form = term.get("start", -1), term.get("end", -1), term.get("source") or ""
        valid = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(source)
        if not valid or (form and source[start:end] != form):  # offsets missing or stale: find the form
            found = source.find(form) if form else -1
            if found < 0:
                continue
            start, end = found, found + len(form)
        spans.append((start, end, term))
    return spans


def _find_free(text: str, form: str, taken: list[tuple[int, int, dict]]) -> tuple[int, int] | None:
    if not form:
        return None
    for match in re.finditer(re.escape(form), text, re.IGNORECASE):
        if all(match.end() <= s or match.start() >= e for s, e, _ in taken):
            return match.start(), match.end()
    return None


def _spans_in_target(target: str, terms: list[dict], glossary: dict) -> list[tuple[int, int, dict]]:
    spans: list[tuple[int, int, dict]] = []
    for term in terms:
        if term.get("honoured") is False:
            continue
        where = _find_free(target, term.get("target") or "", spans)
        if where:
            spans.append((*where, term))
    for term in terms:
        for form in (glossary.get(term.get("concept"), {}) or {}).get("forbidden") or ():
            where = _find_free(target, form, spans)
            if where:
                spans.append((*where, {**term, "forbidden_form": form}))
    return spans


def _term_class(term: dict) -> str:
    if "forbidden_form" in term:
        return "forbidden"
    classes: dict[bool | None, str] = {True: "ok", False: "miss"}
    return classes.get(term.get("honoured"), "unk")


def _term_title(term: dict, glossary: dict) -> str:
    entry = glossary.get(term.get("concept"), {}) or {}
    parts = [str(term.get("concept", ""))]
    if entry.get("type"):
        parts[0] += f" ({entry['type']})"
    if "forbidden_form" in term:
        parts.append(f"forbidden form: {term['forbidden_form']}; use {term.get('target', '')}")
    else:
        status = {True: "honoured", False: "MISSED", None: "not verified"}.get(term.get("honoured"), "not verified")
        parts.append(f"{term.get('source', '')} \u2192 {term.get('target', '')} ({status})")
    if entry.get("note"):
        parts.append(str(entry["note"]))
    return "\n".join(parts)


def _marked(text: str, spans: list[tuple[int, int, dict]], glossary: dict) -> str:
    out, pos = [], 0
    for start, end, term in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < pos:  # overlapping hit: keep the first
            continue
        out.append(esc(text[pos:start]))
        out.append(
            f'<mark class="term {_term_class(term)}" title="{esc(_term_title(term, glossary))}">'
            f"{esc(text[start:end])}</mark>"
        )
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


# --- page pieces ---------------------------------------------------------------------------


def _num(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _lang(code: str | None) -> str:
    return f' lang="{esc(code)}"' if code and code not in ("und", "") else ""


def _terms_text(terms: dict | None) -> str:
    if not terms or terms.get("rate") is None:
        return ""
    return f"{terms['rate']:.1f}% ({terms['honoured']}/{terms['honoured'] + terms['missed']})"


def _corpus_html(corpus: dict, flagged: int, total: int, post_edits: dict | None = None) -> str:
    rows = []
    for name in METRICS:
        entry = corpus.get(name)
        if not isinstance(entry, dict):
            continue
        if "skipped" in entry:
            rows.append(f'<tr><th>{esc(name)}</th><td colspan="2" class="note">{esc(entry["skipped"])}</td></tr>')
        else:
            rows.append(
                f"<tr><th>{esc(name)}</th><td>{_num(entry.get('score'))}</td>"
                f'<td class="sig">{esc(entry.get("signature"))}</td></tr>'
            )
    terms = _terms_text(corpus.get("terms")) or "no verified glossary hits"
    rows.append(f'<tr><th>Terms</th><td colspan="2">{esc(terms)}</td></tr>')
    rows.append(f'<tr><th>Flagged</th><td colspan="2">{flagged} of {total} segments</td></tr>')
    if "scored" in corpus:
        rows.append(f'<tr><th>Scored</th><td colspan="2">{corpus["scored"]} segments with a reference</td></tr>')
    rows += _post_edit_rows(post_edits)
    return '<table class="scores" id="corpus-scores">' + "".join(rows) + "</table>"


def _post_edit_rows(post_edits: dict | None) -> list[str]:
    """The corpus's post-edit metrics (`evaluation.postedit`), when editors have worked on the run."""
    corpus = (post_edits or {}).get("corpus")
    if not corpus:
        return []
    rows = []
    hter = corpus.get("HTER")
    if isinstance(hter, dict):
        rows.append(f'<tr id="post-edit-hter"><th>HTER</th><td>{_num(hter.get("score"))}</td>'
                    f'<td class="sig">{esc(hter.get("signature"))}</td></tr>')
    share = corpus.get("edited_share")
    edited = f"{corpus.get('edited', 0)} of {corpus.get('segments', 0)} machine-translated segments"
    edited += f" ({share:.1f}%)" if isinstance(share, (int, float)) else ""
    rows.append(f'<tr id="post-edit-counts"><th>Post-edited</th><td colspan="2">{esc(edited)}; terms added '
                f'{esc(corpus.get("terms_added", 0))}; glossary concepts added {esc(corpus.get("concepts_added", 0))}</td></tr>')
    return rows


# File statuses that need an editor's look although no segment is flagged: "Only flagged" keeps them.
NEEDS_A_LOOK = (FileStatus.FAILED, FileStatus.SKIPPED, FileStatus.PARTIAL)


def _doc_keys(order: int, doc_scores: dict, flagged: int, status: str | None = None) -> dict:
    """What the page's script sorts and filters a document by."""
    keys: dict = {"order": order, "flags": flagged}
    if status in NEEDS_A_LOOK:
        keys["status"] = str(status)
    for key, name in SORT_KEYS.items():
        if doc_scores.get(name) is not None:
            keys[key] = doc_scores[name]
    rate = (doc_scores.get("terms") or {}).get("rate")
    if rate is not None:
        keys["terms"] = rate
    return keys


def _data_attrs(keys: dict) -> str:
    return " ".join(f'data-{key}="{esc(value)}"' for key, value in keys.items())


def _doc_attrs(order: int, doc_scores: dict, flagged: int, status: str | None = None) -> str:
    return _data_attrs(_doc_keys(order, doc_scores, flagged, status))


def _status_html(info: dict) -> str:
    status = info.get("status")
    if status in (FileStatus.FAILED, FileStatus.SKIPPED):
        why = info.get("error") or info.get("reason")
        error = f": {why}" if why else ""
        return f'<span class="status-{status}">{esc(status + error)}</span>'
    return ""


def _row_html(d: int, row: dict, new_para: bool, has_ref: bool, tgt: str | None, glossary: dict, chrf) -> str:
    kind = row.get("kind") or "text"
    flags = list(row.get("flags") or [])
    terms = [t for t in (row.get("terms") or []) if isinstance(t, dict)]
    classes = ["seg"] + (["para-start"] if new_para else []) + (["grey"] if kind in GREY_KINDS else [])
    if flags:
        classes.append("flagged")
    source = row.get("source") or ""
    target = row.get("target")
    src_cell = _marked(source, _spans_in_source(source, terms), glossary)
    if kind != "text":
        src_cell = f'<span class="kind">{esc(kind)}</span>' + src_cell
    if target is None or target == "":
        tgt_cell = '<span class="dropped">(not in the output)</span>' if target == "" else '<span class="dropped">(not translated)</span>'
    else:
        tgt_cell = _marked(target, _spans_in_target(target, terms, glossary), glossary)
        if tgt and row.get("src_lang") == tgt:
            tgt_cell = '<span class="kind">kept</span>' + tgt_cell
    for term in terms:
        if term.get("honoured") is False:
            tgt_cell += f'<span class="missing">missing: {esc(term.get("target"))}</span>'
    where = f'paragraph {row.get("para", "")}, segment {row.get("index", "")}'
    cells = [
        f'<td class="n" title="{esc(where)}">{"&para;" + esc(row.get("para", "")) + "<br>" if new_para else ""}'
        f'{esc(row.get("index", ""))}</td>',
        f'<td class="src"{_lang(row.get("src_lang"))}>{src_cell}</td>',
        f'<td class="tgt"{_lang(tgt)}>{tgt_cell}</td>',
    ]
    if has_ref:
        ref = row.get("ref")
        cells.append(f'<td class="ref"{_lang(tgt)}>{esc(ref) if isinstance(ref, str) else ""}</td>')
    notes = row["notes"] if isinstance(row.get("notes"), dict) else {}
    side = "".join(f'<span class="flag">{esc(flag)}</span>' + "".join(
        f'<span class="flag-note">{esc(note)}</span>' for note in notes.get(flag) or () if isinstance(note, str))
        for flag in flags)
    if chrf is not None:
        side += f'<span class="chrf">chrF++ {chrf:.1f}</span>'
    if isinstance(row.get("score"), (int, float)):
        side += f'<span class="lp" title="mean token log-probability">logprob {row["score"]:.2f}</span>'
    cells.append(f'<td class="flags">{side}</td>')
    flag_attr = f' data-flag-names="{esc(" ".join(flags))}"' if flags else ""
    return f'<tr id="s{d}-{esc(row.get("index", ""))}" class="{" ".join(classes)}"{flag_attr}>{"".join(cells)}</tr>'


def _doc_html(d: int, doc: str, rows: list[dict], info: dict, doc_scores: dict, tgt, glossary, chrfs) -> str:
    flagged = sum(1 for row in rows if row.get("flags"))
    has_ref = any(isinstance(row.get("ref"), str) for row in rows)
    bits = [f"{name} {_num(doc_scores[name])}" for name in ("BLEU", "chrF++", "TER", "spBLEU") if doc_scores.get(name) is not None]
    terms = _terms_text(doc_scores.get("terms"))
    if terms:
        bits.append(f"terms {terms}")
    if doc_scores.get("post_edits"):
        post = doc_scores["post_edits"]
        bits.append(f"HTER {_num(post.get('HTER'))} · edited {post.get('edited', 0)} of {post.get('segments', 0)}")
    bits.append(f"{flagged} flagged of {len(rows)}")
    head = (
        f'<div class="doc-head"><h2><a href="#d{d}">{esc(doc)}</a></h2>{_status_html(info)}'
        f'<span class="meta">{esc(" · ".join(bits))}</span></div>'
    )
    if not rows:
        return f'<section class="doc" id="d{d}" {_doc_attrs(d, doc_scores, 0, info.get("status"))}>{head}<p class="note">No segments.</p></section>'
    ref_head = "<th>Reference</th>" if has_ref else ""
    ref_col = "<col>" if has_ref else ""
    table = [
        f'<table class="segs"><colgroup><col class="n"><col><col>{ref_col}<col class="f"></colgroup>',
        f'<thead><tr><th title="{NUMBERS_TITLE}">&para; / #</th><th>Source</th><th>Translation</th>{ref_head}<th>Flags</th></tr></thead><tbody>',
    ]
    previous = None
    for row, chrf in zip(rows, chrfs):
        para = row.get("para")
        table.append(_row_html(d, row, para != previous, has_ref, tgt, glossary, chrf))
        previous = para
    table.append("</tbody></table>")
    return f'<section class="doc" id="d{d}" {_doc_attrs(d, doc_scores, flagged, info.get("status"))}>{head}{"".join(table)}</section>'


NUMBERS_TITLE = ("&para; the paragraph's number in the document, over its first segment; # the segment's number "
                 "(hover a number for both)")


def file_info(files: dict, doc: str) -> dict:
    """run.json's entry for a document: its file's, or for a JSONL article (`wire.jsonl#a1`) its
    own: `failed` with the error when it failed alone, else its file's status (`done` in a
    partial file, whose other articles failed)."""
    if doc in files:
        return files[doc] or {}
    name, sep, _ = doc.partition("#")
    entry = files.get(name) if sep else None
    if not entry:
        return {}
    error = (entry.get("failed_articles") or {}).get(doc)
    if error:
        return {"status": FileStatus.FAILED, "error": error}
    status = entry.get("status")
    return {"status": FileStatus.DONE if status == FileStatus.PARTIAL else status}


def rowless_docs(files: dict, docs_with_rows) -> list[str]:
    """Documents with no segments that still belong in the review: files that failed or were
    skipped, and JSONL articles that failed alone. A JSONL file is shown by its articles, so
    it gets no card of its own unless nothing of it was read."""
    read = {doc.partition("#")[0] for doc in docs_with_rows if "#" in doc}
    out: list[str] = []
    for name, entry in files.items():
        failed = list((entry or {}).get("failed_articles") or {})
        if name in docs_with_rows:
            continue
        if failed or name in read:
            out += [doc for doc in failed if doc not in docs_with_rows]
        else:
            out.append(name)
    return out


def _index_row(d: int, doc: str, rows: list[dict], info: dict, doc_scores: dict, page: str = "") -> str:
    """A document's line in the index; `page` is the file that holds it (large runs), "" for this one."""
    return _index_entry(d, doc, rows, info, doc_scores, page)[1]


def _index_entry(d: int, doc: str, rows: list[dict], info: dict, doc_scores: dict, page: str = "") -> tuple[dict, str]:
    """A document's sort keys and its line in the index."""
    flagged_rows = [row for row in rows if row.get("flags")]
    first = f'<a href="{page}#s{d}-{esc(flagged_rows[0].get("index"))}">{len(flagged_rows)}</a>' if flagged_rows else "0"
    link = f'<a href="{page}#d{d}">{esc(doc)}</a>' if rows or not page else esc(doc)
    cells = [
        f'<td>{link}</td>',
        f"<td>{esc(info.get('status', ''))}</td>",
        f'<td>{len(rows)}</td>',
        f'<td>{first}</td>',
    ] + [f'<td>{_num(doc_scores.get(name))}</td>' for name in ("BLEU", "chrF++", "TER")]
    cells.append(f'<td>{esc(_terms_text(doc_scores.get("terms")))}</td>')  # numbers align right by CSS
    keys = _doc_keys(d, doc_scores, len(flagged_rows), info.get("status"))
    return keys, f'<tr {_data_attrs(keys)}>{"".join(cells)}</tr>'


def _manifest_view(run: Mapping[str, Any]) -> tuple[str | None, dict, dict]:
    """The target language, the glossary notes and the file statuses a report shows."""
    tgt = run.get("tgt") or (run.get("config") or {}).get("tgt")
    glossary = run.get("glossary") or {}
    glossary = glossary.get("concepts", glossary) if "digest" in glossary else glossary  # a run's manifest
    return tgt, glossary, run.get("files") or {}


def _page(title: str, header: str, controls: str, main: str, *, extra_script: str = "", extra_css: str = "",
          extra_html: str = "", connect: bool = False) -> str:
    """A whole review page: the same style, scripts and Content-Security-Policy everywhere.

    The review server (`pipeline.review.server`) adds its editing script and styles, HTML
    placed before the documents (`extra_html`, already escaped), and lets the page talk to
    its own origin (`connect`); the Content-Security-Policy allows each script by its hash.
    """
    scripts = [JS] + ([extra_script] if extra_script else [])
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii") + "'"
                      for js in scripts)
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src {hashes}; img-src data:"
    if connect:
        csp += "; connect-src 'self'; form-action 'none'; base-uri 'none'"
    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}{extra_css}</style></head><body>",
        header, controls, extra_html, main,
        "".join(f"<script>{js}</script>" for js in scripts),
        "</body></html>\n",
    ])


def _controls(status: str) -> str:
    sort_options = "".join(
        f'<option value="{value}">{label}</option>'
        for value, label in (
            ("order", "input order"), ("chrf", "chrF++, worst first"), ("bleu", "BLEU, worst first"),
            ("ter", "TER, worst first"), ("terms", "term success, worst first"), ("flags", "most flagged first"),
        )
    )
    legend = (
        '<span class="legend note">Terms: <mark class="term ok">honoured</mark><mark class="term miss">missed</mark>'
        '<mark class="term forbidden">forbidden form</mark><mark class="term unk">not verified</mark>'
        "(hover for the concept and its note) · keys n / p: next / previous flagged</span>"
    )
    return "".join([
        '<div id="controls"><label><input type="checkbox" id="only-flagged"> Only flagged</label>',
        '<button type="button" id="prev-flag">&#9664; Previous flagged</button>',
        '<button type="button" id="next-flag">Next flagged &#9654;</button>',
        f'<label>Sort documents: <select id="sort">{sort_options}</select></label>',
        f'<span id="status" class="note">{esc(status)}</span>{legend}</div>',
    ])


INDEX_HEAD = (
    '<thead><tr><th>Document</th><th>Status</th><th>Segments</th><th>Flagged</th>'
    '<th>BLEU</th><th>chrF++</th><th>TER</th><th>Terms</th></tr></thead>'
)


# The index of a large run shows this many documents at a time: all of them travel as JSON
# that the page's script sorts, filters and shows a page at a time (the first page is HTML
# too, to read without a script), so 10,000 documents do not become 80,000 cells to lay out.
INDEX_PAGE = 200


def _index_json(entry: tuple[dict, str]) -> str:
    """One document of a large run's index as the page's script reads it: [keys, row HTML]."""
    return _json_in_html(list(entry))


def _json_in_html(value) -> str:
    """JSON for a `<script type="application/json">` block: nothing in it can close the element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\u0021--")


def _editors_html(run: Mapping[str, Any]) -> str:
    """Editors' work that is not in the articles: conflicts (an edit whose segment had changed
    since its base: both texts) and edits whose source is gone from the input."""
    parts = []
    conflicts = run.get("conflicts") or []
    if conflicts:
        cells = "".join(
            f'<tr><td>{esc(c.get("doc"))} #{esc(c.get("index"))}</td><td>{esc(c.get("current"))}</td>'
            f'<td>{esc(c.get("theirs"))}</td><td>{esc(c.get("via"))}{" · " + esc(c["who"]) if c.get("who") else ""}</td></tr>'
            for c in conflicts)
        parts.append(f'<details class="editors" id="conflicts" open><summary>Conflicts ({len(conflicts)}): edits not '
                     'applied because the segment had changed since</summary><table class="index"><thead><tr>'
                     '<th>segment</th><th>kept (current)</th><th>not applied</th><th>from</th></tr></thead>'
                     f'<tbody>{cells}</tbody></table></details>')
    lost = run.get("edits_unmatched") or []
    if lost:
        cells = "".join(f'<tr><td>{esc(e.get("doc"))}</td><td>{esc(e.get("source"))}</td><td>{esc(e.get("text"))}</td></tr>'
                        for e in lost)
        parts.append(f'<details class="editors" id="edits-unmatched" open><summary>Post-edits whose source is gone '
                     f'from the input ({len(lost)})</summary><table class="index"><thead><tr><th>document</th>'
                     f'<th>source</th><th>editor\'s text</th></tr></thead><tbody>{cells}</tbody></table></details>')
    return "".join(parts)


def _chrome_html(run: Mapping[str, Any]) -> str:
    """The site chrome the run found repeated across a folder's articles (run.json `chrome`), once."""
    chrome = run.get("chrome") or {}
    if not chrome:
        return ""
    cells = "".join(f'<tr><td>{esc(folder)}</td><td>{esc(line)}</td><td>{esc(count)}</td></tr>'
                    for folder, lines in chrome.items() for line, count in lines.items())
    total = sum(len(lines) for lines in chrome.values())
    return (f'<details class="editors" id="chrome"><summary>Site chrome found in several articles ({total} line(s)), '
            'left out of the translation</summary><table class="index"><thead><tr><th>folder</th><th>line</th>'
            f'<th>articles</th></tr></thead><tbody>{cells}</tbody></table></details>')


def _header(run: Mapping[str, Any], tgt, corpus: dict, docs: int, segments: int, flagged: int, index: list[str], extra: str = "",
            entries: list[str] | None = None) -> str:
    """The page's top; `entries` (a large run's index): every document's `_index_json`, of
    which `index` holds the first INDEX_PAGE rows as HTML."""
    model = run.get("model") or {}
    model_text = "@".join(str(v) for v in (model.get("id"), model.get("revision")) if v) or "unknown model"
    tgt_text = f"{LANGUAGES.get(tgt, tgt)} ({tgt})" if tgt else "unknown"
    pager = data = page_size = ""
    if entries is not None:
        page_size = f' data-page-size="{INDEX_PAGE}"'
        pager = ('<p class="note index-pager"><button type="button" id="index-prev" hidden>&#9664; previous</button> '
                 f'<span id="index-range">documents 1–{len(index)} of {len(entries)} (all of them are in review.tsv)</span> '
                 '<button type="button" id="index-next" hidden>next &#9654;</button></p>')
        data = f'<script type="application/json" id="docs-data">[{",".join(entries)}]</script>'
    return "".join([
        '<header id="top"><h1>Translation review</h1>',
        f'<p class="meta">Model {esc(model_text)} · into {esc(tgt_text)} · {docs} documents · {segments} segments</p>',
        extra,
        _corpus_html(corpus, flagged, segments, run.get("post_edits")),
        _editors_html(run),
        _chrome_html(run),
        f'<details class="docs-index" open><summary>Documents ({docs})</summary>{pager}',
        f'<div class="index-scroll"><table class="index" id="docs-index"{page_size}>{INDEX_HEAD}<tbody>{"".join(index)}</tbody></table></div></details>',
        data,
        "</header>",
    ])


def render_html(rows: list[dict], run: Mapping[str, Any], chrfs: list | None = None, *, extra_script: str = "",
                extra_css: str = "", extra_html: str = "", connect: bool = False) -> str:
    """The review page for `rows` (segments.jsonl) and `run` (run.json), all on one page.

    `chrfs`: sentence chrF++ of each row (`scoring.segment_chrf`), computed when not given.
    The extras are the review server's (see `_page`).
    """
    if chrfs is None:
        chrfs = segment_chrf(rows)
    tgt, glossary, files = _manifest_view(run)
    scores = run.get("scores") or (score_segments(rows, tgt or "en") if rows else {"corpus": {}, "docs": {}})
    by_doc: dict[str, list[tuple[dict, float | None]]] = {}
    for row, chrf in zip(rows, chrfs):
        by_doc.setdefault(str(row["doc"]), []).append((row, chrf))
    for doc in rowless_docs(files, set(by_doc)):  # failed or skipped files have no segments but belong in the review
        by_doc.setdefault(str(doc), [])
    flagged = sum(1 for row in rows if row.get("flags"))
    sections, index = [], []
    for d, (doc, pairs) in enumerate(by_doc.items()):
        info = file_info(files, doc)
        doc_scores = _with_post_edits((scores.get("docs") or {}).get(doc) or {}, run, doc)
        doc_rows = [row for row, _ in pairs]
        sections.append(_doc_html(d, doc, doc_rows, info, doc_scores, tgt, glossary, [c for _, c in pairs]))
        index.append(_index_row(d, doc, doc_rows, info, doc_scores))
    return _page(
        f"Review: {len(by_doc)} documents, {len(rows)} segments",
        _header(run, tgt, scores.get("corpus") or {}, len(by_doc), len(rows), flagged, index),
        _controls(f"Showing {len(rows)} of {len(rows)} segments"),
        f'<main id="docs">{"".join(sections)}</main>',
        extra_script=extra_script, extra_css=extra_css, extra_html=extra_html, connect=connect,
    )


def _with_post_edits(doc_scores: dict, run: Mapping[str, Any], doc: str) -> dict:
    """A document's scores with its post-edit metrics (`run["post_edits"]`), when editors worked on it."""
    post = ((run.get("post_edits") or {}).get("docs") or {}).get(doc)
    return {**doc_scores, "post_edits": post} if post else doc_scores


# --- large runs: an index page and pages of documents ------------------------------------

# More segments or documents than this and review.html becomes an index of pages under review/.
PAGED_SEGMENTS = 5000
PAGED_DOCUMENTS = 300
# A page holds whole documents, up to about this many segments or documents.
PAGE_SEGMENTS = 1500
PAGE_DOCUMENTS = 50
PAGES_DIR = "review"


def _write_pages(out_dir: Path, run: Mapping[str, Any], scores: dict) -> None:
    """review.html as an index (corpus scores, every document with its scores and flags, sortable)
    linking to pages of whole documents under review/, and review.tsv, in one streaming pass:
    only one page of rows is held at a time."""
    tgt, glossary, files = _manifest_view(run)
    marks = _review_marks(out_dir)
    pages = out_dir / PAGES_DIR
    pages.mkdir(exist_ok=True)
    for old in pages.glob("p*.html"):
        old.unlink()  # pages of an earlier, larger report
    index: list[str] = []  # the first INDEX_PAGE rows, as HTML
    entries: list[str] = []  # every document, as JSON text (a string each: 10,000 of them stay small)
    seen: set[str] = set()

    def add(entry: tuple[dict, str]) -> None:
        if len(index) < INDEX_PAGE:
            index.append(entry[1])
        entries.append(_index_json(entry))

    totals = {"docs": 0, "segments": 0, "flagged": 0}
    page: list[tuple[int, str, list[dict]]] = []
    page_segments = 0
    numbers: list[str] = []

    def name(k: int) -> str:
        return f"p{k:04d}.html"

    def write_page() -> None:
        nonlocal page_segments
        k = len(numbers) + 1
        sections = []
        for d, doc, rows in page:
            doc_scores = _with_post_edits((scores.get("docs") or {}).get(doc) or {}, run, doc)
            sections.append(_doc_html(d, doc, rows, file_info(files, doc), doc_scores, tgt, glossary, segment_chrf(rows)))
        count = sum(len(rows) for _, _, rows in page)
        nav = ('<nav class="pages"><a href="../review.html">&#9650; All documents</a>'
               + (f' · <a href="{name(k - 1)}">&#9664; previous page</a>' if k > 1 else "")
               + f' · <a href="{name(k + 1)}" id="next-page">next page &#9654;</a></nav>')
        header = (f'<header id="top"><h1>Translation review</h1><p class="meta">Page {k}: documents '
                  f'{page[0][0] + 1}–{page[-1][0] + 1}, {count} segments</p>{nav}</header>')
        atomic_write_text(pages / name(k), _page(
            f"Review, page {k}", header, _controls(f"Showing {count} of {count} segments"),
            f'<main id="docs">{"".join(sections)}</main>'))
        numbers.append(name(k))
        page.clear()
        page_segments = 0

    with atomic_open(out_dir / "review.tsv") as handle:
        writer = _tsv_writer(handle)
        for doc, rows in RunFolder(out_dir).docs():
            d = totals["docs"]
            totals["docs"] += 1
            totals["segments"] += len(rows)
            totals["flagged"] += sum(1 for row in rows if row.get("flags"))
            seen.add(doc)
            _tsv_rows(writer, rows, segment_chrf(rows), marks)
            if page and (page_segments + len(rows) > PAGE_SEGMENTS or len(page) >= PAGE_DOCUMENTS):
                write_page()
            add(_index_entry(d, doc, rows, file_info(files, doc),
                             _with_post_edits((scores.get("docs") or {}).get(doc) or {}, run, doc),
                             page=f"{PAGES_DIR}/{name(len(numbers) + 1)}"))
            page.append((d, doc, rows))
            page_segments += len(rows)
        if page:
            write_page()
    for doc in rowless_docs(files, seen):  # failed or skipped files have no segments but belong in the review
        add(_index_entry(totals["docs"], doc, [], file_info(files, doc), {}, page=PAGES_DIR))
        totals["docs"] += 1
    last = pages / numbers[-1] if numbers else None
    if last is not None:  # the last page has no next page
        text = last.read_text(encoding="utf-8").replace(
            f' · <a href="{name(len(numbers) + 1)}" id="next-page">next page &#9654;</a>', "")
        atomic_write_text(last, text)
    extra = f'<p class="note">{len(numbers)} pages of documents in {PAGES_DIR}/; open one from the table.</p>'
    header = _header(run, tgt, scores.get("corpus") or {}, totals["docs"], totals["segments"], totals["flagged"], index, extra,
                     entries=entries)
    atomic_write_text(out_dir / "review.html", _page(
        f"Review: {totals['docs']} documents, {totals['segments']} segments", header,
        _controls(f"Showing {totals['docs']} of {totals['docs']} documents"), '<main id="docs"></main>'))


# --- the spreadsheet --------------------------------------------------------------------

# `origin` and `reviewed` come last, so that a reader of the older columns by position still reads them.
TSV_COLUMNS = ("doc", "para", "index", "kind", "src_lang", "flags", "chrf", "logprob", "terms", "source", "target", "ref",
               "origin", "reviewed")


def _cell(value) -> str:
    """Text for a spreadsheet cell: a leading = + - @ would be read as a formula, so quote it."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _terms_cell(terms) -> str:
    marks = {True: "ok", False: "MISSED", None: "?"}
    return "; ".join(
        f"{t.get('source', '')} -> {t.get('target', '')} [{marks.get(t.get('honoured'), '?')}]"
        for t in terms or () if isinstance(t, dict)
    )


def _flags_cell(row: dict) -> str:
    """`flag,flag`; a flag with notes: `glossary-variant [Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)]`."""
    notes = row["notes"] if isinstance(row.get("notes"), dict) else {}
    return ",".join(f"{flag} [{'; '.join(notes[flag])}]" if notes.get(flag) else flag for flag in row.get("flags") or [])


def _origin(row: dict) -> str:
    """Where the row's target came from: `human` (an editor's), `machine` (the model, now or from
    the translation memory: the segment table does not tell them apart, so that a rerun from the
    memory writes the same bytes), `source` (passed through unchanged), `dropped`."""
    target = row.get("target")
    if target is None:
        return ""
    if target == "":
        return "dropped"
    if row.get("origin") == "human":
        return "human"
    return "source" if target == row.get("source") else "machine"


def _review_marks(out_dir: Path) -> dict:
    """(doc, index) -> the source an editor marked reviewed (review-log.jsonl), or {}."""
    folder = RunFolder(out_dir)
    return folder.review_log.reviewed() if folder.has_editors_work() else {}


def _tsv_writer(handle):
    handle.write("\ufeff")  # a byte-order mark: without it Excel reads UTF-8 as a legacy code page (Armenian garbled)
    # QUOTE_MINIMAL quotes only the line terminator's characters: a lone CR (an old-Mac line end
    # inside a segment) must be quoted too, or spreadsheet readers split the row there.
    writer = csv.writer(handle, delimiter="\t", lineterminator="\r\n")
    writer.writerow(TSV_COLUMNS)
    return writer


def _tsv_rows(writer, rows: list[dict], chrfs: list, marks: dict | None = None) -> None:
    marks = marks or {}
    for row, chrf in zip(rows, chrfs):
        reviewed = "yes" if marks.get((row.get("doc"), row.get("index"))) == row.get("source") else ""
        ref = row.get("ref")
        chrf = _num(chrf, 2)
        score = row.get("score")
        writer.writerow(
            [
                _cell(row.get("doc")), row.get("para", ""), row.get("index", ""), row.get("kind", ""),
                row.get("src_lang", ""), _cell(_flags_cell(row)), chrf,
                f"{score:.4f}" if isinstance(score, (int, float)) else "",
                _cell(_terms_cell(row.get("terms"))), _cell(row.get("source")), _cell(row.get("target")),
                _cell(ref), _origin(row), reviewed,
            ]
        )


def write_tsv(rows: list[dict], path: Path, chrfs: list | None = None, marks: dict | None = None) -> None:
    """One row a segment, UTF-8 with a byte-order mark (for Excel); `chrfs` as in `render_html`,
    `marks` the editors' review marks (`ReviewLog.reviewed()`)."""
    if chrfs is None:
        chrfs = segment_chrf(rows)
    with atomic_open(path) as handle:
        _tsv_rows(_tsv_writer(handle), rows, chrfs, marks)


def write_review(out_dir: str | Path) -> Path:
    """Write `review.html` and `review.tsv` into `out_dir`; return the HTML's path.

    A run of more than PAGED_SEGMENTS segments or PAGED_DOCUMENTS documents gets an index
    page and pages of documents under `review/`, written in one streaming pass; a smaller
    one gets everything on one page. Either way the pages open from `file://`, no server.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(out_dir.absolute(), "no such folder; give the output folder of `targman run`")
    folder = RunFolder(out_dir)
    run = folder.manifest()  # scores, flags and the editors' work as the run (or apply, or review) recorded them
    rows: list[dict] = []
    docs: set[str] = set()
    paged = False
    for row in folder.rows():  # one pass; a run too large for one page is streamed again, a page at a time
        rows.append(row)
        docs.add(row["doc"])
        if len(rows) > PAGED_SEGMENTS or len(docs) > PAGED_DOCUMENTS:
            paged = True
            break
    html_path = out_dir / "review.html"
    if paged:
        rows.clear()
        tgt = _manifest_view(run)[0]
        scores = run.get("scores") or score_segments(folder.rows(), tgt or "en")
        _write_pages(out_dir, run, scores)
        return html_path
    chrfs = segment_chrf(rows)
    atomic_write_text(html_path, render_html(rows, run, chrfs))  # an editor never opens half a report
    write_tsv(rows, out_dir / "review.tsv", chrfs, _review_marks(out_dir))
    for old in (out_dir / PAGES_DIR).glob("p*.html"):
        old.unlink()  # pages of an earlier, larger report of this folder
    return html_path
