"""Armenian inflection rules and the shared normalisation, as tables."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.glossary import armenian
from pipeline.glossary.normalise import key, normalise


@pytest.mark.parametrize("term, form", [
    ("Միրզոյան", "Միրզոյանը"), ("Միրզոյան", "Միրզոյանն"), ("Միրզոյան", "Միրզոյանի"),
    ("Միրզոյան", "Միրզոյանին"), ("Միրզոյան", "Միրզոյանից"), ("Միրզոյան", "Միրզոյանով"),
    ("Հայաստան", "Հայաստանում"), ("Միրզոյան", "Միրզոյանները"), ("Միրզոյան", "Միրզոյանների"),
    ("պետ", "պետեր"), ("պետ", "պետերից"),  # one syllable: -եր
    ("ՀԱՊԿ", "ՀԱՊԿ-ը"), ("ՀԱՊԿ", "ՀԱՊԿ-ի"), ("ԵՄ", "ԵՄ-ը"), ("ԱՄՆ", "ԱՄՆ-ում"), ("BBC", "BBC-ն"),
    ("Մոսկվա", "Մոսկվայում"), ("Աստանա", "Աստանայից"), ("Մոսկվա", "Մոսկվան"), ("Գերմանիա", "Գերմանիային"),
    ("Բաքու", "Բաքվում"), ("Բաքու", "Բաքվի"), ("Բաքու", "Բաքուն"),
    ("միություն", "միության"), ("միություն", "միությանը"), ("միություն", "միությամբ"),
    ("միություն", "միությունից"), ("Եվրոպական միություն", "Եվրոպական միության"),
    ("Միացյալ Նահանգներ", "Միացյալ Նահանգներում"), ("Լոռի", "Լոռու"), ("Թբիլիսի", "Թբիլիսիում"),
])
def test_inflections_include(term, form):
    assert form in armenian.inflections(term)


@pytest.mark.parametrize("term, form", [
    ("Պուտին", "Պուտինյան"), ("Հայաստան", "Հայաստանյան"), ("Եվրոպա", "Եվրոպական"),
    ("Երևան", "Երևանցի"), ("Բաքու", "Բաքվեցի"), ("ՀԱՊԿ", "ՀԱՊԿ-ական"), ("ՀԱՊԿ", "ՀԱՊԿի"),
    ("Մոսկվա", "Մոսկվաում"), ("Բաքու", "Բաքվ"), ("միություն", "միությունով"),
    ("Միացյալ Նահանգներ", "Միացյալ Նահանգներներ"), ("Մոսկվա", "Մոսկվաը"),
])
def test_inflections_exclude(term, form):
    assert form not in armenian.inflections(term)


@pytest.mark.parametrize("term", ["Միրզոյան", "Մոսկվա", "Բաքու", "Եվրոպական միություն", "ՀԱՊԿ",
                                  "Լոռի", "Միացյալ Նահանգներ", "Գյոթե", "Ռուբեն Ռուբինյան"])
def test_inflections_are_few_and_start_with_the_term(term):
    forms = armenian.inflections(term)
    assert forms[0] == term
    assert 5 <= len(forms) <= 100  # cases x plural x possessive, and a reduced stem
    assert len(set(forms)) == len(forms)
    assert all(f[: len(term) - 3] == term[: len(term) - 3] for f in forms)  # the last word inflects


@pytest.mark.parametrize("text, folded", [
    ("Երևան", "երեվան"), ("Երեւան", "երեվան"), ("ԵՐԵՒԱՆ", "երեվան"),
    ("Kazakhstan’s", "kazakhstan's"), ("ՀԱՊԿ֊ի", "հապկ-ի"), ("Ո՞վ", "ով"),
    ("a \u00a0 b", "a b"), ("Ararat\u200bMirzoyan", "araratmirzoyan"), ("ﬓ", "մն"),
    ("e\u0301", "é"), ("ա։", "ա:"),
])
def test_normalise(text, folded):
    assert normalise(text).text == folded
    assert key(text) == folded


@pytest.mark.parametrize("text, start, end, original", [
    ("Ո՞վ Լավրովը", 4, 11, "Լավրովը"),
    ("e\u0301 Երևանում", 3, 11, "Երևանում"),
    ("x\u00a0\u00a0Բաքու", 3, 8, "Բաքու"),
])
def test_offsets_point_into_the_original(text, start, end, original):
    norm = normalise(text)
    i = norm.text.index(key(original))
    a, b = norm.span(i, i + len(key(original)))
    assert (a, b) == (start, end)
    assert text[a:b] == original


_ALPHABET = st.sampled_from(list("abcAB ЕԵեւՒվևﬓ՞՛ -֊’'\u00a0\u0301\u0308\u200bßİ\t\n.:։"))


@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_key_and_normalise_agree(text):
    norm = normalise(text)
    assert norm.text == key(text)
    if norm.starts is not None:
        assert len(norm.starts) == len(norm.text) == len(norm.ends)
        assert all(0 <= a < b <= len(text) for a, b in zip(norm.starts, norm.ends))
        assert norm.starts == sorted(norm.starts)


def test_nfc_is_applied():
    decomposed = unicodedata.normalize("NFD", "Café")
    assert normalise(decomposed).text == "café"
