"""`python -m pipeline.devtools.glossary_measure [N]`: load and match times for a generated glossary.

Generates N concepts (default 100,000) of made-up names with Armenian and English full
forms, short forms and a variant, writes them as a native TSV, then times `load()`
(read + lint + build), building a Matcher per language, and matching a text of news-like
lines (the NTREX Armenian reference if ../shared is present, else generated lines). The
generated names end in a hexadecimal number, so they are all alike to the Armenian rules;
the last line matches the desk glossary (`glossaries/desk.tsv`) on NTREX, with real hits.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from pipeline.glossary import Matcher, load

_HY = "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցփքօֆ"
_EN = "abcdefghijklmnopqrstuvwxyz"
TYPES = ("person", "org", "place", "term")


def _word(rng: random.Random, letters: str, lo: int = 3, hi: int = 9) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(lo, hi)))


def generate(n: int, seed: int = 1) -> str:
    """A lint-clean native glossary of `n` random concepts."""
    rng = random.Random(seed)
    lines = ["id\ttype\ten\ten_short\thy\thy_short\toptions\tnote"]
    for i in range(n):
        first, last = _word(rng, _EN).capitalize(), _word(rng, _EN).capitalize() + f"{i:x}"
        hfirst, hlast = _word(rng, _HY).capitalize(), _word(rng, _HY).capitalize() + f"յան{i:x}"
        kind = TYPES[i % 4]
        en = f"{first} {last}|{first} {last}e"
        hy = f"{hfirst} {hlast}"
        lines.append(f"c{i}\t{kind}\t{en}\t{last}\t{hy}\t{hlast}\t\tgenerated")
    return "\n".join(lines) + "\n"


def texts(glossary, lines: int = 2000) -> dict[str, list[str]]:
    """Real news text (NTREX, when ../shared is here) and generated text full of names."""
    rng = random.Random(2)
    names = [c.preferred("hy", "short").text for c in list(glossary.concepts.values())[:5000]]
    found = {"generated": [" ".join(rng.choice(names) + rng.choice(("ը", "ի", "ից", ""))
                                    if rng.random() < 0.1 else _word(rng, _HY) for _ in range(20))
                           for _ in range(lines)]}
    ref = Path(__file__).resolve().parents[2].parent / "shared/data/ntrex/newstest2019-ref.hye.txt"
    if ref.exists():
        found["ntrex-hy"] = ref.read_text(encoding="utf-8").splitlines()
    return found


class _Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def measure(n: int = 100_000) -> list[tuple[str, float, float, str]]:
    """(step, wall seconds, CPU seconds, detail) for each step."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.tsv"
        path.write_text(generate(n), encoding="utf-8")
        size = path.stat().st_size
        with _Clock() as clock:
            glossary = load(path)
    rows.append(("load (read + lint + build)", clock.wall, clock.cpu,
                 f"{len(glossary.concepts):,} concepts, {size / 1e6:.1f} MB"))
    matchers = {}
    for lang in ("hy", "en"):
        with _Clock() as clock:
            matchers[lang] = Matcher(glossary, lang)
        rows.append((f"Matcher({lang}) build", clock.wall, clock.cpu, ""))
    for name, lines in texts(glossary).items():
        with _Clock() as clock:
            hits = sum(len(matchers["hy"].find(line)) for line in lines)
        chars = sum(map(len, lines))
        rows.append((f"match {name}", clock.wall, clock.cpu,
                     f"{len(lines):,} lines, {chars:,} chars, {hits:,} matches, "
                     f"{chars / clock.cpu / 1e6:.2f} M chars per CPU second"))
    desk = Path(__file__).resolve().parents[2] / "glossaries" / "desk.tsv"
    lines = texts(glossary).get("ntrex-hy")
    if desk.exists() and lines:
        matcher = Matcher(load(desk), "hy")
        with _Clock() as clock:
            hits = sum(len(matcher.find(line)) for line in lines)
        chars = sum(map(len, lines))
        rows.append(("match ntrex-hy, desk.tsv", clock.wall, clock.cpu,
                     f"{chars:,} chars, {hits:,} matches, {chars / clock.cpu / 1e6:.2f} M chars per CPU second"))
    return rows


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    print(f"{'step':28} {'wall s':>7} {'CPU s':>7}  detail")
    for step, wall, cpu, detail in measure(n):
        print(f"{step:28} {wall:7.2f} {cpu:7.2f}  {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
