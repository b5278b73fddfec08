"""What the browser tests share: Debian's Chromium, headless, driven by Playwright through
`executable_path` (Playwright's own browser download cannot work here), and the review page's
readiness and selection helpers. Tests wait on the page's state, never on time."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "chromium is not installed (apt-get install chromium)"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000


def launch(playwright):
    """Chromium, started by a `sync_playwright()` context."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=60_000)


def open_review(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-edit-ready='yes']")


def select_text(page, selector: str, text: str) -> None:
    """Select `text` inside the element, as a mouse drag would, and let the page see the mouseup."""
    page.eval_on_selector(selector, """(cell, text) => {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const at = node.data.indexOf(text);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + text.length);
                const selection = window.getSelection();
                selection.removeAllRanges(); selection.addRange(range);
                cell.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
                return;
            }
        }
        throw new Error("text not found: " + text);
    }""", text)


def new_page(browser):
    """A page that waits up to TIMEOUT_MS and lists the script errors it meets in `page.errors`."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page
