"""Site chrome found by repetition across a folder's articles (pipeline.documents.chrome),
and the boilerplate list matched by prefix."""

import argparse
import json

import pytest

from pipeline.batch.runner import run
from pipeline.cli.run import add_document_options, build_config
from pipeline.config import Config, with_overrides
from pipeline.documents.segmenter import segment_paragraphs
from pipeline.engines.testing import FunctionEngine

CHROME = ["Follow us on Facebook | Twitter | Email", "© 2024 Example News", "Բաժանորդագրվեք մեր լրահոսին"]


def config(**run):
    return with_overrides(Config(), model__id="function-engine", run__tgt="hy", run__progress="off", cache__memory=False,
                          **{f"run__{k}": v for k, v in run.items()})


def story(n):
    return "\n\n".join([CHROME[0], f"Story {n} happened in Yerevan on day {n}.", f"It was the {n}th time.",
                        CHROME[1], CHROME[2]]) + "\n"


def rows(out):
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


def test_lines_repeated_across_a_folder_are_dropped_without_config(tmp_path):
    folder = tmp_path / "in"
    (folder / "site").mkdir(parents=True)
    (folder / "pair").mkdir()
    for n in range(4):
        (folder / "site" / f"a{n}.txt").write_text(story(n), encoding="utf-8")
    for n in range(2):  # two articles sharing lines: not enough to call them chrome
        (folder / "pair" / f"b{n}.txt").write_text(story(n), encoding="utf-8")
    engine = FunctionEngine(pairs=[("en", "hy"), ("hy", "hy")])
    out = tmp_path / "out"
    result = run(folder, out, config(), engine=engine)
    assert result.manifest["chrome"] == {"site": {line: 4 for line in CHROME}}
    page = (out / "review.html").read_text(encoding="utf-8")
    assert page.count("Follow us on Facebook | Twitter | Email</td><td>4</td>") == 1  # listed once, with its count
    sent = [text for call in engine.calls for text in call]
    assert sum("Facebook" in text for text in sent) == 1 and sum("2024" in text for text in sent) == 1  # the pair's, once
    site = (out / "site" / "a0.txt").read_text(encoding="utf-8")
    assert "Facebook" not in site and "©" not in site and "Story 0" in site
    pair = (out / "pair" / "b0.txt").read_text(encoding="utf-8")
    assert "Facebook" in pair
    kinds = {(r["doc"].split("/")[0], r["source"]): r["kind"] for r in rows(out)}
    assert kinds[("site", CHROME[0])] == "boilerplate" and kinds[("pair", CHROME[0])] == "text"


def test_off_with_zero_and_a_story_line_repeated_in_few_articles_stays(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(9):  # a line in 3 of 9 articles is chrome; one in 2 of 9 is not
        lines = [f"Story {n}.", "Background line." if n < 2 else "", CHROME[0] if n < 3 else ""]
        (folder / f"a{n}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    out = run(folder, tmp_path / "out", config(), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
    assert out.manifest["chrome"] == {".": {CHROME[0]: 3}}
    off = run(folder, tmp_path / "off", config(chrome_min_docs=0), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
    assert "chrome" not in off.manifest


def test_the_boilerplate_list_matches_a_whole_line_or_a_prefix_before_a_separator():
    lines = {"Share | Facebook | Twitter | Email": "boilerplate", "Share: Facebook, Email": "boilerplate",
             "Print": "boilerplate", "print ·": "boilerplate", "Share prices fell sharply on Monday.": "text",
             "Share prices fell": "text", "Shareholders met": "text", "Print edition sold out": "text",
             'Share "the news"': "text", "Share | " + "word " * 12 + "end": "text"}
    paragraphs = [(line, "\n") for line in lines]
    kinds = [s.kind for s in segment_paragraphs("d", paragraphs, boilerplate=("Share", "Print"), repeats=False)]
    assert dict(zip(lines, kinds)) == lines


def _folder(root, count, shared, every=3):
    root.mkdir()
    for n in range(count):
        lines = [f"Story {n} happened on day {n}.", shared if n % every == 0 else "", CHROME[0]]
        (root / f"a{n}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def test_a_sentence_repeated_in_a_small_folder_stays_and_in_a_big_one_is_chrome(tmp_path):
    statement = "The ministry said the talks would resume next week."
    _folder(tmp_path / "small", 3, statement, every=1)  # the same real sentence in three stories of one event
    small = run(tmp_path / "small", tmp_path / "out-small", config(), engine=FunctionEngine(pairs=[("en", "hy")]),
                review=False)
    assert small.manifest["chrome"] == {".": {CHROME[0]: 3}}  # the short label is chrome, the sentence is not
    kinds = {r["source"]: r["kind"] for r in rows(tmp_path / "out-small")}
    assert kinds[statement] == "text"
    _folder(tmp_path / "big", 12, statement)  # in 4 of 12 articles (a third): a sentence-like footer of the site
    big = run(tmp_path / "big", tmp_path / "out-big", config(), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
    assert big.manifest["chrome"] == {".": {CHROME[0]: 12, statement: 4}}


def test_boilerplate_flag_adds_to_the_list():
    parser = argparse.ArgumentParser()
    add_document_options(parser)
    for name in ("config", "tgt", "model", "engine", "device", "beam_size", "max_length", "max_length_a", "max_length_b",
                 "base_url", "batch_tokens", "threads", "quantization", "cache_dir", "allow_pickle", "glossary", "terms",
                 "armenian_spelling"):
        parser.add_argument(f"--{name}", default=None)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(["--boilerplate", "Follow us on", "--boilerplate", "Հետևեք մեզ"])
    boilerplate = build_config(args).run.boilerplate
    assert boilerplate[-2:] == ("Follow us on", "Հետևեք մեզ") and "Share" in boilerplate


def test_a_run_made_before_html_and_chrome_settings_resumes_when_they_are_the_defaults(tmp_path):
    """settings.json of an older run has no [html] and no chrome_min_docs: read as the defaults."""
    from pipeline.errors import StateError
    from pipeline.layout import STATE_DIR

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Story one.\n", encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, config(), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
    path = out / STATE_DIR / "settings.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    del saved["settings"]["config"]["html"], saved["settings"]["config"]["run"]["chrome_min_docs"]
    path.write_text(json.dumps(saved), encoding="utf-8")
    again = run(folder, out, config(), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
    assert again.manifest["resume"] == {"files_reused": 1}
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(StateError, match="config.run.chrome_min_docs: 3 -> 5"):  # not the defaults: --force
        run(folder, out, config(chrome_min_docs=5), engine=FunctionEngine(pairs=[("en", "hy")]), review=False)
