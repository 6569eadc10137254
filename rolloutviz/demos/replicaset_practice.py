"""Seed 002, "Deployment practice": a bare ReplicaSet keeps its replicas through a node
failure and scaling, then a Deployment adds rolling updates, a stalled bad image, history and
rollback."""
from rolloutviz.demos import Demo, Step, apply_step

RS_NAME = "nginx-replicaset"
NAME = "web-deployment"
NODE = "node-3"


def replicaset(replicas: int = 3) -> str:
    """The practice's ReplicaSet manifest."""
    return (
        "apiVersion: apps/v1\n"
        "kind: ReplicaSet\n"
        "metadata:\n"
        f"  name: {RS_NAME}\n"
        "spec:\n"
        f"  replicas: {replicas}\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: nginx-rs\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: nginx-rs\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: nginx\n"
        "        image: nginx:1.14.2\n"
    )


def deployment(image: str = "nginx:1.14.2") -> str:
    """The practice's Deployment manifest (its own labels, so it never adopts the RS's pods)."""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "spec:\n"
        "  replicas: 3\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: web\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: web\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: nginx\n"
        f"        image: {image}\n"
    )


DEMO = Demo(
    key="replicaset-practice",
    title="ReplicaSet and node failure, then Deployment",
    description=(
        "A ReplicaSet of 3 nginx pods survives a node going NotReady: after the eviction "
        "timeout its pods there are replaced on other nodes. Scale it up and down, then create "
        "a Deployment, update it, break it with an image that does not exist, and roll back."
    ),
    source="Deployment 实践 (seed 002)",
    manifest=replicaset(),
    steps=(
        Step("Take a node down",
             f"{NODE} stops reporting: it becomes NotReady. Its pods keep their Ready state "
             "for now; after the not-ready eviction timeout (300 s of tolerations) they are "
             "deleted, show Terminating, and the ReplicaSet creates replacements on the "
             "remaining nodes.",
             f"(stop the kubelet on {NODE})", "node", {"node": NODE, "ready": False}),
        Step("Bring the node back",
             "The kubelet on the node syncs with the API server: the old pods, still "
             "Terminating, are removed and not started again. The ReplicaSet already has its 3 "
             "replicas elsewhere.",
             f"(start the kubelet on {NODE})", "node", {"node": NODE, "ready": True}),
        apply_step("Scale the ReplicaSet up to 5",
                   "Two more pods; the scheduler spreads them over the nodes.",
                   replicaset(5), kubectl=f"kubectl scale rs {RS_NAME} --replicas=5"),
        apply_step("Scale it down to 3",
                   "The ReplicaSet controller chooses which two pods to delete (unscheduled, "
                   "pending and not-ready pods first, then the youngest): pods are "
                   "interchangeable.",
                   replicaset(3), kubectl=f"kubectl scale rs {RS_NAME} --replicas=3"),
        apply_step("Create a Deployment",
                   "The Deployment creates a ReplicaSet named after it and its pod-template "
                   "hash, and that ReplicaSet creates the pods (see the ScalingReplicaSet "
                   "event).",
                   deployment(), kubectl="kubectl create -f deployment.yaml"),
        Step("Upgrade the image",
             "A second ReplicaSet is scaled up while the first is scaled down to 0; at least 3 "
             "pods stay available throughout.",
             f"kubectl set image deployment/{NAME} nginx=nginx:1.16.1",
             "set-image", {"deployment": NAME, "container": "nginx", "image": "nginx:1.16.1"}),
        Step("Upgrade to an image that does not exist",
             "The first new pod cannot pull its image, so the rollout stops there: the old "
             "pods are not removed while the new one is unavailable.",
             f"kubectl set image deployment/{NAME} nginx=nginx:1.161",
             "set-image", {"deployment": NAME, "container": "nginx", "image": "nginx:1.161"}),
        Step("Read the history",
             "Revisions 1, 2 and 3, one per pod template.",
             f"kubectl rollout history deployment/{NAME}",
             "kubectl", {"args": f"rollout history deployment/{NAME}"}),
        Step("Details of revision 2",
             "`--revision` shows the pod template of one revision.",
             f"kubectl rollout history deployment/{NAME} --revision=2",
             "kubectl", {"args": f"rollout history deployment/{NAME} --revision=2"}),
        Step("Roll back to revision 2",
             "The rollback is itself a rollout: the 1.16.1 ReplicaSet becomes revision 4, "
             "and the history reads 1, 3, 4.",
             f"kubectl rollout undo deployment/{NAME} --to-revision=2",
             "undo", {"deployment": NAME, "to_revision": 2}),
    ),
)
