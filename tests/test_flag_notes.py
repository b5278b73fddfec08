"""A glossary flag says which word set it (issue 17, item 10): `glossary-variant` on a sentence
that passed through untranslated had no term to show, so nothing said what to fix."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import Translator
from pipeline.batch.runner import run
from pipeline.engines.testing import FunctionEngine
from pipeline.evaluation.report import write_review

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"


def translate(text: str, tgt: str = "en", fn=None):
    engine = FunctionEngine(fn) if fn else FunctionEngine()
    with Translator.from_config(engine=engine, glossary=str(DESK), tgt=tgt, cache=False, terms="check") as translator:
        [result] = translator.translate([text])
    return result.segments


def test_a_variant_in_text_that_passes_through_names_the_word():
    [segment] = translate("Lavrov met Mirzoian in Astana.")
    assert segment.target == segment.source and segment.terms == []
    assert "glossary-variant" in segment.flags
    assert segment.to_row()["notes"] == {"glossary-variant": ["Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)"]}


def test_a_variant_in_a_translated_source_names_the_word_too():
    [segment] = translate("Արարատ Միրզոյանը հանդիպեց Լավրովին։", tgt="hy", fn=lambda t, s, g: t)  # hy passes
    assert segment.to_row().get("notes") is None  # nothing to say: no variant
    [segment] = translate("Ararat Mirzoian met Lavrov.", tgt="hy", fn=lambda text, src, tgt: "Հանդիպում։")
    notes = segment.to_row()["notes"]
    assert notes["glossary-variant"] == ["Ararat Mirzoian: the desk writes Ararat Mirzoyan, in hy Արարատ Միրզոյան "
                                         "(ararat-mirzoyan)"]


def test_a_variant_in_an_armenian_source_names_the_english_the_editor_writes():
    """hy -> en: the editor writes English, so the note gives the English term, not only the Armenian."""
    [segment] = translate("Դոնալդ Թրամպը խոսեց։", tgt="en", fn=lambda text, src, tgt: "Trump spoke.")
    [note] = segment.to_row()["notes"]["glossary-variant"]
    assert note.startswith("Դոնալդ Թրամպ") and "in en Donald Trump" in note and "(donald-trump)" in note


def test_a_forbidden_term_in_the_output_names_it(tmp_path):
    glossary = tmp_path / "g.tsv"
    glossary.write_text("id\ttype\ten\thy\tnote\nukraine\tplace\tUkraine|!the Ukraine\tՈւկրաինա\t\n", encoding="utf-8")
    engine = FunctionEngine(lambda text, src, tgt: "He went to the Ukraine.")
    with Translator.from_config(engine=engine, glossary=str(glossary), tgt="en", cache=False, terms="check") as translator:
        [result] = translator.translate(["Նա մեկնեց Ուկրաինա։"])
    [segment] = result.segments
    assert "forbidden-term" in segment.flags
    assert segment.to_row()["notes"]["forbidden-term"] == ["the Ukraine: the desk writes Ukraine (ukraine)"]


def test_notes_reach_the_segment_table_and_the_review_page(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Lavrov met Mirzoian in Astana.\n", encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, tgt="en", engine=FunctionEngine(), glossary=str(DESK), progress="off", cache=False)
    [row] = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["notes"] == {"glossary-variant": ["Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)"]}
    html = write_review(out).read_text(encoding="utf-8")
    assert "Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)" in html
