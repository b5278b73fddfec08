"""The review page's tag chips in a real browser (Debian's Chromium through Playwright): a sentence
with inline markup is edited with its tags as chips that cannot be typed into; moving a chip and
saving keeps its place, and `apply` puts the markup there (review.assets, Segment.markup)."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
playwright_api = pytest.importorskip("playwright.sync_api")

from browser_helpers import CHROMIUM, NO_CHROMIUM, launch, new_page, open_review
from review_helpers import Served

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]  # a browser: seconds a test

LETTERS = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "աբգդեզէըթժիլխծկհձղճմյնշոչպ" "ԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊ")
SOURCE = "The talks went well in Paris."
WORDS = [word.translate(LETTERS) for word in SOURCE.split()]


def word_for_word(text, src, tgt):
    return " ".join(word.translate(LETTERS) for word in text.split())


def chips_and_text(page, field: str) -> list[str]:
    """The field as the editor sees it: its text pieces and, in brackets, its chips."""
    return page.eval_on_selector(field, """box => Array.from(box.childNodes).map(node =>
        node.nodeType === 3 ? node.data : "[" + node.textContent + "]").filter(piece => piece !== "")""")


def test_tags_are_chips_that_move_by_a_word_and_keep_their_place_when_saved(tmp_path):
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine
    from pipeline.review.apply import apply_edits
    from pipeline.runfolder.edits import EditLog

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text("<html><body><p>The <b>talks</b> went well in Paris.</p><p>Done.</p></body></html>",
                                      encoding="utf-8")
    out = tmp_path / "out"
    with Translator.from_config(engine=FunctionEngine(word_for_word, pairs=[("en", "hy")]), tgt="hy", cache=False) as t:
        run(folder, out, translator=t, progress="off", review=False)
    with playwright_api.sync_playwright() as p, Served(out) as served:
        browser = launch(p)
        page = new_page(browser)
        open_review(page, served.url)
        rows = page.evaluate("JSON.parse(document.getElementById('targman-data').textContent).rows")
        row = "#" + next(dom for dom, info in rows.items() if info["index"] == 0)
        plain = "#" + next(dom for dom, info in rows.items() if info["index"] == 1)
        assert rows[row[1:]]["codes"] == [{"open": "<b>", "close": "</b>"}] and "codes" not in rows[plain[1:]]
        page.click(f"{row} .edit-btn")
        field = f"{row} .chip-edit"
        page.wait_for_selector(field)
        assert chips_and_text(page, field) == [f"{WORDS[0]} ", "[<b>]", WORDS[1], "[</b>]", " " + " ".join(WORDS[2:])]
        assert page.get_attribute(f"{field} .chip-open", "contenteditable") == "false"
        # the bold moves from the second word onto the third and fourth
        page.focus(f"{field} .chip-close")
        page.keyboard.press("Alt+ArrowRight")
        page.keyboard.press("Alt+ArrowRight")
        page.focus(f"{field} .chip-open")
        page.keyboard.press("Alt+ArrowRight")
        page.wait_for_function("""([field, word]) => {
            const open = document.querySelector(field + " .chip-open");
            return open.nextSibling && open.nextSibling.data && open.nextSibling.data.startsWith(word);
        }""", arg=[field, WORDS[2]])
        # and the editor types a word in front of the sentence
        page.eval_on_selector(field, """box => {
            box.focus();
            const range = document.createRange();
            range.setStart(box.firstChild, 0); range.collapse(true);
            const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
        }""")
        page.keyboard.type("Այսօր ")
        expected = [f"Այսօր {WORDS[0]} {WORDS[1]} ", "[<b>]", f"{WORDS[2]} {WORDS[3]}", "[</b>]", f" {WORDS[4]} {WORDS[5]}"]
        assert chips_and_text(page, field) == expected
        page.click(f"{row} .save-btn")
        page.wait_for_selector(f"{row}[data-state='reviewed']")
        # a page that is loaded again shows the chips where they were saved
        open_review(page, served.url)
        page.click(f"{row} .edit-btn")
        page.wait_for_selector(field)
        assert chips_and_text(page, field) == expected
        # a sentence without markup is still a plain text field
        page.click(f"{plain} .edit-btn")
        page.wait_for_selector(f"{plain} td.tgt textarea")
        assert not page.errors, page.errors
        browser.close()
    [edit] = EditLog(out).read()
    assert edit.after == "Այսօր " + " ".join(WORDS) and edit.markup
    apply_edits(out)
    html = (out / "page.html").read_text(encoding="utf-8")
    assert f"<p>Այսօր {WORDS[0]} {WORDS[1]} <b>{WORDS[2]} {WORDS[3]}</b> {WORDS[4]} {WORDS[5]}</p>" in html, html
