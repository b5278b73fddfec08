"""The translation chain: route, glossary, memory or engine, verify, flags (see `Translator`)."""
