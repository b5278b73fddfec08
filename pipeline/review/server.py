"""`targman review OUT_DIR --serve`: the review page, editable, on a small local server.

A Starlette app served by uvicorn (the optional extra `targman[review]`). The page is
`review.html` (the same renderer, so the same data and look) with the editors' work laid
over it and an editing script; every write goes through `ReviewSession`.

    GET  /                     the page
    GET  /api/segments         every segment: current text, machine text, state (JSON)
    POST /api/edit             {"doc", "index", "text", "who"?}         a post-edit
    POST /api/review           {"doc", "index", "reviewed", "who"?}     mark reviewed (or not)
    POST /api/concept/check    {"concept": {...}, "id"?}                lint the new glossary line
    POST /api/concept          {"concept": {...}, "id"?, "doc"?, "index"?, "who"?}   add it
    POST /api/names            {"lemma", "tgt", "action", "spelling"?}  the "New names" panel (review.names_panel)

Security of a server on a desk's machine:
- it listens on 127.0.0.1 unless told otherwise, and answers only requests whose Host is
  the address it serves (no DNS rebinding);
- every POST needs the session's token (made at start, in the page only) in the
  `X-Targman-Token` header, a JSON body, and an Origin (when the browser sends one) equal
  to the server's: another page in the browser can neither read the token nor send such a
  request without a CORS preflight, which is never granted;
- bodies over `MAX_BODY` bytes get 413, bodies that are not a JSON object or nest deeper
  than `MAX_DEPTH` 400 (checked before parsing: the parser recurses), a wrong content type 415;
  no route takes a path: documents are looked up among the run's rows,
  and the only file written besides OUT_DIR's logs is the glossary given at start;
- every text from the run or an editor is escaped in the page (`esc`), set with
  `textContent` by the script, and a Content-Security-Policy allows only the page's own
  scripts (by hash) and requests to its own origin.

A server reachable from other machines (`--host` other than loopback) also needs a login the
page never gives away (`LoginGate`, as Jupyter's token URL): the console shows a URL with a
one-time login token; opening it sets an HttpOnly, SameSite=Lax session cookie (Lax, not Strict:
a link opened from a chat or mail app is a cross-site navigation, and a Strict cookie would not
be sent on its redirect; cross-site writes are stopped by the write token and Origin check) and
redirects to the page (the token leaves the address bar), and every request without that
cookie gets 401, the page and its write token included. Each login token works once; after
each use the console shows the next one, for the next colleague. The per-page write token is
still required on top, and the Host check lists the names the server was started with (for
0.0.0.0: this machine's name and addresses), not any name.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from pipeline.errors import TargmanError
from pipeline.listen import bind
from pipeline.evaluation.report import esc, render_html
from pipeline.evaluation.scoring import segment_chrf
from pipeline.review.assets import EDIT_CSS, EDIT_JS
from pipeline.review.names_panel import NAMES_JS, names_action, panel_html
from pipeline.review.session import ReviewError, ReviewSession, inline_tags

MAX_BODY = 64 * 1024
MAX_DEPTH = 16  # the API's bodies nest three deep; Python's JSON parser recurses, so depth is checked first
TOKEN_HEADER = "x-targman-token"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _starlette():
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise TargmanError("the review server needs Starlette and uvicorn: pip install 'targman[review]'") from None


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _json_island(data) -> str:
    """JSON inside <script type="application/json">: nothing in it can end the element."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="targman-data">{text}</script>'


