"""Convert a Hugging Face translation model to CTranslate2, once.

`convert()` wraps `ctranslate2.converters.TransformersConverter` and saves the
model's own tokenizer next to the converted weights, with a `targman-ct2.json`
that says where the model came from. `converted_model()` is what a run with
`[model] engine = "ct2"` calls: a converted folder is used as it is; a hub id or
an HF folder is converted into the cache folder once, keyed by the model's
content hash and the quantization.

Three things the stock converter gets wrong, handled here:

- transformers 5 no longer lists M2M100's language tokens (`__en__`, `__hy__`) in
  `tokenizer.get_vocab()` nor in `special_tokens_map["additional_special_tokens"]`,
  so the converter writes a vocabulary that lacks them and stops with "Source
  vocabulary 0 has size N but the model expected a vocabulary of size M". The
  converter is given the tokenizer through `_FullVocabulary`, which adds the
  language tokens at their ids and counts the "madeup" filler words from the
  model's own `vocab_size` instead of assuming eight.
- transformers 5 reports every T5 (MADLAD-400 too) as `tie_word_embeddings = True` and keeps
  in `scale_decoder_outputs` whether the decoder output is scaled by d_model^-0.5, which is
  what the converter reads `tie_word_embeddings` for: the converted MADLAD would scale its
  outputs and translate differently. The loaded model's flag is set back before converting.
- The converter drops the last row of a MarianMT model's embeddings, assuming
  `<pad>` is the last token as in every OPUS-MT model; a model laid out otherwise
  would be silently shifted, so it is refused with a message.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.errors import ModelError

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")
MARKER = "targman-ct2.json"
INSTALL_HINT = "ctranslate2 is not installed: pip install 'targman[ct2]' (or pip install ctranslate2)"


def import_ctranslate2():
    try:
        import ctranslate2
    except ImportError:
        raise ModelError(INSTALL_HINT) from None
    return ctranslate2


def is_converted(folder: str | Path) -> bool:
    """Does `folder` hold a CTranslate2 model (model.bin + its config)?"""
    folder = Path(folder)
    return (folder / "model.bin").is_file() and (folder / "config.json").is_file()


def read_marker(folder: str | Path) -> dict:
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class _FullVocabulary:
    """A tokenizer as the converter expects it from transformers 4 (see the module docstring)."""

    def __init__(self, tokenizer, vocab_size: int):
        self._tokenizer = tokenizer
        self._vocab_size = vocab_size

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)

    def get_vocab(self) -> dict[str, int]:
        vocab = dict(self._tokenizer.get_vocab())
        for attr in ("lang_token_to_id", "added_tokens_encoder"):
            for token, index in (getattr(self._tokenizer, attr, None) or {}).items():
                vocab.setdefault(token, index)
        return vocab

    @property
    def num_madeup_words(self) -> int:
        return max(0, self._vocab_size - len(self.get_vocab()))


def _converter(source: Path, allow_pickle: bool):
    import_ctranslate2()
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        tokenizer = None

        def load_model(self, model_class, model_name_or_path, **kwargs):
            kwargs.setdefault("use_safetensors", None if allow_pickle else True)
            model = model_class.from_pretrained(model_name_or_path, **kwargs)
            scaled = getattr(model.config, "scale_decoder_outputs", None)
            if model.config.model_type in ("t5", "mt5") and scaled is not None:
                # transformers 5 always reports T5 as tied and says in `scale_decoder_outputs` whether
                # the decoder output is scaled; the converter reads the old flag for that
                model.config.tie_word_embeddings = scaled
            return model

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            from transformers import AutoConfig

            tokenizer = tokenizer_class.from_pretrained(model_name_or_path, **kwargs)
            config = AutoConfig.from_pretrained(model_name_or_path)
            full = _FullVocabulary(tokenizer, config.vocab_size)
            ids = sorted(full.get_vocab().values())
            if ids != list(range(len(ids))):
                raise ModelError(f"{source}: the tokenizer's vocabulary ids are not contiguous; cannot convert it")
            if config.model_type == "marian" and tokenizer.pad_token_id != ids[-1]:
                raise ModelError(
                    f"{source}: CTranslate2's converter expects `<pad>` to be the last token of a MarianMT "
                    f"vocabulary (as in OPUS-MT models), but it is token {tokenizer.pad_token_id} of {len(ids)}; "
                    "use the model with --engine hf"
                )
            self.tokenizer = tokenizer
            return full

    return Converter(str(source))


def convert(
    model_id: str,
    out_dir: str | Path,
    *,
    quantization: str = "int8",
    revision: str | None = None,
    force: bool = False,
    allow_pickle: bool = False,
) -> Path:
    """Convert `model_id` (hub id or HF folder) into a CTranslate2 folder `out_dir`."""
    from pipeline.models.fingerprint import folder_fingerprint
    from pipeline.models.hub import local_folder, quiet_transformers, resolve

    if quantization not in QUANTIZATIONS:
        raise ModelError(f"quantization {quantization!r} is not one of {', '.join(QUANTIZATIONS)}")
    ctranslate2 = import_ctranslate2()
    quiet_transformers()
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ModelError(f"{out} exists and is not empty: choose another folder or pass --force")
        shutil.rmtree(out)
    where, kwargs = resolve(model_id, revision, use="convert")
    source = local_folder(where, kwargs)
    if source is None:
        raise ModelError(f"model {model_id!r} is not on this machine; fetch it first (targman model fetch)")
    if is_converted(source):
        raise ModelError(f"{source} is already a CTranslate2 model; use it with --engine ct2 --model {source}")
    if not any(source.glob("*.safetensors")) and not allow_pickle:
        raise ModelError(f"{source} has no safetensors weights; pass --allow-pickle if you trust its *.bin files")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    started = time.perf_counter()
    try:
        converter = _converter(source, allow_pickle)
        try:
            converter.convert(str(tmp), quantization=quantization, force=True)
        except ModelError:
            raise
        except (ValueError, OSError, KeyError, NotImplementedError) as error:
            raise ModelError(f"converting {model_id!r} to CTranslate2 failed: {error}") from None
        converter.tokenizer.save_pretrained(tmp)
        from transformers import AutoConfig

        hf_config = AutoConfig.from_pretrained(source)
        marker = {
            "source": model_id,
            "source_folder": str(source),
            "revision": revision,
            "source_fingerprint": folder_fingerprint(source),
            "quantization": quantization,
            "architecture": (hf_config.architectures or [type(hf_config).__name__])[0],
            "model_type": hf_config.model_type,
            "max_position_embeddings": getattr(hf_config, "max_position_embeddings", None),
            "ctranslate2": ctranslate2.__version__,
            "transformers": __import__("transformers").__version__,
            "seconds": round(time.perf_counter() - started, 3),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(tmp, out)  # an empty `out` is replaced; a non-empty one means another process won
        except OSError:
            if not is_converted(out):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def converted_model(
    model_id: str,
    *,
    quantization: str,
    cache_root: Path,
    revision: str | None = None,
    allow_pickle: bool = False,
) -> Path:
    """A CTranslate2 folder for `model_id`: itself if already converted, else a cached conversion."""
    import hashlib

    from pipeline.models.fingerprint import folder_fingerprint
    from pipeline.models.hub import local_folder, resolve

    path = Path(model_id).expanduser()
    if path.is_dir() and is_converted(path):
        return path
    where, kwargs = resolve(model_id, revision)
    source = local_folder(where, kwargs)
    if source is None:
        raise ModelError(f"model {model_id!r} is not on this machine; fetch it first (targman model fetch)")
    if is_converted(source):
        return source
    key = hashlib.sha256(
        json.dumps([model_id, revision, folder_fingerprint(source), quantization]).encode()
    ).hexdigest()[:16]
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in (source.name or "model"))[:60]
    target = Path(cache_root) / "ct2" / f"{slug}-{quantization}-{key}"
    if not is_converted(target):
        convert(model_id, target, quantization=quantization, revision=revision, force=target.exists(), allow_pickle=allow_pickle)
    return target
