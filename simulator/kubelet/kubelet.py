"""The kubelet: admits pods bound to its node, pulls images, starts containers, runs probes,
restarts crashed or unhealthy containers with back-off, and carries out graceful deletion.

Every pod has at most one live timer (`pod.wake`); a sync handles everything due for the
pod at that moment and arms the next wake-up, so idle pods cost nothing. Times are the
engine's integer milliseconds: something is due exactly when the clock has reached it.

Why a sync always ends: every action sets its container's next action strictly later or
hands over to the next one (a kill to the restart, a start to the pull or the run), and a
probe run consumes its periodSeconds tick. So one container runs each action and each
probe at most once per instant and container instance (a new instance may follow a kill,
and the restart after it is either the one the back-off lets through at once or held:
at most two instances start in one instant). A second run, or a third start, at the same
instant would find the same state again: EngineStuck names it. The next wake-up is
strictly after the sync's instant (Store.rearm).
"""
from __future__ import annotations

from functools import lru_cache

from simulator.errors import EngineStuck
from simulator.kubelet import backoff as backoff_math
from simulator.kubelet import probes
from simulator.objects import Container, Pod
from simulator.store import NAMESPACE, Store
from simulator.timers import ms

COMPONENT = "kubelet"
STARTS_PER_INSTANT = 2     # a start, and the restart back-off lets through after a kill
SANDBOX_MS = 1_000         # pod sandbox + network set-up before the first container action
PLEG_MS = 1_000            # the pod lifecycle event generator notices a dead container
ERROR_RESYNC_MS = 10_000   # a pod worker retries a failed sync after this long


def on_timer(store: Store, name: str, due: int) -> None:
    """Timer entry point: run the pod's sync if this wake-up is still the current one."""
    pod = store.pods.get(name)
    if pod is None or pod.wake != due or pod.node is None:
        return
    pod.wake = None
    if not store.nodes[pod.node].ready:
        return  # the kubelet is down; set_node_ready(True) wakes its pods again
    sync_pod(store, pod)


def sync_pod(store: Store, pod: Pod) -> None:
    """Do everything due for the pod now, refresh its status and arm the next wake-up."""
    now = store.time
    if pod.admitted_at is None and pod.deletion_time is None:
        _admit(store, pod)
    if pod.deletion_time is not None:
        _terminate(store, pod)
        if pod.name not in store.pods:
            return
    else:
        done: set = set()   # (container index, container ID, action or probe) run in this sync
        while _run_due(store, pod, now, done):
            pass
    _refresh_status(store, pod)
    _arm(store, pod)


# --- admission and container actions ---------------------------------------------------
def _admit(store: Store, pod: Pod) -> None:
    node = store.nodes[pod.node]
    pod.admitted_at = store.time
    pod.initialized_at = store.time
    # addresses of the node's /24, handed out in turn (a real node runs at most 110 pods,
    # so wrapping around never reuses a live pod's address there)
    pod.ip = f"10.244.{node.index}.{2 + (node.next_ip - 2) % 253}"
    node.next_ip += 1
    for c, spec in zip(pod.containers, pod.spec["containers"]):
        c.probes = probes.workers_for_container(spec, store.time)
        c.due, c.due_action = store.time + SANDBOX_MS, "start"
    store.changed("Pod", pod)


def _run_due(store: Store, pod: Pod, now: int, done: set) -> bool:
    """Run one due container action or probe; False when nothing is due. `done` holds what
    this sync already ran: running it again at the same instant is a spin."""
    for i, c in enumerate(pod.containers):
        if c.due is not None and c.due <= now:
            action, c.due, c.due_action = c.due_action, None, None
            _once(store, pod, c, action, done, i)
            _ACTIONS[action](store, pod, c, pod.spec["containers"][i])
            store.changed("Pod", pod)
            return True
    for i, c in enumerate(pod.containers):
        if c.state != "running":
            continue
        for ptype, worker in c.probes.items():
            due = worker.next_run_at()
            if due is not None and due <= now:
                _once(store, pod, c, ptype, done, i)
                _probe(store, pod, c, pod.spec["containers"][i], ptype, worker)
                return True
    return False


