"""`targman bench`: how fast each engine translates, and what the pipeline adds.

All in one process, on the same sentences and with a fixed output length (every
hypothesis is exactly `output_tokens` long: `min_length` = `max_length`), so every
engine does the same work:

- `naive`: `model.generate` one sentence at a time, what a transformers
  translation pipeline does when it is handed one text at a time;
- `hf`: the batched `hf` engine (length-sorted, token-budget batches);
- `ct2`: the `ct2` engine (CTranslate2, int8 by default).

Each local engine then translates the same sentences with the desk glossary's
terms as constraints (`terms`): its tokens/s against its own plain run, and the
term success; for `ct2` that is the n-best lists plus the constrained search on
the HF model for what they miss, as a share of plain ct2's throughput.

Then a full `run` over a generated folder of articles with the fastest engine,
against that engine translating the same segments in one call (the pipeline's
overhead), and the same run again on the translation memory it filled (the
speed-up of a cached rerun), in this process and in a fresh one (`cold_rerun`:
what a user's rerun costs, and whether it imported torch or CTranslate2).
`malloc` runs ct2 at long outputs (256 tokens) in child processes with glibc's
default malloc, with `models.malloc`'s in-process setting, and with jemalloc
preloaded when it is installed. With no model given, a random-weight MarianMT of
the real OPUS-MT size (`tinymodel.OPUS_SIZE`) is built once into the cache folder.

Peak memory: each measured phase resets the kernel's peak-RSS mark (writing 5
to /proc/self/clear_refs, Linux 4.0+) and reads VmHWM from /proc/self/status
afterwards; where that is not allowed a thread samples VmRSS every 5 ms. The
`memory` scaling check runs `targman run` in separate subprocesses and takes each
one's peak RSS from the kernel's accounting of that child (`os.wait4` rusage, via a
bare launcher so the child does not inherit this process's high-water mark).
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from pipeline.engines.base import Repairs
from pipeline.engines.registry import LOCAL

ENGINES = ("naive", *LOCAL)  # naive: transformers generate() one sentence at a time, the baseline
MODEL_KIND = "marian-hy-en"  # the default bench model: Armenian -> English, the desk's main direction


# -- measuring ----------------------------------------------------------------------------

def _status(field_name: str) -> int | None:
    """A `/proc/self/status` field in bytes (None where there is no procfs)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) * 1024 if match else None


class PeakRSS:
    """Peak resident memory of this process over a `with` block, in bytes."""

    def __init__(self, use_hwm: bool = True):
        self.use_hwm = use_hwm
        self.method = ""
        self.start = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PeakRSS":
        gc.collect()
        self.start = _status("VmRSS") or 0
        try:
            if not self.use_hwm:
                raise OSError("sampling asked for")
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # reset VmHWM to the current RSS
            self.method = "VmHWM after /proc/self/clear_refs reset"
        except OSError:
            self.method = "VmRSS sampled every 5 ms"
            self.peak = self.start
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _status("VmRSS") or 0)

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, _status("VmRSS") or 0)
        else:
            self.peak = _status("VmHWM") or 0


@dataclass
class EngineResult:
    engine: str
    sentences: int
    tokens: int
    seconds: float
    load_seconds: float
    tokens_per_s: float
    peak_rss_mb: float  # the process's peak during loading + translating
    added_rss_mb: float  # that peak minus the resident memory before loading
    speedup_vs_naive: float | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class PipelineResult:
    engine: str
    documents: int
    segments: int  # segments the engine translated
    engine_alone_s: float  # the engine translating those segments in one call
    first_run_s: float  # `Run.execute` over the folder (engine loaded already), empty memory
    first_run_engine_s: float  # of which inside engine.translate
    overhead: float  # the run's time outside engine.translate / its time inside: what the pipeline adds
    vs_engine_alone: float  # (first_run_s - engine_alone_s) / engine_alone_s (includes run-to-run noise)
    rerun_s: float  # the same run again, every segment in the memory
    rerun_speedup: float  # first_run_s / rerun_s
    rerun_engine_texts: int  # texts the engine was asked for on the rerun (0 expected)
    cache_hits: int


