"""The ct2 engine's own tokenizer (`engines.pieces`): the Hugging Face tokenizer's ids, no torch."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pipeline.engines.pieces import FolderTokenizer, load
from pipeline.models.convert import read_marker
from pipeline.models.facts import read_facts
from process_helpers import run_fresh

pytest.importorskip("ctranslate2")

TEXTS = [
    "The Collective Security Treaty Organization is ready to send monitors to Armenia.",
    "Ռուսաստանի արտգործնախարար Սերգեյ Լավրովը հանդիպեց Արարատ Միրզոյանին։",
    "ՆԱՏՕ-ն, ԵՄ-ը և ՀԱՊԿ-ը, 12,345.6 km² «quotes» “curly” — dashes… émigré 😀",
    "  spaces   and\ttabs  ",
    "x",
    "",
    "</s> a special token <unk> inside the text <pad>",
]
SOURCE_LANGS = {"marian": [None], "madlad": [None], "m2m100": ["en", "hy"], "nllb": ["eng_Latn", "hye_Armn"]}


def both(folder: Path):
    from transformers import AutoTokenizer

    facts = read_facts(folder, read_marker(folder))
    ours = load(folder, facts.kind)
    assert isinstance(ours, FolderTokenizer), f"{facts.kind}: the folder's tokenizer files were not read"
    return facts.kind, ours, AutoTokenizer.from_pretrained(str(folder))


def check_same_ids(folder: Path) -> None:
    kind, ours, theirs = both(folder)
    prefixed = {"marian": ">>hye<< ", "madlad": "<2hy> "}.get(kind)
    texts = TEXTS + ([prefixed + TEXTS[0]] if prefixed else [])
    for lang in SOURCE_LANGS[kind]:
        if lang:
            ours.src_lang = theirs.src_lang = lang
        for text in texts:
            assert ours(text)["input_ids"] == theirs(text, add_special_tokens=True)["input_ids"], (kind, lang, text)
            assert ours(text_target=text, add_special_tokens=False)["input_ids"] == \
                theirs(text_target=text, add_special_tokens=False)["input_ids"], (kind, lang, text)
    assert ours.all_special_ids == sorted(theirs.all_special_ids)
    assert ours.unk_token_id == theirs.unk_token_id and ours.eos_token_id == theirs.eos_token_id
    rng = random.Random(7)
    languages = set(ours.lang_token_to_id.values())  # the engine strips them before decoding
    ids_of = list(range(len(ours.get_vocab())))
    for _ in range(200):
        ids = [i for i in rng.choices(ids_of, k=rng.randrange(1, 14)) if i not in languages]
        assert ours.decode(ids) == theirs.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False), ids
        assert ours.convert_ids_to_tokens(ids) == theirs.convert_ids_to_tokens(ids)


@pytest.mark.parametrize("name", ["en-hy", "hy-en", "m2m100"])
def test_same_ids_as_the_hugging_face_tokenizer(ct2_models, name):
    check_same_ids(ct2_models[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nllb", "madlad"])
def test_same_ids_for_nllb_and_madlad(more_models, tmp_path_factory, name):
    from pipeline.models.convert import convert

    folder = convert(str(more_models[name]), tmp_path_factory.mktemp("pieces") / name, quantization="float32")
    check_same_ids(folder)


def test_a_folder_it_cannot_read_is_tokenized_by_transformers(ct2_models, monkeypatch):
    from pipeline.config import ModelConfig
    from pipeline.engines import ct2, load_engine

    config = ModelConfig(engine="ct2", id=str(ct2_models["en-hy"]), max_length=8, quantization="float32")
    ours = load_engine(config, "hy")
    monkeypatch.setattr(ct2, "load_pieces", lambda folder, kind: None)
    theirs = load_engine(config, "hy")
    assert isinstance(ours.tokenizer, FolderTokenizer) and not isinstance(theirs.tokenizer, FolderTokenizer)
    texts = ["Hello.", "Lavrov met Mirzoyan in Astana on Wednesday."]
    assert [t.text for t in ours.translate(texts, src="en", tgt="hy")] == \
        [t.text for t in theirs.translate(texts, src="en", tgt="hy")]


def test_a_folder_without_its_tokenizer_files_is_a_clear_error(ct2_models, tmp_path):
    import shutil

    from pipeline.config import ModelConfig
    from pipeline.engines import load_engine
    from pipeline.errors import ModelError

    folder = tmp_path / "no-spm"
    shutil.copytree(ct2_models["en-hy"], folder)
    (folder / "source.spm").unlink()
    assert load(folder, "marian") is None
    with pytest.raises(ModelError, match="no usable tokenizer.*targman model convert"):
        load_engine(ModelConfig(engine="ct2", id=str(folder), max_length=8, quantization="float32"), "hy")


@pytest.mark.slow  # a fresh interpreter loads the engine
def test_a_ct2_translation_without_terms_imports_neither_torch_nor_transformers(ct2_models, tmp_path):
    """`targman translate --engine ct2` in a fresh interpreter, through the CLI and the Translator."""
    script = (
        "import io, json, sys\n"
        "sys.stdin = io.StringIO('The CSTO is ready to send monitors.\\nԼավրովը հանդիպեց Միրզոյանին։\\n')\n"
        "from pipeline.cli import main\n"
        f"code = main(['translate', '--engine', 'ct2', '--model', {str(ct2_models['m2m100'])!r}, '--tgt', 'hy',"
        " '--max-length', '8', '--quantization', 'float32'])\n"
        "print(json.dumps({'code': code, 'loaded': sorted(m for m in ('torch', 'transformers') if m in sys.modules)}))\n"
    )
    lines = run_fresh(script, tmp_path)
    assert json.loads(lines[-1]) == {"code": 0, "loaded": []}
    assert len(lines) == 3 and lines[0].strip()  # two translated lines, then the report


def test_a_vocabulary_without_its_end_token_is_left_to_transformers(ct2_models, tmp_path):
    import shutil

    folder = tmp_path / "no-eos"
    shutil.copytree(ct2_models["en-hy"], folder)
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["eos_token"] = "<no-such-token>"
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert load(folder, "marian") is None  # an end token that is no id: never a None among the ids
    ours = load(ct2_models["en-hy"], "marian")
    with pytest.raises(ValueError, match="either `text` or `text_target`"):
        ours()
