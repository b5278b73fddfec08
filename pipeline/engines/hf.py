"""The `hf` engine: any Hugging Face seq2seq translation model (MarianMT, M2M100, NLLB).

Loads with `AutoModelForSeq2SeqLM` and the model's own tokenizer, safetensors
only unless the user allows pickle, never `trust_remote_code`. Batches are built
across documents, sorted by length and bounded by a token budget.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from pipeline.config import ModelConfig
from pipeline.engines.base import Translation, split_to_fit
from pipeline.errors import ConfigError, ModelError
from pipeline.models import resolve

# ISO 639-1 -> the codes multilingual models use.
NLLB_CODES = {"hy": "hye_Armn", "en": "eng_Latn", "ru": "rus_Cyrl", "ka": "kat_Geor", "fr": "fra_Latn", "de": "deu_Latn"}
ISO3 = {"hy": "hye", "en": "eng", "ru": "rus", "ka": "kat", "fr": "fra", "de": "deu"}


def _import_torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as error:  # pragma: no cover - dependencies are declared
        raise ModelError(f"{error.name} is not installed: pip install targman (it brings torch and transformers)") from None
    return torch


class HFEngine:
    name = "hf"
    constrains = False  # glossary terms forced by the search itself

    def __init__(self, config: ModelConfig, tgt: str):
        torch = _import_torch()
        from pipeline.tinymodel import quiet_transformers

        quiet_transformers()
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.config = config
        self.torch = torch
        if config.threads:
            torch.set_num_threads(config.threads)
        where, kwargs = resolve(config.id, config.revision)
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
        self.kind = self._kind()
        self.max_input = self._max_input()
        positions = getattr(self.model.config, "max_position_embeddings", None) or 1024
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

    def _kind(self) -> str:
        name = type(self.tokenizer).__name__.lower()
        if "nllb" in name:
            return "nllb"
        if "m2m" in name:
            return "m2m100"
        return "marian"

    def _max_input(self) -> int:
        limits = [getattr(self.model.config, "max_position_embeddings", None) or 512]
        tok_limit = getattr(self.tokenizer, "model_max_length", None)
        if tok_limit and tok_limit < 100_000:
            limits.append(tok_limit)
        if self.config.max_input_tokens:
            limits.append(self.config.max_input_tokens)
        return max(4, min(limits) - 2)

    def _marian_langs(self) -> tuple[str | None, str | None]:
        src = getattr(self.tokenizer, "source_lang", None)
        tgt = getattr(self.tokenizer, "target_lang", None)
        return (src if isinstance(src, str) else None), (tgt if isinstance(tgt, str) else None)

    def _target_prefix_token(self, tgt: str) -> str | None:
        """Multi-target OPUS-MT models want `>>hye<<` in front of the source."""
        vocab = self.tokenizer.get_vocab()
        for code in (ISO3.get(tgt), tgt):
            if code and f">>{code}<<" in vocab:
                return f">>{code}<<"
        return None

    def _check_direction(self, tgt: str) -> None:
        if self.kind == "marian":
            _, model_tgt = self._marian_langs()
            if model_tgt and model_tgt.split("_")[0] in ISO3 and model_tgt.split("_")[0] != tgt and not self._target_prefix_token(tgt):
                raise ConfigError(
                    f"model {self.config.id!r} translates into {model_tgt!r}, but the run's target is {tgt!r}: "
                    f"pass a model for that direction (--model) or --tgt {model_tgt}"
                )

    # -- the interface ----------------------------------------------------------------
    def supports(self, src: str, tgt: str) -> bool:
        if src == tgt:
            return False
        if self.kind == "nllb":
            return src in NLLB_CODES and tgt in NLLB_CODES
        if self.kind == "m2m100":
            return src in self.tokenizer.lang_code_to_id if hasattr(self.tokenizer, "lang_code_to_id") else True
        model_src, _ = self._marian_langs()
        if model_src and model_src.split("_")[0] in ISO3:
            return model_src.split("_")[0] == src
        return src in ("hy", "en")

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

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _prepare(self, src: str, tgt: str) -> dict:
        """Set the tokenizer's source language; return generate() options for the target."""
        options: dict = {}
        if self.kind == "nllb":
            self.tokenizer.src_lang = NLLB_CODES[src]
            options["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(NLLB_CODES[tgt])
        elif self.kind == "m2m100":
            self.tokenizer.src_lang = src
            options["forced_bos_token_id"] = self.tokenizer.get_lang_id(tgt)
        return options

    def _strip_ids(self) -> set[int]:
        ids = set(self.tokenizer.all_special_ids)
        for attr in ("lang_token_to_id",):
            ids.update(getattr(self.tokenizer, attr, {}).values())
        return ids

    def translate(self, texts: Sequence[str], *, src: str, tgt: str, **options) -> list[Translation]:
        """Translate `texts` from `src` into `tgt`; results in input order."""
        if not texts:
            return []
        gen_options = self._prepare(src, tgt)
        prefix = self._target_prefix_token(tgt) if self.kind == "marian" else None
        # Split what is too long for the model into pieces that fit.
        pieces: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            for piece in split_to_fit(text, self.count_tokens, self.max_input):
                pieces.append((i, f"{prefix} {piece}" if prefix else piece))
        encoded = [self.tokenizer(p, add_special_tokens=True)["input_ids"] for _, p in pieces]
        order = sorted(range(len(pieces)), key=lambda k: -len(encoded[k]))
        outputs: list[tuple[str, float | None, int] | None] = [None] * len(pieces)
        for batch in self._batches(order, encoded):
            results = self._generate([encoded[k] for k in batch], gen_options, **options)
            for k, result in zip(batch, results):
                outputs[k] = result
        joined: list[Translation] = [Translation("", None, 0, 0) for _ in texts]
        scores: list[list[tuple[float, int]]] = [[] for _ in texts]
        for (i, _), (text, score, n) in zip(pieces, outputs):
            t = joined[i]
            t.text = f"{t.text} {text}".strip() if t.pieces else text
            t.tokens += n
            t.pieces += 1
            if score is not None:
                scores[i].append((score, n))
        for t, parts in zip(joined, scores):
            total = sum(n for _, n in parts)
            if parts and total:
                t.score = sum(s * n for s, n in parts) / total
            elif parts:
                t.score = parts[0][0]
        return joined

    def _batches(self, order: list[int], encoded: list[list[int]]):
        """Consecutive runs of the length-sorted order, each within the token budget."""
        batch: list[int] = []
        longest = 0
        for k in order:
            length = len(encoded[k])
            new_longest = max(longest, length)
            if batch and (
                new_longest * (len(batch) + 1) > self.config.batch_tokens or len(batch) >= self.config.batch_size
            ):
                yield batch
                batch, new_longest = [], length
            batch.append(k)
            longest = new_longest
        if batch:
            yield batch

    def _generate(self, ids: list[list[int]], gen_options: dict, **options) -> list[tuple[str, float | None, int]]:
        torch = self.torch
        inputs = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
        beams = self.config.beam_size
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                num_beams=beams,
                num_return_sequences=1,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                return_dict_in_generate=True,
                output_scores=True,
                **gen_options,
            )
        sequences = out.sequences
        if beams > 1:
            seq_scores = out.sequences_scores.tolist()
        else:
            transition = self.model.compute_transition_scores(sequences, out.scores, normalize_logits=True)
            seq_scores = []
            for row in transition:
                finite = row[torch.isfinite(row)]
                seq_scores.append(float(finite.mean()) if len(finite) else 0.0)
        strip = self._strip_ids()
        results = []
        for row, score in zip(sequences.tolist(), seq_scores):
            kept = [t for t in row if t not in strip]
            text = self.tokenizer.decode(kept, skip_special_tokens=True, clean_up_tokenization_spaces=False)
            results.append((text.strip(), float(score) if math.isfinite(score) else None, len(kept)))
        return results
