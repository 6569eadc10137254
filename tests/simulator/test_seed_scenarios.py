"""Every scenario of the seed tutorials (../shared/seeds), replayed on the simulator with
the tutorials' own manifests and images, asserting what a real cluster shows."""
import pytest

from cluster_helpers import (condition, container_state, pods_by_image, replica_sets,
                             scaling_messages, settled, sizes_by_image)
from simulator import Cluster


def hellok8s(image="guangzhengli/hellok8s:v1", replicas=3, strategy="", probe=""):
    # seed 000 (hellok8s tutorial)
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hellok8s-deployment
spec:
{strategy}  replicas: {replicas}
  selector:
    matchLabels:
      app: hellok8s
  template:
    metadata:
      labels:
        app: hellok8s
    spec:
      containers:
        - image: {image}
          name: hellok8s-container
{probe}"""


SURGE_1_1 = "  strategy:\n     rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 1\n"


def nginx(image="nginx:1.14.2", replicas=3, extra=""):
    # seed 001 (the Kubernetes docs' Deployment page)
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: {replicas}
{extra}  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: {image}
        ports:
        - containerPort: 80
"""


def live_pods(c):
    return [p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]]


def test_000_deployment_heals_a_deleted_pod():
    c = Cluster(seed=0)
    c.apply(hellok8s(replicas=1))
    settled(c, "hellok8s-deployment")
    (pod,) = live_pods(c)
    c.delete_pod(pod["metadata"]["name"])
    c.step()
    (replacement,) = live_pods(c)
    assert replacement["metadata"]["name"] != pod["metadata"]["name"]
    settled(c, "hellok8s-deployment")
    assert container_state(live_pods(c)[0]) == "running"


def test_000_scaling_from_one_to_three_by_apply():
    c = Cluster(seed=0)
    c.apply(hellok8s(replicas=1))
    settled(c, "hellok8s-deployment")
    assert c.apply(hellok8s(replicas=3)) == ["deployment.apps/hellok8s-deployment configured"]
    records = c.advance(10)
    (rs,) = replica_sets(c)
    assert scaling_messages(records) == [f"Scaled up replica set {rs} from 1 to 3"]
    assert pods_by_image(c, ready=True) == {"guangzhengli/hellok8s:v1": 3}
    assert [h["revision"] for h in c.rollout_history("hellok8s-deployment")] == [1]


def test_001_rolling_update_event_order_of_the_docs():
    c = Cluster(seed=1)
    c.apply(nginx())
    settled(c, "nginx-deployment")
    c.set_image("nginx-deployment", "nginx", "nginx:1.16.1")
    records = []
    while not c.rollout_status("nginx-deployment")[1]:
        records += c.step()
    old, new = sorted(replica_sets(c), key=lambda n: replica_sets(c)[n]["revision"])
    assert scaling_messages(records) == [
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 3 to 2",
        f"Scaled up replica set {new} from 1 to 2",
        f"Scaled down replica set {old} from 2 to 1",
        f"Scaled up replica set {new} from 2 to 3",
        f"Scaled down replica set {old} from 1 to 0"]
    assert c.rollout_status("nginx-deployment") == (
        'deployment "nginx-deployment" successfully rolled out\n', True)


@pytest.mark.parametrize("strategy, first_step", [
    ("    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n", {"qinchaowhut/allen:v1": 3, "qinchaowhut/allen:v2": 1}),
    ("    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 1\n", {"qinchaowhut/allen:v1": 2, "qinchaowhut/allen:v2": 2}),
], ids=["surge1-unavailable0", "surge1-unavailable1"])
def test_003_surge_and_unavailable(strategy, first_step):
    manifest = f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: testqc
spec:
  replicas: 3
  strategy:
{strategy}  template:
    metadata:
      name: allen
      labels:
        app: testing
    spec:
      containers:
      - image: qinchaowhut/allen:v1
        name: nodejs
        imagePullPolicy: IfNotPresent
  selector:
    matchLabels:
      app: testing
