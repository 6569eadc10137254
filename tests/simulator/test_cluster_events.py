"""Events as the client-go event recorder writes them: core/v1 shape, identical events
counted up, similar events combined after the 10th distinct message."""
from cluster_helpers import deployment_yaml
from simulator import Cluster


def test_event_object_shape():
    c = Cluster(seed=1)
    c.apply(deployment_yaml(replicas=1))
    c.step()
    event = next(e for e in c.list("event") if e["reason"] == "ScalingReplicaSet")
    assert event["apiVersion"] == "v1" and event["kind"] == "Event"
    assert event["type"] == "Normal" and event["count"] == 1
    assert event["involvedObject"]["kind"] == "Deployment"
    assert event["involvedObject"]["name"] == "web"
    assert event["involvedObject"]["uid"] == c.get("deployment", "web")["metadata"]["uid"]
    assert event["source"] == {"component": "deployment-controller"}
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-01-01T00:00:00Z"
    assert event["metadata"]["name"].startswith("web.")


def test_similar_events_are_combined_from_the_tenth_distinct_message():
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=12))
    c.step()
    created = [e for e in c.list("event") if e["reason"] == "SuccessfulCreate"]
    assert len(created) == 10
    assert [e["count"] for e in created] == [1] * 9 + [3]
    assert all(e["message"].startswith("Created pod: ") for e in created[:9])
    assert created[9]["message"].startswith("(combined from similar events): Created pod: ")


def test_identical_events_are_counted_up_with_first_and_last_time():
    c = Cluster(seed=3, nodes=1)
    c.apply(deployment_yaml("guangzhengli/hellok8s:bad", replicas=1,
                            container_extra="readinessProbe:\n  httpGet: {path: /healthz, port: 3000}\n"
                                            "  periodSeconds: 5\n"))
    c.advance(60)
    (unhealthy,) = [e for e in c.list("event") if e["reason"] == "Unhealthy"
                    and e["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 500"]
    assert unhealthy["count"] >= 10
    assert unhealthy["firstTimestamp"] < unhealthy["lastTimestamp"]
    assert unhealthy["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert unhealthy["source"]["host"] == "node-1"


def test_events_expire_an_hour_after_their_last_write():
    c = Cluster(seed=4)
    c.apply(deployment_yaml(replicas=1))
    c.advance(10)
    first = {e["metadata"]["name"] for e in c.list("event")}
    assert first
    c.advance(3580)   # t = 3590: the pod's events (written at 0-4 s) are still there
    assert {e["metadata"]["name"] for e in c.list("event")} == first
    c.advance(20)
    assert c.list("event") == []
    # the cluster goes on as before: new events appear as usual
    c.scale("web", 2)
    c.advance(10)
    assert any(e["reason"] == "ScalingReplicaSet" for e in c.list("event"))

