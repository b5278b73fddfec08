"""The engine interface and what every engine shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from pipeline.config import ModelConfig
from pipeline.errors import ConfigError


@dataclass
class Translation:
    text: str
    score: float | None = None  # mean token log-probability of the output
    tokens: int = 0  # output tokens, for throughput
    pieces: int = 1  # >1 when the source was too long for the model and was split


class Engine(Protocol):
    name: str

    def supports(self, src: str, tgt: str) -> bool:
        """Can this engine translate from `src` into `tgt` (ISO 639-1 codes)?"""

    def translate(self, texts: Sequence[str], *, src: str, tgt: str, **options) -> list[Translation]:
        """One Translation per text, in input order."""

    def info(self) -> dict:
        """What run.json records about the engine and its model."""


def load_engine(config: ModelConfig, tgt: str) -> Engine:
    """Build the configured engine; heavy imports happen only here."""
    if config.engine == "hf":
        from pipeline.engines.hf import HFEngine

        return HFEngine(config, tgt=tgt)
    raise ConfigError(f"[model] engine = {config.engine!r} is not available; valid engines: hf")


SPLIT_POINTS = ("; ", ", ", " – ", " — ", ": ", " ")
CHARS_PER_TOKEN_MAX = 16  # no tokenizer packs more characters than this into a token of news text


def _chunks(text: str, size: int) -> list[str]:
    """Consecutive pieces of at most `size` characters, cut after a space when one is near the end."""
    pieces = []
    start = 0
    while len(text) - start > size:
        end = start + size
        space = text.rfind(" ", start + size // 2, end)
        cut = space + 1 if space > 0 else end
        head = text[start:cut].rstrip()
        if head:
            pieces.append(head)
        start = cut
        while start < len(text) and text[start] == " ":
            start += 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` tokens, at clause breaks when it can.

    A sentence longer than the model's input limit is split, never silently
    truncated; the pieces are translated separately and joined with a space.

    Text far longer than the limit (a line with no breaks) is first cut into
    chunks sized from a sample's characters per token, without tokenizing the
    whole text, so splitting costs O(n) tokenizer work rather than tokenizing
    the whole text again at every halving.
    """
    chunk = CHARS_PER_TOKEN_MAX * limit
    if len(text) > 2 * chunk:
        sample = text[:chunk]  # how many characters a token takes here, to cut chunks that mostly fit
        size = max(1, min(chunk, int(0.9 * limit * len(sample) / max(1, count(sample)))))
        return [piece for part in _chunks(text, size) for piece in split_to_fit(part, count, limit)]
    if count(text) <= limit or len(text) < 2:
        return [text]
    middle = len(text) // 2
    cut = None
    for mark in SPLIT_POINTS:
        left = text.rfind(mark, 0, middle + 1)
        right = text.find(mark, middle)
        candidates = [p + len(mark) for p in (left, right) if p > 0 and p + len(mark) < len(text)]
        # Take a clause break only if it leaves neither side tiny.
        candidates = [p for p in candidates if len(text) // 8 <= p <= len(text) - len(text) // 8]
        if candidates:
            cut = min(candidates, key=lambda p: abs(p - middle))
            break
    if cut is None:
        cut = middle
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    if not head or not tail:
        head, tail = text[:middle], text[middle:]
    return split_to_fit(head, count, limit) + split_to_fit(tail, count, limit)
