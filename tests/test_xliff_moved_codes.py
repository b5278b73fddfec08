"""An editor's moved inline codes come back as markup: an HTML page, a Markdown story and a Word
memo exported as XLIFF 2.1 and 1.2, a code moved onto other words in the target, imported and
applied: the document has the markup around exactly those words, and a forced run keeps it
(pipeline.review.xliff, documents.inline.place, Segment.markup)."""

from __future__ import annotations

import io
import json
import re

import pytest

from pipeline import Translator, run
from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.review.apply import apply_edits
from pipeline.review.xliff import export_xliff, import_xliff
from pipeline.runfolder.edits import EditLog

docx = pytest.importorskip("docx")

LETTERS = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "աբգդեզէըթժիլխծկհձղճմյնշոչպ" "ԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊ")


def words_of(text: str) -> list[str]:
    return [word.translate(LETTERS) for word in text.split()]


def word_for_word(text, src, tgt):
    return " ".join(words_of(text))


SENTENCES = {  # document -> (its file, the sentence's source)
    "page.html": "The talks went well in Paris.",
    "story.md": "Read the report on talks in Rome.",
    "memo.docx": "The talks went well in Berlin.",
}


def assert_strict_12(path) -> None:
    from lxml import etree
    from test_xliff_hostile import strict_schema

    schema = strict_schema()
    assert schema.validate(etree.parse(str(path))), schema.error_log.last_error


def make_folder(folder):
    folder.mkdir()
    (folder / "page.html").write_text('<html><body><p>The <b>talks</b> went well in Paris.</p></body></html>',
                                      encoding="utf-8")
    (folder / "story.md").write_text("Read [the report](https://news.example/r) on talks in Rome.\n", encoding="utf-8")
    memo = docx.Document()
    memo.add_paragraph("The ").add_run("talks").bold = True
    memo.paragraphs[0].add_run(" went well in Berlin.")
    memo.save(folder / "memo.docx")


def translate(folder, out, force: bool = False) -> None:
    with Translator.from_config(engine=FunctionEngine(word_for_word, pairs=[("en", "hy")]), tgt="hy", cache=False) as t:
        assert not run(folder, out, translator=t, progress="off", review=False, force=force).failed


@pytest.fixture
def translated(tmp_path):
    folder = tmp_path / "in"
    make_folder(folder)
    translate(folder, tmp_path / "out")
    return folder, tmp_path / "out"


def unit_of(text: str, doc: str, version: str) -> tuple[str, str, str]:
    """(the unit's XML, its source's XML, its target's XML)."""
    tag = "unit" if version == "2.1" else "trans-unit"
    unit = re.search(rf'<{tag} id="{re.escape(doc)}:0".*?</{tag}>', text, re.DOTALL).group()
    source = re.search(r"<source[^>]*>(.*?)</source>", unit, re.DOTALL).group(1)
    target = re.search(r"<target[^>]*>(.*?)</target>", unit, re.DOTALL).group(1)
    return unit, source, target


def moved_target(source_xml: str, words: list[str], first: int, last: int) -> str:
    """The target's words with the source's one span code around words[first..last]."""
    opening = re.search(r'<pc id="1"[^>]*>|<bpt id="1">.*?</bpt>', source_xml).group()
    closing = re.search(r'</pc>|<ept id="1">.*?</ept>', source_xml).group()
    inside = " ".join(words[first:last + 1])
    return " ".join([*words[:first], opening + inside + closing, *words[last + 1:]])


