"""Fidelity audit: the scenario traces of k8s-semantics §14 and the pitfalls of §15, run
through the public `Cluster` API and compared with what the Kubernetes source does.

Expected values come from pkg/controller/deployment (rolling.go, sync.go, recreate.go,
progress.go, util/deployment_util.go) and kubectl (polymorphichelpers/rollout_status.go,
rollback.go); docs/fidelity.md lists each check with its source. Cases the engine gets wrong
stay asserted with the correct value and are marked xfail(strict=True) with the reason.
"""
from __future__ import annotations

import re
import signal
from datetime import datetime, timezone

import pytest

from simulator import Cluster, ValidationError

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
COMBINED = "(combined from similar events): "   # client-go EventAggregatorByReasonMessageFunc
SCALED = re.compile(r"^Scaled (up|down) replica set (\S+) from (\d+) to (\d+)$")
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
NEVER_READY = "guangzhengli/hellok8s:bad"   # /healthz answers 500 for ever (seed 003)
HEALTHZ_READINESS = {"readinessProbe": {"httpGet": {"path": "/healthz", "port": 3000}}}


@pytest.fixture(autouse=True)
def hang_guard():
    """Fail (instead of hanging the suite) if the engine never settles; not a speed check."""
    def expired(signum, frame):
        raise RuntimeError("the simulation did not return within 120 s of wall time")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# --- manifests and read-outs --------------------------------------------------------------
def deployment(image: str = "nginx:1.14.2", replicas: int | None = 3, *, name: str = "web",
               surge=None, unavailable=None, strategy_type: str | None = None,
               container: dict | None = None, annotations: dict | None = None,
               **spec_extra) -> dict:
    """An apps/v1 Deployment manifest as a dict; spec_extra uses the API's field names."""
    spec: dict = {"selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": "app", "image": image,
                                                        **(container or {})}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    if strategy_type or surge is not None or unavailable is not None:
        spec["strategy"] = {"type": strategy_type or "RollingUpdate"}
        if surge is not None or unavailable is not None:
            spec["strategy"]["rollingUpdate"] = {
                k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable))
                if v is not None}
    spec.update(spec_extra)
    meta = {"name": name, **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def run(c: Cluster, seconds: float) -> list[dict]:
    """Step `seconds` on; the change records, including what commands did before."""
    records = c.take_changes()
    target = c.now + seconds
    while c.now < target - 1e-9:
        records.extend(c.step())
    return records


def run_until(c: Cluster, done, limit: float = 300) -> list[dict]:
    """Step until done(c) holds; fails the test after `limit` simulated seconds."""
    records = c.take_changes()
    start = c.now
    while not done(c):
        assert c.now - start < limit, f"not reached within {limit} s"
        records.extend(c.step())
    return records


def rolled_out(name: str = "web"):
    return lambda c: c.rollout_status(name)[1]


def scaling_messages(records: list[dict]) -> list[str]:
    """ScalingReplicaSet event messages, in the order they were emitted (client-go's event
    correlator prefixes the 10th and later similar messages within 10 minutes with
    "(combined from similar events): "; the decision is the text after it)."""
    return [r["object"]["message"].removeprefix(COMBINED) for r in records
            if r["type"] == "EVENT" and r["object"]["reason"] == "ScalingReplicaSet"]


def sizes_after_each(messages: list[str], start: dict[str, int], order: list[str]) -> list[tuple]:
    """Replay ScalingReplicaSet messages: the RS sizes (in `order`) after each decision.

    Each message's "from" must equal the size the previous decisions left, so a wrong or
    missing event shows up here too."""
    sizes = dict(start)
    out = []
    for message in messages:
        match = SCALED.match(message)
        assert match, message
        direction, rs, old, new = match.group(1), match.group(2), int(match.group(3)), int(match.group(4))
        assert sizes.get(rs, 0) == old, (message, sizes)
        assert direction == ("up" if new > old else "down"), message
        sizes[rs] = new
        out.append(tuple(sizes.get(n, 0) for n in order))
    return out


def rs_by_revision(c: Cluster, name: str = "web") -> dict[int, dict]:
    """The Deployment's ReplicaSets by revision number."""
    return {int(rs["metadata"]["annotations"][REVISION]): rs for rs in c.list("replicaset")
            if rs["metadata"]["ownerReferences"][0]["name"] == name}


def rs_name(c: Cluster, revision: int, name: str = "web") -> str:
    return rs_by_revision(c, name)[revision]["metadata"]["name"]


def condition(c: Cluster, type_: str, name: str = "web") -> dict | None:
    conditions = c.get("deployment", name)["status"].get("conditions", [])
    return next((x for x in conditions if x["type"] == type_), None)


def brief(cond: dict | None) -> tuple | None:
    return None if cond is None else (cond["status"], cond["reason"], cond["message"])


def sim_seconds(rfc3339: str) -> float:
    return (datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            - EPOCH).total_seconds()


def watch_status(c: Cluster, seconds: float, name: str = "web") -> tuple[list[str], list[dict]]:
    """`kubectl rollout status` as a watcher sees it (each new line, sampled every tick)
    until done or `seconds` passed; also the change records of those steps."""
    records = c.take_changes()
    lines = [c.rollout_status(name)[0]]
    if lines[0] == OBSERVING:
        # a watcher may or may not see the spec change before the controller observed it
        # (kubectl races the controller); the lines that follow are what matter
        records.extend(c.step())
        lines = [c.rollout_status(name)[0]]
    target = c.now + seconds
    while c.now < target - 1e-9 and not c.rollout_status(name)[1]:
        records.extend(c.step())
        line = c.rollout_status(name)[0]
        if line != lines[-1]:
            lines.append(line)
    return lines, records


def waiting(name: str, text: str) -> str:
    return f'Waiting for deployment "{name}" rollout to finish: {text}\n'


OBSERVING = "Waiting for deployment spec update to be observed...\n"


def done(name: str = "web") -> str:
    return f'deployment "{name}" successfully rolled out\n'


AVAILABLE_TRUE = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
AVAILABLE_FALSE = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")


def started(replicas: int = 3, *, seed: int = 0, **kw) -> Cluster:
    """A cluster whose Deployment `web` (nginx:1.14.2) finished its first rollout."""
    c = Cluster(seed=seed)
    assert c.apply(deployment(replicas=replicas, **kw)) == ["deployment.apps/web created"]
    run_until(c, rolled_out())
    return c


# --- §14 (a), (b), (c): healthy image updates ------------------------------------------------
HEALTHY_TRACES = [
    pytest.param("25%", "25%",
                 [("new", 0, 1), ("old", 3, 2), ("new", 1, 2), ("old", 2, 1), ("new", 2, 3), ("old", 1, 0)],
                 [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)],
                 ["1 out of 3 new replicas have been updated...",
                  "2 out of 3 new replicas have been updated...",
                  "1 old replicas are pending termination..."],
                 "4", id="a-25%/25%-resolves-to-1/0"),
    pytest.param(1, 0,
                 [("new", 0, 1), ("old", 3, 2), ("new", 1, 2), ("old", 2, 1), ("new", 2, 3), ("old", 1, 0)],
                 [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)],
                 ["1 out of 3 new replicas have been updated...",
                  "2 out of 3 new replicas have been updated...",
                  "1 old replicas are pending termination..."],
                 "4", id="b-surge1-unavailable0"),
    # (c): the first three decisions need no readiness; both early new pods start at the same
    # instant, so one RS status update shows both available and old goes 2 -> 0 at once
    pytest.param(1, 1,
                 [("new", 0, 1), ("old", 3, 2), ("new", 1, 2), ("old", 2, 0), ("new", 2, 3)],
                 [(3, 1), (2, 1), (2, 2), (0, 2), (0, 3)],
                 ["2 out of 3 new replicas have been updated...",
                  "2 of 3 updated replicas are available..."],
                 "4", id="c-surge1-unavailable1"),
]


