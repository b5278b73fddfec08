"""Engine batches on a pool of Ray actors: `[run] executor = "ray"` (docs/scale.md).

The process that runs `targman run` (the driver) keeps everything that decides what a
run writes: the plan and resume, the translation memory and the run's journal, the
glossary's constraints and checks, the parts and run.json. Only the engine call - the
segments the memory does not know - goes out. `RayEngine` is an Engine (`engines.base`)
that describes itself as the engine it wraps and hands each call to a `RayPool`: the
texts are cut into batches and sent to actors that each hold their own copy of that
engine, loaded once. The batches are the ones the engine itself would make of the call
(`TokenizerEngine.plan`), so each is translated as in a local run. They come back in any order and are reported with `on_done`
as they land, so the driver stores them in the journal and the memory exactly as a
local run stores its engine's batches (a shared SQLite file is not safe across
machines; the driver's is only ever written by the driver). Outputs are those of the
local executor byte for byte, and a run killed on a cluster resumes locally or on Ray.

An actor that dies (a crashed or killed process, a lost node) is restarted by Ray and
its batch is sent again, `[ray] task_retries` times; an error the engine raises comes
back as itself, so the runner isolates the file that causes it as in a local run.

Ray is imported only here, and only when a run asks for it.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Sequence

from pipeline.engines.base import Done, Engine, Translation, check_options
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.config import RayConfig

log = logging.getLogger("targman")

INSTALL = "pip install -e '.[ray]' in a clone of targman (or pip install 'targman[ray]')"
IN_FLIGHT = 2  # batches queued on one actor: the next is there when one finishes


def import_ray():
    """Ray, or a ConfigError that says which extra installs it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"[run] executor = 'ray' needs Ray, which is not installed here: {INSTALL}") from None
    return ray


def connect(settings: RayConfig) -> bool:
    """Join the Ray cluster `[ray] address` names, or start one on this machine ("");
    True when this call started or joined it (so the caller shuts the connection down),
    False when this process was connected already (a test's, a notebook's)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = settings.address or "local"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # an offline tool does not report usage (set it to 1 to)
    stop = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = "on this machine" if address == "local" else f"at [ray] address = {address!r}"
        hint = ("start it (ray start --head, or a KubeRay RayCluster) or give its address"
                if address != "local" else "see the Ray logs under /tmp/ray")
        raise ConfigError(f"cannot start or reach a Ray cluster {where}: {error}; {hint}") from None
    finally:
        # ray.init makes SIGTERM exit at once; a run stopped by a batch scheduler must still
        # write what it finished (the CLI's handler: SIGTERM is Ctrl-C)
        if stop is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
    return True


def portable(error: BaseException) -> Exception:
    """The error as it can travel back to the driver: itself when it pickles, else its words."""
    try:
        pickle.loads(pickle.dumps(error))
        return error  # type: ignore[return-value]
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


class EngineActor:
    """One copy of the engine in a Ray worker, loaded once when the actor starts.

    Errors come back as values: the driver raises them as the engine's own exception
    (the runner then isolates the file), and only a dead process is Ray's to retry."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.error: Exception | None = None
        started = time.perf_counter()
        try:
            load = getattr(engine, "load", None)  # a LazyEngine: load the model now, once
            if callable(load):
                load()
        except Exception as error:  # a model that cannot load here: every batch says so
            self.error = portable(error)
        self.load_seconds = time.perf_counter() - started

    def ready(self) -> dict:
        import ray

        return {"load_s": self.load_seconds, "node": ray.get_runtime_context().get_node_id(), "pid": os.getpid(),
                "error": self.error}

    def plan(self, texts: list[str], src: str, tgt: str) -> list[list[int]] | None:
        """The engine's own batches for a call (`TokenizerEngine.plan`), None when it has no plan."""
        plan = getattr(self.engine, "plan", None) if self.error is None else None
        if plan is None:
            return None
        try:
            return plan(texts, src=src, tgt=tgt)
        except Exception:  # the call itself will say what is wrong
            return None

    def translate(self, texts: list[str], options: dict) -> tuple[list[Translation] | None, Exception | None]:
        if self.error is not None:
            return None, self.error
        try:
            return self.engine.translate(texts, **options), None
        except Exception as error:
            return None, portable(error)