# -- inputs ---------------------------------------------------------------------------------

def make_sentences(n: int, lang: str, seed: int = 0, words: tuple[int, int] = (5, 20)) -> list[str]:
    """`n` news-like sentences in `lang` of varied length, the same for the same seed."""
    from pipeline.devtools.tinymodel import SEED_TEXT_EN, SEED_TEXT_HY

    corpus = SEED_TEXT_HY if lang == "hy" else SEED_TEXT_EN
    vocabulary = [w.strip(",.։:") for line in corpus for w in line.split()]
    stop = "։" if lang == "hy" else "."
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chosen = [rng.choice(vocabulary) for _ in range(rng.randint(*words))]
        text = " ".join(chosen)
        out.append(text[0].upper() + text[1:] + stop)
    return out


def make_folder(folder: Path, documents: int, lang: str, *, sentences_per_doc: int = 4, seed: int = 1) -> Path:
    """A folder of small articles: a title, paragraphs in `lang`, a line of site chrome and
    an English line (passed through), like the desk's scraped inputs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = make_sentences(sentences_per_doc, lang, seed=seed * 1_000_003 + d)
        paragraphs = ["Մատչելիության հղումներ", body[0]]
        rest = body[1:]
        while rest:
            take = rng.randint(1, 2)
            paragraphs.append(" ".join(rest[:take]))
            rest = rest[take:]
        paragraphs.append(f"Reported on {2000 + d % 25}-0{1 + d % 9}-1{d % 10}.")
        sub = folder / f"part{d % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"article-{d:05d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return folder


# -- the model --------------------------------------------------------------------------------

def bench_model(cache_root: Path, log: Callable[[str], None]) -> Path:
    """The OPUS-MT-size random-weight model, built once into the cache folder."""
    from pipeline.devtools import tinymodel

    folder = cache_root / "bench" / f"opus-size-{MODEL_KIND}"
    done = folder / ".built"
    if done.exists():
        return folder
    log(f"building a random-weight {MODEL_KIND} model of OPUS-MT size in {folder} (once) ...")
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_root))
    try:
        tinymodel.quiet_transformers()
        tinymodel.build(MODEL_KIND, tmp / "model", size=tinymodel.OPUS_SIZE)
        (tmp / "model" / ".built").write_text("ok\n")
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp / "model", folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def model_direction(model_dir: Path) -> tuple[str, str]:
    """(src, tgt) of a Marian model from its tokenizer config; en -> hy for many-to-many models."""
    try:
        config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    src, tgt = config.get("source_lang"), config.get("target_lang")
    if isinstance(src, str) and isinstance(tgt, str) and src[:2] in ("hy", "en") and tgt[:2] in ("hy", "en"):
        return src[:2], tgt[:2]
    return "en", "hy"


# -- the engines ------------------------------------------------------------------------------

def _count(tokenizer, row: Sequence[int], strip: set[int]) -> int:
    return sum(1 for t in row if t not in strip)


def run_naive(model_dir: Path, sentences: list[str], *, beam: int, length: int, threads: int) -> tuple[int, float, float, dict]:
    """transformers `generate` one sentence at a time (no batching, no sorting)."""
    import torch

    from pipeline.models.hub import quiet_transformers

    quiet_transformers()
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(threads)
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).eval()
    load = time.perf_counter() - started
    strip = set(tokenizer.all_special_ids)
    options = dict(num_beams=beam, max_new_tokens=length, min_new_tokens=length, forced_eos_token_id=None, do_sample=False)

    def one(text: str) -> int:
        inputs = tokenizer([text], return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**inputs, **options)
        return _count(tokenizer, out[0].tolist(), strip)

    one(sentences[0])  # warm-up, not timed
    started = time.perf_counter()
    tokens = sum(one(text) for text in sentences)
    seconds = time.perf_counter() - started
    del model
    return tokens, seconds, load, {"threads": torch.get_num_threads()}


def load_bench_engine(name: str, model_dir: Path, *, beam: int, length: int, threads: int, tgt: str,
                      quantization: str, cache_root: Path):
    from dataclasses import replace

    from pipeline.config import ModelConfig
    from pipeline.engines import load_engine

    config = ModelConfig(engine=name, id=str(model_dir), beam_size=beam, max_length=length, threads=threads)
    if name == "ct2":  # a ct2 setting
        config = replace(config, quantization=quantization)
    return load_engine(config, tgt, cache_dir=str(cache_root))


def run_engine(engine, sentences: list[str], *, src: str, tgt: str, length: int) -> tuple[int, float]:
    engine.translate(sentences[:2], src=src, tgt=tgt, min_length=length)  # warm-up, not timed
    started = time.perf_counter()
    results = engine.translate(sentences, src=src, tgt=tgt, min_length=length)
    return sum(r.tokens for r in results), time.perf_counter() - started


# -- the pipeline -----------------------------------------------------------------------------

def run_pipeline(engine, model_dir: Path, work: Path, *, documents: int, src: str, tgt: str, beam: int,
                 length: int, quantization: str) -> PipelineResult:
    from pipeline.batch.runner import Run
    from pipeline.config import Config, with_overrides
    from pipeline.engines.testing import SpyEngine
    from pipeline.translation.memory import TranslationMemory

    folder = make_folder(work / "articles", documents, src)
    config = with_overrides(
        Config(), model__id=str(model_dir), model__engine=engine.name, model__beam_size=beam, model__max_length=length,
        model__quantization=quantization, run__tgt=tgt, run__progress="off", cache__dir=str(work / "cache"),
    )
    with TranslationMemory.in_folder(work / "cache") as memory:
        timed = SpyEngine(engine)
        first = Run(folder, work / "out1", config, engine=timed, memory=memory)
        started = time.perf_counter()
        first.execute()
        first_s = time.perf_counter() - started
        rows = [json.loads(line) for line in (work / "out1" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
        todo = list(dict.fromkeys(r["source"] for r in rows if r["src_lang"] == src and r["kind"] == "text"))
        started = time.perf_counter()
        engine.translate(todo, src=src, tgt=tgt)
        alone_s = time.perf_counter() - started
        counting = SpyEngine(engine)
        second = Run(folder, work / "out2", config, engine=counting, memory=memory)
        started = time.perf_counter()
        again = second.execute().manifest
        rerun_s = time.perf_counter() - started
    return PipelineResult(
        engine=engine.name,
        documents=documents,
        segments=len(todo),
        engine_alone_s=round(alone_s, 3),
        first_run_s=round(first_s, 3),
        first_run_engine_s=round(timed.seconds, 3),
        overhead=round((first_s - timed.seconds) / timed.seconds, 4),
        vs_engine_alone=round((first_s - alone_s) / alone_s, 4),
        rerun_s=round(rerun_s, 4),
        rerun_speedup=round(first_s / rerun_s, 1),
        rerun_engine_texts=len(counting.texts),
        cache_hits=again["cache"].get("hits", 0),
    )


# -- glossary terms -----------------------------------------------------------------------------

DESK = Path(__file__).resolve().parents[2] / "glossaries" / "desk.tsv"


def term_constraints(sentences: list[str], src: str, tgt: str, glossary_path: Path = DESK):
    """The desk glossary's constraints and bans for each sentence, as a run makes them, and a
    function that counts (honoured, hits) in translations of them."""
    from pipeline.config import GlossaryConfig
    from pipeline.glossary import load
    from pipeline.glossary.constraints import RunTerms
    from pipeline.segment import Segment

    glossary = load(glossary_path)
    terms = RunTerms(glossary, GlossaryConfig(path=str(glossary_path)), tgt, True, True)
    segments = [Segment("bench", 0, i, text, src_lang=src) for i, text in enumerate(sentences)]
    terms.before(segments)
    constraints = [s.meta.get("constraints", []) for s in segments]
    banned = [s.meta.get("banned", []) for s in segments]

    def success(targets: list[str]) -> tuple[int, int]:
        checked = [Segment("bench", 0, i, seg.source, src_lang=src, target=target, terms=[
            type(hit)(hit.concept, hit.source, hit.target, start=hit.start, end=hit.end) for hit in seg.terms
        ], meta={}) for i, (seg, target) in enumerate(zip(segments, targets))]
        terms.after(checked)
        hits = [hit for seg in checked for hit in seg.terms]
        return sum(1 for hit in hits if hit.honoured), len(hits)

    return constraints, banned, success


def run_terms(engine, sentences: list[str], *, src: str, tgt: str, length: int, plain_tokens_per_s: float) -> dict:
    """The engine with the glossary's terms as constraints, at the same fixed length as its plain run."""
    constraints, banned, success = term_constraints(sentences, src, tgt)
    with_terms = sum(1 for c in constraints if c)
    engine.translate(sentences[:2], src=src, tgt=tgt, min_length=length,  # warm-up: loads ct2's constrained search
                     constraints=[[c for c in constraints if c][0]] * 2 if with_terms else None, banned=[[], []])
    repaired = (engine.repaired if isinstance(engine, Repairs) else 0)
    started = time.perf_counter()
    results = engine.translate(sentences, src=src, tgt=tgt, min_length=length, constraints=constraints, banned=banned)
    seconds = time.perf_counter() - started
    honoured, hits = success([r.text for r in results])
    tokens = sum(r.tokens for r in results)
    return {
        "engine": engine.name,
        "sentences": len(sentences),
        "with_terms": with_terms,
        "to_constrained_search": (engine.repaired if isinstance(engine, Repairs) else 0) - repaired if engine.name == "ct2" else with_terms,
        "tokens_per_s": round(tokens / seconds, 1),
        "share_of_plain": round(tokens / seconds / plain_tokens_per_s, 3) if plain_tokens_per_s else None,
        "term_hits": hits,
        "term_success": round(honoured / hits, 4) if hits else None,
        "unmet": sum(1 for r in results if r.unmet),
    }