def render_page(session: ReviewSession, token: str, who: str | None = None) -> str:
    """The review page with the editors' work and the editing script."""
    from pipeline.documents.inline import placement
    from pipeline.glossary.constraints import surface_forms

    rows, views = session.page_rows()
    by_doc: dict[str, list[dict]] = {}
    for view in views:
        if view["editable"]:
            by_doc.setdefault(view["doc"], []).append(view)
    tags = inline_tags(session, by_doc)  # the tag chips of sentences with inline markup
    run = dict(session.run)
    post_edits = session.post_edits()
    if post_edits:
        run["post_edits"] = post_edits
    data_rows = {}
    for row, view in zip(rows, views):
        if not view["editable"]:
            continue
        data_rows[view["dom_id"]] = {
            "doc": view["doc"], "index": view["index"], "src_lang": row.get("src_lang"), "text": view["text"],
            "machine": view["machine"], "state": view["state"], "reviewed": view["reviewed"], "pending": view["pending"],
            "terms": [{"concept": t.get("concept"), "source": t.get("source"), "target": t.get("target"),
                       "forms": list(surface_forms(t.get("target") or "", session.tgt)), "new": bool(t.get("new"))}
                      for t in row.get("terms") or () if t.get("target")],
        }
        mine = tags.get((view["doc"], view["index"]))
        if mine:
            data_rows[view["dom_id"]]["codes"] = [{"open": tag.open, "close": tag.close} for tag in mine]
            data_rows[view["dom_id"]]["markup"] = view["markup"] or placement(view["text"], row["source"], mine)
    glossary = session.glossary_path
    concepts = session.log.concepts()
    panel = [
        '<section id="glossary-panel" class="edit-panel"><h2>Glossary</h2>',
        f'<p class="note">{esc("Concepts are added to " + str(glossary)) if glossary else "No glossary file: start with --glossary FILE to add concepts."}</p>',
        '<ul id="concepts-added">',
    ]
    for event in concepts:
        panel.append(f'<li data-concept="{esc(event.get("concept"))}"><code>{esc(event.get("line"))}</code></li>')
    panel.append("</ul></section>")
    data = {"token": token, "tgt": session.tgt, "who": who or "", "glossary": bool(glossary),
            "languages": [session.tgt] + sorted({lang for r in rows if (lang := r.get("src_lang")) is not None and lang not in ("und", session.tgt)}),
            "rows": data_rows}
    extra = _json_island(data) + "".join(panel) + panel_html(session)
    return render_html(rows, run, segment_chrf(rows), extra_script=EDIT_JS + NAMES_JS, extra_css=EDIT_CSS, extra_html=extra,
                       connect=True)


class LoginGate:
    """One-time login tokens, each exchanged once for an HttpOnly session cookie."""

    MAX_SESSIONS = 64  # the oldest session is forgotten beyond this

    def __init__(self, base_url: str, announce: Callable[[str], None] | None = None):
        from urllib.parse import urlsplit

        self.base_url = base_url
        # cookies do not tell ports apart: two servers on one machine keep their own
        self.cookie = f"targman_session_{urlsplit(base_url).port or 80}"
        self.announce = announce
        self._token = secrets.token_urlsafe(32)
        self._sessions: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def url(self) -> str:
        """The URL that logs one browser in (shown on the console only)."""
        return f"{self.base_url}?login={self._token}"

    def redeem(self, value: str) -> str | None:
        """A new session id for the current login token, which is then spent; None if wrong or spent."""
        with self._lock:
            if not value or not secrets.compare_digest(value.encode(), self._token.encode()):
                return None
            self._token = secrets.token_urlsafe(32)
            session = secrets.token_urlsafe(32)
            self._sessions[session] = None
            while len(self._sessions) > self.MAX_SESSIONS:
                self._sessions.popitem(last=False)
            url = self.url()
        if self.announce is not None:
            self.announce(f"targman: a login link was used; the next person logs in at {url}")
        return session

    def valid(self, session: str | None) -> bool:
        with self._lock:
            return bool(session) and session in self._sessions


