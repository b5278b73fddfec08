"""How much editors changed a run: post-edit metrics per document and for the corpus.

- `HTER`: sacrebleu's TER of the machine output (hypothesis) against the editor's final text
  (reference), over every machine-translated segment of the run (an unedited segment counts
  as accepted: no edits, its words in the denominator). The corpus entry keeps TER's
  signature, so the number can be reproduced with `sacrebleu POST -i MT -m ter`.
- `edited` / `edited_share`: segments whose final text differs from the machine's, and their
  share (percent) of the machine-translated segments.
- `terms_added`: glossary hits the machine output missed and the editor's text has.
- `concepts_added`: glossary concepts added from the review page (`review-log.jsonl`).

The machine output of a segment is the `before` of its first post-edit (what the editor
started from), the final text the `after` of its latest; segments nobody edited have their
row's target as both. Edits are matched to rows as a run matches them: by direction,
document, source and nearest index (`batch.edits.FolderEdits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from pipeline.runfolder.edits import TAKEN, Edit, FolderEdits, open_conflicts
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.schema import Manifest
from pipeline.segment import TEXT

UNTRANSLATED_PREFIX = "untranslated:"


def editable(row: dict, tgt: str) -> bool:
    """A segment the engine translated (so an editor's text can replace it)."""
    return (
        row.get("kind", TEXT) == TEXT
        and row.get("src_lang") not in (tgt, "und", None)
        and isinstance(row.get("target"), str)
        and row.get("target") != ""
        and not any(str(f).startswith(UNTRANSLATED_PREFIX) for f in row.get("flags") or ())
    )


def row_key(row: dict, tgt: str) -> tuple[str, str, str, str]:
    """The key a post-edit of this row is stored and found under (as `Edit.key`)."""
    from pipeline.segment import terms_context

    return (row["src_lang"], tgt, terms_context(row.get("terms") or []), row["source"])


def row_chains(rows: list[dict], edits: Iterable, tgt: str) -> dict[tuple[str, int | None], list]:
    """(doc, index) of a row -> its post-edits into `tgt`, oldest first, found as a run finds
    them: by document, source and nearest index (`batch.edits.FolderEdits`)."""
    units = [row for row in rows if row.get("kind", TEXT) == TEXT]
    chains = FolderEdits(edits, tgt).chains(units)
    return {(units[p]["doc"], units[p].get("index")): chain for p, chain in chains.items()}


def honoured(text: str, terms: list[dict], tgt: str, glossary=None) -> list[bool]:
    """Whether `text` holds each term hit's asked-for target (inflected forms count; a concept
    asked for twice must be there twice): the glossary's own check when it is loaded, else
    a search for the term's forms."""
    from pipeline.segment import Segment, TermHit

    hits = [TermHit(t.get("concept", ""), t.get("source", ""), t.get("target", "")) for t in terms]
    if glossary is not None and tgt in glossary.languages:
        from pipeline.glossary.stage import verify

        segment = Segment(doc="", para=0, index=0, source="", target=text, terms=hits)
        verify(segment, glossary, tgt, glossary.matchers[tgt])
        return [bool(hit.honoured) for hit in segment.terms]
    from pipeline.glossary.constraints import surface_forms

    folded = text.casefold()
    return [any(form.casefold() in folded for form in surface_forms(hit.target, tgt)) for hit in hits]


def post_edit_metrics(rows: list[dict], edits: Iterable, tgt: str, *, glossary=None,
                      concepts: Iterable[dict] = ()) -> dict:
    """`{"corpus": {...}, "docs": {doc: {...}}}` for the rows of segments.jsonl and the run's
    post-edits (`EditLog.read()`); `concepts`: the review log's concept events."""
    from sacrebleu.metrics import TER

    chains = row_chains(rows, edits, tgt)
    pairs: list[tuple[str, str, str]] = []  # (doc, machine, final)
    added: dict[str, int] = {}
    for row in rows:
        if not editable(row, tgt):
            continue
        chain = chains.get((row["doc"], row.get("index")))
        machine, final = (chain[0].before, chain[-1].after) if chain else (row["target"], row["target"])
        pairs.append((row["doc"], machine, final))
        terms = [t for t in row.get("terms") or () if isinstance(t, dict)]
        if chain and terms and machine != final:
            gained = sum(1 for was, now in zip(honoured(machine, terms, tgt, glossary), honoured(final, terms, tgt, glossary))
                         if now and not was)
            added[row["doc"]] = added.get(row["doc"], 0) + gained
    concepts_by_doc: dict[str, int] = {}
    concept_total = 0
    for event in concepts:
        concept_total += 1
        if event.get("doc"):
            concepts_by_doc[event["doc"]] = concepts_by_doc.get(event["doc"], 0) + 1
    metric = TER()
    stats = metric._extract_corpus_statistics([m for _, m, _ in pairs], [[f for _, _, f in pairs]]) if pairs else []
    by_doc: dict[str, list[int]] = {}
    for i, (doc, _, _) in enumerate(pairs):
        by_doc.setdefault(doc, []).append(i)
    docs = {}
    for doc, positions in by_doc.items():
        edited = sum(1 for i in positions if pairs[i][1] != pairs[i][2])
        docs[doc] = {
            "HTER": round(metric._aggregate_and_compute([stats[i] for i in positions]).score, 4),
            "segments": len(positions),
            "edited": edited,
            "edited_share": round(100.0 * edited / len(positions), 2),
            "terms_added": added.get(doc, 0),
            "concepts_added": concepts_by_doc.get(doc, 0),
        }
    edited = sum(1 for _, m, f in pairs if m != f)
    corpus: dict = {}
    if pairs:
        corpus["HTER"] = {"score": round(metric._aggregate_and_compute(stats).score, 4),
                          "signature": metric.get_signature().format(short=False)}
    corpus.update({
        "segments": len(pairs),
        "edited": edited,
        "edited_share": round(100.0 * edited / len(pairs), 2) if pairs else None,
        "terms_added": sum(added.values()),
        "concepts_added": concept_total,
    })
    return {"corpus": corpus, "docs": docs}


def run_post_edits(out_dir: str | Path, rows: list[dict], tgt: str, glossary=None,
                   records: list[Edit] | None = None) -> dict | None:
    """The post-edit metrics of a run folder (run.json's `post_edits`, the review page's live
    figures), or None while nobody has edited it (no edit into `tgt` taken in edits.jsonl and no
    concept added from its review). `records`: edits.jsonl's records, when the caller read them."""
    folder = RunFolder(out_dir)
    records = folder.edits.read_all() if records is None else records
    edits = [edit for edit in records if edit.tgt == tgt and edit.status == TAKEN]
    concepts = folder.review_log.concepts()
    if not edits and not concepts:
        return None
    return post_edit_metrics(rows, edits, tgt, glossary=glossary, concepts=concepts)


def edit_summary(out_dir: str | Path, tgt: str, glossary=None, rows: list[dict] | None = None) -> dict:
    """What run.json says of the editors' work, from segments.jsonl (or its `rows`, when the caller
    holds them) and edits.jsonl: `post_edits` (the metrics), `conflicts` (edits not applied because
    their segment had changed since: both texts) and `edits_unmatched` (edits whose source is gone
    from the input; the text stays in edits.jsonl and in `.targman/edited/`). Keys only where there
    is something."""
    folder = RunFolder(out_dir)
    if not folder.has_editors_work():
        return {}
    if rows is None:
        rows = list(folder.rows())
    summary: dict = {}
    records = folder.edits.read_all()  # read once: the metrics take the edits, the rest the conflicts too
    metrics = run_post_edits(out_dir, rows, tgt, glossary, records)
    if metrics is not None:
        summary["post_edits"] = metrics
    conflicts = open_conflicts(records, rows, tgt)
    if conflicts:
        summary["conflicts"] = conflicts
    lost = FolderEdits(records, tgt).unmatched([r for r in rows if r.get("kind", TEXT) == TEXT])
    if lost:
        summary["edits_unmatched"] = [{"doc": e.doc, "index": e.index, "source": e.source, "text": e.after,
                                       "via": e.via, "who": e.who, "when": e.when} for e in lost]
    return summary


EDIT_KEYS = ("post_edits", "conflicts", "edits_unmatched")


def with_edit_summary(manifest: Manifest, summary: dict) -> Manifest:
    """A copy of `manifest` whose EDIT_KEYS are `summary`'s (`edit_summary`), placed last."""
    out = manifest.copy()
    out.pop("post_edits", None)
    out.pop("conflicts", None)
    out.pop("edits_unmatched", None)
    if "post_edits" in summary:
        out["post_edits"] = summary["post_edits"]
    if "conflicts" in summary:
        out["conflicts"] = summary["conflicts"]
    if "edits_unmatched" in summary:
        out["edits_unmatched"] = summary["edits_unmatched"]
    return out


def record_edit_summary(out_dir: str | Path) -> Manifest:
    """Bring run.json's account of the editors' work up to date (`targman review` after edits made
    since the run), so the report, which reads run.json, and run.json never disagree. Returns it."""
    folder = RunFolder(out_dir)
    manifest = folder.manifest()
    tgt = folder.target_language(manifest)
    if not tgt or not manifest:
        return manifest
    summary = edit_summary(out_dir, tgt)
    if all(manifest.get(key) == summary.get(key) for key in EDIT_KEYS):
        return manifest
    manifest = with_edit_summary(manifest, summary)
    folder.write_manifest(manifest)
    return manifest


def format_text(metrics: dict) -> str:
    """`targman score OUT_DIR --format text`: the corpus line with the signature, then a line a document."""
    corpus = metrics.get("corpus") or {}
    lines = []
    if "HTER" in corpus:
        lines.append(f"HTER|{corpus['HTER']['signature']} = {corpus['HTER']['score']:.2f}")
    share = corpus.get("edited_share")
    lines.append(f"edited {corpus.get('edited', 0)} of {corpus.get('segments', 0)} segments"
                 + (f" ({share:.1f}%)" if share is not None else "")
                 + f", terms added {corpus.get('terms_added', 0)}, concepts added {corpus.get('concepts_added', 0)}")
    for doc, entry in (metrics.get("docs") or {}).items():
        lines.append(f"{doc}\tHTER {entry['HTER']:.2f}\tedited {entry['edited']}/{entry['segments']}"
                     f"\tterms added {entry['terms_added']}")
    return "\n".join(lines)
