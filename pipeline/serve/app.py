"""The service's routes: LibreTranslate's, DeepL's v2 text API, targman's own, and operations.

    POST /translate       LibreTranslate: {"q": str | [str], "source": "auto" | code, "target", "format"?, "api_key"?}
    GET  /languages       LibreTranslate: [{"code", "name", "targets"}]
    POST /detect          LibreTranslate: [{"confidence", "language"}]
    POST /v2/translate    DeepL: {"text": [str], "target_lang", "source_lang"?, "tag_handling"?, "glossary_id"?}
    GET  /v2/languages    DeepL: [{"language", "name", "supports_formality"?}] (?type=source|target)
    GET  /v2/usage        DeepL: {"character_count", "character_limit"}
    POST /v1/translate    targman: {"texts": [str] | "text": str, "target"} -> {"results": [Result as JSON]}
    GET  /health          {"status": "ok", ...}
    GET  /metrics         Prometheus text format

Bodies are JSON or form-encoded, as the real services take them. Each API answers errors in
its own shape (`{"error"}` for LibreTranslate and targman, `{"message"}` for DeepL), so that
its client libraries report them. Texts are routed as in a run: each sentence's language is
read from its script, `source` is not trusted over it. With `[serve] api_keys_env` set, every
translation request needs one of the keys (LibreTranslate's `api_key`, DeepL's
`Authorization: DeepL-Auth-Key KEY`, or `Authorization: Bearer KEY`); `/languages`,
`/health` and `/metrics` answer anyone, as LibreTranslate's do.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from urllib.parse import parse_qs

from pipeline.config import LANGUAGES, Config
from pipeline.documents.script import detect_language, script_counts
from pipeline.errors import ConfigError
from pipeline.serve import markup
from pipeline.serve.batcher import Batcher
from pipeline.serve.metrics import Metrics

NAMES = {"hy": "Armenian", "en": "English", "ru": "Russian", "ka": "Georgian", "fr": "French", "de": "German"}
DEEPL_TARGETS = {"EN-GB": "en", "EN-US": "en"}  # DeepL's regional English; every other code is the ISO one, upper case
NO_QUOTA = 10**12  # /v2/usage: the service meters characters but sets no limit (a client reads 0 as "used up")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def read_keys(config: Config) -> frozenset[str]:
    """The accepted keys from `[serve] api_keys_env` (none: no keys asked)."""
    name = config.serve.api_keys_env
    if not name:
        return frozenset()
    keys = frozenset(k.strip() for k in os.environ.get(name, "").split(",") if k.strip())
    if not keys:
        raise ConfigError(f"[serve] api_keys_env = {name!r}, but the environment variable {name} holds no keys: "
                          f"set it to the accepted keys, comma-separated (or remove api_keys_env to serve without keys)")
    return keys


class RateLimit:
    """At most `per_minute` requests a client in any 60 s (a sliding window of timestamps)."""

    def __init__(self, per_minute: int, clients: int = 10_000):
        self.per_minute = per_minute
        self.clients = clients
        self.seen: dict[str, deque] = {}

    def check(self, client: str, now: float | None = None) -> None:
        if not self.per_minute:
            return
        now = time.monotonic() if now is None else now
        times = self.seen.get(client)
        if times is None:
            if len(self.seen) >= self.clients:  # forget the quietest clients rather than grow without bound
                for stale in [c for c, t in self.seen.items() if not t or now - t[-1] > 60][: self.clients // 2 or 1]:
                    del self.seen[stale]
            times = self.seen[client] = deque()
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            wait = max(1, int(60 - (now - times[0])) + 1)
            raise ApiError(429, f"too many requests: at most {self.per_minute} a minute; try again in {wait} s",
                           {"Retry-After": str(wait)})
        times.append(now)


class Service:
    """What the routes share: the batcher (and through it the Translator), keys, limits, metrics."""

    def __init__(self, config: Config, *, make_translator=None):
        from pipeline.translation.translator import Translator

        self.config = config
        self.keys = read_keys(config)
        self.limits = config.serve
        self.rate = RateLimit(config.serve.rate_per_minute)
        self.metrics = Metrics()
        self.pairs: set[tuple[str, str]] = set()
        self.engines: dict[str, dict] = {}
        self.glossary_name = ""
        self.characters = 0
        self.started = time.time()
        self.batcher = Batcher(make_translator or (lambda: Translator(config)), wait_ms=config.serve.batch_wait_ms,
                               max_texts=config.serve.batch_max_texts, on_batch=self.metrics.batch,
                               on_ready=self._warm)

    def start(self) -> "Service":
        self.batcher.start()
        return self

    def close(self) -> None:
        self.batcher.close()

    def _warm(self, translator) -> None:
        """In the batcher's thread: each target language's engine described and loaded, and the
        glossary's matchers built, so that the first request pays no load."""
        from pipeline.errors import TargmanError

        targets = [self.config.run.tgt] if self.config.run.tgt else list(LANGUAGES)
        problems = []
        for tgt in targets:
            try:
                engine = translator.engine(tgt)
                translator.terms(tgt)
                load = getattr(engine, "load", None)
                if callable(load):
                    load()
            except TargmanError as error:
                problems.append(f"into {tgt}: {error}")
                translator._engines.pop(tgt, None)
                continue
            self.pairs |= {(s, t) for s, t in engine.description.pairs if t == tgt} if hasattr(engine, "description") \
                else {(s, tgt) for s in LANGUAGES if s != tgt and engine.supports(s, tgt)}
            self.engines[tgt] = {"engine": engine.name, "model": engine.info().get("id")}
        if not self.engines:
            raise ConfigError("no target language can be served: " + "; ".join(problems))
        glossary = getattr(translator, "glossary", None)
        path = self.config.glossary.path
        if glossary is not None and path:
            self.glossary_name = os.path.splitext(os.path.basename(path))[0]

    # -- what requests share -------------------------------------------------------------
    @property
    def targets(self) -> list[str]:
        return sorted({t for _, t in self.pairs})

    @property
    def sources(self) -> list[str]:
        return sorted({s for s, _ in self.pairs})

    def check_size(self, texts: list[str]) -> None:
        if not all(isinstance(t, str) for t in texts):
            raise ApiError(400, "every text must be a string")
        if len(texts) > self.limits.max_texts:
            raise ApiError(413, f"{len(texts)} texts in one request; at most {self.limits.max_texts} ([serve] max_texts)")
        chars = sum(len(t) for t in texts)
        if chars > self.limits.max_chars:
            raise ApiError(413, f"{chars} characters in one request; at most {self.limits.max_chars} ([serve] max_chars)")

    async def translate(self, texts: list[str], tgt: str, *, html: bool = False) -> tuple[list[str], list]:
        """(the translated texts, their Results); with `html`, tags kept and only text translated."""
        if tgt not in self.targets:
            raise ApiError(400, f"{tgt} is not supported as a target language; targets: {', '.join(self.targets)}")
        self.characters += sum(len(t) for t in texts)
        self.metrics.characters.inc(sum(len(t) for t in texts))
        if not html:
            results = await asyncio.wrap_future(self.batcher.submit(texts, tgt))
            return [r.text for r in results], results
        laid = [markup.texts_of(text) for text in texts]
        inner = [t for found, _ in laid for t in found]
        results = await asyncio.wrap_future(self.batcher.submit(inner, tgt))
        out, at = [], 0
        for found, parts in laid:
            out.append(markup.rebuild(parts, [r.text for r in results[at:at + len(found)]]))
            at += len(found)
        return out, results