def _once(store: Store, pod: Pod, c: Container, what: str, done: set, index: int) -> None:
    """Note that the container action or probe `what` runs in this sync for the container
    instance there is now, or stop the engine if it already did (or if a third instance
    would start)."""
    key = (index, c.container_id, what)
    if key in done:
        kind = "probe" if what in probes.PROBE_TYPES else "action"
        raise EngineStuck("Pod", pod.name, f"container {c.name!r} {what} {kind}", store.time,
                          "due again at the same instant after it ran")
    if what == "restart" and sum(1 for k in done if k[0] == index and k[2] == "restart") \
            >= STARTS_PER_INSTANT:
        raise EngineStuck("Pod", pod.name, f"container {c.name!r} restart action", store.time,
                          f"more than {STARTS_PER_INSTANT} restarts at the same instant")
    done.add(key)


def _event(store, pod, c, type_, reason, message):
    store.record_event("Pod", pod, type_, reason, message, COMPONENT, pod.node,
                       _field_path(c.name) if c else None)


@lru_cache(maxsize=256)
def _field_path(container: str) -> str:
    # one string per container name instead of one per event
    return f"spec.containers{{{container}}}"


@lru_cache(maxsize=1024)
def _text(template: str, *args) -> str:
    """An event message; the same few texts (per image, per container name) recur for
    every pod, so one string each serves all their events and correlator keys."""
    return template.format(*args)


def _start(store: Store, pod: Pod, c: Container, spec: dict) -> None:
    """Ensure the image is there (pull, or back-off), then create and start the container."""
    node = store.nodes[pod.node]
    policy = spec.get("imagePullPolicy", "IfNotPresent")
    if policy != "Always" and c.image in node.images:
        _event(store, pod, c, "Normal", "Pulled",
               _text('Container image "{}" already present on machine', c.image))
        _run_container(store, pod, c, spec)
        return
    key = backoff_math.pull_key(pod.uid, c.image)
    if store.pull_backoff.in_backoff(key, store.time):
        message = backoff_math.image_pull_backoff_message(c.image)
        _wait(c, "ImagePullBackOff", message)
        _event(store, pod, c, "Normal", "BackOff", message)
        _event(store, pod, c, "Warning", "Failed", "Error: ImagePullBackOff")
        # the window ends after now (in_backoff); the pod worker looks again at most
        # ERROR_RESYNC_MS later
        c.due = min(store.pull_backoff.release_at(key), store.time + ERROR_RESYNC_MS)
        c.due_action = "start"
        return
    _event(store, pod, c, "Normal", "Pulling", _text('Pulling image "{}"', c.image))
    if c.state == "waiting" and c.reason in ("ErrImagePull", "ImagePullBackOff"):
        _wait(c, "ContainerCreating", None)
    behavior = store.behavior(c.image)
    c.due, c.due_action = store.time + ms(behavior.pull_seconds()), "pulled"


def _pulled(store: Store, pod: Pod, c: Container, spec: dict) -> None:
    behavior = store.behavior(c.image)
    error = behavior.pull_error()
    if error:
        store.pull_backoff.failed(backoff_math.pull_key(pod.uid, c.image), store.time)
        _wait(c, "ErrImagePull", error)
        _event(store, pod, c, "Warning", "Failed", error)
        _event(store, pod, c, "Warning", "Failed", "Error: ErrImagePull")
        # the status update makes the pod worker sync again almost at once
        c.due, c.due_action = store.time + PLEG_MS, "start"
        return
    seconds = behavior.pull_seconds()
    store.nodes[pod.node].images[c.image] = None
    _event(store, pod, c, "Normal", "Pulled",
           _text('Successfully pulled image "{}" in {} ({} including waiting)', c.image,
                 backoff_math.go_duration(seconds), backoff_math.go_duration(seconds)))
    _run_container(store, pod, c, spec)


def _run_container(store: Store, pod: Pod, c: Container, spec: dict) -> None:
    now = store.time
    if c.container_id is not None:  # a restart: the old container becomes lastState
        if c.state == "terminated":
            c.last_state = _as_last_state(c)
        c.restart_count += 1
    c.container_id = "containerd://" + f"{store.rng.getrandbits(256):064x}"
    c.state, c.reason, c.message = "running", None, None
    c.started_at, c.finished_at, c.exit_code = now, None, None
    for worker in c.probes.values():
        worker.skip_to(now)
    _event(store, pod, c, "Normal", "Created", _text("Created container {}", c.name))
    _event(store, pod, c, "Normal", "Started", _text("Started container {}", c.name))
    plan_exit(store, c)
    _update_probe_results(store, pod, c, spec, manual_readiness=True)