@pytest.mark.parametrize("surge, unavailable, decisions, sizes, lines, max_replicas", HEALTHY_TRACES)
def test_healthy_rolling_update_trace(surge, unavailable, decisions, sizes, lines, max_replicas):
    c = started(surge=surge, unavailable=unavailable)
    old = rs_name(c, 1)
    assert c.set_image("web", "app", "nginx:1.16.1") == "deployment.apps/web image updated"
    seen, records = watch_status(c, 120)
    records += run(c, 5)
    new = rs_name(c, 2)
    names = {"old": old, "new": new}
    expected_messages = [f"Scaled {'up' if b > a else 'down'} replica set {names[w]} from {a} to {b}"
                         for w, a, b in decisions]
    assert scaling_messages(records) == expected_messages
    assert sizes_after_each(scaling_messages(records), {old: 3}, [old, new]) == sizes
    assert seen == [waiting("web", line) for line in lines] + [done()]
    # revisions and the replica annotations (desired = replicas, max = replicas + surge)
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 2]
    assert c.get("deployment", "web")["metadata"]["annotations"][REVISION] == "2"
    for rs in rss.values():
        assert rs["metadata"]["annotations"][DESIRED] == "3"
        assert rs["metadata"]["annotations"][MAX] == max_replicas
    assert [rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]] == [0, 3]
    status = c.get("deployment", "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"], status.get("unavailableReplicas", 0)) == (3, 3, 3, 3, 0)
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE
    assert brief(condition(c, "Progressing")) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{new}" has successfully progressed.')
    assert condition(c, "ReplicaFailure") is None


def test_progressing_reasons_during_a_rollout():
    """NewReplicaSetCreated when the RS is made, ReplicaSetUpdated on progress (messages name
    the new RS), NewReplicaSetAvailable at the end (progress.go syncRolloutStatus)."""
    c = Cluster(seed=3)
    c.apply(deployment(surge=1, unavailable=0))
    c.step()
    # the very first sync: the RS is created and reported before any pod exists
    assert brief(condition(c, "Progressing"))[:2] in {("True", "NewReplicaSetCreated"),
                                                       ("True", "ReplicaSetUpdated")}
    run_until(c, rolled_out())
    c.set_image("web", "app", "nginx:1.16.1")
    seen = []
    while not c.rollout_status("web")[1]:
        c.step()
        current = brief(condition(c, "Progressing"))
        if not seen or seen[-1] != current:
            seen.append(current)
    new = rs_name(c, 2)
    assert seen == [("True", "ReplicaSetUpdated", f'ReplicaSet "{new}" is progressing.'),
                    ("True", "NewReplicaSetAvailable", f'ReplicaSet "{new}" has successfully progressed.')]


# --- §14 (d): 10 replicas 3/2, new image never ready, then scale to 15 -----------------------
NEVER_AVAILABLE = [
    pytest.param(NEVER_READY, HEALTHZ_READINESS, id="readiness-always-fails"),
    pytest.param("nginx:1.161", None, id="image-typo-ImagePullBackOff"),
]


@pytest.mark.parametrize("image, container", NEVER_AVAILABLE)
def test_stalled_rollout_then_proportional_scale_to_15(image, container):
    c = started(10, surge=3, unavailable=2)
    old = rs_name(c, 1)
    c.apply(deployment(image, 10, surge=3, unavailable=2, container=container))
    records = run(c, 60)
    new = rs_name(c, 2)
    assert scaling_messages(records) == [
        f"Scaled up replica set {new} from 0 to 3",
        f"Scaled down replica set {old} from 10 to 8",
        f"Scaled up replica set {new} from 3 to 5",
    ]
    assert sizes_after_each(scaling_messages(records), {old: 10}, [old, new]) == [(10, 3), (8, 3), (8, 5)]
    status = c.get("deployment", "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"], status["unavailableReplicas"]) == (13, 5, 8, 8, 5)
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE          # 8 >= 10 - 2
    assert brief(condition(c, "Progressing")) == (
        "True", "ReplicaSetUpdated", f'ReplicaSet "{new}" is progressing.')
    assert c.rollout_status("web") == (waiting("web", "5 out of 10 new replicas have been updated..."), False)

    assert c.scale("web", 15) == "deployment.apps/web scaled"
    records = run(c, 60)
    # proportional: allowed 18, +5; larger (old) first: round(8*18/13)=11, round(5*18/13)=7
    assert scaling_messages(records) == [f"Scaled up replica set {old} from 8 to 11",
                                         f"Scaled up replica set {new} from 5 to 7"]
    rss = rs_by_revision(c)
    assert [rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]] == [11, 7]
    for rs in rss.values():
        assert (rs["metadata"]["annotations"][DESIRED], rs["metadata"]["annotations"][MAX]) == ("15", "18")
    status = c.get("deployment", "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (18, 7, 11)
    # minAvailable is now 13 and only the 11 old pods are available
    assert brief(condition(c, "Available")) == AVAILABLE_FALSE
    assert c.rollout_status("web") == (waiting("web", "7 out of 15 new replicas have been updated..."), False)
    assert rss[1]["metadata"]["annotations"][REVISION] == "1"
    assert c.get("deployment", "web")["metadata"]["annotations"][REVISION] == "2"

    # back to 10: allowed 13, -5; larger (old) first on the way down too:
    # round(11*13/18)=8 (-3), round(7*13/18)=5 (-2); then stuck again (13 - 8 - 5 = 0)
    c.scale("web", 10)
    records = run(c, 60)
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 11 to 8",
                                         f"Scaled down replica set {new} from 7 to 5"]
    rss = rs_by_revision(c)
    assert [rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]] == [8, 5]
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE

    # to 0: every active RS goes to 0 (fraction = -size when replicas is 0), and a Deployment
    # of 0 replicas is complete
    c.scale("web", 0)
    records = run(c, 60)
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 8 to 0",
                                         f"Scaled down replica set {new} from 5 to 0"]
    assert c.rollout_status("web") == (done(), True)
    assert brief(condition(c, "Progressing"))[:2] == ("True", "NewReplicaSetAvailable")


