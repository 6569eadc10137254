"""Reading what happened: a Deployment's rollout history, the recorded deltas and commands
between two sim times, and the export of a simulation's whole recorded history."""
from __future__ import annotations

from rolloutviz.models import CommandRecord, Snapshot, TickRecord
from rolloutviz.protocol import VERSION
from rolloutviz.services import live
from rolloutviz.services.commands import read_cluster
from rolloutviz.services.errors import InvalidInput, NotFound
from rolloutviz.services.simulations import simulation_get
from simulator.kubectl.printers import rollout_history_text

MAX_TIMELINE_DELTAS = 5000  # one timeline answer; ask again from the last ``t`` for more


def require_deployment(cluster, name: str) -> None:
    """`NotFound` with the API server's wording unless the Deployment exists."""
    if not any(d["metadata"]["name"] == name for d in cluster.list("deployment")):
        raise NotFound(f'deployments.apps "{name}" not found')


def deployment_history(*, simulation_id: int, deployment: str,
                       revision: int | None = None) -> dict:
    """``{"history": [{"revision", "change_cause", "images"}], "text": <rollout history>}``."""
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)
                                 or revision < 0):
        raise InvalidInput("revision: must be a non-negative integer", field="revision")
    cluster = read_cluster(simulation_id)
    require_deployment(cluster, deployment)
    text = rollout_history_text(cluster, deployment, revision or None)
    if revision and text.startswith("error:"):
        raise NotFound(text.strip())
    return {"history": live.deployment_info(cluster, deployment)["history"], "text": text}


def timeline_between(*, simulation_id: int, since: float | None = None,
                     until: float | None = None) -> dict:
    """The commands and published deltas with ``since <= t <= until`` (either end open)."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InvalidInput(f"{name}: must be a number of seconds", field=name)
    simulation_get(simulation_id=simulation_id)
    ticks = TickRecord.objects.filter(simulation_id=simulation_id)
    commands = CommandRecord.objects.filter(simulation_id=simulation_id)
    if since is not None:
        ticks, commands = ticks.filter(sim_time__gte=since), commands.filter(sim_time__gte=since)
    if until is not None:
        ticks, commands = ticks.filter(sim_time__lte=until), commands.filter(sim_time__lte=until)
    deltas = list(ticks.order_by("seq").values_list("payload", flat=True)[:MAX_TIMELINE_DELTAS + 1])
    truncated = len(deltas) > MAX_TIMELINE_DELTAS
    return {
        "sim": simulation_id,
        "since": since,
        "until": until,
        "commands": [command_dict(c) for c in commands.order_by("index")],
        "deltas": deltas[:MAX_TIMELINE_DELTAS],
        "truncated": truncated,
    }


def simulation_export(*, simulation_id: int) -> dict:
    """Everything recorded for a simulation, enough to replay it: settings, Deployments with
    their revisions, every command, every snapshot and every published delta."""
    sim = simulation_get(simulation_id=simulation_id)
    deployments = []
    for dep in sim.deployments.order_by("namespace", "name").prefetch_related("revisions"):
        deployments.append({
            "namespace": dep.namespace, "name": dep.name, "manifest": dep.manifest,
            "generation": dep.generation, "paused": dep.paused,
            "revisions": [
                {"revision": r.revision, "replicaset": r.replicaset, "template_hash": r.template_hash,
                 "images": r.images, "change_cause": r.change_cause,
                 "created_sim_time": r.created_sim_time, "template": r.template}
                for r in dep.revisions.order_by("revision")
            ],
        })
    snapshots = Snapshot.objects.filter(simulation=sim).order_by("seq", "id")
    return {
        "v": VERSION,
        "simulation": {"id": sim.id, "name": sim.name, "seed": sim.seed, "tick": sim.tick,
                       "speed": sim.speed, "running": sim.running, "t": sim.sim_time,
                       "seq": sim.seq, "demo": sim.demo},
        "deployments": deployments,
        "commands": [command_dict(c) for c in sim.commands.order_by("index")],
        "snapshots": [{"seq": s.seq, "t": s.sim_time, "state": s.state} for s in snapshots],
        "deltas": list(sim.ticks.order_by("seq").values_list("payload", flat=True)),
    }


def command_dict(record: CommandRecord) -> dict:
    """One recorded command as the API shows it."""
    return {"index": record.index, "t": record.sim_time, "name": record.name,
            "args": record.args, "outcome": record.outcome, "ok": record.ok}
