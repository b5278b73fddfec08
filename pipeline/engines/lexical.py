"""Glossary terms as token sequences, for engines that constrain their search.

A term is spelled word-initially (`▁Միրզոյան`): it always starts a new word, and
the search keeps letters from being glued after it (`word_continuation`), so a
forced term is a word of its own that the check after translation finds. Forms
the tokenizer cannot spell without `<unk>` are left out; a term left with no form
is not forced, and the check reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from pipeline.engines.constrained import Constraint


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
            ids = tuple(self._ids(form))
            ok = ids and self.unk not in ids and not (set(ids) & self.special)
            self.cache[form] = (ids,) if ok else ()
        return self.cache[form]

    def word_continuation(self, vocab_size: int):
        """A bool per token id: True for pieces that continue the word before them."""
        import torch

        mask = torch.zeros(vocab_size, dtype=torch.bool)
        for token, index in self.tokenizer.get_vocab().items():
            if index < vocab_size and index not in self.special and token[:1].isalnum():
                mask[index] = True  # no `▁`: glued to what comes before
        # Language tokens (M2M100's `__hr__`) vanish when decoded: what follows them is glued too.
        for index in getattr(self.tokenizer, "lang_token_to_id", {}).values():
            if index < vocab_size:
                mask[index] = True
        return mask

    def constraints(self, terms: Sequence) -> list[Constraint]:
        """`terms`: objects with `forms` (strings) and `count` (glossary.constraints.TermConstraint)."""
        from pipeline.engines.constrained import Constraint  # torch: only the constrained search needs it

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