class RayPool:
    """The Ray connection and, per engine, its actors (started on the first batch that needs them)."""

    def __init__(self, settings: RayConfig, batch_size: int):
        self.ray = import_ray()
        self.settings = settings
        self.owns_connection = connect(settings)
        self.batch_size = max(1, batch_size)  # texts a batch, for an engine that has no plan of its own
        self.actors = settings.actors or self._fill()
        self._pools: dict[int, list] = {}  # id(RayEngine) -> its actors
        self._started: list[dict] = []  # what each actor said when ready
        self.batches = 0

    def _fill(self) -> int:
        """As many actors as the cluster's CPUs (or GPUs) take at `cpus_per_actor` (`gpus_per_actor`) each."""
        resources = self.ray.cluster_resources()
        counts = []
        if self.settings.cpus_per_actor > 0:
            counts.append(int(resources.get("CPU", 1) // self.settings.cpus_per_actor))
        if self.settings.gpus_per_actor > 0:
            counts.append(int(resources.get("GPU", 0) // self.settings.gpus_per_actor))
        return max(1, min(counts))

    def engine(self, inner: Engine) -> "RayEngine":
        return RayEngine(inner, self)

    def _actors_for(self, engine: "RayEngine") -> list:
        """The engine's actors, started now (each loads the model) if they are not yet."""
        key = id(engine)
        if key not in self._pools:
            ray, settings = self.ray, self.settings
            started = time.perf_counter()
            remote = ray.remote(EngineActor).options(
                num_cpus=settings.cpus_per_actor, num_gpus=settings.gpus_per_actor,
                max_restarts=-1, max_task_retries=settings.task_retries,
            )
            # The engine goes with each actor's creation (described, not loaded: small), so that Ray
            # can restart an actor from it; each actor loads its own copy of the model.
            actors = [remote.remote(engine.inner) for _ in range(self.actors)]
            self._pools[key] = actors
            states = ray.get([actor.ready.remote() for actor in actors])
            engine.load_seconds += time.perf_counter() - started
            self._started += states
            for state in states:
                if state["error"] is not None:
                    raise state["error"]
            nodes = len({state["node"] for state in states})
            log.info(f"ray: {len(actors)} actor(s) of the {engine.name} engine on {nodes} node(s), "
                     f"loaded in {engine.load_seconds:.1f} s")
        return self._pools[key]

    def translate(self, engine: "RayEngine", texts: Sequence[str], options: dict, on_done: Done | None) -> list[Translation]:
        """Translate `texts` in batches across the engine's actors; `on_done` hears of each batch as it lands.

        The batches are the ones the engine makes of the whole call (its `plan`, asked of an
        actor): each actor makes exactly those, so the outputs are a local run's to the bit.
        The longest go first, so no long batch is left for the end. An error stops new
        batches; those in flight are still taken (they are finished work), then the first
        error is raised."""
        ray = self.ray
        actors = self._actors_for(engine)
        queue = deque(self._batches(actors, texts, options["src"], options["tgt"]))
        per_text = {name: values for name, values in options.items() if isinstance(values, (list, tuple))}
        shared = {name: value for name, value in options.items() if name not in per_text}
        results: list[Translation | None] = [None] * len(texts)
        busy = [0] * len(actors)
        pending: dict = {}  # object ref -> (positions, actor number)
        failure: Exception | None = None

        def submit() -> None:
            while queue and failure is None:
                a = min(range(len(actors)), key=busy.__getitem__)
                if busy[a] >= IN_FLIGHT:
                    return
                batch = queue.popleft()
                kwargs = {**shared, **{name: [values[i] for i in batch] for name, values in per_text.items()}}
                pending[actors[a].translate.remote([texts[i] for i in batch], kwargs)] = (batch, a)
                busy[a] += 1
                self.batches += 1

        submit()
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            batch, a = pending.pop(ref)
            busy[a] -= 1
            try:
                translations, error = ray.get(ref)
            except ray.exceptions.RayError as lost:  # the actor died on it, every time Ray tried
                translations, error = None, RuntimeError(
                    f"the engine's Ray actor died on this batch {self.settings.task_retries + 1} time(s) "
                    f"({type(lost).__name__}); see the Ray worker logs")
            if error is not None:
                failure = failure or error
            else:
                for i, translation in zip(batch, translations, strict=True):
                    results[i] = translation
                if on_done is not None:
                    on_done(batch, translations)
            submit()
        if failure is not None:
            raise failure
        return results  # type: ignore[return-value]

    def _batches(self, actors: list, texts: list[str], src: str, tgt: str) -> list[list[int]]:
        """The engine's plan of the call; for an engine without one, `[model] batch_size` texts a
        batch, longest first."""
        try:
            plan = self.ray.get(actors[0].plan.remote(texts, src, tgt))
        except self.ray.exceptions.RayError:
            plan = None  # the batches will meet what went wrong
        if plan:
            return plan
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def info(self) -> dict:
        """run.json's `executor`: where the engine ran (and nothing a run's outputs depend on)."""
        settings = self.settings
        nodes = {state["node"] for state in self._started}
        return {
            "name": "ray",
            "ray": getattr(self.ray, "__version__", "?"),
            "address": settings.address or "local",
            "actors": self.actors,
            "cpus_per_actor": settings.cpus_per_actor,
            "gpus_per_actor": settings.gpus_per_actor,
            "task_retries": settings.task_retries,
            "nodes": len(nodes),
            "batches": self.batches,
        }

    def close(self) -> None:
        """Stop the actors: with the connection when this pool made it, else one by one."""
        if self.owns_connection and self.ray.is_initialized():
            self.ray.shutdown()
            self.owns_connection = False
        else:
            for actors in self._pools.values():
                for actor in actors:
                    try:
                        self.ray.kill(actor)
                    except Exception:  # already gone
                        pass
        self._pools.clear()


class RayEngine:
    """An engine translated by a `RayPool`'s actors: routing, the memory's key, run.json's
    model and the glossary's capabilities are the wrapped engine's (described, not loaded,
    in the driver), so the driver treats it as the engine itself."""

    def __init__(self, inner: Engine, pool: RayPool):
        self.inner = inner
        self.pool = pool
        self.name = inner.name
        self.constrains = inner.constrains
        self.reranks = inner.reranks
        self.context = inner.context
        self.load_seconds = 0.0  # starting the actors, each loading the model (the Translator's load_s)

    def supports(self, src: str, tgt: str) -> bool:
        return self.inner.supports(src, tgt)

    def translate(self, texts: Sequence[str], *, src: str, tgt: str, min_length: int | None = None,
                  constraints=None, banned=None, context=None, on_done: Done | None = None) -> list[Translation]:
        check_options(len(texts), min_length, constraints, banned, context)
        if not texts:
            return []
        options = {"src": src, "tgt": tgt, "min_length": min_length}
        for name, values in (("constraints", constraints), ("banned", banned), ("context", context)):
            if values is not None:
                options[name] = list(values)
        return self.pool.translate(self, list(texts), options, on_done)

    def info(self) -> dict:
        return self.inner.info()

    def fingerprint(self) -> dict:
        return self.inner.fingerprint()