# -- glibc malloc at long outputs -------------------------------------------------------------------

_MALLOC_CHILD = """
import json, resource, sys, time
from pipeline.config import ModelConfig
from pipeline.engines import load_engine
from pipeline.models import malloc
model, tgt, src, tokens, threads, quantization, cache = sys.argv[1:8]
sentences = json.loads(sys.argv[8])
tokens, threads = int(tokens), int(threads)
config = ModelConfig(engine="ct2", id=model, beam_size=4, max_length=tokens, threads=threads, quantization=quantization)
engine = load_engine(config, tgt, cache_dir=cache)
engine.translate(sentences[:1], src=src, tgt=tgt, min_length=8)
before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
results = engine.translate(sentences, src=src, tgt=tgt, min_length=tokens)
seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"malloc": malloc.applied(), "allocator": malloc.allocator(), "tokens": sum(r.tokens for r in results),
                  "seconds": seconds, "user_s": after.ru_utime - before.ru_utime, "sys_s": after.ru_stime - before.ru_stime,
                  "minor_faults": after.ru_minflt - before.ru_minflt}))
"""

JEMALLOC_PATHS = ("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
                  "/usr/lib64/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2")


def jemalloc_path() -> str | None:
    return next((p for p in JEMALLOC_PATHS if Path(p).is_file()), None)


