"""Loading a model never runs code that came with it."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.engines import load_engine
from pipeline.errors import TargmanError


class Payload:
    """Unpickling this creates a file: the proof that pickle ran code."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (Path.touch, (self.sentinel,))


def test_pickle_beside_safetensors_is_never_opened(tiny_models, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_models["hy-en"], folder)
    sentinel = tmp_path / "pickle-ran"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"model.shared.weight": Payload(sentinel)}))
    (folder / "training_args.bin").write_bytes(pickle.dumps(Payload(sentinel)))
    engine = load_engine(ModelConfig(id=str(folder), max_length=4), "en")
    assert engine.translate(["Բարև։"], src="hy", tgt="en")[0].text is not None
    assert not sentinel.exists()


def test_remote_code_in_a_model_folder_is_never_imported(tiny_models, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_models["hy-en"], folder)
    sentinel = tmp_path / "remote-code-ran"
    (folder / "evil_model.py").write_text(f"from pathlib import Path\nPath({str(sentinel)!r}).touch()\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSeq2SeqLM": "evil_model.EvilModel", "AutoConfig": "evil_model.EvilConfig"}
    (folder / "config.json").write_text(json.dumps(config))
    try:
        load_engine(ModelConfig(id=str(folder), max_length=4), "en")
    except TargmanError:
        pass  # refusing the folder is fine too; running its code is not
    assert not sentinel.exists()
