"""`targman serve`: a loaded `Translator` behind the HTTP APIs newsroom tools already speak.

A CMS plugin, Weblate, OmegaT or a browser extension calls a translation service over HTTP;
the common APIs are LibreTranslate's and DeepL's. The service keeps the desk's engine,
glossary, translation memory and checks loaded, and answers

- LibreTranslate: `POST /translate`, `GET /languages`, `POST /detect` (`libretranslate`);
- DeepL v2 text: `POST /v2/translate`, `GET /v2/languages`, `GET /v2/usage` (`deepl`);
- targman's own `POST /v1/translate`, a `Result` as JSON (flags, terms, score, origin);
- `GET /health` and Prometheus `GET /metrics` for operations.

Requests from concurrent clients are gathered for a few milliseconds into one engine call
(`batcher`); the memory is the same one `targman run` uses. Modules: `batcher` (the one
thread that owns the Translator), `apis` (the wire formats), `app` (routes, keys, limits),
`metrics`.
"""
