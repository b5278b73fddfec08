"""Lint: every broken file is reported as FILE:LINE: message, and load() refuses it."""

import pytest

from pipeline.glossary import GlossaryError, edit, load
from tests.glossary_fixtures import REPO, SMALL, write

HEAD = "id\ttype\ten\thy\tnote\n"


@pytest.mark.parametrize("body, line, expected", [
    ("a\tperson\tA\tԱ\t\na\tplace\tB\tԲ\t\n", 3, "duplicate id 'a' (first used on line 2)"),
    ("a\tperson\tLavrov\tԼավրով\t\nb\tperson\tLAVROV\tԼավրովը\t\n", 3,
     "the en term 'LAVROV' also names concept 'a' on line 2"),
    ("a\tperson\tA\tԵրեւան\t\nb\tplace\tB\tԵրևան\t\n", 3, "also names concept 'a' on line 2"),
    ("a\tperson\t|A\tԱ\t\n", 2, "empty term in column en"),
    ("a\tperson\t\tԱ\t\n", 2, "empty preferred en term"),
    ("a\tperson\t!A|B\tԱ\t\n", 2, "the preferred en term 'A' is forbidden"),
    ("a\tperson\t A\tԱ\t\n", 2, "leading, trailing or doubled whitespace in column en"),
    ("a\tperson\tA | B\tԱ\t\n", 2, "leading, trailing or doubled whitespace in column en"),
    ("a\tperson\tA\u0007\tԱ\t\n", 2, "control or invisible character U+0007 in column en"),
    ("a\tperson\tA\u200b\tԱ\t\n", 2, "control or invisible character U+200B in column en"),
    ("a\tperson\tA\tԱ\n", 2, "4 fields but the header has 5"),
    ("a\tperson\tA\tԱ\t\textra\n", 2, "6 fields but the header has 5"),
    ("a\tpersn\tA\tԱ\t\n", 2, "unknown type 'persn'; use one of person, org, place, term"),
    ("a b\tperson\tA\tԱ\t\n", 2, "id 'a b' may contain only"),
    ("\tperson\tA\tԱ\t\n", 2, "empty id"),
    ("a\tperson\tԱ\tA\t\n", 2, "Armenian letters in the en term 'Ա'"),
    ("a\tperson\tA\tA\t\n", 2, "the preferred hy term 'A' has no Armenian letters"),
    ("a\tperson\tA|A\tԱ\t\n", 2, "the en term 'A' appears twice in this row"),
    ("a\tperson\tCafe\u0301\tԱ\t\n", 2, "column en is not in Unicode NFC"),
])
def test_row_problems(tmp_path, body, line, expected):
    path = write(tmp_path, HEAD + body)
    messages = [str(p) for p in edit.lint_file(path)]
    assert any(m.startswith(f"{path}:{line}: ") and expected in m for m in messages), messages


@pytest.mark.parametrize("header, expected", [
    ("id\ttype\ten\thy\n", "the header has no 'note' column"),
    ("id\ttype\ten\thy\tnote\tcolour\n", "unknown column 'colour'"),
    ("id\ttype\ten\ten\thy\tnote\n", "column 'en' appears twice"),
    ("id\ttype\ten\tnote\n", "fewer than two language columns"),
    ("id\ttype\ten\tru_short\thy\tnote\n", "column 'ru_short' has no 'ru' column"),
])
def test_header_problems(tmp_path, header, expected):
    path = write(tmp_path, "# comment\n" + header)
    messages = [str(p) for p in edit.lint_file(path)]
    assert any(m.startswith(f"{path}:2: ") and expected in m for m in messages), messages


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes((HEAD + "a\tperson\tA\tԱ\t\n").encode() + "b\tperson\tMüller\t".encode("latin-1")
                     + "Բ\t\n".encode())
    assert [str(p) for p in edit.lint_file(path)] == [
        f"{path}:3: not UTF-8 (byte 0xfc at byte 11); save the file as UTF-8"]


def test_every_problem_is_reported_and_load_refuses(tmp_path):
    path = write(tmp_path, HEAD + "a\tperson\t A\tԱ\t\na\tpersn\tB\tԲ\n")
    problems = edit.lint_file(path)
    assert [p.line for p in problems] == [2, 3]
    with pytest.raises(GlossaryError) as caught:
        load(path)
    message = str(caught.value)
    assert f"{path}:2: leading" in message and f"{path}:3: 4 fields" in message
    assert len(caught.value.problems) == 2


