"""Translation engines behind one small interface, shaped like CTranslate2's.

`engine.translate(texts, src=..., tgt=...)` takes positional texts and
keyword-only options and returns one `Translation` per text, in input order;
sorting by length and batching happen inside. Language codes (`hye_Armn`,
`>>hye<<`, forced BOS tokens) never leave the engine. The Protocols are
`base.Engine` (a loaded engine, its keywords in `base.TranslateOptions`) and
`base.EngineClass` (its class); the names are in `config.ENGINES`;
`testing.FunctionEngine` is a torch-free engine for tests of everything that
is not a model; `tests/test_engine_contract.py` holds every engine to them.
"""

from __future__ import annotations

from pipeline.engines.base import BatchOutput, Engine, EngineClass, TranslateOptions, Translation
from pipeline.engines.registry import ENGINES, engine_class, engine_names, load_engine

__all__ = ["BatchOutput", "ENGINES", "Engine", "EngineClass", "TranslateOptions", "Translation", "engine_class",
           "engine_names", "load_engine"]
