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

Faults are the driver's to judge, not Ray's (its actors take no task retries): an actor
that stops answering (a crashed or killed process, a lost node) has its batches sent to
the live actors, and Ray restarts it, on its node or where there is room. When it answers
again, the driver knows what happened: the same node and a new process means the batch
it was running killed it, a fault of that batch (after `[ray] task_retries` of them its
file fails; each one waits a little longer before it is sent again); a lost node is no
fault of any batch. An actor that cannot be placed (a lost node took the CPUs it needs)
leaves the pool smaller, said once; when no actor can run for `[ray] stall_s`, the run
stops with a ClusterError (exit 75), its finished work kept. Every wait on Ray is bounded.
An error the engine raises comes back as itself, so the runner isolates the file that
causes it as in a local run.

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

from pipeline.engines.base import (
    Banned,
    Constraints,
    Contexts,
    Done,
    Engine,
    Loads,
    Plans,
    Translation,
    check_options,
)
from pipeline.errors import ClusterError, ConfigError

if TYPE_CHECKING:
    from pipeline.config import RayConfig

log = logging.getLogger("targman")

INSTALL = "pip install -e '.[ray]' in a clone of targman (or pip install 'targman[ray]')"
IN_FLIGHT = 2  # batches queued on one actor: the next is there when one finishes
TICK = 1.0  # seconds a wait on Ray lasts before the driver looks at the cluster again
HUNG_S = 5.0  # no batch back for this long: look whether a node with batches on it is gone
SHORT_S = 5.0  # an actor down this long on a cluster too small for the pool: the pool is smaller now
BACKOFF_S = (0.5, 8.0)  # before a batch that killed its actor is sent again: first wait, longest wait


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
    except (ConnectionError, RuntimeError, ValueError, ray.exceptions.RayError) as error:
        where = "on this machine" if address == "local" else f"at [ray] address = {address!r}"
        if token_refused(error):
            raise ConfigError(f"the Ray cluster {where} refused this process's token: {TOKEN_HINT}") from None
        hint = ("start it (ray start --head, or a KubeRay RayCluster) or give its address"
                if address != "local" else "see the Ray logs under /tmp/ray")
        raise ConfigError(f"cannot start or reach a Ray cluster {where}: {error}; {hint}") from None
    finally:
        # ray.init makes SIGTERM exit at once; a run stopped by a batch scheduler must still
        # write what it finished (the CLI's handler: SIGTERM is Ctrl-C)
        if stop is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
    return True


TOKEN_HINT = ("it uses token authentication (Ray 2.60 turns it on for a head started with `ray start --head`); "
              "give this process the cluster's token: RAY_AUTH_MODE=token and RAY_AUTH_TOKEN=<token>, or the token "
              "in a file named by RAY_AUTH_TOKEN_PATH (default ~/.ray/auth_token; `ray get-auth-token` on the head "
              "prints it). Every `ray start` that joins the cluster needs the same (docs/scale.md)")


def token_refused(error: BaseException | None) -> bool:
    """Whether Ray could not connect because the cluster refused the token (Ray's AuthenticationError,
    "InvalidAuthToken", anywhere in the error's chain)."""
    seen = 0
    while error is not None and seen < 8:
        if type(error).__name__ == "AuthenticationError" or "InvalidAuthToken" in str(error):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def portable(error: Exception) -> Exception:
    """The error as it can travel back to the driver: itself when it pickles, else its words."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


class EngineActor:
    """One copy of the engine in a Ray worker, loaded once, by `ready()` or the first call.

    The constructor loads nothing, so that `where()` answers as soon as Ray has placed the
    actor: a model that takes minutes to load is not a cluster without room. Errors come
    back as values: the driver raises them as the engine's own exception (the runner then
    isolates the file); a dead process is the driver's to judge (`RayPool.translate`)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.error: Exception | None = None
        self.load_seconds: float | None = None

    def where(self) -> dict:
        """The actor's node and process (answered at once: the driver's ping)."""
        import ray

        return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def load(self) -> None:
        if self.load_seconds is not None:
            return
        started = time.perf_counter()
        try:
            if isinstance(self.engine, Loads):  # a LazyEngine: load the model now, once
                self.engine.load()
        except Exception as error:  # a model that cannot load here: every batch says so
            self.error = portable(error)
        self.load_seconds = time.perf_counter() - started

    def ready(self) -> dict:
        self.load()
        return {"load_s": self.load_seconds, **self.where(), "error": self.error}

    def plan(self, texts: list[str], src: str, tgt: str) -> list[list[int]] | None:
        """The engine's own batches for a call (`TokenizerEngine.plan`), None when it has no plan."""
        self.load()
        if self.error is not None or not isinstance(self.engine, Plans):
            return None
        try:
            return self.engine.plan(texts, src=src, tgt=tgt)
        except Exception:  # the call itself will say what is wrong
            return None

    def translate(self, texts: list[str], options: dict) -> tuple[list[Translation] | None, Exception | None]:
        self.load()
        if self.error is not None:
            return None, self.error
        try:
            return self.engine.translate(texts, **options), None
        except Exception as error:
            return None, portable(error)


