"""Recall and precision of Armenian matching on the grammar tables (tests/armenian_tables.py).

`pytest -s tests/test_armenian_tables.py` prints the scores.
"""

import pytest

from pipeline.glossary import Matcher, load
from tests import armenian_tables as tables


@pytest.fixture(scope="module")
def glossary(tmp_path_factory):
    path = tmp_path_factory.mktemp("tables") / "tables.tsv"
    path.write_text(tables.glossary_text(), encoding="utf-8")
    return load(path)


def test_tables_recall_and_precision(glossary):
    scores = tables.score(glossary)
    print(f"\nArmenian tables: {scores['found']}/{scores['positives']} forms found, recall "
          f"{scores['recall']:.3f}; precision {scores['precision']:.3f} over {scores['negatives']} "
          f"near misses and the positives")
    assert scores["missed"] == []
    assert scores["false"] == []


@pytest.mark.parametrize("concept, form, side", tables.POSITIVE)
def test_form_matches(glossary, concept, form, side):
    hits = Matcher(glossary, "hy").find(tables.FRAME.format(form))
    assert [(h.concept, h.surface) for h in hits] == [(concept, form)]


@pytest.mark.parametrize("concept, form, side", [row for row in tables.POSITIVE if row[2] == "both"])
def test_form_is_offered_on_the_target_side(glossary, concept, form, side):
    from pipeline.glossary.constraints import surface_forms
    from pipeline.glossary.normalise import key

    c = glossary.concepts[concept]
    forms = surface_forms(c.preferred("hy").text, "hy", c)
    assert key(form) in {key(f) for f in forms}


@pytest.mark.parametrize("concept, word, why", tables.NEGATIVE)
def test_near_miss_is_not_the_concept(glossary, concept, word, why):
    hits = Matcher(glossary, "hy").find(tables.FRAME.format(word))
    assert [(h.concept, h.surface) for h in hits if h.concept == concept] == []
