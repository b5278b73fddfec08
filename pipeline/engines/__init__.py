"""Translation engines behind one small interface, shaped like CTranslate2's.

`engine.translate(texts, src=..., tgt=...)` takes positional texts and
keyword-only options and returns one `Translation` per text, in input order;
sorting by length and batching happen inside. Language codes (`hye_Armn`,
`>>hye<<`, forced BOS tokens) never leave the engine. The Protocol is
`base.Engine`; the names are in `config.ENGINES`; `testing.FunctionEngine`
is a torch-free engine for tests of everything that is not a model.
"""

from __future__ import annotations

from pipeline.engines.base import BatchOutput, Engine, Translation
from pipeline.engines.registry import ENGINES, engine_class, engine_names, load_engine

__all__ = ["BatchOutput", "ENGINES", "Engine", "Translation", "engine_class", "engine_names", "load_engine"]