# --- §14 (e): readiness always fails, then the progress deadline --------------------------------
def test_readiness_never_passes_stalls_then_exceeds_deadline():
    c = started(surge=1, unavailable=1)
    old = rs_name(c, 1)
    c.apply(deployment(NEVER_READY, surge=1, unavailable=1, container=HEALTHZ_READINESS))
    records = run(c, 60)
    new = rs_name(c, 2)
    assert scaling_messages(records) == [f"Scaled up replica set {new} from 0 to 1",
                                         f"Scaled down replica set {old} from 3 to 2",
                                         f"Scaled up replica set {new} from 1 to 2"]
    status = c.get("deployment", "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"], status["unavailableReplicas"]) == (4, 2, 2, 2, 2)
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE
    progressing = condition(c, "Progressing")
    assert brief(progressing) == ("True", "ReplicaSetUpdated", f'ReplicaSet "{new}" is progressing.')
    assert c.rollout_status("web") == (waiting("web", "2 out of 3 new replicas have been updated..."), False)
    new_pods = [p for p in c.list("pod") if p["metadata"]["name"].startswith(new + "-")]
    assert len(new_pods) == 2
    for pod in new_pods:
        status_ = pod["status"]["containerStatuses"][0]
        assert (pod["status"]["phase"], status_["ready"], "running" in status_["state"]) == ("Running", False, True)
    unhealthy = [e for e in c.list("event") if e["reason"] == "Unhealthy"]
    # before the port opens the probe is refused; afterwards /healthz answers 500
    assert "Readiness probe failed: HTTP probe failed with statuscode: 500" in {e["message"] for e in unhealthy}
    assert all(e["type"] == "Warning" and e["message"].startswith("Readiness probe failed: ")
               for e in unhealthy)

    # progress.go: timed out once lastUpdateTime + progressDeadlineSeconds is strictly before
    # now; the controller re-checks about a second after that
    deadline = sim_seconds(progressing["lastUpdateTime"]) + 600
    run(c, deadline - c.now)
    assert condition(c, "Progressing")["reason"] == "ReplicaSetUpdated"
    run(c, 3)
    assert brief(condition(c, "Progressing")) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{new}" has timed out progressing.')
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE
    assert c.rollout_status("web") == ('error: deployment "web" exceeded its progress deadline\n', False)
    # informational only: nothing is rolled back, restarts never happen (readiness only)
    rss = rs_by_revision(c)
    assert [rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]] == [2, 2]
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 0 for p in c.list("pod"))


# --- §14 (f): rollback when history is 1, 2, 3 --------------------------------------------------
def history_123() -> Cluster:
    c = Cluster(seed=5)
    for image in ("nginx:1.14.2", "nginx:1.16.1", "nginx:1.17.0"):
        c.apply(deployment(image, annotations={CHANGE_CAUSE: f"image {image}"}))
        run_until(c, rolled_out())
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2, 3]
    return c


def test_rollback_renumbers_the_old_replica_set():
    c = history_123()
    rs2, rs3 = rs_name(c, 2), rs_name(c, 3)
    assert c.rollout_undo("web") == "deployment.apps/web rolled back"
    records = run_until(c, rolled_out())
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 3, 4]
    assert rss[4]["metadata"]["name"] == rs2
    assert rss[4]["metadata"]["annotations"][REVISION_HISTORY] == "2"
    d = c.get("deployment", "web")
    assert d["metadata"]["annotations"][REVISION] == "4"
    assert d["metadata"]["annotations"][CHANGE_CAUSE] == "image nginx:1.16.1"
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16.1"
    assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
    assert c.rollout_history("web") == [
        {"revision": 1, "change_cause": "image nginx:1.14.2"},
        {"revision": 3, "change_cause": "image nginx:1.17.0"},
        {"revision": 4, "change_cause": "image nginx:1.16.1"}]
    # an ordinary rolling update towards the re-used RS: same trace as (a), no rollback event
    assert scaling_messages(records) == [
        f"Scaled up replica set {rs2} from 0 to 1", f"Scaled down replica set {rs3} from 3 to 2",
        f"Scaled up replica set {rs2} from 1 to 2", f"Scaled down replica set {rs3} from 2 to 1",
        f"Scaled up replica set {rs2} from 2 to 3", f"Scaled down replica set {rs3} from 1 to 0"]
    assert not [e for e in c.list("event") if e["reason"].startswith("DeploymentRollback")]
    # a second undo goes to the second-highest revision, 3
    assert c.rollout_undo("web") == "deployment.apps/web rolled back"
    run_until(c, rolled_out())
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 4, 5]
    assert rss[5]["metadata"]["name"] == rs3
    assert rss[5]["metadata"]["annotations"][REVISION_HISTORY] == "3"
    # a third undo re-uses RS-2 again: its earlier numbers accumulate, oldest first
    c.rollout_undo("web")
    run_until(c, rolled_out())
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 5, 6]
    assert (rss[6]["metadata"]["name"], rss[6]["metadata"]["annotations"][REVISION_HISTORY]) == (rs2, "2,4")


def test_rollback_to_revision_and_refusals():
    c = history_123()
    assert c.rollout_undo("web", to_revision=1) == "deployment.apps/web rolled back"
    run_until(c, rolled_out())
    assert [h["revision"] for h in c.rollout_history("web")] == [2, 3, 4]
    with pytest.raises(ValueError, match=r"^unable to find specified revision 1 in history$"):
        c.rollout_undo("web", to_revision=1)
    assert (c.rollout_undo("web", to_revision=4)
            == "deployment.apps/web skipped rollback (current template already matches revision 4)")
    assert [h["revision"] for h in c.rollout_history("web")] == [2, 3, 4]


def test_rollback_with_no_history():
    c = started()
    with pytest.raises(ValueError, match=r'^no rollout history found for deployment "web"$'):
        c.rollout_undo("web")


def test_rollback_replaces_the_deployment_annotations():
    c = Cluster(seed=6)
    c.apply(deployment("nginx:1.14.2"))
    run_until(c, rolled_out())
    c.apply(deployment("nginx:1.16.1", annotations={CHANGE_CAUSE: "update to 1.16.1"}))
    run_until(c, rolled_out())
    c.rollout_undo("web")
    run_until(c, rolled_out())
    assert CHANGE_CAUSE not in c.get("deployment", "web")["metadata"]["annotations"]
    assert c.rollout_history("web") == [{"revision": 2, "change_cause": "update to 1.16.1"},
                                        {"revision": 3, "change_cause": None}]


PAUSED_MESSAGE = ("you cannot rollback a paused deployment; resume it first with "
                  "'kubectl rollout resume deployment/web' and try again")


def test_rollback_refused_while_paused_changes_nothing():
    c = history_123()
    c.rollout_pause("web")
    before = c.get("deployment", "web")
    with pytest.raises(ValueError) as refused:
        c.rollout_undo("web")
    assert str(refused.value) == PAUSED_MESSAGE
    run(c, 5)
    after = c.get("deployment", "web")
    assert after["spec"] == before["spec"] and after["metadata"] == before["metadata"]
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2, 3]


def test_missing_revision_reported_before_paused():
    c = history_123()
    c.rollout_pause("web")
    with pytest.raises(ValueError, match=r"^unable to find specified revision 9 in history$"):
        c.rollout_undo("web", to_revision=9)


# --- §15: rounding of percentages ------------------------------------------------------------
ROUNDING = [
    # replicas, maxSurge, maxUnavailable -> first decisions, stall (old, new), max-replicas
    pytest.param(10, "25%", "25%", [("new", 0, 3), ("old", 10, 8), ("new", 3, 5)], (8, 5), "13",
                 id="10-25%/25%-surge-up-3-unavailable-down-2"),
    pytest.param(10, "39%", "39%", [("new", 0, 4), ("old", 10, 7), ("new", 4, 7)], (7, 7), "14",
                 id="10-39%/39%-gives-4/3"),
    pytest.param(5, "10%", "10%", [("new", 0, 1)], (5, 1), "6",
                 id="5-10%/10%-surge-0.5-up-to-1-unavailable-0.5-down-to-0"),
    pytest.param(3, 0, "10%", [("old", 3, 2), ("new", 0, 1)], (2, 1), "3",
                 id="3-0/10%-both-resolve-to-0-unavailable-becomes-1"),
    pytest.param(4, "0%", "20%", [("old", 4, 3), ("new", 0, 1)], (3, 1), "4",
                 id="4-0%/20%-both-resolve-to-0-unavailable-becomes-1"),
]