class LoginMiddleware:
    """ASGI middleware: `?login=TOKEN` -> session cookie and a redirect; no valid cookie -> 401."""

    def __init__(self, app, gate: LoginGate, headers: dict[str, str]):
        self.app, self.gate, self.headers = app, gate, headers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.requests import Request
        from starlette.responses import JSONResponse, RedirectResponse

        request = Request(scope)
        login = request.query_params.get("login")
        if login is not None:
            session = self.gate.redeem(login) if request.method == "GET" else None
            if session is None:
                response = JSONResponse({"error": "this login link is wrong or was used already; use the newest one "
                                                  "the server's console shows"}, status_code=401, headers=self.headers)
            else:
                response = RedirectResponse("/", status_code=303, headers=self.headers)
                response.set_cookie(self.gate.cookie, session, httponly=True, samesite="lax", path="/",
                                    secure=scope.get("scheme") == "https")
            return await response(scope, receive, send)
        if not self.gate.valid(request.cookies.get(self.gate.cookie)):
            response = JSONResponse({"error": "log in first: open the login URL the server's console shows"},
                                    status_code=401, headers=self.headers)
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(session: ReviewSession, *, token: str | None = None, hosts: tuple[str, ...] = LOOPBACK,
               who: str | None = None, login: LoginGate | None = None):
    """The ASGI app over `session`; `hosts`: the Host names it answers to; `login`: the gate every
    request must pass (a server reachable from other machines)."""
    _starlette()
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    token = token or secrets.token_urlsafe(32)
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
               "X-Frame-Options": "DENY", "Cross-Origin-Resource-Policy": "same-origin"}

    def error(status: int, message: str, problems: list[str] | None = None, conflict: dict | None = None) -> Response:
        body: dict = {"error": message}
        if problems:
            body["problems"] = problems
        if conflict:
            body["conflict"] = conflict
        return JSONResponse(body, status_code=status, headers=headers)

    async def body_of(request: Request) -> dict:
        """The request's JSON object, after the checks every write must pass."""
        if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
            raise ReviewError("missing or wrong session token; reload the page", 403)
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
            raise ReviewError("request from another origin", 403)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise ReviewError("send JSON (Content-Type: application/json)", 415)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise ReviewError(f"request body over {MAX_BODY} bytes", 413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise ReviewError(f"request body over {MAX_BODY} bytes", 413)
            chunks.append(chunk)
        raw = b"".join(chunks)
        if json_depth(raw) > MAX_DEPTH:
            raise ReviewError(f"the body nests deeper than {MAX_DEPTH} levels; send the API's flat JSON object", 400)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ReviewError("the body is not JSON", 400) from None
        if not isinstance(data, dict):
            raise ReviewError("the body must be a JSON object", 400)
        return data

    def segment_of(data: dict) -> tuple[str, int]:
        doc, index = data.get("doc"), data.get("index")
        if not isinstance(doc, str) or isinstance(index, bool) or not isinstance(index, int):
            raise ReviewError('give "doc" (a string) and "index" (a number)', 400)
        return doc, index

    def public(view: dict) -> dict:
        return {k: view[k] for k in ("doc", "index", "text", "machine", "edited", "pending", "state", "editable",
                                     "reviewed", "dom_id", "markup")}

    def writer(handler: Callable):
        async def endpoint(request: Request) -> Response:
            try:
                data = await body_of(request)
                return JSONResponse(handler(data), headers=headers)
            except ReviewError as problem:
                return error(problem.status, str(problem), problem.problems, problem.conflict)
        return endpoint

    async def page(request: Request) -> Response:
        return HTMLResponse(render_page(session, token, who), headers=headers)

    async def segments(request: Request) -> Response:
        return JSONResponse({"tgt": session.tgt, "segments": [public(v) for v in session.views()],
                             "post_edits": session.post_edits()}, headers=headers)

    def edit(data: dict) -> dict:
        doc, index = segment_of(data)
        return public(session.edit(doc, index, data.get("text"), who=data.get("who") or who, base=data.get("base"),
                                   markup=data.get("markup")))

    def review(data: dict) -> dict:
        doc, index = segment_of(data)
        return public(session.mark(doc, index, data.get("reviewed", True), who=data.get("who") or who))

    def concept_check(data: dict) -> dict:
        return session.preview_concept(data.get("concept"), data.get("id"))

    def concept_add(data: dict) -> dict:
        doc = index = None
        if data.get("doc") is not None:
            doc, index = segment_of(data)
        return session.add_concept(data.get("concept"), data.get("id"), doc=doc, index=index,
                                   who=data.get("who") or who)

    async def not_found(request: Request, exc) -> Response:
        return error(getattr(exc, "status_code", 404), getattr(exc, "detail", None) or "not found")

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/api/segments", segments, methods=["GET"]),
        Route("/api/edit", writer(edit), methods=["POST"]),
        Route("/api/review", writer(review), methods=["POST"]),
        Route("/api/concept/check", writer(concept_check), methods=["POST"]),
        Route("/api/concept", writer(concept_add), methods=["POST"]),
        Route("/api/names", writer(lambda data: names_action(session, data, who)), methods=["POST"]),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))]
    if login is not None:
        middleware.append(Middleware(LoginMiddleware, gate=login, headers=headers))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: not_found, 405: not_found})
    app.state.token = token
    app.state.login = login
    return app


