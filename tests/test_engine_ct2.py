"""The `ct2` engine on tiny Marian and M2M100 models converted with `targman model convert`."""

import json

import pytest

from pipeline.cli import main
from pipeline.config import ModelConfig
from pipeline.engines import load_engine

pytest.importorskip("ctranslate2")

SENTENCES = [
    "The CSTO is ready to send monitors.",
    "Lavrov met Mirzoyan in Astana on Wednesday.",
    "Hello.",
    "Moscow, Baku and Yerevan signed trilateral statements in November 2020.",
]
ARMENIAN = ["Լավրովը հանդիպեց Միրզոյանին։", "Բաքուն և Երևանը։", "Մոսկվան լռեց։"]
CASES = [("en-hy", "en", "hy", SENTENCES), ("hy-en", "hy", "en", ARMENIAN), ("m2m100", "en", "hy", SENTENCES), ("m2m100", "hy", "en", ARMENIAN)]


@pytest.mark.parametrize("name, src, tgt, texts", CASES)
def test_results_in_input_order_and_independent_of_batching(ct2_engines, name, src, tgt, texts):
    engine = ct2_engines[name]
    together = engine.translate(texts, src=src, tgt=tgt)
    alone = [engine.translate([s], src=src, tgt=tgt)[0] for s in texts]
    reversed_ = engine.translate(texts[::-1], src=src, tgt=tgt)[::-1]
    assert [t.text for t in together] == [t.text for t in alone] == [t.text for t in reversed_]
    for a, b in zip(together, alone):
        assert a.score == pytest.approx(b.score, abs=1e-4)
        assert a.tokens > 0 and a.score < 0 and a.pieces == 1


@pytest.mark.slow
@pytest.mark.parametrize("name, src, tgt, texts", CASES)
def test_same_text_as_the_hf_engine(engines, ct2_engines, name, src, tgt, texts):
    """float32 CTranslate2 and transformers decode the same model to the same output."""
    ours = ct2_engines[name].translate(texts, src=src, tgt=tgt)
    theirs = engines[name].translate(texts, src=src, tgt=tgt)
    assert [t.text for t in ours] == [t.text for t in theirs]
    assert [t.tokens for t in ours] == [t.tokens for t in theirs]


@pytest.mark.parametrize("tgt, other", [("hy", "en"), ("en", "hy")])
def test_m2m100_target_language_is_a_prefix_and_is_stripped(ct2_engines, tgt, other):
    engine = ct2_engines["m2m100"]
    assert engine.target_language_token(tgt) == f"__{tgt}__"
    src = "en" if tgt == "hy" else "hy"
    text = SENTENCES[0] if src == "en" else ARMENIAN[0]
    into_tgt = engine.translate([text], src=src, tgt=tgt)[0]
    assert "__" not in into_tgt.text
    # The prefix steers the decoder: another target language gives another output
    # (the tiny model's text may coincide; its probabilities do not).
    into_other = engine.translate([text], src=src, tgt=other)[0]
    assert (into_other.text, into_other.score) != (into_tgt.text, pytest.approx(into_tgt.score, abs=1e-6))


def test_long_sentence_is_split_not_truncated(ct2_engines):
    engine = ct2_engines["en-hy"]
    long = " ".join(["Lavrov met Mirzoyan in Astana, and they talked about the border"] * 20) + "."
    assert engine.count_tokens(long) > engine.max_input
    result = engine.translate([long, "Hello."], src="en", tgt="hy")
    assert result[0].pieces > 1 and result[1].pieces == 1
    assert result[0].tokens > result[1].tokens


@pytest.mark.parametrize("min_length", [5, 12, 40])
def test_fixed_output_length(ct2_engines, engines, min_length):
    """min_length = max_length makes every engine produce the same number of tokens (bench)."""
    out = ct2_engines["en-hy"].translate(SENTENCES, src="en", tgt="hy", min_length=min_length)
    assert all(t.tokens >= min(min_length, 11) for t in out)
    if min_length >= 12:
        assert [t.tokens for t in out] == [12] * len(SENTENCES)
        assert [t.tokens for t in engines["en-hy"].translate(SENTENCES, src="en", tgt="hy", min_length=min_length)] == [12] * 4


def test_unknown_option_is_refused(ct2_engines):  # options are declared keywords: a typo is a TypeError
    with pytest.raises(TypeError, match="unexpected keyword argument .beam."):
        ct2_engines["en-hy"].translate(["Hello."], src="en", tgt="hy", beam=2)


