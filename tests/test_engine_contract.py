"""Every engine against the same contract (`engines.base`), as translate-toolkit tests every
storage format with one base class: `EngineContract` holds the tests, each subclass builds
one engine (the `engine` fixture) and nothing else.

The contract: one Translation per text, in input order; `on_done` hears of each text exactly
once, with the translation the call returns; empty input is no work; options of the wrong
shape are refused before any work; glossary terms are honoured as the engine declares
(`constrains`: every term is in the output; `reranks`: `unmet` says truly whether one is
missing); the fingerprint does not change with use and is the one its description gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.config import ModelConfig, RayConfig
from pipeline.engines.base import Engine, Translation
from pipeline.engines.registry import describe_engine, load_engine
from pipeline.glossary.constraints import TermConstraint
from tests.test_ct2_terms import TERMS as CT2_TERMS
from tests.test_ct2_terms import TEXTS as CT2_TEXTS

REPO = Path(__file__).resolve().parents[1]

# ct2's term tests' three sentences and their terms, and two without any
TEXTS = [*CT2_TEXTS, "The talks went on.", "Yes."]
TERMS = [*CT2_TERMS, [], []]


def holds(text: str, term: TermConstraint) -> bool:
    """The term is in the text, in one of its forms (every term here is needed once)."""
    return any(form in text for form in term.forms)


class EngineContract:
    """The tests; a subclass gives the `engine` fixture (an en -> hy engine) and, for an engine
    not built from a `ModelConfig`, `fingerprint_again`."""

    src, tgt = "en", "hy"

    def fingerprint_again(self, engine: Engine) -> dict:
        """The fingerprint a second engine of the same settings has: described, not loaded."""
        return describe_engine(engine.config, self.tgt).fingerprint

    def test_it_meets_the_protocol(self, engine):
        assert isinstance(engine, Engine)
        assert isinstance(engine.name, str) and engine.name
        assert isinstance(engine.constrains, bool) and isinstance(engine.reranks, bool)
        assert isinstance(engine.context, int) and engine.context >= 0
        assert engine.supports(self.src, self.tgt) and not engine.supports(self.tgt, self.tgt)

    def test_one_translation_per_text_in_input_order(self, engine):
        forward = engine.translate(TEXTS, src=self.src, tgt=self.tgt)
        backward = engine.translate(TEXTS[::-1], src=self.src, tgt=self.tgt)
        assert len(forward) == len(TEXTS) and all(isinstance(t, Translation) for t in forward)
        assert len({t.text for t in forward}) > 1  # different outputs, so that their order shows
        assert [t.text for t in backward] == [t.text for t in forward][::-1]

    @pytest.mark.parametrize("with_terms", [False, True], ids=["plain", "terms"])
    def test_on_done_hears_of_each_text_exactly_once(self, engine, with_terms):
        heard: list[tuple[list[int], list[Translation]]] = []
        options = {"constraints": TERMS} if with_terms else {}
        results = engine.translate(TEXTS, src=self.src, tgt=self.tgt, **options,
                                   on_done=lambda indices, done: heard.append((list(indices), list(done))))
        told = [i for indices, _ in heard for i in indices]
        assert sorted(told) == list(range(len(TEXTS))), told
        for indices, done in heard:
            assert len(indices) == len(done)
            assert [t.text for t in done] == [results[i].text for i in indices]  # what the call returns

    def test_empty_input_is_no_work(self, engine):
        heard = []
        assert engine.translate([], src=self.src, tgt=self.tgt, on_done=lambda *a: heard.append(a)) == []
        assert engine.translate([], src=self.src, tgt=self.tgt, constraints=[], banned=[]) == []
        assert heard == []

    @pytest.mark.parametrize("options", [{"constraints": TERMS[:2]}, {"banned": [[]]}, {"constraints": "Astana"},
                                         {"min_length": -1}], ids=["short", "banned", "not-a-list", "min-length"])
    def test_options_of_the_wrong_shape_are_refused(self, engine, options):
        heard = []
        with pytest.raises((TypeError, ValueError)):
            engine.translate(TEXTS, src=self.src, tgt=self.tgt, on_done=lambda *a: heard.append(a), **options)
        assert heard == []

    def test_terms_are_honoured_as_declared(self, engine):
        results = engine.translate(TEXTS, src=self.src, tgt=self.tgt, constraints=TERMS)
        for result, terms in zip(results, TERMS, strict=True):
            missing = [term.concept for term in terms if not holds(result.text, term)]
            if engine.constrains:  # forced: every term is there
                assert not missing and not result.unmet, (result, missing)
            elif engine.reranks:  # a hint: what is missing is said
                assert result.unmet == bool(missing), (result, missing)

    def test_each_group_of_its_plan_alone_gives_the_whole_calls_bytes(self, engine):
        """What lets `engines.ray_pool` send a plan's groups to different actors: with terms too
        (ct2 once placed missing terms over the whole call, so an actor's group came out otherwise)."""
        from pipeline.engines.base import Plans

        plan = engine.plan(TEXTS, src=self.src, tgt=self.tgt) if isinstance(engine, Plans) else None
        if not plan:
            pytest.skip("this engine has no plan of its own")
        assert len(plan) > 1 and sorted(i for group in plan for i in group) == list(range(len(TEXTS)))
        whole = engine.translate(TEXTS, src=self.src, tgt=self.tgt, constraints=TERMS)
        alone: list[Translation | None] = [None] * len(TEXTS)
        for group in plan:
            done = engine.translate([TEXTS[i] for i in group], src=self.src, tgt=self.tgt,
                                    constraints=[TERMS[i] for i in group])
            for i, translation in zip(group, done, strict=True):
                alone[i] = translation
        assert alone == whole

    def test_the_fingerprint_is_stable(self, engine):
        before = engine.fingerprint()
        assert json.loads(json.dumps(before, sort_keys=True)) == before  # the memory stores it as JSON
        assert before["engine"] == engine.name == engine.info()["engine"]
        engine.translate(TEXTS[:2], src=self.src, tgt=self.tgt, constraints=TERMS[:2])
        assert engine.fingerprint() == before
        assert self.fingerprint_again(engine) == before


# -- the engines --------------------------------------------------------------------------------

class TestFunctionEngine(EngineContract):
    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls):
        from pipeline.engines.testing import FunctionEngine

        return FunctionEngine(constrains=True, batch_size=2)

    def fingerprint_again(self, engine):
        from pipeline.engines.testing import FunctionEngine

        return FunctionEngine(constrains=True, batch_size=2).fingerprint()


