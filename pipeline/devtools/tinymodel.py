"""Build small random-weight translation models that load like real ones.

Tests, the offline demo and `targman bench` use these: a SentencePiece model is
trained on a few sentences, a MarianMT or M2M100 config gets a handful of
dimensions (or the real OPUS-MT size for benchmarks), and `save_pretrained`
writes a folder that `AutoModelForSeq2SeqLM.from_pretrained` reads exactly as it
reads a downloaded model. The output is nonsense, but every code path is real.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable

from pipeline.models.hub import quiet_transformers  # noqa: F401 (callers use tinymodel.quiet_transformers)

# Small sentences in both languages, enough for SentencePiece to cover both scripts.
SEED_TEXT_EN = [
    "The Collective Security Treaty Organization is ready to send monitors to Armenia.",
    "Russian Foreign Minister Sergei Lavrov met Ararat Mirzoyan in Astana on Wednesday.",
    "The European Union and the United States urged Azerbaijan to withdraw its troops.",
    "Prime Minister Nikol Pashinian spoke with President Ilham Aliyev in Prague.",
    "Moscow, Baku and Yerevan signed trilateral statements in November 2020.",
    "CSTO Secretary General Stanislav Zas visited the border on September 22.",
    "Mass media are full of various rumors and speculations, he said.",
    "NATO, the EU and the CSTO issued statements about Nagorno-Karabakh.",
]
SEED_TEXT_HY = [
    "Հավաքական անվտանգության պայմանագրի կազմակերպությունը պատրաստ է դիտորդներ ուղարկել Հայաստան։",
    "Ռուսաստանի արտգործնախարար Սերգեյ Լավրովը չորեքշաբթի Աստանայում հանդիպեց Արարատ Միրզոյանին։",
    "Եվրոպական միությունը և Միացյալ Նահանգները կոչ արեցին Ադրբեջանին դուրս բերել զորքերը։",
    "Վարչապետ Նիկոլ Փաշինյանը Պրահայում զրուցեց նախագահ Իլհամ Ալիևի հետ։",
    "Մոսկվան, Բաքուն և Երևանը եռակողմ հայտարարություններ ստորագրեցին 2020 թվականի նոյեմբերին։",
    "ՀԱՊԿ գլխավոր քարտուղար Ստանիսլավ Զասը սեպտեմբերի 22-ին այցելեց սահման։",
    "Զանգվածային լրատվամիջոցները լի են տարբեր լուրերով և ենթադրություններով, ասաց նա։",
    "ՆԱՏՕ-ն, ԵՄ-ը և ՀԱՊԿ-ը հայտարարություններ տարածեցին Լեռնային Ղարաբաղի մասին։",
]

# The real OPUS-MT size, for benchmarks: 6+6 layers, d_model 512, ffn 2048, 8 heads.
OPUS_SIZE = dict(d_model=512, layers=6, ffn=2048, heads=8, vocab_size=60000, max_positions=512, pad_vocab=True)
TINY_SIZE = dict(d_model=32, layers=2, ffn=64, heads=2, vocab_size=600, max_positions=128, pad_vocab=False)


def _train_spm(lines: list[str], prefix: Path, vocab_size: int, model_type: str = "unigram", **ids) -> Path:
    import sentencepiece as spm

    # SentencePiece wants at least vocab_size distinct pieces; repeat and let it shrink.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type=model_type,
        hard_vocab_limit=False,
        minloglevel=2,
        num_threads=1,
        **ids,
    )
    return Path(f"{prefix}.model")


def _dimensions(size: dict) -> dict:
    """The config arguments MarianConfig and M2M100Config share: the transformer's shape."""
    return dict(
        d_model=size["d_model"],
        encoder_layers=size["layers"],
        decoder_layers=size["layers"],
        encoder_attention_heads=size["heads"],
        decoder_attention_heads=size["heads"],
        encoder_ffn_dim=size["ffn"],
        decoder_ffn_dim=size["ffn"],
        max_position_embeddings=size["max_positions"],
    )


