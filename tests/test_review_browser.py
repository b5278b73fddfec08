"""The review page in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser download cannot work here; it drives the system browser through
`executable_path`. Every server is started and stopped by the test, on 127.0.0.1.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("starlette")
playwright_api = pytest.importorskip("playwright.sync_api")

from browser_helpers import CHROMIUM, NO_CHROMIUM, TIMEOUT_MS, open_review, select_text  # noqa: E402
from review_helpers import Served, make_run, rows  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]  # a browser: seconds a test


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)  # a 4xx asked for
    page.errors = errors
    yield page
    context.close()




def test_edit_a_segment_add_a_term_reload_and_apply(tmp_path, page):
    out = make_run(tmp_path)
    glossary = tmp_path / "desk.tsv"
    with Served(out) as served:
        open_review(page, served.url)
        row = "#s0-0"
        page.fill("#who", "Anna")
        page.click(f"{row} .edit-btn")
        area = page.locator(f"{row} td.tgt textarea")
        area.fill("Lavrov met him.")
        # the terms of the segment are highlighted while editing: Lavrov is there, Mirzoyan is not
        assert page.get_attribute(f"{row} .edit-terms mark:text-is('Lavrov')", "data-present") == "yes"
        assert page.get_attribute(f"{row} .edit-terms mark:text-is('Mirzoyan')", "data-present") == "no"
        area.fill("Lavrov met Mirzoyan, the editor wrote.")
        assert page.get_attribute(f"{row} .edit-terms mark:text-is('Mirzoyan')", "data-present") == "yes"
        page.click(f"{row} .save-btn")
        page.wait_for_selector(f"{row}[data-state='reviewed']")
        assert page.inner_text(f"{row} td.tgt") == "Lavrov met Mirzoyan, the editor wrote."
        # mark another segment reviewed
        page.click("#s0-1 .review-btn")
        page.wait_for_selector("#s0-1[data-state='reviewed']")
        # a new person, from a selection in the source and one in the translation
        select_text(page, "#s2-2 td.src", "Երևան")
        page.eval_on_selector("#s2-2 td.tgt", "cell => { cell.textContent = 'MT He returns to Yerevan.'; }")
        select_text(page, "#s2-2 td.tgt", "Yerevan")
        assert page.is_enabled("#add-term")
        # Yerevan is in the glossary already: lint says so before anything is saved
        page.click("#add-term")
        assert page.input_value("#term-dialog input[name='hy']") == "Երևան"
        assert page.input_value("#term-dialog input[name='en']") == "Yerevan"
        page.select_option("#term-dialog select[name='type']", "place")
        page.click("#term-check")
        page.wait_for_selector("#term-result.bad")
        assert "already" in page.inner_text("#term-result")
        page.click("#term-close")
        select_text(page, "#s0-1 td.src", "խոսեցին")
        page.click("#add-term")
        page.select_option("#term-dialog select[name='type']", "term")
        page.fill("#term-dialog input[name='en']", "talked")
        page.fill("#term-dialog input[name='note']", "added in review")
        page.click("#term-check")
        page.wait_for_selector("#term-result.good")
        assert "talked" in page.inner_text("#term-result")
        page.click("#term-save")
        page.wait_for_selector("#concepts-added li[data-concept='talked']")
        # reload: both are still there
        page.reload()
        page.wait_for_selector("body[data-edit-ready='yes']")
        assert page.inner_text(f"{row} td.tgt").startswith("Lavrov met Mirzoyan, the editor wrote.")
        assert page.get_attribute(row, "data-state") == "reviewed"
        assert page.get_attribute("#s0-1", "data-state") == "reviewed"
        assert page.locator("#concepts-added li[data-concept='talked']").count() == 1
        assert page.locator("#s0-1 td.src mark.term", has_text="խոսեցին").count() == 1  # the new concept, highlighted
        assert "talked\tterm\ttalked" in glossary.read_text(encoding="utf-8")
        assert page.locator("#post-edit-hter").count() == 1
        assert page.errors == []
    # apply: the article shows the edit, and the static report too
    from pipeline.review.apply import apply_edits

    result = apply_edits(out)
    assert result.files == ["a01.txt"] and result.segments == 1
    assert (out / "a01.txt").read_text(encoding="utf-8").startswith("Lavrov met Mirzoyan, the editor wrote. MT Նրանք")
    assert rows(out)[0]["origin"] == "human"
    page.goto((out / "review.html").as_uri())
    page.wait_for_selector("body[data-ready='yes']")
    assert page.inner_text("#s0-0 td.tgt").startswith("Lavrov met Mirzoyan, the editor wrote.")
    if os.environ.get("TARGMAN_SCREENSHOT"):
        with Served(out) as served:
            open_review(page, served.url)
            page.click("#s2-1 .edit-btn")
            page.screenshot(path=os.environ["TARGMAN_SCREENSHOT"], full_page=False)


def test_a_script_injection_in_an_edit_stays_text(tmp_path, page):
    out = make_run(tmp_path)
    payload = "<img src=x onerror=\"window.__pwned = 1\"><script>window.__pwned = 2</script>\"'</td></tr>&amp;"
    with Served(out) as served:
        open_review(page, served.url)
        page.click("#s0-1 .edit-btn")
        page.locator("#s0-1 td.tgt textarea").fill(payload)
        page.click("#s0-1 .save-btn")
        page.wait_for_selector("#s0-1[data-state='reviewed']")
        for _ in range(2):  # as saved, and as the server renders it after a reload
            assert page.inner_text("#s0-1 td.tgt").split("\n")[0] == payload  # (then "missing: CSTO")
            assert page.locator("#s0-1 td.tgt img, #s0-1 td.tgt script").count() == 0
            assert page.evaluate("window.__pwned") is None
            page.reload()
            page.wait_for_selector("body[data-edit-ready='yes']")
        assert page.errors == []
    (edit,) = __import__("pipeline.runfolder.edits", fromlist=["EditLog"]).EditLog(out).read()
    assert edit.after == payload  # kept exactly


def test_two_tabs_save_one_segment_and_the_second_sees_both_texts(tmp_path, browser):
    out = make_run(tmp_path)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    first, second = context.new_page(), context.new_page()
    try:
        with Served(out) as served:
            for tab in (first, second):
                tab.set_default_timeout(TIMEOUT_MS)
                open_review(tab, served.url)
            row = "#s1-0"  # a03.txt
            for tab, text in ((first, "There was a meeting in Baku."), (second, "Baku hosted a meeting.")):
                tab.click(f"{row} .edit-btn")
                tab.locator(f"{row} td.tgt textarea").fill(text)
            first.click(f"{row} .save-btn")
            first.wait_for_selector(f"{row}[data-state='reviewed']")
            second.click(f"{row} .save-btn")
            second.wait_for_selector(f"{row} .editor.conflict")
            assert second.inner_text(f"{row} .conflict-current") == "Now: There was a meeting in Baku."
            assert second.inner_text(f"{row} .conflict-theirs") == "Yours (not saved): Baku hosted a meeting."
            assert "Not saved" in second.inner_text("#edit-status")
            if os.environ.get("TARGMAN_SCREENSHOT_CONFLICT"):
                second.screenshot(path=os.environ["TARGMAN_SCREENSHOT_CONFLICT"], full_page=False)
            # having seen both, the second editor saves again: now on the current text, taken
            second.click(f"{row} .save-btn")
            second.wait_for_selector(f"{row}[data-state='reviewed'] td.tgt:not(:has(textarea))")
            assert second.inner_text(f"{row} td.tgt") == "Baku hosted a meeting."
            # the first tab learns of it (every 15 s, on focus, or now)
            first.evaluate("window.targmanRefresh()")
            first.wait_for_function(f"document.querySelector('{row} td.tgt').textContent === 'Baku hosted a meeting.'")
    finally:
        context.close()
    from pipeline.runfolder.edits import EditLog

    assert [e.after for e in EditLog(out).read()] == ["There was a meeting in Baku.", "Baku hosted a meeting."]
    assert [e.after for e in EditLog(out).conflicts()] == ["Baku hosted a meeting."]
