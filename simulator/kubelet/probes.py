"""Probe workers: the kubelet's startup/readiness/liveness probing of one container.

Mirrors ``pkg/kubelet/prober`` (worker.go doProbe, prober_manager.go UpdatePodStatus,
prober.go, ``pkg/probe/http|tcp|exec``) as pure, deterministic Python. One
``ProbeWorker`` per (pod, container, probe type), created when the pod is admitted to the
node. It holds the consecutive-result counters and the stored result; it knows when it
next needs to run, and it snapshots to plain dicts.

API (used by the engine's kubelet)::

    workers = workers_for_container(container_spec, admitted_at)   # startup, readiness, liveness
    w = ProbeWorker(READINESS, probe_spec, admitted_at)   # probe_spec as in the pod spec
    w.next_run_at() -> int | None       # next periodSeconds tick (first: admitted_at); None when stopped
    w.skip_to(now)                      # the container runs from now: ticks before it did nothing
    w.run(now, container_id=..., running=..., started_at=..., started=...,
          terminating=False, pod_finished=False, restart_never=False,
          pod_ip="10.1.0.5", behavior=image_behavior, container=container_spec) -> ProbeRun
        # one doProbe. Call it when next_run_at() is due (the tick grid advances), or at any
        # other time for a manual run (UpdatePodStatus' immediate readiness trigger; the grid
        # is unchanged). `container_id` changes on every new container (restart): the
        # stored result goes back to the initial value and a worker on hold resumes.
    w.result -> "Success" | "Failure" | "Unknown" | None   # stored result for the container
    w.stop(); w.stopped
    w.to_dict(); ProbeWorker.from_dict(d)

    container_started(startup_worker, running, container_id) -> bool   # containerStatuses[].started
    container_ready(readiness_worker, running, started, container_id) -> bool
    kill_message(probe_type, container_name)   # Killing event: 'Container app failed liveness probe, will be restarted'
    run_probe(probe_spec, behavior, uptime, pod_ip, container) -> (outcome, output)   # one attempt

Instants (``admitted_at``, ``now``, ``started_at``, ``next_run_at()``) are integer
milliseconds on the simulated clock, so a tick is due exactly when the clock reaches it.

``ProbeRun`` fields: ``attempted`` (a probe was executed), ``outcome``
("Success"/"Failure"/"Error" or None), ``event`` (the Warning Unhealthy event message, e.g.
'Readiness probe failed: HTTP probe failed with statuscode: 500', or None), ``changed``
(the stored result changed), ``result`` (stored result after the run), ``kill`` (liveness or
startup reached failureThreshold: kill and restart the container with
``kill_message``), ``keep_going`` (False: the worker stopped).

Kubernetes details kept on purpose:
* results start as readiness Failure, liveness Success, startup Unknown;
* the ticker grid is anchored at admission and keeps ticking while the container is not
  running (those ticks do nothing: ``skip_to``); nothing happens before whole seconds
  since the container started reach initialDelaySeconds;
* while the startup probe has not succeeded, readiness and liveness do not probe; once it
  has, the startup worker stops probing (it stays, for restarted containers);
* thresholds count consecutive identical results; the run counter is *not* reset when a
  new container appears (only when liveness/startup fail and the worker goes on hold);
* a non-running container's stored result becomes Failure;
* when the pod is terminating, liveness and startup store Success and stop; readiness
  keeps running;
* a probe that cannot run at all (unknown named port) is an error: an 'errored' event and
  the result is thrown away;
* exec probes print the command's output, which our image behaviours do not model, so
  the failure message is 'Liveness probe failed: ' as for a silent command.
"""
from __future__ import annotations

from dataclasses import dataclass

from simulator.kubelet.backoff import go_duration

STARTUP = "startup"
READINESS = "readiness"
LIVENESS = "liveness"
PROBE_TYPES = (STARTUP, READINESS, LIVENESS)  # prober_manager AddPod order
SPEC_FIELDS = {STARTUP: "startupProbe", READINESS: "readinessProbe", LIVENESS: "livenessProbe"}

