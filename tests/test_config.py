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


def test_relative_cap_and_openai_settings(tmp_path):
    config = cfg.load(write(tmp_path, "[model]\nmax_length_a = 2\nmax_length_b = 5\ntemperature = 0.2\n"))
    assert (config.model.max_length_a, config.model.max_length_b, config.model.temperature) == (2.0, 5, 0.2)
    assert cfg.Config().model.max_length_a == 3.0 and cfg.Config().model.max_length_b == 10
    with pytest.raises(ConfigError, match="max_length_a must be a number"):
        cfg.load(write(tmp_path, "[model]\nmax_length_a = 'x'\n"))
    with pytest.raises(ConfigError, match="max_length_a must not be negative"):
        cfg.load(write(tmp_path, "[model]\nmax_length_a = -1.0\n"))
    from pipeline.engines.registry import check_sections, describe_engine

    with pytest.raises(ConfigError, match=r"needs \[engine.openai\] base_url"):  # the engine's own check
        describe_engine(cfg.finalize(cfg.with_overrides(cfg.Config(), model__engine="openai", run__tgt="hy")).model, "hy")
    with pytest.raises(ConfigError, match=r"\[engine.openai\] concurrency must be at least 1"):
        check_sections(cfg.with_overrides(cfg.Config(), model__concurrency=0).model)


@pytest.mark.parametrize("source, a, b, limit, min_length, expected", [
    (10, 3.0, 10, 256, None, 40), (100, 3.0, 10, 256, None, 256), (10, 0.0, 0, 256, None, 256),
    (10, 0.0, 20, 256, None, 20), (10, 1.5, 0, 256, None, 15), (10, 3.0, 10, 256, 60, 60), (10, 3.0, 10, 50, 60, 50),
])
def test_output_cap(source, a, b, limit, min_length, expected):
    from pipeline.engines.tokenizer import output_cap

    assert output_cap(cfg.ModelConfig(max_length_a=a, max_length_b=b), limit, source, min_length) == expected


def test_cli_sets_the_relative_cap(tmp_path):
    from pipeline.cli import build_parser
    from pipeline.cli.run import build_config

    args = build_parser().parse_args(["run", str(tmp_path), "-o", str(tmp_path / "o"), "--max-length-a", "1.5",
                                      "--max-length-b", "4", "--base-url", "http://127.0.0.1:1/v1"])
    model = build_config(args).model
    assert (model.max_length_a, model.max_length_b, model.base_url) == (1.5, 4, "http://127.0.0.1:1/v1")


@pytest.mark.parametrize("name", ["madlad400-3b", "openai-local"])
def test_new_shipped_configs_load(name):
    config = cfg.load(cfg.resolve_config_path(name))
    assert config.model.id and config.model.engine in ("ct2", "openai")


def test_ray_settings(tmp_path):
    """Issue 15: where the engine runs is configured like the rest; a typo lists the valid keys."""
    config = cfg.load(write(tmp_path, "[run]\nexecutor = 'ray'\n[ray]\naddress = 'auto'\nactors = 4\n"
                                      "cpus_per_actor = 2\ngpus_per_actor = 0.5\n"))
    assert (config.run.executor, config.ray.address, config.ray.actors) == ("ray", "auto", 4)
    assert (config.ray.cpus_per_actor, config.ray.gpus_per_actor) == (2.0, 0.5)
    with pytest.raises(ConfigError, match=r"\[run\] executor = 'dask' is not one of 'local', 'ray'"):
        cfg.load(write(tmp_path, "[run]\nexecutor = 'dask'\n"))
    with pytest.raises(ConfigError, match=r"unknown key\(s\) in \[ray\]: actor; valid keys: address, actors,"):
        cfg.load(write(tmp_path, "[ray]\nactor = 2\n"))
    assert cfg.load_config(tgt="en", executor="ray", ray_address="auto").ray.address == "auto"


