"""XLIFF from outside: one hardened loader (safexml), strict-schema-valid 1.2 export without local
paths, and edited files that try to smuggle markup or break the reader end in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from review_helpers import make_run

from pipeline.runfolder.edits import EditLog
from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.review import xliff as xliff_module
from pipeline.review.xliff import export_xliff, import_xliff, read_xliff

SCHEMAS = Path(__file__).parent / "data" / "schemas"
XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"


@pytest.fixture
def out(tmp_path):
    return make_run(tmp_path)


def strict_schema():
    from lxml import etree

    text = (SCHEMAS / "xliff-core-1.2-strict.xsd").read_text(encoding="utf-8")
    text = text.replace('schemaLocation="http://www.w3.org/2001/xml.xsd"', f'schemaLocation="{(SCHEMAS / "xml.xsd").as_uri()}"')
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.fromstring(text.encode(), parser=parser, base_url=str(SCHEMAS) + "/"))


def test_xliff12_export_is_valid_against_the_strict_schema_and_holds_no_local_path(out, tmp_path):
    from lxml import etree

    schema = strict_schema()
    path = tmp_path / "run12.xlf"
    export_xliff(out, path, version="1.2")
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log.last_error
    text = path.read_text(encoding="utf-8")
    input_dir = str(tmp_path / "in")
    assert input_dir not in text and str(tmp_path) not in text and "prop-group" not in text
    path2 = tmp_path / "run21.xlf"
    export_xliff(out, path2)
    assert str(tmp_path) not in path2.read_text(encoding="utf-8")
    # the schema is not a rubber stamp: the old header (prop-group) fails it
    old = text.replace('<note from="targman" annotates="general">',
                       '<prop-group name="targman"><prop prop-type="run">x</prop></prop-group><note>', 1)
    assert not schema.validate(etree.fromstring(old.encode()))
    # the run id travels in the header note and is read back
    run_id = (out / ".targman" / "run-id").read_text().strip()
    assert read_xliff(path)[1]["run"].startswith(run_id + "/")  # RUN_ID/EXPORT_ID (what the export held: issue 23)


def test_an_export_made_before_the_strict_header_still_imports(out, tmp_path):
    path = tmp_path / "run12.xlf"
    export_xliff(out, path, version="1.2")
    run_id = read_xliff(path)[1]["run"]
    text = re.sub(r'<note from="targman" annotates="general">[^<]*</note>',
                  f'<prop-group name="targman"><prop prop-type="run">{run_id}</prop></prop-group>', path.read_text())
    path.write_text(text, encoding="utf-8")
    assert read_xliff(path)[1]["run"] == run_id
    assert import_xliff(out, path).unchanged == 6


def test_a_utf16_xliff_with_an_internal_entity_is_refused(out, tmp_path):
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    text = path.read_text(encoding="utf-8")
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE xliff [<!ENTITY e "Injected edit">]>')
    text = re.sub(r"(<target xml:space=\"preserve\">)[^<]*", r"\1&e;", text, count=1)
    hostile = tmp_path / "utf16.xlf"
    hostile.write_bytes(text.encode("utf-16"))
    assert b"<!DOCTYPE" not in hostile.read_bytes() and b"<\x00!\x00D\x00O\x00C" in hostile.read_bytes()
    with pytest.raises(InputError, match="DOCTYPE"):
        read_xliff(hostile)
    assert not (out / "edits.jsonl").exists()


def nested(out, tmp_path, inner: str) -> Path:
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    text = re.sub(r"(<target xml:space=\"preserve\">)[^<]*", lambda m: m.group(1) + inner, path.read_text(), count=1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("inner, message", [
    ("<pc id='p'>" * 3000 + "x" + "</pc>" * 3000, "nested too deeply"),
    ("<pc id='p'>" * 250 + "x" + "</pc>" * 250, "nested too deeply"),  # under libxml2's own limit, over ours
    ('A<cp hex="D800"/>B', "lone surrogate"),
    ('A<cp hex="110000"/>B', "not a character code"),
    ('A<cp hex="zz"/>B', "not a character code"),
])
def test_deep_nesting_and_code_points_that_are_not_characters_end_in_one_line(out, tmp_path, capsys, inner, message):
    path = nested(out, tmp_path, inner)
    with pytest.raises(InputError, match=message) as caught:
        read_xliff(path)
    assert str(caught.value).startswith(f"{path}:") and "\n" not in str(caught.value)
    assert main(["import", str(out), str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_duplicate_unit_ids_are_refused(out, tmp_path):
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    text = path.read_text(encoding="utf-8")
    first = re.search(r'<unit id="([^"]+)"', text).group(1)
    second = re.findall(r'<unit id="([^"]+)"', text)[1]
    path.write_text(text.replace(f'<unit id="{second}"', f'<unit id="{first}"'), encoding="utf-8")
    with pytest.raises(InputError, match=f"unit id '{re.escape(first)}' appears twice"):
        read_xliff(path)
    assert not (out / "edits.jsonl").exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(out, tmp_path, monkeypatch):
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    monkeypatch.setattr(xliff_module, "MAX_BYTES", 1024)
    with pytest.raises(InputError, match="over the 0 MB limit|MB limit"):
        read_xliff(path)


INJECTIONS = [
    # XLIFF 1.2 inline codes whose content is the original document's markup
    ('There was a meeting in <bpt id="1">&lt;a href="javascript:alert(1)"&gt;</bpt>Baku<ept id="1">&lt;/a&gt;</ept>.',
     "inline code (<bpt>, <ept>)"),
    ('There was a meeting in Baku.<ph id="1">&lt;img src=x onerror=alert(1)&gt;</ph>', "inline code (<ph>)"),
    ('There was a meeting in Baku.<x id="1"/>', "inline code (<x>)"),
    # the same markup as plain text
    ("There was a meeting in Baku. &lt;img src=x onerror=alert(1)&gt;", "adds markup"),
    ("There was a meeting in [Baku](javascript:alert(1)).", "adds markup"),
]


@pytest.mark.parametrize("target, why", INJECTIONS)
def test_markup_added_in_a_cat_tool_never_reaches_an_article(tmp_path, capsys, target, why):
    out = make_run(tmp_path)
    path = tmp_path / "run12.xlf"
    assert main(["export", str(out), "--format", "xliff12", "-o", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    unit = re.search(r'<trans-unit id="a03\.txt:0".*?</trans-unit>', text, re.S).group()
    edited = re.sub(r"(<target state=\"translated\">)[^<]*", lambda m: m.group(1) + target, unit)
    path.write_text(text.replace(unit, edited), encoding="utf-8")
    version, info, units = read_xliff(path)
    problem = next(u for u in units if u["id"] == "a03.txt:0")
    assert why in problem["problem"]
    assert main(["import", str(out), str(path)]) == 0
    err = capsys.readouterr().err
    assert "1 not applied" in err and why in err
    assert not EditLog(out).read()
    assert main(["apply", str(out)]) == 0
    for written in out.rglob("*"):
        if written.is_file() and written.suffix in (".txt", ".md", ".jsonl", ".html", ".json"):
            content = written.read_text(encoding="utf-8", errors="replace")
            assert "onerror" not in content and "javascript:" not in content, written
    segments = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert next(s for s in segments if s["doc"] == "a03.txt")["target"] == "MT Բաքվում հանդիպում էր։"


def test_text_inside_a_g_or_mrk_element_is_text(out, tmp_path):
    """Formatting a CAT tool wraps around words (1.2 `<g>`, 2.x `<pc>`) keeps the words and adds no markup."""
    path = tmp_path / "run12.xlf"
    export_xliff(out, path, version="1.2")
    text = path.read_text(encoding="utf-8")
    unit = re.search(r'<trans-unit id="a03\.txt:0".*?</trans-unit>', text, re.S).group()
    edited = re.sub(r"(<target state=\"translated\">)[^<]*",
                    lambda m: m.group(1) + 'There was a <g id="1">meeting</g> in <mrk mtype="x-q">Baku</mrk>.', unit)
    path.write_text(text.replace(unit, edited), encoding="utf-8")
    unit = next(u for u in read_xliff(path)[2] if u["id"] == "a03.txt:0")
    assert unit["target"] == "There was a meeting in Baku."
