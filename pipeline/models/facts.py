"""What a model folder says about itself, read from its small files without torch.

A run whose segments all come from the translation memory must not load a model
(or even import torch or CTranslate2): what the pipeline needs to know before
translating - which directions the model serves, its input and output limits,
the content hash the memory keys on, what run.json records - is read here from
`config.json`, `tokenizer_config.json`, `vocab.json`, the safetensors headers and,
for a CTranslate2 folder, the conversion marker. The engines use the same facts
when they load, so the engine described and the engine loaded cannot disagree.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("marian", "m2m100", "nllb", "madlad")


@dataclass(frozen=True)
class ModelFacts:
    folder: Path
    kind: str  # marian | m2m100 | nllb | madlad (a T5 translating into the language of its `<2xx>` prefix)
    model_type: str | None  # config.json's model_type (of the source model for a CTranslate2 folder)
    architecture: str | None
    tokenizer: str | None  # the tokenizer class its tokenizer_config.json names
    source_lang: str | None = None  # MarianMT: the direction its tokenizer was made for
    target_lang: str | None = None
    prefixes: frozenset[str] = field(default_factory=frozenset)  # `>>hye<<` / `<2hy>` tokens it knows
    positions: int | None = None  # max_position_embeddings (None: relative positions, as T5)
    model_max_length: int | None = None  # the tokenizer's input limit, when it declares one
    parameters: int | None = None  # tensor elements in the weights files (safetensors headers)
    revision: str | None = None  # the hub commit, for a folder in the Hugging Face cache


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def safetensors_parameters(folder: Path) -> int | None:
    """Tensor elements in the folder's *.safetensors files, from their JSON headers alone."""
    total, found = 0, False
    for path in sorted(folder.glob("*.safetensors")):
        try:
            with open(path, "rb") as handle:
                (size,) = struct.unpack("<Q", handle.read(8))
                if size > 100 * 2**20:
                    return None
                header = json.loads(handle.read(size))
        except (OSError, ValueError, struct.error):
            return None
        for name, entry in header.items():
            if name != "__metadata__" and isinstance(entry, dict):
                count = 1
                for dim in entry.get("shape", []):
                    count *= int(dim)
                total += count
                found = True
    return total if found else None


def _kind(tokenizer: str | None, model_type: str | None) -> str:
    name = (tokenizer or "").lower()
    if "nllb" in name:
        return "nllb"
    if "m2m" in name or model_type in ("m2m_100", "m2m100"):
        return "m2m100"
    if model_type in ("t5", "mt5") or "t5" in name:
        return "madlad"
    return "marian"


def _prefixes(folder: Path, kind: str) -> frozenset[str]:
    """The target-language tokens a multi-target model knows (`>>hye<<`, `<2hy>`)."""
    if kind == "marian":
        vocab = _json(folder / "vocab.json")
        return frozenset(t for t in vocab if t.startswith(">>") and t.endswith("<<"))
    if kind == "madlad":
        found: set[str] = set()
        tokenizer = _json(folder / "tokenizer.json")
        model = tokenizer.get("model", {}) if isinstance(tokenizer.get("model"), dict) else {}
        vocab = model.get("vocab", [])
        pieces = [v[0] if isinstance(v, list) else v for v in vocab] if isinstance(vocab, list) else list(vocab)
        pieces += [t.get("content", "") for t in tokenizer.get("added_tokens", []) if isinstance(t, dict)]
        if not pieces and (folder / "spiece.model").is_file():
            pieces = _spm_pieces(folder / "spiece.model")
        found.update(p for p in pieces if isinstance(p, str) and p.startswith("<2") and p.endswith(">"))
        return frozenset(found)
    return frozenset()


def _spm_pieces(path: Path) -> list[str]:
    try:
        import sentencepiece as spm
    except ImportError:  # pragma: no cover - a declared dependency
        return []
    processor = spm.SentencePieceProcessor(model_file=str(path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _hub_revision(folder: Path) -> str | None:
    """The commit of a snapshot folder in the Hugging Face cache (`.../snapshots/<sha>`)."""
    if folder.parent.name == "snapshots" and len(folder.name) == 40:
        return folder.name
    return None


def read_facts(folder: str | Path, marker: dict | None = None) -> ModelFacts:
    """The facts of an HF model folder, or of a CTranslate2 folder with its conversion `marker`."""
    folder = Path(folder)
    tokenizer_config = _json(folder / "tokenizer_config.json")
    if marker is not None:  # CTranslate2: its config.json is CTranslate2's, the marker tells the source model
        model_type = marker.get("model_type")
        architecture = marker.get("architecture")
        positions = marker.get("max_position_embeddings")
        parameters = None
    else:
        config = _json(folder / "config.json")
        model_type = config.get("model_type")
        architectures = config.get("architectures") or []
        architecture = architectures[0] if architectures else None
        positions = config.get("max_position_embeddings")
        parameters = safetensors_parameters(folder)
    tokenizer = tokenizer_config.get("tokenizer_class")
    kind = _kind(tokenizer, model_type)
    source, target = tokenizer_config.get("source_lang"), tokenizer_config.get("target_lang")
    limit = tokenizer_config.get("model_max_length")
    return ModelFacts(
        folder=folder,
        kind=kind,
        model_type=model_type,
        architecture=architecture,
        tokenizer=tokenizer,
        source_lang=source if isinstance(source, str) else None,
        target_lang=target if isinstance(target, str) else None,
        prefixes=_prefixes(folder, kind),
        positions=positions if isinstance(positions, int) else None,
        model_max_length=limit if isinstance(limit, int) and limit < 100_000 else None,
        parameters=parameters,
        revision=_hub_revision(folder.resolve()),
    )
