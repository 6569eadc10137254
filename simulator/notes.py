"""Learner's notes beside Kubernetes' own words where those confuse: shown next to the
message, never instead of it (the message stays exactly what kubectl prints)."""
from __future__ import annotations

from simulator.event_correlator import COMBINED_PREFIX

SELECTOR_IMMUTABLE = (
    "A Deployment's selector cannot change once it exists: it is how the Deployment finds its "
    "ReplicaSets and pods. Keep the old selector, or delete the Deployment and apply it again "
    "(its pods are replaced). The &LabelSelector{…} text is the value you sent, printed in Go "
    "syntax by the API server.")
IMMUTABLE = ("This field cannot change after the object is created; delete the object and "
             "create it again to change it.")
SELECTOR_MISMATCH = (
    "spec.selector must match spec.template.metadata.labels: the Deployment counts as its own "
    "only the pods whose labels its selector matches.")
COMBINED = (
    "Kubernetes' event recorder merged this object's similar events (more than 10 with other "
    "messages within 10 minutes) into one; its count keeps growing.")
NODE_NOT_READY = (
    "kubectl still shows the container as running: its node stopped reporting, so nobody can "
    "say otherwise. The node controller marked the pod not Ready, which takes it out of "
    "Services; it is evicted {seconds} s after the node went NotReady.")


def field_error_note(field: str, message: str) -> str | None:
    """A note for one field error of a refused apply, if its wording needs one."""
    if message.endswith("field is immutable"):
        return SELECTOR_IMMUTABLE if field == "spec.selector" else IMMUTABLE
    if field == "spec.template.metadata.labels" and "`selector` does not match" in message:
        return SELECTOR_MISMATCH
    return None


def event_note(message: str) -> str | None:
    """A note for an event's message ("(combined from similar events): …")."""
    return COMBINED if message.startswith(COMBINED_PREFIX) else None


def running_on_not_ready_node_note(eviction_seconds: int) -> str:
    """The note for a pod whose container kubectl still shows running on a NotReady node
    (its pods are evicted `eviction_seconds` after the node went NotReady)."""
    return NODE_NOT_READY.format(seconds=eviction_seconds)
