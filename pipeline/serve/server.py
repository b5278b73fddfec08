"""Binding, starting and stopping the service (uvicorn, the `review` extra's server).

`make_server` binds the socket first (a port in use is said at once, before a model loads)
and loads the Translator; `serve` runs until Ctrl-C. Tests call `make_server` with port 0
and run the server in a thread of their own.
"""

from __future__ import annotations

from typing import Callable

from pipeline.config import Config
from pipeline.errors import TargmanError
from pipeline.listen import bind

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def need_starlette() -> None:
    try:
        import prometheus_client  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise TargmanError("targman serve needs Starlette, uvicorn and prometheus_client: "
                           "pip install 'targman[review]'") from None


def make_server(config: Config, *, host: str = "127.0.0.1", port: int = 5000, make_translator=None):
    """(uvicorn server, its bound socket, the base URL, the Service), the Translator loaded;
    served by `server.run(sockets=[sock])`, stopped by `server.should_exit = True` and `service.close()`."""
    need_starlette()
    import uvicorn

    from pipeline.serve.app import Service, create_app

    sock = bind(host, port)
    try:
        service = Service(config, make_translator=make_translator).start()
    except BaseException:
        sock.close()
        raise
    app = create_app(service)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=2))
    shown = f"[{host}]" if ":" in host else host
    return server, sock, f"http://{shown}:{sock.getsockname()[1]}/", service


def serve(config: Config, *, host: str = "127.0.0.1", port: int = 5000,
          announce: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C."""
    server, sock, url, service = make_server(config, host=host, port=port)
    if host not in LOOPBACK:
        announce(f"targman: warning: listening on {host}, not only on this machine"
                 + ("" if service.keys else "; anyone who can reach it can translate (set [serve] api_keys_env)"))
    engines = ", ".join(f"into {t}: {e['engine']} {e['model']}" for t, e in sorted(service.engines.items()))
    announce(f"targman: serving {engines} at {url} (LibreTranslate: {url}translate, DeepL: {url}v2/translate, "
             f"targman: {url}v1/translate; Ctrl-C to stop)")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        service.close()
