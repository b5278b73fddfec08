"""How much lexical constraints cost: `python -m pipeline.devtools.constrained_bench`.

Builds a random-weight MarianMT of the real OPUS-MT size (6+6 layers, d_model 512,
vocabulary 60k), then decodes the same English sentences three ways in one
process, every hypothesis exactly `--tokens` long (EOS suppressed until then) so
all three do the same model work:

  (a) constrained_beam_search with no constraints,
  (b) constrained_beam_search with 1-3 glossary constraints per sentence,
  (c) model.generate beam search.

The constraints are the desk glossary's Armenian terms (`glossaries/desk.tsv`, full and
short preferred forms) with every inflected form the run offers the search
(`glossary.constraints.surface_forms`), so the bench follows the inflection lists as
they grow; `--forms fixed` uses a fixed list of 1-3 forms per term instead. The model's
target tokenizer is trained with the glossary terms added, as a real model knows them.

Each is timed `--repeats` times, interleaved, and the fastest run kept; CPU
time is printed too, as the development machines are shared. The target is (b) at most 1.5x the time of (a).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _sentences(n: int) -> list[str]:
    from pipeline.devtools.tinymodel import SEED_TEXT_EN

    openers = ["", "On Monday, ", "According to officials, ", "Reports say that "]
    out = []
    for i in range(n):
        base = SEED_TEXT_EN[i % len(SEED_TEXT_EN)]
        opener = openers[(i // len(SEED_TEXT_EN)) % len(openers)]
        out.append(opener + (base[0].lower() + base[1:] if opener else base))
    return out


# A fixed list of Armenian glossary forms (`--forms fixed`).
GLOSSARY = [
    ("Միրզոյանը", "Միրզոյանին", "Միրզոյանի"),
    ("ՀԱՊԿ", "ՀԱՊԿ-ը", "ՀԱՊԿ-ի"),
    ("Աստանայում",),
    ("Լավրովը", "Լավրովի"),
    ("Մոսկվան", "Մոսկվայում"),
    ("Բաքուն", "Բաքվում"),
    ("Եվրոպական միությունը", "Եվրոպական միության"),
]


DESK = Path(__file__).resolve().parents[2] / "glossaries" / "desk.tsv"


def desk_terms(path: Path = DESK) -> list[tuple[str, object]]:
    """The preferred Armenian terms (full and short) of the desk glossary, in file order,
    each with its concept."""
    from pipeline.glossary import load

    terms: dict[str, object] = {}
    for concept in load(path).concepts.values():
        for term in concept.terms.get("hy", ()):
            if term.status == "preferred":
                terms.setdefault(term.text, concept)
    return list(terms.items())


def term_forms(kind: str) -> list[tuple[str, ...]]:
    """Per glossary term, the forms a constraint offers the search (as a run offers them)."""
    if kind == "fixed":
        return [tuple(forms) for forms in GLOSSARY]
    from pipeline.glossary.constraints import surface_forms

    return [surface_forms(term, "hy", concept) for term, concept in desk_terms()]


def _constraints(tokenizer, n: int, forms: list[tuple[str, ...]]):
    from pipeline.engines.constrained import Constraint

    def ids(word):
        return tuple(tokenizer(text_target=word, add_special_tokens=False).input_ids)

    concepts = []
    for alternatives in forms:
        spelled = tuple(dict.fromkeys(ids(w) for w in alternatives))
        concepts.append(Constraint(spelled))
    return [[concepts[(i * 7 + j * 3) % len(concepts)] for j in range(1 + i % 3)] for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=30, help="fixed output length")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the dev machines have 2 cores)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model-dir", type=Path, help="reuse a model folder built earlier (built there if empty)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model instead (checks the bench runs)")
    parser.add_argument("--forms", choices=("desk", "fixed"), default="desk",
                        help="desk: the desk glossary's terms with all their inflected forms (default); "
                        "fixed: 1-3 forms per term")
    args = parser.parse_args(argv)

    import torch

    from pipeline.devtools import tinymodel

    tinymodel.quiet_transformers()
    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _run(args)
    finally:
        torch.set_num_threads(threads_before)


def _run(args) -> int:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from pipeline.devtools import tinymodel
    from pipeline.engines.constrained import constrained_beam_search, count_occurrences

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model_dir
        if folder is None or not (folder / "config.json").exists():
            folder = args.model_dir or Path(tmp) / "opus-size"
            t0 = time.perf_counter()
            size = tinymodel.TINY_SIZE if args.tiny else tinymodel.OPUS_SIZE
            tinymodel.build_marian(folder, "en", "hy", size=size, extra_text=[t for t, _ in desk_terms()])
            print(f"built {'tiny' if args.tiny else 'OPUS-size'} model in {time.perf_counter() - t0:.1f}s")
        model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)

    cfg = model.config
    sentences = _sentences(args.sentences)
    batch = tokenizer(sentences, return_tensors="pt", padding=True)
    forms = term_forms(args.forms)
    constraints = _constraints(tokenizer, len(sentences), forms)
    from pipeline.engines.lexical import TermTokens

    glued = TermTokens(tokenizer).word_continuation(cfg.vocab_size)
    n, k = args.tokens, args.beams
    print(
        f"model: MarianMT {cfg.encoder_layers}+{cfg.decoder_layers} layers, d_model {cfg.d_model}, "
        f"vocab {cfg.vocab_size}; {len(sentences)} sentences (source {batch.input_ids.shape[1]} tokens padded), "
        f"beam {k}, {n} target tokens each, {torch.get_num_threads()} threads"
    )
    import statistics

    per_term = [len(f) for f in forms]
    used = [len(c.alternatives) for cons in constraints for c in cons]
    print(f"constraints: {sum(len(c) for c in constraints)} in all, 1-3 per sentence; {args.forms} forms: "
          f"{len(forms)} terms, forms per term median {statistics.median(per_term):g} max {max(per_term)}; "
          f"token alternatives per constraint median {statistics.median(used):g} max {max(used)}")

    def ours(cons, rows=slice(None), tokens=n):
        return constrained_beam_search(
            model, batch.input_ids[rows], batch.attention_mask[rows], constraints=cons,
            num_beams=k, max_new_tokens=tokens, min_new_tokens=tokens,
            word_continuation=glued,  # as the hf engine searches: no letters glued onto a term
        )

    def generate(rows=slice(None), tokens=n):
        return model.generate(
            batch.input_ids[rows], attention_mask=batch.attention_mask[rows], num_beams=k, do_sample=False,
            max_new_tokens=tokens, min_new_tokens=tokens,
        )

    runs = {
        "(a) ours, no constraints": lambda: ours([[] for _ in sentences]),
        "(b) ours, 1-3 constraints": lambda: ours(constraints),
        "(c) generate() beam search": generate,
    }
    with torch.inference_mode():
        # warm every path up (allocator, kernels) on a small batch
        ours([[], []], slice(0, 2), 3), ours(constraints[:2], slice(0, 2), 3), generate(slice(0, 2), 3)
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        outputs = {}
        for _ in range(args.repeats):
            for name, run in runs.items():
                t0, c0 = time.perf_counter(), time.process_time()
                outputs[name] = run()
                walls[name].append(time.perf_counter() - t0)
                cpus[name].append(time.process_time() - c0)
    wall = {name: min(v) for name, v in walls.items()}
    cpu = {name: min(v) for name, v in cpus.items()}

    produced = len(sentences) * n
    for name in runs:
        every = " ".join(f"{w:.1f}" for w in walls[name])
        print(f"{name:28s} {wall[name]:6.2f}s wall {cpu[name]:6.2f}s cpu  {produced / wall[name]:7.1f} "
              f"target tokens/s  (all runs: {every}s)")
    a, b, c = (wall[name] for name in runs)
    ca, cb, cc = (cpu[name] for name in runs)
    print(f"constrained / unconstrained: {b / a:.2f}x wall, {cb / ca:.2f}x cpu (target <= 1.5x)")
    print(f"ours unconstrained / generate: {a / c:.2f}x wall, {ca / cc:.2f}x cpu")
    eos = model.generation_config.eos_token_id
    same = all(
        h.tokens == [t for t in seq.tolist()[1:] if t not in (eos, cfg.pad_token_id)]
        for h, seq in zip(outputs["(a) ours, no constraints"], outputs["(c) generate() beam search"])
    )
    print(f"(a) output identical to (c): {'yes' if same else 'NO'}")
    hyps = outputs["(b) ours, 1-3 constraints"]
    met = sum(h.met for h in hyps)
    honoured = sum(
        count_occurrences(c, h.tokens) >= c.count for h, cons in zip(hyps, constraints) for c in cons
    )
    print(f"constraints met in {met}/{len(hyps)} sentences ({honoured}/{sum(map(len, constraints))} terms) "
          f"within {n} tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