def _corpus(src_lang: str, extra: Iterable[str]) -> tuple[list[str], list[str]]:
    en, hy = list(SEED_TEXT_EN), list(SEED_TEXT_HY)
    for line in extra:
        (hy if any("\u0531" <= ch <= "\u058f" for ch in line) else en).append(line)
    return (en, hy) if src_lang == "en" else (hy, en)


def build_marian(
    out_dir: str | Path,
    src_lang: str = "en",
    tgt_lang: str = "hy",
    *,
    size: dict | None = None,
    extra_text: Iterable[str] = (),
    seed: int = 0,
) -> Path:
    """A MarianMT model + tokenizer folder with random weights (like an OPUS-MT download)."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    size = {**TINY_SIZE, **(size or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src_lines, tgt_lines = _corpus(src_lang, extra_text)
    with tempfile.TemporaryDirectory() as tmp:
        ids: dict[str, Any] = dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1, pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>")
        # Each side gets its own SentencePiece model, as OPUS-MT ships them.
        per_side = max(60, min(size["vocab_size"] // 2, 8000))
        src_spm = _train_spm(src_lines, Path(tmp) / "source", per_side, **ids)
        tgt_spm = _train_spm(tgt_lines, Path(tmp) / "target", per_side, **ids)
        # Laid out as OPUS-MT's vocab.json is: `</s>` 0, `<unk>` 1, the pieces, and `<pad>`
        # last (the decoder start token). CTranslate2's converter relies on that layout.
        vocab = {"</s>": 0, "<unk>": 1}
        import sentencepiece as spm

        for path in (src_spm, tgt_spm):
            sp = spm.SentencePieceProcessor(model_file=str(path))
            for i in range(sp.get_piece_size()):
                if sp.id_to_piece(i) != "<pad>":
                    vocab.setdefault(sp.id_to_piece(i), len(vocab))
        # Pad the vocabulary to the requested size (the real OPUS-MT vocabulary is ~60k).
        while size["pad_vocab"] and len(vocab) < size["vocab_size"] - 1:
            vocab[f"<extra_{len(vocab)}>"] = len(vocab)
        vocab["<pad>"] = pad_id = len(vocab)
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        (Path(tmp) / "source.spm").write_bytes(src_spm.read_bytes())
        (Path(tmp) / "target.spm").write_bytes(tgt_spm.read_bytes())
        tokenizer = MarianTokenizer(
            str(Path(tmp) / "source.spm"),
            str(Path(tmp) / "target.spm"),
            str(vocab_path),
            source_lang=src_lang,
            target_lang=tgt_lang,
            model_max_length=size["max_positions"],
        )
        tokenizer.save_pretrained(out)
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        **_dimensions(size),
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    model.generation_config.max_length = size["max_positions"]
    model.generation_config.num_beams = 4
    model.save_pretrained(out)
    return out


def build_m2m100(
    out_dir: str | Path,
    *,
    size: dict | None = None,
    extra_text: Iterable[str] = (),
    seed: int = 0,
) -> Path:
    """An M2M100 model + tokenizer folder with random weights (many-to-many, language tokens)."""
    import torch
    from transformers import (
        M2M100Config,
        M2M100ForConditionalGeneration,
        M2M100Tokenizer,
    )

    size = {**TINY_SIZE, **(size or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    en, hy = _corpus("en", extra_text)
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = _train_spm(
            en + hy, Path(tmp) / "sentencepiece.bpe", max(100, min(size["vocab_size"], 8000)),
            bos_id=0, pad_id=1, eos_id=2, unk_id=3,
        )
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(spm_path))
        vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        for i in range(4, sp.get_piece_size()):
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
        vocab_path = Path(tmp) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tokenizer = M2M100Tokenizer(
            str(vocab_path), str(spm_path), src_lang="en", tgt_lang="hy",
            model_max_length=size["max_positions"],
        )
        tokenizer.save_pretrained(out)
    vocab_size = max(tokenizer.lang_token_to_id.values()) + 1
    config = M2M100Config(
        vocab_size=vocab_size,
        **_dimensions(size),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config)
    model.save_pretrained(out)
    return out


def build_nllb(
    out_dir: str | Path,
    *,
    size: dict | None = None,
    extra_text: Iterable[str] = (),
    seed: int = 0,
) -> Path:
    """An NLLB-200 model + tokenizer folder with random weights: M2M100's architecture with
    NLLB's tokenizer (a BPE SentencePiece model and `hye_Armn`-style language codes)."""
    import torch
    from tokenizers.models import BPE
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer
    from transformers.convert_slow_tokenizer import SentencePieceExtractor

    size = {**TINY_SIZE, **(size or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    en, hy = _corpus("en", extra_text)
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = _train_spm(
            en + hy, Path(tmp) / "sentencepiece.bpe", max(100, min(size["vocab_size"], 8000)), model_type="bpe",
            bos_id=0, pad_id=1, eos_id=2, unk_id=3,
        )
        # transformers annotates extract() as (vocab, merges); it returns the tokenizer's kwargs
        extracted: dict[str, Any] = SentencePieceExtractor(str(spm_path)).extract(BPE)  # type: ignore[assignment]
        tokenizer = NllbTokenizer(
            vocab=extracted["vocab"], merges=extracted["merges"], src_lang="eng_Latn", tgt_lang="hye_Armn",
            model_max_length=size["max_positions"],
        )
        tokenizer.save_pretrained(out)
    config = M2M100Config(
        vocab_size=len(tokenizer),
        **_dimensions(size),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config)
    _sharpen(model, seed)
    model.save_pretrained(out)
    return out


def _sharpen(model, seed: int, std: float = 0.1) -> None:
    """Redraw the matrices wider than the default init: the default gives near-uniform output
    distributions, every step a near-tie that two correct implementations (transformers,
    CTranslate2) may break differently."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() > 1:
                weight.copy_(torch.randn(weight.shape, generator=generator) * std)


def build_madlad(
    out_dir: str | Path,
    *,
    size: dict | None = None,
    extra_text: Iterable[str] = (),
    seed: int = 0,
) -> Path:
    """A MADLAD-400-shaped model folder with random weights: a T5 (gated-GELU feed-forward,
    relative positions) whose SentencePiece vocabulary holds the `<2xx>` target tokens
    that go in front of the source, as google/madlad400-3b-mt's does."""
    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    size = {**TINY_SIZE, **(size or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    en, hy = _corpus("en", extra_text)
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = _train_spm(
            en + hy, Path(tmp) / "spiece", max(100, min(size["vocab_size"], 8000)),
            pad_id=0, eos_id=1, unk_id=2, bos_id=-1, user_defined_symbols=["<2hy>", "<2en>", "<2ru>"],
        )
        sp = spm.SentencePieceProcessor(model_file=str(spm_path))
        vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
        tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=size["max_positions"])
        tokenizer.save_pretrained(out)
    heads = size["heads"]
    # T5Config takes tie_word_embeddings and decoder_start_token_id through **kwargs, which its
    # dataclass signature in transformers does not show
    config = T5Config(  # type: ignore[call-arg]
        vocab_size=len(vocab),
        d_model=size["d_model"],
        d_kv=size["d_model"] // heads,
        d_ff=size["ffn"],
        num_layers=size["layers"],
        num_decoder_layers=size["layers"],
        num_heads=heads,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    with torch.no_grad():
        # Random T5 weights make `<pad>` (the decoder start) the likeliest output token at every
        # step, which a trained model never writes; a zero row (logit 0) puts it mid-field.
        model.shared.weight[0].zero_()
    model.save_pretrained(out)
    return out


KINDS = ("marian-en-hy", "marian-hy-en", "m2m100", "nllb", "madlad")


def build(kind: str, out_dir: str | Path, **kwargs) -> Path:
    """`kind` is one of KINDS: `marian-en-hy`, `marian-hy-en`, `m2m100`, `nllb` or `madlad`."""
    if kind == "m2m100":
        return build_m2m100(out_dir, **kwargs)
    if kind == "nllb":
        return build_nllb(out_dir, **kwargs)
    if kind == "madlad":
        return build_madlad(out_dir, **kwargs)
    if kind.startswith("marian-"):
        _, src, tgt = kind.split("-")
        return build_marian(out_dir, src, tgt, **kwargs)
    raise ValueError(f"unknown tiny model kind {kind!r}: use one of {', '.join(KINDS)}")
