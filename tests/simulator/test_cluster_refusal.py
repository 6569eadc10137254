"""Cluster.refusal: what a rollout command would be refused with, known before it runs — the
very words the command raises, and nothing changes."""
import json

import pytest

from cluster_helpers import deployment_yaml, settled
from simulator import Cluster


def _cluster(setup):
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    settled(c)
    for command, *args in setup:
        getattr(c, command)("web", *args)
        c.step()
    return c


CASES = [
    # (setup, command, args, refused?)
    ([], "rollout_undo", {}, True),  # no earlier revision
    ([("set_image", "app", "nginx:1.16.1")], "rollout_undo", {}, False),
    ([("set_image", "app", "nginx:1.16.1"), ("rollout_pause",)], "rollout_undo", {}, True),
    ([("set_image", "app", "nginx:1.16.1"), ("rollout_pause",)], "rollout_undo", {"to_revision": 7}, True),
    ([("rollout_pause",)], "rollout_pause", {}, True),
    ([], "rollout_pause", {}, False),
    ([], "rollout_resume", {}, True),
    ([("rollout_pause",)], "rollout_resume", {}, False),
    ([("rollout_pause",)], "rollout_restart", {}, True),
    ([], "rollout_restart", {}, False),
]


@pytest.mark.parametrize("setup, command, args, refused", CASES, ids=[
    "undo-no-history", "undo", "undo-paused", "undo-paused-missing-revision", "pause-twice", "pause",
    "resume-not-paused", "resume", "restart-paused", "restart"])
def test_refusal_is_what_the_command_raises(setup, command, args, refused):
    c = _cluster(setup)
    before = json.dumps(c.snapshot(), sort_keys=True)
    said = c.refusal(command, name="web", **args)
    assert json.dumps(c.snapshot(), sort_keys=True) == before
    if not refused:
        assert said is None
        getattr(c, command)("web", **args)
        return
    with pytest.raises(ValueError) as raised:
        getattr(c, command)("web", **args)
    assert said == raised.value.args[0]


def test_undo_while_paused_reads_as_kubectl_says():
    c = _cluster([("set_image", "app", "nginx:1.16.1"), ("rollout_pause",)])
    assert c.refusal("rollout_undo", name="web") == (
        "you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume deployment/web' and try again")


def test_a_missing_deployment_and_an_unknown_command():
    c = _cluster([])
    assert c.refusal("rollout_pause", name="nope") == 'deployments.apps "nope" not found'
    with pytest.raises(ValueError):
        c.refusal("scale", name="web")