def test_an_older_config_with_an_engines_keys_in_model_still_works_and_says_where_they_go(tmp_path, caplog):
    """`[model] quantization` (from before `[engine.ct2]`) is read, with a warning naming the file
    and the key to move; a flag given later wins over the file's section."""
    from pipeline.config import load, with_overrides
    from pipeline.engines.base import options_of
    from pipeline.engines.registry import engine_class

    older = tmp_path / "older.toml"
    older.write_text('[model]\nengine = "ct2"\nquantization = "float32"\n', encoding="utf-8")
    with caplog.at_level("WARNING", logger="targman"):
        config = load(older)
    said = [record.getMessage() for record in caplog.records]
    assert any(str(older) in line and "[model] quantization" in line and "[engine.ct2]" in line for line in said), said
    assert options_of(engine_class("ct2"), config.model).quantization == "float32"
    newer = tmp_path / "newer.toml"
    newer.write_text('[model]\nengine = "ct2"\n[engine.ct2]\nquantization = "float32"\n', encoding="utf-8")
    caplog.clear()
    with caplog.at_level("WARNING", logger="targman"):
        config = load(newer)
    assert not caplog.records
    flagged = with_overrides(config, model__quantization="float16")  # --quantization
    assert options_of(engine_class("ct2"), flagged.model).quantization == "float16"


def test_an_unknown_engine_section_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[engine.ct3]\nquantization = 'int8'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: unknown engine section\(s\) \[engine\.ct3\]; engines: hf, ct2, openai"):
        cfg.load(path)


def test_cli_sets_an_engines_own_settings_without_knowing_them(tmp_path):
    """`--engine-option ENGINE.KEY=VALUE` reaches the engine's section; the engine checks it."""
    from pipeline.cli import build_parser
    from pipeline.cli.run import build_config
    from pipeline.engines.base import options_of
    from pipeline.engines.registry import check_sections, engine_class

    def model(*options):
        flags = [part for option in options for part in ("--engine-option", option)]
        return build_config(build_parser().parse_args(["run", str(tmp_path), "-o", str(tmp_path / "o"), *flags])).model

    given = model("openai.timeout_s=2.5", "openai.base_url=http://127.0.0.1:1/v1", "ct2.quantization=float32")
    openai = options_of(engine_class("openai"), given)
    assert (openai.timeout_s, openai.base_url) == (2.5, "http://127.0.0.1:1/v1")
    assert options_of(engine_class("ct2"), given).quantization == "float32"
    with pytest.raises(ConfigError, match=r"unknown key\(s\) in \[engine.openai\]: timeout; known keys: base_url"):
        check_sections(model("openai.timeout=2"))
    with pytest.raises(ConfigError, match="write ENGINE.KEY=VALUE"):
        model("timeout_s=2")


def test_a_run_keeps_resuming_whether_an_engines_keys_are_in_model_or_its_section():
    """The settings fingerprint holds the engine in use's section as [model] held those keys before,
    so a run made with an older config resumes under the new one; another engine's section decides nothing."""
    from pipeline.batch.state import settings_of

    older = cfg.from_mapping({"model": {"engine": "ct2", "quantization": "float32"}})
    newer = cfg.from_mapping({"model": {"engine": "ct2"}, "engine": {"ct2": {"quantization": "float32"}}})
    assert settings_of(older) == settings_of(newer) != settings_of(cfg.from_mapping({"model": {"engine": "ct2"}}))
    hf = cfg.from_mapping({"model": {"engine": "hf"}})
    assert settings_of(hf) == settings_of(cfg.from_mapping({"model": {"engine": "hf"},
                                                            "engine": {"ct2": {"quantization": "float32"}}}))


def test_the_default_model_not_chosen_yet_is_not_the_current_folder(tmp_path, monkeypatch):
    """`[model] id = ""` (the default model for the target, not resolved yet) fingerprints no files:
    it had walked the current folder, a clone's 50,000-file .venv included, for 4 s."""
    from pipeline.batch.state import model_digest

    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights.bin").write_bytes(b"not a model")
    assert model_digest("", None) == {"hub": "", "revision": None}
    assert "content" in model_digest(str(tmp_path), None)
