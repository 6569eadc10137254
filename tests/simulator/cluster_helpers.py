"""Manifests and read-outs shared by the Cluster tests (not a test module)."""
from __future__ import annotations

import textwrap

from simulator import Cluster


def deployment_yaml(image: str = "nginx:1.14.2", replicas: int | None = 3, *, name: str = "web",
                    strategy: str = "", spec_extra: str = "", container_extra: str = "",
                    annotations: str = "") -> str:
    """A Deployment manifest; `strategy`, `spec_extra` and `container_extra` are YAML
    snippets (any indentation) placed under spec / the container."""
    def block(text: str, indent: int) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent) + "\n" if text.strip() else ""
    meta = f"  annotations:\n{block(annotations, 4)}" if annotations.strip() else ""
    replicas_line = f"  replicas: {replicas}\n" if replicas is not None else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{meta}"
            f"spec:\n{replicas_line}{block(strategy, 2)}{block(spec_extra, 2)}"
            f"  selector:\n    matchLabels:\n      app: {name}\n"
            f"  template:\n    metadata:\n      labels:\n        app: {name}\n"
            f"    spec:\n      containers:\n      - name: app\n        image: {image}\n"
            f"{block(container_extra, 8)}")


def rolling(surge, unavailable) -> str:
    return f"strategy:\n  rollingUpdate:\n    maxSurge: {surge}\n    maxUnavailable: {unavailable}\n"


COMBINED = "(combined from similar events): "


def scaling_messages(records: list[dict]) -> list[str]:
    """ScalingReplicaSet messages among step records, in order (the event correlator's
    "(combined from similar events): " prefix removed)."""
    return [r["object"]["message"].removeprefix(COMBINED) for r in records
            if r["type"] == "EVENT" and r["object"]["reason"] == "ScalingReplicaSet"]


def event_messages(cluster: Cluster, reason: str, kind: str | None = None) -> list[str]:
    return [e["message"] for e in cluster.list("event") if e["reason"] == reason
            and (kind is None or e["involvedObject"]["kind"] == kind)]


def replica_sets(cluster: Cluster) -> dict[str, dict]:
    """RS name -> {"revision", "replicas" (spec), "ready", "available", "image"}."""
    out = {}
    for rs in cluster.list("replicaset"):
        out[rs["metadata"]["name"]] = {
            "revision": int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
            "replicas": rs["spec"]["replicas"],
            "ready": rs["status"].get("readyReplicas", 0),
            "available": rs["status"].get("availableReplicas", 0),
            "image": rs["spec"]["template"]["spec"]["containers"][0]["image"]}
    return out


def sizes_by_image(cluster: Cluster) -> dict[str, int]:
    """image -> spec.replicas of the ReplicaSet running it."""
    return {rs["image"]: rs["replicas"] for rs in replica_sets(cluster).values()}


def pods_by_image(cluster: Cluster, *, ready: bool | None = None,
                  terminating: bool = False) -> dict[str, int]:
    """image -> number of pods (optionally only Ready ones); terminating pods excluded
    unless asked for."""
    out: dict[str, int] = {}
    for pod in cluster.list("pod"):
        if ("deletionTimestamp" in pod["metadata"]) != terminating:
            continue
        statuses = pod["status"].get("containerStatuses") or [{"ready": False}]
        if ready is not None and all(s["ready"] for s in statuses) != ready:
            continue
        image = pod["spec"]["containers"][0]["image"]
        out[image] = out.get(image, 0) + 1
    return out


def container_state(pod: dict) -> str:
    """'running', or the waiting/terminated reason of the first container."""
    statuses = pod["status"].get("containerStatuses")
    if not statuses:
        return pod["status"]["phase"]
    state = statuses[0]["state"]
    if "running" in state:
        return "running"
    return next(iter(state.values())).get("reason", "")


def condition(obj: dict, type_: str) -> dict | None:
    return next((c for c in obj["status"].get("conditions", []) if c["type"] == type_), None)


def settled(cluster: Cluster, name: str = "web", limit: float = 600) -> Cluster:
    """Step until `name` reports a finished rollout (fails the test after `limit` s)."""
    start = cluster.now
    while not cluster.rollout_status(name)[1]:
        cluster.step()
        assert cluster.now - start <= limit, cluster.rollout_status(name)[0]
    return cluster