@pytest.mark.parametrize("replicas, surge, unavailable, decisions, stall, max_replicas", ROUNDING)
def test_percentages_round_surge_up_and_unavailable_down(replicas, surge, unavailable,
                                                         decisions, stall, max_replicas):
    c = started(replicas, surge=surge, unavailable=unavailable)
    old = rs_name(c, 1)
    c.apply(deployment(NEVER_READY, replicas, surge=surge, unavailable=unavailable,
                       container=HEALTHZ_READINESS))
    records = run(c, 60)
    new = rs_name(c, 2)
    names = {"old": old, "new": new}
    assert scaling_messages(records) == [
        f"Scaled {'up' if b > a else 'down'} replica set {names[w]} from {a} to {b}" for w, a, b in decisions]
    rss = rs_by_revision(c)
    assert (rss[1]["spec"]["replicas"], rss[2]["spec"]["replicas"]) == stall
    assert rss[2]["metadata"]["annotations"][MAX] == max_replicas
    # stuck at exactly minAvailable: the Available condition still holds
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE


# --- §15: apply semantics ----------------------------------------------------------------------
def test_paused_survives_an_apply_that_does_not_mention_it():
    c = started()
    assert c.rollout_pause("web") == "deployment.apps/web paused"
    assert c.apply(deployment("nginx:1.16.1")) == ["deployment.apps/web configured"]
    records = run(c, 30)
    d = c.get("deployment", "web")
    assert d["spec"]["paused"] is True
    assert scaling_messages(records) == []
    assert sorted(rs_by_revision(c)) == [1]                      # no new RS while paused
    assert d["status"].get("updatedReplicas", 0) == 0            # the template changed (omitempty)
    assert brief(condition(c, "Progressing")) == ("Unknown", "DeploymentPaused", "Deployment is paused")
    assert c.rollout_status("web") == (waiting("web", "0 out of 3 new replicas have been updated..."), False)
    assert c.rollout_resume("web") == "deployment.apps/web resumed"
    run_until(c, rolled_out())
    assert sorted(rs_by_revision(c)) == [1, 2]


def test_manifest_replicas_override_an_earlier_scale():
    c = started()
    c.scale("web", 5)
    run_until(c, rolled_out())
    assert c.apply(deployment(replicas=3)) == ["deployment.apps/web configured"]
    records = run_until(c, rolled_out())
    assert c.get("deployment", "web")["spec"]["replicas"] == 3
    assert scaling_messages(records) == [f"Scaled down replica set {rs_name(c, 1)} from 5 to 3"]


def test_scale_survives_an_apply_without_replicas():
    c = Cluster(seed=7)
    c.apply(deployment(replicas=None))
    run_until(c, rolled_out())
    assert c.get("deployment", "web")["spec"]["replicas"] == 1      # defaulted
    c.scale("web", 4)
    run_until(c, rolled_out())
    assert c.apply(deployment(replicas=None)) == ["deployment.apps/web unchanged"]
    assert c.get("deployment", "web")["spec"]["replicas"] == 4


NO_NEW_REVISION = [
    pytest.param(dict(replicas=5), id="replicas"),
    pytest.param(dict(surge=2, unavailable=1), id="strategy"),
    pytest.param(dict(minReadySeconds=1), id="minReadySeconds"),
    pytest.param(dict(annotations={CHANGE_CAUSE: "only metadata"}), id="deployment-annotation"),
]


@pytest.mark.parametrize("change", NO_NEW_REVISION)
def test_new_revision_only_when_the_pod_template_changes(change):
    c = started()
    rs1 = rs_name(c, 1)
    assert c.apply(deployment(**change)) == ["deployment.apps/web configured"]
    run_until(c, rolled_out())
    assert list(rs_by_revision(c)) == [1]
    assert rs_name(c, 1) == rs1
    assert c.get("deployment", "web")["metadata"]["annotations"][REVISION] == "1"
    # a template change does make revision 2
    c.apply(deployment("nginx:1.16.1", **change))
    run_until(c, rolled_out())
    assert sorted(rs_by_revision(c)) == [1, 2]


def test_deployment_annotations_are_copied_to_the_new_replica_set():
    c = started()
    c.apply(deployment(annotations={CHANGE_CAUSE: "kubectl annotate"}))
    run(c, 2)
    assert c.rollout_history("web") == [{"revision": 1, "change_cause": "kubectl annotate"}]


def test_reapplying_an_old_template_reuses_its_replica_set():
    c = started()
    rs1 = rs_name(c, 1)
    c.apply(deployment("nginx:1.16.1"))
    run_until(c, rolled_out())
    c.apply(deployment("nginx:1.14.2"))
    run_until(c, rolled_out())
    rss = rs_by_revision(c)
    assert sorted(rss) == [2, 3]
    assert rss[3]["metadata"]["name"] == rs1
    assert rss[3]["metadata"]["annotations"][REVISION_HISTORY] == "1"


# --- §15: revisionHistoryLimit ------------------------------------------------------------------
def test_history_limit_keeps_the_newest_scaled_down_replica_sets():
    c = started(revisionHistoryLimit=1)
    for image in ("nginx:1.16.1", "nginx:1.17.0", "nginx:1.18.0"):
        c.apply(deployment(image, revisionHistoryLimit=1))
        run_until(c, rolled_out())
        run(c, 40)      # old pods finish terminating; cleanup runs once the rollout is complete
    rss = rs_by_revision(c)
    assert sorted(rss) == [3, 4]
    assert rss[3]["spec"]["replicas"] == 0


def test_history_limit_never_deletes_a_replica_set_with_pods():
    """cleanupDeployment skips RSs with spec or status replicas; while paused it runs on every
    sync, even mid-rollout (sync.go sync)."""
    c = started(surge=1, unavailable=1, revisionHistoryLimit=0)
    c.apply(deployment(NEVER_READY, surge=1, unavailable=1, revisionHistoryLimit=0,
                       container=HEALTHZ_READINESS))
    run(c, 30)
    c.rollout_pause("web")
    run(c, 30)
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 2]
    assert rss[1]["spec"]["replicas"] == 2
    # resume and fix the image: once complete, the emptied old RSs go (limit 0)
    c.rollout_resume("web")
    c.apply(deployment("nginx:1.16.1", surge=1, unavailable=1, revisionHistoryLimit=0))
    run_until(c, rolled_out())
    run(c, 40)
    assert sorted(rs_by_revision(c)) == [3]


# --- §15: Recreate ------------------------------------------------------------------------------
def slow_stop(image: str, seconds: float = 5) -> dict:
    """An ImageBehavior whose process needs `seconds` to exit after SIGTERM."""
    return {"apiVersion": "rolloutviz.dev/v1", "kind": "ImageBehavior",
            "metadata": {"name": image.replace("/", "-").replace(":", "-").replace(".", "-")},
            "spec": {"image": image, "shutdownSeconds": seconds}}


def test_recreate_waits_for_every_old_pod_to_be_gone():
    """recreate.go: old RSs to 0, then nothing until oldPodsRunning is false (terminating pods
    count), then the new RS at full size; MaxUnavailable is 0, so Available is False meanwhile."""
    v1, v2 = "example.com/shop:1", "example.com/shop:2"
    c = Cluster(seed=9)
    c.apply([slow_stop(v1), slow_stop(v2), deployment(v1, strategy_type="Recreate")])
    run_until(c, rolled_out())
    old = rs_name(c, 1)
    c.apply(deployment(v2, strategy_type="Recreate"))
    records = c.take_changes()
    terminating_seen = False
    while not c.rollout_status("web")[1]:
        records += c.step()
        old_pods = [p for p in c.list("pod") if p["metadata"]["name"].startswith(old + "-")]
        if old_pods:
            terminating_seen = terminating_seen or all("deletionTimestamp" in p["metadata"] for p in old_pods)
            # no new RS (hence no new pod) while any old pod, even a terminating one, exists
            assert [rs["metadata"]["name"] for rs in c.list("replicaset")] == [old]
            assert brief(condition(c, "Available")) == AVAILABLE_FALSE
        assert c.now < 300
    assert terminating_seen
    new = rs_name(c, 2)
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 3 to 0",
                                         f"Scaled up replica set {new} from 0 to 3"]
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE


