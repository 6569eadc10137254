"""Requests through a Service during a rollout (issue 15): an app that needs 15 s to start,
rolled from v1 to v2 at 20 requests per second. What the clients see comes from the
simulated requests themselves: kube-proxy's rules at each request's instant and what the
chosen container answers then."""
from __future__ import annotations

import json

import pytest

from cluster_helpers import deployment_yaml, rolling
from simulator import Cluster

RATE = 20
SLOW_APP = "\n---\n".join(f"""
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata: {{name: app-{tag}}}
spec:
  image: example.com/app:{tag}
  startupSeconds: 15
  http:
  - port: 8080
    otherPathsBody: "{tag}"
""" for tag in ("v1", "v2"))
SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
READINESS = """
ports: [{containerPort: 8080}]
readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1
"""
PRE_STOP = """
lifecycle:
  preStop:
    sleep: {seconds: 5}
"""


def started(strategy: str, container: str, *, proxy_delay: float = 1.0) -> Cluster:
    """v1 running and answering, a client sending RATE requests per second for 10 s."""
    c = Cluster(seed=4, proxy_delay=proxy_delay)
    c.apply(SLOW_APP)
    c.apply(deployment_yaml("example.com/app:v1", 3, strategy=strategy, container_extra=container))
    c.apply(SERVICE)
    c.advance(40)
    c.send_traffic("web", rate=RATE)
    c.advance(10)
    return c


def rolled(c: Cluster, seconds: int = 120) -> list[dict]:
    """Roll to v2 and step `seconds`: each step's Traffic record."""
    c.set_image("web", "app", "example.com/app:v2")
    records = []
    for _ in range(seconds):
        step = [r for r in c.step() if r["kind"] == "Traffic"]
        assert len(step) == 1 and step[0]["type"] == "TRAFFIC" and step[0]["name"] == "web"
        records.append(step[0]["object"])
    return records


def counted_once(totals: dict) -> bool:
    return (totals["sent"] == totals["ok"] + totals["failed"]
            == sum(totals["answers"].values()) + sum(totals["errors"].values()))


CASES = [
    # name, strategy, container, proxy delay, errors expected (reason -> (at least, at most))
    ("readiness-maxUnavailable-0-preStop", rolling(1, 0), READINESS + PRE_STOP, 1.0, {}),
    ("no-readiness-probe", rolling(1, 0), "ports: [{containerPort: 8080}]", 1.0,
     {"connection refused": (100, 400)}),
    # (the old pods' preStop keeps them answering; after SIGTERM kube-proxy still falls
    # back to them, serving and terminating, until it learns they are gone)
    ("recreate", "strategy: {type: Recreate}", READINESS + PRE_STOP, 1.0,
     {"no endpoints": (200, 400), "connection refused": (1, 60)}),
    ("readiness-without-preStop", rolling(1, 0), READINESS, 1.0,
     {"connection refused": (1, 60)}),
    ("readiness-without-preStop-instant-proxy", rolling(1, 0), READINESS, 0.0, {}),
]