def edit_units(path, version: str, moves: dict[str, tuple[int, int]]) -> None:
    text = path.read_text(encoding="utf-8")
    for doc, (first, last) in moves.items():
        unit, source, target = unit_of(text, doc, version)
        assert "<pc" in source or "<bpt" in source, source  # the export carries the markup as codes
        new = moved_target(source, words_of(SENTENCES[doc]), first, last)
        text = text.replace(unit, unit.replace(f">{target}</target>", f">{new}</target>"))
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_moved_codes_put_the_markup_around_the_words_the_editor_chose(translated, tmp_path, version):
    folder, out = translated
    path = tmp_path / f"run{version}.xlf"
    export_xliff(out, path, version=version)
    shown = path.read_text(encoding="utf-8")  # a Word run is shown as what it does
    assert ('<data id="d1s">&lt;b&gt;</data>' if version == "2.1" else '<bpt id="1">&lt;b&gt;</bpt>') in \
        unit_of(shown, "memo.docx", version)[0]
    # the bold onto "well in", the link onto "talks in", the Word bold onto "Berlin."
    edit_units(path, version, {"page.html": (3, 4), "story.md": (4, 5), "memo.docx": (5, 5)})
    result = import_xliff(out, path)
    assert result.edited == 3 and not result.not_applied, result
    assert all(edit.markup for edit in EditLog(out).read())
    apply_edits(out)

    def check():
        page_words, story_words, memo_words = (words_of(SENTENCES[d]) for d in ("page.html", "story.md", "memo.docx"))
        page = (out / "page.html").read_text(encoding="utf-8")
        assert f"<b>{page_words[3]} {page_words[4]}</b>" in page and page.count("<b>") == 1, page
        story = (out / "story.md").read_text(encoding="utf-8")
        assert f"[{story_words[4]} {story_words[5]}](https://news.example/r)" in story, story
        memo = docx.Document(io.BytesIO((out / "memo.docx").read_bytes()))
        bold = [r.text for r in memo.paragraphs[0].runs if r.bold]
        assert bold == [memo_words[5]], [(r.text, r.bold) for r in memo.paragraphs[0].runs]

    check()
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(row.get("markup") and row["origin"] == "human" for row in rows), rows
    # a run that translates the folder again takes the post-edits with their placement
    translate(folder, out, force=True)
    check()
    # exported again, the codes stand where the editor put them; importing that file changes nothing
    export_xliff(out, path, version=version)
    again = import_xliff(out, path)
    if version == "1.2":
        assert_strict_12(path)  # with the Word runs' codes and the moved ones
    assert again.edited == 0 and again.unchanged == 3
    assert moved_target(unit_of(path.read_text(encoding="utf-8"), "page.html", version)[1],
                        words_of(SENTENCES["page.html"]), 3, 4) in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("version, hostile, why", [
    ("2.1", '<pc id="7" dataRefStart="d1s" dataRefEnd="d1e">', "inline code <pc id='7'>"),
    ("1.2", '<bpt id="1">&lt;a href="javascript:alert(1)"&gt;</bpt>', "holds other markup"),
    ("1.2", '<ph id="1">&lt;img src=x onerror=alert(1)&gt;</ph>', "inline code (<ph>)"),
])
def test_a_code_that_is_not_the_sources_is_refused_naming_the_file_and_unit(translated, tmp_path, capsys, version,
                                                                             hostile, why):
    """A `javascript:` link or an `<img onerror>` put in as a code in a CAT tool never becomes markup."""
    _, out = translated
    path = tmp_path / "hostile.xlf"
    export_xliff(out, path, version=version)
    text = path.read_text(encoding="utf-8")
    unit, source, target = unit_of(text, "page.html", version)
    words = words_of(SENTENCES["page.html"])
    if hostile.startswith("<ph"):
        new = " ".join(words) + hostile
    else:
        opening = re.search(r'<pc id="1"[^>]*>|<bpt id="1">.*?</bpt>', source).group()
        new = moved_target(source, words, 0, 1).replace(opening, hostile)
    path.write_text(text.replace(unit, unit.replace(f">{target}</target>", f">{new}</target>")), encoding="utf-8")
    assert main(["import", str(out), str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{path}: unit page.html:0: not applied" in err and why in err, err
    assert not EditLog(out).read()
    assert main(["apply", str(out)]) == 0
    page = (out / "page.html").read_text(encoding="utf-8")
    assert "javascript" not in page and "onerror" not in page


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_units_with_codes_keep_their_glossary_term_marks(tmp_path, version):
    """A term inside a code is marked inside it (2.1 `<mrk>` in `<pc>`, with its glossary entry);
    the file imports back unchanged."""
    from review_helpers import make_run

    out = make_run(tmp_path, articles={"page.html": '<html><body><p><b>Լավրովը</b> հանդիպեց <a href="/m">Միրզոյանին</a> '
                                                    "Երևանում։</p></body></html>"})
    path = tmp_path / "terms.xlf"
    export_xliff(out, path, version=version)
    source = unit_of(path.read_text(encoding="utf-8"), "page.html", version)[1]
    if version == "2.1":
        assert re.search(r'<pc id="1"[^>]*><mrk id="m1" type="term" value="Lavrov">Լավրովը</mrk></pc>', source), source
        assert re.search(r'<pc id="2"[^>]*><mrk id="m2" type="term" value="Mirzoyan">Միրզոյանին</mrk></pc>', source)
        assert path.read_text(encoding="utf-8").count("<gls:glossEntry") == 3  # and Yerevan beside them
    else:
        assert re.search(r'<bpt id="1">&lt;b&gt;</bpt><mrk mtype="term" comment="[^"]*Lavrov">Լավրովը</mrk><ept', source)
        assert_strict_12(path)
    result = import_xliff(out, path)
    assert result.unchanged == 1 and not result.not_applied and not result.edited


def test_the_review_pages_chips_are_saved_as_placed_and_a_broken_placement_is_not(translated):
    """What the page's chip editor posts (`markup`): kept when it places every tag, nested; else the
    text is taken and the writer places the tags."""
    from pipeline.review.session import ReviewSession

    _, out = translated
    words = words_of(SENTENCES["page.html"])
    text = " ".join(words)
    at = [len(" ".join(words[:4])) + 1, len(" ".join(words[:5]))]  # words[4]
    session = ReviewSession(out, memory=False)
    try:
        assert session.edit("page.html", 0, text, markup=[[at[0], 0, "open"], [at[1], 0, "close"]])["markup"]
        assert session.edit("story.md", 0, "Նոր " + " ".join(words_of(SENTENCES["story.md"])),
                            markup=[[0, 7, "open"], [3, 7, "close"]])["markup"] is None  # no tag 7 in the source
    finally:
        session.close()
    apply_edits(out)
    assert f"<b>{words[4]}</b>" in (out / "page.html").read_text(encoding="utf-8")
    story = (out / "story.md").read_text(encoding="utf-8")
    assert story.startswith("Նոր ") and "](https://news.example/r)" in story


def test_a_link_moved_inside_another_link_is_not_kept():
    """Two links nested by an editor would be a link in a link (HTML and Markdown have none): the
    writer places them; side by side on other words they are kept."""
    from pipeline.documents.inline import Builder
    from pipeline.review.session import editors_markup

    builder = Builder()
    for word, href in (("one", "/1"), ("two", "/2")):
        builder.open(f'<a href="{href}">')
        builder.text(word)
        builder.close("</a>")
        builder.text(" ")
    builder.text("three")
    source, tags, _, _ = builder.finish()
    view = {"text": "uno dos tres", "markup": None}
    nested = [[0, 0, "open"], [0, 1, "open"], [3, 1, "close"], [3, 0, "close"]]
    assert editors_markup(nested, "uno dos tres", source, tags, view) is None
    apart = [[4, 0, "open"], [7, 0, "close"], [8, 1, "open"], [12, 1, "close"]]
    assert editors_markup(apart, "uno dos tres", source, tags, view) == apart


def test_an_import_that_nests_a_link_in_a_link_is_listed_not_taken(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text('<p><a href="/1">One</a> and <a href="/2">two</a> met.</p>', encoding="utf-8")
    out = tmp_path / "out"
    translate(folder, out)
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    text = path.read_text(encoding="utf-8")
    unit, source, target = unit_of(text, "page.html", "2.1")
    first, second = re.findall(r'<pc id="\d"[^>]*>', source)
    words = words_of("One and two met.")
    nested = f"{first}{second}{' '.join(words)}</pc></pc>"
    path.write_text(text.replace(unit, unit.replace(f">{target}</target>", f">{nested}</target>")), encoding="utf-8")
    result = import_xliff(out, path)
    assert [uid for uid, why in result.not_applied if "link inside a link" in why] == ["page.html:0"]
    assert not EditLog(out).read()


def test_a_session_reads_each_input_for_its_tags_once_while_it_stays_the_same(translated, monkeypatch):
    """The review page, each save and the export ask for the same documents' tags: read once,
    and again when the input changed."""
    import pipeline.documents.reader as reader
    from pipeline.review.session import ReviewSession, inline_tags

    folder, out = translated
    reads = []
    real = reader.read_file
    monkeypatch.setattr(reader, "read_file", lambda root, path, **kw: reads.append(path.name) or real(root, path, **kw))
    session = ReviewSession(out, memory=False)
    try:
        by_doc = {"page.html": [view for view in session.views() if view["doc"] == "page.html"]}
        first = inline_tags(session, by_doc)
        assert [tag.open for tag in first[("page.html", 0)]] == ["<b>"]
        assert inline_tags(session, by_doc) == first and reads == ["page.html"]
        page = folder / "page.html"
        page.write_text('<html><body><p>The talks went <i>well</i> in Paris.</p></body></html>', encoding="utf-8")
        assert [tag.open for tag in inline_tags(session, by_doc)[("page.html", 0)]] == ["<i>"]
        assert reads == ["page.html", "page.html"]
    finally:
        session.close()
