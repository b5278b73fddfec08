"""The desk's spelling of `և` (pipeline/glossary/spelling.py), as tables."""

import unicodedata

import pytest
from hypothesis import given, strategies as st

from pipeline.glossary.spelling import MODES, respell


@pytest.mark.parametrize("model_output, reformed, classical", [
    # what an NFKC model writes -> reformed / classical
    ("Երեւան", "Երևան", "Երեւան"),
    ("Ալիեւը Երեւանում", "Ալիևը Երևանում", "Ալիեւը Երեւանում"),
    ("Հայաստանը եւ Ադրբեջանը", "Հայաստանը և Ադրբեջանը", "Հայաստանը եւ Ադրբեջանը"),
    ("Եւ նա ասաց։", "Եվ նա ասաց։", "Եւ նա ասաց։"),
    ("Նա եւս եկավ։", "Նա ևս եկավ։", "Նա եւս եկավ։"),
    ("Եւս մեկ անգամ", "Եվս մեկ անգամ", "Եւս մեկ անգամ"),
    ("ԵՐԵՒԱՆ ԵՒ ԲԱՔՈՒ", "ԵՐԵՎԱՆ ԵՎ ԲԱՔՈՒ", "ԵՐԵՒԱՆ ԵՒ ԲԱՔՈՒ"),
    ("Եւրոպա", "Եվրոպա", "Եւրոպա"),  # classical spelling from the model becomes reformed
    ("եւրոպական", "եվրոպական", "եւրոպական"),
    ("Սեւանա լիճ, Լեւոն, թեւ, արեւ", "Սևանա լիճ, Լևոն, թև, արև", "Սեւանա լիճ, Լեւոն, թեւ, արեւ"),
    # already reformed
    ("Երևան և Գյումրի", "Երևան և Գյումրի", "Երեւան եւ Գյումրի"),
    ("Եվ նա ասաց", "Եվ նա ասաց", "Եւ նա ասաց"),
    # words spelled with վ are left alone
    ("Եվրոպական միություն", "Եվրոպական միություն", "Եվրոպական միություն"),
    ("հոգեվարք, Եվա, եվրո", "հոգեվարք, Եվա, եվրո", "հոգեվարք, Եվա, եվրո"),
    # ու and other ւ are not եւ
    ("Բաքու, ուր, Ուկրաինա", "Բաքու, ուր, Ուկրաինա", "Բաքու, ուր, Ուկրաինա"),
    ("Reuters-ը եւ BBC-ն", "Reuters-ը և BBC-ն", "Reuters-ը եւ BBC-ն"),
    ("", "", ""),
])
def test_respell(model_output, reformed, classical):
    assert respell(model_output, "reformed") == reformed
    assert respell(model_output, "classical") == classical
    assert respell(model_output, "keep") == model_output
    assert respell(reformed, "reformed") == reformed  # idempotent
    assert respell(classical, "classical") == classical


def test_unknown_mode():
    with pytest.raises(ValueError, match="reformed, classical, keep"):
        respell("եւ", "soviet")


_ALPHABET = st.sampled_from(list("եւԵՒվՎևուՈՒրա ,.-abԱ՛") + ["եւ", "Եւ", "ԵՒ", "և"])


@given(st.lists(_ALPHABET, max_size=30).map("".join), st.sampled_from(MODES))
def test_reformed_leaves_no_e_yiwn_and_changes_only_e_v(text, mode):
    out = respell(text, mode)
    if mode == "reformed":
        assert "եւ" not in out and "ԵՒ" not in out and "Եւ" not in out
    if mode == "classical":
        assert "և" not in out
    # only the spelling of e+v changes: NFKC and the letter v folded, the texts agree
    fold = lambda s: unicodedata.normalize("NFKC", s).replace("վ", "ւ").replace("Վ", "Ւ").casefold()  # noqa: E731
    assert fold(out) == fold(text)
