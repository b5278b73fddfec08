"""Glossary terms as token sequences, for engines that constrain their search.

A term is offered in two spellings of tokens: word-initial (`▁Միրզոյան`, after a
space, the usual case) and attached (after an opening quote or bracket, where
SentencePiece cuts the word differently). Forms the tokenizer cannot spell
without `<unk>` are left out; a term left with no form is not forced, and the
check after translation reports it.
"""

from __future__ import annotations

from typing import Sequence

from pipeline.engines.constrained import Constraint

ATTACH_AFTER = "«"  # a character that glues the next word to it in any SentencePiece model


class TermTokens:
    """Turns string forms into target-side token ids, with a cache (terms repeat a lot)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.unk = getattr(tokenizer, "unk_token_id", None)
        self.special = set(getattr(tokenizer, "all_special_ids", []))
        self.cache: dict[str, tuple[tuple[int, ...], ...]] = {}

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text_target=text, add_special_tokens=False)["input_ids"])

    def spellings(self, form: str) -> tuple[tuple[int, ...], ...]:
        if form not in self.cache:
            found: list[tuple[int, ...]] = []
            initial = self._ids(form)
            prefix = self._ids(ATTACH_AFTER)
            glued = self._ids(ATTACH_AFTER + form)
            attached = glued[len(prefix):] if glued[: len(prefix)] == prefix else []
            for ids in (initial, attached):
                ids = tuple(i for i in ids)
                if ids and self.unk not in ids and not (set(ids) & self.special) and ids not in found:
                    found.append(ids)
            self.cache[form] = tuple(found)
        return self.cache[form]

    def constraints(self, terms: Sequence) -> list[Constraint]:
        """`terms`: objects with `forms` (strings) and `count` (glossary.constraints.TermConstraint)."""
        result = []
        for term in terms:
            alternatives: list[tuple[int, ...]] = []
            for form in term.forms:
                for ids in self.spellings(form):
                    if ids not in alternatives:
                        alternatives.append(ids)
            if alternatives:
                result.append(Constraint(tuple(alternatives), count=term.count))
        return result

    def bans(self, forms: Sequence[str]) -> list[tuple[int, ...]]:
        banned: list[tuple[int, ...]] = []
        for form in forms:
            for ids in self.spellings(form):
                if ids not in banned:
                    banned.append(ids)
        return banned