class TestRerankingFunctionEngine(TestFunctionEngine):
    """An engine that only takes terms as hints (as `openai` does) must say which it missed."""

    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls):
        from pipeline.engines.testing import FunctionEngine

        return FunctionEngine(reranks=True)

    def fingerprint_again(self, engine):
        from pipeline.engines.testing import FunctionEngine

        return FunctionEngine(reranks=True).fingerprint()


def hf_config(tiny_models) -> ModelConfig:
    return ModelConfig(id=str(tiny_models["en-hy"]), max_length=12, batch_size=2)


@pytest.mark.slow
class TestHFEngine(EngineContract):
    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls, tiny_models):
        return load_engine(hf_config(tiny_models), "hy")


def ct2_config(ct2_models) -> ModelConfig:
    return ModelConfig(engine="ct2", id=str(ct2_models["en-hy"]), max_length=12, quantization="float32", batch_size=2)


@pytest.mark.slow
class TestCT2Engine(EngineContract):
    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls, ct2_models):
        return load_engine(ct2_config(ct2_models), "hy")


class TestOpenAIEngine(EngineContract):
    """On the fake OpenAI-compatible server of tests/fake_openai.py (127.0.0.1)."""

    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls):
        from fake_openai import FakeOpenAI

        with FakeOpenAI() as fake:
            engine = load_engine(cls.config(fake.base_url), "hy")
            yield engine
            engine.close()

    @staticmethod
    def config(base_url: str) -> ModelConfig:
        return ModelConfig(engine="openai", id="tiny-mt", base_url=base_url, timeout_s=5, retries=1)


