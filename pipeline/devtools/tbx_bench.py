"""TBX import of a large termbase: `python -m pipeline.devtools.tbx_bench [--entries 5783] [FILE]`.

Without FILE, builds a TBX v2 file in the shape of the Microsoft Terminology Collection export
(one termEntry per concept, an en-US langSet with a descripGrp definition and a partOfSpeech,
one hy-AM langSet), as many entries as that collection has; the real file cannot be downloaded
on the development machines. Prints the size, the best of `--repeat` import times and what the
import kept, mapped and dropped.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def microsoft_like(entries: int) -> bytes:
    """A TBX v2 termbase of `entries` concepts in the Microsoft Terminology Collection's shape."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<martif type="TBX" xml:lang="en-US">',
           "<martifHeader><fileDesc><sourceDesc><p>Microsoft Terminology Collection (shape)</p></sourceDesc>"
           "</fileDesc></martifHeader><text><body>"]
    for i in range(entries):
        out.append(f'<termEntry id="{i + 1}"><langSet xml:lang="en-US"><descripGrp>'
                   f'<descrip type="definition">Definition number {i} of a software term.</descrip></descripGrp>'
                   f'<ntig><termGrp><term>term {i}</term><termNote type="partOfSpeech">Noun</termNote></termGrp>'
                   f'</ntig></langSet><langSet xml:lang="hy-AM"><ntig><termGrp><term>եզր {i}</term>'
                   f'<termNote type="partOfSpeech">Noun</termNote></termGrp></ntig></langSet></termEntry>')
    out.append("</body></text></martif>")
    return "\n".join(out).encode()


def main(argv: list[str] | None = None) -> int:
    from pipeline.glossary.tbx import read_tbx

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path, help="a TBX file (default: a built Microsoft-shaped one)")
    parser.add_argument("--entries", type=int, default=5783)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = args.file.read_bytes() if args.file else microsoft_like(args.entries)
    best, result = float("inf"), None
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = read_tbx(data, str(args.file or "microsoft-shaped.tbx"))
        best = min(best, time.perf_counter() - started)
    glossary, summary = result
    print(f"{len(data) / 2**20:.1f} MB, {summary.concepts} entries: import {best:.2f} s (best of {args.repeat}), "
          f"{len(glossary.concepts)} concepts, languages {' '.join(glossary.languages)}")
    for line in summary.lines()[1:]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