def detect(text: str) -> tuple[str, float]:
    """(language, confidence 0-100) from the script of the text's letters, as a run routes it."""
    counts = script_counts(text)
    language = detect_language(text)
    if not counts or language == "und":
        return "en", 0.0
    return language, round(100.0 * max(counts.values()) / sum(counts.values()), 1)


def create_app(service: Service):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    error_key = {"libre": "error", "deepl": "message", "v1": "error", "ops": "error"}

    async def body_of(request: Request) -> dict:
        """The request's parameters: the query string, then a JSON object or a form body."""
        limit = service.limits.max_request_kb * 1024
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"request body over {service.limits.max_request_kb} KB ([serve] max_request_kb)")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise ApiError(413, f"request body over {service.limits.max_request_kb} KB ([serve] max_request_kb)")
        params: dict = {}
        for key, values in request.query_params.multi_items():
            params.setdefault(key, []).append(values)
        params = {k: v if len(v) > 1 or k == "text" else v[0] for k, v in params.items()}
        if not raw:
            return params
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "the body is not valid JSON") from None
            if not isinstance(data, dict):
                raise ApiError(400, "the body must be a JSON object")
            return {**params, **data}
        if kind in ("application/x-www-form-urlencoded", ""):
            try:
                form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10_000)
            except (UnicodeDecodeError, ValueError):
                raise ApiError(400, "the form body is not UTF-8 url-encoded") from None
            return {**params, **{k: v if len(v) > 1 or k == "text" else v[0] for k, v in form.items()}}
        raise ApiError(415, f"content type {kind!r} is not taken; send JSON or a url-encoded form")

    def key_of(request: Request, params: dict) -> str | None:
        auth = request.headers.get("authorization", "")
        for scheme in ("DeepL-Auth-Key ", "Bearer "):
            if auth.startswith(scheme):
                return auth[len(scheme):].strip()
        key = params.get("api_key") or params.get("auth_key")
        return key if isinstance(key, str) else None

    def handler(api: str, needs_key: bool = True):
        def wrap(fn):
            async def endpoint(request: Request):
                started = time.perf_counter()
                try:
                    params = await body_of(request)
                    key = key_of(request, params)
                    if needs_key and service.keys and key not in service.keys:
                        raise ApiError(403, "Invalid API key" if key else "an API key is needed: ask the desk for one")
                    if needs_key:
                        service.rate.check(key or (request.client.host if request.client else "?"))
                    response = await fn(request, params)
                except ApiError as error:
                    response = JSONResponse({error_key[api]: error.message}, status_code=error.status,
                                            headers=error.headers)
                except ConfigError as error:
                    response = JSONResponse({error_key[api]: str(error)}, status_code=400)
                except Exception as error:  # one bad request never stops the service
                    response = JSONResponse({error_key[api]: f"cannot translate: {error}"}, status_code=500)
                service.metrics.requests.labels(api=api, status=str(response.status_code)).inc()
                if fn.__name__.endswith("translate"):
                    service.metrics.latency.labels(api=api).observe(time.perf_counter() - started)
                return response
            return endpoint
        return wrap

    # -- LibreTranslate ----------------------------------------------------------------------
    def libre_target(params: dict) -> str:
        for name in ("q", "source", "target"):
            if not params.get(name):
                raise ApiError(400, f"Invalid request: missing {name} parameter")
        target = str(params["target"]).lower()
        if target not in service.targets:
            raise ApiError(400, f"{target} is not supported")
        source = str(params["source"]).lower()
        if source != "auto" and source not in set(service.sources) | {target}:
            raise ApiError(400, f"{source} is not supported")
        fmt = params.get("format") or "text"
        if fmt not in ("text", "html"):
            raise ApiError(400, f"{fmt} format is not supported")
        return target

    @handler("libre")
    async def libre_translate(request, params):
        target = libre_target(params)
        q = params["q"]
        batch = isinstance(q, list)
        texts = q if batch else [q]
        service.check_size(texts)
        out, _ = await service.translate(texts, target, html=params.get("format") == "html")
        result: dict = {"translatedText": out if batch else out[0]}
        if params["source"] == "auto":
            found = [{"confidence": c, "language": lang} for lang, c in map(detect, texts)]
            result["detectedLanguage"] = found if batch else found[0]
        try:
            alternatives = int(params.get("alternatives") or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid request: alternatives parameter is not a number") from None
        if alternatives > 0:  # one hypothesis only: the glossary and the checks decide it
            result["alternatives"] = [[] for _ in texts] if batch else []
        return JSONResponse(result)

    @handler("libre", needs_key=False)
    async def libre_languages(request, params):
        codes = sorted(set(service.sources) | set(service.targets))
        return JSONResponse([{"code": code, "name": NAMES.get(code, code),
                              "targets": sorted(t for s, t in service.pairs if s == code)} for code in codes])

    @handler("libre")
    async def libre_detect(request, params):
        q = params.get("q")
        if not q or not isinstance(q, str):
            raise ApiError(400, "Invalid request: missing q parameter")
        service.check_size([q])
        language, confidence = detect(q)
        return JSONResponse([{"confidence": confidence, "language": language}])

    # -- DeepL v2 ------------------------------------------------------------------------------
    def deepl_target(params: dict) -> str:
        code = str(params.get("target_lang") or "").upper()
        if not code:
            raise ApiError(400, "Value for 'target_lang' not supported.")
        target = DEEPL_TARGETS.get(code, code.lower())
        if target not in service.targets:
            raise ApiError(400, "Value for 'target_lang' not supported.")
        return target

    @handler("deepl")
    async def deepl_translate(request, params):
        texts = params.get("text")
        if isinstance(texts, str):
            texts = [texts]
        if not texts or not isinstance(texts, list):
            raise ApiError(400, "Parameter 'text' not specified.")
        target = deepl_target(params)
        source = str(params.get("source_lang") or "").lower()
        if source and source not in set(service.sources) | {target}:
            raise ApiError(400, "Value for 'source_lang' not supported.")
        glossary = params.get("glossary_id")
        if glossary and glossary != service.glossary_name:
            raise ApiError(404, f"glossary {glossary!r} not found; this service has "
                           + (repr(service.glossary_name) if service.glossary_name else "none"))
        tags = params.get("tag_handling")
        if tags and tags not in ("html", "xml"):
            raise ApiError(400, "Value for 'tag_handling' not supported.")
        service.check_size(texts)
        out, _ = await service.translate(texts, target, html=bool(tags))
        translations = []
        for text, translated in zip(texts, out):
            found, confidence = detect(text)
            detected = (found if confidence else source or target).upper()
            translations.append({"detected_source_language": detected, "text": translated,
                                 "billed_characters": len(text)})
        return JSONResponse({"translations": translations})

    @handler("deepl")
    async def deepl_languages(request, params):
        kind = params.get("type") or "source"
        if kind not in ("source", "target"):
            raise ApiError(400, "Value for 'type' not supported.")
        if kind == "source":
            return JSONResponse([{"language": code.upper(), "name": NAMES.get(code, code)} for code in service.sources])
        rows = []
        for code in service.targets:
            shown = ["EN-GB", "EN-US"] if code == "en" else [code.upper()]
            rows += [{"language": c, "name": NAMES.get(code, code) + (f" ({c[3:]})" if "-" in c else ""),
                      "supports_formality": False} for c in shown]
        return JSONResponse(rows)

    @handler("deepl")
    async def deepl_usage(request, params):
        return JSONResponse({"character_count": service.characters, "character_limit": NO_QUOTA})

    # -- targman ---------------------------------------------------------------------------------
    @handler("v1")
    async def v1_translate(request, params):
        texts = params.get("texts", params.get("text"))
        single = isinstance(texts, str)
        texts = [texts] if single else texts
        if not isinstance(texts, list) or not texts:
            raise ApiError(400, "give `texts` (a list of strings) or `text` (a string)")
        target = str(params.get("target") or params.get("tgt") or service.config.run.tgt or "").lower()
        if not target:
            raise ApiError(400, f"give `target`, one of {', '.join(service.targets)}")
        service.check_size(texts)
        _, results = await service.translate(texts, target)
        rows = []
        for number, result in enumerate(results, 1):
            row = result.to_record(number)
            row.pop("line")
            origins = {s.origin or "machine" for s in result.segments if s.target is not None and s.target != s.source}
            row["origin"] = "human" if origins == {"human"} else ("machine" if origins else "source")
            rows.append(row)
        return JSONResponse({"results": rows})

    # -- operations ------------------------------------------------------------------------------
    @handler("ops", needs_key=False)
    async def health(request, params):
        return JSONResponse({"status": "ok", "targets": service.targets, "engines": service.engines,
                             "glossary": service.glossary_name or None,
                             "uptime_s": round(time.time() - service.started, 1)})

    @handler("ops", needs_key=False)
    async def metrics(request, params):
        body, kind = service.metrics.text()
        return Response(body, media_type=kind)

    async def not_found(request, exc):
        return JSONResponse({"error": f"no such route: {request.method} {request.url.path}"},
                            status_code=getattr(exc, "status_code", 404))

    routes = [
        Route("/translate", libre_translate, methods=["POST"]),
        Route("/languages", libre_languages, methods=["GET", "POST"]),
        Route("/detect", libre_detect, methods=["POST"]),
        Route("/v2/translate", deepl_translate, methods=["POST"]),
        Route("/v2/languages", deepl_languages, methods=["GET", "POST"]),
        Route("/v2/usage", deepl_usage, methods=["GET", "POST"]),
        Route("/v1/translate", v1_translate, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.state.service = service
    return app