@pytest.mark.slow
class TestLazyEngine(EngineContract):
    """The Translator's engine: described now, loaded on its first translation."""

    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls, tiny_models):
        from pipeline.engines.lazy import LazyEngine

        return LazyEngine(hf_config(tiny_models), "hy")

    def fingerprint_again(self, engine):
        return engine.load().fingerprint()  # the loaded engine's is the description's

    def test_it_has_the_abilities_of_its_engine_and_nothing_else(self, engine):
        from pipeline.engines.base import Closes, Loads, Plans, Repairs, TimesLoading

        assert all(isinstance(engine, ability) for ability in (Loads, TimesLoading, Plans, Repairs, Closes))
        loaded = engine.load()
        assert engine.plan(TEXTS, src="en", tgt="hy") == loaded.plan(TEXTS, src="en", tgt="hy")
        assert engine.repaired == 0 and not hasattr(engine, "tokenizer")  # nothing forwarded


@pytest.fixture(scope="class")
def local_ray():
    """A local Ray for the class: 2 CPUs, no dashboard, on 127.0.0.1 (as tests/test_ray_executor.py)."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("another Ray is running in this process")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no test reaches the network
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level="WARNING", runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "TARGMAN_MALLOC": "off"}})
    yield ray
    ray.shutdown()


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one Ray at a time (see tests/test_ray_executor.py)
class TestRayEngine(EngineContract):
    """Two actors, each with its own LazyEngine of the tiny model on ct2 (an actor on hf spends 4 s
    importing torch; tests/test_ray_executor.py runs hf on Ray); the batches are the engine's plan."""

    @pytest.fixture(scope="class")
    @classmethod
    def engine(cls, local_ray, ct2_models):
        from pipeline.engines.lazy import LazyEngine
        from pipeline.engines.ray_pool import RayPool

        pool = RayPool(RayConfig(actors=2, stall_s=60), batch_size=2)
        yield pool.engine(LazyEngine(ct2_config(ct2_models), "hy"))
        pool.close()

    def fingerprint_again(self, engine):
        return describe_engine(engine.inner.config, "hy").fingerprint

    def test_it_gives_the_local_engines_bytes(self, engine):
        local = engine.inner.translate(TEXTS, src="en", tgt="hy", constraints=TERMS)
        remote = engine.translate(TEXTS, src="en", tgt="hy", constraints=TERMS)
        assert remote == local


# -- the class side, and the contract as mypy reads it --------------------------------------------

@pytest.mark.parametrize("name", ["hf", "ct2", "openai"])
def test_each_registered_class_is_built_and_described_alike(name):
    """The class side the registry relies on (`EngineClass`): `Class(config, tgt, *, cache_dir)`
    and `Class.describe(config, tgt, *, cache_dir)`."""
    import inspect

    from pipeline.engines.registry import engine_class

    cls = engine_class(name)
    for function in (cls.__init__, cls.describe):
        parameters = list(inspect.signature(function).parameters.values())
        names = [p.name for p in parameters if p.name not in ("self", "cls")]
        assert names == ["config", "tgt", "cache_dir"], (name, function)
        assert parameters[-1].kind is inspect.Parameter.KEYWORD_ONLY and parameters[-1].default is None


THIRD_PARTY = ("torch", "transformers", "ctranslate2", "ray", "httpx", "sentencepiece", "tokenizers", "numpy",
               "safetensors", "huggingface_hub", "sacrebleu")
MYPY_CHECK = textwrap.dedent('''
    from typing import Sequence
    from pipeline.config import ModelConfig
    from pipeline.engines.base import Description, Engine, EngineClass, Translation
    from pipeline.engines.ct2 import CT2Engine
    from pipeline.engines.hf import HFEngine
    from pipeline.engines.lazy import LazyEngine
    from pipeline.engines.llm import OpenAIEngine
    from pipeline.engines.ray_pool import RayEngine
    from pipeline.engines.testing import FunctionEngine, SpyEngine

    classes: list[EngineClass] = [HFEngine, CT2Engine, OpenAIEngine]

    def engines(lazy: LazyEngine, ray: RayEngine) -> list[Engine]:
        return [lazy, ray, FunctionEngine(), SpyEngine(FunctionEngine())]

    class Untyped:  # the 8 arguments as they were written before: untyped, one missing
        name = "untyped"
        constrains = reranks = False
        context = 0

        def __init__(self, config: ModelConfig, tgt: str) -> None: ...
        @classmethod
        def describe(cls, config: ModelConfig, tgt: str, *, cache_dir: str | None = None) -> Description: ...
        def supports(self, src: str, tgt: str) -> bool: ...
        def translate(self, texts: Sequence[str], *, src: str, tgt: str, min_length: int | None = None,
                      constraints: list[str] | None = None, banned=None, context=None) -> list[Translation]: ...
        def info(self) -> dict: ...
        def fingerprint(self) -> dict: ...

    wrong_instance: Engine = Untyped(ModelConfig(), "hy")  # BAD
    wrong_class: EngineClass = Untyped  # BAD
''')


