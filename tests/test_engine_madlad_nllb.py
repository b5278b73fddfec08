"""MADLAD-400 (T5 with a `<2xx>` target token in front of the source) and NLLB-200 on both
engines, as tiny random-weight models built at test time and loaded like downloaded ones."""

import pytest

from pipeline.config import ModelConfig, load_config
from pipeline.engines import load_engine
from pipeline.engines.registry import describe_engine
from pipeline.glossary.constraints import TermConstraint

pytest.importorskip("ctranslate2")

EN = ["Lavrov met Mirzoyan in Astana on Wednesday.", "The CSTO is ready to send monitors.", "Hello."]
HY = ["Լավրովը հանդիպեց Միրզոյանին։", "Բաքուն և Երևանը ստորագրեցին։"]
DIRECTIONS = [("en", "hy", EN), ("hy", "en", HY)]


@pytest.fixture(scope="module")
def converted(more_models, tmp_path_factory):
    from pipeline.models.convert import convert

    root = tmp_path_factory.mktemp("more-ct2")
    return {name: convert(str(path), root / name, quantization="float32") for name, path in more_models.items()}


def engine(kind, folder, tgt, **extra):
    settings = {"engine": kind, "id": str(folder), "max_length": 12, "quantization": "float32", **extra}
    return load_engine(ModelConfig(**settings), tgt)


@pytest.mark.parametrize("name", ["madlad", "nllb"])
@pytest.mark.parametrize("src, tgt, texts", DIRECTIONS)
def test_ct2_gives_what_hf_gives(more_models, converted, name, src, tgt, texts):
    """float32 CTranslate2 and transformers decode the same model to the same text, both ways."""
    hf = engine("hf", more_models[name], tgt)
    ct2 = engine("ct2", converted[name], tgt)
    ours, theirs = ct2.translate(texts, src=src, tgt=tgt), hf.translate(texts, src=src, tgt=tgt)
    assert [t.text for t in ours] == [t.text for t in theirs]
    assert [t.tokens for t in ours] == [t.tokens for t in theirs]
    assert all(t.tokens > 0 for t in ours)


def test_madlad_puts_the_target_token_in_front_of_the_source(more_models):
    hf = engine("hf", more_models["madlad"], "hy")
    assert hf.kind == "madlad" and hf.supports("en", "hy") and hf.supports("hy", "en") and not hf.supports("hy", "hy")
    seen = []
    original = hf.tokenizer.__class__.__call__

    def spy(self, text, *args, **kwargs):
        seen.append(text)
        return original(self, text, *args, **kwargs)

    hf.tokenizer.__class__.__call__ = spy
    try:
        hf.translate(["Hello there."], src="en", tgt="hy")
        hf.translate(["Բարև։"], src="hy", tgt="en")
    finally:
        hf.tokenizer.__class__.__call__ = original
    assert "<2hy> Hello there." in seen and "<2en> Բարև։" in seen
    assert hf.translate(["Lavrov met Mirzoyan."], src="en", tgt="hy")[0].text


def test_nllb_forces_its_language_code_and_strips_it(more_models, converted):
    for kind, folder in (("hf", more_models["nllb"]), ("ct2", converted["nllb"])):
        nllb = engine(kind, folder, "hy")
        assert nllb.kind == "nllb" and nllb.target_language_token("hy") == "hye_Armn"
        (result,) = nllb.translate(["Hello there."], src="en", tgt="hy")
        assert "hye_Armn" not in result.text and "eng_Latn" not in result.text and result.tokens > 0


@pytest.mark.parametrize("name", ["madlad", "nllb"])
@pytest.mark.parametrize("kind", ["hf", "ct2"])
def test_glossary_terms_are_forced(more_models, converted, name, kind):
    folder = (converted if kind == "ct2" else more_models)[name]
    translator = engine(kind, folder, "hy", max_length=30)
    terms = [[TermConstraint("ararat-mirzoyan", ("Միրզոյան", "Միրզոյանը", "Միրզոյանին"), 1, ("Mirzoyan",)),
              TermConstraint("astana", ("Աստանա", "Աստանայում"), 1, ("Astana",))], [], []]
    results = translator.translate(EN, src="en", tgt="hy", constraints=terms, banned=[[], [], []])
    assert "Միրզոյան" in results[0].text and "Աստանա" in results[0].text and not results[0].unmet
    assert translator.constrains


def test_madlad_config_and_description(more_models):
    config = load_config("madlad400-3b")
    assert config.model.id == "google/madlad400-3b-mt" and config.model.engine == "ct2"
    described = describe_engine(ModelConfig(id=str(more_models["madlad"])), "hy")
    assert described.info["architecture"] == "T5ForConditionalGeneration" and ("en", "hy") in described.pairs
