"""The `hf` engine: any Hugging Face seq2seq translation model (MarianMT, M2M100, NLLB).

Loads with `AutoModelForSeq2SeqLM` and the model's own tokenizer, safetensors
only unless the user allows pickle, never `trust_remote_code`. Batches are built
across documents, sorted by length and bounded by a token budget.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.engines.base import BatchOutput
from pipeline.engines.tokenizer import TokenizerEngine, model_kind
from pipeline.errors import ConfigError, ModelError
from pipeline.models.fingerprint import folder_fingerprint
from pipeline.models.hub import local_folder, resolve


def _import_torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as error:  # pragma: no cover - dependencies are declared
        raise ModelError(f"{error.name} is not installed: pip install targman (it brings torch and transformers)") from None
    return torch


SCORE_CHUNK_FLOATS = 1 << 23  # logits held at once while scoring (32 MB of float32)


class HFEngine(TokenizerEngine):
    name = "hf"
    constrains = True  # glossary terms forced by the search itself (engines.constrained)
    reranks = False
    _terms = None  # TermTokens, made on first use

    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):
        # `cache_dir` is for engines that convert models; hub models stay in Hugging Face's own cache.
        torch = _import_torch()
        from pipeline.models.hub import quiet_transformers

        quiet_transformers()
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.config = config
        self.torch = torch
        if config.threads:
            torch.set_num_threads(config.threads)
        where, kwargs = resolve(config.id, config.revision)
        self.model_dir = local_folder(where, kwargs)
        self._check_weights(where, kwargs)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(where, trust_remote_code=False, **kwargs)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(
                where,
                trust_remote_code=False,
                use_safetensors=None if config.allow_pickle else True,
                **kwargs,
            )
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot load model {config.id!r}: {error}") from None
        try:
            self.device = torch.device(config.device)
            self.model.to(self.device)
        except (RuntimeError, AssertionError) as error:
            raise ConfigError(f"[model] device = {config.device!r} is not usable here: {error}") from None
        self.model.eval()
        self.kind = model_kind(self.tokenizer)
        positions = getattr(self.model.config, "max_position_embeddings", None)
        self.max_input = self._limit_input(positions)
        positions = positions or 1024
        self.max_new_tokens = max(1, min(config.max_length, positions - 2))
        self.commit = getattr(self.model.config, "_commit_hash", None)
        self._check_direction(tgt)

    # -- loading -------------------------------------------------------------------
    def _check_weights(self, where: str, kwargs: dict) -> None:
        folder = Path(where)
        if folder.is_dir() and not any(folder.glob("*.safetensors")) and not self.config.allow_pickle:
            if any(folder.glob("*.bin")):
                raise ModelError(
                    f"{folder} has only pickled weights (*.bin), which can run code when loaded. "
                    "Convert them to safetensors, or set [model] allow_pickle = true / pass --allow-pickle "
                    "if you trust where they came from."
                )
            raise ModelError(f"{folder} has no model weights (*.safetensors)")

    # -- the interface ----------------------------------------------------------------
    def info(self) -> dict:
        return {
            "engine": self.name,
            "id": self.config.id,
            "revision": self.config.revision or self.commit,
            "architecture": type(self.model).__name__,
            "tokenizer": type(self.tokenizer).__name__,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device),
            "beam_size": self.config.beam_size,
            "max_length": self.max_new_tokens,
            "max_input_tokens": self.max_input,
            "constrains": self.constrains,
        }

    def fingerprint(self) -> dict:
        return {
            "engine": self.name,
            "id": self.config.id,
            "revision": self.config.revision or self.commit,
            "content": folder_fingerprint(self.model_dir) if self.model_dir else None,
            "beam_size": self.config.beam_size,
            "max_length": self.max_new_tokens,
            "max_input_tokens": self.max_input,
        }

    def _prepare(self, src: str, tgt: str) -> dict:
        """Set the tokenizer's source language; return generate() options for the target."""
        self._set_source_language(src)
        if self.kind == "m2m100":
            return {"forced_bos_token_id": self.tokenizer.get_lang_id(tgt)}
        token = self.target_language_token(tgt)
        return {"forced_bos_token_id": self.tokenizer.convert_tokens_to_ids(token)} if token else {}

    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None,
                         constraints=None, banned=None) -> list[BatchOutput]:
        if any(constraints or ()) or any(banned or ()):
            return self._constrained(ids, self._prepare(src, tgt), constraints, banned, min_length=min_length)
        return self._generate(ids, self._prepare(src, tgt), min_length=min_length)

    def _constrained(self, ids, gen_options: dict, constraints, banned, *, min_length: int | None = None) -> list[BatchOutput]:
        """The project's constrained beam search: every term in the output, in one of its forms.

        With no constraints for a sentence it gives exactly what generate() gives, so
        a batch may mix sentences with and without terms.
        """
        from pipeline.engines.constrained import constrained_beam_search
        from pipeline.engines.lexical import TermTokens

        if self._terms is None:
            self._terms = TermTokens(self.tokenizer)
            self._glued = self._terms.word_continuation(self.model.config.vocab_size)
        n = len(ids)
        constraints = constraints or [[]] * n
        token_constraints = [self._terms.constraints(c or []) for c in constraints]
        token_bans = [self._terms.bans(b or []) for b in (banned or [[]] * n)]
        inputs = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
        with self.torch.inference_mode():
            hyps = constrained_beam_search(
                self.model,
                inputs["input_ids"],
                inputs["attention_mask"],
                constraints=token_constraints,
                banned=token_bans,
                num_beams=self.config.beam_size,
                max_new_tokens=self.max_new_tokens,
                forced_bos_token_id=gen_options.get("forced_bos_token_id"),
                min_new_tokens=min(min_length, self.max_new_tokens) if min_length else None,
                word_continuation=self._glued.to(self.device),
            )
        strip = self._strip_ids()
        results = []
        for i, hyp in enumerate(hyps):
            text, count = self._decode(hyp.tokens, strip)
            # a term the tokenizer cannot spell could not be forced: as unmet as one that did not fit
            unspellable = len(token_constraints[i]) < len(constraints[i] or [])
            results.append(BatchOutput(text, float(hyp.score) if math.isfinite(hyp.score) else None, count, not hyp.met or unspellable))
        return results

    def _mean_log_probs(self, inputs, hidden, sequences, *, skip_first: bool) -> list[float]:
        """Mean log-probability of each output token under the model, from a teacher-forced
        pass over the finished outputs (on the encoder states generate() used). For beam
        search this is exactly transformers' `sequences_scores` (length penalty 1); asking
        generate() for `output_scores` instead keeps every step's full-vocabulary scores,
        gigabytes for a batch of an OPUS-MT model. Rows go through in chunks, so that the
        logits of a chunk stay near SCORE_CHUNK_FLOATS floats."""
        from transformers.modeling_outputs import BaseModelOutput

        torch = self.torch
        targets = sequences[:, 1:]
        mask = targets != self.model.config.pad_token_id
        if skip_first:  # a forced language token is not the model's choice
            mask[:, 0] = False
        vocab = self.model.config.vocab_size
        rows = max(1, SCORE_CHUNK_FLOATS // max(1, targets.shape[1] * vocab))
        sums = []
        for start in range(0, sequences.shape[0], rows):
            part = slice(start, start + rows)
            logits = self.model(
                attention_mask=inputs["attention_mask"][part],
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden[part]),
                decoder_input_ids=sequences[part, :-1],
                use_cache=False,
            ).logits.float()
            chosen = logits.gather(-1, targets[part, :, None])[..., 0] - torch.logsumexp(logits, dim=-1)
            sums.append((chosen * mask[part]).sum(dim=1))
        counts = mask.sum(dim=1).clamp(min=1)
        return (torch.cat(sums) / counts).tolist()

    def _generate(self, ids: list[list[int]], gen_options: dict, *, min_length: int | None = None) -> list[BatchOutput]:
        from transformers.modeling_outputs import BaseModelOutput

        torch = self.torch
        inputs = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
        beams = self.config.beam_size
        if min_length:
            # At least `min_length` output tokens (bench: min = max, a fixed length, so every
            # engine does the same work). A forced end-of-sentence at the last step would fight it.
            gen_options = {**gen_options, "min_new_tokens": min(min_length, self.max_new_tokens)}
            if min_length >= self.max_new_tokens:
                gen_options["forced_eos_token_id"] = None
        with torch.inference_mode():
            # The encoder runs once, for generate() and for scoring (generate() expands the
            # object it is given in place for the beams, so it gets its own).
            hidden = self.model.get_encoder()(**inputs).last_hidden_state
            sequences = self.model.generate(
                **inputs,
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
                num_beams=beams,
                num_return_sequences=1,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                **gen_options,
            )
            seq_scores = self._mean_log_probs(inputs, hidden, sequences, skip_first="forced_bos_token_id" in gen_options)
        strip = self._strip_ids()
        results = []
        for row, score in zip(sequences.tolist(), seq_scores):
            text, n = self._decode(row, strip)
            results.append(BatchOutput(text, float(score) if math.isfinite(score) else None, n))
        return results
