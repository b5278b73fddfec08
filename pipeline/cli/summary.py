"""What `targman run` says at the end: what was done, what needs a look, and where to look.

Every number comes from the run's result (`run.json`'s content), so the summary says what
the files say:

    targman: 2 file(s) done, 1 failed, 0 skipped -> out
    targman: 44 segment(s): 5 translated by machine (this run: 2 by the model, 3 from the translation
             memory), 33 passed through unchanged, 6 dropped (site chrome, repeated paragraphs)
    targman: glossary: 9 of 13 term(s) honoured, term success 69.2% (mode constrain)
    targman: 13 segment(s) flagged: dropped 6, term-missed 4, glossary-variant 2, latin-name-missing 1
    targman: FAILED bad.txt: ...
    targman: next: review out/review.html ("Only flagged" shows the 13 flagged segment(s) and the failed file(s))

Term success is a percentage everywhere: here, in `run.json` (`scores.*.terms.rate`), in the
report and in `targman eval`.
"""

from __future__ import annotations

import sys

from pipeline.runfolder.status import WITH_ERRORS, FileStatus

FLAGS_SHOWN = 8  # flags named in the summary; the report has them all


def term_success(terms: dict | None) -> str:
    """`9 of 13 term(s) honoured, term success 69.2%` ("" when no hit was verified)."""
    terms = terms or {}
    checked = terms.get("honoured", 0) + terms.get("missed", 0)
    if not checked or terms.get("rate") is None:
        return ""
    return f"{terms['honoured']} of {checked} term(s) honoured, term success {terms['rate']:.1f}%"


def lines(result) -> list[str]:
    """The summary of a RunResult, a line a subject (without the `targman: ` prefix)."""
    manifest = result.manifest
    counts = manifest["counts"]
    out: list[str] = []
    reused = (manifest.get("resume") or {}).get("files_reused", 0)
    partial = f", {counts['partial']} with failed articles" if counts.get("partial") else ""
    out.append(
        f"{counts['done']} file(s) translated" + (f" ({reused} finished by an earlier run)" if reused else "")
        + f", {counts['failed']} failed{partial}, {counts['skipped']} skipped -> {result.out_dir}"
    )
    out.append(f"{counts['segments']} segment(s): {counts['translated']} translated by machine{this_run(manifest)}, "
               f"{counts['passed_through']} passed through unchanged, "
               f"{counts['dropped']} dropped (site chrome, repeated paragraphs)")
    glossary = manifest.get("glossary")
    if glossary:
        terms = term_success(((manifest.get("scores") or {}).get("corpus") or {}).get("terms"))
        mode = glossary.get("mode")
        asked = glossary.get("requested_mode")
        how = f"mode {mode}"
        if asked and asked != mode:
            engine = (manifest.get("model") or {}).get("engine") or "this"
            repair = f"; {glossary['repair']}" if glossary.get("repair") else ""
            how = (f"mode {mode}: {asked} was asked for, but the {engine} engine cannot force terms into its "
                   f"output{repair}; missed terms are flagged term-missed")
        out.append(f"glossary: {terms or 'no glossary term met'} ({how})")
    out += score_lines(((manifest.get("scores") or {}).get("corpus")) or {})
    flags = manifest.get("flags") or {}
    by_flag = flags.get("by_flag") or {}
    if flags.get("segments"):
        named = ", ".join(f"{name} {n}" for name, n in list(by_flag.items())[:FLAGS_SHOWN])
        rest = list(by_flag.items())[FLAGS_SHOWN:]
        more = f", and {len(rest)} more: " + ", ".join(f"{name} {n}" for name, n in rest) if rest else ""
        out.append(f"{flags['segments']} segment(s) flagged: {named}{more}")
    else:
        out.append("no segment flagged")
    return out


def score_lines(corpus: dict) -> list[str]:
    """`BLEU|#:1|c:mixed|... = 31.2` a metric, as `targman score` prints them (the signature in
    sacrebleu's short form), when articles had references; [] otherwise."""
    named = [(name, entry) for name, entry in corpus.items()
             if isinstance(entry, dict) and isinstance(entry.get("score"), (int, float)) and entry.get("signature")]
    if not named:
        return []
    from pipeline.evaluation.scoring import short_signature

    scored = corpus.get("scored")
    head = [f"scores against the references of {scored} segment(s) (per document in run.json and review.html):"
            if scored else "scores against the references:"]
    return head + [f"  {name}|{short_signature(name, entry['signature'])} = {entry['score']:.1f}"
                   for name, entry in named]


def this_run(manifest: dict) -> str:
    """Where this run's translations came from, when the translation memory counted them."""
    cache = manifest.get("cache") or {}
    parts = []
    if cache.get("memory") and (cache.get("hits") or cache.get("misses")):
        parts.append(f"{cache.get('misses', 0)} by the model")
        parts.append(f"{cache.get('hits', 0)} from the translation memory")
    if cache.get("journal_hits"):
        whose = ("the interrupted run's finished batches" if cache.get("journal_resumed", True)
                 else "batches finished before an engine failure, kept in the run's journal")
        parts.append(f"{cache['journal_hits']} from {whose}")
    if cache.get("human"):
        parts.append(f"{cache['human']} editors' post-edits")
    return f" (this run: {', '.join(parts)})" if parts else ""


def print_summary(result, *, review: bool = True) -> None:
    """The summary on stderr, then what went wrong, then what to do next."""
    say = lambda text: print(f"targman: {text}", file=sys.stderr)  # noqa: E731
    for line in lines(result):
        say(line)
    manifest = result.manifest
    retried = result.retried
    if retried:
        again = [rel for rel in retried if result.files.get(rel, {}).get("status") in WITH_ERRORS]
        say(f"{len(retried)} file(s) that failed or were partial before were tried again: "
            f"{len(retried) - len(again)} now done, {len(again)} not")
    stale = manifest.get("stale") or []
    if stale:
        shown = ", ".join(stale[:5]) + (", …" if len(stale) > 5 else "")
        say(f"{len(stale)} translation(s) in {result.out_dir} have no input any more ({shown}); --prune removes them")
    pruned = manifest.get("pruned") or []
    if pruned:
        say(f"removed {len(pruned)} translation(s) whose input is gone (--prune)")
    for name in result.failed:
        entry = result.files[name]
        if entry["status"] == FileStatus.FAILED:
            say(f"FAILED {name}: {entry['error']}")
        for message in entry.get("failed_articles", {}).values():
            say(f"FAILED {message}")
    if review:
        say(next_step(result))


def next_step(result) -> str:
    """Where the editor goes next."""
    page = result.out_dir / "review.html"
    flagged = (result.manifest.get("flags") or {}).get("segments", 0)
    failed = len(result.failed)
    what = []
    if flagged:
        what.append(f"{flagged} flagged segment(s)")
    if failed:
        what.append(f"the {failed} file(s) that failed (also in {result.out_dir / 'errors.jsonl'})")
    if not what:
        return f"next: review {page}"
    return f"next: review {page} (\"Only flagged\" shows {' and '.join(what)})"