def malloc_effect(model: Path, *, src: str, tgt: str, tokens: int, sentences: int, threads: int, quantization: str,
                  cache_root: Path, log: Callable[[str], None]) -> dict:
    """ct2 at `tokens`-token outputs in child processes: glibc's defaults, `models.malloc`'s
    in-process mallopt, and jemalloc preloaded (when installed). The ratios are within one bench."""
    from pipeline.models.convert import converted_model

    converted_model(str(model), quantization=quantization, cache_root=cache_root)  # once, before the children
    texts = make_sentences(sentences, src, seed=7)
    package_root = str(Path(__file__).resolve().parents[2])
    inherited = {k: v for k, v in os.environ.items() if k not in ("TARGMAN_MALLOC", "LD_PRELOAD")}
    base = {**inherited, "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    modes = [("glibc default", {"TARGMAN_MALLOC": "off"}), ("mallopt (targman)", {})]
    if (jemalloc := jemalloc_path()):
        modes.append(("jemalloc (LD_PRELOAD)", {"LD_PRELOAD": jemalloc}))
    rows = []
    for label, env in modes:
        log(f"malloc: ct2, {sentences} sentences x {tokens} tokens, {label} ...")
        done = subprocess.run(
            [sys.executable, "-c", _MALLOC_CHILD, str(model), tgt, src, str(tokens), str(threads), quantization,
             str(cache_root), json.dumps(texts)],
            env={**base, **env}, capture_output=True, text=True,
        )
        if done.returncode:
            raise RuntimeError(f"malloc bench child ({label}) failed: {done.stderr[-2000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["mode"] = label
        row["tokens_per_s"] = round(row["tokens"] / row["seconds"], 1)
        rows.append(row)
    default = rows[0]["tokens_per_s"]
    for row in rows:
        row["speedup"] = round(row["tokens_per_s"] / default, 2) if default else None
        for key in ("seconds", "user_s", "sys_s"):
            row[key] = round(row[key], 2)
    return {"engine": "ct2", "output_tokens": tokens, "sentences": sentences, "threads": threads, "runs": rows}


# -- a cached rerun in a fresh process --------------------------------------------------------------

_RERUN_CHILD = """
import json, sys, time
started = time.perf_counter()
from pipeline.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "in_process_s": time.perf_counter() - started,
                  "imported": sorted(m for m in ("torch", "ctranslate2", "transformers") if m in sys.modules)}))
"""


def cold_rerun(model: Path, engine: str, work: Path, *, documents: int, src: str, tgt: str, quantization: str,
               log: Callable[[str], None]) -> dict:
    """`targman run` over a folder, then the same command into a new folder in a new process, every
    segment in the translation memory: its wall time (interpreter start included) and what it imported."""
    folder = make_folder(work / "articles-cold", documents, src)
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "TARGMAN_CACHE_DIR": str(work / "cold-cache"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    rows = []
    for name in ("first", "rerun"):
        log(f"cold rerun: targman run ({name}) in a new process ...")
        command = [sys.executable, "-c", _RERUN_CHILD, "run", str(folder), "-o", str(work / f"cold-{name}"), "--tgt", tgt,
                   "--model", str(model), "--engine", engine, "--quantization", quantization, "--progress", "off"]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"targman run failed: {done.stderr[-2000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        manifest = json.loads((work / f"cold-{name}" / "run.json").read_text(encoding="utf-8"))
        rows.append({"run": name, "wall_s": round(wall, 3), "in_process_s": round(row["in_process_s"], 3),
                     "imported": row["imported"], "memory_hits": manifest["cache"].get("hits", 0),
                     "segments": manifest["counts"]["translated"]})
    return {"engine": engine, "documents": documents, "runs": rows}


# -- the whole benchmark -------------------------------------------------------------------

def bench(
    *,
    model_dir: str | Path | None = None,
    sentences: int = 64,
    beam: int = 4,
    engines: Sequence[str] = ENGINES,
    output_tokens: int = 30,
    threads: int = 0,
    quantization: str = "int8",
    documents: int = 50,
    pipeline: bool = True,
    terms: bool = True,
    malloc_tokens: int = 256,
    malloc_sentences: int = 12,
    cold: bool = True,
    cache_dir: str | Path | None = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict:
    """Measure the engines and the pipeline; returns what `targman bench --json` prints."""
    from pipeline.batch.runner import versions
    from pipeline.cachedir import cache_dir as default_cache_dir
    from pipeline.errors import ConfigError

    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        raise ConfigError(f"--engines: unknown engine(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(ENGINES)}")
    if sentences < 1 or output_tokens < 1 or beam < 1:
        raise ConfigError("--sentences, --beam and the output length must be at least 1")
    from pipeline.models.malloc import tune_malloc

    threads = threads or os.cpu_count() or 1
    malloc = tune_malloc()  # as every engine load does; the naive baseline imports torch itself
    cache_root = Path(cache_dir) if cache_dir else default_cache_dir()
    model = Path(model_dir) if model_dir else bench_model(cache_root, log)
    src, tgt = model_direction(model)
    texts = make_sentences(sentences, src)
    report: dict = {
        "model": str(model),
        "model_built": model_dir is None,
        "direction": f"{src}->{tgt}",
        "sentences": sentences,
        "source_tokens_mean": None,
        "beam": beam,
        "output_tokens": output_tokens,
        "threads": threads,
        "quantization": quantization,
        "cpu_count": os.cpu_count(),
        "versions": versions(),
        "peak_rss_method": "",
        "malloc_in_this_process": malloc,
        "engines": [],
        "terms": [],
    }
    loaded = {}
    for name in [e for e in ENGINES if e in engines]:
        log(f"{name}: translating {sentences} sentences, {output_tokens} tokens each, beam {beam} ...")
        with PeakRSS() as rss:
            if name == "naive":
                tokens, seconds, load, detail = run_naive(model, texts, beam=beam, length=output_tokens, threads=threads)
            else:
                started = time.perf_counter()
                engine = load_bench_engine(name, model, beam=beam, length=output_tokens, threads=threads, tgt=tgt,
                                           quantization=quantization, cache_root=cache_root)
                load = time.perf_counter() - started
                tokens, seconds = run_engine(engine, texts, src=src, tgt=tgt, length=output_tokens)
                if terms and DESK.is_file():
                    log(f"{name}: the same sentences with the desk glossary's terms forced ...")
                    report["terms"].append(run_terms(engine, texts, src=src, tgt=tgt, length=output_tokens,
                                                     plain_tokens_per_s=tokens / seconds))
                detail = {k: v for k, v in engine.info().items()
                          if k in ("compute_type", "device", "threads", "architecture", "constrains")}
                detail.update(batch_tokens=engine.config.batch_tokens, batch_size=engine.config.batch_size)
                if report["source_tokens_mean"] is None:
                    report["source_tokens_mean"] = round(sum(engine.count_tokens(t) for t in texts) / len(texts), 1)
                loaded[name] = engine
        report["peak_rss_method"] = rss.method
        report["engines"].append(asdict(EngineResult(
            engine=name, sentences=sentences, tokens=tokens, seconds=round(seconds, 3), load_seconds=round(load, 3),
            tokens_per_s=round(tokens / seconds, 1), peak_rss_mb=round(rss.peak / 2**20, 1),
            added_rss_mb=round((rss.peak - rss.start) / 2**20, 1), detail=detail,
        )))
        if name == "hf" and "ct2" in engines:
            del loaded["hf"], engine  # free the torch model before measuring ct2
            gc.collect()
    naive = next((e for e in report["engines"] if e["engine"] == "naive"), None)
    for entry in report["engines"]:
        if naive and naive["tokens_per_s"]:
            entry["speedup_vs_naive"] = round(entry["tokens_per_s"] / naive["tokens_per_s"], 2)
    fastest = loaded.get("ct2") or loaded.get("hf")
    report["pipeline"] = None
    if pipeline and fastest is not None and documents > 0:
        log(f"pipeline: a run over {documents} generated articles with {fastest.name}, then a cached rerun ...")
        with tempfile.TemporaryDirectory(prefix="targman-bench-") as work:
            report["pipeline"] = asdict(run_pipeline(
                fastest, model, Path(work), documents=documents, src=src, tgt=tgt, beam=beam, length=output_tokens,
                quantization=quantization,
            ))
            if cold:
                report["cold_rerun"] = cold_rerun(model, fastest.name, Path(work), documents=documents, src=src, tgt=tgt,
                                                  quantization=quantization, log=log)
    report["malloc"] = None
    if malloc_tokens and "ct2" in engines:
        loaded.clear()
        gc.collect()
        report["malloc"] = malloc_effect(model, src=src, tgt=tgt, tokens=malloc_tokens, sentences=malloc_sentences,
                                         threads=threads, quantization=quantization, cache_root=cache_root, log=log)
    return report


# -- memory scaling -----------------------------------------------------------------------------

# Runs a command and prints its peak RSS as the kernel accounts it (ru_maxrss from wait4).
# Linux carries a process's high-water mark across exec, and a child forked from this
# process (torch loaded: hundreds of MB) would start with ours; so a bare Python launcher
# is started first, and the measured command is its child.
_LAUNCHER = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as err:
    proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def _peak_of_child(command: list[str], env: dict) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit status) of a command run in a child process."""
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile(prefix="targman-child-", suffix=".err") as err:
        out = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, err.name, *command], env=env,
                             capture_output=True, text=True, check=True)
        status, maxrss_kib = (int(x) for x in out.stdout.split())
        if status:
            message = Path(err.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(command)} failed ({status}): {message}")
    return maxrss_kib / 1024, time.perf_counter() - started, status  # ru_maxrss is in KiB on Linux


def memory_scaling(
    sizes: Sequence[int] = (10, 10_000),
    *,
    engine: str = "ct2",
    model: str | Path | None = None,
    work_dir: str | Path | None = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict:
    """Peak RSS of `targman run` over folders of `sizes` small articles, each in its own process,
    with a tiny model on the ct2 engine (so 10,000 articles take minutes, not hours) and no
    translation memory: what grows with the folder is the pipeline's, not the model's."""
    from pipeline.devtools import tinymodel

    model_given = model is not None
    with tempfile.TemporaryDirectory(prefix="targman-memory-", dir=work_dir) as tmp:
        root = Path(tmp)
        if model is None:
            tinymodel.quiet_transformers()
            model = tinymodel.build(MODEL_KIND, root / "tiny-model")
        model = Path(model)
        src, tgt = model_direction(model)
        package_root = str(Path(__file__).resolve().parents[1])  # the children import this same targman
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "TARGMAN_CACHE_DIR": str(root / "cache"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": path}
        if engine == "ct2":  # convert once up front, so that every child does the same work
            from pipeline.models.convert import converted_model

            converted_model(str(model), quantization="int8", cache_root=root / "cache")
        rows = []
        for size in sizes:
            folder = make_folder(root / f"in-{size}", size, src, sentences_per_doc=3)
            command = [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(root / f"out-{size}"),
                       "--tgt", tgt, "--model", str(model), "--engine", engine, "--max-length", "8",
                       "--no-cache", "--progress", "off"]
            log(f"memory: targman run over {size} articles in a subprocess ...")
            peak, seconds, _ = _peak_of_child(command, env)
            manifest = json.loads((root / f"out-{size}" / "run.json").read_text(encoding="utf-8"))
            rows.append({
                "articles": size, "segments": manifest["counts"]["segments"], "translated": manifest["counts"]["translated"],
                "peak_rss_mb": round(peak, 1), "seconds": round(seconds, 1),
            })
    return {
        "engine": engine,
        "model": str(model) if model_given else f"tinymodel {MODEL_KIND} (TINY_SIZE)",
        "method": "ru_maxrss of each child from os.wait4 (through a bare Python launcher)",
        "runs": rows,
        "growth_mb": round(rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"], 1),
    }


# -- printing ------------------------------------------------------------------------------------

def format_report(report: dict) -> str:
    lines = [
        f"targman bench: {report['model']}{' (random weights, OPUS-MT size, built by bench)' if report['model_built'] else ''}",
        f"  {report['direction']}, {report['sentences']} sentences (mean {report['source_tokens_mean']} source tokens), "
        f"beam {report['beam']}, {report['output_tokens']} output tokens each, {report['threads']} threads "
        f"({report['cpu_count']} CPUs), ct2 {report['quantization']}",
        f"  peak RSS: {report['peak_rss_method']}",
        "",
        f"  {'engine':<7} {'tokens':>7} {'seconds':>8} {'tokens/s':>9} {'vs naive':>9} {'load s':>7} {'peak RSS MB':>12} {'added MB':>9}",
    ]
    for e in report["engines"]:
        ratio = f"{e['speedup_vs_naive']:.2f}x" if e["speedup_vs_naive"] is not None else "-"
        lines.append(
            f"  {e['engine']:<7} {e['tokens']:>7} {e['seconds']:>8.2f} {e['tokens_per_s']:>9.1f} {ratio:>9} "
            f"{e['load_seconds']:>7.2f} {e['peak_rss_mb']:>12.1f} {e['added_rss_mb']:>9.1f}"
        )
    for t in report.get("terms") or []:
        share = f", {100 * t['share_of_plain']:.0f}% of its plain tokens/s" if t["share_of_plain"] is not None else ""
        lines.append(
            f"  {t['engine']:<7} with the desk glossary's terms: {t['tokens_per_s']:.1f} tokens/s{share}; "
            f"{t['with_terms']}/{t['sentences']} sentences had terms, {t['to_constrained_search']} went to the "
            f"constrained search; term success {t['term_success']} ({t['term_hits']} hits), {t['unmet']} unmet"
        )
    p = report.get("pipeline")
    if p:
        lines += [
            "",
            f"  pipeline ({p['engine']}): run over {p['documents']} articles, {p['segments']} segments translated",
            f"    full run {p['first_run_s']:.2f} s, of which engine.translate {p['first_run_engine_s']:.2f} s: "
            f"pipeline overhead {100 * p['overhead']:.1f}% of engine time",
            f"    the engine alone on the same segments, one call: {p['engine_alone_s']:.2f} s "
            f"(full run {100 * p['vs_engine_alone']:+.1f}% against it)",
            f"    cached rerun {p['rerun_s']:.3f} s: {p['rerun_speedup']:.0f}x faster; {p['cache_hits']} memory hits, "
            f"{p['rerun_engine_texts']} texts sent to the engine",
        ]
    c = report.get("cold_rerun")
    if c:
        lines += ["", f"  a rerun in a new process, every segment remembered ({c['engine']}, {c['documents']} articles):"]
        for row in c["runs"]:
            lines.append(
                f"    {row['run']:<6} {row['wall_s']:.2f} s wall ({row['in_process_s']:.2f} s in targman), "
                f"{row['memory_hits']} memory hits; imported: {', '.join(row['imported']) or 'no torch, no ctranslate2'}"
            )
    mal = report.get("malloc")
    if mal:
        lines += ["", f"  ct2 at {mal['output_tokens']}-token outputs, {mal['sentences']} sentences, {mal['threads']} threads "
                      "(child processes):"]
        for row in mal["runs"]:
            lines.append(
                f"    {row['mode']:<22} {row['tokens_per_s']:>7.1f} tokens/s ({row['speedup']:.2f}x)  user {row['user_s']:.1f} s, "
                f"system {row['sys_s']:.1f} s, {row['minor_faults']} page faults"
            )
    m = report.get("memory")
    if m:
        lines += ["", f"  memory scaling ({m['engine']}, {m['model']}; {m['method']}):"]
        for row in m["runs"]:
            lines.append(
                f"    {row['articles']:>6} articles, {row['segments']:>6} segments: peak RSS {row['peak_rss_mb']:.1f} MB "
                f"({row['seconds']:.1f} s)"
            )
        lines.append(f"    growth {m['growth_mb']:.1f} MB")
    return "\n".join(lines)
