"""The tokenizer of a CTranslate2 folder, read with SentencePiece or `tokenizers`: no torch.

CTranslate2's own examples tokenize with `sentencepiece` and hand the pieces to the
translator; this does the same from the files `targman model convert` saved next to the
weights (`pipeline.models.convert`), so that `--engine ct2` never imports transformers or
torch for a translation:

- MarianMT (OPUS-MT): `source.spm` / `target.spm` and `vocab.json` (`target_vocab.json` when
  the vocabularies are separate); a `>>hye<<` code in front of the text is a token of its own;
  `</s>` is appended.
- M2M100: `sentencepiece.bpe.model` and `vocab.json`; `__xx__` of the source language in
  front, `</s>` after; the language tokens follow the vocabulary, as CTranslate2's shared
  vocabulary lists them.
- NLLB-200 and MADLAD-400 (T5): `tokenizer.json`, read with the `tokenizers` library (the one
  transformers uses for them); NLLB puts the source code in front and `</s>` after, T5 only
  `</s>`.

The token ids are the Hugging Face tokenizer's (tests/test_pieces.py compares them on every
model kind), so the constrained search on the HF model can take them as they are. It offers
the few methods of a transformers tokenizer the engines call (`__call__`, `decode`,
`convert_ids_to_tokens`, ...), nothing more. A folder it cannot read (`load` returns None)
is tokenized by transformers, as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

SPECIAL_NAMES = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ct2_vocabulary(folder: Path, side: str = "shared") -> list[str] | None:
    """CTranslate2's vocabulary of `folder` (`shared`, `source` or `target`), token i at index i."""
    listed = _json(folder / f"{side}_vocabulary.json")
    if isinstance(listed, list):
        return listed
    text = folder / f"{side}_vocabulary.txt"
    if text.is_file():
        return text.read_text(encoding="utf-8").split("\n")[:-1] if text.read_text(encoding="utf-8").endswith("\n") \
            else text.read_text(encoding="utf-8").split("\n")
    return None


class FolderTokenizer:
    """A converted model's tokenizer without transformers (see the module docstring)."""

    def __init__(self, kind: str, vocab: dict[str, int], target_vocab: dict[str, int], config: dict, *,
                 source=None, target=None, fast=None, lang_tokens: dict[str, int] | None = None):
        self.kind = kind
        self.vocab = vocab  # source side: token -> id
        self.target_vocab = target_vocab
        self._id_to_token = {i: t for t, i in target_vocab.items()}
        self._source_spm, self._target_spm, self._fast = source, target, fast
        self.lang_token_to_id = lang_tokens or {}
        self.unk_token = config.get("unk_token") or "<unk>"
        self.unk_token_id = vocab.get(self.unk_token)
        eos = config.get("eos_token") or "</s>"
        if eos not in vocab:  # every text ends with it: `load` leaves such a folder to transformers
            raise ValueError(f"the end-of-sentence token {eos!r} is not in the vocabulary")
        self.eos_token_id: int = vocab[eos]
        special = {t for name in SPECIAL_NAMES if isinstance(t := config.get(name), str)}
        for key in ("extra_special_tokens", "additional_special_tokens"):
            if isinstance(config.get(key), list):
                special.update(t for t in config[key] if isinstance(t, str))
        for entry in (config.get("added_tokens_decoder") or {}).values():
            if isinstance(entry, dict) and entry.get("special") and isinstance(entry.get("content"), str):
                special.add(entry["content"])
        self.special_tokens = special
        self.all_special_ids = sorted({vocab[t] for t in special if t in vocab}
                                      | {target_vocab[t] for t in special if t in target_vocab})
        self.src_lang = config.get("src_lang")
        added = sorted(_added(config), key=len, reverse=True)
        self._added = re.compile("(" + "|".join(map(re.escape, added)) + ")") if added else None

    # -- what a transformers tokenizer offers, as far as the engines use it -----------------
    def __call__(self, text: str | None = None, *, text_target: str | None = None, add_special_tokens: bool = True):
        if text_target is not None:
            ids = self._ids(self._pieces(text_target, target=True), self.target_vocab)
            if add_special_tokens:
                ids = ids + [self.eos_token_id]
            return {"input_ids": ids}
        if text is None:  # as transformers' tokenizers
            raise ValueError("You need to specify either `text` or `text_target`.")
        ids = self._ids(self._pieces(text, target=False), self.vocab)
        if add_special_tokens:
            ids = self._prefix() + ids + [self.eos_token_id]
        return {"input_ids": ids}

    def get_vocab(self) -> dict[str, int]:
        return dict(self.target_vocab)

    def get_lang_id(self, lang: str) -> int:
        return self.lang_token_to_id[f"__{lang}__"]

    def convert_ids_to_tokens(self, ids: Sequence[int] | int) -> list[str] | str:
        if isinstance(ids, int):
            return self._id_to_token.get(ids, self.unk_token)
        return [self._id_to_token.get(i, self.unk_token) for i in ids]

    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        return self._ids(tokens, self.target_vocab)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True, clean_up_tokenization_spaces: bool = False) -> str:
        if self._fast is not None:
            return self._fast.decode(list(ids), skip_special_tokens=skip_special_tokens)
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.special_tokens]
        # As MarianTokenizer / M2M100Tokenizer.convert_tokens_to_string: special tokens are not SentencePiece's.
        spm = self._target_spm
        text = ""
        run: list[str] = []  # SentencePiece pieces between two special tokens
        for token in tokens:
            if token in self.special_tokens or token in self.lang_token_to_id:
                # Marian writes a space after such a token; M2M100 writes its language tokens as they are
                text += spm.decode_pieces(run) + token + (" " if self.kind == "marian" else "")
                run = []
            else:
                run.append(token)
        text += spm.decode_pieces(run)
        return text.replace("\u2581", " ").strip() if self.kind == "marian" else text.strip()

    # -- inside ------------------------------------------------------------------------------
    def _pieces(self, text: str, *, target: bool) -> list[str]:
        if self._fast is not None:
            return self._fast.encode(text, add_special_tokens=False).tokens
        code: list[str] = []
        if self.kind == "marian" and text.startswith(">>") and (end := text.find("<<")) != -1:
            code, text = [text[: end + 2]], text[end + 2:]  # as MarianTokenizer.remove_language_code
        spm = self._target_spm if target else self._source_spm
        pieces = code
        # As transformers' slow tokenizers: the added tokens (`</s>`, `<unk>`...) written in the
        # text are tokens of their own, and SentencePiece reads what lies between them.
        for k, chunk in enumerate(self._added.split(text) if self._added else [text]):
            if k % 2:
                pieces.append(chunk)
            elif chunk:
                pieces += spm.encode(chunk, out_type=str)
        return pieces

    def _ids(self, tokens: Sequence[str], vocab: dict[str, int]) -> list[int]:
        unk = vocab.get(self.unk_token, self.unk_token_id)
        ids: list[int] = []
        for t in tokens:
            i = self.lang_token_to_id.get(t, vocab.get(t, unk))
            if i is None:
                raise ValueError(f"{t!r} is not in the vocabulary, which has no {self.unk_token!r} token for it")
            ids.append(i)
        return ids

    def _prefix(self) -> list[int]:
        if self.kind == "m2m100":
            return [self.get_lang_id(self.src_lang or "en")]
        if self.kind == "nllb":
            return [self.vocab[self.src_lang or "eng_Latn"]]
        return []