"""
    c = Cluster(seed=3)
    c.apply(manifest)
    settled(c, "testqc")
    c.set_image("testqc", "nodejs", "qinchaowhut/allen:v2")
    c.step()
    assert sizes_by_image(c) == first_step
    unavailable = first_step["qinchaowhut/allen:v1"] == 2
    # never fewer than 3 - maxUnavailable available pods, never more than 4 counted
    while not c.rollout_status("testqc")[1]:
        c.step()
        d = c.get("deployment", "testqc")
        assert d["status"].get("availableReplicas", 0) >= (2 if unavailable else 3)
        assert sum(sizes_by_image(c).values()) <= 4
    assert sizes_by_image(c) == {"qinchaowhut/allen:v1": 0, "qinchaowhut/allen:v2": 3}


def test_000_liveness_probe_restarts_the_container():
    probe = ("          livenessProbe:\n            httpGet:\n              path: /healthz\n"
             "              port: 3000\n            initialDelaySeconds: 3\n            periodSeconds: 3\n")
    c = Cluster(seed=0)
    c.apply(hellok8s("guangzhengli/hellok8s:liveness", strategy=SURGE_1_1, probe=probe))
    c.advance(102)
    restarts = [p["status"]["containerStatuses"][0]["restartCount"] for p in live_pods(c)]
    assert len(restarts) == 3 and all(r >= 3 for r in restarts)
    reasons = {e["reason"]: e for e in c.list("event") if e["involvedObject"]["kind"] == "Pod"}
    assert reasons["Killing"]["message"] == "Container hellok8s-container failed liveness probe, will be restarted"
    assert reasons["Unhealthy"]["message"] == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert reasons["Pulled"]["message"] == 'Container image "guangzhengli/hellok8s:liveness" already present on machine'
    # the kubelet's event writes about one pod are rate limited (burst 25), so counts lag
    assert reasons["Pulled"]["count"] >= 2


def test_000_bad_readiness_stalls_with_two_old_ready_and_two_new_not_ready():
    probe = ("          readinessProbe:\n            httpGet:\n              path: /healthz\n"
             "              port: 3000\n            initialDelaySeconds: 1\n            successThreshold: 5\n")
    c = Cluster(seed=0)
    c.apply(hellok8s("guangzhengli/hellok8s:v2", strategy=SURGE_1_1))
    settled(c, "hellok8s-deployment")
    c.apply(hellok8s("guangzhengli/hellok8s:bad", strategy=SURGE_1_1, probe=probe))
    c.advance(120)
    assert pods_by_image(c, ready=True) == {"guangzhengli/hellok8s:v2": 2}
    assert pods_by_image(c, ready=False) == {"guangzhengli/hellok8s:bad": 2}
    assert all(container_state(p) == "running" for p in live_pods(c))
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 0 for p in live_pods(c))
    d = c.get("deployment", "hellok8s-deployment")
    assert (d["status"]["replicas"], d["status"]["updatedReplicas"], d["status"]["readyReplicas"],
            d["status"]["availableReplicas"], d["status"]["unavailableReplicas"]) == (4, 2, 2, 2, 2)
    assert condition(d, "Available")["status"] == "True"
    assert c.rollout_status("hellok8s-deployment")[0] == (
        'Waiting for deployment "hellok8s-deployment" rollout to finish: '
        "2 out of 3 new replicas have been updated...\n")
    unhealthy = [e for e in c.list("event") if e["reason"] == "Unhealthy"]
    assert {e["message"] for e in unhealthy} == {"Readiness probe failed: HTTP probe failed with statuscode: 500"}
    c.advance(600)
    assert c.rollout_status("hellok8s-deployment") == (
        'error: deployment "hellok8s-deployment" exceeded its progress deadline\n', False)


def test_000_a_pod_that_is_not_ready_gets_no_requests():
    """The tutorial's words: a pod that is not ready is removed from the Service's load
    balancer. Requests through a Service during the stalled bad rollout all reach the two
    ready v2 pods; the killed v2 pod's last ones are refused (no preStop), the bad pods
    get none."""
    probe = ("          readinessProbe:\n            httpGet:\n              path: /healthz\n"
             "              port: 3000\n            initialDelaySeconds: 1\n            successThreshold: 5\n")
    service = ("apiVersion: v1\nkind: Service\nmetadata: {name: service-hellok8s-clusterip}\n"
               "spec:\n  selector: {app: hellok8s}\n  ports: [{port: 3000, targetPort: 3000}]\n")
    c = Cluster(seed=0)
    c.apply(hellok8s("guangzhengli/hellok8s:v2", strategy=SURGE_1_1) + "---\n" + service)
    settled(c, "hellok8s-deployment")
    c.advance(2)   # kube-proxy learns of the last pods to become ready
    c.send_traffic("service-hellok8s-clusterip", rate=10)
    c.apply(hellok8s("guangzhengli/hellok8s:bad", strategy=SURGE_1_1, probe=probe))
    c.advance(120)
    seen = c.traffic("service-hellok8s-clusterip")
    assert seen["answers"] == {"[v2] Hello, Kubernetes!": seen["ok"]}
    assert set(seen["errors"]) <= {"connection refused"} and seen["failed"] <= 10
    [endpoint_slice] = c.list("endpointslice")
    ready = {e["targetRef"]["name"]: e["conditions"]["ready"] for e in endpoint_slice["endpoints"]}
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in live_pods(c)}
    assert sorted((images[name], ok) for name, ok in ready.items()) == [
        ("guangzhengli/hellok8s:bad", False), ("guangzhengli/hellok8s:bad", False),
        ("guangzhengli/hellok8s:v2", True), ("guangzhengli/hellok8s:v2", True)]


@pytest.mark.parametrize("image", ["nginx:1.161", "nginx:sometag"], ids=["docs-typo", "sometag"])
def test_001_unpullable_image_stalls_at_image_pull_back_off(image):
    c = Cluster(seed=1)
    c.apply(nginx())
    settled(c, "nginx-deployment")
    c.set_image("nginx-deployment", "nginx", image)
    c.advance(30)
    assert sizes_by_image(c) == {"nginx:1.14.2": 3, image: 1}
    (stuck,) = [p for p in live_pods(c) if p["spec"]["containers"][0]["image"] == image]
    assert stuck["status"]["phase"] == "Pending"
    assert container_state(stuck) in ("ImagePullBackOff", "ErrImagePull")
    assert any(e["message"].startswith(f'Failed to pull image "{image}"') for e in c.list("event"))
    assert pods_by_image(c, ready=True) == {"nginx:1.14.2": 3}


def test_001_proportional_scaling_of_a_stuck_rollout():
    c = Cluster(seed=1)
    c.apply(nginx(replicas=10, extra="  strategy:\n    rollingUpdate:\n      maxSurge: 3\n      maxUnavailable: 2\n"))
    settled(c, "nginx-deployment")
    c.set_image("nginx-deployment", "nginx", "nginx:sometag")
    c.advance(30)
    assert sizes_by_image(c) == {"nginx:1.14.2": 8, "nginx:sometag": 5}
    assert c.scale("nginx-deployment", 15) == "deployment.apps/nginx-deployment scaled"
    c.advance(30)
    assert sizes_by_image(c) == {"nginx:1.14.2": 11, "nginx:sometag": 7}


def test_001_rollback_after_three_revisions():
    c = Cluster(seed=1)
    c.apply(nginx())
    settled(c, "nginx-deployment")
    for image in ("nginx:1.16.1", "nginx:1.161"):
        c.set_image("nginx-deployment", "nginx", image)
        c.advance(20)
    assert [h["revision"] for h in c.rollout_history("nginx-deployment")] == [1, 2, 3]
    assert c.rollout_undo("nginx-deployment") == "deployment.apps/nginx-deployment rolled back"
    settled(c, "nginx-deployment")
    assert [h["revision"] for h in c.rollout_history("nginx-deployment")] == [1, 3, 4]
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "nginx:1.16.1": 3, "nginx:1.161": 0}


def test_001_pause_several_edits_resume_is_one_rollout():
    c = Cluster(seed=1)
    c.apply(nginx())
    settled(c, "nginx-deployment")
    c.rollout_pause("nginx-deployment")
    c.set_image("nginx-deployment", "nginx", "nginx:1.16.1")
    c.apply(nginx("nginx:1.16.1").replace("        - containerPort: 80\n",
                                          "        - containerPort: 80\n        resources:\n"
                                          "          limits: {cpu: 200m, memory: 512Mi}\n"))
    c.advance(30)
    assert len(replica_sets(c)) == 1
    c.rollout_resume("nginx-deployment")
    settled(c, "nginx-deployment")
    assert [h["revision"] for h in c.rollout_history("nginx-deployment")] == [1, 2]
    pod = live_pods(c)[0]
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "200m", "memory": "512Mi"}


def test_001_progress_deadline_exceeded():
    c = Cluster(seed=1)
    c.apply(nginx(extra="  progressDeadlineSeconds: 10\n"))
    settled(c, "nginx-deployment")
    c.set_image("nginx-deployment", "nginx", "nginx:1.161")
    c.advance(30)
    d = c.get("deployment", "nginx-deployment")
    progressing = condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert c.rollout_status("nginx-deployment") == (
        'error: deployment "nginx-deployment" exceeded its progress deadline\n', False)


def test_001_revision_history_limit_keeps_the_newest_old_replica_sets():
    c = Cluster(seed=1)
    extra = "  revisionHistoryLimit: 1\n"
    for image in ("nginx:1.14.2", "nginx:1.16.1", "nginx:latest"):
        c.apply(nginx(image, extra=extra))
        settled(c, "nginx-deployment")
        c.step()
    assert sorted(rs["image"] for rs in replica_sets(c).values()) == ["nginx:1.16.1", "nginx:latest"]
    assert [h["revision"] for h in c.rollout_history("nginx-deployment")] == [2, 3]


def test_001_recreate_strategy():
    c = Cluster(seed=1)
    c.apply(nginx(extra="  strategy:\n    type: Recreate\n"))
    settled(c, "nginx-deployment")
    c.set_image("nginx-deployment", "nginx", "nginx:1.16.1")
    records = c.advance(20)
    old, new = sorted(replica_sets(c), key=lambda n: replica_sets(c)[n]["revision"])
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 3 to 0",
                                         f"Scaled up replica set {new} from 0 to 3"]


def test_002_replica_set_survives_a_node_going_down():
    rs = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: nginx-rs
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
"""
    c = Cluster(seed=2)
    c.apply(rs)
    c.advance(10)
    node = live_pods(c)[0]["spec"]["nodeName"]
    old = {p["metadata"]["name"] for p in live_pods(c) if p["spec"]["nodeName"] == node}
    c.set_node_ready(node, False)
    c.advance(320)
    terminating = {p["metadata"]["name"] for p in c.list("pod") if "deletionTimestamp" in p["metadata"]}
    assert terminating == old
    assert len(live_pods(c)) == 3 and all(p["spec"]["nodeName"] != node for p in live_pods(c))
    c.set_node_ready(node, True)
    c.advance(5)
    assert {p["metadata"]["name"] for p in c.list("pod")}.isdisjoint(old)
    assert c.get("replicaset", "nginx-rs")["status"]["readyReplicas"] == 3