def test_missing_file_is_a_glossary_error(tmp_path):
    with pytest.raises(GlossaryError, match="cannot read"):
        load(tmp_path / "nope.tsv")


def test_case_sensitive_terms_may_differ_only_in_case(tmp_path):
    path = write(tmp_path, "id\ttype\ten\thy\toptions\tnote\n"
                 "us\tplace\tUS\tԱՄՆ\t\t\nus-pronoun\tterm\tus\tմեզ\tcase\t\n")
    assert edit.lint_file(path) == []


def test_comments_blank_lines_bom_and_crlf_are_fine(tmp_path):
    path = tmp_path / "ok.tsv"
    path.write_bytes(b"\xef\xbb\xbf# desk\r\n\r\n" + HEAD.replace("\n", "\r\n").encode()
                     + "a\tperson\tA\tԱ\tnote | with  spaces\r\n".encode())
    assert edit.lint_file(path) == []
    assert load(path).concepts["a"].note == "note | with  spaces"


def test_shipped_files_pass_lint():
    assert edit.lint_file(REPO / "glossaries" / "desk.tsv") == []


def test_fixture_passes_lint(tmp_path):
    assert edit.lint_file(write(tmp_path, SMALL)) == []


def test_load_gives_concepts_and_digest(tmp_path):
    import hashlib

    path = write(tmp_path)
    glossary = load(path)
    assert glossary.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    concept = glossary.concepts["ararat-mirzoyan"]
    assert [(t.text, t.status, t.kind) for t in concept.terms["en"]] == [
        ("Ararat Mirzoyan", "preferred", "full"), ("Ararat Mirzoian", "variant", "full"),
        ("Ararat Mirzoev", "forbidden", "full"), ("Mirzoyan", "preferred", "short"),
        ("Mirzoian", "variant", "short")]
    assert glossary.concepts["bbc"].terms["hy"][0].text == "BBC"
    assert glossary.concepts["bbc"].copied == {"hy"}


FORMS_HEAD = "id\ttype\ten\thy\thy_forms\tnote\n"


@pytest.mark.parametrize("cell, expected", [
    ("կնոջ", "an entry without a word and ':'"),
    ("մարդ: մարդիկ", "'մարդ' is not the last word of any hy term in this row"),
    ("կին:", "no forms for 'կին'"),
    ("կին: կնոջ; կին: կանայք", "'կին' has two entries"),
    ("կին: woman", "form 'woman' of 'կին' must be one word in Armenian letters"),
    ("կին: կին", "form 'կին' is 'կին' itself"),
    ("կին: մոր", "form 'մոր' does not start like 'կին'"),
    ("կին: կնոջ կնոջ", "form 'կնոջ' of 'կին' is listed twice"),
])
def test_forms_problems(tmp_path, cell, expected):
    path = write(tmp_path, FORMS_HEAD + f"woman\tterm\twoman\tկին\t{cell}\t\n")
    messages = [str(p) for p in edit.lint_file(path)]
    assert any(m.startswith(f"{path}:2: ") and expected in m for m in messages), messages


def test_forms_column_only_for_armenian(tmp_path):
    path = write(tmp_path, "id\ttype\ten\ten_forms\thy\tnote\n")
    assert any("irregular forms are read for hy only" in str(p) for p in edit.lint_file(path))


def test_forms_are_loaded_for_the_last_word(tmp_path):
    path = write(tmp_path, FORMS_HEAD + "child\tterm\tchild\tփոքր մանուկ\tմանուկ: մանկան, մանկանց\t\n"
                 "god\tterm\tGod\tԱստված\tԱստված: Աստծո\t\n")
    glossary = load(path)
    assert edit.lint_file(path) == []
    assert glossary.concepts["child"].stated_forms("hy", "փոքր մանուկ") == ("մանկան", "մանկանց")
    assert glossary.concepts["child"].stated_forms("hy", "մանուկ") == ("մանկան", "մանկանց")
    assert glossary.concepts["child"].stated_forms("hy", "աղջիկ") == ()
