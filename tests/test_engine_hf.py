import shutil

import pytest

from pipeline.config import ModelConfig
from pipeline.engines import load_engine
from pipeline.engines.tokenizer import split_to_fit
from pipeline.errors import ConfigError, ModelError

SENTENCES = [
    "The CSTO is ready to send monitors.",
    "Lavrov met Mirzoyan in Astana on Wednesday.",
    "Hello.",
    "Moscow, Baku and Yerevan signed trilateral statements in November 2020.",
]


@pytest.mark.slow
@pytest.mark.parametrize("name, src, tgt", [("en-hy", "en", "hy"), ("hy-en", "hy", "en"), ("m2m100", "en", "hy"), ("m2m100", "hy", "en")])
def test_results_in_input_order_and_independent_of_batching(engines, name, src, tgt):
    engine = engines[name]
    together = engine.translate(SENTENCES, src=src, tgt=tgt)
    alone = [engine.translate([s], src=src, tgt=tgt)[0] for s in SENTENCES]
    assert [t.text for t in together] == [t.text for t in alone]
    for a, b in zip(together, alone):
        assert a.score == pytest.approx(b.score, abs=1e-4)
        assert a.tokens > 0 and a.score < 0


def test_same_results_as_generate_one_by_one(engines):
    """The engine's batching and decoding give what transformers' generate gives alone."""
    import torch

    engine = engines["en-hy"]
    tok, model = engine.tokenizer, engine.model
    ours = engine.translate(SENTENCES, src="en", tgt="hy")
    for sentence, result in zip(SENTENCES, ours):
        inputs = tok(sentence, return_tensors="pt")
        with torch.inference_mode():
            ids = model.generate(**inputs, num_beams=4, max_new_tokens=engine.max_new_tokens, do_sample=False)
        assert tok.decode(ids[0], skip_special_tokens=True).strip() == result.text


def test_m2m100_target_language_token_forced_and_stripped(engines):
    engine = engines["m2m100"]
    result = engine.translate(["Hello world."], src="en", tgt="hy")[0]
    assert "__hy__" not in result.text and "__en__" not in result.text
    ids = engine._prepare("en", "hy")
    assert ids["forced_bos_token_id"] == engine.tokenizer.get_lang_id("hy")


def test_direction_support(engines):
    assert engines["en-hy"].supports("en", "hy") and not engines["en-hy"].supports("hy", "hy")
    assert not engines["en-hy"].supports("ru", "hy")
    assert engines["m2m100"].supports("en", "hy") and engines["m2m100"].supports("hy", "en")


def test_wrong_direction_model_is_refused(tiny_models):
    with pytest.raises(ConfigError, match="translates into 'hy'.*--tgt hy"):
        load_engine(ModelConfig(id=str(tiny_models["en-hy"])), "en")


def test_long_sentence_is_split_not_truncated(engines):
    engine = engines["en-hy"]
    long = " ".join(["Lavrov met Mirzoyan in Astana, and they talked about the border"] * 20) + "."
    assert engine.count_tokens(long) > engine.max_input
    result = engine.translate([long], src="en", tgt="hy")[0]
    assert result.pieces > 1


@pytest.mark.parametrize(
    "text, limit",
    [
        ("a, b, c, d, e, f, g, h", 3),
        ("one two three four five six seven eight nine ten", 2),
        ("x" * 1000, 50),  # no spaces at all
        ("short", 10),
    ],
)
def test_split_to_fit_keeps_every_character(text, limit):
    pieces = split_to_fit(text, len, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_hub_id_offline_says_how_to_use_a_folder(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as error:
        load_engine(ModelConfig(id="Helsinki-NLP/opus-mt-hy-en-not-cached"), "en")
    message = str(error.value)
    assert "targman model fetch Helsinki-NLP/opus-mt-hy-en-not-cached DIR" in message
    assert "--model DIR" in message


@pytest.mark.parametrize("model_id, message", [("/nonexistent/model", "no such model folder"), ("just-a-name", "no such model folder")])
def test_missing_local_model(model_id, message):
    with pytest.raises(ModelError, match=message):
        load_engine(ModelConfig(id=model_id), "en")


def test_pickled_weights_refused_unless_allowed(tiny_models, tmp_path):
    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_models["hy-en"], folder)
    state = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match="allow_pickle"):
        load_engine(ModelConfig(id=str(folder)), "en")


