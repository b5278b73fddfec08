"""What a run and the translation memory key on (issue 17, items 1 and 2).

The same model folder named two ways (`../models/x`, `/abs/models/x`) is one model: the
memory hits and the run resumes. A setting the engine does not read never blocks a
resume. A usage error found before any work leaves no output folder behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.batch.runner import run
from pipeline.batch.state import settings_of
from pipeline.cli import main
from pipeline.config import finalize, load_config, with_overrides
from pipeline.engines.testing import FunctionEngine
from pipeline.errors import StateError
from pipeline.translation.memory import setting_description


def articles(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։\n\nThe talks went on.\n", encoding="utf-8")
    (folder / "b.txt").write_text("Երևանը լռեց։\n", encoding="utf-8")
    return folder


def cli_run(*args: str) -> int:
    return main(["run", *args, "--tgt", "en", "--max-length", "8", "--beam", "1", "--progress", "off"])


# -- item 1: the model folder, not the string that names it ------------------------------------
@pytest.fixture()
def model_here(tiny_models, tmp_path, monkeypatch) -> Path:
    """A copy of the tiny hy->en model at tmp/models/tiny, with tmp/work as the current folder."""
    models = tmp_path / "models"
    shutil.copytree(tiny_models["hy-en"], models / "tiny")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return models / "tiny"


def test_a_relative_and_an_absolute_path_of_one_model_share_memory_and_resume(model_here, tmp_path, capsys):
    src = articles(tmp_path / "in")
    assert cli_run(str(src), "-o", "out", "--model", "../models/tiny") == 0
    first = json.loads(Path("out/run.json").read_text(encoding="utf-8"))
    assert first["cache"]["hits"] == 0 and first["cache"]["misses"] > 0

    # The same folder, absolute: the same OUT_DIR resumes instead of refusing the run ...
    assert cli_run(str(src), "-o", "out", "--model", str(model_here.resolve())) == 0
    again = json.loads(Path("out/run.json").read_text(encoding="utf-8"))
    assert again["resume"]["files_reused"] == 2
    # ... and a new OUT_DIR takes every translation from the memory.
    assert cli_run(str(src), "-o", "out2", "--model", str(model_here.resolve())) == 0
    other = json.loads(Path("out2/run.json").read_text(encoding="utf-8"))
    assert other["cache"]["hits"] == first["cache"]["misses"] and other["cache"]["misses"] == 0
    assert Path("out2/a.txt").read_bytes() == Path("out/a.txt").read_bytes()


def test_a_copied_model_folder_is_the_same_model_and_a_changed_one_is_not(model_here, tmp_path):
    src = articles(tmp_path / "in")
    assert cli_run(str(src), "-o", "out", "--model", str(model_here)) == 0
    copy = tmp_path / "elsewhere" / "tiny"
    shutil.copytree(model_here, copy)
    assert cli_run(str(src), "-o", "out", "--model", str(copy)) == 0
    assert json.loads(Path("out/run.json").read_text())["resume"]["files_reused"] == 2
    config = copy / "config.json"
    config.write_text(config.read_text().replace("{", '{"_edited": 1, ', 1))  # other content: another model
    assert cli_run(str(src), "-o", "out", "--model", str(copy)) == 2


def test_the_memory_key_drops_the_name_of_a_hashed_model():
    def engine(model_id, content):
        fake = FunctionEngine()
        fake.fingerprint = lambda: {"engine": "hf", "id": model_id, "content": content, "beam_size": 4}
        return fake

    relative = setting_description(engine("../models/tiny", "abc"), "hy", "en")
    absolute = setting_description(engine("/srv/models/tiny", "abc"), "hy", "en")
    assert relative == absolute
    assert setting_description(engine("/srv/models/tiny", "abd"), "hy", "en") != absolute
    # A model with no content hash (an id nothing could be hashed for) keeps its id in the key.
    assert setting_description(engine("a/b", None), "hy", "en") != setting_description(engine("a/c", None), "hy", "en")


def test_settings_name_a_local_model_by_its_content(model_here, tmp_path):
    relative = settings_of(finalize(load_config(tgt="en", model="../models/tiny")))
    absolute = settings_of(finalize(load_config(tgt="en", model=str(model_here.resolve()))))
    assert relative == absolute
    assert "id" not in relative["config"]["model"] and relative["model_weights"]["content"]
    hub = settings_of(finalize(load_config(tgt="en", model="Helsinki-NLP/opus-mt-hy-en")))
    assert hub["config"]["model"]["id"] == "Helsinki-NLP/opus-mt-hy-en"


def test_settings_written_by_an_earlier_version_still_resume(tmp_path):
    """settings.json of a run made before this change (literal model id and glossary path) compares equal."""
    from pipeline.batch.state import normalised

    config = finalize(load_config(tgt="en", model=str(tmp_path)))
    old = json.loads(json.dumps({"state_version": 1, "targman": "x", "config": config.to_dict(),
                                 "model_weights": {"content": "abc"}, "glossary_sha256": "g"}))
    old["config"]["glossary"]["path"] = "some/where.tsv"
    old["config"]["model"]["quantization"] = "float16"  # hf ignores it
    new = dict(old, config=json.loads(json.dumps(old["config"])))
    new["config"]["model"]["id"] = "elsewhere"
    new["config"]["glossary"]["path"] = "/abs/where.tsv"
    new["config"]["model"]["quantization"] = "int8"
    assert normalised(old) == normalised(new)


# -- item 2: settings the engine ignores; errors before any work --------------------------------
def test_a_setting_the_engine_does_not_read_does_not_block_resuming(tmp_path):
    src = articles(tmp_path / "in")
    out = tmp_path / "out"
    run(src, out, tgt="en", engine=FunctionEngine(), progress="off", cache=False)
    result = run(src, out, tgt="en", engine=FunctionEngine(), progress="off", cache=False, quantization="float32")
    assert result.manifest["resume"]["files_reused"] == 2
    # ct2 reads quantization: there it is another setting.
    out2 = tmp_path / "out2"
    ct2 = load_config(engine="ct2", cache=False)
    run(src, out2, ct2, tgt="en", engine=FunctionEngine(), progress="off")
    with pytest.raises(StateError, match="quantization"):
        run(src, out2, ct2, tgt="en", engine=FunctionEngine(), progress="off", quantization="float32")


@pytest.mark.parametrize("existing", [False, True])
def test_a_model_error_before_any_work_leaves_no_output_folder(tmp_path, monkeypatch, capsys, existing):
    monkeypatch.chdir(tmp_path)
    src = articles(tmp_path / "in")
    out = tmp_path / "out"
    if existing:
        out.mkdir()
    assert cli_run(str(src), "-o", str(out), "--model", "./models/not-here") == 2
    assert "not-here" in capsys.readouterr().err
    assert out.is_dir() == existing
    if existing:
        assert list(out.iterdir()) == []  # no .targman/ either


def test_a_model_error_after_a_finished_run_keeps_its_state(tmp_path, monkeypatch):
    src = articles(tmp_path / "in")
    out = tmp_path / "out"
    run(src, out, tgt="en", engine=FunctionEngine(), progress="off", cache=False)
    monkeypatch.chdir(tmp_path)
    (src / "c.txt").write_text("Նոր։\n", encoding="utf-8")
    assert cli_run(str(src), "-o", str(out), "--model", "./models/not-here") == 2
    assert (out / ".targman" / "settings.json").is_file() and (out / "a.txt").is_file()


def test_where_the_engine_runs_is_not_a_setting_of_the_outputs():
    """A run started locally resumes on Ray and the other way round."""
    local = load_config(tgt="en", model="x/y")
    remote = with_overrides(local, run__executor="ray", ray__address="auto", ray__actors=8, ray__gpus_per_actor=1.0)
    assert settings_of(local) == settings_of(remote)
    assert "ray" not in settings_of(remote)["config"]