def plan_exit(store: Store, c: Container) -> bool:
    """A running container exits when its image behaviour says (an uptime); a behaviour
    applied while it runs moves or cancels that moment (at the earliest, now). True if the
    plan changed."""
    if c.state != "running":
        return False
    before = c.due
    exit_after = store.behavior(c.image).exit_after()
    if exit_after is None:
        c.due = c.due_action = None
    else:
        c.due, c.due_action = max(c.started_at + ms(exit_after[0]), store.time), "exit"
    return c.due != before


def _exit(store: Store, pod: Pod, c: Container, spec: dict) -> None:
    """The process exited by itself (the image behaviour says when and how)."""
    _, code, reason = store.behavior(c.image).exit_after()
    _terminated(c, store.time, code, reason)
    c.due, c.due_action = store.time + PLEG_MS, "restart"


def _kill(store: Store, pod: Pod, c: Container, ptype: str) -> None:
    """Liveness or startup probe failed failureThreshold times: kill, then restart."""
    _event(store, pod, c, "Normal", "Killing", probes.kill_message(ptype, c.name))
    _terminated(c, store.time, 137, "Error")
    c.due, c.due_action = store.time, "restart"


def _restart(store: Store, pod: Pod, c: Container, spec: dict) -> None:
    """restartPolicy Always: restart now, or wait in CrashLoopBackOff."""
    key = backoff_math.restart_key(pod.name, NAMESPACE, pod.uid, c.name)
    wait = store.restart_backoff.check(key, c.finished_at, store.time)
    if wait <= 0:
        _start(store, pod, c, spec)
        return
    delay = store.restart_backoff.delay(key)
    if c.state == "terminated":
        c.last_state = _as_last_state(c)
    c.state, c.reason = "waiting", "CrashLoopBackOff"
    c.message = backoff_math.crash_loop_message(delay, c.name, pod.name, NAMESPACE, pod.uid)
    _event(store, pod, c, "Warning", "BackOff",
           backoff_math.crash_loop_event_message(c.name, pod.name, NAMESPACE, pod.uid))
    c.due = store.time + min(wait, ERROR_RESYNC_MS)   # wait > 0: strictly later
    c.due_action = "restart"


_ACTIONS = {"start": _start, "pulled": _pulled, "exit": _exit, "restart": _restart}


def _as_last_state(c: Container) -> dict:
    return {"exit_code": c.exit_code, "reason": c.reason, "started_at": c.started_at,
            "finished_at": c.finished_at, "container_id": c.container_id}


def _wait(c: Container, reason: str, message: str | None) -> None:
    c.state, c.reason, c.message = "waiting", reason, message
    c.ready = False
    c.started = False


def _terminated(c: Container, now: int, code: int, reason: str) -> None:
    c.state, c.reason, c.message = "terminated", reason, None
    c.exit_code, c.finished_at = code, now
    c.ready = False
    c.started = False


# --- probes ----------------------------------------------------------------------------
def _probe(store: Store, pod: Pod, c: Container, spec: dict, ptype: str, worker) -> None:
    run = worker.run(store.time, container_id=c.container_id, running=c.state == "running",
                     started_at=c.started_at, started=c.started,
                     terminating=pod.deletion_time is not None, pod_ip=pod.ip,
                     behavior=store.behavior(c.image), container=spec)
    if run.event:
        _event(store, pod, c, "Warning", "Unhealthy", run.event)
    if run.kill:
        _kill(store, pod, c, ptype)
        store.changed("Pod", pod)
        return
    if run.changed:
        before = (c.started, c.ready)
        _update_probe_results(store, pod, c, spec, manual_readiness=ptype == probes.STARTUP)
        if (c.started, c.ready) != before:   # a stored result alone shows nowhere
            store.changed("Pod", pod)


def _update_probe_results(store, pod, c, spec, manual_readiness: bool) -> None:
    """Recompute started/ready from the workers; a started, not-ready container gets an
    immediate readiness run (the kubelet's UpdatePodStatus trigger)."""
    running = c.state == "running"
    c.started = probes.container_started(c.probes.get(probes.STARTUP), running, c.container_id)
    readiness = c.probes.get(probes.READINESS)
    c.ready = probes.container_ready(readiness, running, c.started, c.container_id)
    if manual_readiness and c.started and not c.ready and readiness is not None:
        run = readiness.run(store.time, container_id=c.container_id, running=running,
                            started_at=c.started_at, started=c.started, pod_ip=pod.ip,
                            behavior=store.behavior(c.image), container=spec)
        if run.event:
            _event(store, pod, c, "Warning", "Unhealthy", run.event)
        c.ready = probes.container_ready(readiness, running, c.started, c.container_id)