@pytest.mark.parametrize("strategy,container,delay,errors", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rollout_behind_a_service(strategy, container, delay, errors):
    c = started(strategy, container, proxy_delay=delay)
    before = c.traffic("web")
    assert before == {"sent": 10 * RATE, "ok": 10 * RATE, "failed": 0,
                      "answers": {"v1": 10 * RATE}, "errors": {}}
    ticks = rolled(c)
    after = c.traffic("web")
    assert after["sent"] == 130 * RATE   # evenly spaced: exactly RATE per simulated second
    assert counted_once(after) and all(counted_once(t) for t in ticks)
    for key in ("sent", "ok", "failed"):   # the step records add up to the totals
        assert before[key] + sum(t[key] for t in ticks) == after[key]
    assert set(after["errors"]) == set(errors)
    for reason, (low, high) in errors.items():
        assert low <= after["errors"][reason] <= high, (reason, after["errors"])
    # the answers move from v1 to v2: the last 20 s only v2 answers
    assert set(after["answers"]) == {"v1", "v2"}
    assert all(t["answers"] == {"v2": RATE} for t in ticks[-20:])
    assert [d["metadata"]["name"] for d in c.list("deployment")] == ["web"]


def test_failures_come_from_the_requests_not_from_ready_counts():
    """Without a readiness probe the Deployment reports all pods available while they
    cannot answer yet: the failures are the requests kube-proxy sent to them."""
    c = started(rolling(1, 0), "ports: [{containerPort: 8080}]")
    ticks = rolled(c, 60)
    failing = [i for i, t in enumerate(ticks) if t["failed"]]
    assert failing
    # while requests failed, the Deployment's availability never dropped below 3
    assert c.get("deployment", "web")["status"]["availableReplicas"] == 3
    # each failing second, a share of the requests went to pods whose app did not listen
    assert all(ticks[i]["errors"] == {"connection refused": ticks[i]["failed"]} for i in failing)


def test_stopping_traffic_and_changing_its_rate_and_path():
    c = started(rolling(1, 0), READINESS)
    assert c.traffic_clients() == {"web": {"rate": 20.0, "path": "/", "port": 80}}
    c.send_traffic("web", rate=5, path="/other")
    assert [r["object"]["sent"] for r in c.advance(3) if r["kind"] == "Traffic"] == [5, 5, 5]
    c.send_traffic("web", rate=0)
    assert not [r for r in c.advance(3) if r["kind"] == "Traffic"]
    assert c.traffic("web")["sent"] == 10 * RATE + 15
    assert c.traffic_clients()["web"]["rate"] == 0


def test_half_a_request_per_second_sends_every_other_second():
    c = started(rolling(1, 0), READINESS)
    c.send_traffic("web", rate=0.5)
    assert [r["object"]["sent"] for r in c.advance(6) if r["kind"] == "Traffic"] == [0, 1] * 3


@pytest.mark.parametrize("kwargs,error", [
    ({"rate": 1001}, "rate 1001 is above the limit of 1000 requests per second"),
    ({"rate": -1}, "rate must be 0 or more requests per second, got -1"),
    ({"rate": "fast"}, "rate must be a number of requests per second, got 'fast'"),
    ({"rate": True}, "rate must be a number of requests per second, got True"),
    ({"rate": 0.0001}, "rate 0.0001 is below the smallest rate, 0.001 requests per second"),
    ({"rate": 1, "path": "version"}, "path must be a string starting with '/'"),
    ({"rate": 1, "port": 8080}, "service \"web\" has no port 8080"),
    ({"rate": 1, "port": "http"}, "service \"web\" has no port 'http'"),
], ids=["above-cap", "negative", "text", "bool", "too-slow", "relative-path", "no-such-port",
        "no-such-port-name"])
def test_bad_traffic_is_refused_and_changes_nothing(kwargs, error):
    c = started(rolling(1, 0), READINESS)
    state = json.dumps(c.snapshot(), sort_keys=True)
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        c.send_traffic("web", **kwargs)
    assert json.dumps(c.snapshot(), sort_keys=True) == state


def test_traffic_to_a_missing_service_is_refused():
    c = Cluster()
    with pytest.raises(KeyError, match='services "web" not found'):
        c.send_traffic("web", rate=1)
    with pytest.raises(KeyError, match='services "web" not found'):
        c.traffic("web")


def test_a_service_with_no_pods_answers_no_endpoints():
    c = Cluster()
    c.apply(SERVICE)
    c.send_traffic("web", rate=10)
    c.advance(3)
    assert c.traffic("web") == {"sent": 30, "ok": 0, "failed": 30, "answers": {},
                                "errors": {"no endpoints": 30}}


def test_sending_traffic_changes_nothing_else():
    """The picks come from a generator of the traffic's own: the same commands with and
    without a client give the same records (but the Traffic ones)."""
    def run(send: bool) -> list[dict]:
        c = started(rolling(1, 0), READINESS) if send else None
        if not send:
            c = Cluster(seed=4)
            c.apply(SLOW_APP)
            c.apply(deployment_yaml("example.com/app:v1", 3, strategy=rolling(1, 0),
                                    container_extra=READINESS))
            c.apply(SERVICE)
            c.advance(50)
        c.set_image("web", "app", "example.com/app:v2")
        return [r for r in c.advance(90) if r["kind"] != "Traffic"]
    assert run(True) == run(False)


def test_traffic_is_deterministic_and_survives_snapshot_and_restore():
    c = started(rolling(1, 0), READINESS)
    c.set_image("web", "app", "example.com/app:v2")
    c.advance(20)   # half-way: requests in flight through the propagation delay
    twin = Cluster.restore(json.loads(json.dumps(c.snapshot())))
    assert [twin.step() for _ in range(60)] == [c.step() for _ in range(60)]
    assert twin.traffic("web") == c.traffic("web")
    again = started(rolling(1, 0), READINESS)
    again.set_image("web", "app", "example.com/app:v2")
    again.advance(80)
    assert again.traffic("web") == c.traffic("web")


def test_a_thousand_requests_per_second_in_a_long_tick_are_all_counted():
    c = Cluster(seed=2, tick=10.0)
    c.apply(deployment_yaml("guangzhengli/hellok8s:v1", 2))
    c.apply(SERVICE.replace("8080", "3000"))
    c.advance(30)
    c.send_traffic("web", rate=1000)
    records = c.step()
    assert [r["object"]["answers"] for r in records if r["kind"] == "Traffic"] == [
        {"[v1] Hello, Kubernetes!": 10_000}]