def needs_login(host: str) -> bool:
    """Does a server on `host` need a login (is it reachable from other machines)?"""
    return host not in LOOPBACK


def host_names(host: str) -> tuple[str, ...]:
    """The Host header values a server started on `host` answers to: the loopback names for
    loopback, `host` itself for a named address, and for 0.0.0.0 / :: this machine's names and
    addresses (a DNS-rebinding name is never among them)."""
    if host in LOOPBACK:
        return tuple(sorted(set(LOOPBACK) | {host}))
    if host not in ("0.0.0.0", "::", ""):
        return (host,)
    names = set(LOOPBACK)
    for name in {socket.gethostname(), socket.getfqdn()}:
        if not name:
            continue
        names.add(name)
        try:
            names.update(a for info in socket.getaddrinfo(name, None) if isinstance(a := info[4][0], str))
        except OSError:
            pass
    address = _outbound_address()
    if address:
        names.add(address)
    return tuple(sorted(names | {f"[{n}]" for n in names if ":" in n and not n.startswith("[")}))


def _outbound_address() -> str | None:
    """The address other machines most likely reach this one at (a UDP connect sends nothing)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like any outside address, never contacted
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def make_server(out_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8765, glossary=None, who=None,
                session: ReviewSession | None = None, login: bool | None = None,
                announce: Callable[[str], None] | None = None):
    """(uvicorn server, its bound socket, the page's URL, the session): bound now, served by
    `server.run(sockets=[sock])`. `login`: require a login (default: when `host` is not loopback);
    then the URL is the one-time login URL, and `announce` shows the next one after each use."""
    _starlette()
    import uvicorn

    session = session or ReviewSession(out_dir, glossary=glossary)
    sock = bind(host, port, backlog=64)
    bound = sock.getsockname()[1]
    names = host_names(host)
    if host in ("0.0.0.0", "::", ""):
        shown = _outbound_address() or socket.gethostname() or "localhost"
    else:
        shown = host
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    url = f"http://{shown}:{bound}/"
    gate = LoginGate(url, announce) if (needs_login(host) if login is None else login) else None
    app = create_app(session, hosts=names, who=who, login=gate)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    return server, sock, (gate.url() if gate else url), session


def serve(out_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8765, glossary=None, who=None,
          announce: Callable[[str], None] = print) -> None:
    """Serve the review page of `out_dir` until Ctrl-C."""
    server, sock, url, session = make_server(out_dir, host=host, port=port, glossary=glossary, who=who,
                                             announce=announce)
    if needs_login(host):
        announce(f"targman: listening on {host}, reachable from other machines: each person needs a login link "
                 "(one use each; the next is shown here after each use)")
    announce(f"targman: reviewing {out_dir} at {url} (Ctrl-C to stop); then `targman apply {out_dir}`")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        session.close()
