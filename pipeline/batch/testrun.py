"""A line-aligned test set through the real batch job (`targman eval -o OUT`), scored line by line.

Here and not in `evaluation.testset` because it runs the batch job, which sits above evaluation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.batch.runner import run
from pipeline.evaluation.testset import EvalSet, score_test_set


def _file_name(doc: str, taken: set[str]) -> str:
    """A safe, unique file name for a document id (ids are labels, never paths)."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in doc).strip(".") or "doc"
    name, n = safe, 1
    while name in taken:
        n += 1
        name = f"{safe}-{n}"
    taken.add(name)
    return name


def translate_test_set(test_set: EvalSet, config, out_dir: str | Path, **run_options) -> dict:
    """Translate a line-aligned test set through the real batch job and score it.

    Each document becomes an article (a line a paragraph) with its reference as a
    `.ref.txt` sibling, so the run is exactly what a desk's run is -- glossary,
    QA flags and review report included -- and its scores are line by line.
    Writes `OUT/hyp.txt`, line-aligned with the source, for the `sacrebleu` command.
    """
    out = Path(out_dir)
    articles = out / "test-set"
    order: dict[str, list[int]] = {}
    for i, doc in enumerate(test_set.docs):
        order.setdefault(doc, []).append(i)
    names: dict[str, str] = {}
    taken: set[str] = set()
    for doc, lines in order.items():
        name = names[doc] = _file_name(doc, taken)
        path = articles / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(test_set.src[i] for i in lines) + "\n", encoding="utf-8")
        (articles / f"{name}.ref.txt").write_text("\n".join(test_set.ref[i] for i in lines) + "\n", encoding="utf-8")
    # Every line is a segment of the test set: nothing may be dropped as chrome or repeat.
    config = replace(config, run=replace(config.run, boilerplate=(), duplicate_output="keep"))
    result = run(articles, out / "translated", config, **run_options)
    hyps = [""] * len(test_set.src)
    for doc, lines in order.items():
        translated = out / "translated" / f"{names[doc]}.txt"
        text = translated.read_text(encoding="utf-8") if translated.exists() else ""
        for i, line in zip(lines, text.split("\n")):
            hyps[i] = line
    (out / "hyp.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    scores = score_test_set(hyps, test_set.ref, test_set.docs, config.run.tgt)
    # Term success comes from the run, which knows every glossary hit and whether it was honoured.
    run_scores = result.manifest.get("scores") or {}
    scores["corpus"]["terms"] = (run_scores.get("corpus") or {}).get("terms", scores["corpus"].get("terms"))
    for doc, name in names.items():
        run_doc = (run_scores.get("docs") or {}).get(f"{name}.txt") or {}
        if doc in scores["docs"] and "terms" in run_doc:
            scores["docs"][doc]["terms"] = run_doc["terms"]
    return {"scores": scores, "hyp": str(out / "hyp.txt"), "run": result}
