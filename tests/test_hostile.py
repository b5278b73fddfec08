"""Hostile input: every case has a clear outcome, and no case stops the run.

One run over a folder holding all the cases (the engine is loaded once), then
one row of the table per case: the file's status in run.json, the words its
reason must contain, and a check of what was (or was not) written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.batch.runner import Run
from pipeline.cli import main
from pipeline.config import Config, with_overrides
from pipeline.engines.testing import SpyEngine

MB = 1024 * 1024
DEEP = "/".join(["d"] * 40)
NON_LATIN = "Հոդված 1 — Երևան.txt"


def poison(number, texts):
    """A before_call hook: a segment containing POISON makes the engine raise."""
    if any("POISON" in t for t in texts):
        raise RuntimeError("the model cannot handle this segment")


def jsonl(*records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def build_cases(folder: Path, outside: Path) -> None:
    def put(rel, data):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    put("a.txt", "Լավրովը հանդիպեց Միրզոյանին։\n")
    put("empty.txt", b"")
    put("blank-lines.txt", "\n\n\n")
    with open(put("huge.txt", b""), "r+b") as handle:
        handle.truncate(50 * MB)  # 50 MB (sparse: refused by its size before a byte is read)
    put("long-line.txt", "Ա" * 1_000_000 + "\n")  # a 1 MB line without spaces
    put("long-word.txt", "Լավրովը " + "Ա" * 3000 + "։\n")  # within the limit: split to fit the model
    put("big.txt", "".join(
        f"Paragraph {i} says the committee met on Tuesday. It agreed on nothing.\n"
        + (f"Լավրովը հանդիպեց Միրզոյանին {i}։\n" if i % 200 == 0 else "")
        for i in range(6000)
    ))  # ~0.5 MB: a big article file that is read, segmented and translated for real
    put("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    put("nul-late.txt", ("Clean English text.\n" * 600).encode() + b"bad\x00byte\n")
    put("mixed-encoding.txt", "Լավրովը խոսեց։\n".encode() + "Café crème\n".encode("cp1252"))
    put("bom-utf8.txt", b"\xef\xbb\xbfOnly English here.\n")
    put("utf16.txt", "Only English.\r\nԼավրովը խոսեց։\r\n".encode("utf-16"))  # with its byte-order mark
    put("utf16-nobom.txt", "Only English.\n".encode("utf-16-le"))
    put("crlf.txt", b"One English line.\r\n" + "Լավրովը խոսեց։ Նա ասաց։\r\n".encode() + b"\r\nLast.\r\n")
    put(f"{DEEP}/deep.txt", "Լավրովը խոսեց։\n")
    put(NON_LATIN, "Լավրովը խոսեց։\n")
    put("with space.md", "# Վերնագիր\n\nEnglish.\n")
    put("rtl.txt", "Բարև\u200bաշխարհ, ասաց նա։ שלום עולם. \u202eevil\u202c text \u200d\u2066x\u2069.\n")
    put("poison.txt", "Լավրովը POISON հանդիպեց։\n")
    put("feed.jsonl", jsonl(
        {"id": "../../escaped", "text": "Լավրովը խոսեց։"},
        {"id": "a/../../../b", "text": "English only."},
    ))
    put("poison-feed.jsonl", jsonl(
        {"id": "good", "text": "Լավրովը խոսեց։"},
        {"id": "bad", "text": "Լավրովը POISON խոսեց։"},
        {"id": "also-good", "text": "Մոսկվան լռեց։"},
    ))
    put("nested.jsonl", b'{"id": 1, "text": "x", "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    put("surrogate.jsonl", b'{"id": 1, "text": "broken \\ud800 escape"}\n')
    put("segments.jsonl", jsonl({"id": 1, "text": "Its translation would overwrite the run's segment table."}))
    put("page.html", "<html><head><title>&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title></head><body><article>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;</p><p onclick=\"x()\">Լավրովը խոսեց։</p>"
        "</article></body></html>")
    put("notes.docx", b"PK\x03\x04")
    secret = outside / "secret.txt"
    secret.write_text("Secret outside the input folder.\n")
    (outside / "dir").mkdir()
    (outside / "dir" / "also-secret.txt").write_text("Secret.\n")
    os.symlink(secret, folder / "link-out.txt")
    os.symlink(outside / "dir", folder / "link-out-dir")
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    os.symlink(folder / "a.txt", folder / "alias.txt")
    os.symlink(folder / "sub", folder / "sub-alias")  # a folder link inside: reached by its real path
    put("sub/inner.txt", "English.\n")
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    with open(os.fsencode(folder) + b"/bad-\xff-name.txt", "wb") as handle:
        handle.write(b"Its name is not UTF-8.\n")


@pytest.fixture(scope="module")
def hostile(tiny_models, engines, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    folder, outside, out = root / "in", root / "outside", root / "out"
    folder.mkdir()
    outside.mkdir()
    build_cases(folder, outside)
    # a module fixture runs before the per-test private cache: give the run its own memory,
    # never ~/.cache/targman (which another checkout may have written with another schema)
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), run__tgt="en", run__progress="off",
                            cache__dir=str(root / "cache"))
    engine = SpyEngine(engines["hy-en"], before_call=poison)
    result = Run(folder, out, config, engine=engine).execute()
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"folder": folder, "outside": outside, "root": root, "out": out, "result": result,
            "manifest": manifest, "rows": rows, "errors": errors}


def text_of(out: Path, rel: str) -> str:
    return (out / rel).read_bytes().decode("utf-8")


def rows_of(h, doc: str) -> list[dict]:
    return [r for r in h["rows"] if r["doc"] == doc]


def check_empty(h):
    assert (h["out"] / "empty.txt").read_bytes() == b"" and not rows_of(h, "empty.txt")


def check_blank_lines(h):
    assert (h["out"] / "blank-lines.txt").read_bytes() == b"\n\n\n"


def check_not_written(rel):
    def check(h):
        assert not (h["out"] / rel).exists()
    return check


def check_long_word(h):
    (row,) = rows_of(h, "long-word.txt")
    assert "split" in row["flags"] and row["target"]


def check_big(h):
    rows = rows_of(h, "big.txt")
    assert len(rows) == 6000 * 2 + 30
    assert sum(1 for r in rows if r["src_lang"] == "hy" and r["target"] != r["source"]) == 30


def check_bom(h):
    assert (h["out"] / "bom-utf8.txt").read_bytes() == b"Only English here.\n"  # outputs are UTF-8 without a mark


def check_utf16(h):
    text = text_of(h["out"], "utf16.txt")  # written as UTF-8
    assert text.startswith("Only English.\r\n") and text.endswith("\r\n") and "Լավրովը" not in text


def check_crlf(h):
    data = (h["out"] / "crlf.txt").read_bytes()
    assert data.startswith(b"One English line.\r\n") and data.endswith(b"\r\n\r\nLast.\r\n")
    assert data.count(b"\r\n") == 4 and data.count(b"\n") == 4
    assert all("\r" not in r["source"] + r["target"] for r in rows_of(h, "crlf.txt"))


def check_deep(h):
    assert (h["out"] / DEEP / "deep.txt").is_file()


def check_named(rel):
    def check(h):
        assert (h["out"] / rel).is_file() and rows_of(h, rel)
    return check


def check_rtl(h):
    hy, *rest = rows_of(h, "rtl.txt")
    assert hy["source"] == "Բարև\u200bաշխարհ, ասաց նա։" and hy["target"] != hy["source"]
    # Hebrew and bidirectional controls are not the desk's languages: kept exactly, not translated
    assert " ".join(r["source"] for r in rest) == "שלום עולם. \u202eevil\u202c text \u200d\u2066x\u2069."
    assert all(r["target"] == r["source"] for r in rest)


def check_jsonl_ids(h):
    records = [json.loads(line) for line in text_of(h["out"], "feed.jsonl").splitlines()]
    assert [r["id"] for r in records] == ["../../escaped", "a/../../../b"]
    assert {r["doc"] for r in rows_of(h, "feed.jsonl#../../escaped")} == {"feed.jsonl#../../escaped"}
    created = {p.name for p in h["root"].rglob("*")} | {p.name for p in h["root"].parent.iterdir()}
    assert "escaped" not in created and "b" not in created


def check_poison_feed(h):
    entry = h["manifest"]["files"]["poison-feed.jsonl"]
    assert entry["articles"] == 2 and list(entry["failed_articles"]) == ["poison-feed.jsonl#bad"]
    records = [json.loads(line) for line in text_of(h["out"], "poison-feed.jsonl").splitlines()]
    assert [r["id"] for r in records] == ["good", "also-good"]
    assert {"file": "poison-feed.jsonl", "doc": "poison-feed.jsonl#bad",
            "error": "poison-feed.jsonl#bad: translation failed: RuntimeError: the model cannot handle this segment"} in h["errors"]
    assert not rows_of(h, "poison-feed.jsonl#bad") and rows_of(h, "poison-feed.jsonl#also-good")


def check_segment_table_intact(h):
    assert all(r["doc"] != "segments.jsonl#1" for r in h["rows"])  # the table was not overwritten


def check_html(h):
    # Translated in place: the page's own markup is kept as it was (its onclick too), and text
    # that spells markup stays text, escaped; no script is made of it.
    page = text_of(h["out"], "page.html")
    assert "<script>" not in page and page.count("onclick") == 1 and '<p onclick="x()">' in page
    assert "<title>&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>" in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\"</p>" in page


def check_outside_untouched(h):
    assert not (h["out"] / "link-out.txt").exists() and not (h["out"] / "link-out-dir").exists()
    assert all("Secret" not in r["source"] for r in h["rows"])


def check_alias(h):
    assert text_of(h["out"], "alias.txt") == text_of(h["out"], "a.txt")


def check_no_alias_folder(h):
    assert not (h["out"] / "sub-alias").exists() and (h["out"] / "sub" / "inner.txt").is_file()


CASES = [
    # (file, status, words its reason must contain, check of the outputs)
    ("a.txt", "done", None, check_named("a.txt")),
    ("empty.txt", "done", None, check_empty),
    ("blank-lines.txt", "done", None, check_blank_lines),
    ("huge.txt", "failed", "file too large (50.0 MB, more than [run] max_file_mb = 32): split it into smaller files, "
     "or raise [run] max_file_mb", check_not_written("huge.txt")),
    ("long-line.txt", "failed", "long-line.txt:1: a line of 1,000,000 characters (more than [run] max_line_chars = 50000)",
     check_not_written("long-line.txt")),
    ("long-word.txt", "done", None, check_long_word),
    ("big.txt", "done", None, check_big),
    ("binary.txt", "failed", "NUL byte at byte 8: looks like a binary file", check_not_written("binary.txt")),
    ("nul-late.txt", "failed", "nul-late.txt:601: NUL byte at byte 12003", check_not_written("nul-late.txt")),
    ("mixed-encoding.txt", "failed", "mixed-encoding.txt:2: not UTF-8 text (byte 0xe9", check_not_written("mixed-encoding.txt")),
    ("bom-utf8.txt", "done", None, check_bom),
    ("utf16.txt", "done", None, check_utf16),
    ("utf16-nobom.txt", "failed", "or UTF-16 without a byte-order mark", check_not_written("utf16-nobom.txt")),
    ("crlf.txt", "done", None, check_crlf),
    (f"{DEEP}/deep.txt", "done", None, check_deep),
    (NON_LATIN, "done", None, check_named(NON_LATIN)),
    ("with space.md", "done", None, check_named("with space.md")),
    ("rtl.txt", "done", None, check_rtl),
    ("poison.txt", "failed", "poison.txt: translation failed: RuntimeError: the model cannot handle this segment",
     check_not_written("poison.txt")),
    ("feed.jsonl", "done", None, check_jsonl_ids),
    ("poison-feed.jsonl", "partial", None, check_poison_feed),
    ("nested.jsonl", "failed", "nested.jsonl:1: JSON nested too deeply", check_not_written("nested.jsonl")),
    ("surrogate.jsonl", "failed", "surrogate.jsonl:1: invalid Unicode: unpaired surrogate U+D800", check_not_written("surrogate.jsonl")),
    ("segments.jsonl", "failed", "would overwrite the run's own segments.jsonl; rename the file", check_segment_table_intact),
    ("page.html", "done", None, check_html),
    ("notes.docx", "failed", "not a Word .docx file python-docx can open", check_not_written("notes.docx")),
    ("link-out.txt", "skipped", "symbolic link out of the input folder", check_outside_untouched),
    ("link-out-dir", "skipped", "symbolic link out of the input folder", check_outside_untouched),
    ("loop.txt", "skipped", "symbolic link loop", check_not_written("loop.txt")),
    ("alias.txt", "done", None, check_alias),
    ("sub/inner.txt", "done", None, check_no_alias_folder),
    ("pipe.txt", "skipped", "not a regular file", check_not_written("pipe.txt")),
    ("bad-\ufffd-name.txt", "failed", "file name is not valid UTF-8", None),
]


@pytest.mark.slow
@pytest.mark.parametrize("rel, status, reason, check", CASES, ids=[c[0][-30:] for c in CASES])
def test_hostile_case(hostile, rel, status, reason, check):
    entry = hostile["manifest"]["files"][rel]
    assert entry["status"] == status, entry
    if reason:
        assert reason in (entry.get("error") or entry.get("reason")), entry
    if status == "failed":
        assert {"file": rel, "error": entry["error"]} in hostile["errors"]
    if check:
        check(hostile)


def test_every_case_has_an_outcome_and_the_run_finished(hostile):
    manifest = hostile["manifest"]
    assert set(manifest["files"]) == {rel for rel, *_ in CASES}
    assert manifest["status"] == "completed_with_errors" and manifest["counts"]["pending"] == 0
    assert sorted(hostile["result"].failed) == sorted(rel for rel, status, *_ in CASES if status in ("failed", "partial"))
    # no temporary file is left anywhere in the output
    assert not [p for p in hostile["out"].rglob("*") if p.name.endswith(".targman-tmp")]


@pytest.mark.parametrize("where", ["same", "parent"])
def test_output_folder_that_is_or_holds_the_input_is_refused(tmp_path, capsys, where):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Hello.\n")
    out = folder if where == "same" else tmp_path
    assert main(["run", str(folder), "-o", str(out), "--tgt", "en", "--model", str(tmp_path)]) == 2
    assert "translations would overwrite articles" in capsys.readouterr().err
    assert not (out / ".targman").exists()


def test_limits_are_settings(tmp_path):
    from pipeline.documents.reader import read_file
    from pipeline.errors import InputError

    path = tmp_path / "a.txt"
    path.write_text("x" * 2000 + "\n", encoding="utf-8")
    assert read_file(tmp_path, path).articles[0].paragraphs[0][0] == "x" * 2000  # no limit by default in the library
    with pytest.raises(InputError, match=r"a\.txt:1: a line of 2,000 characters \(more than \[run\] max_line_chars = 1999\)"):
        read_file(tmp_path, path, max_line_chars=1999)
    with pytest.raises(InputError, match=r"file too large \(0\.0 MB, more than \[run\] max_file_mb = 0\)"):
        read_file(tmp_path, path, max_bytes=1000)
    config = with_overrides(Config(), run__max_file_mb=100, run__max_line_chars=0)
    assert (config.run.max_file_mb, config.run.max_line_chars) == (100, 0)
