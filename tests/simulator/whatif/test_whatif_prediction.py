"""What-if predictions read alone: the rounding sentence, what an edit changes, the refusals
the API would answer (field paths and lines, as an apply raises them) and the warnings about
settings that cannot roll out without downtime."""
from __future__ import annotations

import pytest

from simulator import Cluster, ValidationError
from simulator.whatif.prediction import rounding_sentence
from test_whatif_against_runs import NEW, OLD, manifest

ROUNDING = {
    "the issue's example": (3, "25%", "25%", "RollingUpdate",
                            "25% of 3 → surge 1 (rounded up), unavailable 0 (rounded down)"),
    "exact percentages": (4, "50%", "50%", "RollingUpdate",
                          "50% of 4 → surge 2 (exact), unavailable 2 (exact)"),
    "different percentages": (10, "33%", "10%", "RollingUpdate",
                              "maxSurge 33% of 10 → surge 4 (rounded up), maxUnavailable 10% of 10 → "
                              "unavailable 1 (exact)"),
    "whole numbers": (3, 1, 0, "RollingUpdate",
                      "maxSurge 1 → surge 1, maxUnavailable 0 → unavailable 0 (whole numbers: no rounding)"),
    "a number and a percentage": (3, 0, "10%", "RollingUpdate",
                                  "maxSurge 0 → surge 0, maxUnavailable 10% of 3 → unavailable 0 (rounded "
                                  "down); both 0 would never let the rollout move, so unavailable becomes 1"),
    "100 %": (3, "100%", "100%", "RollingUpdate", "100% of 3 → surge 3 (exact), unavailable 3 (exact)"),
    "unset (the defaults are stored)": (3, None, None, "RollingUpdate",
                                        "maxSurge 0 → surge 0, maxUnavailable 0 → unavailable 0 (whole "
                                        "numbers: no rounding); both 0 would never let the rollout move, "
                                        "so unavailable becomes 1"),
    "more than the replicas": (2, 0, 5, "RollingUpdate",
                               "maxSurge 0 → surge 0, maxUnavailable 5 → unavailable 5 (whole numbers: "
                               "no rounding); unavailable is capped at the 2 replicas"),
    "Recreate": (3, None, None, "Recreate", "Recreate: no surge; every old pod is stopped before a new one starts"),
}


@pytest.mark.parametrize("case", ROUNDING.values(), ids=ROUNDING.keys())
def test_rounding_sentence(case):
    replicas, surge, unavailable, strategy, sentence = case
    assert rounding_sentence(replicas, surge, unavailable, strategy) == sentence


def settled(replicas=3, **kw) -> Cluster:
    cluster = Cluster(seed=5)
    cluster.apply(manifest(OLD, replicas, **kw))
    cluster.advance(30)
    return cluster


CHANGES = {
    "image": (dict(image=NEW, replicas=3), "rollout", True),
    "replicas only": (dict(image=OLD, replicas=5), "scale", False),
    "nothing": (dict(image=OLD, replicas=3), "none", False),
    "paused with a new image": (dict(image=NEW, replicas=3, spec="paused: true"), "paused", False),
}


@pytest.mark.parametrize("case", CHANGES.values(), ids=CHANGES.keys())
def test_what_the_edit_changes(case):
    kw, change, rolls = case
    image = kw.pop("image")
    replicas = kw.pop("replicas")
    predicted = settled().predict(manifest(image, replicas, **kw))["deployments"][0]
    assert (predicted["change"], predicted["starts_rollout"]) == (change, rolls)


def test_scaling_up_is_measured_like_a_rollout_without_waves():
    predicted = settled().predict(manifest(OLD, 5))["deployments"][0]
    # the image is on the nodes already: 1 s sandbox, no pull, no probe
    assert (predicted["peak_pods"], predicted["min_available"], predicted["waves"],
            predicted["duration_seconds"]) == (5, 3, 0, 1.0)


