"""Seed 004, "Zero-downtime deployment in Kubernetes": a FastAPI app that needs 15 s to
start, rolled out with maxSurge 1 / maxUnavailable 0 and readiness/liveness probes, and the
same rollout without a readiness probe for contrast."""
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


def manifest(tag: str = "v0.1", probes: bool = True) -> str:
    """The article's Deployment (written there in Terraform), as YAML."""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "spec:\n"
        "  replicas: 3\n"
        "  strategy:\n"
        "    type: RollingUpdate\n"
        "    rollingUpdate:\n"
        "      maxSurge: 1\n"
        "      maxUnavailable: 0\n"
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
    )


DEMO = Demo(
    key="zero-downtime",
    title="Zero-downtime rolling deployment",
    description=(
        "A FastAPI app that sleeps 15 seconds at start-up (connecting to its database). "
        "With a readiness probe and maxSurge 1 / maxUnavailable 0, a new version replaces "
        "the pods one at a time and three pods answer throughout; without the probe, pods "
        "count as ready before the app can serve."
    ),
    source="Zero Downtime Deployment in Kubernetes, Dev Genius (seed 004)",
    manifest=manifest(),
    steps=(
        Step("Roll out v0.2",
             "One extra pod starts; it is Running but not Ready for about 15 seconds, until "
             "the app listens and /docs answers. Only then is an old pod terminated. Availability never "
             "drops below 3: zero downtime.",
             f"kubectl set image deployment/{NAME} app={IMAGE}:v0.2",
             "set-image", {"deployment": NAME, "container": "app", "image": f"{IMAGE}:v0.2"}),
        Step("Watch it finish",
             "`rollout status` waits until all three new pods are available.",
             f"kubectl rollout status deployment/{NAME}",
             "kubectl", {"args": f"rollout status deployment/{NAME}"}),
        apply_step(
            "The same rollout without probes",
            "Remove the probes and go back to v0.1: each new pod counts as Ready the moment its "
            "container starts, so old pods are terminated while the new app is still "
            "sleeping. The Deployment reports 3 available, yet for 15 seconds fewer pods "
            "really answer.",
            manifest(tag="v0.1", probes=False)),
        apply_step(
            "Put the probes back",
            "With the readiness probe again, the rollout to v0.2 waits for each pod to answer.",
            manifest(tag="v0.2", probes=True)),
    ),
)
