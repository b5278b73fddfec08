"""A review server reachable from other machines: a one-time login link (shown on the console)
becomes an HttpOnly session cookie; without it every request is 401 and the page (with its
write token) is never sent. Tests listen on 127.0.0.1 only and force the login there."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from review_helpers import Served, make_run

pytest.importorskip("starlette")

from pipeline.review.server import LoginGate, host_names, needs_login  # noqa: E402


@pytest.fixture
def out(tmp_path):
    return make_run(tmp_path)


@pytest.mark.parametrize("host, login", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                         ("0.0.0.0", True), ("::", True), ("192.168.1.20", True)])
def test_a_login_is_needed_exactly_when_other_machines_can_reach_the_server(host, login):
    assert needs_login(host) is login


def test_the_host_check_lists_the_names_the_server_was_started_with():
    assert "*" not in host_names("0.0.0.0") and "attacker.example" not in host_names("0.0.0.0")
    assert "127.0.0.1" in host_names("0.0.0.0")
    assert host_names("192.168.1.20") == ("192.168.1.20",)
    assert set(host_names("127.0.0.1")) >= {"127.0.0.1", "localhost"}


def test_without_the_login_everything_is_401_and_the_page_never_holds_the_write_token(out):
    shown = []
    with Served(out, login=True, announce=shown.append) as served:
        token = served.server.config.app.state.token
        login_url = served.url
        assert "?login=" in login_url
        base = login_url.split("?")[0]
        with httpx.Client(follow_redirects=False, timeout=10) as anonymous:
            for method, path in [("GET", ""), ("GET", "api/segments"), ("POST", "api/edit"),
                                 ("POST", "api/concept"), ("GET", "nothing-here")]:
                answer = anonymous.request(method, base + path, content=b"{}",
                                           headers={"Content-Type": "application/json", "X-Targman-Token": token})
                assert answer.status_code == 401, (method, path)
                assert token not in answer.text and "targman-data" not in answer.text
            assert anonymous.get(base + "?login=wrong").status_code == 401
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            first = browser.get(login_url)
            assert first.status_code == 303 and first.headers["location"] == "/"
            cookie = first.headers["set-cookie"]
            port = base.rsplit(":", 1)[1].strip("/")
            assert cookie.startswith(f"targman_session_{port}=") and "HttpOnly" in cookie
            assert "samesite=lax" in cookie.lower()  # Lax: a link opened from a chat app still logs in
            page = browser.get(base)
            assert page.status_code == 200 and token in page.text  # logged in: the page and its token
            # the write token is still needed on top of the login
            no_token = browser.post(base + "api/edit", content=json.dumps({"doc": "a01.txt", "index": 0, "text": "x"}),
                                    headers={"Content-Type": "application/json"})
            assert no_token.status_code == 403
            edit = browser.post(base + "api/edit", content=json.dumps({"doc": "a01.txt", "index": 0, "text": "Edited."}),
                                headers={"Content-Type": "application/json", "X-Targman-Token": token})
            assert edit.status_code == 200 and edit.json()["text"] == "Edited."
        # the link works once; the console shows the next one, which works once too
        with httpx.Client(follow_redirects=False, timeout=10) as second:
            assert second.get(login_url).status_code == 401
            assert len(shown) == 1 and "next person logs in at" in shown[0]
            next_url = re.search(r"(http://\S+)", shown[0]).group(1)
            assert next_url != login_url and second.get(next_url).status_code == 303
            assert second.get(base).status_code == 200


def test_a_loopback_server_needs_no_login(out):
    with Served(out) as served:
        assert "?login=" not in served.url
        assert httpx.get(served.url, timeout=10).status_code == 200


def test_sessions_are_bounded():
    gate = LoginGate("http://h:1/")
    first = None
    for number in range(LoginGate.MAX_SESSIONS + 5):
        token = gate.url().split("login=")[1]
        session = gate.redeem(token)
        first = first or session
        assert gate.redeem(token) is None  # spent
    assert not gate.valid(first) and gate.valid(session) and not gate.valid(None) and not gate.valid("")