REFUSED = {
    "both 0": (manifest(NEW, 3, surge=0, unavailable=0), [
        ("spec.strategy.rollingUpdate.maxUnavailable", 12,
         "Invalid value: 0: may not be 0 when `maxSurge` is 0")]),
    "0 % and 0 %": (manifest(NEW, 3, surge="0%", unavailable="0%"), [
        ("spec.strategy.rollingUpdate.maxUnavailable", 12,
         "Invalid value: 0%: may not be 0 when `maxSurge` is 0")]),
    "over 100 %": (manifest(NEW, 3, surge=1, unavailable="150%"), [
        ("spec.strategy.rollingUpdate.maxUnavailable", 12, "Invalid value: 150%: must not be greater than 100%")]),
    "negative replicas": (manifest(NEW, -1), [
        ("spec.replicas", 6, "Invalid value: -1: must be greater than or equal to 0")]),
    "no image": (manifest("", 3), [("spec.template.spec.containers[0].image", 18, "Required value")]),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_a_spec_the_api_refuses_raises_what_apply_raises(case):
    text, expected = case
    cluster = settled()
    with pytest.raises(ValidationError) as predicted:
        cluster.predict(text)
    with pytest.raises(ValidationError) as applied:
        cluster.apply(text)
    assert [e.as_dict() for e in predicted.value.errors] == [e.as_dict() for e in applied.value.errors]
    assert [(e.field, e.line, e.message) for e in predicted.value.errors] == expected


SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
PRE_STOP = """
lifecycle:
  preStop:
    sleep: {seconds: 5}
"""

WARNINGS = {
    "Recreate": (dict(strategy="Recreate"), NEW, {}, ["spec.strategy.type"]),
    "maxUnavailable 100 %": (dict(surge=0, unavailable="100%"), NEW, {}, ["spec.strategy.rollingUpdate.maxUnavailable"]),
    "1 replica, maxUnavailable 1": (dict(surge=0, unavailable=1, replicas=1), NEW, {},
                                    ["spec.strategy.rollingUpdate.maxUnavailable"]),
    "typo image": (dict(surge=1, unavailable=0), "nginx:1.161", {}, ["spec.template.spec.containers[0].image"]),
    "a Service and no readiness probe, no preStop": (dict(surge=1, unavailable=0), NEW, dict(extra=SERVICE),
                                                     ["spec.template.spec.containers[0]",
                                                      "spec.template.spec.containers[0].lifecycle"]),
    "a Service, a readiness probe and a preStop": (
        dict(surge=1, unavailable=0), NEW,
        dict(extra=SERVICE, container="readinessProbe:\n  httpGet: {path: /, port: 80}\n" + PRE_STOP), []),
    "a liveness probe that kills after 15 s": (
        dict(surge=1, unavailable=0), "guangzhengli/hellok8s:liveness",
        dict(container="livenessProbe:\n  httpGet: {path: /healthz, port: 3000}\n  periodSeconds: 3\n"),
        ["spec.template.spec.containers[0].image"]),
    "progress deadline shorter than a pod's start": (
        dict(surge=1, unavailable=0), NEW, dict(spec="progressDeadlineSeconds: 2"),
        ["spec.progressDeadlineSeconds"]),
    "a safe rolling update": (dict(surge=1, unavailable=0), NEW, {}, []),
}


@pytest.mark.parametrize("case", WARNINGS.values(), ids=WARNINGS.keys())
def test_zero_downtime_warnings(case):
    settings, image, extra, fields = case
    replicas = settings.pop("replicas", 3)
    cluster = settled(replicas, **settings)
    text = manifest(image, replicas, **settings, **extra)
    warnings = cluster.predict(text)["deployments"][0]["warnings"]
    assert [w["field"] for w in warnings] == fields
    lines = text.splitlines()
    for w in warnings:
        assert w["message"] and w["line"] is not None
        # the line is the field's own, or its nearest ancestor's
        assert w["field"].rsplit(".", 1)[-1].split("[")[0] in lines[w["line"] - 1] or "-" in lines[w["line"] - 1]
