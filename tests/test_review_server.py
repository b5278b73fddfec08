"""The review server's API and its security, in process (Starlette's test client, no browser)."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from review_helpers import make_run, rows  # noqa: E402

from pipeline.runfolder.edits import EditLog  # noqa: E402
from pipeline.runfolder.log import ReviewLog  # noqa: E402
from pipeline.review.server import MAX_BODY, create_app  # noqa: E402
from pipeline.review.session import ReviewSession  # noqa: E402
from pipeline.translation.memory import TranslationMemory  # noqa: E402

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def out(tmp_path):
    return make_run(tmp_path)


@pytest.fixture
def client(out):
    from starlette.testclient import TestClient

    session = ReviewSession(out)
    app = create_app(session, token="secret-token")
    with TestClient(app, base_url=BASE) as client:
        client.session = session
        yield client
    session.close()


def post(client, path, body, *, token="secret-token", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["X-Targman-Token"] = token
    return client.post(path, content=data, headers=sent)


def test_the_page_has_the_report_look_the_data_and_a_strict_policy(client, out):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<h1>Translation review</h1>' in html and 'id="only-flagged"' in html  # review.html's page
    assert 'id="targman-data"' in html and "secret-token" in html
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "connect-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert len(re.findall(r"'sha256-", csp)) == 2  # the report's script and the editing script, by hash
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"


def test_an_edit_is_kept_exactly_in_edits_jsonl_and_the_memory(client, out, private_cache):
    text = "  Lavrov met Mirzoyan — «exactly» this.  "
    answer = post(client, "/api/edit", {"doc": "a01.txt", "index": 0, "text": text, "who": "Anna"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] == text and answer.json()["state"] == "reviewed" and answer.json()["pending"]
    (edit,) = EditLog(out).read()
    assert (edit.doc, edit.index, edit.after, edit.via, edit.who) == ("a01.txt", 0, text, "review", "Anna")
    assert edit.before == "MT Լավրովը հանդիպեց Միրզոյանին։"
    with TranslationMemory.in_folder(private_cache) as memory:
        assert memory.lookup_human("hy", "en", [edit.source], [edit.context]) == [text]
    assert client.get("/api/segments").json()["segments"][0]["text"] == text
    row = re.search(r'<tr id="s0-0".*?</tr>', client.get("/").text, re.S).group(0)
    assert "untranslated" not in row and "term-missed" not in row  # the machine output's flags, not the edit's
    assert row.count('class="term ok"') == 4  # Lavrov and Mirzoyan, in the source and in the editor's text
    # the same text again changes nothing
    assert post(client, "/api/edit", {"doc": "a01.txt", "index": 0, "text": text}).status_code == 200
    assert len(EditLog(out).read()) == 1


def test_mark_reviewed_and_take_it_back(client, out):
    answer = post(client, "/api/review", {"doc": "news/a02.md", "index": 1, "reviewed": True})
    assert answer.json()["state"] == "reviewed" and answer.json()["reviewed"] is True
    assert post(client, "/api/review", {"doc": "news/a02.md", "index": 1, "reviewed": False}).json()["state"] == "translated"
    assert [e["reviewed"] for e in ReviewLog(out).read()] == [True, False]


def test_a_concept_is_linted_then_added_as_one_line(client, out, tmp_path):
    glossary = tmp_path / "desk.tsv"
    before = glossary.read_text(encoding="utf-8").splitlines()
    concept = {"type": "person", "en": "Ruben Rubinyan", "hy": "Ռուբեն Ռուբինյան", "note": "deputy speaker"}
    check = post(client, "/api/concept/check", {"concept": concept})
    assert check.status_code == 200 and check.json()["id"] == "ruben-rubinyan"
    assert glossary.read_text(encoding="utf-8").splitlines() == before  # checking writes nothing
    added = post(client, "/api/concept", {"concept": concept, "doc": "a01.txt", "index": 0, "who": "Anna"})
    assert added.status_code == 200, added.text
    after = glossary.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1 and [l for l in after if l not in before] == [added.json()["line"]]
    from pipeline.glossary.edit import fmt_bytes

    assert fmt_bytes(glossary.read_bytes(), "desk.tsv") == glossary.read_text(encoding="utf-8")  # canonical order
    assert ReviewLog(out).concepts()[0]["concept"] == "ruben-rubinyan"
    again = post(client, "/api/concept", {"concept": concept})
    assert again.status_code == 422 and "already exists" in " ".join(again.json()["problems"])
    bad = post(client, "/api/concept/check", {"concept": {"type": "person", "en": "Mirzoyan\u2069", "hy": "x"}})
    assert bad.status_code in (200, 422)  # invisible characters are cleaned or refused, never written raw


@pytest.mark.parametrize("headers, body, status", [
    ({"token": None}, {"doc": "a01.txt", "index": 0, "text": "x"}, 403),  # no token
    ({"token": "guess"}, {"doc": "a01.txt", "index": 0, "text": "x"}, 403),  # wrong token
    ({"Origin": "http://evil.example"}, {"doc": "a01.txt", "index": 0, "text": "x"}, 403),  # another origin
    ({"Content-Type": "text/plain"}, {"doc": "a01.txt", "index": 0, "text": "x"}, 415),  # a form post
    ({}, b"{not json", 400),
    ({}, b"\xff\xfe", 400),
    ({}, [1, 2], 400),
    ({}, {"doc": "a01.txt", "index": "0", "text": "x"}, 400),
    ({}, {"doc": "a01.txt", "index": True, "text": "x"}, 400),
    ({}, {"doc": "a01.txt", "index": 0, "text": 5}, 400),
    ({}, {"doc": "../../etc/passwd", "index": 0, "text": "x"}, 404),
    ({}, {"doc": "a01.txt", "index": 99, "text": "x"}, 404),
    ({}, {"doc": "a01.txt", "index": 2, "text": "x"}, 409),  # English: passed through, nothing to edit
    ({}, {"doc": "a01.txt", "index": 0, "text": "two\nlines"}, 422),
    ({}, {"doc": "a01.txt", "index": 0, "text": "   "}, 422),
    ({}, {"doc": "a01.txt", "index": 0, "text": "x" * 30_000}, 413),
    ({}, b'{"doc": "a01.txt", "index": 0, "text": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", 400),  # RecursionError
    ({}, {"doc": "a01.txt", "index": 0, "text": "Mirzoyan met \u202eevil\u202c Lavrov"}, 422),  # bidi override
    ({}, {"doc": "a01.txt", "index": 0, "text": "Mirzoyan\u2066 met Lavrov"}, 422),  # an isolate
])
def test_bad_writes_get_a_4xx_and_change_nothing(client, out, headers, body, status):
    headers = dict(headers)
    token = headers.pop("token", "secret-token")
    answer = post(client, "/api/edit", body, token=token, **headers)
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    assert not (out / "edits.jsonl").exists()


def test_depth_is_counted_outside_strings():
    from pipeline.review.server import MAX_DEPTH, json_depth

    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{\\"]]]"}]}') == 3
    assert json_depth(json.dumps({"x": [[[[]]]]}).encode()) == 5 <= MAX_DEPTH


def test_oversized_bodies_and_unknown_paths(client, out):
    big = json.dumps({"doc": "a01.txt", "index": 0, "text": "x" * (MAX_BODY + 10)})
    assert post(client, "/api/edit", big).status_code == 413
    for path in ("/../run.json", "/segments.jsonl", "/edits.jsonl", "/.targman/settings.json", "/etc/passwd",
                 "/api/edit/../../run.json", "/%2e%2e/%2e%2e/etc/passwd"):
        answer = client.get(path)
        assert answer.status_code in (404, 405), path
        assert "segments" not in answer.text and "root:" not in answer.text
    assert client.get("/api/edit").status_code == 405
    assert post(client, "/api/concept", {"concept": {"type": "alien", "en": "x"}}).status_code == 422
    assert post(client, "/api/concept", {"concept": {"type": "person", "xx": "x"}}).status_code == 400
    assert post(client, "/api/concept", {"concept": "nope"}).status_code == 400


def test_a_request_for_another_host_is_refused(client):
    from starlette.testclient import TestClient

    with TestClient(client.app, base_url="http://attacker.example:8765") as other:
        assert other.get("/").status_code == 400  # DNS rebinding: the page (and its token) is not served


def test_every_text_from_the_run_and_the_editor_is_escaped(client, out):
    payload = '</textarea><script>alert(1)</script><img src=x onerror=alert(2)>'
    assert post(client, "/api/edit", {"doc": "a01.txt", "index": 1, "text": payload, "who": "<b>x</b>"}).status_code == 200
    concept = {"type": "term", "en": "Evil <script>", "hy": "Չար"}
    post(client, "/api/concept", {"concept": concept, "id": "evil-term"})
    html = client.get("/").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text in the table
    island = re.search(r'<script type="application/json" id="targman-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in island and json.loads(island)["rows"]["s0-1"]["text"] == payload


def test_the_server_listens_on_loopback_by_default(out):
    import inspect

    from pipeline.cli import build_parser
    from pipeline.review.server import make_server, serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(make_server).parameters["host"].default == "127.0.0.1"
    review = build_parser()._subparsers._group_actions[0].choices["review"]
    assert next(a for a in review._actions if a.dest == "host").default == "127.0.0.1"
    server, sock, url, session = make_server(out, port=0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and url.startswith("http://127.0.0.1:")
    finally:
        sock.close()
        session.close()


def test_two_writers_never_interleave(out):
    """Two tabs (two sessions) saving at once: every edit is a whole line."""
    import threading

    sessions = [ReviewSession(out, memory=False) for _ in range(2)]
    texts = {0: [], 1: []}

    def write(n):
        for i in range(25):
            texts[n].append(f"tab {n} edit {i} " + "x" * 2000)
            sessions[n].edit("news/a02.md", n, texts[n][-1])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    edits = EditLog(out).read()
    assert len(edits) == 50 and {e.after for e in edits} == set(texts[0] + texts[1])
    assert rows(out)[4]["target"] == "MT Մոսկվա"  # the table is the run's until `apply`
