"""The `ct2` engine: the same models converted to CTranslate2, the fast path on CPU.

`[model] id` is a converted folder (`targman model convert`), or a hub id / HF
folder that is converted once into the cache folder (`pipeline.convert`). The
model's own Hugging Face tokenizer, saved next to the converted weights, turns
text into tokens and back, so splitting, batching and language codes are the
ones the `hf` engine uses (`TokenizerEngine`). M2M100/NLLB target languages are
given to CTranslate2 as `target_prefix` and stripped from the output.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.convert import MARKER, converted_model, import_ctranslate2, is_converted, read_marker
from pipeline.engines.base import TokenizerEngine, model_kind
from pipeline.errors import ConfigError, ModelError
from pipeline.fingerprint import folder_fingerprint


class CT2Engine(TokenizerEngine):
    name = "ct2"

    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):
        ctranslate2 = import_ctranslate2()
        from pipeline.cachedir import cache_dir as default_cache_dir
        from pipeline.tinymodel import quiet_transformers

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

    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None):
        tokens = [self.tokenizer.convert_ids_to_tokens(row) for row in ids]
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
        )
        strip = self._strip_ids()
        out = []
        for result in results:
            hypothesis = result.hypotheses[0]
            if lang and hypothesis[:1] == [lang]:
                hypothesis = hypothesis[1:]
            text, n = self._decode(self.tokenizer.convert_tokens_to_ids(hypothesis), strip)
            score = result.scores[0] if result.scores else None
            out.append((text, float(score) if score is not None and math.isfinite(score) else None, n))
        return out


__all__ = ["CT2Engine", "MARKER", "is_converted"]