SUCCESS = "Success"
FAILURE = "Failure"
UNKNOWN = "Unknown"
ERROR = "Error"  # attempt outcome only: the probe could not be run
INITIAL_RESULT = {READINESS: FAILURE, LIVENESS: SUCCESS, STARTUP: UNKNOWN}

PROBE_DEFAULTS = {
    "initialDelaySeconds": 0,
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def defaulted_probe(spec: dict) -> dict:
    """A copy of a probe spec with the API server's defaults for unset timing fields."""
    out = dict(spec)
    for key, value in PROBE_DEFAULTS.items():
        if not out.get(key):  # SetDefaults_Probe: unset or 0 gets the default
            out[key] = value
    return out


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ProbeError(Exception):
    """The probe could not be run (prober error; its result is discarded)."""


def resolve_port(port, container: dict | None) -> int:
    """Resolve an int-or-string probe port as the prober's extractPort does."""
    if isinstance(port, str):
        named = {p.get("name"): p.get("containerPort") for p in (container or {}).get("ports") or []}
        if port in named:
            number = int(named[port])
        else:
            try:
                number = int(port, 10)
            except ValueError:
                raise ProbeError(f'strconv.Atoi: parsing "{port}": invalid syntax') from None
    else:
        number = int(port)
    if not 0 < number < 65536:
        raise ProbeError(f"invalid port number: {number}")
    return number


def run_probe(spec: dict, behavior, uptime: float, pod_ip: str, container: dict | None = None) -> tuple[str, str]:
    """One probe attempt against an image behaviour.

    Returns (outcome, output): outcome "Success" or "Failure" with the text the kubelet puts
    after 'probe failed: ', or "Error" with the prober error's text.
    """
    timeout = (spec.get("timeoutSeconds") or PROBE_DEFAULTS["timeoutSeconds"])
    try:
        if spec.get("exec") is not None:
            command = list(spec["exec"].get("command") or [])
            code = behavior.exec_exit_code(command, uptime)
            return (SUCCESS, "") if code == 0 else (FAILURE, "")
        if spec.get("httpGet") is not None:
            return _http_probe(spec["httpGet"], behavior, uptime, pod_ip, container, timeout)
        if spec.get("tcpSocket") is not None:
            tcp = spec["tcpSocket"]
            port = resolve_port(tcp.get("port"), container)
            addr = _join_host_port(tcp.get("host") or pod_ip, port)
            if behavior.tcp_open(port, uptime):
                return SUCCESS, ""
            return FAILURE, f"dial tcp {addr}: connect: connection refused"
        if spec.get("grpc") is not None:
            port = int(spec["grpc"].get("port"))
            addr = _join_host_port(pod_ip, port)
            if behavior.tcp_open(port, uptime):
                return SUCCESS, ""
            return FAILURE, f'timeout: failed to connect service "{addr}" within {go_duration(timeout)}'
        raise ProbeError("missing probe handler")
    except ProbeError as err:
        return ERROR, str(err)


def _http_probe(http: dict, behavior, uptime, pod_ip, container, timeout) -> tuple[str, str]:
    port = resolve_port(http.get("port"), container)
    scheme = (http.get("scheme") or "HTTP").lower()
    host = http.get("host") or pod_ip
    path = http.get("path") or ""
    if path and not path.startswith("/"):
        path = "/" + path  # url.URL.String() adds the slash when a host is present
    addr = _join_host_port(host, port)
    url = f"{scheme}://{addr}{path}"
    status = behavior.http_status(port, path or "/", uptime)
    if status is None:
        return FAILURE, f'Get "{url}": dial tcp {addr}: connect: connection refused'
    if behavior.http_delay(port, path or "/", uptime) > timeout:
        return FAILURE, (f'Get "{url}": context deadline exceeded '
                         "(Client.Timeout exceeded while awaiting headers)")
    if 200 <= status < 400:
        return SUCCESS, ""
    return FAILURE, f"HTTP probe failed with statuscode: {status}"


def event_message(probe_type: str, outcome: str, output: str) -> str:
    """The Unhealthy event message for a failed or errored attempt."""
    verb = "errored" if outcome == ERROR else "failed"
    return f"{probe_type.capitalize()} probe {verb}: {output}"


def kill_message(probe_type: str, container_name: str, restart: bool = True) -> str:
    """The Killing event message after a liveness/startup failure.

    `restart` False (restartPolicy Never) drops kuberuntime's ', will be restarted'.
    """
    message = f"Container {container_name} failed {probe_type} probe"
    return f"{message}, will be restarted" if restart else message


@dataclass
class ProbeRun:
    """What one worker run did (see the module docstring)."""
    attempted: bool = False
    outcome: str | None = None
    event: str | None = None
    changed: bool = False
    result: str | None = None
    kill: bool = False
    keep_going: bool = True


class ProbeWorker:
    """The probe loop of one container and probe type (prober worker.go)."""

    def __init__(self, probe_type: str, spec: dict, admitted_at: int):
        if probe_type not in PROBE_TYPES:
            raise ValueError(f"unknown probe type {probe_type!r}")
        self.probe_type = probe_type
        self.spec = defaulted_probe(spec)
        self.admitted_at = admitted_at
        self.ticks = 0            # grid ticks consumed; the next is admitted_at + ticks*period
        self.container_id: str | None = None
        self.result: str | None = None
        self.last_result: str | None = None
        self.result_run = 0
        self.on_hold = False
        self.stopped = False

    @property
    def period(self) -> int:
        """periodSeconds in milliseconds."""
        return self.spec["periodSeconds"] * 1000

    def next_run_at(self) -> int | None:
        """The next periodSeconds tick (ms), or None once the worker has stopped."""
        if self.stopped:
            return None
        return self.admitted_at + self.ticks * self.period

    def skip_to(self, now: int) -> None:
        """The container starts running at `now`: the ticks before it found no running
        container (doProbe stored nothing the new container keeps), so the grid moves on to
        the first tick at or after `now`."""
        if not self.stopped and self.next_run_at() < now:
            self.ticks = -(-(now - self.admitted_at) // self.period)

    def stop(self) -> None:
        """Stop probing (pod removed, or StopLivenessAndStartup at termination)."""
        self.stopped = True

    def _set(self, result: str, run: ProbeRun) -> None:
        if self.result != result:
            run.changed = True
        self.result = result

    def run(self, now: int, *, container_id: str | None, running: bool,
            started_at: int | None = None, started: bool = False,
            terminating: bool = False, pod_finished: bool = False,
            restart_never: bool = False, pod_ip: str = "", behavior=None,
            container: dict | None = None) -> ProbeRun:
        """One doProbe at `now`; see the module docstring for the arguments."""
        run = ProbeRun(result=self.result)
        if self.stopped:
            run.keep_going = False
            return run
        if now >= self.next_run_at():
            # a ticker run consumes every tick up to `now` (a time.Ticker drops the ticks a
            # slow receiver missed), so the next one is strictly later; a manual run leaves
            # the grid alone
            self.ticks = (now - self.admitted_at) // self.period + 1
        self._do_probe(now, run, container_id, running, started_at, started, terminating,
                       pod_finished, restart_never, pod_ip, behavior, container)
        run.result = self.result
        if not run.keep_going:
            self.stopped = True
        return run

    def _do_probe(self, now, run, container_id, running, started_at, started, terminating,
                  pod_finished, restart_never, pod_ip, behavior, container) -> None:
        if pod_finished:
            run.keep_going = False
            return
        if not container_id:
            return  # container not created yet: wait for more information
        if container_id != self.container_id:
            self.container_id = container_id
            self._set(INITIAL_RESULT[self.probe_type], run)
            self.on_hold = False
        if self.on_hold:
            return
        if not running:
            self._set(FAILURE, run)
            run.keep_going = not restart_never
            return
        if started_at is None:
            raise ValueError("a running container needs started_at")
        if terminating and self.probe_type in (LIVENESS, STARTUP):
            self._set(SUCCESS, run)  # quiet shutdown
            run.keep_going = False
            return
        if (now - started_at) // 1000 < self.spec["initialDelaySeconds"]:
            return  # whole seconds since the start, as int32(time.Since(...).Seconds())
        if started:
            if self.probe_type == STARTUP:
                return
        elif self.probe_type != STARTUP:
            return
        outcome, output = run_probe(self.spec, behavior, (now - started_at) / 1000, pod_ip,
                                    container)
        run.attempted = True
        run.outcome = outcome
        if outcome == ERROR:
            run.event = event_message(self.probe_type, outcome, output)
            return  # prober error: the result is thrown away
        if outcome == FAILURE:
            run.event = event_message(self.probe_type, outcome, output)
        if self.last_result == outcome:
            self.result_run += 1
        else:
            self.last_result = outcome
            self.result_run = 1
        threshold = self.spec["failureThreshold"] if outcome == FAILURE else self.spec["successThreshold"]
        if self.result_run < threshold:
            return
        self._set(outcome, run)
        if self.probe_type in (LIVENESS, STARTUP) and outcome == FAILURE:
            # kill and restart; no probing until a new container ID appears
            run.kill = True
            self.on_hold = True
            self.result_run = 0

    def to_dict(self) -> dict:
        """Plain JSON-serialisable state; from_dict() restores the same future."""
        return {
            "probe_type": self.probe_type, "spec": self.spec, "admitted_at": self.admitted_at,
            "ticks": self.ticks, "container_id": self.container_id, "result": self.result,
            "last_result": self.last_result, "result_run": self.result_run,
            "on_hold": self.on_hold, "stopped": self.stopped,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ProbeWorker":
        """Rebuild a worker from to_dict() output."""
        worker = cls(data["probe_type"], data["spec"], data["admitted_at"])
        for key in ("ticks", "container_id", "result", "last_result", "result_run", "on_hold", "stopped"):
            setattr(worker, key, data[key])
        return worker

    def __eq__(self, other) -> bool:
        return isinstance(other, ProbeWorker) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"ProbeWorker({self.probe_type}, result={self.result}, run={self.last_result}x{self.result_run})"


def workers_for_container(container: dict, admitted_at: int) -> dict[str, ProbeWorker]:
    """The workers AddPod creates for one container spec, keyed by probe type."""
    workers = {}
    for ptype in PROBE_TYPES:   # a loop, not a comprehension: this runs for every pod
        spec = container.get(SPEC_FIELDS[ptype])
        if spec:
            workers[ptype] = ProbeWorker(ptype, spec, admitted_at)
    return workers


def _result_for(worker: ProbeWorker, container_id: str | None) -> str | None:
    # the results manager is keyed by container ID: a new container has no result yet
    return worker.result if worker.container_id == container_id else None


def container_started(startup: ProbeWorker | None, running: bool, container_id: str | None) -> bool:
    """containerStatuses[].started as UpdatePodStatus computes it.

    Running and: the startup probe succeeded for this container, or there is no (longer a)
    startup worker.
    """
    if not running:
        return False
    if startup is None or startup.stopped:
        return True
    return _result_for(startup, container_id) == SUCCESS


def container_ready(readiness: ProbeWorker | None, running: bool, started: bool,
                    container_id: str | None) -> bool:
    """containerStatuses[].ready: started, running and (no readiness probe, or it passed).

    When this returns False while a readiness worker exists and the container is started,
    the kubelet triggers an immediate (manual) readiness run.
    """
    if not (started and running):
        return False
    if readiness is None or readiness.stopped:
        return readiness is None
    return _result_for(readiness, container_id) == SUCCESS


__all__ = [
    "STARTUP", "READINESS", "LIVENESS", "PROBE_TYPES", "SUCCESS", "FAILURE", "UNKNOWN", "ERROR",
    "INITIAL_RESULT", "PROBE_DEFAULTS", "ProbeWorker", "ProbeRun", "ProbeError", "run_probe",
    "resolve_port", "event_message", "kill_message", "defaulted_probe", "workers_for_container",
    "container_started", "container_ready",
]