# --- §15: minReadySeconds ------------------------------------------------------------------------
def test_min_ready_seconds_delays_availability():
    c = Cluster(seed=8)
    c.apply(deployment(replicas=1, minReadySeconds=10))
    run_until(c, lambda c: c.list("pod") and c.list("pod")[0]["status"].get("containerStatuses")
              and c.list("pod")[0]["status"]["containerStatuses"][0]["ready"])
    pod = c.list("pod")[0]
    ready_at = sim_seconds(next(x for x in pod["status"]["conditions"] if x["type"] == "Ready")["lastTransitionTime"])
    rs = c.list("replicaset")[0]
    assert (rs["status"].get("readyReplicas"), rs["status"].get("availableReplicas", 0)) == (1, 0)
    assert c.rollout_status("web") == (waiting("web", "0 of 1 updated replicas are available..."), False)
    assert brief(condition(c, "Available")) == AVAILABLE_FALSE
    # IsPodAvailable: ready for minReadySeconds (lastTransitionTime is whole seconds)
    run(c, ready_at + 9 - c.now)
    assert c.list("replicaset")[0]["status"].get("availableReplicas", 0) == 0
    run(c, 3)
    assert c.list("replicaset")[0]["status"]["availableReplicas"] == 1
    assert c.rollout_status("web") == (done(), True)
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE


# --- validation pitfalls the traces depend on ------------------------------------------------------
def test_both_zero_is_rejected_on_max_unavailable():
    c = started()
    before = c.get("deployment", "web")
    with pytest.raises(ValidationError) as refused:
        c.apply(deployment(surge=0, unavailable=0))
    fields = [e.field for e in refused.value.errors]
    assert fields == ["spec.strategy.rollingUpdate.maxUnavailable"]
    assert "may not be 0 when `maxSurge` is 0" in refused.value.errors[0].message
    assert c.get("deployment", "web")["spec"] == before["spec"]


# --- rollover, pause with several edits, restart ------------------------------------------------
def test_rollover_drains_the_stalled_replica_set_first():
    """rolling.go: the third RS is created at 0 (old RSs fill maxTotal), cleanupUnhealthyReplicas
    empties the unavailable middle RS, then the healthy oldest RS goes as new pods come up."""
    c = started(surge=1, unavailable=1)
    rs1 = rs_name(c, 1)
    c.apply(deployment(NEVER_READY, surge=1, unavailable=1, container=HEALTHZ_READINESS))
    run(c, 30)
    rs2 = rs_name(c, 2)
    c.apply(deployment("nginx:1.16.1", surge=1, unavailable=1))
    records = run_until(c, rolled_out())
    rs3 = rs_name(c, 3)
    assert scaling_messages(records) == [f"Scaled down replica set {rs2} from 2 to 0",
                                         f"Scaled up replica set {rs3} from 0 to 2",
                                         f"Scaled down replica set {rs1} from 2 to 0",
                                         f"Scaled up replica set {rs3} from 2 to 3"]
    assert c.get("deployment", "web")["metadata"]["annotations"][REVISION] == "3"


def test_pause_several_edits_resume_is_one_rollout():
    c = started()
    c.rollout_pause("web")
    with pytest.raises(ValueError) as twice:
        c.rollout_pause("web")
    assert str(twice.value) == 'deployments.apps "web" is already paused'
    c.set_image("web", "app", "nginx:1.16.1")
    run(c, 5)
    c.scale("web", 4)                       # scaling works while paused
    run(c, 20)
    assert [rs["spec"]["replicas"] for rs in rs_by_revision(c).values()] == [4]
    c.set_image("web", "app", "nginx:1.17.0")
    run(c, 5)
    assert c.rollout_resume("web") == "deployment.apps/web resumed"
    assert "paused" not in c.get("deployment", "web")["spec"]
    # resuming marks Progressing Unknown/DeploymentResumed before the rollout starts
    run_until(c, rolled_out())
    rss = rs_by_revision(c)
    assert sorted(rss) == [1, 2]
    assert rss[2]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.17.0"
    assert rss[2]["spec"]["replicas"] == 4
    with pytest.raises(ValueError) as not_paused:
        c.rollout_resume("web")
    assert str(not_paused.value) == 'deployments.apps "web" is not paused'


