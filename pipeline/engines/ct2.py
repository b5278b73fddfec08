"""The `ct2` engine: the same models converted to CTranslate2, the fast path on CPU.

`[model] id` is a converted folder (`targman model convert`), or a hub id / HF
folder that is converted once into the cache folder (`pipeline.models.convert`). The
model's own Hugging Face tokenizer, saved next to the converted weights, turns
text into tokens and back, so splitting, batching and language codes are the
ones the `hf` engine uses (`TokenizerEngine`). M2M100/NLLB target languages are
given to CTranslate2 as `target_prefix` and stripped from the output.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.engines.base import BatchOutput
from pipeline.engines.tokenizer import TokenizerEngine, model_kind
from pipeline.errors import ConfigError, ModelError
from pipeline.models.convert import (
    MARKER,
    converted_model,
    import_ctranslate2,
    is_converted,
    read_marker,
)
from pipeline.models.fingerprint import folder_fingerprint


class CT2Engine(TokenizerEngine):
    name = "ct2"
    # CTranslate2 has no positive lexical constraints. Glossary terms are repaired by n-best
    # re-ranking (the best of `beam_size` hypotheses that has every term), forbidden terms are
    # suppressed in the search itself (`suppress_sequences`), and the check reports the rest.
    constrains = False
    reranks = True
    _terms = None

    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):
        ctranslate2 = import_ctranslate2()
        from pipeline.cachedir import cache_dir as default_cache_dir
        from pipeline.models.hub import quiet_transformers

        quiet_transformers()
        from transformers import AutoTokenizer

        self.config = config
        self.ctranslate2 = ctranslate2
        self.model_dir = converted_model(
            config.id,
            quantization=config.quantization,
            cache_root=Path(cache_dir) if cache_dir else default_cache_dir(),
            revision=config.revision,
            allow_pickle=config.allow_pickle,
        )
        self.marker = read_marker(self.model_dir)
        device, _, index = config.device.partition(":")
        try:
            self.translator = ctranslate2.Translator(
                str(self.model_dir),
                device=device,
                device_index=int(index or 0),
                compute_type=config.quantization,
                intra_threads=config.threads,
                inter_threads=1,
            )
        except (RuntimeError, ValueError) as error:
            raise ConfigError(
                f"cannot load {self.model_dir} with CTranslate2 on [model] device = {config.device!r}, "
                f"quantization = {config.quantization!r}: {error}"
            ) from None
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), trust_remote_code=False, local_files_only=True)
        except (OSError, ValueError) as error:
            raise ModelError(
                f"{self.model_dir} has no usable tokenizer ({error}); convert the model with `targman model convert`, "
                f"which saves the tokenizer next to the CTranslate2 weights"
            ) from None
        self.kind = model_kind(self.tokenizer)
        positions = self.marker.get("max_position_embeddings")
        self.max_input = self._limit_input(positions)
        self.max_decoding = max(1, min(config.max_length, (positions or 1024) - 2))
        self._check_direction(tgt)

    # -- the interface ----------------------------------------------------------------
    def info(self) -> dict:
        return {
            "engine": self.name,
            "id": self.config.id,
            "converted": str(self.model_dir),
            "source": self.marker.get("source"),
            "revision": self.config.revision or self.marker.get("revision"),
            "architecture": self.marker.get("architecture"),
            "tokenizer": type(self.tokenizer).__name__,
            "device": self.translator.device,
            "compute_type": self.translator.compute_type,
            "threads": self.config.threads,
            "beam_size": self.config.beam_size,
            "max_length": self.max_decoding,
            "max_input_tokens": self.max_input,
        }

    def fingerprint(self) -> dict:
        return {
            "engine": self.name,
            "id": self.config.id,
            "revision": self.config.revision or self.marker.get("revision"),
            "content": folder_fingerprint(self.model_dir),
            "compute_type": self.translator.compute_type,
            "beam_size": self.config.beam_size,
            "max_length": self.max_decoding,
            "max_input_tokens": self.max_input,
        }

    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None,
                         constraints=None, banned=None) -> list[BatchOutput]:
        tokens = [self.tokenizer.convert_ids_to_tokens(row) for row in ids]
        rerank = bool(constraints) and any(constraints)
        suppress = self._suppressed(banned)
        lang = self.target_language_token(tgt)
        # `max_length` counts the end-of-sentence token, as transformers' max_new_tokens does;
        # a fixed length (min_length >= max_length) is that many tokens of text, as in `hf`.
        fixed = bool(min_length) and min_length >= self.max_decoding
        limit = self.max_decoding if fixed else max(1, self.max_decoding - 1)
        prefix = 1 if lang else 0  # CTranslate2 counts the target prefix in the lengths
        results = self.translator.translate_batch(
            tokens,
            target_prefix=[[lang] for _ in tokens] if lang else None,
            beam_size=self.config.beam_size,
            max_batch_size=0,  # the batches are ours already
            max_input_length=0,  # never truncate: long sentences were split
            max_decoding_length=limit + prefix,
            min_decoding_length=min(min_length or 1, limit) + prefix,
            return_scores=True,
            num_hypotheses=self.config.beam_size if rerank else 1,
            suppress_sequences=suppress or None,
        )
        strip = self._strip_ids()
        out = []
        for i, result in enumerate(results):
            candidates = []
            for hypothesis, score in zip(result.hypotheses, result.scores or [None] * len(result.hypotheses)):
                if lang and hypothesis[:1] == [lang]:
                    hypothesis = hypothesis[1:]
                text, n = self._decode(self.tokenizer.convert_tokens_to_ids(hypothesis), strip)
                candidates.append(BatchOutput(text, float(score) if score is not None and math.isfinite(score) else None, n))
            wanted = constraints[i] if rerank else []
            best = next((c for c in candidates if has_terms(c.text, wanted)), None)
            out.append(best or replace(candidates[0], unmet=bool(wanted)))
        return out

    def _suppressed(self, banned) -> list[list[str]]:
        """Forbidden glossary terms as token sequences CTranslate2 never produces (whole batch)."""
        if not banned or not any(banned):
            return []
        from pipeline.engines.lexical import TermTokens

        if self._terms is None:
            self._terms = TermTokens(self.tokenizer)
        forms = sorted({form for forms in banned for form in forms})
        return [self.tokenizer.convert_ids_to_tokens(list(ids)) for ids in self._terms.bans(forms)]


def has_terms(text: str, constraints) -> bool:
    """Does `text` hold every constraint as often as asked, in any of its forms?

    Occurrences are counted without overlap, longest form first, so `Միրզոյանին`
    counts once although it starts with `Միրզոյան`.
    """
    for constraint in constraints:
        pattern = "|".join(re.escape(f) for f in sorted(constraint.forms, key=len, reverse=True))
        if len(re.findall(pattern, text)) < constraint.count:
            return False
    return True


__all__ = ["CT2Engine", "MARKER", "is_converted"]
