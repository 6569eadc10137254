"""Probe workers as pkg/kubelet/prober runs them (worker.go doProbe, prober.go, pkg/probe).

Workers count the engine's integer milliseconds; the timelines below are in seconds (as the
probes' fields are), converted by S at the worker's edge."""
import json
from dataclasses import dataclass, field

import pytest

from simulator.kubelet.probes import (
    FAILURE,
    LIVENESS,
    READINESS,
    STARTUP,
    SUCCESS,
    UNKNOWN,
    ProbeWorker,
    container_ready,
    container_started,
    kill_message,
    run_probe,
    workers_for_container,
)

POD_IP = "10.1.0.5"
S = 1000   # milliseconds per second


@dataclass
class FakeImage:
    """Image behaviour double: answers given as functions of uptime (contracts.md ImageBehavior)."""
    status: object = 200                    # int, None (refused) or callable(uptime)
    delay: float = 0.0
    tcp_from: float | None = 0.0           # port opens at this uptime; None: never
    exec_ok_from: float | None = 0.0       # exec exits 0 from this uptime; None: never
    calls: list = field(default_factory=list)

    def http_status(self, port, path, uptime):
        self.calls.append(("http", port, path, uptime))
        return self.status(uptime) if callable(self.status) else self.status

    def http_delay(self, port, path, uptime):
        return self.delay

    def tcp_open(self, port, uptime):
        return self.tcp_from is not None and uptime >= self.tcp_from

    def exec_exit_code(self, command, uptime):
        return 0 if self.exec_ok_from is not None and uptime >= self.exec_ok_from else 1


def http_probe(path="/healthz", port=3000, **timing):
    return {"httpGet": {"path": path, "port": port}, **timing}


CONTAINER = {"name": "app", "image": "x", "ports": [{"name": "http", "containerPort": 3000}]}


