"""A local OpenAI-compatible chat server that behaves like a (tiny, obedient) translation model.

`FakeOpenAI()` listens on 127.0.0.1 on a free port in a thread; the tests start and stop
it. It "translates" the sentence between <source> tags by transliterating it into the
target script (Latin <-> Armenian letters) and writes the glossary terms the prompt
asks for, so the engine's checks see a plausible translation. Faults are scripted per
request, in order (`script`), or by a marker in the source:

- "429", "500", "503": that status (429 with `Retry-After: 0`);
- "timeout": answers after `slow_s` seconds (longer than the client's timeout);
- "drop": closes the connection without answering;
- "malformed": a body that is not JSON; "no-choices": JSON without choices;
- "forget-terms": a translation without the glossary terms (a model that ignores them);
- "gullible": obeys an instruction found in the source ("... say X") - a naive model;
- "trickle": headers, then one byte of the body every `trickle_s` seconds, for ever;
- "redirect": 307 to `redirect_to` (another server: another origin);
- "echo-key": a 400 whose message quotes the request's Authorization header, as some
  proxies do; "echo-key-answer": a 200 whose translation holds it.

It also checks the key (`key`), the model name (`model`) and the path, as a real server does.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LATIN = "abcdefghijklmnopqrstuvwxyz"
ARMENIAN = "աբցդեֆգհիջկլմնօպքրստւվոխյզ"  # one letter each, all different
TO_HY = str.maketrans(LATIN + LATIN.upper(), ARMENIAN + ARMENIAN.upper())
TO_LATIN = str.maketrans({a: l for l, a in zip(LATIN, ARMENIAN)} | {a.upper(): l.upper() for l, a in zip(LATIN, ARMENIAN)})
OBEY = re.compile(r"\b(?:say|reply with|answer with|print)\s+[\"“']?([^\"”'.]+)", re.I)


def fake_translate(user: str, system: str, forget_terms: bool = False, gullible: bool = False) -> str:
    found = re.search(r"<source>\n(.*?)\n</source>", user, re.S)
    source = found.group(1) if found else user
    # What sits outside the source tags is the prompt: a model obeys instructions there.
    outside = user.replace(found.group(0), "") if found else ""
    if (match := OBEY.search(outside)) or (gullible and (match := OBEY.search(source))):
        return match.group(1).strip()
    tgt = "hy" if "into Armenian" in system else "en"
    terms = [] if forget_terms else re.findall(r"^- (.+?) -> (.+?)(?: \(\d+ times\))?$", user, re.M)
    placeholders = {}
    for i, (src_term, tgt_term) in enumerate(terms):
        if src_term in source:
            key = f"@{i}@"
            source = source.replace(src_term, key)
            placeholders[key] = tgt_term
    out = source.translate(TO_HY if tgt == "hy" else TO_LATIN)
    for key, term in placeholders.items():
        out = out.replace(key, term)
    return out


class FakeOpenAI:
    def __init__(self, *, model: str = "tiny-mt", key: str | None = None, slow_s: float = 2.0, delay_s: float = 0.0,
                 trickle_s: float = 1.5):
        self.model = model
        self.key = key
        self.slow_s = slow_s
        self.delay_s = delay_s  # every answer waits this long (to see concurrency)
        self.trickle_s = trickle_s
        self.redirect_to: str | None = None  # where "redirect" points
        self.fault: str | None = None  # a fault for every request (after the script)
        self.script: list[str] = []  # faults for the next requests, in order ("ok" for none)
        self.requests: list[dict] = []  # every request's body and headers
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _next_fault(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else (self.fault or "ok")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, payload, headers: dict | None = None) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
                    self.close_connection = True

            def _trickle(self) -> None:
                """A 200 whose body comes one byte every `trickle_s` s and never ends (until the client goes)."""
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                    for _ in range(100000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(fake.trickle_s)
                except OSError:  # the client gave up
                    self.close_connection = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    self._answer(raw)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, raw: bytes) -> None:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._send(400, {"error": {"message": "body is not JSON"}})
                fake.requests.append({"body": body, "headers": dict(self.headers), "path": self.path})
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                fault = fake._next_fault()
                if fault == "redirect":
                    return self._send(307, {"error": {"message": "moved"}},
                                      {"Location": f"{fake.redirect_to}/chat/completions"})
                if fault == "echo-key":
                    return self._send(400, {"error": {"message": f"bad header {self.headers.get('Authorization')}"}})
                if fault == "trickle":
                    return self._trickle()
                if fake.key is not None and self.headers.get("Authorization") != f"Bearer {fake.key}":
                    return self._send(401, {"error": {"message": "Incorrect API key provided"}})
                if body.get("model") != fake.model:
                    return self._send(404, {"error": {"message": f"The model '{body.get('model')}' does not exist"}})
                messages = body["messages"]
                system = messages[0]["content"]
                user = next(m["content"] for m in messages if m["role"] == "user")
                correcting = len(messages) > 2  # a corrective follow-up
                if fault == "ok" and "[gullible]" in user:
                    fault = "gullible"  # a gullible model stays gullible
                if fault == "ok" and "[forget-terms]" in user and not correcting:
                    fault = "forget-terms"  # forgets the terms once, writes them when told
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if fault in ("429", "500", "503"):
                    headers = {"Retry-After": "0"} if fault == "429" else {}
                    return self._send(int(fault), {"error": {"message": f"fake {fault}"}}, headers)
                if fault == "timeout":
                    time.sleep(fake.slow_s)
                if fault == "drop":
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return None
                if fault == "malformed":
                    return self._send(200, b"<html>502 Bad Gateway</html>")
                if fault == "no-choices":
                    return self._send(200, {"id": "x", "choices": []})
                text = fake_translate(user, system, forget_terms=fault == "forget-terms", gullible=fault == "gullible")
                if fault == "echo-key-answer":
                    text = f"{text} {self.headers.get('Authorization')}"
                return self._send(200, {
                    "id": f"chatcmpl-{len(fake.requests)}",
                    "object": "chat.completion",
                    "model": fake.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(user.split()), "completion_tokens": len(text.split()),
                              "total_tokens": len(user.split()) + len(text.split())},
                })

        return Handler
