"""What the `hf` and `ct2` engines share: a Hugging Face tokenizer, language codes,
sentences split to fit the model, and length-sorted batches within a token budget."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, ClassVar, Iterable, Sequence

from pipeline.config import ModelConfig
from pipeline.engines.base import (
    Banned,
    BatchOutput,
    Constraints,
    Contexts,
    Description,
    Done,
    NoOptions,
    Translation,
    check_options,
)
from pipeline.errors import ConfigError
from pipeline.models.facts import ModelFacts

# ISO 639-1 -> the codes multilingual models use.
NLLB_CODES = {"hy": "hye_Armn", "en": "eng_Latn", "ru": "rus_Cyrl", "ka": "kat_Geor", "fr": "fra_Latn", "de": "deu_Latn"}
ISO3 = {"hy": "hye", "en": "eng", "ru": "rus", "ka": "kat", "fr": "fra", "de": "deu"}


def plan_groups(batches: Iterable[Sequence[int]], owners: Sequence[int]) -> list[list[int]]:
    """The texts of each group of `batches` (of pieces; `owners`: each piece's text), in order:
    a batch, or consecutive batches that share a split text."""
    groups: list[list[int]] = []
    for batch in batches:
        texts_in = list(dict.fromkeys(owners[k] for k in batch))
        if groups and texts_in[0] == groups[-1][-1]:  # a text split across the two batches
            groups[-1] += texts_in[1:]
        else:
            groups.append(texts_in)
    return [sorted(group) for group in groups]


def token_budget_batches(order: Sequence[int], lengths: Sequence[int], batch_tokens: int, batch_size: int):
    """Consecutive runs of a length-sorted `order`, each within the padded-token budget."""
    batch: list[int] = []
    longest = 0
    for k in order:
        length = lengths[k]
        new_longest = max(longest, length)
        if batch and (new_longest * (len(batch) + 1) > batch_tokens or len(batch) >= batch_size):
            yield batch
            batch, new_longest = [], length
        batch.append(k)
        longest = new_longest
    if batch:
        yield batch


def model_kind(tokenizer) -> str:
    """`marian`, `m2m100`, `nllb` or `madlad`, from the tokenizer's class."""
    name = type(tokenizer).__name__.lower()
    if "nllb" in name:
        return "nllb"
    if "m2m" in name:
        return "m2m100"
    if "t5" in name:
        return "madlad"
    return "marian"


# -- what the model folder says (no tokenizer, no torch: see pipeline.models.facts) --------------

def _marian_pair(facts: ModelFacts) -> tuple[str | None, str | None]:
    def iso(code):
        return code.split("_")[0] if code and code.split("_")[0] in ISO3 else None

    return iso(facts.source_lang), iso(facts.target_lang)


def target_prefix(facts: ModelFacts, tgt: str) -> str | None:
    """The token in front of the source that picks the target: `>>hye<<` for multi-target
    OPUS-MT models, `<2hy>` for MADLAD-400; None when the model needs none."""
    if facts.kind == "madlad":
        return f"<2{tgt}>"
    if facts.kind == "marian":
        for code in (ISO3.get(tgt), tgt):
            if code and f">>{code}<<" in facts.prefixes:
                return f">>{code}<<"
    return None


def supports(facts: ModelFacts, src: str, tgt: str) -> bool:
    if src == tgt:
        return False
    if facts.kind == "nllb":
        return src in NLLB_CODES and tgt in NLLB_CODES
    if facts.kind == "m2m100":
        return src in ISO3 and tgt in ISO3
    if facts.kind == "madlad":
        return src in ISO3 and (not facts.prefixes or f"<2{tgt}>" in facts.prefixes)
    model_src, _ = _marian_pair(facts)
    if model_src:
        return model_src == src
    return src in ("hy", "en")


def supported_pairs(facts: ModelFacts) -> frozenset:
    return frozenset((s, t) for s in ISO3 for t in ISO3 if supports(facts, s, t))


def check_direction(facts: ModelFacts, tgt: str, model_id: str) -> None:
    """A one-direction model asked for the other direction: say so before anything loads."""
    if facts.kind == "marian":
        _, model_tgt = _marian_pair(facts)
        if model_tgt and model_tgt != tgt and not target_prefix(facts, tgt):
            raise ConfigError(
                f"model {model_id!r} translates into {facts.target_lang!r}, but the run's target is {tgt!r}: "
                f"pass a model for that direction (--model) or --tgt {model_tgt}"
            )
    elif facts.kind == "madlad" and facts.prefixes and f"<2{tgt}>" not in facts.prefixes:
        raise ConfigError(f"model {model_id!r} has no <2{tgt}> target token: it cannot translate into {tgt!r}")


def input_limit(facts: ModelFacts, config: ModelConfig) -> int:
    """Most source tokens of one piece: the model's positions, its tokenizer's limit, the config's."""
    limits = [facts.positions or 512]
    if facts.model_max_length:
        limits.append(facts.model_max_length)
    if config.max_input_tokens:
        limits.append(config.max_input_tokens)
    return max(4, min(limits) - 2)


def output_limit(facts: ModelFacts, config: ModelConfig) -> int:
    """The absolute output cap: `[model] max_length`, within the model's positions."""
    return max(1, min(config.max_length, (facts.positions or 1024) - 2))


def output_cap(config: ModelConfig, limit: int, source_tokens: int, min_length: int | None = None) -> int:
    """Most output tokens (end of sentence included) for a source of `source_tokens` tokens:
    `max_length_a x source_tokens + max_length_b`, at most `limit` (the absolute cap). A
    `min_length` (the bench's fixed length) raises it, within `limit`."""
    cap = limit
    if config.max_length_a or config.max_length_b:
        cap = min(limit, max(1, math.ceil(config.max_length_a * source_tokens + config.max_length_b)))
    if min_length:
        cap = max(cap, min(min_length, limit))
    return cap


def tokenizer_info(facts: ModelFacts, config: ModelConfig, name: str) -> dict:
    """The part of `info()` every tokenizer engine shares."""
    return {
        "engine": name,
        "id": config.id,
        "revision": config.revision or facts.revision,
        "architecture": facts.architecture,
        "tokenizer": facts.tokenizer,
        "beam_size": config.beam_size,
        "max_length": output_limit(facts, config),
        "max_length_a": config.max_length_a,
        "max_length_b": config.max_length_b,
        "max_input_tokens": input_limit(facts, config),
    }


class TokenizerEngine:
    """What the `hf` and `ct2` engines share: the model's own Hugging Face tokenizer,
    language codes, splitting of over-long sentences, and length-sorted batching
    within a token budget. Subclasses set `tokenizer`, `config`, `facts`,
    `max_input`, `max_output` and implement `_translate_batch`."""

    name = ""
    # the [model] keys it reads (`engines.base.EngineClass`)
    settings = frozenset({"id", "revision", "device", "threads", "allow_pickle", "beam_size", "max_length",
                          "max_length_a", "max_length_b", "max_input_tokens", "batch_tokens", "batch_size"})
    options: ClassVar[type[Any]] = NoOptions  # no [engine.NAME] keys of its own (`engines.base.options_of`)
    # transformers' tokenizer of the model, or `pieces.FolderTokenizer` (ct2): duck-typed, as
    # `get_lang_id` and `src_lang` are only M2M100's and NLLB's own
    tokenizer: Any = None
    config: ModelConfig
    facts: ModelFacts
    description: Description
    context = 0  # reads no neighbouring sentences
    max_input = 512
    max_output = 256  # the absolute output cap; `output_cap` gives each sentence's

    @property
    def kind(self) -> str:
        return self.facts.kind

    def info(self) -> dict:
        return self.description.info

    def fingerprint(self) -> dict:
        return self.description.fingerprint

    # -- languages ----------------------------------------------------------------------
    def supports(self, src: str, tgt: str) -> bool:
        return (src, tgt) in self.description.pairs

    def _set_source_language(self, src: str) -> None:
        if self.kind == "nllb":
            self.tokenizer.src_lang = NLLB_CODES[src]
        elif self.kind == "m2m100":
            self.tokenizer.src_lang = src

    def target_language_token(self, tgt: str) -> str | None:
        """The token a multilingual decoder must start with (`__hy__`, `hye_Armn`), else None."""
        if self.kind == "nllb":
            return NLLB_CODES[tgt]
        if self.kind == "m2m100":
            return self.tokenizer.convert_ids_to_tokens(self.tokenizer.get_lang_id(tgt))
        return None

    def caps(self, ids: Sequence[Sequence[int]], min_length: int | None = None) -> list[int]:
        """Each row's output cap (see `output_cap`)."""
        return [output_cap(self.config, self.max_output, len(row), min_length) for row in ids]

    # -- tokens ---------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _strip_ids(self) -> set[int]:
        ids = set(self.tokenizer.all_special_ids)
        for attr in ("lang_token_to_id",):
            ids.update(getattr(self.tokenizer, attr, {}).values())
        return ids

    def _decode(self, ids: Sequence[int], strip: set[int]) -> tuple[str, int]:
        kept = [t for t in ids if t not in strip]
        text = self.tokenizer.decode(kept, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return text.strip(), len(kept)

    # -- the interface ----------------------------------------------------------------------
    def translate(self, texts: Sequence[str], *, src: str, tgt: str, min_length: int | None = None,
                  constraints: Constraints | None = None, banned: Banned | None = None,
                  context: Contexts | None = None, on_done: Done | None = None,
                  align: Sequence[bool] | None = None) -> list[Translation]:
        """Translate `texts` from `src` into `tgt`; results in input order.

        Sentences longer than the model's input limit are split (`split_to_fit`),
        all pieces are sorted by length and cut into batches within
        `[model] batch_tokens` / `batch_size`, and the pieces are joined again.
        `on_done(indices, translations)` hears of each text as soon as the batch that
        finishes it returns (one that `_repair` may still change, when that is done).
        `align`: the texts whose word alignment is wanted (not for a text split in pieces);
        a batch without one asks the model for no attention.
        """
        check_options(len(texts), min_length, constraints, banned, context, align)
        if not texts:
            return []
        per_text = {name: values for name, values in (("constraints", constraints), ("banned", banned)) if values is not None}
        parts_of, encoded, owners, order = self._layout(texts, src, tgt)
        piece_options: list[dict] = []
        for i, parts in enumerate(parts_of):
            options = [{name: for_piece(values[i] or [], piece, len(parts)) for name, values in per_text.items()}
                       for piece in parts]
            if "constraints" in per_text and len(parts) > 1:
                place_cut_terms(per_text["constraints"][i] or [], parts, options)
            piece_options += options
        # the source of each piece whose alignment is wanted (None: not wanted)
        aligned = [parts[0] if align and align[i] and len(parts) == 1 else None
                   for i, parts in enumerate(parts_of) for _ in parts]
        lengths = [len(e) for e in encoded]
        outputs: dict[int, BatchOutput] = {}  # each piece's, as its batch returns
        waiting = [0] * len(texts)  # pieces of each text not translated yet
        pieces_of: list[list[int]] = [[] for _ in texts]
        for k, i in enumerate(owners):
            waiting[i] += 1
            pieces_of[i].append(k)
        deferred: list[int] = []

        def joined(i: int) -> Translation:
            return join_pieces(1, [0] * len(pieces_of[i]), [outputs[k] for k in pieces_of[i]])[0]

        batches = list(token_budget_batches(order, lengths, self.config.batch_tokens, self.config.batch_size))
        for batch in batches:
            batch_options: dict = {name: [piece_options[k][name] for k in batch] for name in per_text}
            if any(aligned[k] is not None for k in batch):
                batch_options["align"] = [aligned[k] for k in batch]
            results = self._translate_batch([encoded[k] for k in batch], src=src, tgt=tgt, min_length=min_length, **batch_options)
            finished = []
            for k, result in zip(batch, results, strict=True):
                outputs[k] = result
                waiting[owners[k]] -= 1
                if not waiting[owners[k]]:
                    finished.append(owners[k])
            if on_done is not None and finished:
                # A text with a term still unmet may be repaired after the batches: it is told of then.
                ready = [i for i in finished if not any(outputs[k].unmet for k in pieces_of[i])]
                deferred += [i for i in finished if i not in ready]
                if ready:
                    on_done(ready, [joined(i) for i in ready])
        # Repaired group by group (`plan`), not over the whole call: a call of one group (a Ray
        # actor's) then repairs in the same batches as the whole call, and gives the same bytes.
        for group in plan_groups(batches, owners):
            pieces = [k for i in group for k in pieces_of[i]]
            repaired = self._repair([encoded[k] for k in pieces], [outputs[k] for k in pieces], src=src, tgt=tgt,
                                    min_length=min_length, options=[piece_options[k] for k in pieces])
            outputs.update(zip(pieces, repaired, strict=True))  # the deferred texts are told of the repaired pieces
        if on_done is not None and deferred:
            on_done(deferred, [joined(i) for i in deferred])
        return join_pieces(len(texts), owners, [outputs[k] for k in range(len(owners))])

    def _layout(self, texts: Sequence[str], src: str, tgt: str):
        """Each text's pieces (split to fit the model), every piece's token ids and owner (the
        text it is of), and the order they are batched in."""
        self._set_source_language(src)
        prefix = target_prefix(self.facts, tgt)
        parts_of = [split_to_fit(text, self.count_tokens, self.max_input) for text in texts]
        owners = [i for i, parts in enumerate(parts_of) for _ in parts]
        encoded = [self.tokenizer(f"{prefix} {piece}" if prefix else piece, add_special_tokens=True)["input_ids"]
                   for parts in parts_of for piece in parts]
        # Longest first, and the pieces of a split text next to each other, so that a text is
        # finished (and reported to on_done) as soon as possible, not when its last piece comes up.
        longest = [0] * len(texts)
        for k, i in enumerate(owners):
            longest[i] = max(longest[i], len(encoded[k]))
        order = sorted(range(len(owners)), key=lambda k: (-longest[owners[k]], owners[k], k))
        return parts_of, encoded, owners, order

    def plan(self, texts: Sequence[str], *, src: str, tgt: str) -> list[list[int]]:
        """How one call over `texts` is batched, as groups of text positions (each in order):
        translated group by group, the texts of a group in this order, the engine makes exactly
        the batches the one call makes, so the outputs are the same to the bit. A group is a
        batch, or consecutive batches that share a split text. `engines.ray_pool` sends the
        groups of a call to different actors."""
        if not texts:
            return []
        _, encoded, owners, order = self._layout(texts, src, tgt)
        return plan_groups(token_budget_batches(order, [len(e) for e in encoded], self.config.batch_tokens,
                                                self.config.batch_size), owners)

    def _repair(self, encoded: list[list[int]], outputs: list[BatchOutput], *, src: str, tgt: str,
                min_length: int | None, options: list[dict]) -> list[BatchOutput]:
        """A second pass over every piece of the call, after all batches (ct2: the terms the
        n-best lists could not hold go to the constrained search). Nothing by default."""
        return outputs

    def _translate_batch(self, ids: list[list[int]], *, src: str, tgt: str, min_length: int | None = None,
                         constraints=None, banned=None, align=None) -> list[BatchOutput]:
        """One BatchOutput per row of token ids, in order; `align`: per row, its source text when
        its word alignment (`BatchOutput.links`) is wanted, else None."""
        raise NotImplementedError

    # -- word alignment from cross-attention ------------------------------------------------
    def _token_words(self, ids: Sequence[int], text: str, skip: int = 0) -> list[int] | None:
        """The word (`\\S+` of `text`) each token of `ids` belongs to (-1: a special token, or
        one of at most `skip` words in front, a target prefix like `>>hye<<`); None when the
        tokens do not decode to as many words as `text` has. Decoded a prefix at a time, so
        any tokenizer (SentencePiece, byte-level BPE) says itself where its words start; a
        SentencePiece token's `▁` says it at once, which is tried first (decoding every prefix
        doubled the time of a tagged sentence on the tiny model)."""
        strip = self._strip_ids()
        words = _piece_words(self.tokenizer.convert_ids_to_tokens(list(ids)), [t in strip for t in ids])
        shift = max(words, default=-1) + 1 - len(text.split())  # the prefix's words, when its pieces say so
        if 0 <= shift <= skip:
            return [w - shift if w >= shift else -1 for w in words]
        kept: list[int] = []
        words = []
        for token in ids:
            if token in strip:
                words.append(-1)
                continue
            kept.append(token)
            decoded = self.tokenizer.decode(kept, skip_special_tokens=True, clean_up_tokenization_spaces=False)
            words.append(len(decoded.split()) - 1)
        decoded = self.tokenizer.decode(kept, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        shift = len(decoded.split()) - len(text.split())  # the prefix's words, when they decode as text
        if not 0 <= shift <= skip:
            return None
        return [w - shift if w >= shift else -1 for w in words]

    def _word_links(self, source_ids: Sequence[int], source: str, target_ids: Sequence[int], target: str,
                    weights: Sequence[Sequence[float]], tgt: str) -> tuple[tuple[int, int], ...] | None:
        """(source word, target word) pairs from cross-attention `weights` (one row over the source
        tokens per target token): each target word goes with the source word its tokens attend to
        most (summed over the pieces of both). None when the tokens cannot be matched to words."""
        prefix = target_prefix(self.facts, tgt)  # in front of the source, not of its words
        src_words = self._token_words(source_ids, source, len(prefix.split()) if prefix else 0)
        tgt_words = self._token_words(target_ids, target)
        if src_words is None or tgt_words is None:
            return None
        return word_links(weights, src_words, tgt_words)


def for_piece(values: Sequence, piece: str, pieces: int) -> list:
    """A text's constraints or bans for one piece of it: a term goes where its source is."""
    if pieces == 1:
        return list(values)
    kept = []
    for value in values:
        if isinstance(value, str):
            kept.append(value)  # a ban holds everywhere
        elif hasattr(value, "within") and (placed := value.within(piece)) is not None:
            kept.append(placed)
    return kept


def place_cut_terms(constraints: Sequence, parts: list[str], options: list[dict]) -> None:
    """A term whose source the split cut in two is in no piece: it goes, as often as it is
    still missing, to the piece that holds the start of its source (else the first)."""
    for constraint in constraints:
        if not hasattr(constraint, "within"):
            continue
        placed = sum(c.count for option in options for c in option["constraints"] if c.concept == constraint.concept
                     and c.forms == constraint.forms)
        if placed >= constraint.count:
            continue
        first_word = constraint.sources[0].split()[0] if constraint.sources and constraint.sources[0].split() else ""
        k = next((k for k, piece in enumerate(parts) if first_word and first_word in piece.split()[-3:]), 0)
        options[k]["constraints"] = options[k]["constraints"] + [replace(constraint, count=constraint.count - placed)]


def _piece_words(pieces: Sequence[str], special: Sequence[bool]) -> list[int]:
    """The word of each SentencePiece token: a piece that starts with `▁` starts a word (a lone
    `▁` belongs to none, and the piece after it starts one); -1 for a special token."""
    words, n, pending = [], -1, False
    for piece, skip in zip(pieces, special):
        if skip or not isinstance(piece, str):
            words.append(-1)
            continue
        if piece.startswith("\u2581") and not piece.strip("\u2581"):
            pending = True
            words.append(-1)
            continue
        if piece.startswith("\u2581") or pending or n < 0:
            n += 1
            pending = False
        words.append(n)
    return words


def word_links(weights: Sequence[Sequence[float]], src_words: Sequence[int],
               tgt_words: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """For each target word, the source word with the most attention from its tokens (token
    rows and columns of `weights` whose word is -1 are left out)."""
    totals: dict[int, dict[int, float]] = {}
    for row, j in zip(weights, tgt_words):
        if j < 0:
            continue
        mass = totals.setdefault(j, {})
        for weight, i in zip(row, src_words):
            if i >= 0:
                mass[i] = mass.get(i, 0.0) + float(weight)
    return tuple((max(mass, key=lambda i: (mass[i], -i)), j) for j, mass in sorted(totals.items()) if mass)


def join_pieces(count: int, owners: Sequence[int], outputs: Sequence[BatchOutput]) -> list[Translation]:
    """Put the translations of split pieces back together, one Translation per text.

    The score of a split text is the token-weighted mean of its pieces' scores.
    """
    joined: list[Translation] = [Translation("", None, 0, 0) for _ in range(count)]
    scores: list[list[tuple[float, int]]] = [[] for _ in range(count)]
    for i, output in zip(owners, outputs):
        t = joined[i]
        t.unmet = t.unmet or output.unmet
        t.alignment = output.links if not t.pieces else None  # a split text has none
        t.text = f"{t.text} {output.text}".strip() if t.pieces else output.text
        t.tokens += output.tokens
        t.pieces += 1
        if output.score is not None:
            scores[i].append((output.score, output.tokens))
    for t, parts in zip(joined, scores):
        total = sum(n for _, n in parts)
        if parts and total:
            t.score = sum(s * n for s, n in parts) / total
        elif parts:
            t.score = parts[0][0]
    return joined


SPLIT_POINTS = ("; ", ", ", " – ", " — ", ": ", " ")
CHARS_PER_TOKEN_MAX = 16  # no tokenizer packs more characters than this into a token of news text


def _chunks(text: str, size: int) -> list[str]:
    """Consecutive pieces of at most `size` characters, cut after a space when one is near the end."""
    pieces = []
    start = 0
    while len(text) - start > size:
        end = start + size
        space = text.rfind(" ", start + size // 2, end)
        cut = space + 1 if space > 0 else end
        head = text[start:cut].rstrip()
        if head:
            pieces.append(head)
        start = cut
        while start < len(text) and text[start] == " ":
            start += 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` tokens, at clause breaks when it can.

    A sentence longer than the model's input limit is split, never silently
    truncated; the pieces are translated separately and joined with a space.

    Text far longer than the limit (a line with no breaks) is first cut into
    chunks sized from a sample's characters per token, without tokenizing the
    whole text, so splitting costs O(n) tokenizer work rather than tokenizing
    the whole text again at every halving.
    """
    chunk = CHARS_PER_TOKEN_MAX * limit
    if len(text) > 2 * chunk:
        sample = text[:chunk]  # how many characters a token takes here, to cut chunks that mostly fit
        size = max(1, min(chunk, int(0.9 * limit * len(sample) / max(1, count(sample)))))
        return [piece for part in _chunks(text, size) for piece in split_to_fit(part, count, limit)]
    if count(text) <= limit or len(text) < 2:
        return [text]
    middle = len(text) // 2
    cut = None
    for mark in SPLIT_POINTS:
        left = text.rfind(mark, 0, middle + 1)
        right = text.find(mark, middle)
        candidates = [p + len(mark) for p in (left, right) if p > 0 and p + len(mark) < len(text)]
        # Take a clause break only if it leaves neither side tiny.
        candidates = [p for p in candidates if len(text) // 8 <= p <= len(text) - len(text) // 8]
        if candidates:
            cut = min(candidates, key=lambda p: abs(p - middle))
            break
    if cut is None:
        cut = middle
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    if not head or not tail:
        head, tail = text[:middle], text[middle:]
    return split_to_fit(head, count, limit) + split_to_fit(tail, count, limit)
