"""Glossary terms on the fast path, on real news: `python -m pipeline.devtools.terms_bench`.

The NTREX English documents (`../shared/data/ntrex`, the first `--docs` of them) with
the desk glossary's terms, into Armenian, in one process with one model:

  ct2 plain        CTranslate2, no terms (the fast path's own speed);
  ct2 constrained  the n-best lists, then the constrained search on the HF model for the
                   segments whose terms no hypothesis holds;
  hf constrained   the constrained search for every segment with terms (the guarantee).

Prints tokens/s, ct2-constrained as a share of plain ct2, how many segments went to the
constrained search, and the term success (honoured / hits, as a run's check counts it).
`--repeat N` alternates the two ct2 passes N times and gives the median shares: on a
shared machine one pair of passes can be off by a third either way.
Without `--model` a random-weight MarianMT en->hy of the real OPUS-MT size is built
(a random model never writes a term by itself: every segment with terms needs the search).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

NTREX = Path(__file__).resolve().parents[3] / "shared" / "data" / "ntrex"


def ntrex_sentences(folder: Path, docs: int) -> list[str]:
    lines = (folder / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    ids = [line.split("\t")[0] for line in (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()]
    keep = list(dict.fromkeys(ids))[:docs] if docs else list(dict.fromkeys(ids))
    wanted = set(keep)
    return [line for line, doc in zip(lines, ids) if doc in wanted and line.strip()]


def mixed(sentences: list[str], constraints: list, share: float) -> list[str]:
    """The sentences with terms and enough of those without that `share` of the result have terms,
    interleaved in their original order."""
    holding = [k for k, c in enumerate(constraints) if c]
    free = [k for k, c in enumerate(constraints) if not c]
    wanted_free = round(len(holding) * (1 - share) / share)
    if wanted_free > len(free):  # too few without terms: keep fewer with terms
        holding = holding[: round(len(free) * share / (1 - share))]
        wanted_free = len(free)
    return [sentences[k] for k in sorted(holding + free[:wanted_free])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="an HF en->hy model folder (default: a random OPUS-MT-size one)")
    parser.add_argument("--docs", type=int, default=10, help="NTREX documents (0: all 123; default 10)")
    parser.add_argument("--ntrex", type=Path, default=NTREX)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quantization", default="int8")
    parser.add_argument("--max-length", type=int, default=256,
                        help="most output tokens a sentence (default 256, the engines' default; a random model writes "
                        "until the cap, so a smaller one makes a quicker run)")
    parser.add_argument("--tiny", action="store_true", help="a tiny random model instead of the OPUS-MT-size one")
    parser.add_argument("--skip-hf", action="store_true", help="only the two ct2 paths")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the plain and constrained ct2 passes this many times (median shares)")
    parser.add_argument("--with-terms", type=float, default=0.0,
                        help="keep sentences so that this share of them have terms (e.g. 0.33: a desk folder where a "
                        "third of the segments name a glossary concept; default: every sentence as it comes)")
    args = parser.parse_args(argv)

    from pipeline.config import ModelConfig
    from pipeline.devtools import tinymodel
    from pipeline.devtools.bench import term_constraints
    from pipeline.engines import load_engine
    from pipeline.engines.base import Repairs

    tinymodel.quiet_transformers()
    sentences = ntrex_sentences(args.ntrex, args.docs)
    with tempfile.TemporaryDirectory(prefix="targman-terms-") as tmp:
        model = args.model
        if model is None:
            model = tinymodel.build_marian(Path(tmp) / "model", "en", "hy",
                                           size=tinymodel.TINY_SIZE if args.tiny else tinymodel.OPUS_SIZE)
        constraints, banned, success = term_constraints(sentences, "en", "hy")
        if args.with_terms:
            sentences = mixed(sentences, constraints, args.with_terms)
            constraints, banned, success = term_constraints(sentences, "en", "hy")
        with_terms = sum(1 for c in constraints if c)
        print(f"NTREX: {len(sentences)} English sentences of {args.docs or 'all'} documents, {with_terms} with desk "
              f"glossary terms ({sum(len(c) for c in constraints)} constraints); model {model}; beam {args.beam}, "
              f"{args.threads} threads, ct2 {args.quantization}", flush=True)
        config = ModelConfig(engine="ct2", id=str(model), beam_size=args.beam, threads=args.threads,
                             quantization=args.quantization, max_length=args.max_length)
        ct2 = load_engine(config, "hy", cache_dir=Path(tmp) / "cache")
        rows = []

        def measure(name, engine, **options):
            engine.translate(sentences[:2], src="en", tgt="hy", **{k: v[:2] for k, v in options.items()})  # warm-up
            before = (engine.repaired if isinstance(engine, Repairs) else 0)
            placed_before = (engine.placed if isinstance(engine, Repairs) else 0)
            started = time.perf_counter()
            results = engine.translate(sentences, src="en", tgt="hy", **options)
            seconds = time.perf_counter() - started
            tokens = sum(r.tokens for r in results)
            honoured, hits = success([r.text for r in results])
            searched = (engine.repaired if isinstance(engine, Repairs) else 0) - before if engine.name == "ct2" else with_terms
            placed = (engine.placed if isinstance(engine, Repairs) else 0) - placed_before
            rows.append((name, tokens, seconds, honoured, hits, sum(r.unmet for r in results),
                         searched if options else 0))
            print(f"{name:16s} {tokens:7d} tokens {seconds:8.1f} s {tokens / seconds:8.1f} tokens/s   "
                  f"term success {honoured}/{hits} = {honoured / hits if hits else float('nan'):.4f}   "
                  f"{rows[-1][5]} unmet, {placed} segments' terms placed by CTranslate2, "
                  f"{rows[-1][6]} through the HF constrained search", flush=True)

        for _ in range(max(1, args.repeat)):
            measure("ct2 plain", ct2)
            measure("ct2 constrained", ct2, constraints=constraints, banned=banned)
        if not args.skip_hf:
            hf = load_engine(ModelConfig(engine="hf", id=str(model), beam_size=args.beam, threads=args.threads,
                                         max_length=args.max_length), "hy")
            measure("hf constrained", hf, constraints=constraints, banned=banned)
    pairs = [(rows[k], rows[k + 1]) for k in range(0, 2 * max(1, args.repeat), 2)]
    shares = sorted((c[1] / c[2]) / (p[1] / p[2]) for p, c in pairs)
    times = sorted(p[2] / c[2] for p, c in pairs)  # the same sentences: plain seconds / constrained seconds
    share, time_share = statistics.median(shares), statistics.median(times)
    print(f"ct2 constrained throughput: {100 * share:.1f}% of plain ct2's (tokens/s, same process"
          + (f"; median of {len(pairs)} alternated pairs: {', '.join(f'{100 * x:.1f}' for x in shares)}" if len(pairs) > 1
             else "") + ")")
    print(f"ct2 constrained by wall time over the same sentences: {100 * time_share:.1f}% of plain ct2's speed"
          + (f" (median of {', '.join(f'{100 * x:.1f}' for x in times)})" if len(pairs) > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