def test_info_and_fingerprint(ct2_engines, ct2_models):
    engine = ct2_engines["en-hy"]
    info = engine.info()
    assert info["engine"] == "ct2" and info["compute_type"] == "float32" and info["architecture"] == "MarianMTModel"
    assert engine.fingerprint()["content"] and engine.fingerprint()["beam_size"] == 4


def test_wrong_direction_model_is_refused(ct2_models):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="translates into 'hy'"):
        load_engine(ModelConfig(engine="ct2", id=str(ct2_models["en-hy"]), quantization="float32"), "en")


def test_hf_folder_is_converted_once_into_the_cache(tiny_models, tmp_path):
    cache = tmp_path / "cache"
    config = ModelConfig(engine="ct2", id=str(tiny_models["hy-en"]), max_length=8, quantization="int8")
    first = load_engine(config, "en", cache_dir=str(cache))
    converted = list((cache / "ct2").iterdir())
    assert len(converted) == 1 and first.model_dir == converted[0]
    marker = json.loads((converted[0] / "targman-ct2.json").read_text())
    assert marker["quantization"] == "int8" and marker["source"] == str(tiny_models["hy-en"])
    stamp = (converted[0] / "model.bin").stat().st_mtime_ns
    again = load_engine(config, "en", cache_dir=str(cache))
    assert again.model_dir == first.model_dir and (converted[0] / "model.bin").stat().st_mtime_ns == stamp
    # Another quantization is another conversion.
    load_engine(ModelConfig(engine="ct2", id=str(tiny_models["hy-en"]), quantization="float32"), "en", cache_dir=str(cache))
    assert len(list((cache / "ct2").iterdir())) == 2
    assert first.translate(ARMENIAN, src="hy", tgt="en")[0].text


def test_convert_command(tiny_models, tmp_path, capsys):
    out = tmp_path / "m2m-ct2"
    assert main(["model", "convert", str(tiny_models["m2m100"]), str(out), "--quantization", "int8"]) == 0
    assert "--engine ct2 --model" in capsys.readouterr().out
    assert (out / "model.bin").is_file() and (out / "tokenizer_config.json").is_file()
    vocabulary = json.loads((out / "shared_vocabulary.json").read_text())
    assert "__hy__" in vocabulary and "__en__" in vocabulary  # the transformers 5 tokenizer hides them
    # An existing folder is not overwritten without --force.
    assert main(["model", "convert", str(tiny_models["m2m100"]), str(out)]) != 0
    assert "--force" in capsys.readouterr().err
    assert main(["model", "convert", str(tiny_models["m2m100"]), str(out), "--force", "--quantization", "float32"]) == 0
    engine = load_engine(ModelConfig(engine="ct2", id=str(out), quantization="float32", max_length=8), "hy")
    assert engine.translate(["Hello."], src="en", tgt="hy")[0].tokens > 0


def test_convert_refuses_a_converted_folder_and_a_missing_model(ct2_models, tmp_path, capsys):
    assert main(["model", "convert", str(ct2_models["en-hy"]), str(tmp_path / "x")]) != 0
    assert "already a CTranslate2 model" in capsys.readouterr().err
    assert main(["model", "convert", str(tmp_path / "nothing"), str(tmp_path / "y")]) != 0


def test_missing_ctranslate2_gives_an_install_hint(monkeypatch, ct2_models):
    import builtins

    from pipeline.errors import ModelError

    real_import = builtins.__import__

    def no_ct2(name, *args, **kwargs):
        if name == "ctranslate2" or name.startswith("ctranslate2."):
            raise ImportError(name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ct2)
    with pytest.raises(ModelError, match=r"pip install 'targman\[ct2\]'"):
        load_engine(ModelConfig(engine="ct2", id=str(ct2_models["en-hy"])), "hy")


def test_relative_cap_groups_rows(ct2_models):
    from pipeline.engines.ct2 import cap_groups

    assert cap_groups([40, 12, 41, 13, 30]) == [[2, 0], [4], [3, 1]]
    engine = load_engine(ModelConfig(engine="ct2", id=str(ct2_models["en-hy"]), quantization="float32", max_length=64,
                                     max_length_a=0.5, max_length_b=2), "hy")
    results = engine.translate(SENTENCES, src="en", tgt="hy")
    for sentence, result in zip(SENTENCES, results):
        cap = engine.caps([engine.tokenizer(sentence)["input_ids"]])[0]
        assert 0 < result.tokens <= cap - 1
