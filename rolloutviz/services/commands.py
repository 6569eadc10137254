"""The kubectl-like commands on a simulation: apply, scale, set image, rollout undo/pause/
resume/restart, delete pod, node down/up.

Each checks its arguments, then hands the change to the custodian of the simulation's
`Cluster` (`services.live.execute`), which records, persists and publishes it. The Cluster's
refusals come back as `NotFound` (404) or `Refused` (409); invalid manifests and field values
as `simulator.ValidationError` (400). Results are the lines kubectl prints.
"""
from __future__ import annotations

from rolloutviz.models import Simulation
from rolloutviz.services import live, manifests
from rolloutviz.services.errors import InvalidInput, NotFound, Refused
from simulator.errors import ValidationError

MIN_INT32, MAX_INT32 = -(2**31), 2**31 - 1
MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1


def manifest_apply(*, simulation_id: int, yaml_text) -> list[str]:
    """`kubectl apply -f`: create or configure every object in ``yaml_text``.

    The text is size-capped and parsed before the cluster is touched; any invalid document
    makes the whole apply fail with every error and its line, and nothing changes.
    Returns kubectl's lines, e.g. ``["deployment.apps/web configured"]``.
    """
    manifests.manifest_load(yaml_text=yaml_text)
    # The custodian keeps each applied Deployment's text (its running manifest) and sends it
    # to every viewer in the command's delta.
    return list(_execute(simulation_id, "apply", {"source": yaml_text}))


def deployment_scale(*, simulation_id: int, deployment: str, replicas: int) -> str:
    """`kubectl scale deployment/NAME --replicas=N`."""
    result = _execute(simulation_id, "scale", scale_args(deployment=deployment, replicas=replicas))
    return _line(result, f"deployment.apps/{deployment} scaled")


def scale_args(*, deployment, replicas) -> dict:
    """`Cluster.scale`'s arguments for `deployment_scale`'s, checked."""
    _name(deployment, "deployment")
    _int(replicas, "replicas")
    if not MIN_INT32 <= replicas <= MAX_INT32:
        # kubectl sends the number in a Scale object; the API server cannot decode it
        raise InvalidInput(f"replicas: json: cannot unmarshal number {replicas} into Go struct "
                           "field ScaleSpec.spec.replicas of type int32", field="replicas")
    return {"name": deployment, "replicas": replicas}


def deployment_set_image(*, simulation_id: int, deployment: str, container: str,
                         image: str) -> str:
    """`kubectl set image deployment/NAME CONTAINER=IMAGE`."""
    result = _execute(simulation_id, "set_image",
                      set_image_args(deployment=deployment, container=container, image=image))
    return _line(result, f"deployment.apps/{deployment} image updated")


def set_image_args(*, deployment, container, image) -> dict:
    """`Cluster.set_image`'s arguments for `deployment_set_image`'s, checked."""
    _name(deployment, "deployment")
    _name(container, "container")
    _name(image, "image")
    return {"name": deployment, "container": container, "image": image}


def service_traffic(*, simulation_id: int, service: str, rate, path: str = "/",
                    port: int | str | None = None) -> str:
    """Send `rate` requests per simulated second to a Service's first port (or `port`), evenly
    spaced, each to an endpoint kube-proxy picks then; a second call replaces the rate and
    path; rate 0 stops (`Cluster.send_traffic`)."""
    sent = _execute(simulation_id, "send_traffic", traffic_args(service=service, rate=rate, path=path, port=port))
    if not sent["rate"]:
        return f"service/{service}: traffic stopped"
    return f"service/{service}: {sent['rate']:g} requests/s to {sent['path']} on port {sent['port']}"


def traffic_args(*, service, rate, path="/", port=None) -> dict:
    """`Cluster.send_traffic`'s arguments for `service_traffic`'s, checked."""
    _name(service, "service")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise InvalidInput("rate: must be a number of requests per second", field="rate")
    if not isinstance(path, str):
        raise InvalidInput("path: must be a string", field="path")
    if port is not None and (isinstance(port, bool) or not isinstance(port, (int, str))):
        raise InvalidInput("port: must be a port number or name", field="port")
    return {"service": service, "rate": rate, "path": path, "port": port}


def deployment_rollback(*, simulation_id: int, deployment: str, to_revision: int = 0) -> str:
    """`kubectl rollout undo deployment/NAME [--to-revision=N]` (0: the previous revision)."""
    result = _execute(simulation_id, "rollout_undo", rollback_args(deployment=deployment, to_revision=to_revision))
    return _line(result, f"deployment.apps/{deployment} rolled back")


def rollback_args(*, deployment, to_revision=0) -> dict:
    """`Cluster.rollout_undo`'s arguments for `deployment_rollback`'s, checked."""
    _name(deployment, "deployment")
    _int(to_revision, "to_revision")
    if not MIN_INT64 <= to_revision <= MAX_INT64:
        # kubectl's --to-revision is an int64 flag
        raise InvalidInput(f'to_revision: invalid argument "{to_revision}" for "--to-revision" '
                           f'flag: strconv.ParseInt: parsing "{to_revision}": value out of range',
                           field="to_revision")
    return {"name": deployment, "to_revision": to_revision}


def deployment_args(*, deployment) -> dict:
    """The arguments of the rollout commands that name only a Deployment (pause, resume, restart), checked."""
    _name(deployment, "deployment")
    return {"name": deployment}