SEED_004_APP = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: k8s-rollout-demo
spec:
  replicas: 3
  strategy:
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      app: demo
  template:
    metadata:
      labels:
        app: demo
    spec:
      containers:
      - name: app
        image: dejan1998/k8s-rollout-demo:{tag}
        readinessProbe:
          httpGet: {{path: /docs, port: 8000}}
          periodSeconds: 5
        livenessProbe:
          httpGet: {{path: /docs, port: 8000}}
          initialDelaySeconds: 30
"""


def test_004_slow_starting_app_rolls_out_without_downtime():
    c = Cluster(seed=4)
    c.apply(SEED_004_APP.format(tag="v0.1"))
    settled(c, "k8s-rollout-demo")
    c.apply(SEED_004_APP.format(tag="v0.2"))
    c.step()
    while not c.rollout_status("k8s-rollout-demo")[1]:
        c.step()
        # zero downtime: 3 ready pods all along
        assert c.get("deployment", "k8s-rollout-demo")["status"].get("readyReplicas", 0) >= 3
    assert c.now > 45   # each new pod needs 15 s before it answers
    assert all(p["status"]["containerStatuses"][0]["restartCount"] == 0 for p in live_pods(c))


SEED_004_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: k8s-rollout-demo
spec:
  type: LoadBalancer
  selector:
    app: demo
  ports:
  - port: 80
    targetPort: 8000
"""


