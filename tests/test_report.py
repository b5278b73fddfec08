"""The review report: files, escaping, scores, and the page in headless Chromium."""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
from pathlib import Path

import lxml.html
import pytest

from browser_helpers import CHROMIUM, NO_CHROMIUM

from pipeline import cli
from pipeline.errors import InputError
from pipeline.evaluation.report import render_html, write_review
from pipeline.runfolder.folder import RunFolder
from pipeline.evaluation.scoring import score_segments
from pipeline.segment import BOILERPLATE, DUPLICATE, Segment, TermHit
from pipeline.translation import qa

DATA = Path(__file__).parent / "data"
NTREX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ntrex"
_no_chromium = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


def needs_chromium(test):
    """A browser test: skipped without Chromium, and slow (seconds a test: out of the quick loop)."""
    return pytest.mark.slow(_no_chromium(test))


@pytest.fixture
def small_run(tmp_path):
    """7 segments in 2 documents plus a failed file; one article carries <script> and <img onerror>."""
    out = tmp_path / "out"
    shutil.copytree(DATA / "review", out)
    return out


def parse(html: str):
    import lxml.html

    return lxml.html.fromstring(html)


def dump_dom(browser, page: Path, fragment: str = "") -> tuple:
    """The page's DOM once its script has run (it sets `body[data-ready=yes]`) in headless
    Chromium, parsed, and the seconds it took. It waits on that state, not on a time budget,
    so a loaded machine makes it slower, never wrong."""
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    started = time.perf_counter()
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(url)
        tab.wait_for_selector("body[data-ready='yes']", state="attached", timeout=60_000)
        html = tab.content()
    finally:
        context.close()
    return parse(html), time.perf_counter() - started


def visible_rows(dom) -> list:
    return [
        row for row in dom.xpath("//tr[contains(@class, 'seg')]")
        if row.get("hidden") is None and row.xpath("ancestor::section")[0].get("hidden") is None
    ]


# --- files and content, no browser ------------------------------------------------------


def test_a_failed_render_leaves_the_last_report_whole(small_run, monkeypatch):
    import pipeline.evaluation.report as report

    before = write_review(small_run).read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError):
        write_review(small_run)
    assert (small_run / "review.html").read_bytes() == before
    assert not [p for p in small_run.iterdir() if p.name.startswith(".review")]