class Slot:
    """One engine actor and what the driver knows of it: up (answering) or down (starting,
    restarting, or waiting for room), where it ran, and the batches it holds now."""

    def __init__(self, number: int, actor, ping):
        self.number = number
        self.actor = actor
        self.ping = ping  # where(), sent while it starts or restarts; None when it is up
        self.up = False
        self.gone = False  # dead for good (it could not even start): never used again
        self.node: str | None = None
        self.pid: int | None = None
        self.nodes: list[str] = []  # where it ran, in order (a restart elsewhere adds one)
        self.down_since = time.monotonic()
        self.flying: dict = {}  # object ref -> (batch number, order sent)
        self.sent = 0
        self.suspect: int | None = None  # the batch it was running when it stopped answering
        self.fault: str = ""  # what Ray said then


class RayPool:
    """The Ray connection and, per engine, its actors (started on the first batch that needs them)."""

    def __init__(self, settings: RayConfig, batch_size: int):
        self.ray = import_ray()
        self.settings = settings
        self.owns_connection = connect(settings)
        self.batch_size = max(1, batch_size)  # texts a batch, for an engine that has no plan of its own
        self.actors = settings.actors or self._fill()
        self._pools: dict[int, list[Slot]] = {}  # id(RayEngine) -> its actors
        self.batches = 0
        self.resent = 0  # batches sent again (their actor stopped answering)
        self.lost = 0  # times an actor stopped answering (a lost node, a crash)
        self.restarted = 0  # ... and came back (restarted by Ray)
        self.crashes = 0  # ... because a batch killed it (its node lived on)
        self.smaller: int | None = None  # the actors the cluster could hold after a node left, once said
        context = self.ray.get_runtime_context()
        self.address = getattr(context, "gcs_address", None) or settings.address or "local"
        self.driver_node = context.get_node_id()
        self.cluster = self._nodes()

    def _fill(self) -> int:
        """As many actors as the cluster's CPUs (or GPUs) take at `cpus_per_actor` (`gpus_per_actor`) each."""
        return max(1, self._room())

    def _room(self) -> int:
        """The actors the cluster's live nodes can hold (0 when none)."""
        resources = self.ray.cluster_resources()
        counts = []
        if self.settings.cpus_per_actor > 0:
            counts.append(int(resources.get("CPU", 0) // self.settings.cpus_per_actor))
        if self.settings.gpus_per_actor > 0:
            counts.append(int(resources.get("GPU", 0) // self.settings.gpus_per_actor))
        return min(counts)

    def _nodes(self) -> list[dict]:
        """The cluster's live nodes: id, address, CPUs and GPUs (run.json)."""
        nodes = []
        for node in self.ray.nodes():
            if node.get("Alive"):
                resources = node.get("Resources") or {}
                nodes.append({"node": node["NodeID"], "ip": node.get("NodeManagerAddress"),
                              "cpus": resources.get("CPU", 0), "gpus": resources.get("GPU", 0)})
        return sorted(nodes, key=lambda n: n["node"])

    def _alive(self) -> set[str]:
        return {node["NodeID"] for node in self.ray.nodes() if node.get("Alive")}

    def engine(self, inner: Engine) -> "RayEngine":
        return RayEngine(inner, self)

    # -- the actors ----------------------------------------------------------------------------
    def _ping(self, actor):
        """where() that waits while the actor restarts (Ray retries it until the actor answers)."""
        return actor.where.options(max_task_retries=-1).remote()

    def _slots(self, engine: "RayEngine") -> list[Slot]:
        """The engine's actors, started now if they are not yet: all of them, or as many as the
        cluster has room for (at least one within `[ray] stall_s`), each then loading the model."""
        key = id(engine)
        if key not in self._pools:
            ray, settings = self.ray, self.settings
            started = time.perf_counter()
            remote = ray.remote(EngineActor).options(
                num_cpus=settings.cpus_per_actor, num_gpus=settings.gpus_per_actor,
                max_restarts=-1, max_task_retries=0,  # faults are judged by the driver (`translate`)
            )
            # The engine goes with each actor's creation (described, not loaded: small), so that Ray
            # can restart an actor from it; each actor loads its own copy of the model.
            slots = []
            for number in range(self.actors):
                actor = remote.remote(engine.inner)
                slots.append(Slot(number, actor, self._ping(actor)))
            self._pools[key] = slots
            room = max(1, self._room())
            deadline = time.monotonic() + settings.stall_s
            while any(slot.ping is not None for slot in slots):
                up = sum(slot.up for slot in slots)
                if up and up >= min(room, len(slots)):
                    break
                if time.monotonic() > deadline:
                    if up:
                        break
                    raise ClusterError(self._stalled(slots, "to start"))
                self._wait(slots, [], TICK)
            self._load([slot for slot in slots if slot.up])
            engine.load_seconds += time.perf_counter() - started
            started_slots = [slot for slot in slots if slot.up]
            log.info(f"ray: {len(started_slots)} of {len(slots)} actor(s) of the {engine.name} engine up on "
                     f"{len({slot.node for slot in started_slots})} node(s), loaded in {engine.load_seconds:.1f} s")
        return self._pools[key]

    def _load(self, slots: list[Slot]) -> None:
        """The placed actors load the model (as long as it takes: a local run waits as long); an
        error loading it is raised as the engine's; an actor lost meanwhile is down, as in a run."""
        loading = {slot.actor.ready.remote(): slot for slot in slots}
        while loading:
            ready, _ = self.ray.wait(list(loading), num_returns=1, timeout=TICK)
            for ref in ready:
                slot = loading.pop(ref)
                try:
                    state = self.ray.get(ref, timeout=TICK)
                except self.ray.exceptions.RayError as error:
                    self._down(slot, error)
                    continue
                if state["error"] is not None:
                    raise state["error"]  # the model cannot load there: what a local run says
            if not ready:
                alive = self._alive()
                for ref, slot in list(loading.items()):
                    if slot.node not in alive:
                        del loading[ref]
                        self._down(slot, None)

    def _wait(self, slots: list[Slot], refs: list, timeout: float) -> list:
        """Wait (at most `timeout` s) for one of `refs` or an actor's where(); take in the actors that
        answered, and return the refs of `refs` that are ready."""
        pings = {slot.ping: slot for slot in slots if slot.ping is not None}
        waiting = list(refs) + list(pings)
        if not waiting:
            time.sleep(timeout)
            return []
        ready, _ = self.ray.wait(waiting, num_returns=1, timeout=timeout)
        for ref in ready:
            if ref in pings:
                self._answered(pings[ref])
        return [ref for ref in ready if ref not in pings]

    def _answered(self, slot: Slot) -> None:
        """An actor's where() came back: it is up, where it says; or it is gone for good. A
        batch it was running when it stopped answering is judged here: a new process on the
        same node means that batch killed it."""
        ref, slot.ping = slot.ping, None
        try:
            state = self.ray.get(ref, timeout=TICK)
        except self.ray.exceptions.RayError as error:  # its restarts are over (it cannot even start)
            slot.gone = True
            slot.fault = slot.fault or f"{type(error).__name__}"
            log.warning(f"ray: engine actor {slot.number} is gone for good ({type(error).__name__}); "
                        "see the Ray worker logs")
            return
        if slot.pid is not None:
            self.restarted += 1
            if slot.suspect is not None and state["node"] == slot.node and state["pid"] != slot.pid:
                slot.fault = "crash"  # its node lived on, its process did not: the batch's fault
                self.crashes += 1
        slot.up, slot.node, slot.pid = True, state["node"], state["pid"]
        if not slot.nodes or slot.nodes[-1] != slot.node:
            slot.nodes.append(slot.node)

    def _down(self, slot: Slot, error: BaseException | None) -> list[int]:
        """An actor stopped answering: it is down until its where() comes back (Ray restarts it).
        Returns its batches, oldest first; the oldest was the one running (an actor runs its
        calls in order), kept as the suspect until the actor answers again."""
        held = [batch for batch, _ in sorted(slot.flying.values(), key=lambda item: item[1])]
        slot.flying.clear()
        if slot.up:
            self.lost += 1
            slot.up, slot.down_since = False, time.monotonic()
            slot.ping = self._ping(slot.actor)
            log.warning(f"ray: engine actor {slot.number} stopped answering "
                        f"({type(error).__name__ if error is not None else 'its node is gone'}); "
                        f"its {len(held)} batch(es) go to the others")
        slot.suspect = held[0] if held else None
        slot.fault = ""
        return held

    def _stalled(self, slots: list[Slot], what: str) -> str:
        """The line a run stops with when no actor can run: what the actors need, what the cluster has."""
        resources = self.ray.cluster_resources()
        available = self.ray.available_resources()
        need = f"{self.settings.cpus_per_actor:g} CPU(s)"
        if self.settings.gpus_per_actor:
            need += f" and {self.settings.gpus_per_actor:g} GPU(s)"
        nodes = len(self._alive())
        gone = sum(slot.gone for slot in slots)
        gone_note = f" ({gone} of them gone for good: see the Ray worker logs)" if gone else ""
        return (f"no engine actor could run on the Ray cluster for {self.settings.stall_s:g} s ({what}): "
                f"{len(slots)} actor(s){gone_note} need {need} each, and the cluster's {nodes} live node(s) have "
                f"{resources.get('CPU', 0):g} CPU(s) ({available.get('CPU', 0):g} free), "
                f"{resources.get('GPU', 0):g} GPU(s); the finished files are kept: add nodes (or lower "
                "[ray] cpus_per_actor / [ray] actors) and run the same command again")

    def _say_smaller(self, slots: list[Slot]) -> None:
        """Once: the cluster lost room, and the pool goes on with the actors it can hold."""
        if self.smaller is not None:
            return
        now = time.monotonic()
        if not any(not slot.up and not slot.gone and now - slot.down_since > SHORT_S for slot in slots):
            return
        room = self._room()
        if room >= len(slots):
            return
        self.smaller = room
        log.warning(f"ray: the cluster lost a node and holds {room} of the {len(slots)} engine actor(s) now; "
                    f"going on with {room} (the others start again when nodes join)")

    # -- batches -------------------------------------------------------------------------------
    def translate(self, engine: "RayEngine", texts: Sequence[str], options: dict, on_done: Done | None) -> list[Translation]:
        """Translate `texts` in batches across the engine's actors; `on_done` hears of each batch as it lands.

        The batches are the ones the engine makes of the whole call (its `plan`, asked of an
        actor): each actor makes exactly those, so the outputs are a local run's to the bit.
        The longest go first, so no long batch is left for the end. A batch whose actor stops
        answering goes to another (see the module's docstring). An error stops new batches;
        those in flight are still taken (they are finished work), then the first error is raised."""
        slots = self._slots(engine)
        batches = self._batches(slots, texts, options["src"], options["tgt"])
        queue = deque(range(len(batches)))
        per_text = {name: values for name, values in options.items() if isinstance(values, (list, tuple))}
        shared = {name: value for name, value in options.items() if name not in per_text}
        results: list[Translation | None] = [None] * len(texts)
        faults = [0] * len(batches)
        not_before = [0.0] * len(batches)  # a batch that killed its actor waits a little
        failure: Exception | None = None
        idle_since: float | None = None  # since when no actor was up while batches waited
        last_news = time.monotonic()  # a batch back, or an actor's answer

        def submit() -> None:
            now = time.monotonic()
            later = []
            while queue and failure is None:
                live = [slot for slot in slots if slot.up]
                if not live:
                    break
                slot = min(live, key=lambda s: len(s.flying))
                if len(slot.flying) >= IN_FLIGHT:
                    break
                number = queue.popleft()
                if not_before[number] > now:
                    later.append(number)
                    continue
                batch = batches[number]
                kwargs = {**shared, **{name: [values[i] for i in batch] for name, values in per_text.items()}}
                slot.flying[slot.actor.translate.remote([texts[i] for i in batch], kwargs)] = (number, slot.sent)
                slot.sent += 1
                self.batches += 1
            queue.extendleft(reversed(later))

        def back(held: list[int], slot: Slot) -> None:
            """Batches of an actor that stopped answering: all but its suspect go to the others now."""
            self.resent += len(held)
            queue.extendleft(reversed([number for number in held if number != slot.suspect]))

        def judge(slot: Slot) -> None:
            """The suspect batch of an actor that answered again (or whose node is gone) goes back:
            charged with a fault when it killed the actor on a live node."""
            nonlocal failure
            number, slot.suspect = slot.suspect, None
            if number is None:
                return
            if slot.fault == "crash":
                faults[number] += 1
                if faults[number] > self.settings.task_retries:
                    failure = failure or RuntimeError(
                        f"the engine's Ray actor died on this batch {faults[number]} time(s) "
                        "(its process, not its node); see the Ray worker logs")
                    return
                first, longest = BACKOFF_S
                not_before[number] = time.monotonic() + min(longest, first * 2 ** (faults[number] - 1))
            queue.appendleft(number)

        try:
            submit()
            while any(slot.flying for slot in slots) or (failure is None and (queue or any(
                    slot.suspect is not None for slot in slots))):
                flying = {ref: slot for slot in slots for ref in slot.flying}
                answered = {slot.number for slot in slots if slot.ping is None}
                for ref in self._wait(slots, list(flying), TICK):
                    slot = flying[ref]
                    number, _ = slot.flying[ref]
                    last_news = time.monotonic()
                    try:
                        translations, error = self.ray.get(ref, timeout=TICK)
                    except self.ray.exceptions.RayError as lost:  # its actor stopped answering: no fault yet
                        back(self._down(slot, lost), slot)  # this batch with the others it held
                        continue
                    del slot.flying[ref]
                    if error is not None:
                        failure = failure or error
                    else:
                        for i, translation in zip(batches[number], translations, strict=True):
                            results[i] = translation
                        if on_done is not None:
                            on_done(batches[number], translations)
                now = time.monotonic()
                for slot in slots:
                    if slot.ping is None and slot.number not in answered:
                        last_news = now  # an actor came back
                    if slot.up and slot.suspect is not None:
                        judge(slot)
                if now - last_news > HUNG_S or any(slot.suspect is not None for slot in slots):
                    self._gone_nodes(slots, back, judge)
                    last_news = max(last_news, now - HUNG_S + TICK)  # look again in a second, not at every turn
                self._say_smaller(slots)
                if any(slot.up for slot in slots) or failure is not None:
                    idle_since = None
                else:
                    idle_since = idle_since or now
                    if now - idle_since > self.settings.stall_s:
                        waiting = len(queue) + sum(slot.suspect is not None for slot in slots)
                        raise ClusterError(self._stalled(slots, f"{waiting} batch(es) waiting"))
                submit()
        finally:  # what this call left on the actors is not the next call's (batch numbers are per call)
            for slot in slots:
                slot.flying.clear()
                slot.suspect = None
        if failure is not None:
            raise failure
        done = [translation for translation in results if translation is not None]
        if len(done) < len(results):  # every batch is answered or the call fails: never
            raise RuntimeError(f"ray: {len(results) - len(done)} of {len(results)} text(s) came back from no actor")
        return done

    def _gone_nodes(self, slots: list[Slot], back, judge) -> None:
        """Batches on a node that is gone come back (its actor never will answer for them), and a
        suspect batch whose actor's node is gone is no suspect."""
        alive = self._alive()
        for slot in slots:
            if slot.node is None or slot.node in alive:
                continue
            if slot.up:
                back(self._down(slot, None), slot)
            slot.fault = "node"
            judge(slot)

    def _batches(self, slots: list[Slot], texts: Sequence[str], src: str, tgt: str) -> list[list[int]]:
        """The engine's plan of the call; for an engine without one, `[model] batch_size` texts a
        batch, longest first."""
        plan = self._ask(slots, "plan", texts, src, tgt)
        if plan:
            return plan
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def _ask(self, slots: list[Slot], method: str, *args):
        """One call to a live actor, sent to another when its actor stops answering; None when the
        call kills every actor it reaches, `[ray] task_retries` + 1 times (the batches will meet
        what is wrong). Waits for an actor at most `[ray] stall_s`."""
        tries = 0
        idle_since = time.monotonic()
        while tries <= self.settings.task_retries:
            live = [slot for slot in slots if slot.up]
            if not live:
                if time.monotonic() - idle_since > self.settings.stall_s:
                    raise ClusterError(self._stalled(slots, "to plan a call's batches"))
                self._wait(slots, [], TICK)
                continue
            slot = live[0]
            ref = getattr(slot.actor, method).remote(*args)
            while not self._wait(slots, [ref], TICK):
                if slot.node not in self._alive():
                    break
            try:
                return self.ray.get(ref, timeout=TICK)
            except self.ray.exceptions.RayError as error:
                self._down(slot, error)
                slot.suspect = None
                tries += 1
                idle_since = time.monotonic()
        return None

    def info(self) -> dict:
        """run.json's `executor`: where the engine ran (and nothing a run's outputs depend on)."""
        settings = self.settings
        slots = [slot for pool in self._pools.values() for slot in pool]
        used = {node for slot in slots for node in slot.nodes}
        return {
            "name": "ray",
            "ray": getattr(self.ray, "__version__", "?"),
            "address": self.address,  # the cluster's GCS address found for [ray] address
            "requested_address": settings.address or "local",
            "driver_node": self.driver_node,
            "cluster": self.cluster,  # the live nodes when the run started
            "actors": self.actors,
            "cpus_per_actor": settings.cpus_per_actor,
            "gpus_per_actor": settings.gpus_per_actor,
            "task_retries": settings.task_retries,
            "stall_s": settings.stall_s,
            "nodes": len(used),
            "placement": [{"actor": slot.number, "nodes": slot.nodes} for slot in slots],  # a restart elsewhere: +1
            "batches": self.batches,
            "faults": {"actors_lost": self.lost, "actors_restarted": self.restarted, "crashes": self.crashes,
                       "batches_resent": self.resent,
                       **({"actors_after_node_loss": self.smaller} if self.smaller is not None else {})},
        }

    def close(self) -> None:
        """Stop the actors: with the connection when this pool made it, else one by one."""
        if self.owns_connection and self.ray.is_initialized():
            self.ray.shutdown()
            self.owns_connection = False
        else:
            for slots in self._pools.values():
                for slot in slots:
                    try:
                        self.ray.kill(slot.actor)
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
                  constraints: Constraints | None = None, banned: Banned | None = None,
                  context: Contexts | None = None, on_done: Done | None = None,
                  align: Sequence[bool] | None = None) -> list[Translation]:
        check_options(len(texts), min_length, constraints, banned, context, align)
        if not texts:
            return []
        options: dict[str, object] = {"src": src, "tgt": tgt, "min_length": min_length}
        for name, values in (("constraints", constraints), ("banned", banned), ("context", context), ("align", align)):
            if values is not None:
                options[name] = list(values)
        return self.pool.translate(self, list(texts), options, on_done)

    def info(self) -> dict:
        return self.inner.info()

    def fingerprint(self) -> dict:
        return self.inner.fingerprint()
