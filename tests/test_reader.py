import json
import os

import pytest

from pipeline.config import HtmlConfig
from pipeline.documents.reader import discover, read_file
from pipeline.errors import InputError


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_text_paragraphs_keep_layout(tmp_path):
    f = write(tmp_path / "a.txt", "\n\nFirst line.\nSecond line.\n\n\nThird.\n")
    article = read_file(tmp_path, f).articles[0]
    assert article.head == "\n\n"
    assert [(t, s) for t, s, _ in article.paragraphs] == [("First line.", "\n"), ("Second line.", "\n\n\n"), ("Third.", "\n")]


def test_bom_and_crlf(tmp_path):
    f = write(tmp_path / "a.txt", b"\xef\xbb\xbfOne.\r\nTwo.\r\n")
    article = read_file(tmp_path, f).articles[0]
    assert [t for t, _, _ in article.paragraphs] == ["One.\r", "Two.\r"]


def test_html_takes_article_text_not_markup(tmp_path):
    page = """<html><head><title>CSTO &amp; monitors</title><script>var x = "<p>no</p>";</script></head>
    <body><nav><p>Menu</p></nav><article><h1>Headline</h1><p>First <b>bold</b> paragraph.</p>
    <ul><li>Item one</li></ul><aside><p>Related</p></aside></article><footer><p>(c)</p></footer></body></html>"""
    article = read_file(tmp_path, write(tmp_path / "p.html", page), html=HtmlConfig(output="article")).articles[0]
    assert [(t, m["tag"]) for t, _, m in article.paragraphs] == [
        ("CSTO & monitors", "title"), ("Headline", "h1"), ("First bold paragraph.", "p"), ("Item one", "li"),
    ]
    # in place (the default): the aside is the article's too; the page's nav and footer are kept, not read
    article = read_file(tmp_path, tmp_path / "p.html").articles[0]
    assert [(t, m["tag"]) for t, _, m in article.paragraphs] == [
        ("CSTO & monitors", "title"), ("Headline", "h1"), ("First bold paragraph.", "p"), ("Item one", "li"),
        ("Related", "p"),
    ]


def test_jsonl_articles(tmp_path):
    lines = [{"id": 1, "text": "Hello.\n\nWorld.", "ref": "Բարև։"}, {"id": "b", "text": "Second.", "extra": 5}]
    f = write(tmp_path / "x.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    file = read_file(tmp_path, f)
    assert [a.doc for a in file.articles] == ["x.jsonl#1", "x.jsonl#b"]
    assert file.articles[0].ref == "Բարև։"
    assert file.articles[1].record["extra"] == 5


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("bad.txt", b"ok line\n\xff\xfe broken", "bad.txt:2: not UTF-8"),
        ("bin.txt", b"\x00\x01\x02\x00", "binary"),
        ("bad.jsonl", b'{"id": 1, "text": "a"}\n{oops\n', "bad.jsonl:2: not valid JSON"),
        ("nofield.jsonl", b'{"id": 1}\n', "nofield.jsonl:1:"),
        ("dup.jsonl", b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "duplicate id"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, name, data, message):
    with pytest.raises(InputError) as error:
        read_file(tmp_path, write(tmp_path / name, data))
    assert message in str(error.value)


def test_discover_skips_and_reports(tmp_path):
    write(tmp_path / "b.txt", "x")
    write(tmp_path / "sub" / "deep" / "a.md", "x")
    write(tmp_path / "a.txt.ref.txt", "ref")  # not a reference of anything that exists: skipped, and said so
    write(tmp_path / "a.ref.txt", "reference")
    write(tmp_path / "a.txt", "article")
    write(tmp_path / "photo.jpg", b"\xff\xd8")
    write(tmp_path / ".hidden.txt", "x")
    write(tmp_path / "out" / "old.txt", "x")
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside.txt", "secret")
    os.symlink(outside, tmp_path / "link.txt")
    found = {p.relative_to(tmp_path).as_posix(): why for p, why in discover(tmp_path, exclude=tmp_path / "out")}
    assert found == {
        "a.txt": None,
        "a.txt.ref.txt": "a reference translation without its article: a.txt.txt is not here "
                         "(NAME.ref.EXT is the reference of NAME.EXT)",  # listed, never translated
        "b.txt": None,
        "link.txt": "symbolic link out of the input folder",
        "photo.jpg": "unsupported file type '.jpg'; targman reads .docx, .htm, .html, .jsonl, .markdown, .md, .txt",
        "sub/deep/a.md": None,
    }


def test_reference_sibling_is_attached(tmp_path):
    write(tmp_path / "a.ref.txt", "Բարև։")
    article = read_file(tmp_path, write(tmp_path / "a.txt", "Hello.")).articles[0]
    assert article.ref == "Բարև։"
