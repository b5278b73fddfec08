"""`targman serve`: LibreTranslate's and DeepL's APIs, targman's own, batching, keys and limits.

Every test runs the real uvicorn server on 127.0.0.1 with a free port, in a thread it starts
and stops, and talks to it over HTTP: with plain httpx, and with DeepL's official Python
client pointed at it (`server_url`).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from glossary_fixtures import write  # noqa: E402

from pipeline.config import load_config  # noqa: E402
from pipeline.engines.testing import FunctionEngine  # noqa: E402
from pipeline.errors import TargmanError  # noqa: E402
from pipeline.serve.server import make_server  # noqa: E402
from pipeline.translation.translator import Translator  # noqa: E402

ARMENIAN = "Լավրովը հանդիպեց Միրզոյանին Աստանայում։"
ENGLISH = "Lavrov met Mirzoyan in Astana."


def met(text: str, src: str, tgt: str) -> str:
    """A stand-in translation that says which direction it went (terms are added by `constrains`)."""
    return f"[{src}>{tgt}] met"


@contextmanager
def running(config, engine=None, **kwargs):
    """The service on a free loopback port, in a thread; stopped (and its Translator closed) at the end."""
    make = (lambda: Translator(config, engine=engine)) if engine is not None else None
    server, sock, url, service = make_server(config, port=0, make_translator=make, **kwargs)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: 5 s for uvicorn to start
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "the server did not start"
    try:
        yield url, service
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        service.close()


@pytest.fixture
def desk(tmp_path):
    return write(tmp_path, name="desk.tsv")


@pytest.fixture
def config(tmp_path, desk):
    return load_config(None, glossary=str(desk), cache_dir=str(tmp_path / "cache"))


@pytest.fixture
def service(config):
    engine = FunctionEngine(met, constrains=True)
    with running(config, engine) as (url, svc):
        yield url, svc, engine


# -- LibreTranslate ------------------------------------------------------------------------------

def test_libretranslate_translate_one_text_and_a_list(service):
    url, _, _ = service
    one = httpx.post(url + "translate", json={"q": ARMENIAN, "source": "auto", "target": "en"})
    assert one.status_code == 200
    body = one.json()
    assert body["translatedText"].startswith("[hy>en] met") and "Mirzoyan" in body["translatedText"]  # the glossary
    assert body["detectedLanguage"]["language"] == "hy" and body["detectedLanguage"]["confidence"] > 90
    many = httpx.post(url + "translate", json={"q": [ARMENIAN, ENGLISH], "source": "hy", "target": "en"}).json()
    assert len(many["translatedText"]) == 2 and "detectedLanguage" not in many
    assert many["translatedText"][1] == ENGLISH  # already English: passed through, as in a run


def test_libretranslate_form_body_html_languages_and_detect(service):
    url, _, _ = service
    form = httpx.post(url + "translate", data={"q": ENGLISH, "source": "en", "target": "hy"})
    assert form.status_code == 200 and form.json()["translatedText"].startswith("[en>hy] met")
    html = httpx.post(url + "translate", json={
        "q": '<p class="x">Lavrov &amp; Mirzoyan met.</p><code>keep me</code>', "source": "en", "target": "hy",
        "format": "html"}).json()["translatedText"]
    assert html.startswith('<p class="x">[en&gt;hy] met') and html.endswith("</p><code>keep me</code>")
    languages = httpx.get(url + "languages").json()
    assert {"code": "hy", "name": "Armenian", "targets": ["en"]} in languages
    assert {"code": "en", "name": "English", "targets": ["hy"]} in languages
    assert httpx.post(url + "detect", data={"q": ARMENIAN}).json() == [{"confidence": 100.0, "language": "hy"}]


@pytest.mark.parametrize("body, message", [
    ({"source": "en", "target": "hy"}, "missing q"),
    ({"q": "x", "target": "hy"}, "missing source"),
    ({"q": "x", "source": "en", "target": "xx"}, "xx is not supported"),
    ({"q": "x", "source": "en", "target": "hy", "format": "pdf"}, "pdf format is not supported"),
])
def test_libretranslate_errors_are_its_own(service, body, message):
    url, _, _ = service
    answer = httpx.post(url + "translate", json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]


# -- DeepL, with the official client ------------------------------------------------------------------

def test_deepl_client_translates_with_the_desk_glossary(service):
    deepl = pytest.importorskip("deepl")
    url, _, engine = service
    client = deepl.Translator("any-key", server_url=url.rstrip("/"))
    results = client.translate_text([ENGLISH, "Baku."], source_lang="EN", target_lang="HY", glossary="desk")
    assert [r.text for r in results] == ["[en>hy] met Միրզոյան Աստանա", "[en>hy] met Բաքու"]
    assert [r.detected_source_lang for r in results] == ["EN", "EN"] and results[0].billed_characters == len(ENGLISH)
    single = client.translate_text(ARMENIAN, target_lang="EN-GB")
    assert single.text.startswith("[hy>en] met") and single.detected_source_lang == "HY"
    tagged = client.translate_text("<b>Baku</b> is far.", target_lang="HY", tag_handling="html")
    assert tagged.text.startswith("<b>[en&gt;hy] met Բաքու</b>")  # markup kept, text escaped
    assert {lang.code for lang in client.get_source_languages()} == {"EN", "HY"}
    assert {lang.code for lang in client.get_target_languages()} == {"EN-GB", "EN-US", "HY"}
    usage = client.get_usage()
    assert usage.character.count >= len(ENGLISH) and not usage.any_limit_reached
    with pytest.raises(deepl.DeepLException, match="not found"):
        client.translate_text(ENGLISH, source_lang="EN", target_lang="HY", glossary="another-desk")
    with pytest.raises(deepl.DeepLException, match="target_lang"):
        client.translate_text(ENGLISH, target_lang="FR")


def test_deepl_form_body_and_plain_http(service):
    url, _, _ = service
    answer = httpx.post(url + "v2/translate", data={"text": [ENGLISH, "Baku."], "target_lang": "HY"},
                        headers={"Authorization": "DeepL-Auth-Key k"})
    assert answer.status_code == 200
    assert [t["text"] for t in answer.json()["translations"]] == ["[en>hy] met Միրզոյան Աստանա", "[en>hy] met Բաքու"]
    assert httpx.post(url + "v2/translate", json={"target_lang": "HY"}).json() == {
        "message": "Parameter 'text' not specified."}


# -- targman's own API -----------------------------------------------------------------------------

def test_v1_returns_results_with_flags_terms_score_and_origin(service):
    url, _, _ = service
    rows = httpx.post(url + "v1/translate", json={"texts": [ARMENIAN, ENGLISH], "target": "en"}).json()["results"]
    first, passed = rows
    assert first["src_lang"] == "hy" and first["origin"] == "machine" and first["score"] == -0.5
    assert "terms-constrained" in first["flags"]
    assert {t["concept"] for t in first["terms"]} == {"ararat-mirzoyan", "astana"}
    assert all(t["honoured"] for t in first["terms"])
    assert passed["text"] == ENGLISH and passed["origin"] == "source" and passed["terms"] == []


# -- batching, the memory, operations -------------------------------------------------------------

def test_concurrent_requests_share_engine_calls(config):
    engine = FunctionEngine(met, seconds_per_batch=0.05)
    settings = load_config(config, batch_wait_ms=20.0, cache=False)
    with running(settings, engine) as (url, svc):
        texts = [f"Sentence number {n} is here." for n in range(24)]
        with httpx.Client() as client, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda t: client.post(url + "translate", json={"q": t, "source": "en",
                                                                                   "target": "hy"}), texts))
        assert [a.json()["translatedText"] for a in answers] == ["[en>hy] met"] * 24
        assert sorted(engine.texts) == sorted(texts)  # each text translated once
        assert len(engine.calls) < 24 / 2  # requests waiting together went in one call
        metrics = httpx.get(url + "metrics").text
    assert 'targman_requests_total{api="libre",status="200"} 24.0' in metrics
    assert f"targman_batch_texts_count {float(len(engine.calls))}" in metrics


def test_the_memory_is_shared_and_counted(service):
    url, _, engine = service
    for _ in range(2):
        assert httpx.post(url + "translate", json={"q": "Baku.", "source": "en", "target": "hy"}).status_code == 200
    assert engine.texts == ["Baku."]  # the second came from the translation memory
    metrics = httpx.get(url + "metrics").text
    assert 'targman_memory_segments_total{result="hits"} 1.0' in metrics
    health = httpx.get(url + "health").json()
    assert health["status"] == "ok" and health["targets"] == ["en", "hy"] and health["glossary"] == "desk"


# -- keys and limits --------------------------------------------------------------------------------

def test_keys_are_asked_when_configured(config, monkeypatch):
    monkeypatch.setenv("DESK_KEYS", "alpha, beta")
    settings = load_config(config, api_keys_env="DESK_KEYS")
    with running(settings, FunctionEngine(met)) as (url, _):
        body = {"q": ENGLISH, "source": "en", "target": "hy"}
        assert httpx.post(url + "translate", json=body).status_code == 403
        assert httpx.post(url + "translate", json={**body, "api_key": "gamma"}).json() == {"error": "Invalid API key"}
        assert httpx.post(url + "translate", json={**body, "api_key": "beta"}).status_code == 200
        assert httpx.get(url + "languages").status_code == 200  # as LibreTranslate: languages need no key
        deepl_body = {"text": [ENGLISH], "target_lang": "HY"}
        assert httpx.post(url + "v2/translate", json=deepl_body).status_code == 403
        assert httpx.post(url + "v2/translate", json=deepl_body,
                          headers={"Authorization": "DeepL-Auth-Key alpha"}).status_code == 200
        assert httpx.post(url + "v1/translate", json={"text": ENGLISH, "target": "hy"},
                          headers={"Authorization": "Bearer alpha"}).status_code == 200
    monkeypatch.setenv("DESK_KEYS", "")
    with pytest.raises(TargmanError, match="DESK_KEYS holds no keys"):
        make_server(settings, port=0, make_translator=lambda: Translator(settings, engine=FunctionEngine(met)))


def test_size_and_rate_limits(config):
    settings = load_config(config, max_request_kb=1, max_texts=3, max_chars=500, rate_per_minute=5)
    with running(settings, FunctionEngine(met)) as (url, _):
        big = httpx.post(url + "translate", json={"q": "x" * 2000, "source": "en", "target": "hy"})
        assert big.status_code == 413 and "max_request_kb" in big.json()["error"]
        many = httpx.post(url + "v2/translate", json={"text": ["a", "b", "c", "d"], "target_lang": "HY"})
        assert many.status_code == 413 and "max_texts" in many.json()["message"]
        long = httpx.post(url + "v1/translate", json={"texts": ["y " * 150, "z " * 150], "target": "hy"})
        assert long.status_code == 413 and "max_chars" in long.json()["error"]
        # two requests above count (a body over the limit is refused before it is read), three more
        # pass, the sixth in the minute is refused
        codes = [httpx.post(url + "translate", json={"q": "Hi.", "source": "en", "target": "hy"}).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = httpx.post(url + "translate", json={"q": "Hi.", "source": "en", "target": "hy"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_port_in_use_is_said_before_a_model_loads(config, capsys):
    import socket

    from pipeline.cli import main

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        assert main(["serve", "--port", str(taken.getsockname()[1]), "--model", "/nowhere"]) != 0
    finally:
        taken.close()
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


# -- a real model ------------------------------------------------------------------------------------

def test_a_ct2_model_behind_the_deepl_client(ct2_models, tmp_path, desk):
    deepl = pytest.importorskip("deepl")
    settings = load_config(None, engine="ct2", model=str(ct2_models["en-hy"]), max_length=8,
                           quantization="float32", glossary=str(desk), cache_dir=str(tmp_path / "c"))
    with running(settings) as (url, svc):
        assert svc.engines == {"hy": {"engine": "ct2", "model": str(ct2_models["en-hy"])}}  # en-hy only
        client = deepl.Translator("k", server_url=url.rstrip("/"))
        result = client.translate_text(["Lavrov met Mirzoyan.", "Hello."], target_lang="HY")
        assert all(r.text and r.detected_source_lang == "EN" for r in result)
        with pytest.raises(deepl.DeepLException, match="target_lang"):
            client.translate_text("Բարև։", target_lang="EN-US")  # this model translates into Armenian only
        rows = httpx.post(url + "v1/translate", json={"text": "Lavrov met Mirzoyan.", "target": "hy"}).json()
        assert rows["results"][0]["terms"][0]["concept"] == "ararat-mirzoyan"
        assert rows["results"][0]["score"] < 0


# -- the batcher under steady load --------------------------------------------------------------------

def batcher_for(config, engine, **kwargs):
    from pipeline.serve.batcher import Batcher

    calls: list[int] = []
    batcher = Batcher(lambda: Translator(config, engine=engine), on_batch=lambda jobs, texts, s, d: calls.append(texts),
                      **kwargs)
    batcher.start()
    return batcher, calls


def test_clients_that_ask_again_at_once_fill_one_engine_call(config):
    """Eight clients, each sending its next sentence when answered: the batches hold (nearly) all
    eight, not two halves taking turns (the waiting half taken at once, the answered half too late)."""
    settings = load_config(config, cache=False)
    engine = FunctionEngine(met, seconds_per_batch=0.1)
    batcher, calls = batcher_for(settings, engine, wait_ms=0.0)

    def client(n):
        for k in range(6):
            time.sleep(0.002)  # the client reading its answer before asking again
            assert [r.text for r in batcher.submit([f"Client {n} sentence {k}."], "hy").result(30)] == ["[en>hy] met"]

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(client, range(8)))
    finally:
        batcher.close()
    assert sum(calls) == 48
    assert sum(calls) / len(calls) >= 6, calls


@pytest.mark.slow
def test_a_lone_client_in_sequence_waits_for_nobody(config):
    settings = load_config(config, cache=False)
    engine = FunctionEngine(met, seconds_per_batch=0.2)
    batcher, calls = batcher_for(settings, engine, wait_ms=0.0, patience=1.0, max_patience_ms=5000)
    waits: list[float] = []  # every wait for more requests the batcher asked its queue for
    take = batcher._queue.get

    def get(block=True, timeout=None):
        if block and timeout is not None:
            waits.append(timeout)
        return take(block, timeout)

    batcher._queue.get = get  # the batcher's thread is blocked in its first get(), taken before
    try:
        started = time.perf_counter()
        for k in range(5):
            batcher.submit([f"Sentence {k}."], "hy").result(30)
        seconds = time.perf_counter() - started
    finally:
        batcher.close()
    assert calls == [1] * 5
    assert waits == []  # waiting for "returning clients" would wait up to 0.2 s (the call's time) a request
    assert seconds < 5 * 0.2 + 5  # and shows in the time; the bound is loose for a loaded machine


@pytest.mark.slow
def test_clients_that_do_not_come_back_are_not_waited_for_again(config):
    """A burst of one-off requests, then single ones: one wait runs out, the next requests do not wait."""
    settings = load_config(config, cache=False)
    engine = FunctionEngine(met, seconds_per_batch=0.2)
    batcher, calls = batcher_for(settings, engine, wait_ms=20.0, patience=1.0, max_patience_ms=5000)
    try:
        futures = [batcher.submit([f"Burst {k}."], "hy") for k in range(4)]
        for future in futures:
            future.result(30)
        timings = []
        for k in range(3):
            started = time.perf_counter()
            batcher.submit([f"Alone {k}."], "hy").result(30)
            timings.append(time.perf_counter() - started)
    finally:
        batcher.close()
    assert sum(calls) == 7
    assert timings[0] >= 0.35  # waited (up to 0.2 s) for the burst's clients to come back
    assert max(timings[1:]) < 0.35, timings  # and then no more
