"""Desk glossaries: concept-oriented TSV files, Armenian-aware matching, lint and formats.

Called by the rest of targman:
- `Glossary.load(path)` (raises `GlossaryError` listing every lint problem), `Glossary.lint(path)`,
  `glossary.match(text, lang) -> list[Match]`;
- `Matcher(glossary, lang).find(text) -> list[Match]`;
- `Glossary.target_for(match, tgt_lang) -> str` (preferred target term, same kind);
- `armenian.inflections(term) -> list[str]`;
- stages `annotate(segments, glossary, tgt)` and `verify(segment, glossary, tgt)`.
"""

from pipeline.errors import GlossaryError
from pipeline.glossary.matcher import Match, Matcher
from pipeline.glossary.model import Concept, Glossary, Term, load
from pipeline.glossary.problems import Problem
from pipeline.glossary.stage import annotate, verify, verify_all

__all__ = [
    "Concept", "Glossary", "GlossaryError", "Match", "Matcher", "Problem", "Term",
    "annotate", "load", "verify", "verify_all",
]
