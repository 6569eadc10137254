"""The check of a prediction: apply the same manifest to a copy of the cluster and run it,
bounded in simulated and in wall time, measuring what the prediction claims — duration,
peak pods, minimum available, waves — and how it ended.

Measured, not inferred: the duration and the waves come from the Deployment controller's own
explanation records (their instants are exact, in ms); peak pods and minimum available are
the Deployment's ``status.replicas`` and ``status.availableReplicas`` read after every step
of ``TRIAL_TICK`` seconds (the cluster is restored with that tick, which changes when the
caller looks, never what happens).
"""
from __future__ import annotations

import math
import time

from simulator.api.yaml_source import load_manifests
from simulator.controllers.deployment import explain
from simulator.controllers.deployment import rollout_math as rm

TRIAL_TICK = 0.1            # seconds of simulated time between two looks
MARGIN_SECONDS = 60         # run this long past the prediction's end (or its deadline)
MAX_SIMULATED_SECONDS = 3600
WAVE_REASONS = (explain.SCALED_UP, explain.RECREATE_SCALED_UP)

COMPLETE = "complete"
DEADLINE = rm.TIMED_OUT_REASON
PAUSED = "paused"
SIMULATED_LIMIT = "simulated time limit"
WALL_LIMIT = "wall time limit"


class _Watch:
    """What one Deployment did during the run."""

    def __init__(self, name: str, t0: float):
        self.name, self.t0 = name, t0
        self.waves: list[float] = []
        self.peak = 0
        self.min_available: int | None = None
        self.ended: str | None = None
        self.ended_at: float | None = None
        self.complete_at: float | None = None
        self.resolved: dict = {}   # maxSurge / maxUnavailable as the controller said it used them

    def record(self, said: dict) -> None:
        reason = said["reason"]
        at = said["time"]
        for key in ("max_surge", "max_unavailable"):
            if key in said["numbers"]:
                self.resolved[key] = said["numbers"][key]
        if reason in WAVE_REASONS and (not self.waves or self.waves[-1] != at):
            self.waves.append(at)
        if reason == explain.COMPLETE:
            self.complete_at = at
        elif reason == explain.DEADLINE:
            self.ended, self.ended_at = DEADLINE, at

    def sample(self, status: dict) -> None:
        self.peak = max(self.peak, status.get("replicas", 0))
        available = status.get("availableReplicas", 0)
        self.min_available = available if self.min_available is None else min(self.min_available, available)

    def as_dict(self) -> dict:
        duration = None
        if self.ended == COMPLETE:
            duration = round((self.complete_at if self.complete_at is not None else self.t0) - self.t0, 3)
        return {"name": self.name, "outcome": self.ended or "unfinished",
                "duration_seconds": duration, "peak_pods": self.peak,
                "min_available": self.min_available, "waves": len(self.waves),
                "wave_times": [round(t - self.t0, 3) for t in self.waves],
                "deadline_seconds": None if self.ended != DEADLINE else round(self.ended_at - self.t0, 3),
                "max_surge": self.resolved.get("max_surge"),
                "max_unavailable": self.resolved.get("max_unavailable")}


def simulated_limit(prediction: dict) -> float:
    """How long to run: past the latest predicted end (completion or progress deadline) by
    ``MARGIN_SECONDS``, or the progress deadline and the margin when nothing ends; at most
    ``MAX_SIMULATED_SECONDS``."""
    ends = [MARGIN_SECONDS]
    for d in prediction["deployments"]:
        end = d.get("deadline_seconds") or d.get("duration_seconds")
        if end is None:
            end = d.get("progress_deadline_seconds") or MAX_SIMULATED_SECONDS
        ends.append(end + MARGIN_SECONDS)
    return min(max(ends), MAX_SIMULATED_SECONDS)


def trial_tick(now_ms: int) -> float:
    """The trial's step in seconds: ``TRIAL_TICK`` or the largest whole-ms step below it that
    divides the current time (a copy is restored at that time)."""
    return math.gcd(now_ms, round(TRIAL_TICK * 1000)) / 1000


def run(cluster, source, *, simulated_seconds: float, wall_seconds: float) -> dict:
    """Apply ``source`` to ``cluster`` (a copy: it is changed) and step until every Deployment
    of it has completed its rollout or exceeded its progress deadline, or a limit is reached.

    ``{"deployments": [measured, ...], "simulated_seconds", "wall_seconds", "stopped_by"}``;
    each measured Deployment: ``{"name", "outcome" ("complete", "ProgressDeadlineExceeded",
    "paused" or "unfinished"), "duration_seconds", "peak_pods", "min_available", "waves",
    "wave_times", "deadline_seconds", "max_surge", "max_unavailable"}`` (times in seconds after
    the apply; the last two as the controller's explanations state them, None if none did). Raises the
    apply's ValidationError, before anything ran.
    """
    started = time.monotonic()
    names = [m.obj["metadata"]["name"] for m in load_manifests(source) if m.obj.get("kind") == "Deployment"]
    t0 = cluster.now
    cluster.apply(source)
    watches = [_Watch(name, t0) for name in names]
    _look(cluster, watches, cluster.take_changes())
    limit = t0 + min(simulated_seconds, MAX_SIMULATED_SECONDS)
    stopped_by = None
    while any(w.ended is None for w in watches):
        if cluster.now >= limit:
            stopped_by = SIMULATED_LIMIT
            break
        if time.monotonic() - started > wall_seconds:
            stopped_by = WALL_LIMIT
            break
        _look(cluster, watches, cluster.step())
    return {"deployments": [w.as_dict() for w in watches],
            "simulated_seconds": round(cluster.now - t0, 3),
            "wall_seconds": round(time.monotonic() - started, 3), "stopped_by": stopped_by}


def _look(cluster, watches: list[_Watch], records: list[dict]) -> None:
    """Take one step's records and the Deployments' status after it."""
    by_name = {w.name: w for w in watches}
    for record in records:
        if record["kind"] == "Explanation" and record["name"] in by_name:
            by_name[record["name"]].record(record["object"])
    for w in watches:
        if w.ended is not None:
            continue
        d = cluster.get("deployment", w.name)
        w.sample(d.get("status") or {})
        if d["spec"].get("paused"):
            w.ended, w.ended_at = PAUSED, cluster.now
        elif cluster.rollout_status(w.name)[1]:
            w.ended = COMPLETE
