"""Learner's notes appear beside Kubernetes' words where those confuse, and nowhere else."""
import pytest

from cluster_helpers import deployment_yaml, settled
from simulator import Cluster, ValidationError
from simulator import notes
from simulator.event_correlator import COMBINED_PREFIX


def _refusal(c, manifest):
    with pytest.raises(ValidationError) as refused:
        c.apply(manifest)
    return [e.as_dict() for e in refused.value.errors]


APPLIES = {
    "a changed selector": (
        lambda m: m.replace("app: web", "app: web2"), "spec.selector", notes.SELECTOR_IMMUTABLE),
    "a selector that misses the template's labels": (
        lambda m: m.replace("      labels:\n        app: web", "      labels:\n        app: other"),
        "spec.template.metadata.labels", notes.SELECTOR_MISMATCH),
    "a negative replicas count (Kubernetes' words are clear)": (
        lambda m: m.replace("replicas: 3", "replicas: -1"), "spec.replicas", None),
}


@pytest.mark.parametrize("edit, field, note", APPLIES.values(), ids=APPLIES.keys())
def test_field_error_notes(edit, field, note):
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    errors = _refusal(c, edit(deployment_yaml()))
    (found,) = [e for e in errors if e["field"] == field]
    assert found.get("note") == note
    assert "note" not in found or found["message"] and found["note"] not in found["message"]


def test_a_running_pod_on_a_not_ready_node_gets_a_note():
    c = Cluster(seed=1)
    c.apply(deployment_yaml(replicas=1))
    settled(c)
    (pod,) = c.list("pod")
    assert c.notes() == []
    c.set_node_ready(pod["spec"]["nodeName"], False)
    c.step()
    assert c.get("pod", pod["metadata"]["name"])["status"]["containerStatuses"][0]["state"].keys() == {"running"}
    assert c.notes() == [{"kind": "Pod", "name": pod["metadata"]["name"],
                          "note": notes.running_on_not_ready_node_note(300)}]


def test_combined_events_get_a_note():
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=12))
    c.step()   # 12 "Created pod: …" events: from the 10th distinct message on they are combined
    combined = [e["metadata"]["name"] for e in c.list("event") if e["message"].startswith(COMBINED_PREFIX)]
    assert combined
    assert [n["name"] for n in c.notes() if n["kind"] == "Event"] == combined


@pytest.mark.parametrize("message, note", [
    (COMBINED_PREFIX + "Back-off restarting failed container", notes.COMBINED),
    ("Back-off restarting failed container", None),
], ids=["combined", "plain"])
def test_event_notes(message, note):
    assert notes.event_note(message) == note