def drive(worker, image, *, started_at=0, until=120, container_id="c1", started=True,
          terminating_from=None):
    """Run the worker on its own tick grid; return [(t, ProbeRun)] for every run (t, the
    arguments: seconds)."""
    runs = []
    while (t := worker.next_run_at()) is not None and t <= until * S:
        run = worker.run(t, container_id=container_id if t >= started_at * S else None,
                         running=t >= started_at * S, started_at=started_at * S, started=started,
                         terminating=terminating_from is not None and t >= terminating_from * S,
                         pod_ip=POD_IP, behavior=image, container=CONTAINER)
        assert t % S == 0
        runs.append((t // S, run))
    return runs


def first_time(runs, predicate):
    return next((t for t, r in runs if predicate(r)), None)


# --- single attempts: outcome and the exact Unhealthy text --------------------------------

@pytest.mark.parametrize(
    "spec, image, outcome, output",
    [
        (http_probe(), FakeImage(status=200), SUCCESS, ""),
        (http_probe(), FakeImage(status=399), SUCCESS, ""),
        (http_probe(), FakeImage(status=199), FAILURE, "HTTP probe failed with statuscode: 199"),
        (http_probe(), FakeImage(status=500), FAILURE, "HTTP probe failed with statuscode: 500"),
        (http_probe(), FakeImage(status=None), FAILURE,
         'Get "http://10.1.0.5:3000/healthz": dial tcp 10.1.0.5:3000: connect: connection refused'),
        (http_probe(timeoutSeconds=1), FakeImage(status=200, delay=1.5), FAILURE,
         'Get "http://10.1.0.5:3000/healthz": context deadline exceeded '
         "(Client.Timeout exceeded while awaiting headers)"),
        (http_probe(timeoutSeconds=2), FakeImage(status=200, delay=1.5), SUCCESS, ""),
        (http_probe(port="http"), FakeImage(status=500), FAILURE, "HTTP probe failed with statuscode: 500"),
        (http_probe(port="metrics"), FakeImage(), "Error", 'strconv.Atoi: parsing "metrics": invalid syntax'),
        (http_probe(port="8080", path="ready"), FakeImage(status=None), FAILURE,
         'Get "http://10.1.0.5:8080/ready": dial tcp 10.1.0.5:8080: connect: connection refused'),
        ({"httpGet": {"port": 80, "scheme": "HTTPS", "host": "example.test", "path": "/"}},
         FakeImage(status=None), FAILURE,
         'Get "https://example.test:80/": dial tcp example.test:80: connect: connection refused'),
        ({"tcpSocket": {"port": 3000}}, FakeImage(tcp_from=None), FAILURE,
         "dial tcp 10.1.0.5:3000: connect: connection refused"),
        ({"tcpSocket": {"port": 3000}}, FakeImage(tcp_from=0), SUCCESS, ""),
        ({"exec": {"command": ["cat", "/tmp/healthy"]}}, FakeImage(exec_ok_from=None), FAILURE, ""),
        ({"exec": {"command": ["cat", "/tmp/healthy"]}}, FakeImage(exec_ok_from=0), SUCCESS, ""),
        ({"grpc": {"port": 9000}}, FakeImage(tcp_from=None), FAILURE,
         'timeout: failed to connect service "10.1.0.5:9000" within 1s'),
    ],
    ids=["http 200", "http 399 (redirect range) succeeds", "http 199 fails", "http 500",
         "http connection refused", "http slower than timeoutSeconds", "http within timeout",
         "named port", "unknown named port is a prober error", "numeric string port, path without slash",
         "https with host", "tcp refused", "tcp open", "exec non-zero exit", "exec exit 0", "grpc not serving"],
)
def test_single_attempt(spec, image, outcome, output):
    assert run_probe(spec, image, 5.0, POD_IP, CONTAINER) == (outcome, output)


# --- worker timelines ---------------------------------------------------------------------

def test_initial_results():
    for ptype, initial in ((READINESS, FAILURE), (LIVENESS, SUCCESS), (STARTUP, UNKNOWN)):
        w = ProbeWorker(ptype, http_probe(), 0)
        assert w.result is None  # nothing until the container exists
        w.run(0, container_id="c1", running=True, started_at=0, started=ptype != STARTUP,
              pod_ip=POD_IP, behavior=FakeImage(), container=CONTAINER,)
        w2 = ProbeWorker(ptype, http_probe(initialDelaySeconds=30), 0)
        run = w2.run(0, container_id="c1", running=True, started_at=0, started=ptype != STARTUP,
                     pod_ip=POD_IP, behavior=FakeImage(), container=CONTAINER)
        assert run.result == initial and not run.attempted


@pytest.mark.parametrize(
    "spec, breaks_at, not_ready_at",
    [
        (http_probe(periodSeconds=10, failureThreshold=3), 30, 50),
        (http_probe(periodSeconds=10, failureThreshold=1), 30, 30),
        (http_probe(periodSeconds=5, failureThreshold=3), 30, 40),
        (http_probe(periodSeconds=10, failureThreshold=3), 25, 50),
    ],
    ids=["readiness period 10 threshold 3: first failure at t, NotReady at t+20",
         "threshold 1: NotReady at the first failure", "period 5 threshold 3: t+10",
         "breaks between ticks: first failure on the next tick"],
)
def test_readiness_failure_threshold(spec, breaks_at, not_ready_at):
    w = ProbeWorker(READINESS, spec, 0)
    runs = drive(w, FakeImage(status=lambda up: 200 if up < breaks_at else 500), until=80)
    assert first_time(runs, lambda r: r.result == SUCCESS) == 0  # container running since admission
    first_failure = first_time(runs, lambda r: r.outcome == FAILURE)
    assert first_failure == -(-breaks_at // spec["periodSeconds"]) * spec["periodSeconds"]
    assert first_time(runs, lambda r: r.changed and r.result == FAILURE) == not_ready_at
    events = [r.event for _, r in runs if r.event]
    assert events and set(events) == {"Readiness probe failed: HTTP probe failed with statuscode: 500"}


@pytest.mark.parametrize(
    "success_threshold, initial_delay, started_at, ready_at",
    [(1, 0, 3, 10), (3, 0, 3, 30), (1, 15, 3, 20), (1, 5, 2, 10), (1, 8, 2, 10), (1, 9, 2, 20)],
    ids=["ready on the first tick after start", "successThreshold 3: three ticks",
         "initialDelaySeconds 15", "delay 5 from t=2 passes at the t=10 tick",
         "8 whole seconds: 10-2=8 passes", "9 > 8 whole seconds: waits a tick"],
)
def test_readiness_becomes_ready(success_threshold, initial_delay, started_at, ready_at):
    spec = http_probe(successThreshold=success_threshold, initialDelaySeconds=initial_delay)
    w = ProbeWorker(READINESS, spec, 0)
    runs = drive(w, FakeImage(status=200), started_at=started_at, until=60)
    assert first_time(runs, lambda r: r.result == SUCCESS) == ready_at


def test_liveness_image_restarts_after_15s_plus_threshold_times_period():
    # hellok8s:liveness: /healthz 200 for 15 s, then 500; defaults period 10, threshold 3
    w = ProbeWorker(LIVENESS, http_probe(), 0)
    runs = drive(w, FakeImage(status=lambda up: 200 if up < 15 else 500), until=100)
    kills = [t for t, r in runs if r.kill]
    assert kills == [40]  # failures at 20, 30, 40 (uptime 20..40 > 15)
    assert [t for t, r in runs if r.event] == [20, 30, 40]
    assert runs[-1][1].event is None and w.on_hold  # no probing until a new container
    assert kill_message(LIVENESS, "app") == "Container app failed liveness probe, will be restarted"
    # the restarted container: result back to Success, probing resumes, same threshold again
    later = [w.run(t * S, container_id="c2", running=True, started_at=41 * S, started=True,
                   pod_ip=POD_IP, behavior=FakeImage(status=lambda up: 200 if up < 15 else 500),
                   container=CONTAINER)
             for t in (50, 60, 70, 80, 90)]
    assert later[0].result == SUCCESS and later[0].attempted
    assert [r.kill for r in later] == [False, False, False, True, False]  # uptimes 9,19,29,39 then on hold


def test_startup_gates_readiness_and_liveness():
    image = FakeImage(tcp_from=25, status=200)
    container = {**CONTAINER, "startupProbe": {"tcpSocket": {"port": 3000}, "periodSeconds": 5,
                                               "failureThreshold": 30},
                 "readinessProbe": http_probe(), "livenessProbe": http_probe()}
    workers = workers_for_container(container, 0)
    assert list(workers) == [STARTUP, READINESS, LIVENESS]
    ready_at = started_at_time = None
    for t in range(0, 61):
        started = container_started(workers[STARTUP], True, "c1")
        for ptype, w in workers.items():
            if w.next_run_at() is not None and t * S >= w.next_run_at():
                run = w.run(t * S, container_id="c1", running=True, started_at=0, started=started,
                            pod_ip=POD_IP, behavior=image, container=container)
                if ptype != STARTUP and not started:
                    assert not run.attempted
        if started and started_at_time is None:
            started_at_time = t
        if container_ready(workers[READINESS], True, container_started(workers[STARTUP], True, "c1"), "c1") \
                and ready_at is None:
            ready_at = t
    assert started_at_time == 26   # startup succeeds on its t=25 tick (port opens at 25); seen next status
    assert ready_at == 30          # readiness' next tick on its own 10 s grid
    assert workers[STARTUP].result == SUCCESS


def test_startup_failure_threshold_kills():
    w = ProbeWorker(STARTUP, {"tcpSocket": {"port": 3000}, "periodSeconds": 10, "failureThreshold": 3}, 0)
    runs = drive(w, FakeImage(tcp_from=None), started=False, until=40)
    assert [t for t, r in runs if r.kill] == [20]
    assert runs[0][1].event == "Startup probe failed: dial tcp 10.1.0.5:3000: connect: connection refused"
    assert kill_message(STARTUP, "app") == "Container app failed startup probe, will be restarted"
    assert kill_message(LIVENESS, "app", restart=False) == "Container app failed liveness probe"


def test_unknown_port_errors_are_discarded():
    w = ProbeWorker(LIVENESS, http_probe(port="metrics", failureThreshold=1), 0)
    runs = drive(w, FakeImage(), until=50)
    assert all(r.event == 'Liveness probe errored: strconv.Atoi: parsing "metrics": invalid syntax'
               for _, r in runs)
    assert not any(r.kill for _, r in runs) and w.result == SUCCESS


def test_terminating_pod_stops_liveness_but_not_readiness():
    image = FakeImage(status=500)
    live = ProbeWorker(LIVENESS, http_probe(failureThreshold=5), 0)
    ready = ProbeWorker(READINESS, http_probe(), 0)
    live_runs = drive(live, image, until=60, terminating_from=25)
    ready_runs = drive(ready, image, until=60, terminating_from=25)
    assert live.stopped and live.result == SUCCESS and live.next_run_at() is None
    assert [t for t, _ in live_runs] == [0, 10, 20, 30]
    assert not any(r.kill for _, r in live_runs)
    assert [t for t, r in ready_runs if r.attempted] == [0, 10, 20, 30, 40, 50, 60]


def test_not_running_container_is_failure_and_new_container_resets():
    w = ProbeWorker(READINESS, http_probe(), 0)
    kwargs = dict(pod_ip=POD_IP, behavior=FakeImage(status=200), container=CONTAINER)
    assert w.run(0, container_id="c1", running=True, started_at=0, started=True, **kwargs).result == SUCCESS
    run = w.run(10 * S, container_id="c1", running=False, started_at=0, started=False, **kwargs)
    assert run.result == FAILURE and run.changed and not run.attempted
    # restartPolicy Never and the container terminated: the worker stops
    stop = ProbeWorker(READINESS, http_probe(), 0)
    assert not stop.run(0, container_id="c1", running=False, restart_never=True, **kwargs).keep_going
    assert stop.stopped
    # pod finished: stop
    fin = ProbeWorker(LIVENESS, http_probe(), 0)
    assert not fin.run(0, container_id="c1", running=True, pod_finished=True, **kwargs).keep_going


def test_result_run_survives_a_new_container():
    # worker.go does not reset lastResult/resultRun when the container ID changes
    w = ProbeWorker(READINESS, http_probe(successThreshold=2), 0)
    kwargs = dict(running=True, started=True, pod_ip=POD_IP, behavior=FakeImage(status=200), container=CONTAINER)
    w.run(0, container_id="c1", started_at=0, **kwargs)
    assert w.run(10 * S, container_id="c1", started_at=0, **kwargs).result == SUCCESS
    run = w.run(20 * S, container_id="c2", started_at=20 * S, **kwargs)
    assert run.result == SUCCESS and w.result_run == 3


def test_manual_run_keeps_the_grid():
    w = ProbeWorker(READINESS, http_probe(), 100 * S)
    kwargs = dict(container_id="c1", running=True, started_at=100 * S, started=True, pod_ip=POD_IP,
                  behavior=FakeImage(), container=CONTAINER)
    assert w.next_run_at() == 100 * S
    w.run(100 * S, **kwargs)
    assert w.next_run_at() == 110 * S
    w.run(104 * S, **kwargs)       # manual trigger (UpdatePodStatus)
    assert w.next_run_at() == 110 * S
    w.run(110 * S - 1, **kwargs)   # a millisecond early is still a manual run
    assert w.next_run_at() == 110 * S
    w.run(135 * S, **kwargs)       # late: ticks that passed are dropped, as Go's ticker does
    assert w.next_run_at() == 140 * S
    w.run(140 * S, **kwargs)       # exactly on the tick: consumes it, the next is a period on
    assert w.next_run_at() == 150 * S


@pytest.mark.parametrize("started, running, cid, expected", [
    (True, True, "c1", True), (True, False, "c1", False), (True, True, "c2", False), (False, True, "c1", False)],
    ids=["ready", "not running", "new container without a result", "not started"])
def test_container_ready(started, running, cid, expected):
    w = ProbeWorker(READINESS, http_probe(), 0)
    w.run(0, container_id="c1", running=True, started_at=0, started=True, pod_ip=POD_IP,
          behavior=FakeImage(), container=CONTAINER)
    assert container_ready(w, running, started, cid) is expected
    assert container_ready(None, running, started, cid) is (started and running)


def test_container_started_without_startup_probe():
    assert container_started(None, True, "c1") and not container_started(None, False, "c1")
    w = ProbeWorker(STARTUP, http_probe(), 0)
    assert not container_started(w, True, "c1")


def test_snapshot_round_trip_gives_same_future():
    image = FakeImage(status=lambda up: 200 if up < 15 else 500)
    live = ProbeWorker(LIVENESS, http_probe(periodSeconds=3, failureThreshold=2), 7 * S)
    drive(live, image, started_at=8, until=20)
    copy = ProbeWorker.from_dict(json.loads(json.dumps(live.to_dict())))
    assert copy == live
    a = [(t, r) for t, r in drive(live, image, started_at=8, until=60)]
    b = [(t, r) for t, r in drive(copy, image, started_at=8, until=60)]
    assert a == b and any(r.kill for _, r in a)


# --- against the built-in image catalogue (the seed tutorials' images) ----------------------

def catalogue_image(name):
    from simulator.kubelet.images import ImageCatalogue
    return ImageCatalogue().lookup(name)


def test_seed_liveness_image_restarts_after_15s_plus_threshold_periods():
    # seed 000: livenessProbe httpGet /healthz :3000, initialDelaySeconds 3, periodSeconds 3
    w = ProbeWorker(LIVENESS, http_probe(initialDelaySeconds=3, periodSeconds=3), 0)
    runs = drive(w, catalogue_image("guangzhengli/hellok8s:liveness"), started_at=3, until=40)
    assert [t for t, r in runs if r.attempted][0] == 6          # uptime 3 = initialDelaySeconds
    assert [t - 3 for t, r in runs if r.event] == [15, 18, 21]  # 500 from uptime 15
    assert [t - 3 for t, r in runs if r.kill] == [15 + (3 - 1) * 3]
    assert {r.event for _, r in runs if r.event} == {"Liveness probe failed: HTTP probe failed with statuscode: 500"}


def test_seed_bad_image_never_ready():
    # seed 000: readinessProbe httpGet /healthz :3000, initialDelaySeconds 1, successThreshold 5
    w = ProbeWorker(READINESS, http_probe(initialDelaySeconds=1, successThreshold=5), 0)
    runs = drive(w, catalogue_image("guangzhengli/hellok8s:bad"), started_at=3, until=120)
    assert all(r.result == FAILURE for _, r in runs if r.result is not None)
    assert {r.event for _, r in runs if r.attempted} == {
        "Readiness probe failed: HTTP probe failed with statuscode: 500"}


def test_slow_fastapi_image_refuses_then_times_out():
    # seed 004's app listens after 15 s and /version takes 15 s to answer
    w = ProbeWorker(READINESS, http_probe(path="/version", port=8000, periodSeconds=5), 0)
    runs = drive(w, catalogue_image("dejan1998/k8s-rollout-demo:v0.1"), started_at=0, until=30)
    events = {t: r.event for t, r in runs if r.event}
    assert events[10] == ('Readiness probe failed: Get "http://10.1.0.5:8000/version": '
                          "dial tcp 10.1.0.5:8000: connect: connection refused")
    assert events[20] == ('Readiness probe failed: Get "http://10.1.0.5:8000/version": context deadline exceeded '
                          "(Client.Timeout exceeded while awaiting headers)")
    assert w.result == FAILURE


# --- properties -----------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(period=st.integers(1, 15), success=st.integers(1, 4), failure=st.integers(1, 5),
       delay=st.integers(0, 20), flips=st.lists(st.integers(0, 200), max_size=6),
       split=st.integers(0, 200), ptype=st.sampled_from([READINESS, LIVENESS]))
def test_restored_worker_has_the_same_future(period, success, failure, delay, flips, split, ptype):
    def status(uptime):  # healthy, with the answer flipping at each time in `flips`
        return 500 if sum(1 for f in flips if uptime >= f) % 2 else 200

    image = FakeImage(status=status)
    spec = http_probe(periodSeconds=period, failureThreshold=failure, initialDelaySeconds=delay,
                      successThreshold=success if ptype == READINESS else 1)
    live = ProbeWorker(ptype, spec, 2 * S)
    drive(live, image, started_at=4, until=split)
    copy = ProbeWorker.from_dict(json.loads(json.dumps(live.to_dict())))
    assert drive(live, image, started_at=4, until=300) == drive(copy, image, started_at=4, until=300)


@settings(max_examples=60, deadline=None)
@given(period=st.integers(1, 15), failure=st.integers(1, 5), flips=st.lists(st.integers(0, 200), max_size=6))
def test_result_changes_only_after_threshold_identical_attempts(period, failure, flips):
    def status(uptime):
        return 500 if sum(1 for f in flips if uptime >= f) % 2 else 200

    w = ProbeWorker(READINESS, http_probe(periodSeconds=period, failureThreshold=failure), 0)
    outcomes, previous = [], None
    for _, run in drive(w, FakeImage(status=status), until=300):
        outcomes.append(run.outcome)
        if run.changed and previous is not None:  # the first run only sets the initial Failure
            need = failure if run.result == FAILURE else 1
            assert outcomes[-need:] == [run.result] * need
        previous = run.result