# --- termination -----------------------------------------------------------------------
def _terminate(store: Store, pod: Pod) -> None:
    now = store.time
    if pod.terminate_at is None:
        running = [c for c in pod.containers if c.state == "running"]
        for c in running:
            _event(store, pod, c, "Normal", "Killing", _text("Stopping container {}", c.name))
        for c in pod.containers:
            c.due = c.due_action = None
            for ptype in (probes.LIVENESS, probes.STARTUP):
                if ptype in c.probes:
                    c.probes[ptype].stop()  # shutdown stays quiet
        stop = 0
        for c in running:
            stop = max(stop, ms(store.behavior(c.image).shutdown_seconds()))
        pod.terminate_at = now + min(pod.grace * 1000, stop)
    if now < pod.terminate_at:
        return
    for c in pod.containers:
        if c.state == "running":
            _terminated(c, now, 0, "Completed")
        # (the keys are only built when a table has entries: most rollouts never back off)
        if store.restart_backoff:
            store.restart_backoff.reset(
                backoff_math.restart_key(pod.name, NAMESPACE, pod.uid, c.name))
        if store.pull_backoff:
            store.pull_backoff.reset(backoff_math.pull_key(pod.uid, c.image))
    store.remove_pod(pod)


# --- status ----------------------------------------------------------------------------
def _refresh_status(store: Store, pod: Pod) -> None:
    """Phase and Ready from the containers; Ready transitions start the availability clock."""
    phase = "Running"
    ready = not pod.not_ready_by_node
    for c in pod.containers:   # a loop, not any()/all(): this runs on every sync
        if c.state == "waiting" and c.last_state is None and c.restart_count == 0:
            phase = "Pending"   # a container that never ran
        if not c.ready:
            ready = False
    if phase != pod.phase:
        pod.phase = phase
        store.changed("Pod", pod)
    set_ready(store, pod, ready)
    store.recount(pod)


def set_ready(store: Store, pod: Pod, ready: bool) -> None:
    """Flip the pod's Ready condition; availability follows after minReadySeconds."""
    if ready == pod.ready:
        return
    pod.ready = ready
    pod.ready_since = store.time
    pod.available = False
    if ready:
        rs = store.owner_of(pod)
        min_ready = rs.min_ready_seconds if rs is not None else 0
        if min_ready <= 0:
            pod.available = True
        else:
            store.timers.schedule(store.time + min_ready * 1000, "available", pod.name)
    store.pod_changed(pod)


def on_available_timer(store: Store, name: str, due: int) -> None:
    """minReadySeconds have passed since the pod became Ready: it now counts as available
    (if the ReplicaSet's minReadySeconds grew meanwhile, look again when they have)."""
    pod = store.pods.get(name)
    if pod is None or not pod.ready or pod.available:
        return
    rs = store.owner_of(pod)
    min_ready = rs.min_ready_seconds if rs is not None else 0
    available_at = pod.ready_since + min_ready * 1000
    if available_at <= store.time:
        pod.available = True
        store.recount(pod)
    elif rs is not None:
        store.rearm(available_at, "available", pod.name, "Pod", "minReadySeconds timer")


def on_catalogue_change(store: Store) -> None:
    """Image behaviours were (re)defined: running containers follow the new description
    (when they exit) and every kubelet looks at its pods again."""
    for pod in store.pods.values():
        if not pod.node or not store.nodes[pod.node].ready:
            continue
        replanned = False
        if pod.deletion_time is None:
            for c in pod.containers:
                replanned = plan_exit(store, c) or replanned
        if pod.wake is None or replanned:
            store.wake_pod(pod)


def _arm(store: Store, pod: Pod) -> None:
    """Schedule the pod's next wake-up: its earliest container action or probe, or, once
    it is being deleted, the end of its shutdown. The sync ran everything due, so that is
    strictly later (Store.rearm holds it to that)."""
    if pod.deletion_time is not None:
        wake = pod.terminate_at
    else:
        wake = None
        for c in pod.containers:
            if c.due is not None and (wake is None or c.due < wake):
                wake = c.due
            if c.state == "running":
                for worker in c.probes.values():
                    due = worker.next_run_at()
                    if due is not None and (wake is None or due < wake):
                        wake = due
    if wake is not None and wake != pod.wake:
        pod.wake = store.rearm(wake, "kubelet", pod.name, "Pod", "kubelet sync")
