"""What a command imports before it works (issue 17: startup that does not dominate small jobs).

Timings are measured, never asserted (README: `targman bench`, the issue's note); these tests
check the imports that were cut stay cut, each in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

import pipeline.cli as cli
from process_helpers import run_fresh


def imported_after(code: str, tmp_path: Path) -> set[str]:
    """The modules loaded in a fresh interpreter after running `code`."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    return set(json.loads(run_fresh(script, tmp_path)[-1]))


def test_the_command_table_names_the_module_that_registers_each_command():
    registered = {}
    for module in cli.COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub)
        for name in sub.choices:
            registered[name] = module
    assert registered == cli.COMMANDS


def test_a_command_builds_only_its_own_parser(tmp_path):
    modules = imported_after("from pipeline.cli import build_parser\nbuild_parser('run')", tmp_path)
    assert "pipeline.cli.run" in modules
    assert not {"pipeline.cli.glossary", "pipeline.cli.xliff", "pipeline.cli.review", "pipeline.glossary.tbx",
                "sacrebleu", "torch", "ray"} & modules
    everything = imported_after("from pipeline.cli import build_parser\nbuild_parser()", tmp_path)
    assert {"pipeline.cli.glossary", "pipeline.cli.translate"} <= everything  # `targman --help` lists them all


def test_a_run_without_references_does_not_import_sacrebleu(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Բաքուն լռեց։\n", encoding="utf-8")
    code = ("from pipeline import run\nfrom pipeline.engines.testing import FunctionEngine\n"
            "run('in', 'out', tgt='en', engine=FunctionEngine(), progress='off', cache=False)")
    assert "sacrebleu" not in imported_after(code, tmp_path)
    (tmp_path / "in" / "a.ref.txt").write_text("Baku was silent.\n", encoding="utf-8")
    assert "sacrebleu" in imported_after(code.replace("'out'", "'out2'"), tmp_path)  # scores need it
