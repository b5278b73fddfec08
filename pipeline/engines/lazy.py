"""An engine described now and loaded on its first translation.

The `Translator` holds one of these per target language. Routing (`supports`), the
glossary (`constrains`, `reranks`), the translation memory's key (`fingerprint`) and
a resumed run's model check (`info`) all come from the engine's `Description`, read
from small files; torch, CTranslate2 and the weights are loaded only when a segment
is not in the memory. A rerun whose segments are all remembered loads nothing.

It meets `Engine` and, explicitly, the abilities its engine may have (`Loads`,
`TimesLoading`, `Plans`, `Repairs`, `Closes`); nothing else is forwarded, so what a
caller reads of it is what `engines.base` declares. The loaded engine is `load()`'s.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, Unpack

from pipeline.engines.base import Closes, Description, Engine, Plans, Repairs, TranslateOptions, Translation
from pipeline.engines.registry import describe_engine, load_engine

if TYPE_CHECKING:
    from pipeline.config import ModelConfig

log = logging.getLogger("targman")


class LazyEngine:
    def __init__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None):

        self.config = config
        self.tgt = tgt
        self.cache_dir = cache_dir
        self.description: Description = describe_engine(config, tgt, cache_dir=cache_dir)
        self.name = self.description.name
        self.constrains = self.description.constrains
        self.reranks = self.description.reranks
        self.context = self.description.context
        self.load_seconds = 0.0
        self._engine: Engine | None = None

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def load(self) -> Engine:
        """The real engine, loaded now if it is not yet."""
        if self._engine is None:

            started = time.perf_counter()
            self._engine = load_engine(self.config, self.tgt, cache_dir=self.cache_dir)
            self.load_seconds += time.perf_counter() - started
            log.debug(f"loaded the {self.name} engine in {self.load_seconds:.1f} s")
        return self._engine

    def supports(self, src: str, tgt: str) -> bool:
        return (src, tgt) in self.description.pairs

    def translate(self, texts: Sequence[str], **options: Unpack[TranslateOptions]) -> list[Translation]:
        if not texts:
            return []
        return self.load().translate(texts, **options)

    def info(self) -> dict[str, Any]:
        return self.description.info

    def fingerprint(self) -> dict[str, Any]:
        return self.description.fingerprint

    def plan(self, texts: Sequence[str], *, src: str, tgt: str) -> list[list[int]] | None:
        """The loaded engine's batches for a call (`Plans`), None when it makes none of its own."""
        engine = self.load()
        return engine.plan(texts, src=src, tgt=tgt) if isinstance(engine, Plans) else None

    @property
    def repaired(self) -> int:
        """The loaded engine's second-pass count (`Repairs`); 0 when it is not loaded or has none."""
        return self._engine.repaired if isinstance(self._engine, Repairs) else 0

    @property
    def placed(self) -> int:
        """The loaded engine's count of pieces it placed terms into (`Repairs`); 0 as `repaired`."""
        return self._engine.placed if isinstance(self._engine, Repairs) else 0

    def close(self) -> None:
        """Close the loaded engine's connections (the `openai` engine's pool); nothing to do unloaded."""
        if isinstance(self._engine, Closes):
            self._engine.close()