def test_resume_sets_progressing_unknown_resumed():
    c = started()
    c.rollout_pause("web")
    run(c, 2)
    c.rollout_resume("web")
    c.step()
    # checkPausedConditions writes Unknown/DeploymentResumed; the rollout sync that follows
    # finds the Deployment complete again and reports NewReplicaSetAvailable
    assert brief(condition(c, "Progressing"))[:2] in {("Unknown", "DeploymentResumed"),
                                                       ("True", "NewReplicaSetAvailable")}
    run(c, 2)
    assert condition(c, "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_rollout_restart_makes_a_new_revision():
    c = started()
    assert c.rollout_restart("web") == "deployment.apps/web restarted"
    template = c.get("deployment", "web")["spec"]["template"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"])
    run_until(c, rolled_out())
    assert sorted(rs_by_revision(c)) == [1, 2]


# --- the ReplicaSet controller: self-healing ------------------------------------------------------
def test_deleted_pod_is_replaced_while_it_terminates():
    """Terminating pods do not count for the ReplicaSet (controller_utils FilterActivePods),
    so the replacement is created at once, next to the Terminating pod."""
    image = "example.com/shop:1"
    c = Cluster(seed=12)
    c.apply([slow_stop(image, 10), deployment(image)])
    run_until(c, rolled_out())
    victim = c.list("pod")[0]["metadata"]["name"]
    assert c.delete_pod(victim) == f'pod "{victim}" deleted'
    records = run(c, 1)
    pods = {p["metadata"]["name"]: p for p in c.list("pod")}
    assert len(pods) == 4 and "deletionTimestamp" in pods[victim]["metadata"]
    created = [r["object"]["message"] for r in records
               if r["type"] == "EVENT" and r["object"]["reason"] == "SuccessfulCreate"]
    assert len(created) == 1
    rs = c.list("replicaset")[0]
    assert rs["status"]["replicas"] == 3
    assert scaling_messages(records) == []
    run(c, 15)
    assert victim not in {p["metadata"]["name"] for p in c.list("pod")}
    assert c.rollout_status("web") == (done(), True)


# --- the kubelet: restart back-off ---------------------------------------------------------------
def test_crash_loop_back_off_doubles_from_10s_to_300s():
    """kuberuntime doBackOff: the first restart is immediate (the PLEG notices the exit within
    its 1 s relist), then 10 s, doubling, capped at 300 s, measured from the exit."""
    image = "example.com/crasher:1"
    c = Cluster(seed=13)
    c.apply([{"apiVersion": "rolloutviz.dev/v1", "kind": "ImageBehavior",
              "metadata": {"name": "crasher"},
              "spec": {"image": image, "exit": {"afterSeconds": 3, "exitCode": 1}}},
             deployment(image, 1)])
    waits, messages, restarts = [], [], 0
    while len(waits) < 7:
        c.step()
        assert c.now < 900
        status = c.list("pod")[0]["status"]["containerStatuses"][0]
        waiting_state = status["state"].get("waiting", {})
        if waiting_state.get("reason") == "CrashLoopBackOff" and waiting_state["message"] not in messages:
            messages.append(waiting_state["message"])
        if status["restartCount"] != restarts:
            restarts = status["restartCount"]
            finished = sim_seconds(status["lastState"]["terminated"]["finishedAt"])
            waits.append(sim_seconds(status["state"]["running"]["startedAt"]) - finished)
            assert status["lastState"]["terminated"]["reason"] == "Error"
    nominal = [0, 10, 20, 40, 80, 160, 300]
    assert all(n <= w <= n + 2 for n, w in zip(nominal, waits)), waits
    pod = c.list("pod")[0]
    suffix = f"container=app pod={pod['metadata']['name']}_default({pod['metadata']['uid']})"
    assert messages == [f"back-off {d} restarting failed {suffix}"
                        for d in ("10s", "20s", "40s", "1m20s", "2m40s", "5m0s")]
    assert pod["status"]["phase"] == "Running"


def test_deadline_cannot_expire_while_paused_and_restarts_at_resume():
    """checkPausedConditions: Progressing Unknown/DeploymentPaused while paused (never timed out),
    Unknown/DeploymentResumed at resume, whose lastUpdateTime restarts the deadline clock."""
    c = started(surge=1, unavailable=1, progressDeadlineSeconds=60)
    c.apply(deployment(NEVER_READY, surge=1, unavailable=1, container=HEALTHZ_READINESS,
                       progressDeadlineSeconds=60))
    run(c, 20)
    c.rollout_pause("web")
    run(c, 200)
    assert brief(condition(c, "Progressing")) == ("Unknown", "DeploymentPaused", "Deployment is paused")
    assert c.rollout_status("web") == (waiting("web", "2 out of 3 new replicas have been updated..."), False)
    c.rollout_resume("web")
    run(c, 1)
    resumed = condition(c, "Progressing")
    assert brief(resumed) == ("Unknown", "DeploymentResumed", "Deployment is resumed")
    run(c, sim_seconds(resumed["lastUpdateTime"]) + 60 - c.now)
    assert condition(c, "Progressing")["reason"] == "DeploymentResumed"
    run(c, 3)
    assert brief(condition(c, "Progressing"))[:2] == ("False", "ProgressDeadlineExceeded")
    # pausing again does not overwrite ProgressDeadlineExceeded
    c.rollout_pause("web")
    run(c, 2)
    assert condition(c, "Progressing")["reason"] == "ProgressDeadlineExceeded"


# --- node down (seed 002) --------------------------------------------------------------------------
def test_node_down_pods_evicted_after_toleration_and_replaced():
    """Pods on a NotReady node lose readiness at once (node lifecycle MarkPodsNotReady), are
    deleted when their 300 s not-ready/unreachable toleration (DefaultTolerationSeconds) ends
    (taint eviction: "Marking for deletion Pod default/NAME"), and stay Terminating until the
    kubelet is back; their replacements go to Ready nodes."""
    c = started()
    pods = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in c.list("pod")}
    victim_node = sorted(pods.values())[0]
    victims = sorted(n for n, node in pods.items() if node == victim_node)
    c.set_node_ready(victim_node, False)
    run(c, 2)
    assert c.list("replicaset")[0]["status"].get("availableReplicas", 0) == 3 - len(victims)
    assert brief(condition(c, "Available")) == AVAILABLE_FALSE          # 25% of 3 -> 0 unavailable
    run(c, 295)
    assert {p["metadata"]["name"] for p in c.list("pod")} == set(pods)   # not yet evicted
    run(c, 10)
    now_pods = {p["metadata"]["name"]: p for p in c.list("pod")}
    for name in victims:
        assert "deletionTimestamp" in now_pods[name]["metadata"]
    evictions = [e["message"] for e in c.list("event") if e["reason"] == "TaintManagerEviction"]
    assert evictions == [f"Marking for deletion Pod default/{name}" for name in victims]
    replacements = [p for n, p in now_pods.items() if n not in pods]
    assert len(replacements) == len(victims)
    assert all(p["spec"]["nodeName"] != victim_node for p in replacements)
    run_until(c, lambda c: brief(condition(c, "Available")) == AVAILABLE_TRUE, limit=60)
    c.set_node_ready(victim_node, True)
    run(c, 40)
    assert not set(victims) & {p["metadata"]["name"] for p in c.list("pod")}
    assert c.rollout_status("web") == (done(), True)


def test_apply_keeps_restarted_at_and_drops_what_the_manifest_no_longer_sets():
    """Three-way merge: a template annotation set by `rollout restart` is in neither manifest,
    so it stays (apply reports unchanged); strategy is retainKeys, so switching to Recreate
    drops rollingUpdate; a field removed from the manifest goes back to its default."""
    c = started()
    c.rollout_restart("web")
    run_until(c, rolled_out())
    assert c.apply(deployment()) == ["deployment.apps/web unchanged"]
    assert "kubectl.kubernetes.io/restartedAt" in \
        c.get("deployment", "web")["spec"]["template"]["metadata"]["annotations"]
    assert c.apply(deployment(strategy_type="Recreate")) == ["deployment.apps/web configured"]
    assert c.get("deployment", "web")["spec"]["strategy"] == {"type": "Recreate"}
    assert c.apply(deployment()) == ["deployment.apps/web configured"]
    assert c.get("deployment", "web")["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert sorted(rs_by_revision(c)) == [1, 2]       # none of this touched the template


# --- client-go's event correlator -------------------------------------------------------------------
def test_similar_events_are_combined():
    """tools/record/events_cache.go EventAggregator: events that differ only in message (same
    source, object, type, reason) are combined from the 10th distinct message seen within 600 s
    of the previous one ("(combined from similar events): ..."); later ones update that event;
    after 600 s of quiet a new window starts."""
    c = started(3, surge=0, unavailable=1)          # "from 0 to 3" is the first message
    for replicas in range(4, 12):                    # messages 2..9
        c.scale("web", replicas)
        run(c, 1)
    c.scale("web", 10)                               # a 10th distinct message: combined
    run(c, 1)
    c.scale("web", 9)                                # an 11th: the same combined event, updated
    run(c, 1)
    rs = rs_name(c, 1)
    events = [e for e in c.list("event") if e["reason"] == "ScalingReplicaSet"]
    assert [e["message"] for e in events[:9]] == (
        [f"Scaled up replica set {rs} from 0 to 3"]
        + [f"Scaled up replica set {rs} from {n} to {n + 1}" for n in range(3, 11)])
    assert all(e["count"] == 1 for e in events[:9])
    assert len(events) == 10
    assert (events[9]["message"], events[9]["count"]) == (
        f"{COMBINED}Scaled down replica set {rs} from 10 to 9", 2)
    run(c, 601)
    c.scale("web", 3)
    run(c, 1)
    last = [e for e in c.list("event") if e["reason"] == "ScalingReplicaSet"][-1]
    assert (last["message"], last["count"]) == (f"Scaled down replica set {rs} from 9 to 3", 1)


def test_event_writes_about_one_object_are_rate_limited():
    image = "example.com/crasher:1"
    c = Cluster(seed=14)
    c.apply([{"apiVersion": "rolloutviz.dev/v1", "kind": "ImageBehavior", "metadata": {"name": "crasher"},
              "spec": {"image": image, "exit": {"afterSeconds": 3, "exitCode": 1}}},
             deployment(image, 1)])
    seconds = 1500
    records = run(c, seconds)
    pod = c.list("pod")[0]["metadata"]["name"]
    # Warning writes only: true whether or not the spam key also includes the event type
    writes = [r for r in records if r["type"] == "EVENT" and r["object"]["type"] == "Warning"
              and r["object"]["involvedObject"]["name"] == pod
              and r["object"]["source"]["component"] == "kubelet"]
    assert len(writes) <= 25 + seconds // 300 + 1


# --- the kubelet: liveness restarts (seed: hellok8s:liveness) --------------------------------------
def test_liveness_failures_restart_the_container():
    """prober worker: failureThreshold (default 3) consecutive failures, then kuberuntime
    computePodActions kills the container ("Container app failed liveness probe, will be
    restarted") and starts a new one; the first restart is immediate, the second waits for the
    10 s back-off (doBackOff)."""
    c = Cluster(seed=15)
    c.apply(deployment("guangzhengli/hellok8s:liveness", 1, container={"livenessProbe": {
        "httpGet": {"path": "/healthz", "port": 3000}, "initialDelaySeconds": 3, "periodSeconds": 3}}))
    records = run(c, 100)
    pod_events = [(sim_seconds(r["object"]["lastTimestamp"]), r["object"]) for r in records
                  if r["type"] == "EVENT" and r["object"]["involvedObject"]["kind"] == "Pod"
                  and r["object"]["reason"] in ("Unhealthy", "Killing", "Started")]
    kinds = [e["reason"] for _, e in pod_events]
    first_kill = kinds.index("Killing")
    assert kinds[:first_kill] == ["Started", "Unhealthy", "Unhealthy", "Unhealthy"]
    failures = [t for t, e in pod_events[1:first_kill]]
    assert failures[1] - failures[0] == failures[2] - failures[1] == 3      # periodSeconds
    started = pod_events[0][0]
    assert failures[0] - started >= 15          # /healthz answers 200 for the first 15 s
    for _, e in pod_events[1:first_kill]:
        assert (e["type"], e["message"]) == ("Warning", "Liveness probe failed: HTTP probe failed with statuscode: 500")
    kill_time, kill = pod_events[first_kill]
    assert (kill["type"], kill["message"], kill_time) == (
        "Normal", "Container app failed liveness probe, will be restarted", failures[2])
    restarts = [t for t, e in pod_events if e["reason"] == "Started"]
    kills = [t for t, e in pod_events if e["reason"] == "Killing"]
    assert restarts[1] - kills[0] <= 2                    # first restart: no back-off
    assert 10 <= restarts[2] - kills[1] <= 12             # second: the 10 s back-off
    assert c.list("pod")[0]["status"]["containerStatuses"][0]["restartCount"] >= 2


# --- names and defaults ----------------------------------------------------------------------------
def test_names_follow_kubernetes_alphabets():
    """RS = deployment + pod-template-hash (a decimal FNV hash re-encoded through
    rand.SafeEncodeString: only 'bcdf' and '4-9'); pod = RS + '-' + 5 characters of the API
    server's generateName alphabet (apiserver names.simpleNameGenerator)."""
    c = started()
    rs = c.list("replicaset")[0]
    template_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{template_hash}"
    assert re.fullmatch(r"[bcdf4-9]{1,10}", template_hash)
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": template_hash}
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    for pod in c.list("pod"):
        assert re.fullmatch(rf"web-{template_hash}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", pod["metadata"]["name"])
        assert pod["metadata"]["labels"]["pod-template-hash"] == template_hash
    scaling = [e for e in c.list("event") if e["reason"] == "ScalingReplicaSet"]
    assert [(e["involvedObject"]["kind"], e["source"]["component"], e["type"]) for e in scaling] == [
        ("Deployment", "deployment-controller", "Normal")]


def test_default_revision_history_limit_keeps_ten_old_replica_sets():
    c = started(1)
    images = [f"nginx:1.{minor}.0" for minor in range(15, 27)]      # 12 more revisions
    for image in images:
        c.apply(deployment(image, 1))
        run_until(c, rolled_out())
    run(c, 40)
    rss = rs_by_revision(c)
    assert sorted(rss) == list(range(3, 14))                     # 10 old + the current one
    assert [h["revision"] for h in c.rollout_history("web")] == list(range(3, 14))


def test_zero_replicas_is_complete_at_once():
    c = Cluster(seed=17)
    c.apply(deployment(replicas=0))
    records = run(c, 2)
    assert scaling_messages(records) == []                        # created at 0: no event
    assert c.rollout_status("web") == (done(), True)
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE
    assert brief(condition(c, "Progressing"))[:2] == ("True", "NewReplicaSetAvailable")


def test_scale_down_deletes_pending_pods_before_running_ones():
    """replicaset controller getPodsToDelete / controller.ActivePods ordering: pending before
    running, not ready before ready; the pods still pulling their image go first."""
    image = "example.com/slow-pull:1"
    c = Cluster(seed=18)
    c.apply([{"apiVersion": "rolloutviz.dev/v1", "kind": "ImageBehavior", "metadata": {"name": "slow-pull"},
              "spec": {"image": image, "pull": {"seconds": 30}}},
             deployment(image, 1)])
    run_until(c, rolled_out(), limit=120)
    (first,) = [p["metadata"]["name"] for p in c.list("pod")]
    c.scale("web", 3)
    run(c, 5)
    pods = {p["metadata"]["name"]: p for p in c.list("pod")}
    assert len(pods) == 3
    # a node that already has the image starts at once, so compare phase as the controller does
    pending = sorted(n for n, p in pods.items() if p["status"]["phase"] == "Pending")
    assert pending, "the new pods should still be pulling"
    c.scale("web", 3 - len(pending))
    run(c, 1)
    survivors = {p["metadata"]["name"] for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]}
    assert first in survivors
    assert not survivors & set(pending)
    deleted = [e["message"] for e in c.list("event") if e["reason"] == "SuccessfulDelete"]
    assert sorted(deleted) == [f"Deleted pod: {n}" for n in pending]


def test_surge_zero_trace_removes_before_it_adds():
    """maxSurge 0 / maxUnavailable 1, 4 replicas: the new RS is created at 0 (no event), every
    step first removes an old pod, then adds a new one (rolling.go)."""
    c = started(4, surge=0, unavailable=1)
    old = rs_name(c, 1)
    c.set_image("web", "app", "nginx:1.16.1")
    seen, records = watch_status(c, 200)
    new = rs_name(c, 2)
    assert scaling_messages(records) == [
        f"Scaled down replica set {old} from 4 to 3", f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 3 to 2", f"Scaled up replica set {new} from 1 to 2",
        f"Scaled down replica set {old} from 2 to 1", f"Scaled up replica set {new} from 2 to 3",
        f"Scaled down replica set {old} from 1 to 0", f"Scaled up replica set {new} from 3 to 4"]
    assert seen == [waiting("web", "1 out of 4 new replicas have been updated..."),
                    waiting("web", "2 out of 4 new replicas have been updated..."),
                    waiting("web", "3 out of 4 new replicas have been updated..."),
                    waiting("web", "3 of 4 updated replicas are available..."),
                    done()]


def test_min_ready_seconds_holds_back_the_rollout():
    """Old pods go only once new ones are *available*: Ready for minReadySeconds."""
    c = started(1, surge=1, unavailable=0, minReadySeconds=10)
    old = rs_name(c, 1)
    c.set_image("web", "app", "nginx:1.16.1")
    def new_pod_ready(c: Cluster) -> bool:
        rss = rs_by_revision(c)
        return 2 in rss and any(
            p["metadata"]["name"].startswith(rss[2]["metadata"]["name"] + "-")
            and (p["status"].get("containerStatuses") or [{}])[0].get("ready") for p in c.list("pod"))

    records = run_until(c, new_pod_ready)
    new = rs_name(c, 2)
    pod = next(p for p in c.list("pod") if p["metadata"]["name"].startswith(new + "-"))
    ready_at = sim_seconds(next(x for x in pod["status"]["conditions"] if x["type"] == "Ready")["lastTransitionTime"])
    records += run(c, ready_at + 9 - c.now)
    assert scaling_messages(records) == [f"Scaled up replica set {new} from 0 to 1"]
    records += run(c, 3)
    assert scaling_messages(records) == [f"Scaled up replica set {new} from 0 to 1",
                                         f"Scaled down replica set {old} from 1 to 0"]


def test_fixing_a_timed_out_rollout_completes_it():
    """Timing out is informational: a new template creates a new RS (Progressing True again,
    a new transition) and the rollout completes; kubectl stops reporting the deadline."""
    c = started(surge=1, unavailable=1, progressDeadlineSeconds=30)
    c.apply(deployment(NEVER_READY, surge=1, unavailable=1, container=HEALTHZ_READINESS,
                       progressDeadlineSeconds=30))
    run(c, 60)
    timed_out = condition(c, "Progressing")
    assert (timed_out["status"], timed_out["reason"]) == ("False", "ProgressDeadlineExceeded")
    c.apply(deployment("nginx:1.16.1", surge=1, unavailable=1, progressDeadlineSeconds=30))
    run_until(c, rolled_out())
    final = condition(c, "Progressing")
    assert brief(final) == ("True", "NewReplicaSetAvailable",
                            f'ReplicaSet "{rs_name(c, 3)}" has successfully progressed.')
    assert sim_seconds(final["lastTransitionTime"]) > sim_seconds(timed_out["lastTransitionTime"])
    assert [rs["spec"]["replicas"] for rs in rs_by_revision(c).values()] == [0, 0, 3]


def test_recreate_rollback_keeps_the_previous_progressing_message():
    """A quirk of progress.go syncRolloutStatus: with Recreate the old pods are gone before new
    ones exist, so status.replicas == updatedReplicas (0, then 3) throughout and the rollout
    counts as already complete while the reason is NewReplicaSetAvailable; a rollback re-uses
    an existing RS, so no NewReplicaSetCreated condition replaces it either. The condition
    keeps naming the previous ReplicaSet."""
    c = started(strategy_type="Recreate")
    rs1 = rs_name(c, 1)
    c.apply(deployment("nginx:1.16.1", strategy_type="Recreate"))
    run_until(c, rolled_out())
    rs2 = rs_name(c, 2)
    assert brief(condition(c, "Progressing"))[2] == f'ReplicaSet "{rs2}" has successfully progressed.'
    c.rollout_undo("web")
    records = run_until(c, rolled_out())
    assert scaling_messages(records) == [f"Scaled down replica set {rs2} from 3 to 0",
                                         f"Scaled up replica set {rs1} from 0 to 3"]
    assert [h["revision"] for h in c.rollout_history("web")] == [2, 3]
    assert brief(condition(c, "Progressing")) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs2}" has successfully progressed.')


