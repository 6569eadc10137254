"""Seed 004, "Zero-downtime deployment in Kubernetes": a FastAPI app that needs 15 s to
start, behind a LoadBalancer Service that a client calls five times a second, rolled out with
maxSurge 1 / maxUnavailable 0 and readiness/liveness probes; then without the probe, with
Recreate, and with a preStop pause, each showing what the Service's users get."""
from rolloutviz.demos import Demo, Step, apply_step

NAME = "k8s-rollout-demo"
IMAGE = "dejan1998/k8s-rollout-demo"

# /docs answers at once when the app listens; /version itself is slow (see the catalogue),
# so probing it would time out.
PROBES = (
    "        readinessProbe:\n"
    "          httpGet:\n"
    "            path: /docs\n"
    "            port: 8000\n"
    "          initialDelaySeconds: 5\n"
    "          periodSeconds: 5\n"
    "        livenessProbe:\n"
    "          tcpSocket:\n"
    "            port: 8000\n"
    "          initialDelaySeconds: 30\n"
    "          periodSeconds: 10\n"
)


# kube-proxy stops routing to a terminating pod a propagation delay after it stopped
# accepting connections: a preStop pause keeps the process serving through that gap
PRE_STOP = (
    "        lifecycle:\n"
    "          preStop:\n"
    "            sleep:\n"
    "              seconds: 5\n"
)
ROLLING = "    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n"
RECREATE = "    type: Recreate\n"
SERVICE = (
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    f"  name: {NAME}\n"
    "spec:\n"
    "  type: LoadBalancer\n"
    "  selector:\n"
    "    app: rollout-demo\n"
    "  ports:\n"
    "  - port: 80\n"
    "    targetPort: 8000\n"
)
TRAFFIC = {"service": NAME, "rate": 5, "path": "/version"}


def manifest(tag: str = "v0.1", probes: bool = True, strategy: str = ROLLING,
             pre_stop: bool = False) -> str:
    """The article's Deployment (written there in Terraform), as YAML."""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "spec:\n"
        "  replicas: 3\n"
        "  strategy:\n"
        f"{strategy}"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: rollout-demo\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: rollout-demo\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: app\n"
        f"        image: {IMAGE}:{tag}\n"
        "        ports:\n"
        "        - containerPort: 8000\n"
        f"{PROBES if probes else ''}"
        f"{PRE_STOP if pre_stop else ''}"
    )


DEMO = Demo(
    key="zero-downtime",
    title="Zero-downtime rolling deployment",
    description=(
        "A FastAPI app that sleeps 15 seconds at start-up (connecting to its database), behind "
        "a LoadBalancer Service. A client calls GET /version five times a second; the traffic "
        "strip shows what it gets. With a readiness probe and maxSurge 1 / maxUnavailable 0, a "
        "new version replaces the pods one at a time; without the probe, or with Recreate, "
        "requests fail; with a preStop pause as well, not one does."
    ),
    source="Zero Downtime Deployment in Kubernetes, Dev Genius (seed 004)",
    manifest=manifest() + "---\n" + SERVICE,
    steps=(
        Step("Send traffic to the Service",
             "A client calls GET /version on the Service five times a second. kube-proxy sends "
             "each request to one of the ready pods; all three answer \"v0.1\" (after the "
             "app's 15 s of thinking).",
             f"while true; do curl -s http://$(kubectl get svc {NAME} -o "
             "jsonpath='{.status.loadBalancer.ingress[0].ip}')/version; sleep 0.2; done",
             "traffic", TRAFFIC),
        Step("Roll out v0.2",
             "One extra pod starts; it is Running but not Ready for about 15 seconds, until "
             "the app listens and /docs answers. Only then is an old pod terminated. Availability never "
             "drops below 3, and the answers move from v0.1 to v0.2. A handful of requests are "
             "still refused: an old pod stops accepting connections at SIGTERM, and kube-proxy "
             "learns it is terminating about a second later.",
             f"kubectl set image deployment/{NAME} app={IMAGE}:v0.2",
             "set-image", {"deployment": NAME, "container": "app", "image": f"{IMAGE}:v0.2"}),
        Step("Watch it finish",
             "`rollout status` waits until all three new pods are available.",
             f"kubectl rollout status deployment/{NAME}",
             "kubectl", {"args": f"rollout status deployment/{NAME}"}),
        apply_step(
            "The same rollout without probes",
            "Remove the probes and go back to v0.1: each new pod counts as Ready the moment its "
            "container starts, so it joins the Service and old pods are terminated while the "
            "new app is still sleeping. The Deployment reports 3 available, yet for 15 seconds "
            "requests are refused.",
            manifest(tag="v0.1", probes=False)),
        apply_step(
            "Recreate instead",
            "The Recreate strategy stops every old pod before starting a new one: for a while "
            "the Service has no endpoints at all, then pods that are not listening yet.",
            manifest(tag="v0.2", probes=False, strategy=RECREATE)),
        apply_step(
            "Probes back, and a preStop pause",
            "Readiness probe, maxUnavailable 0, and a 5-second preStop sleep: a stopping pod "
            "keeps serving while kube-proxy catches up. (The pods this rollout stops have no "
            "pause yet, so a few requests may still fail this once.)",
            manifest(tag="v0.1", probes=True, pre_stop=True)),
        Step("Roll out v0.2: zero downtime",
             "The same rollout as the first, now from pods with the preStop pause: not one "
             "request fails, and the answers move from v0.1 to v0.2.",
             f"kubectl set image deployment/{NAME} app={IMAGE}:v0.2",
             "set-image", {"deployment": NAME, "container": "app", "image": f"{IMAGE}:v0.2"}),
    ),
)