@pytest.mark.slow
@pytest.mark.parametrize("name, src, tgt", [("en-hy", "en", "hy"), ("m2m100", "en", "hy")])
def test_score_is_transformers_beam_score(engines, name, src, tgt):
    """The teacher-forced score equals generate()'s own sequences_scores (no forced end token)."""
    import torch

    engine = engines[name]
    results = engine.translate(SENTENCES[:2], src=src, tgt=tgt, min_length=engine.max_new_tokens)
    options = engine._prepare(src, tgt)
    length = engine.max_new_tokens + ("forced_bos_token_id" in options)  # a language token on top of the text
    for sentence, result in zip(SENTENCES[:2], results):
        inputs = engine.tokenizer(sentence, return_tensors="pt")
        with torch.inference_mode():
            out = engine.model.generate(
                **inputs, num_beams=4, max_new_tokens=length, min_new_tokens=length,
                forced_eos_token_id=None, do_sample=False, return_dict_in_generate=True, output_scores=True, **options,
            )
        expected = float(out.sequences_scores[0])
        if "forced_bos_token_id" in options:  # transformers counts the forced language token (log-prob 0) in the mean
            n = out.sequences.shape[1] - 1
            expected = expected * n / (n - 1)
        assert result.score == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("name, src, tgt", [("en-hy", "en", "hy"), ("m2m100", "en", "hy")])
def test_each_sentence_stops_at_its_own_relative_cap(tiny_models, name, src, tgt):
    """a x source tokens + b, per sentence, whatever else is in the batch; a random model runs to it."""
    config = ModelConfig(id=str(tiny_models[name]), max_length=64, max_length_a=0.5, max_length_b=2)
    engine = load_engine(config, tgt)
    together = engine.translate(SENTENCES, src=src, tgt=tgt)
    for sentence, result in zip(SENTENCES, together):
        cap = engine.caps([engine.tokenizer(sentence)["input_ids"]])[0]
        assert cap == int(0.5 * engine.count_tokens(sentence) + 2 + 0.999)
        assert 0 < result.tokens <= cap - 1  # the end of sentence counts
        alone = engine.translate([sentence], src=src, tgt=tgt)[0]
        assert alone.text == result.text
    assert len({r.tokens for r in together}) > 1  # not one cap for the batch


@pytest.mark.parametrize("name, src, tgt", [("hy-en", "hy", "en"), ("m2m100", "en", "hy")])
def test_a_sentence_without_terms_gets_the_same_words_beside_one_with_terms(engines, name, src, tgt):
    """A batch with glossary terms goes to the constrained search, one without to generate():
    both end a sentence at its cap the same way, also for a model whose generation_config
    forces no end of sentence (this tiny M2M100's, T5's). The tiny random models run to the cap.
    (The scores of such capped outputs differ: generate()'s path scores the end of sentence
    forced at the cap by what the model gives it, the search counts it as certain.)"""
    from pipeline.glossary.constraints import TermConstraint

    engine = engines[name]
    texts = ["Նա ասաց, որ 0 անգամ։", "Լավրովը հանդիպեց Միրզոյանին։"] if src == "hy" else SENTENCES[:2]
    term = [TermConstraint("c", ("Lavrov",) if tgt == "en" else ("Լավրով",), 1, ())]
    plain = engine.translate(texts[:1], src=src, tgt=tgt)[0]
    beside = engine.translate(texts, src=src, tgt=tgt, constraints=[[], term])[0]
    assert (beside.text, beside.tokens) == (plain.text, plain.tokens)


def test_translated_by_its_plan_a_call_gives_the_same_bits(tiny_models):
    """`plan` cuts a call into groups of texts that, translated one by one, make exactly the
    call's batches (a Ray run sends them to different actors, and must write a local run's bytes)."""
    engine = load_engine(ModelConfig(id=str(tiny_models["hy-en"]), max_length=12, batch_tokens=64, max_input_tokens=24), "en")
    texts = [("Լավրովը հանդիպեց Միրզոյանին։ " * (3 if i % 5 == 0 else 1)).strip() + f" {i}" for i in range(14)]
    texts += ["Բարև։", "Այո։"]
    whole = engine.translate(texts, src="hy", tgt="en")
    plan = engine.plan(texts, src="hy", tgt="en")
    assert sorted(i for group in plan for i in group) == list(range(len(texts))) and len(plan) > 3
    assert any(r.pieces > 1 for r in whole)  # split texts, kept whole in one group
    by_plan = {}
    for group in plan:
        for i, result in zip(group, engine.translate([texts[i] for i in group], src="hy", tgt="en")):
            by_plan[i] = result
    assert [by_plan[i] for i in range(len(texts))] == whole  # text, score, tokens, pieces: every bit