def load(folder: str | Path, kind: str) -> FolderTokenizer | None:
    """The tokenizer of a converted folder, or None when its files are not the ones expected
    (then the engine uses transformers' tokenizer, as a folder converted otherwise needs)."""
    folder = Path(folder)
    config = _json(folder / "tokenizer_config.json")
    if not isinstance(config, dict):
        return None
    try:
        if kind == "marian":
            return _marian(folder, config)
        if kind == "m2m100":
            return _m2m100(folder, config)
        if kind in ("nllb", "madlad"):
            return _fast(folder, config, kind)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError):
        return None
    return None


def _spm(path: Path):
    import sentencepiece

    if not path.is_file():
        raise FileNotFoundError(path)
    return sentencepiece.SentencePieceProcessor(model_file=str(path))


def _added(config: dict) -> dict[str, int]:
    return {entry["content"]: int(index) for index, entry in (config.get("added_tokens_decoder") or {}).items()
            if isinstance(entry, dict) and isinstance(entry.get("content"), str)}


def _marian(folder: Path, config: dict) -> FolderTokenizer | None:
    vocab = _json(folder / "vocab.json")
    if not isinstance(vocab, dict):
        return None
    vocab = {**_added(config), **vocab}
    target_vocab = vocab
    if config.get("separate_vocabs"):
        target_vocab = _json(folder / "target_vocab.json")
        if not isinstance(target_vocab, dict):
            return None
        target_vocab = {**_added(config), **target_vocab}
    return FolderTokenizer("marian", vocab, target_vocab, config, source=_spm(folder / "source.spm"),
                           target=_spm(folder / "target.spm"))


def _m2m100(folder: Path, config: dict) -> FolderTokenizer | None:
    vocab = _json(folder / "vocab.json")
    listed = ct2_vocabulary(folder)
    if not isinstance(vocab, dict) or listed is None:
        return None
    # The language tokens follow the vocabulary (M2M100Tokenizer: encoder size + i), as listed by CTranslate2.
    langs = {token: i for i, token in enumerate(listed)
             if i >= len(vocab) and token.startswith("__") and token.endswith("__")}
    if not langs:
        return None
    vocab = {**_added(config), **vocab}
    spm = _spm(folder / "sentencepiece.bpe.model")
    return FolderTokenizer("m2m100", vocab, {**vocab, **langs}, config, source=spm, target=spm, lang_tokens=langs)


def _fast(folder: Path, config: dict, kind: str) -> FolderTokenizer | None:
    if not (folder / "tokenizer.json").is_file():
        return None
    from tokenizers import Tokenizer

    fast = Tokenizer.from_file(str(folder / "tokenizer.json"))
    vocab = fast.get_vocab(with_added_tokens=True)
    special = dict(config)
    special["added_tokens_decoder"] = {
        str(token.id): {"content": token.content, "special": token.special}
        for token in _added_tokens(folder)
    } | (config.get("added_tokens_decoder") or {})
    return FolderTokenizer(kind, vocab, vocab, special, fast=fast)


class _Added:
    def __init__(self, entry: dict):
        self.id, self.content, self.special = int(entry["id"]), entry["content"], bool(entry.get("special"))


def _added_tokens(folder: Path) -> list[_Added]:
    data = _json(folder / "tokenizer.json") or {}
    return [_Added(entry) for entry in data.get("added_tokens", []) if isinstance(entry, dict) and "content" in entry]
