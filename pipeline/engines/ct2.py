"""The `ct2` engine: the same models converted to CTranslate2, the fast path on CPU.

`[model] id` is a converted folder (`targman model convert`), or a hub id / HF
folder that is converted once into the cache folder (`pipeline.models.convert`). The
model's own tokenizer files, saved next to the converted weights, are read with
SentencePiece or `tokenizers` (`engines.pieces`: the Hugging Face tokenizer's token ids,
without importing transformers or torch), so splitting, batching and language codes are
the ones the `hf` engine uses (`TokenizerEngine`); torch and the HF model load only when
the constrained search has a segment to translate again. M2M100/NLLB target languages are
given to CTranslate2 as `target_prefix` and stripped from the output.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import ModelConfig
from pipeline.engines.base import BatchOutput, Description, options_of
from pipeline.engines.pieces import load as load_pieces
from pipeline.engines.tokenizer import (
    TokenizerEngine,
    check_direction,
    input_limit,
    output_limit,
    supported_pairs,
    token_budget_batches,
    tokenizer_info,
)
from pipeline.errors import ConfigError, ModelError
from pipeline.models.facts import ModelFacts, read_facts
from pipeline.models.convert import (
    MARKER,
    converted_model,
    import_ctranslate2,
    is_converted,
    read_marker,
)
from pipeline.models.fingerprint import folder_fingerprint

if TYPE_CHECKING:
    from pipeline.engines.lexical import TermTokens

log = logging.getLogger("targman")

CAP_SPREAD = 1.25  # rows whose output caps differ more than this go to separate CTranslate2 calls
_warned: set[str] = set()  # a missing source folder is said once per process


def _facts(model_dir: Path, marker: dict) -> ModelFacts:
    """`read_facts`, once per folder and process while its files stay as they are: `describe` and
    the engine's load both ask, and reading the vocabulary twice is a tenth of a second of a
    one-sentence `targman translate`."""
    files = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in model_dir.iterdir() if p.is_file()))
    key = (str(model_dir.resolve()), files)
    if key not in _facts_read:
        if len(_facts_read) >= 8:  # a process serves a few models at most
            _facts_read.clear()
        _facts_read[key] = read_facts(model_dir, marker)
    return _facts_read[key]


_facts_read: dict = {}


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


def constrained_source(config: ModelConfig, marker: dict) -> Path | None:
    """The Hugging Face folder a CTranslate2 model was converted from, for the constrained
    search: `[engine.ct2] source`, else the folder the conversion marker records. None (with a
    warning) when it is gone or holds other weights than the ones converted."""
    named = options_of(CT2Engine, config).source or marker.get("source_folder")
    if not named:
        return None
    folder = Path(named).expanduser()
    if not (folder / "config.json").is_file() or not any(folder.glob("*.safetensors")):
        _warn_once(f"missing {folder}", (
            f"{folder} (the model {config.id!r} was converted from) is not a Hugging Face model folder here: "
            "glossary terms the n-best lists miss are flagged, not forced; set [engine.ct2] source to that folder"
        ))
        return None
    recorded = marker.get("source_fingerprint")
    if recorded and folder_fingerprint(folder) != recorded:
        _warn_once(f"changed {folder}", (
            f"{folder} holds other weights than the ones {config.id!r} was converted from: "
            "glossary terms the n-best lists miss are flagged, not forced; convert the model again"
        ))
        return None
    return folder


QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")


@dataclass(frozen=True)
class CT2Options:
    """`[engine.ct2]`: what only the CTranslate2 engine reads."""

    quantization: str = field(default="int8", metadata={"choices": QUANTIZATIONS})  # weights type of a conversion,
    # and the compute type
    source: str = ""  # the Hugging Face folder it was converted from, for the constrained search
    # ("" = the folder its conversion marker records)


class CT2Engine(TokenizerEngine):
    name = "ct2"
    # CTranslate2 has no positive lexical constraints. Glossary terms are first sought in the
    # n-best lists (the best of `beam_size` hypotheses that has every term), forbidden terms are
    # suppressed in the search itself (`suppress_sequences`), and a segment whose terms no
    # hypothesis holds is translated again by the project's constrained beam search on the
    # Hugging Face model it was converted from (loaded on first need). Without that folder the
    # engine only re-ranks (`constrains` is False) and the check reports what is missing.
    constrains = False
    reranks = True
    options = CT2Options
    _terms: TermTokens | None = None  # made on first need (`_term_tokens`)
    _fallback = None

    @classmethod
    def describe(cls, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Description:
        model_dir, marker = cls._locate(config, cache_dir)
        return cls._describe(config, tgt, model_dir, marker, _facts(model_dir, marker))

    @staticmethod
    def _locate(config: ModelConfig, cache_dir) -> tuple[Path, dict]:
        from pipeline.cachedir import cache_dir as default_cache_dir

        model_dir = converted_model(
            config.id,
            quantization=options_of(CT2Engine, config).quantization,
            cache_root=Path(cache_dir) if cache_dir else default_cache_dir(),
            revision=config.revision,
            allow_pickle=config.allow_pickle,
        )
        return model_dir, read_marker(model_dir)

    @classmethod
    def _describe(cls, config: ModelConfig, tgt: str, model_dir: Path, marker: dict, facts: ModelFacts) -> Description:
        check_direction(facts, tgt, config.id)
        source = constrained_source(config, marker)
        constrains = source is not None
        info = tokenizer_info(facts, config, cls.name)
        info["revision"] = config.revision or marker.get("revision")
        info.update(
            converted=str(model_dir),
            source=marker.get("source"),
            device=config.device,
            compute_type=options_of(cls, config).quantization,
            threads=config.threads,
            constrains=constrains,
            constrained_search=str(source) if source else None,
            terms=(
                "n-best re-ranking, then missing terms forced at their aligned position by CTranslate2; segments "
                f"still missing one are translated again by the constrained beam search on {source}; forbidden "
                "terms suppressed" if constrains else
                "n-best re-ranking, then missing terms forced at their aligned position; forbidden terms suppressed"
            ),
        )
        fingerprint = {key: info[key] for key in ("engine", "id", "revision", "compute_type", "beam_size", "max_length",
                                                  "max_length_a", "max_length_b", "max_input_tokens")}
        fingerprint["content"] = folder_fingerprint(model_dir)
        fingerprint["placement"] = PLACEMENT  # how missing terms are forced decides the output of segments with terms
        if source:  # the constrained search decides the output of segments with terms
            fingerprint["constrained_search"] = folder_fingerprint(source)
        return Description(cls.name, constrains, True, info, fingerprint, supported_pairs(facts))

    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):
        model_dir, marker = self._locate(config, cache_dir)
        self.facts = _facts(model_dir, marker)
        self.description = self._describe(config, tgt, model_dir, marker, self.facts)
        self.constrains = self.description.constrains
        self.config = config
        self.own: CT2Options = options_of(CT2Engine, config)  # [engine.ct2]
        self.model_dir = model_dir
        self.marker = marker
        self.source = Path(self.description.info["constrained_search"]) if self.constrains else None
        ctranslate2 = import_ctranslate2()
        self.ctranslate2 = ctranslate2
        device, _, index = config.device.partition(":")
        try:
            self.translator = ctranslate2.Translator(
                str(self.model_dir),
                device=device,
                device_index=int(index or 0),
                compute_type=self.own.quantization,
                intra_threads=config.threads,
                inter_threads=1,
            )
        except (RuntimeError, ValueError) as error:
            raise ConfigError(
                f"cannot load {self.model_dir} with CTranslate2 on [model] device = {config.device!r}, "
                f"[engine.ct2] quantization = {self.own.quantization!r}: {error}"
            ) from None
        self.tokenizer = load_pieces(self.model_dir, self.facts.kind) or self._hf_tokenizer()
        self.max_input = input_limit(self.facts, config)
        self.max_output = self.max_decoding = output_limit(self.facts, config)
        self._tgt = tgt

    def _hf_tokenizer(self):
        """transformers' tokenizer, for a folder whose tokenizer files `engines.pieces` cannot read."""
        from pipeline.models.hub import quiet_transformers

        quiet_transformers()
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(str(self.model_dir), trust_remote_code=False, local_files_only=True)
        except (OSError, ValueError, TypeError) as error:
            raise ModelError(
                f"{self.model_dir} has no usable tokenizer ({error}); convert the model with `targman model convert`, "
                f"which saves the tokenizer next to the CTranslate2 weights"
            ) from None

    # -- the interface ----------------------------------------------------------------
    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None,
                         constraints=None, banned=None, align=None) -> list[BatchOutput]:
        caps = self.caps(ids, min_length)
        out: dict[int, BatchOutput] = {}
        for group in cap_groups(caps):
            rows = self._translate_rows(
                [ids[k] for k in group], max(caps[k] for k in group), src=src, tgt=tgt, min_length=min_length,
                constraints=[constraints[k] for k in group] if constraints else None, banned=banned,
                align=[align[k] for k in group] if align else None,
            )
            for k, row in zip(group, rows):
                out[k] = row
        return [out[k] for k in range(len(ids))]  # `cap_groups` holds every row once

    def _translate_rows(self, ids, cap: int, *, src: str, tgt: str, min_length: int | None, constraints, banned,
                        align=None) -> list[BatchOutput]:
        tokens = [self.tokenizer.convert_ids_to_tokens(row) for row in ids]
        rerank = bool(constraints) and any(constraints)
        suppress = self._suppressed(banned)
        lang = self.target_language_token(tgt)
        # `max_length` counts the end-of-sentence token, as transformers' max_new_tokens does;
        # a fixed length (min_length >= the cap) is that many tokens of text, as in `hf`.
        fixed = bool(min_length and min_length >= cap)
        limit = cap if fixed else max(1, cap - 1)
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
            # where a missing term goes (`_place_terms`); where a sentence's inline tags go (`align`)
            return_attention=rerank or any(a is not None for a in align or ()),
            num_hypotheses=self.config.beam_size if rerank else 1,
            suppress_sequences=suppress or None,
        )
        best = [self._best(result, constraints[i] if rerank else [], lang) for i, result in enumerate(results)]
        for i, source in enumerate(align or ()):
            chosen = best[i]
            if source is not None and isinstance(chosen, Aligned) and chosen.attention:
                target_ids = self.tokenizer.convert_tokens_to_ids(list(chosen.hypothesis))
                best[i] = replace(chosen, links=self._word_links(ids[i], source, target_ids, chosen.text,
                                                                 chosen.attention, tgt))
        return best

    def _best(self, result, wanted: list, lang: str | None) -> BatchOutput:
        """The best hypothesis that holds every term; else the best one, unmet, with its tokens and
        attention (an `Aligned`) when CTranslate2 gave them."""
        strip = self._strip_ids()
        candidates = []
        attention = result.attention or [None] * len(result.hypotheses)
        for hypothesis, score, weights in zip(result.hypotheses, result.scores or [None] * len(result.hypotheses),
                                              attention):
            if lang and hypothesis[:1] == [lang]:
                hypothesis = hypothesis[1:]
                weights = weights[1:] if weights and len(weights) > len(hypothesis) else weights
            text, n = self._decode(self.tokenizer.convert_tokens_to_ids(hypothesis), strip)
            score = float(score) if score is not None and math.isfinite(score) else None
            candidates.append(Aligned(text, score, n, hypothesis=tuple(hypothesis), attention=weights or ()))
        best = next((c for c in candidates if has_terms(c.text, wanted)), None)
        if best is not None and not result.attention:
            return plain(best)
        return best or replace(candidates[0], unmet=bool(wanted))

    # -- terms the n-best lists could not hold ------------------------------------------
    def _repair(self, encoded, outputs, *, src: str, tgt: str, min_length: int | None, options: list[dict]) -> list[BatchOutput]:
        """Segments whose terms no hypothesis held: each missing term is placed by CTranslate2
        (`_place_terms`, all such segments of the call in one batch a round); what that leaves
        unmet goes to the constrained search on the HF model, in length-sorted batches."""
        todo = [k for k, output in enumerate(outputs) if output.unmet and options[k].get("constraints")]
        if todo:
            outputs = self._place_terms(encoded, list(outputs), todo, tgt=tgt, min_length=min_length, options=options)
            self.placed += sum(1 for k in todo if not outputs[k].unmet)
            # The HF search spells terms with the same tokenizer: a segment whose missing terms it
            # cannot spell would come back unmet from it too (and `terms-unmet` says so).
            todo = [k for k in todo if outputs[k].unmet and self._spellable_missing(outputs[k].text, options[k]["constraints"])]
        outputs = [plain(output) for output in outputs]
        if not todo or not self.constrains:
            return outputs
        engine = self.constrained_engine()
        lengths = [len(row) for row in encoded]
        order = sorted(todo, key=lambda k: -lengths[k])
        outputs = list(outputs)
        for batch in token_budget_batches(order, lengths, self.config.batch_tokens, self.config.batch_size):
            results = engine._translate_batch(
                [encoded[k] for k in batch], src=src, tgt=tgt, min_length=min_length,
                constraints=[options[k]["constraints"] for k in batch],
                banned=[options[k].get("banned", []) for k in batch],
            )
            for k, result in zip(batch, results, strict=True):
                outputs[k] = result
        self.repaired += len(todo)
        return outputs

    repaired = 0  # segments (pieces) the constrained search translated again
    placed = 0  # segments (pieces) whose missing terms CTranslate2 placed

    # -- placing a missing term with CTranslate2 ----------------------------------------
    def _place_terms(self, encoded, outputs, todo, *, tgt: str, min_length: int | None, options) -> list[BatchOutput]:
        """Force each missing term where the hypothesis attends to its source: the best
        hypothesis up to that position, then the term's tokens, is given to CTranslate2 as
        `target_prefix` and the beam search goes on from there. A round forces every missing
        term of every segment at once (the hypothesis between two terms' positions kept), in
        one CTranslate2 call per output cap: one call a round, not one a term. A term the model
        glued letters to is forced again in the next round (each keeps what the last forced).
        A term the tokenizer cannot spell, or one still glued after the rounds, stays unmet."""
        terms = self._term_tokens()
        lang = self.target_language_token(tgt)
        kept = {k: 0 for k in todo}  # tokens of each hypothesis that earlier rounds forced
        # usually one round; more for terms the model glued letters to (forced again after themselves)
        rounds = 0 if not MAX_PLACED else max(MAX_PLACED, 2 * max(len(options[k]["constraints"]) for k in todo))
        for _ in range(rounds):
            rows = []
            for k in todo:
                output = outputs[k]
                if not output.unmet or not isinstance(output, Aligned) or not output.hypothesis:
                    continue
                # every missing term the tokenizer can spell (one it cannot is left to the check), each
                # where the hypothesis attends most to its source, in the order of those positions
                places = []
                for constraint in options[k]["constraints"]:
                    if has_terms(output.text, [constraint]):
                        continue
                    spelled = next((ids for form in constraint.forms for ids in terms.spellings(form)), None)
                    if spelled is not None:
                        places.append((max(kept[k], self._aligned_position(encoded[k], output, constraint)), spelled))
                if not places:
                    continue
                prefix, at = [], 0
                for position, spelled in sorted(places, key=lambda place: place[0]):
                    prefix += list(output.hypothesis[at:position]) + self.tokenizer.convert_ids_to_tokens(list(spelled))
                    at = max(at, position)
                kept[k] = len(prefix)
                rows.append((k, prefix))
            if not rows:
                break
            caps = {k: self.caps([encoded[k]], min_length)[0] for k, _ in rows}
            for group in cap_groups([caps[k] for k, _ in rows]):
                chosen = [rows[g] for g in group]
                cap = max(caps[k] for k, _ in chosen)
                fixed = bool(min_length and min_length >= cap)
                limit = cap if fixed else max(1, cap - 1)
                first = 1 if lang else 0  # CTranslate2 counts the target prefix in the lengths
                results = self.translator.translate_batch(
                    [self.tokenizer.convert_ids_to_tokens(encoded[k]) for k, _ in chosen],
                    target_prefix=[([lang] if lang else []) + prefix for _, prefix in chosen],
                    beam_size=self.config.beam_size,
                    max_batch_size=0,
                    max_input_length=0,
                    max_decoding_length=max(limit, max(len(p) for _, p in chosen) + 1) + first,
                    min_decoding_length=min(min_length or 1, limit) + first,
                    return_scores=True,
                    return_attention=True,
                    num_hypotheses=1,
                )
                for (k, _), result in zip(chosen, results):
                    outputs[k] = self._best(result, options[k]["constraints"], lang)
        return outputs

    def _spellable_missing(self, text: str, constraints) -> bool:
        """Does `text` lack a term the tokenizer can spell?"""
        terms = self._term_tokens()
        return any(not has_terms(text, [c]) and any(terms.spellings(form) for form in c.forms) for c in constraints)

    def _term_tokens(self) -> TermTokens:
        """The terms' tokens with this model's tokenizer, made on first need."""
        if self._terms is None:
            from pipeline.engines.lexical import TermTokens

            self._terms = TermTokens(self.tokenizer)
        return self._terms

    def _aligned_position(self, source_ids: list[int], output: "Aligned", constraint) -> int:
        """The hypothesis position that attends most to the term's source words (the end of the
        hypothesis when its source is not found among the tokens)."""
        span: list[int] = []
        for surface in constraint.sources:
            ids = self.tokenizer(surface, add_special_tokens=False)["input_ids"]
            n = len(ids)
            span = next((list(range(i, i + n)) for i in range(len(source_ids) - n + 1) if n and source_ids[i:i + n] == ids), [])
            if span:
                break
        length = len(output.hypothesis)
        if not span or not output.attention:
            return length
        weights = [sum(row[s] for s in span if s < len(row)) for row in output.attention[:length]]
        return max(range(len(weights)), key=weights.__getitem__) if weights else length

    def constrained_engine(self):
        """The `hf` engine on the folder this model was converted from, loaded on first need."""
        if self._fallback is None:
            from pipeline.engines.hf import HFEngine

            config = replace(self.config, engine="hf", id=str(self.source), revision=None, source="")
            log.info(f"ct2: loading {self.source} for the constrained search of segments whose terms the n-best lists miss")
            self._fallback = HFEngine(config, self._tgt)
        return self._fallback

    def _suppressed(self, banned) -> list[list[str]]:
        """Forbidden glossary terms as token sequences CTranslate2 never produces (whole batch)."""
        if not banned or not any(banned):
            return []
        forms = sorted({form for forms in banned for form in forms})
        return [self.tokenizer.convert_ids_to_tokens(list(ids)) for ids in self._term_tokens().bans(forms)]


