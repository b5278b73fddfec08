from pathlib import Path

import pytest

from pipeline import config as cfg
from pipeline.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("[model]\nbeam = 4\n", "unknown key(s) in [model]: beam; valid keys: engine, id,"),
        ("[modle]\n", "unknown section(s) 'modle'; valid sections: model, run, glossary, cache, output"),
        ("[model]\nbeam_size = 'four'\n", "[model] beam_size must be a whole number"),
        ("[run]\ntgt = 'fr'\n", "[run] tgt = 'fr' is not one of 'hy', 'en'"),
        ("[run]\nboilerplate = 'x'\n", "[run] boilerplate must be a list of strings"),
        ("[model\n", "not valid TOML"),
    ],
)
def test_bad_config_says_what_to_change(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        cfg.load(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_precedence_defaults_file_flags(tmp_path):
    config = cfg.load(write(tmp_path, "[model]\nbeam_size = 2\nid = 'x/y'\n[run]\ntgt = 'hy'\n"))
    assert (config.model.beam_size, config.model.id, config.run.tgt, config.model.max_length) == (2, "x/y", "hy", 256)
    config = cfg.with_overrides(config, model__beam_size=5, run__tgt=None)
    assert (config.model.beam_size, config.run.tgt) == (5, "hy")


def test_default_model_per_direction():
    assert cfg.finalize(cfg.with_overrides(cfg.Config(), run__tgt="en")).model.id == "Helsinki-NLP/opus-mt-hy-en"
    assert cfg.finalize(cfg.with_overrides(cfg.Config(), run__tgt="hy")).model.id == "Helsinki-NLP/opus-mt-en-hy"
    with pytest.raises(ConfigError, match="--tgt"):
        cfg.finalize(cfg.Config())


@pytest.mark.parametrize("name", ["opus-mt-hy-en", "opus-mt-en-hy", "nllb-600m", "opus-mt-hy-en-ct2"])
def test_shipped_configs_load(name):
    config = cfg.load(cfg.resolve_config_path(name))
    assert config.model.id


def test_nllb_config_notes_licence():
    text = cfg.resolve_config_path("nllb-600m").read_text(encoding="utf-8")
    assert "CC-BY-NC" in text


def test_armenian_spelling_from_file_and_flag(tmp_path):
    import argparse

    from pipeline.cli.run import add_engine_options, build_config

    assert cfg.Config().output.armenian_spelling == "reformed"
    config = cfg.load(write(tmp_path, "[output]\narmenian_spelling = 'classical'\n"))
    assert config.output.armenian_spelling == "classical"
    with pytest.raises(ConfigError, match=r"\[output\] armenian_spelling = 'soviet' is not one of 'reformed'"):
        cfg.load(write(tmp_path, "[output]\narmenian_spelling = 'soviet'\n"))
    parser = argparse.ArgumentParser()
    add_engine_options(parser)
    assert build_config(parser.parse_args(["--armenian-spelling", "keep"])).output.armenian_spelling == "keep"
    assert build_config(parser.parse_args([])).output.armenian_spelling == "reformed"


def test_paths_in_a_config_file_are_relative_to_its_folder(tmp_path, monkeypatch):
    """Issue 17, item 8: a config that names its model folder, glossary and cache beside it works
    from any current folder."""
    desk = tmp_path / "desk"
    (desk / "models" / "tiny").mkdir(parents=True)
    (desk / "glossaries").mkdir()
    (desk / "glossaries" / "desk.tsv").write_text("", encoding="utf-8")
    config_file = desk / "newsroom.toml"
    config_file.write_text('[model]\nid = "models/tiny"\n[glossary]\npath = "glossaries/desk.tsv"\n'
                           '[cache]\ndir = "cache"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = cfg.load(config_file)
    assert Path(config.model.id) == desk / "models" / "tiny"
    assert Path(config.glossary.path) == desk / "glossaries" / "desk.tsv"
    assert Path(config.cache.dir) == desk / "cache"
    # A hub id stays a hub id; `./` always means the config's folder, `~` the home folder.
    config_file.write_text('[model]\nid = "Helsinki-NLP/opus-mt-hy-en"\n', encoding="utf-8")
    assert cfg.load(config_file).model.id == "Helsinki-NLP/opus-mt-hy-en"
    config_file.write_text('[model]\nid = "./models/other"\n[cache]\ndir = "~/tm"\n', encoding="utf-8")
    config = cfg.load(config_file)
    assert Path(config.model.id) == desk / "models" / "other"
    assert Path(config.cache.dir) == Path.home() / "tm"
    # Flags stay relative to the current folder.
    flagged = cfg.with_overrides(cfg.load(config_file), glossary__path="mine.tsv")
    assert flagged.glossary.path == "mine.tsv"
