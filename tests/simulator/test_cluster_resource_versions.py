"""resourceVersion: one per batch of change records (a step, or a command's changes), on every
object and event the batch shows, kept per object, through snapshots too."""
import json
import pathlib

import pytest

from cluster_helpers import deployment_yaml
from simulator import Cluster


def versions(records: list[dict]) -> set[str]:
    return {r["object"]["metadata"]["resourceVersion"] for r in records}


def test_each_batch_is_one_version_counted_by_the_engine():
    c = Cluster(seed=1)
    first = c.take_changes()   # the nodes
    assert versions(first) == {"1"} and c.resource_version == 1
    c.apply(deployment_yaml())
    assert versions(c.take_changes()) == {"2"}
    assert versions(c.step()) == {"3"}
    assert c.take_changes() == [] and c.resource_version == 4   # an empty batch counts too
    for version in range(5, 15):
        assert versions(c.step()) <= {str(version)}
    assert c.resource_version == 14


def test_the_caller_names_the_version():
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    records = c.take_changes(resource_version=40)
    assert versions(records) == {"40"} and c.resource_version == 40
    assert versions(c.step(resource_version=41)) == {"41"}
    assert c.step() == [] and c.resource_version == 42   # on from there
    c.scale("web", 2)
    assert versions(c.take_changes()) == {"43"}


@pytest.mark.parametrize("version", [3, 0, -1, "9", 2.0, True],
                         ids=["not-after", "zero", "negative", "string", "float", "bool"])
def test_a_version_must_be_a_later_integer(version):
    c = Cluster(seed=1)
    c.step(resource_version=3)
    with pytest.raises(ValueError, match="resource_version"):
        c.step(resource_version=version)


def test_objects_keep_the_version_of_their_last_change():
    c = Cluster(seed=1)
    c.step(resource_version=5)
    c.apply(deployment_yaml(replicas=1))
    c.take_changes(resource_version=6)
    for _ in range(20):
        c.step()
    assert c.get("node", "node-1")["metadata"]["resourceVersion"] == "5"
    deployment = c.get("deployment", "web")
    assert int(deployment["metadata"]["resourceVersion"]) < c.resource_version
    pods = c.list("pod")
    assert {p["metadata"]["resourceVersion"] for p in pods} <= {str(v) for v in range(6, 27)}


def test_a_change_not_handed_over_shows_the_open_batch():
    """Between a command and take_changes() an object changed by it reads as the version
    the batch will get; an unchanged one as before."""
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    c.advance(30)
    before = c.resource_version
    c.scale("web", 5)
    assert c.get("deployment", "web")["metadata"]["resourceVersion"] == str(before + 1)
    assert c.get("node", "node-1")["metadata"]["resourceVersion"] == "1"
    records = c.take_changes(resource_version=before + 7)   # the caller's number wins
    assert versions(records) == {str(before + 7)}
    assert c.get("deployment", "web")["metadata"]["resourceVersion"] == str(before + 7)


def test_events_carry_the_version_of_each_write():
    c = Cluster(seed=1)
    c.apply(deployment_yaml("nginx:1.161", replicas=1))
    seen = {}
    for version in range(10, 200):
        for record in c.step(resource_version=version):
            if record["type"] == "EVENT":
                event = record["object"]
                assert event["metadata"]["resourceVersion"] == str(version)
                seen[event["metadata"]["name"]] = (event["count"], str(version))
    # a repeated event (BackOff, counted up) shows its last write's version in the store
    listed = {e["metadata"]["name"]: (e["count"], e["metadata"]["resourceVersion"])
              for e in c.list("event")}
    assert listed == {name: seen[name] for name in listed}
    assert any(count > 1 for count, _ in listed.values())


def test_a_deleted_object_is_reported_at_the_version_of_its_deletion():
    c = Cluster(seed=1)
    c.apply(deployment_yaml(replicas=1))
    c.advance(20)
    (pod,) = c.list("pod")
    c.delete_pod(pod["metadata"]["name"])
    c.take_changes()
    deleted = []
    for _ in range(40):
        deleted += [r for r in c.step() if r["type"] == "DELETED"]
    (record,) = deleted
    assert int(record["object"]["metadata"]["resourceVersion"]) > int(
        pod["metadata"]["resourceVersion"])


def test_versions_survive_snapshot_and_restore():
    c = Cluster(seed=3)
    c.apply(deployment_yaml())
    c.take_changes(resource_version=100)
    c.advance(15)
    c.scale("web", 4)   # open batch
    twin = Cluster.restore(json.loads(json.dumps(c.snapshot())))
    assert twin.resource_version == c.resource_version
    assert twin.list("pod") == c.list("pod") and twin.list("event") == c.list("event")
    assert twin.take_changes(resource_version=500) == c.take_changes(resource_version=500)
    assert [twin.step() for _ in range(30)] == [c.step() for _ in range(30)]


def _without_versions(value):
    if isinstance(value, dict):
        return {k: _without_versions(v) for k, v in value.items() if k != "resourceVersion"}
    if isinstance(value, list):
        return [_without_versions(v) for v in value]
    return value


def test_a_version_2_snapshot_runs_on_as_the_engine_that_wrote_it():
    """Written by the engine before resourceVersions (a rolling update half-way, a scale not
    yet stepped), with the 12 steps that engine went on with: the records are the same
    but for the versions; every object starts at the completed steps' number."""
    data = json.loads((pathlib.Path(__file__).parent / "data" /
                       "snapshot_v2_rolling_update.json").read_text())
    state = data["snapshot"]
    assert state["version"] == 2
    c = Cluster.restore(state)
    assert c.resource_version == state["steps"]
    shown = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]
             for kind in ("deployment", "rs", "pod", "node", "event") for o in c.list(kind)}
    # the scale's changes are in the open batch, the next one
    assert set(shown.values()) == {str(state["steps"]), str(state["steps"] + 1)}
    assert shown["web"] == str(state["steps"] + 1) and shown["node-1"] == str(state["steps"])
    future = []
    for _ in range(12):   # the first step also hands over the scale's records
        future.extend(c.step())
    # (the engine that wrote the snapshot recorded no explanations)
    future = [r for r in future if r["kind"] not in ("Node", "Explanation")]
    assert _without_versions(future) == _without_versions(data["future"])
    assert c.snapshot()["version"] == 3
