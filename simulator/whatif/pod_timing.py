"""When a new pod becomes available after it is created: its image's pull and start, its
probes and minReadySeconds, worked out by running the kubelet's own probe workers
(`simulator.kubelet.probes.ProbeWorker`) against the image's behaviour, not a second copy
of their rules.

Times are integer milliseconds after the pod's creation (the scheduler binds it and the
kubelet admits it in that instant). ``None`` means never, within ``horizon`` ms.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.kubelet import probes
from simulator.kubelet.kubelet import SANDBOX_MS
from simulator.timers import ms

HORIZON_MS = 3_600_000  # an hour of uptime: a probe that has not passed by then never will here
PROBE_IP = "10.244.0.2"  # the prober's target address (only in messages, never returned)

# why a pod never becomes available
PULL_FAILS = "pull fails"
STARTUP_FAILS = "startup probe fails"
READINESS_FAILS = "readiness probe never passes"
EXITS = "container exits"
LIVENESS_KILLS = "liveness probe kills it"


@dataclass(frozen=True)
class ContainerTiming:
    """One container of a new pod: when it runs, is ready, and what goes wrong (if anything)."""

    index: int
    image: str
    pull_ms: int                 # 0: the image was on the node already
    running_ms: int | None       # the process starts (after the sandbox and the pull)
    ready_ms: int | None         # containerStatuses[].ready turns true
    problem: str | None = None   # one of the reasons above, None when it becomes ready
    detail: str = ""             # the problem in plain words
    later: str = ""              # what goes wrong after it is ready (a restart), in plain words
    probe_runs: int = 0          # readiness attempts up to ready


@dataclass(frozen=True)
class PodTiming:
    """A new pod: when it is ready and available, and the container that decides it."""

    containers: tuple[ContainerTiming, ...]
    min_ready_ms: int

    @property
    def ready_ms(self) -> int | None:
        times = [c.ready_ms for c in self.containers]
        return None if not times or None in times else max(times)

    @property
    def available_ms(self) -> int | None:
        ready = self.ready_ms
        return None if ready is None else ready + self.min_ready_ms

    @property
    def problem(self) -> ContainerTiming | None:
        """The first container that never becomes ready, if any."""
        return next((c for c in self.containers if c.problem), None)


def pod_timing(pod_spec: dict, behavior_of: Callable, pulls: Callable[[str, str], bool],
               min_ready_seconds: int = 0, horizon: int = HORIZON_MS) -> PodTiming:
    """The timing of a new pod of ``pod_spec`` (a defaulted template's spec).

    ``behavior_of(image)`` is the image's `ImageBehavior`; ``pulls(image, policy)`` says
    whether the kubelet pulls it (not on the node yet, or imagePullPolicy Always).
    """
    containers = tuple(
        container_timing(i, spec, behavior_of(spec["image"]),
                         pulls(spec["image"], spec.get("imagePullPolicy", "IfNotPresent")), horizon)
        for i, spec in enumerate(pod_spec.get("containers") or []))
    return PodTiming(containers, (min_ready_seconds or 0) * 1000)


def container_timing(index: int, spec: dict, behavior, pulls: bool,
                     horizon: int = HORIZON_MS) -> ContainerTiming:
    """One container: sandbox, pull (when ``pulls``), start, then its probes run on their
    period grid, anchored at admission (0), as the kubelet runs them."""
    image = spec["image"]
    pull_ms = ms(behavior.pull_seconds()) if pulls else 0
    if pulls and behavior.pull_error():
        return ContainerTiming(index, image, pull_ms, None, None, PULL_FAILS,
                               f"{behavior.pull_error()}")
    running = SANDBOX_MS + pull_ms
    exit_at = None
    exit_after = behavior.exit_after()
    if exit_after is not None:
        exit_at = running + ms(exit_after[0])
    workers = probes.workers_for_container(spec, 0)
    for worker in workers.values():
        worker.skip_to(running)
    started = _started_at(workers.get(probes.STARTUP), spec, behavior, running, horizon)
    base = ContainerTiming(index, image, pull_ms, running, None)
    if started is None:
        return _failed(base, STARTUP_FAILS, _probe_text(spec, probes.STARTUP)
                       + " never passes: the container is restarted again and again")
    ready, runs = _ready_at(workers.get(probes.READINESS), spec, behavior, running, started, horizon)
    killed = _killed_at(workers.get(probes.LIVENESS), spec, behavior, running, started,
                        horizon if ready is None else ready + horizon)
    first_stop = min((t for t in (exit_at, killed) if t is not None), default=None)
    if ready is not None and (first_stop is None or first_stop > ready):
        later = ""
        if first_stop is not None:
            what = ("its process exits" if first_stop == exit_at
                    else "its liveness probe fails and the kubelet kills it")
            later = (f"{(first_stop - running) / 1000:g} s after it starts {what}: "
                     "the container restarts (CrashLoopBackOff)")
        return ContainerTiming(index, image, pull_ms, running, ready, later=later, probe_runs=runs)
    if first_stop is not None and first_stop == exit_at:
        return _failed(base, EXITS, f"the process exits {exit_after[0]:g} s after it starts, "
                                    "before it is ready: CrashLoopBackOff")
    if first_stop is not None:
        return _failed(base, LIVENESS_KILLS, f"{_probe_text(spec, probes.LIVENESS)} fails "
                       f"{(first_stop - running) / 1000:g} s after the start, before it is ready: "
                       "the container is killed and restarted")
    return _failed(base, READINESS_FAILS, f"{_probe_text(spec, probes.READINESS)} never passes")


def _failed(base: ContainerTiming, problem: str, detail: str) -> ContainerTiming:
    return ContainerTiming(base.index, base.image, base.pull_ms, base.running_ms, None, problem, detail)


def _attempt(worker, now: int, spec: dict, behavior, running: int, started: bool):
    return worker.run(now, container_id="whatif", running=True, started_at=running,
                      started=started, pod_ip=PROBE_IP, behavior=behavior, container=spec)


def _started_at(worker, spec, behavior, running: int, horizon: int) -> int | None:
    """When the startup probe first passes (the start itself without one); None: never."""
    if worker is None:
        return running
    while (now := worker.next_run_at()) is not None and now <= horizon:
        run = _attempt(worker, now, spec, behavior, running, started=False)
        if run.kill:
            return None  # killed for failing: a restart starts over and fails the same way
        if worker.result == probes.SUCCESS:
            return now
    return None


def _ready_at(worker, spec, behavior, running: int, started: int, horizon: int) -> tuple[int | None, int]:
    """When readiness passes (started, without a readiness probe) and the attempts it took.

    The kubelet runs it once at once when the container has started (UpdatePodStatus), then
    on its grid."""
    if worker is None:
        return started, 0
    worker.skip_to(started)
    now, runs = started, 0
    while now is not None and now <= horizon:
        run = _attempt(worker, now, spec, behavior, running, started=True)
        runs += run.attempted
        if worker.result == probes.SUCCESS:
            return now, runs
        now = worker.next_run_at()
    return None, runs


def _killed_at(worker, spec, behavior, running: int, started: int, until: int) -> int | None:
    """When the liveness probe kills the container (None: not before ``until``)."""
    if worker is None:
        return None
    worker.skip_to(started)
    while (now := worker.next_run_at()) is not None and now <= until:
        if _attempt(worker, now, spec, behavior, running, started=True).kill:
            return now
    return None


def _probe_text(spec: dict, probe_type: str) -> str:
    """"the readiness probe (httpGet :8080/healthz)" in plain words."""
    probe = spec.get(probes.SPEC_FIELDS[probe_type]) or {}
    if probe.get("httpGet"):
        http = probe["httpGet"]
        how = f"httpGet :{http.get('port')}{http.get('path') or '/'}"
    elif probe.get("tcpSocket"):
        how = f"tcpSocket :{probe['tcpSocket'].get('port')}"
    elif probe.get("exec"):
        how = "exec " + " ".join(str(a) for a in (probe["exec"].get("command") or []))
    else:
        how = "grpc"
    return f"the {probe_type} probe ({how})"