def test_write_review_writes_html_and_tsv(small_run):
    path = write_review(small_run)
    assert path == small_run / "review.html" and path.is_file()
    with open(small_run / "review.tsv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter="\t"))
    assert table[0][:6] == ["doc", "para", "index", "kind", "src_lang", "flags"]
    assert len(table) == 1 + 7
    evil = table[6]
    assert evil[0] == "evil.jsonl#7" and evil[5] == "length-ratio" and evil[9].startswith("Hackers wrote <script>")
    assert table[3][8] == "Mirzoian -> Միրզոյան [ok]; Lavrov -> Սերգեյ Լավրով [MISSED]"


def test_tsv_cells_that_look_like_formulas_are_quoted(small_run):
    rows, run = RunFolder(small_run).read()
    rows[1]["target"] = '=HYPERLINK("http://x", "click")'
    with open(small_run / "segments.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    write_review(small_run)
    with open(small_run / "review.tsv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter="\t"))
    assert table[2][10] == "'" + rows[1]["target"]


def test_all_text_is_escaped(small_run):
    html = write_review(small_run).read_text(encoding="utf-8")
    assert "<script>document" not in html and "<img src=x" not in html and "<b>" not in html
    assert html.count("<script>") == 1  # the page's own
    page = parse(html)
    source = page.xpath("//tr[@id='s1-0']/td[@class='src']")[0].text_content()
    assert "<script>document.title='PWNED'" in source and '& "laughed"' in source
    assert page.xpath("//tr[@id='s1-0']/td[@class='ref']")[0].text_content() == "<b>bold</b>"
    assert "not UTF-8 <b>at byte 3</b>" in page.xpath("//section[@id='d2']")[0].text_content()


def test_content_security_policy_allows_only_the_page_script(small_run):
    import base64
    import hashlib

    from pipeline.evaluation.report_assets import JS

    page = parse(write_review(small_run).read_text(encoding="utf-8"))
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    digest = base64.b64encode(hashlib.sha256(JS.encode()).digest()).decode()
    assert "default-src 'none'" in csp and f"script-src 'sha256-{digest}'" in csp
    assert page.xpath("//script")[0].text == JS


def test_layout_terms_and_languages(small_run):
    page = parse(write_review(small_run).read_text(encoding="utf-8"))
    # every segment is a row; paragraphs start rows; boilerplate and duplicates are grey
    rows = page.xpath("//tr[contains(@class, 'seg')]")
    assert [row.get("id") for row in rows] == ["s0-0", "s0-1", "s0-2", "s0-3", "s0-4", "s1-0", "s1-1"]
    assert [("grey" in row.get("class")) for row in rows] == [True, False, False, True, False, False, False]
    assert [("para-start" in row.get("class")) for row in rows] == [True, True, False, True, True, True, False]
    row = page.xpath("//tr[@id='s0-1']")[0]
    src, tgt, ref = (row.xpath(f"td[@class='{c}']")[0] for c in ("src", "tgt", "ref"))
    assert (src.get("lang"), tgt.get("lang"), ref.get("lang")) == ("en", "hy", "hy")
    assert [m.text for m in src.xpath("mark[contains(@class, 'ok')]")] == ["CSTO", "Ararat Mirzoyan"]
    assert [m.text for m in tgt.xpath("mark[contains(@class, 'ok')]")] == ["ՀԱՊԿ", "Արարատ Միրզոյան"]
    title = src.xpath("mark")[0].get("title")
    assert "csto (organisation)" in title and "Collective Security Treaty Organization" in title
    # a missed term: distinct colour in the source, "missing" in the translation
    missed = page.xpath("//tr[@id='s0-2']")[0]
    assert [m.text for m in missed.xpath("td[@class='src']/mark[contains(@class, 'miss')]")] == ["Lavrov"]
    assert missed.xpath("td[@class='tgt']/span[@class='missing']")[0].text == "missing: Սերգեյ Լավրով"
    # a forbidden form from run.json's glossary
    assert [m.text for m in missed.xpath("td[@class='tgt']/mark[contains(@class, 'forbidden')]")] == ["Լավրովին"]
    # a failed file is listed, with its error
    assert page.xpath("//section[@id='d2']//span[@class='status-failed']")
    # the reference column is there only when a document has references
    assert page.xpath("//section[@id='d0']//th[text()='Reference']")
    rows, run = RunFolder(small_run).read()
    no_refs = parse(render_html([{k: v for k, v in row.items() if k != "ref"} for row in rows], run))
    assert not no_refs.xpath("//th[text()='Reference']") and not no_refs.xpath("//td[@class='ref']")


def test_scores_shown_are_score_segments(small_run):
    rows, run = RunFolder(small_run).read()
    expected = score_segments(rows, "hy")
    page = parse(render_html(rows, run))
    corpus = {tr.xpath("th")[0].text: tr.xpath("td")[0].text_content() for tr in page.xpath("//table[@id='corpus-scores']//tr")}
    assert corpus["BLEU"] == f"{expected['corpus']['BLEU']['score']:.1f}"
    assert corpus["chrF++"] == f"{expected['corpus']['chrF++']['score']:.1f}"
    assert corpus["Terms"] == "75.0% (3/4)"
    assert corpus["Flagged"] == "2 of 7 segments"
    d0 = page.xpath("//section[@id='d0']")[0]
    assert d0.get("data-chrf") == str(expected["docs"]["csto.txt"]["chrF++"])
    assert page.xpath("//table[@id='corpus-scores']//td[@class='sig']")[0].text.startswith("nrefs:1|case:mixed")


def test_scores_from_run_json_are_used_when_present(small_run):
    rows, run = RunFolder(small_run).read()
    run["scores"] = {"corpus": {"BLEU": {"score": 12.345, "signature": "sig-from-run"}}, "docs": {"csto.txt": {"chrF++": 1.5}}}
    page = parse(render_html(rows, run))
    assert page.xpath("//table[@id='corpus-scores']//td[@class='sig']")[0].text == "sig-from-run"
    assert page.xpath("//section[@id='d0']")[0].get("data-chrf") == "1.5"


@pytest.mark.parametrize(
    "content,message",
    [
        (None, r"segments\.jsonl: no segments\.jsonl here"),
        ('{"doc": "a", "source": "x"}\n{"doc": \n', r"segments\.jsonl:2: not a JSON object"),
        ('{"doc": "a"}\n', r"segments\.jsonl:1: a segment row needs"),
    ],
)
def test_unreadable_runs_name_file_and_line(tmp_path, content, message):
    if content is not None:
        (tmp_path / "segments.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        write_review(tmp_path)


def test_review_command(small_run, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["pipeline.cli.score", "pipeline.cli.review"])
    assert cli.main(["review", str(small_run)]) == 0
    assert capsys.readouterr().out.strip() == str(small_run / "review.html")
    assert cli.main(["review", str(small_run / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


# --- a realistic run: many documents, qa flags from the real stage ------------------------


def sentence_pairs() -> list[tuple[str, str, str]]:
    """(doc id, English, Armenian) pairs: NTREX when the shared data is there, else the fixtures."""
    if NTREX.is_dir():
        read = lambda name: (NTREX / name).read_text(encoding="utf-8").splitlines()  # noqa: E731
        return list(zip(read("DOCUMENT_IDS.tsv"), read("newstest2019-src.eng.txt"), read("newstest2019-ref.hye.txt")))
    en = (DATA / "scoring" / "ref.en.txt").read_text(encoding="utf-8").splitlines()[:6]
    hy = (DATA / "scoring" / "ref.hy.txt").read_text(encoding="utf-8").splitlines()
    # Eight segments a document, so that some documents have no flag (as real ones do): the
    # index filters need both kinds, with or without ../shared.
    return [(f"doc{i // 8:03d}", en[i % 6], hy[i % 6]) for i in range(2000)]


GLOSSARY = {"Trump": "Թրամփ", "Kavanaugh": "Քավանո", "Liverpool": "Լիվերպուլ", "Moscow": "Մոսկվա", "Ararat": "Արարատ"}


def build_run(out: Path, segments: int, refs: bool = True) -> Path:
    """A run folder like `targman run` writes, en -> hy, with a human translation degraded as output."""
    pairs = sentence_pairs()
    rows, paras = [], {}
    for i in range(segments):
        doc, en, hy = pairs[i % len(pairs)]
        doc = f"{doc}.txt" if i < len(pairs) else f"{doc}-{i // len(pairs)}.txt"
        index = paras.setdefault(doc, [0, 0])
        kind = BOILERPLATE if index[1] == 0 and i % 7 == 0 else DUPLICATE if i % 97 == 5 else "text"
        target = hy
        if i % 13 == 3:
            target = " ".join(hy.split()[: max(1, len(hy.split()) // 3)])  # truncated
        elif i % 29 == 4:
            target = en  # untranslated
        elif i % 31 == 6:
            target = hy + " " + " ".join(hy.split()[-3:] * 3)  # looping
        terms = []
        for name, form in GLOSSARY.items():
            at = en.find(name)
            if at >= 0:
                terms.append(TermHit(name.lower(), name, form, honoured=form[:-1] in target, start=at, end=at + len(name)))
        segment = Segment(doc, index[0], index[1], en, src_lang="en", kind=kind, target=target if kind == "text" else "",
                          terms=terms, score=-0.3 - (i % 17) / 12)
        if i % 5 == 4:
            index[0] += 1
        index[1] += 1
        rows.append(segment)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "segments.jsonl", "w", encoding="utf-8") as handle:
        for segment, (doc, en, hy) in zip(qa.check(rows, "hy"), (pairs[i % len(pairs)] for i in range(segments))):
            row = segment.to_row()
            if refs and segment.kind == "text":
                row["ref"] = hy
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    docs = {row.doc: {"status": "done"} for row in rows}
    docs["scanned-letter.pdf"] = {"status": "skipped", "error": "not a text format"}
    glossary = {name.lower(): {"note": f"Desk spelling of {name}", "type": "name"} for name in GLOSSARY}
    run = {"config": {}, "model": {"id": "Helsinki-NLP/opus-mt-en-hy", "revision": "test"}, "versions": {},
           "files": docs, "timings": {}, "tgt": "hy", "glossary": glossary}
    (out / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    return out


@pytest.mark.slow
def test_realistic_run_renders(tmp_path):
    out = build_run(tmp_path / "out", 2000)
    html = write_review(out).read_text(encoding="utf-8")
    page = parse(html)
    assert len(page.xpath("//tr[contains(@class, 'seg')]")) == 2000
    flagged = page.xpath("//tr[contains(@class, 'flagged')]")
    assert 100 < len(flagged) < 1000
    names = {name for row in flagged for name in row.get("data-flag-names").split()}
    assert {"length-ratio", "untranslated", "repeated-ngrams", "low-confidence"} <= names
    assert len(html) < 4_000_000


@pytest.mark.slow
def test_ten_thousand_segments_do_not_explode(tmp_path):
    # A production run usually has no references: this measures the page, not sacrebleu's TER.
    out = build_run(tmp_path / "out", 10_000, refs=False)
    size = write_review(out).stat().st_size
    assert size < 20_000_000


# --- in the browser -------------------------------------------------------------------------


@pytest.mark.slow
@needs_chromium
def test_browser_shows_every_row_and_runs_no_injected_script(browser, small_run):
    dom, _ = dump_dom(browser, write_review(small_run))
    body = dom.xpath("//body")[0]
    assert body.get("data-ready") == "yes"  # the page's own script ran
    assert body.get("data-pwned") is None  # the article's did not (neither <script> nor onerror)
    assert dom.xpath("//title")[0].text == "Review: 3 documents, 7 segments"
    assert len(visible_rows(dom)) == 7 and body.get("data-visible-rows") == "7"
    assert dom.xpath("//tr[@id='s1-0']/td[@class='src']")[0].text_content().startswith("Hackers wrote <script>")
    assert not dom.xpath("//main//script") and not dom.xpath("//main//img")
    ok = dom.xpath("//tr[@id='s0-1']/td[@class='tgt']/mark[contains(@class, 'term')]")
    assert [m.text for m in ok] == ["ՀԱՊԿ", "Արարատ Միրզոյան"] and "ok" in ok[0].get("class")


@needs_chromium
def test_browser_filter_only_flagged(browser, small_run):
    dom, _ = dump_dom(browser, write_review(small_run), "only-flagged")
    assert [row.get("id") for row in visible_rows(dom)] == ["s0-2", "s1-0"]
    assert dom.xpath("//input[@id='only-flagged']")[0].get("checked") is None  # a property, not an attribute
    assert dom.xpath("//body")[0].get("data-visible-rows") == "2"
    assert dom.xpath("//span[@id='status']")[0].text == "Showing 2 of 7 segments"
    # A failed file has nothing flagged but needs a look: it stays (issue 17, item 10); a file with
    # nothing flagged that did not fail goes.
    assert dom.xpath("//section[@id='d2']")[0].get("hidden") is None
    assert "failed" in dom.xpath("//section[@id='d2']")[0].text_content()
    assert [r.get("hidden") is None for r in dom.xpath("//table[@id='docs-index']/tbody/tr")] == [True, True, True]


@needs_chromium
def test_browser_only_flagged_keeps_failed_and_skipped_files(browser, small_run):
    run = json.loads((small_run / "run.json").read_text(encoding="utf-8"))
    run["files"]["notes.pdf"] = {"status": "skipped", "reason": "unsupported file type '.pdf'"}
    run["files"]["quiet.txt"] = {"status": "done"}
    (small_run / "run.json").write_text(json.dumps(run), encoding="utf-8")
    with open(small_run / "segments.jsonl", "a", encoding="utf-8") as table:
        table.write(json.dumps({"doc": "quiet.txt", "para": 0, "index": 0, "src_lang": "en", "kind": "text",
                                "source": "Calm.", "target": "Calm.", "flags": [], "terms": []}) + "\n")
    dom, _ = dump_dom(browser, write_review(small_run), "only-flagged")
    shown = {s.xpath(".//h2/a")[0].text for s in dom.xpath("//main/section") if s.get("hidden") is None}
    assert shown == {"csto.txt", "evil.jsonl#7", "broken.html", "notes.pdf"}  # quiet.txt: nothing to look at
    listed = {r.xpath("td[1]")[0].text_content() for r in dom.xpath("//table[@id='docs-index']/tbody/tr")
              if r.get("hidden") is None}
    assert listed == shown


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize(
    "key,order",
    [("order", ["d0", "d1", "d2"]), ("chrf", ["d1", "d0", "d2"]), ("ter", ["d1", "d0", "d2"]), ("terms", ["d0", "d1", "d2"])],
)
def test_browser_sorts_documents_by_score(browser, small_run, key, order):
    dom, _ = dump_dom(browser, write_review(small_run), f"sort={key}")
    assert [s.get("id") for s in dom.xpath("//main/section")] == order
    assert [r.xpath("td/a")[0].get("href") for r in dom.xpath("//table[@id='docs-index']/tbody/tr")] == [f"#{d}" for d in order]


@pytest.mark.slow
@needs_chromium
def test_browser_realistic_run(browser, tmp_path):
    out = build_run(tmp_path / "out", 2000)
    dom, _ = dump_dom(browser, write_review(out), "only-flagged&sort=chrf")
    rows = dom.xpath("//tr[contains(@class, 'seg')]")
    assert len(rows) == 2000
    flagged = [row for row in rows if "flagged" in row.get("class")]
    assert len(visible_rows(dom)) == len(flagged) == int(dom.xpath("//body")[0].get("data-visible-rows"))
    chrf = [float(s.get("data-chrf")) for s in dom.xpath("//main/section[@data-chrf]")]
    assert chrf == sorted(chrf) and len(chrf) > 1


@pytest.mark.parametrize(
    "start,end,expected",
    [(4, 8, "CSTO"), (-1, -1, "CSTO"), (0, 3, "CSTO"), (5, 99, "CSTO")],  # exact, missing, stale, out of range
)
def test_source_term_offsets(start, end, expected):
    from pipeline.evaluation.report import _spans_in_source

    term = {"concept": "csto", "source": "CSTO", "target": "ՀԱՊԿ", "honoured": True, "start": start, "end": end}
    spans = _spans_in_source("The CSTO met.", [term])
    assert ["The CSTO met."[s:e] for s, e, _ in spans] == [expected]


# --- a large run: an index page and pages of documents ------------------------------------


def index_entries(dom) -> list:
    """A large run's index: every document as [sort keys, row HTML], from its JSON block."""
    return json.loads(dom.xpath("//script[@id='docs-data']")[0].text)


@pytest.fixture
def paged(monkeypatch):
    """Page thresholds small enough for a test run."""
    import pipeline.evaluation.report as report

    monkeypatch.setattr(report, "PAGED_SEGMENTS", 100)
    monkeypatch.setattr(report, "PAGE_SEGMENTS", 60)
    monkeypatch.setattr(report, "PAGE_DOCUMENTS", 4)
    return report


@pytest.mark.slow
def test_a_large_run_gets_an_index_and_pages_of_documents(tmp_path, paged):
    out = build_run(tmp_path / "out", 400)
    index = parse(write_review(out).read_text(encoding="utf-8"))
    assert not index.xpath("//tr[contains(@class, 'seg')]")  # the index holds documents, not segments
    entries = index_entries(index)  # every document travels as JSON; the first INDEX_PAGE as HTML too
    static = [lxml.html.tostring(tr, encoding="unicode") for tr in index.xpath("//table[@id='docs-index']/tbody/tr")]
    assert 0 < len(static) == min(len(entries), paged.INDEX_PAGE)
    assert [parse(html).xpath("//tr/td[1]")[0].text_content() for _, html in entries[:len(static)]] == [
        parse(html).xpath("//tr/td[1]")[0].text_content() for html in static]
    links = [a.get("href") for _, html in entries for a in parse(html).xpath("//tr/td[1]/a")]
    docs = [json.loads(line)["doc"] for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(links) == len(dict.fromkeys(docs))
    assert all(re.fullmatch(r"review/p\d{4}\.html#d\d+", link) for link in links)
    assert index.xpath("//span[@id='status']")[0].text == f"Showing {len(links) + 1} of {len(links) + 1} documents"
    pages = sorted((out / "review").glob("p*.html"))
    assert len(pages) == len({link.split("#")[0] for link in links}) > 1
    seen = []
    for k, page in enumerate(pages):
        dom = parse(page.read_text(encoding="utf-8"))
        rows = dom.xpath("//tr[contains(@class, 'seg')]")
        assert 0 < len(rows) <= 60 or len(dom.xpath("//main/section")) == 1
        seen += [s.get("id") for s in dom.xpath("//main/section")]
        assert dom.xpath("//nav[@class='pages']/a")[0].get("href") == "../review.html"
        assert bool(dom.xpath("//a[@id='next-page']")) == (k < len(pages) - 1)
    assert seen == [f"d{d}" for d in range(len(links))]  # every document once, in order
    for link in links:  # every link points at its document on its page
        page, anchor = link.split("#")
        assert parse((out / page).read_text(encoding="utf-8")).xpath(f"//section[@id='{anchor}']")
    with open(out / "review.tsv", encoding="utf-8-sig", newline="") as handle:
        assert sum(1 for _ in csv.reader(handle, delimiter="\t")) == 401
    paged.PAGED_SEGMENTS = 10_000  # the same folder, small again: one page, the old pages go
    write_review(out)
    assert not list((out / "review").glob("p*.html"))


@pytest.mark.slow
@needs_chromium
def test_browser_index_pages_through_every_document(browser, tmp_path, paged, monkeypatch):
    """The large index shows INDEX_PAGE documents at a time; next / previous walk the sorted,
    filtered list of all of them."""
    out = build_run(tmp_path / "out", 400)
    monkeypatch.setattr(paged, "INDEX_PAGE", 4)
    entries = index_entries(parse(write_review(out).read_text(encoding="utf-8")))
    assert len(entries) > 8

    def orders(tab) -> list[int]:
        return [int(o) for o in tab.eval_on_selector_all("#docs-index tbody tr", "rows => rows.map(r => r.dataset.order)")]

    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto((out / "review.html").resolve().as_uri())
        assert orders(tab) == [0, 1, 2, 3] and not tab.is_visible("#index-prev") and tab.is_visible("#index-next")
        tab.click("#index-next")
        assert orders(tab) == [4, 5, 6, 7] and tab.is_visible("#index-prev")
        assert tab.inner_text("#index-range") == f"documents 5–8 of {len(entries)}"
        tab.click("#index-prev")
        assert orders(tab) == [0, 1, 2, 3]
        tab.click("#index-next")
        tab.select_option("#sort", "flags")  # a new order starts again at its first page
        most = sorted(entries, key=lambda e: (-e[0]["flags"], e[0]["order"]))
        assert orders(tab) == [keys["order"] for keys, _ in most[:4]]
        tab.check("#only-flagged")
        listed = [keys for keys, _ in most if keys["flags"] or keys.get("status")]
        while tab.is_visible("#index-next"):  # to the last page of the filtered list
            tab.click("#index-next")
        last = (len(listed) - 1) // 4 * 4
        assert orders(tab) == [keys["order"] for keys in listed[last:]]
        assert tab.inner_text("#index-range") == f"documents {last + 1}–{len(listed)} of {len(listed)}"
    finally:
        context.close()


@pytest.mark.slow
@needs_chromium
def test_browser_index_filters_documents_and_a_page_works(browser, tmp_path, paged):
    out = build_run(tmp_path / "out", 400)
    dom, _ = dump_dom(browser, write_review(out), "only-flagged")
    assert dom.xpath("//body")[0].get("data-ready") == "yes"
    entries = index_entries(dom)
    shown = dom.xpath("//table[@id='docs-index']/tbody/tr")
    assert 0 < len(shown) < len(entries) and all(r.get("data-flags") != "0" or r.get("data-status") for r in shown)
    assert any(r.get("data-status") == "skipped" for r in shown)  # a skipped file stays listed
    flagged = [keys for keys, _ in entries if keys["flags"] or keys.get("status")]
    assert [int(r.get("data-order")) for r in shown] == [keys["order"] for keys in flagged][:paged.INDEX_PAGE]
    assert dom.xpath("//span[@id='status']")[0].text == f"Showing {len(flagged)} of {len(entries)} documents"
    dom, _ = dump_dom(browser, out / "review.html", "sort=flags")  # every document, most flagged first
    shown = dom.xpath("//table[@id='docs-index']/tbody/tr")
    assert len(shown) == min(paged.INDEX_PAGE, len(entries))
    counts = [int(r.get("data-flags")) for r in shown]
    assert counts == sorted(counts, reverse=True) and counts[0] == max(keys["flags"] for keys, _ in entries)
    page, _ = dump_dom(browser, out / "review" / "p0002.html", "only-flagged")
    assert page.xpath("//body")[0].get("data-ready") == "yes" and visible_rows(page)
    assert all("flagged" in row.get("class") for row in visible_rows(page))