def deployment_pause(*, simulation_id: int, deployment: str) -> str:
    """`kubectl rollout pause deployment/NAME`."""
    return _line(_execute(simulation_id, "rollout_pause", deployment_args(deployment=deployment)),
                 f"deployment.apps/{deployment} paused")


def deployment_resume(*, simulation_id: int, deployment: str) -> str:
    """`kubectl rollout resume deployment/NAME`."""
    return _line(_execute(simulation_id, "rollout_resume", deployment_args(deployment=deployment)),
                 f"deployment.apps/{deployment} resumed")


def deployment_restart(*, simulation_id: int, deployment: str) -> str:
    """`kubectl rollout restart deployment/NAME`."""
    return _line(_execute(simulation_id, "rollout_restart", deployment_args(deployment=deployment)),
                 f"deployment.apps/{deployment} restarted")


# the rollout commands whose refusal can be known before they run (`Cluster.refusal`)
CHECKABLE = frozenset({"rollout_undo", "rollout_pause", "rollout_resume", "rollout_restart"})


def command_refusal(*, simulation_id: int, command: str, deployment: str, to_revision: int = 0) -> str | None:
    """What ``command`` (one of `CHECKABLE`) on ``deployment`` would be refused with now, in
    kubectl's words (the text after its "error: "), or None when it would run; nothing changes."""
    if command not in CHECKABLE:
        raise InvalidInput(f"command: Unsupported value: {command!r}: supported values: "
                           + ", ".join(f'"{c}"' for c in sorted(CHECKABLE)), field="command")
    _name(deployment, "deployment")
    args = {"name": deployment}
    if command == "rollout_undo":
        _int(to_revision, "to_revision")
        args["to_revision"] = to_revision
    return read(simulation_id, _refusal, command, args)


def _refusal(reader, command: str, args: dict) -> str | None:
    return reader.cluster.refusal(command, **args)


def pod_delete(*, simulation_id: int, pod: str | None = None,
               deployment: str | None = None) -> str:
    """`kubectl delete pod NAME`; with ``deployment`` instead, that Deployment's first pod.

    The second form lets a demo step say "delete one of its pods" before the pod names,
    which are random, are known.
    """
    if pod is None and deployment is None:
        raise InvalidInput("pod: Required value", field="pod")
    if pod is None:
        _name(deployment, "deployment")
        pod = _first_pod(simulation_id, deployment)
    return _line(_execute(simulation_id, "delete_pod", pod_delete_args(pod=pod)), f'pod "{pod}" deleted')


def pod_delete_args(*, pod) -> dict:
    """`Cluster.delete_pod`'s arguments for a pod named in `pod_delete`, checked."""
    _name(pod, "pod")
    return {"name": pod}


def node_set_ready(*, simulation_id: int, node: str, ready: bool) -> str:
    """Take a node down (NotReady: its kubelet stops reporting) or bring it back up."""
    result = _execute(simulation_id, "set_node_ready", node_args(node=node, ready=ready))
    return _line(result, f"node/{node} {'Ready' if ready else 'NotReady'}")


def node_args(*, node, ready) -> dict:
    """`Cluster.set_node_ready`'s arguments for `node_set_ready`'s, checked."""
    _name(node, "node")
    if not isinstance(ready, bool):
        raise InvalidInput("ready: must be true or false", field="ready")
    return {"node_name": node, "ready": ready}


# ---------------------------------------------------------------- helpers


def _execute(simulation_id: int, command: str, args: dict):
    """Run a Cluster command through the custodian, turning its refusals into service errors."""
    if not Simulation.objects.filter(pk=simulation_id).exists():
        raise NotFound(f"simulation {simulation_id} not found")
    try:
        return live.execute(simulation_id=simulation_id, command=command, args=args)
    except ValidationError:
        raise
    except LookupError as error:
        raise NotFound(_message(error)) from None
    except ValueError as error:
        raise Refused(_message(error)) from None


def _message(error: Exception) -> str:
    # KeyError's str() adds quotes around its argument.
    return str(error.args[0]) if error.args else str(error)


def read(simulation_id: int, view, *args):
    """``view(reader, *args)`` on the simulation's current state (`live.read`: no copy), or `NotFound`."""
    try:
        return live.read(simulation_id=simulation_id, view=view, args=args)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


async def read_async(simulation_id: int, view, *args):
    """`read` awaited on the event loop."""
    try:
        return await live.read_async(simulation_id=simulation_id, view=view, args=args)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


def _first_pod(simulation_id: int, deployment: str) -> str:
    pod = read(simulation_id, first_pod_of, deployment)
    if pod is None:
        raise NotFound(f'no pods found for deployment "{deployment}"')
    return pod


def first_pod_of(cluster, deployment: str) -> str | None:
    """The name of the first (by name) pod of a Deployment that is not being deleted, or None."""
    replicasets = {
        rs["metadata"]["name"]
        for rs in cluster.list("replicaset")
        if _owner(rs, "Deployment") == deployment
    }
    pods = sorted(
        pod["metadata"]["name"]
        for pod in cluster.list("pod")
        if _owner(pod, "ReplicaSet") in replicasets
        and not pod["metadata"].get("deletionTimestamp")
    )
    return pods[0] if pods else None


def _owner(obj: dict, kind: str) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == kind:
            return ref.get("name")
    return None


def _name(value, field: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field}: Required value: a non-empty string", field=field)


def _int(value, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: must be an integer", field=field)


def _line(result, default: str) -> str:
    """The Cluster's own kubectl line when it returns one, else kubectl's usual wording."""
    if isinstance(result, str) and result.strip():
        return result.strip()
    return default
