"""Translation engines behind one small interface, shaped like CTranslate2's.

`engine.translate(texts, src=..., tgt=...)` takes positional texts and
keyword-only options and returns one `Translation` per text, in input order;
sorting by length and batching happen inside. Language codes (`hye_Armn`,
`>>hye<<`, forced BOS tokens) never leave the engine.
"""

from __future__ import annotations

from pipeline.engines.base import Engine, Translation, load_engine, split_to_fit

__all__ = ["Engine", "Translation", "load_engine", "split_to_fit"]