def test_set_image_to_the_current_image_prints_nothing():
    c = started()
    generation = c.get("deployment", "web")["metadata"]["generation"]
    printed = c.set_image("web", "app", "nginx:1.14.2")
    assert c.get("deployment", "web")["metadata"]["generation"] == generation     # no update
    assert printed == ""


# kubectl prints `error: ` before these; the engine's messages leave that prefix out, as its
# `deployments.apps "web" is already paused` does
def test_restart_while_paused_names_the_deployment():
    c = started()
    c.rollout_pause("web")
    with pytest.raises(ValueError) as refused:
        c.rollout_restart("web")
    assert str(refused.value) == 'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'


def test_second_restart_in_the_same_second_is_refused():
    c = started()
    assert c.rollout_restart("web") == "deployment.apps/web restarted"
    generation = c.get("deployment", "web")["metadata"]["generation"]
    with pytest.raises(ValueError) as refused:
        c.rollout_restart("web")
    assert c.get("deployment", "web")["metadata"]["generation"] == generation
    assert str(refused.value) == ("failed to create patch for web: if restart has already been "
                                  "triggered within the past second, please wait before "
                                  "attempting to trigger another")


def test_proportional_scaling_while_paused_mid_rollout():
    """Paused Deployments go through sync.go sync: scaling still spreads proportionally, and
    nothing else moves."""
    c = started(10, surge=3, unavailable=2)
    old = rs_name(c, 1)
    c.apply(deployment(NEVER_READY, 10, surge=3, unavailable=2, container=HEALTHZ_READINESS))
    run(c, 30)
    new = rs_name(c, 2)
    c.rollout_pause("web")
    c.scale("web", 15)
    records = run(c, 60)
    assert scaling_messages(records) == [f"Scaled up replica set {old} from 8 to 11",
                                         f"Scaled up replica set {new} from 5 to 7"]
    assert brief(condition(c, "Progressing")) == ("Unknown", "DeploymentPaused", "Deployment is paused")


