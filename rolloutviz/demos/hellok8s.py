"""Seed 000, the hellok8s Deployment chapter: self-healing, scaling, rolling update,
rollback, maxSurge/maxUnavailable, a liveness probe that restarts, a readiness probe that
stops a bad release."""
from rolloutviz.demos import Demo, Step, apply_step

NAME = "hellok8s-deployment"
SERVICE_NAME = "service-hellok8s-clusterip"
# the tutorial's next chapter puts the pods behind this Service (port 3000, where hellok8s listens)
SERVICE = (
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    f"  name: {SERVICE_NAME}\n"
    "spec:\n"
    "  type: ClusterIP\n"
    "  selector:\n"
    "    app: hellok8s\n"
    "  ports:\n"
    "  - port: 3000\n"
    "    targetPort: 3000\n"
)


def manifest(image: str = "guangzhengli/hellok8s:v1", replicas: int = 1, strategy: bool = False,
             probe: str = "") -> str:
    """The tutorial's deployment.yaml at one of its stages."""
    strategy_text = (
        "  strategy:\n"
        "    rollingUpdate:\n"
        "      maxSurge: 1\n"
        "      maxUnavailable: 1\n"
    ) if strategy else ""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "spec:\n"
        f"{strategy_text}"
        f"  replicas: {replicas}\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: hellok8s\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: hellok8s\n"
        "    spec:\n"
        "      containers:\n"
        f"        - image: {image}\n"
        "          name: hellok8s-container\n"
        f"{probe}"
    )


LIVENESS = (
    "          livenessProbe:\n"
    "            httpGet:\n"
    "              path: /healthz\n"
    "              port: 3000\n"
    "            initialDelaySeconds: 3\n"
    "            periodSeconds: 3\n"
)
READINESS = (
    "          readinessProbe:\n"
    "            httpGet:\n"
    "              path: /healthz\n"
    "              port: 3000\n"
    "            initialDelaySeconds: 1\n"
    "            successThreshold: 5\n"
)

DEMO = Demo(
    key="hellok8s",
    title="hellok8s: the Deployment chapter",
    description=(
        "One hellok8s pod managed by a Deployment: delete it and watch it come back, scale to "
        "three, roll out v2, roll back, tune maxSurge/maxUnavailable, then see a liveness "
        "probe restart containers and a readiness probe hold back a bad release."
    ),
    source="hellok8s tutorial, chapter Deployment (seed 000)",
    manifest=manifest() + "---\n" + SERVICE,
    steps=(
        Step(
            "Delete the pod",
            "A Deployment keeps its replicas running: when you delete its only pod, the "
            "ReplicaSet notices the missing replica at once and creates a new pod with a new "
            "name. Pods are cattle, the Deployment is what you manage.",
            "kubectl delete pod <pod name>",
            "delete-pod",
            {"deployment": NAME},
        ),
        apply_step(
            "Scale to 3 replicas",
            "Set replicas to 3 in the manifest and apply it again. The same ReplicaSet grows "
            "from 1 to 3 pods; no new revision, because the pod template did not change.",
            manifest(replicas=3),
        ),
        apply_step(
            "Upgrade to v2",
            "Change the image to hellok8s:v2. The pod template changed, so the Deployment "
            "creates a new ReplicaSet (revision 2) and rolls over with the default 25% max "
            "surge and 25% max unavailable: with 3 replicas, one extra pod at most and none "
            "unavailable.",
            manifest(image="guangzhengli/hellok8s:v2", replicas=3),
        ),
        Step(
            "Roll back",
            "`rollout undo` goes back to the previous revision: the v1 ReplicaSet is scaled up "
            "again and gets the next revision number (3); revision 1 disappears from the "
            "history because it is the same template.",
            "kubectl rollout undo deployment hellok8s-deployment",
            "undo",
            {"deployment": NAME},
        ),
        Step(
            "Back to v2 by revision number",
            "`--to-revision=2` picks a revision from the history; the v2 ReplicaSet comes back "
            "and becomes revision 4.",
            "kubectl rollout undo deployment/hellok8s-deployment --to-revision=2",
            "undo",
            {"deployment": NAME, "to_revision": 2},
        ),
        apply_step(
            "maxSurge 1, maxUnavailable 1",
            "Write the rolling-update limits into the manifest: at most 4 pods (replicas + "
            "maxSurge) and at least 2 available (replicas - maxUnavailable) during a rollout. "
            "The template is unchanged, so nothing rolls now.",
            manifest(image="guangzhengli/hellok8s:v2", replicas=3, strategy=True),
        ),
        apply_step(
            "A liveness probe that fails after 15 s",
            "hellok8s:liveness answers /healthz with 200 for 15 seconds, then 500. The kubelet "
            "probes every 3 seconds after a 3 second delay; after 3 failures it kills the "
            "container and restarts it, with a growing back-off (CrashLoopBackOff).",
            manifest(image="guangzhengli/hellok8s:liveness", replicas=3, strategy=True,
                     probe=LIVENESS),
        ),
        Step(
            "Roll back to v2",
            "Undo the liveness release: the v2 ReplicaSet is the previous revision.",
            "kubectl rollout undo deployment hellok8s-deployment",
            "undo",
            {"deployment": NAME},
        ),
        apply_step(
            "A readiness probe that never passes",
            "hellok8s:bad answers /healthz with 500. Its pods run but never become Ready, so "
            "the rollout stops: with maxUnavailable 1 the Deployment keeps 2 v2 pods Ready and "
            "2 bad pods not Ready, and the service keeps working.",
            manifest(image="guangzhengli/hellok8s:bad", replicas=3, strategy=True,
                     probe=READINESS),
        ),
        Step(
            "Call the Service during the stalled rollout",
            "Ten requests a second to the Service: kube-proxy sends them only to Ready pods, so "
            "every answer is \"[v2] Hello, Kubernetes!\" and none fails; the bad pods get no "
            "traffic. A pod that is not Ready is removed from the Service's endpoints.",
            f"kubectl run curl --rm -it --image=curlimages/curl -- sh -c 'while true; do curl -s "
            f"http://{SERVICE_NAME}:3000; sleep 0.1; done'",
            "traffic",
            {"service": SERVICE_NAME, "rate": 10},
        ),
    ),
)