PLACEMENT = "prefix-at-attention-3"  # `_place_terms`' method, in the fingerprint: change it when it changes
MAX_PLACED = 4  # rounds of `_place_terms` at least (two a term when a segment has more than two)


@dataclass(frozen=True)
class Aligned(BatchOutput):
    """A CTranslate2 hypothesis with what placing a term in it needs."""

    hypothesis: tuple[str, ...] = ()  # its tokens (without the target-language token)
    attention: tuple | list = ()  # one row of weights over the source tokens per hypothesis token


def plain(output: BatchOutput) -> BatchOutput:
    """A BatchOutput without the tokens and attention an `Aligned` carries."""
    if isinstance(output, Aligned):
        return BatchOutput(output.text, output.score, output.tokens, output.unmet, output.links)
    return output


def cap_groups(caps: list[int]) -> list[list[int]]:
    """Rows (indices) grouped for CTranslate2, whose output cap is one per call: largest cap
    first, a new group where a row's cap is below the group's largest / CAP_SPREAD. The
    batches are length-sorted already, so a batch is usually one group."""
    order = sorted(range(len(caps)), key=lambda k: -caps[k])
    groups: list[list[int]] = []
    for k in order:
        if groups and caps[k] * CAP_SPREAD >= caps[groups[-1][0]]:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def has_terms(text: str, constraints) -> bool:
    """Does `text` hold every constraint as often as asked, in any of its forms?

    Occurrences are counted without overlap, longest form first, so `Միրզոյանին`
    counts once although it starts with `Միրզոյան`; and only as words of their own, as
    the check after translation counts them (`ՀԱՊԿական` holds no `ՀԱՊԿ`).
    """
    for constraint in constraints:
        forms = "|".join(re.escape(f) for f in sorted(constraint.forms, key=len, reverse=True))
        if len(re.findall(rf"(?<!\w)(?:{forms})(?!\w)", text)) < constraint.count:
            return False
    return True


__all__ = ["CT2Engine", "MARKER", "is_converted"]