@pytest.mark.parametrize("pre_stop,failures", [(False, (1, 20)), (True, (0, 0))],
                         ids=["probes-only", "probes-and-preStop"])
def test_004_what_the_users_of_the_service_see_during_the_rollout(pre_stop, failures):
    """The test the article's author could not make: requests to `${external ip}/version`
    all through the rollout. The readiness probe and maxUnavailable 0 keep three pods
    ready, yet a few requests still reach old pods that already got SIGTERM, while
    kube-proxy has not yet learned that they are going; a preStop pause closes that gap."""
    manifest = SEED_004_APP
    if pre_stop:
        manifest = manifest.replace("        readinessProbe:", "        lifecycle:\n"
                                    "          preStop:\n            sleep: {{seconds: 5}}\n"
                                    "        readinessProbe:")
    c = Cluster(seed=4)
    c.apply(manifest.format(tag="v0.1") + "---" + SEED_004_SERVICE)
    settled(c, "k8s-rollout-demo")
    c.advance(5)
    (ingress,) = c.get("service", "k8s-rollout-demo")["status"]["loadBalancer"]["ingress"]
    assert ingress["ip"].startswith("203.0.113.")   # `kubectl get services`: EXTERNAL-IP
    c.send_traffic("k8s-rollout-demo", rate=5, path="/version")
    c.advance(10)
    c.apply(manifest.format(tag="v0.2"))
    c.step()
    while not c.rollout_status("k8s-rollout-demo")[1]:
        c.step()
    c.advance(30)
    seen = c.traffic("k8s-rollout-demo")
    low, high = failures
    assert low <= seen["failed"] <= high and set(seen["errors"]) <= {"connection refused"}
    # every answer is a version; /version takes 15 s (v0.1) or 5 s (v0.2), within the
    # client's 30 s
    assert set(seen["answers"]) == {'"v0.1"', '"v0.2"'}
    assert seen["sent"] == seen["ok"] + seen["failed"]