@pytest.mark.slow
def test_mypy_holds_every_engine_to_the_contract(tmp_path):
    """The real engines meet `Engine`/`EngineClass` as mypy reads them; one that does not is named."""
    pytest.importorskip("mypy")
    check = tmp_path / "contract_check.py"
    check.write_text(MYPY_CHECK, encoding="utf-8")
    settings = tmp_path / "mypy.ini"  # the libraries unread (torch alone takes mypy a minute): the contract is ours
    settings.write_text("[mypy]\nfollow_imports = silent\ndisable_error_code = empty-body\n"
                        f"[mypy-{','.join(f'{name}.*' for name in THIRD_PARTY)}]\nfollow_imports = skip\n"
                        "ignore_missing_imports = True\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(settings), "--cache-dir",
                           str(tmp_path / "cache"), str(check)], check=False, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    bad = {number for number, line in enumerate(MYPY_CHECK.splitlines(), 1) if line.endswith("# BAD")}
    assert {int(line.split(":")[1]) for line in errors} == bad, done.stdout


def test_each_engine_declares_the_settings_it_reads(caplog, monkeypatch):
    """Every `[model]` key is some engine's; one set for another engine is said once, naming whose it is."""
    from dataclasses import fields

    from pipeline.engines import registry
    from pipeline.engines.registry import ENGINES, check_settings, engine_class, reads

    monkeypatch.setattr(registry, "_said", set())  # what this process said before

    keys = {field.name for field in fields(ModelConfig)} - {"engine", "engines"}
    shared = {name: engine_class(name).settings for name in ENGINES}
    assert all(settings <= keys for settings in shared.values()), shared
    assert set().union(*(reads(engine_class(name)) for name in ENGINES)) >= keys  # no key that no engine reads
    assert check_settings(ModelConfig(engine="ct2", quantization="float32", source="/models/hf")) == []
    config = ModelConfig(engine="hf", quantization="float32", base_url="http://127.0.0.1:1/v1", beam_size=2)
    with caplog.at_level("WARNING", logger="targman"):
        assert check_settings(config) == ["quantization", "base_url"]
        assert check_settings(config) == ["quantization", "base_url"]
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 2 and "(it is for ct2)" in said[0] and "(it is for openai)" in said[1], said


# -- each engine's own section, [engine.NAME] ----------------------------------------------------

A_VALUE = {str: "x", int: 7, float: 0.5, bool: True}


@pytest.mark.parametrize("name", ["hf", "ct2", "openai"])
def test_each_engine_declares_and_checks_its_own_section(name, tmp_path):
    """`Class.options` is a frozen dataclass of the engine's own keys: each set in `[engine.NAME]`
    reaches the engine; an unknown one is a ConfigError naming the file, the section and the known keys."""
    import dataclasses

    from pipeline.config import load
    from pipeline.engines.base import options_of
    from pipeline.engines.registry import check_sections, engine_class
    from pipeline.errors import ConfigError

    cls = engine_class(name)
    assert dataclasses.is_dataclass(cls.options) and cls.options.__dataclass_params__.frozen
    declared = dataclasses.fields(cls.options)
    values = {}
    for spec in declared:
        choices = spec.metadata.get("choices")
        values[spec.name] = next(c for c in choices if c != spec.default) if choices else (
            A_VALUE[type(spec.default)] if spec.default != A_VALUE[type(spec.default)] else spec.default * 2)
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp_path / "engine.toml"
    path.write_text(f"[model]\nengine = {json.dumps(name)}\n[engine.{name}]\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    config = load(path)
    check_sections(config.model, str(path))
    assert dataclasses.asdict(options_of(cls, config.model)) == values
    path.write_text(f"[engine.{name}]\n" + "\n".join(lines + ["colour = 1"]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        check_sections(load(path).model, str(path))
    message = str(refused.value)
    assert str(path) in message and f"[engine.{name}]" in message and "colour" in message
    assert f"known keys: {', '.join(values) or 'none'}" in message