def test_generation_moves_on_spec_changes_not_on_controller_writes():
    """pkg/registry/apps/deployment/strategy.go PrepareForUpdate bumps metadata.generation when
    spec or annotations change; the controller's own revision annotation goes through the
    status subresource (deploymentStatusStrategy: no bump)."""
    c = started()
    generation = lambda: c.get("deployment", "web")["metadata"]["generation"]
    assert generation() == 1                     # the controller set the revision annotation
    manifest = deployment()
    manifest["metadata"]["labels"] = {"team": "a"}
    assert c.apply(manifest) == ["deployment.apps/web configured"]
    # the manifest changed, so did last-applied-configuration: an annotation update
    labelled = generation()
    c.scale("web", 4)
    assert generation() == labelled + 1
    c.rollout_pause("web")
    assert generation() == labelled + 2
    run(c, 2)
    assert c.get("deployment", "web")["status"]["observedGeneration"] == labelled + 2


def test_annotation_only_apply_bumps_the_generation():
    c = started()
    c.apply(deployment(annotations={CHANGE_CAUSE: "metadata only"}))
    assert c.get("deployment", "web")["metadata"]["generation"] == 2
    run(c, 2)
    assert c.get("deployment", "web")["status"]["observedGeneration"] == 2


def test_max_unavailable_above_replicas_is_capped():
    """deployment_util.go MaxUnavailable caps the resolved value at spec.replicas: with 2
    replicas and maxUnavailable 5 every old pod goes at once, and a Deployment with no
    available pod still reports minimum availability (0 >= 2 - 2)."""
    c = started(2, surge=0, unavailable=5)
    old = rs_name(c, 1)
    c.apply(deployment(NEVER_READY, 2, surge=0, unavailable=5, container=HEALTHZ_READINESS))
    records = run(c, 30)
    new = rs_name(c, 2)
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 2 to 0",
                                         f"Scaled up replica set {new} from 0 to 2"]
    status = c.get("deployment", "web")["status"]
    assert status.get("availableReplicas", 0) == 0 and status["unavailableReplicas"] == 2
    assert brief(condition(c, "Available")) == AVAILABLE_TRUE
