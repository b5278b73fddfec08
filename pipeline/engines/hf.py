"""The `hf` engine: any Hugging Face seq2seq translation model (MarianMT, M2M100, NLLB).

Loads with `AutoModelForSeq2SeqLM` and the model's own tokenizer, safetensors
only unless the user allows pickle, never `trust_remote_code`. Batches are built
across documents, sorted by length and bounded by a token budget.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.engines.base import BatchOutput, Description
from pipeline.engines.tokenizer import (
    TokenizerEngine,
    check_direction,
    input_limit,
    output_limit,
    supported_pairs,
    tokenizer_info,
)
from pipeline.errors import ConfigError, ModelError
from pipeline.models.facts import ModelFacts, read_facts
from pipeline.models.fingerprint import folder_fingerprint
from pipeline.models.hub import download, local_folder, resolve


def _import_torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as error:  # pragma: no cover - dependencies are declared
        raise ModelError(f"{error.name} is not installed: pip install targman (it brings torch and transformers)") from None
    return torch


SCORE_CHUNK_FLOATS = 1 << 23  # logits held at once while scoring (32 MB of float32)


def model_folder(config: ModelConfig) -> Path:
    """The local folder of `[model] id` (a hub model is downloaded once, without torch)."""
    where, kwargs = resolve(config.id, config.revision)
    folder = local_folder(where, kwargs)
    if folder is None:
        folder = download(where, kwargs)
    return folder


def check_weights(folder: Path, allow_pickle: bool) -> None:
    if folder.is_dir() and not any(folder.glob("*.safetensors")) and not allow_pickle:
        if any(folder.glob("*.bin")):
            raise ModelError(
                f"{folder} has only pickled weights (*.bin), which can run code when loaded. "
                "Convert them to safetensors, or set [model] allow_pickle = true / pass --allow-pickle "
                "if you trust where they came from."
            )
        raise ModelError(f"{folder} has no model weights (*.safetensors)")


class HFEngine(TokenizerEngine):
    name = "hf"
    constrains = True  # glossary terms forced by the search itself (engines.constrained)
    reranks = False
    _terms = None  # TermTokens, made on first use

    @classmethod
    def describe(cls, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Description:
        folder = model_folder(config)
        check_weights(folder, config.allow_pickle)
        return cls._describe(config, tgt, read_facts(folder))

    @classmethod
    def _describe(cls, config: ModelConfig, tgt: str, facts: ModelFacts) -> Description:
        check_direction(facts, tgt, config.id)
        info = tokenizer_info(facts, config, cls.name)
        info.update(parameters=facts.parameters, device=config.device, constrains=cls.constrains,
                    terms="constrained beam search: terms forced, forbidden terms banned")
        fingerprint = {key: info[key] for key in ("engine", "id", "revision", "beam_size", "max_length",
                                                  "max_length_a", "max_length_b", "max_input_tokens")}
        fingerprint["content"] = folder_fingerprint(facts.folder)
        return Description(cls.name, cls.constrains, cls.reranks, info, fingerprint, supported_pairs(facts))

    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):
        # `cache_dir` is for engines that convert models; hub models stay in Hugging Face's own cache.
        folder = model_folder(config)
        check_weights(folder, config.allow_pickle)
        self.facts = read_facts(folder)
        self.description = self._describe(config, tgt, self.facts)
        self.config = config
        self.model_dir = folder
        torch = _import_torch()
        from pipeline.models.hub import quiet_transformers

        quiet_transformers()
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.torch = torch
        if config.threads:
            torch.set_num_threads(config.threads)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False, local_files_only=True)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(
                str(folder),
                trust_remote_code=False,
                use_safetensors=None if config.allow_pickle else True,
                local_files_only=True,
            )
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot load model {config.id!r}: {error}") from None
        try:
            self.device = torch.device(config.device)
            self.model.to(self.device)
        except (RuntimeError, AssertionError) as error:
            raise ConfigError(f"[model] device = {config.device!r} is not usable here: {error}") from None
        self.model.eval()
        self.max_input = input_limit(self.facts, config)
        self.max_output = self.max_new_tokens = output_limit(self.facts, config)

    def _prepare(self, src: str, tgt: str) -> dict:
        """Set the tokenizer's source language; return generate() options for the target."""
        self._set_source_language(src)
        if self.kind == "m2m100":
            return {"forced_bos_token_id": self.tokenizer.get_lang_id(tgt)}
        token = self.target_language_token(tgt)
        return {"forced_bos_token_id": self.tokenizer.convert_tokens_to_ids(token)} if token else {}

    def _forced_eos(self, ids: list[list[int]], min_length: int | None, bos: int):
        """The end of sentence forced at a sentence's cap, for generate() and the constrained search
        alike: the cap counts it for every model (as for MarianMT, whose config forces it at the last
        step; T5's does not), so `ct2` stops where `hf` does. None when `min_length` reaches the cap
        (the bench's fixed length), where a forced end would fight it."""
        longest = max(cap + bos for cap in self.caps(ids, min_length))
        if min_length and min_length + bos >= longest:
            return None
        config = self.model.generation_config
        return config.forced_eos_token_id if config.forced_eos_token_id is not None else config.eos_token_id

    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None,
                         constraints=None, banned=None, align=None) -> list[BatchOutput]:
        if any(constraints or ()) or any(banned or ()):
            return self._constrained(ids, self._prepare(src, tgt), constraints, banned, min_length=min_length,
                                     align=align, tgt=tgt)
        return self._generate(ids, self._prepare(src, tgt), min_length=min_length, align=align, tgt=tgt)

    def _constrained(self, ids, gen_options: dict, constraints, banned, *, min_length: int | None = None,
                     align=None, tgt: str = "") -> list[BatchOutput]:
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
        bos_id = gen_options.get("forced_bos_token_id")
        bos = 1 if bos_id is not None else 0
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
                # raised by the search where a sentence's terms need more; a forced language token on top
                max_new_tokens=[cap + bos for cap in self.caps(ids, min_length)],
                forced_bos_token_id=bos_id,
                min_new_tokens=min(min_length, self.max_new_tokens) + bos if min_length else None,
                word_continuation=self._glued.to(self.device),
                forced_eos_token_id=self._forced_eos(ids, min_length, bos),
            )
        strip = self._strip_ids()
        results = []
        for i, hyp in enumerate(hyps):
            text, count = self._decode(hyp.tokens, strip)
            # the search keeps room for every term it can spell: what is unmet is unspellable
            unspellable = len(token_constraints[i]) < len(constraints[i] or [])
            results.append(BatchOutput(text, float(hyp.score) if math.isfinite(hyp.score) else None, count, not hyp.met or unspellable))
        if align and any(a is not None for a in align):
            start = [self.model.generation_config.decoder_start_token_id] + ([bos_id] if bos else [])
            rows = [start + list(hyp.tokens) for hyp in hyps]
            width = max(len(row) for row in rows) + 1  # + the place of the end of sentence
            pad = self.model.config.pad_token_id
            sequences = self.torch.tensor([row + [pad] * (width - len(row)) for row in rows], device=self.device)
            results = self._with_links(results, ids, inputs, None, sequences, align, tgt)
        return results

    def _with_links(self, results: list[BatchOutput], ids, inputs, hidden, sequences, align, tgt: str) -> list[BatchOutput]:
        """`results` with the word alignment of the rows that `align` asks it for: from the
        cross-attention of a teacher-forced pass over the chosen outputs (what the search
        attended to while it chose them, with no beam to trace back), averaged over layers and
        heads. Only those rows go through it, with eager attention (SDPA gives no weights)."""
        from dataclasses import replace

        from transformers.modeling_outputs import BaseModelOutput

        torch = self.torch
        rows = [k for k, source in enumerate(align) if source is not None]
        index = torch.tensor(rows, device=self.device)
        mask = inputs["attention_mask"][index]
        encoder = {"encoder_outputs": BaseModelOutput(last_hidden_state=hidden[index])} if hidden is not None \
            else {"input_ids": inputs["input_ids"][index]}
        before = self.model.config._attn_implementation
        self.model.set_attn_implementation("eager")
        try:
            with torch.inference_mode():
                out = self.model(attention_mask=mask, decoder_input_ids=sequences[index, :-1], output_attentions=True,
                                 use_cache=False, **encoder)
        finally:
            self.model.set_attn_implementation(before)
        weights = torch.stack([layer.float() for layer in out.cross_attentions]).mean(dim=(0, 2))  # (rows, target, source)
        results = list(results)
        for n, k in enumerate(rows):
            real = mask[n].nonzero().flatten()  # the source's own positions, wherever the padding is
            grid = weights[n][:, real].tolist()
            links = self._word_links(ids[k], align[k], sequences[k, 1:].tolist(), results[k].text, grid, tgt)
            results[k] = replace(results[k], links=links)
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

    def _generate(self, ids: list[list[int]], gen_options: dict, *, min_length: int | None = None, align=None,
                  tgt: str = "") -> list[BatchOutput]:
        from transformers.modeling_outputs import BaseModelOutput

        torch = self.torch
        inputs = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
        beams = self.config.beam_size
        # A forced language token (M2M100, NLLB) is not text: the caps count it on top, as ct2 does.
        bos = 1 if gen_options.get("forced_bos_token_id") is not None else 0
        caps = [cap + bos for cap in self.caps(ids, min_length)]
        longest = max(caps)
        if min_length:
            # At least `min_length` output tokens (bench: min = max, a fixed length, so every
            # engine does the same work). A forced end-of-sentence at the last step would fight it.
            gen_options = {**gen_options, "min_new_tokens": min(min_length + bos, longest)}
        gen_options["forced_eos_token_id"] = self._forced_eos(ids, min_length, bos)
        if min(caps) < longest:  # each sentence stops at its own cap (relative to its source length)
            gen_options["logits_processor"] = row_caps(caps, beams, self.model.generation_config.eos_token_id)
        with torch.inference_mode():
            # The encoder runs once, for generate() and for scoring (generate() expands the
            # object it is given in place for the beams, so it gets its own).
            hidden = self.model.get_encoder()(**inputs).last_hidden_state
            sequences = self.model.generate(
                **inputs,
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
                num_beams=beams,
                num_return_sequences=1,
                max_new_tokens=longest,
                do_sample=False,
                **gen_options,
            )
            seq_scores = self._mean_log_probs(inputs, hidden, sequences, skip_first="forced_bos_token_id" in gen_options)
        strip = self._strip_ids()
        results = []
        for row, score in zip(sequences.tolist(), seq_scores):
            text, n = self._decode(row, strip)
            results.append(BatchOutput(text, float(score) if math.isfinite(score) else None, n))
        if align and any(a is not None for a in align):
            results = self._with_links(results, ids, inputs, hidden, sequences, align, tgt)
        return results


def row_caps(caps: list[int], beams: int, eos):
    """A logits processor that ends each sentence at its own cap: at its cap's last step only
    the end-of-sentence token is left (what generate() does for the whole batch at
    max_new_tokens with a forced EOS). Rows of `input_ids` are sentence x beam."""
    from transformers import LogitsProcessor, LogitsProcessorList

    eos_id = eos[0] if isinstance(eos, (list, tuple)) else eos

    class RowCaps(LogitsProcessor):
        def __init__(self):
            self.caps = None

        def __call__(self, input_ids, scores):
            if self.caps is None:
                self.caps = scores.new_tensor(caps, dtype=input_ids.dtype).repeat_interleave(beams)
            generated = input_ids.shape[1] - 1  # the decoder start token is not generated
            ending = self.caps[: scores.shape[0]] - 1 == generated
            if bool(ending.any()):
                scores[ending] = float("-inf")
                scores[ending, eos_id] = 0.0
            return scores

    return LogitsProcessorList([RowCaps()])
