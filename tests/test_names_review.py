"""The review server's "New names" panel: listed, accepted through the add-concept path, ignored."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from review_helpers import make_run  # noqa: E402
from test_names import DRIFT, HY_ARTICLES, drifting  # noqa: E402

from pipeline.glossary import load  # noqa: E402
from pipeline.names.suggest import suggestions  # noqa: E402
from pipeline.runfolder.log import ReviewLog  # noqa: E402
from pipeline.review.server import create_app  # noqa: E402
from pipeline.review.session import ReviewSession  # noqa: E402

TOKEN = "secret-token"


@pytest.fixture
def served(tmp_path):
    from starlette.testclient import TestClient

    out = make_run(tmp_path, articles=HY_ARTICLES, engine=drifting(DRIFT))
    session = ReviewSession(out)
    with TestClient(create_app(session, token=TOKEN), base_url="http://127.0.0.1:8765") as client:
        yield client, out, tmp_path / "desk.tsv"
    session.close()


def post(client, path, body, token=TOKEN):
    return client.post(path, content=json.dumps(body),
                       headers={"Content-Type": "application/json", "X-Targman-Token": token})


def test_the_panel_lists_the_new_names_only(served):
    client, out, _ = served
    page = client.get("/").text
    assert 'id="names-panel"' in page
    assert 'data-lemma="Ծառուկյան"' in page and 'value="Tsarukyan"' in page
    assert 'data-lemma="Փաշինյան"' not in page  # the desk glossary has him


def test_accept_adds_the_concept_and_remembers_the_spelling_ignore_hides(served):
    client, out, glossary = served
    concept = {"type": "person", "en": "Tsarukian", "hy": "Ծառուկյան", "note": "new in the run"}
    assert post(client, "/api/concept", {"concept": concept}).status_code == 200
    answer = post(client, "/api/names", {"lemma": "Ծառուկյան", "tgt": "en", "action": "accept", "spelling": "Tsarukian"})
    assert answer.status_code == 200 and answer.json()["action"] == "accept"
    assert load(glossary).concepts["tsarukian"].preferred("en").text == "Tsarukian"
    assert post(client, "/api/names", {"lemma": "Խաչատրյան", "tgt": "en", "action": "ignore"}).status_code == 200
    assert [e["action"] for e in ReviewLog(out).read() if e["event"] == "name"] == ["accept", "ignore"]
    assert {s.hy for s in suggestions(out)} & {"Ծառուկյան", "Խաչատրյան"} == set()
    page = client.get("/").text
    assert 'data-lemma="Խաչատրյան"' not in page and 'data-lemma="Ծառուկյան"' not in page


@pytest.mark.parametrize("body, status", [
    ({"lemma": "", "tgt": "en", "action": "ignore"}, 400),
    ({"lemma": "Ծառուկյան", "tgt": "hy", "action": "ignore"}, 400),
    ({"lemma": "Ծառուկյան", "tgt": "en", "action": "delete"}, 400),
    ({"lemma": "Ծառուկյան", "tgt": "en", "action": "accept"}, 400),  # no spelling
    ({"lemma": "Ծառուկյան", "tgt": "en", "action": "spell", "spelling": "a\tb"}, 400),
])
def test_bad_requests_are_refused(served, body, status):
    client, out, _ = served
    assert post(client, "/api/names", body).status_code == status
    assert post(client, "/api/names", {"lemma": "x", "tgt": "en", "action": "ignore"}, token="guess").status_code == 403
    assert not [e for e in ReviewLog(out).read() if e["event"] == "name"]


@pytest.mark.slow
def test_the_panel_in_a_browser(tmp_path):
    """Accept with a changed spelling and Ignore, clicked in Chromium: the glossary and the log."""

    playwright_api = pytest.importorskip("playwright.sync_api")
    from browser_helpers import CHROMIUM, NO_CHROMIUM, TIMEOUT_MS, launch, open_review
    from review_helpers import Served

    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)

    out = make_run(tmp_path, articles=HY_ARTICLES, engine=drifting(DRIFT))
    with Served(out) as served, playwright_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            open_review(page, served.url)
            row = page.locator('tr.new-name[data-lemma="Ծառուկյան"]')
            row.locator(".name-spelling").fill("Tsarukian")
            row.locator(".name-accept").click()
            row.wait_for(state="detached")
            page.locator('tr.new-name[data-lemma="Խաչատրյան"] .name-ignore').click()
            page.locator('tr.new-name[data-lemma="Խաչատրյան"]').wait_for(state="detached")
            assert errors == []
        finally:
            browser.close()
    assert load(tmp_path / "desk.tsv").concepts["tsarukian"].preferred("hy").text == "Ծառուկյան"
    events = [(e["lemma"], e["action"], e["spelling"]) for e in ReviewLog(out).read() if e["event"] == "name"]
    assert events == [("Ծառուկյան", "accept", "Tsarukian"), ("Խաչատրյան", "ignore", None)]
