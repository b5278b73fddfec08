"""A desk's first week (issue 26, items 3 and 4): the report and the editing page in a real
browser (Debian's Chromium, headless, through Playwright's `executable_path`), waiting on the
page's state, never on time. Servers are started and stopped by the tests, on 127.0.0.1.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette")
playwright_api = pytest.importorskip("playwright.sync_api")

from browser_helpers import CHROMIUM, NO_CHROMIUM, TIMEOUT_MS, open_review, select_text  # noqa: E402
from review_helpers import Served, make_run  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]  # a browser: seconds a test

# Enough paragraphs to scroll: every Armenian one has a glossary term the "translation" misses.
LONG = "\n\n".join(f"Լավրովը հանդիպեց Միրզոյանին {n} անգամ։" if n % 3 == 0 else f"Paragraph {n} is English."
                   for n in range(60)) + "\n"
WIRE = (json.dumps({"id": "a1", "text": "Լավրովը հանդիպեց Միրզոյանին։"}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "a2", "text": "Բաքուն լռեց։"}, ensure_ascii=False) + "\n")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 700})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()


def box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect();"
                                           " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }")


def below_toolbar(page, selector: str) -> bool:
    """The element is in the viewport and not under the sticky toolbar."""
    controls, element = box(page, "#controls"), box(page, selector)
    height = page.evaluate("window.innerHeight")
    return element["top"] >= controls["bottom"] - 1 and element["bottom"] <= height + 1


# -- item 3: the report --------------------------------------------------------------------------
def test_a_jump_lands_where_the_toolbar_does_not_cover_it(tmp_path, page):
    out = make_run(tmp_path, articles={"long.txt": LONG})
    page.goto((out / "review.html").as_uri())
    page.wait_for_selector("body[data-ready='yes']")
    flagged = page.eval_on_selector_all("tr.seg.flagged", "rows => rows.map(r => r.id)")
    assert len(flagged) >= 10
    for _ in range(6):  # "Next flagged", as the editor clicks it
        page.click("#next-flag")
        current = page.eval_on_selector("tr.current", "r => r.id")
        assert below_toolbar(page, f"#{current}"), current
    # a link to a row (the index's Flagged count, a row's own link) lands below the toolbar too
    page.evaluate("id => { location.hash = id; }", flagged[8])
    page.wait_for_function("id => location.hash === '#' + id", arg=flagged[8])
    page.wait_for_function("id => document.getElementById(id).getBoundingClientRect().top < window.innerHeight",
                           arg=flagged[8])
    assert below_toolbar(page, f"#{flagged[8]}")
    assert page.errors == []


def test_paragraph_and_segment_numbers_are_labelled(tmp_path, page):
    out = make_run(tmp_path, articles={"long.txt": LONG})
    page.goto((out / "review.html").as_uri())
    page.wait_for_selector("body[data-ready='yes']")
    head = page.locator("table.segs th").first
    assert "paragraph" in (head.get_attribute("title") or "") and "segment" in head.get_attribute("title")
    assert "¶" in head.inner_text()
    cell = page.locator("#s0-3 td.n")
    assert cell.get_attribute("title") == "paragraph 3, segment 3"


def test_a_jsonl_input_is_its_articles_with_their_status(tmp_path, page):
    out = make_run(tmp_path, articles={"wire.jsonl": WIRE, "a.txt": "Բաքվում հանդիպում էր։\n"})
    page.goto((out / "review.html").as_uri())
    page.wait_for_selector("body[data-ready='yes']")
    headings = page.eval_on_selector_all("section.doc h2", "hs => hs.map(h => h.textContent)")
    assert sorted(headings) == ["a.txt", "wire.jsonl#a1", "wire.jsonl#a2"]  # no empty card for the file
    assert page.locator("section.doc p.note", has_text="No segments").count() == 0
    assert "· 3 documents ·" in page.inner_text("header .meta")
    statuses = page.eval_on_selector_all("#docs-index tbody tr", "trs => trs.map(tr => [tr.cells[0].textContent,"
                                                                 " tr.cells[1].textContent])")
    assert sorted(statuses) == [["a.txt", "done"], ["wire.jsonl#a1", "done"], ["wire.jsonl#a2", "done"]]


def test_a_jsonl_article_that_failed_has_its_own_card(tmp_path, page):
    from pipeline.evaluation.report import write_review

    out = make_run(tmp_path, articles={"wire.jsonl": WIRE})
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    (out / "segments.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows
                                                if r["doc"] != "wire.jsonl#a2"), encoding="utf-8")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    run["files"]["wire.jsonl"].update(status="partial", failed_articles={"wire.jsonl#a2": "wire.jsonl:2: the engine failed"})
    (out / "run.json").write_text(json.dumps(run), encoding="utf-8")
    write_review(out)
    page.goto((out / "review.html").as_uri() + "#only-flagged")
    page.wait_for_selector("body[data-ready='yes']")
    statuses = dict(page.eval_on_selector_all("#docs-index tbody tr", "trs => trs.map(tr => [tr.cells[0].textContent,"
                                                                      " tr.cells[1].textContent])"))
    assert statuses == {"wire.jsonl#a1": "done", "wire.jsonl#a2": "failed"}
    failed = page.locator("section.doc", has=page.locator("h2", has_text="wire.jsonl#a2"))
    assert failed.is_visible() and "the engine failed" in failed.inner_text()  # "Only flagged" keeps it


def test_a_variant_note_in_a_hy_en_report_gives_the_english(tmp_path, page):
    out = make_run(tmp_path, articles={"a.txt": "Դոնալդ Թրամպը խոսեց։\n"})
    page.goto((out / "review.html").as_uri())
    page.wait_for_selector("body[data-ready='yes']")
    note = page.inner_text("#s0-0 .flag-note")
    assert "in en Donald Trump" in note


# -- item 4: the editing page --------------------------------------------------------------------
def test_double_click_to_edit_offers_no_term(tmp_path, page):
    out = make_run(tmp_path)
    with Served(out) as served:
        open_review(page, served.url)
        # the mouse's own double-click on a word of the translation: it selects the word too
        page.eval_on_selector("#s0-0 td.tgt", "cell => cell.scrollIntoView({block: 'center'})")  # panels above it
        word = page.eval_on_selector("#s0-0 td.tgt", """cell => {
            const node = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT).nextNode();
            const range = document.createRange();
            range.setStart(node, 3); range.setEnd(node, 6);
            const r = range.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2};
        }""")
        page.mouse.dblclick(word["x"], word["y"])
        page.wait_for_selector("#s0-0 td.tgt textarea")
        assert page.inner_text("#add-term") == "Add term from selection"
        assert not page.is_enabled("#add-term")
        assert page.evaluate("window.getSelection().toString()") == ""
        assert page.errors == []


def test_the_term_dialog_guesses_the_type_and_keeps_the_last_one(tmp_path, page):
    out = make_run(tmp_path)
    with Served(out) as served:
        open_review(page, served.url)
        select_text(page, "#s0-1 td.src", "խոսեցին")  # a lower-case word: a term, not a person
        page.click("#add-term")
        assert page.input_value("#term-dialog select[name='type']") == "term"
        page.click("#term-close")
        select_text(page, "#s2-2 td.src", "Երևան")
        page.click("#add-term")
        assert page.input_value("#term-dialog select[name='type']") == "person"  # a name, nothing used yet
        page.select_option("#term-dialog select[name='type']", "place")
        page.click("#term-close")
        select_text(page, "#s1-0 td.src", "Բաքվում")
        page.click("#add-term")
        assert page.input_value("#term-dialog select[name='type']") == "place"  # the last type used for a name
        # the dialog leaves the Editor field free
        dialog, who = box(page, "#term-dialog"), box(page, "#who")
        assert (dialog["top"] >= who["bottom"] or dialog["bottom"] <= who["top"]
                or dialog["left"] >= who["right"] or dialog["right"] <= who["left"])
        page.fill("#who", "Anna")  # and it can be typed in
        assert page.input_value("#who") == "Anna"
        assert page.errors == []


def test_an_edited_row_says_edited_until_it_is_marked_reviewed(tmp_path, page):
    out = make_run(tmp_path)
    with Served(out) as served:
        open_review(page, served.url)
        page.click("#s0-0 .edit-btn")
        page.locator("#s0-0 td.tgt textarea").fill("Lavrov met Mirzoyan.")
        page.click("#s0-0 .save-btn")
        page.wait_for_selector("#s0-0[data-state='reviewed']")
        assert page.inner_text("#s0-0 .state-badge").lower() == "edited"
        assert page.inner_text("#s0-0 .review-btn") == "Mark reviewed"
        page.click("#s0-0 .review-btn")
        page.wait_for_selector("#s0-0 .review-btn[aria-pressed='true']")
        assert page.inner_text("#s0-0 .state-badge").lower() == "reviewed"
        assert page.inner_text("#s0-0 .review-btn") == "Reviewed \u2713"
        page.reload()
        page.wait_for_selector("body[data-edit-ready='yes']")
        assert page.inner_text("#s0-0 .state-badge").lower() == "reviewed"
        assert page.errors == []
