"""Seed 003, "k8s in action": rolling update with `set image`, rollback by revision, the
maxSurge/maxUnavailable rates, minReadySeconds, and a paused canary."""
from rolloutviz.demos import Demo, Step, apply_step

NAME = "testqc"
CHANGE_CAUSE = "kubectl create --filename=deployment-v1.yaml --record=true"


def manifest(image: str = "qinchaowhut/allen:v1", surge: int | None = None,
             unavailable: int | None = None, min_ready: int = 0) -> str:
    """The book's deployment-v1.yaml, optionally with rate limits and minReadySeconds."""
    strategy = (
        "  strategy:\n"
        "    rollingUpdate:\n"
        f"      maxSurge: {surge}\n"
        f"      maxUnavailable: {unavailable}\n"
    ) if surge is not None else ""
    min_ready_text = f"  minReadySeconds: {min_ready}\n" if min_ready else ""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "  annotations:\n"
        f"    kubernetes.io/change-cause: {CHANGE_CAUSE}\n"
        "spec:\n"
        "  replicas: 3\n"
        f"{strategy}{min_ready_text}"
        "  template:\n"
        "    metadata:\n"
        "      name: allen\n"
        "      labels:\n"
        "        app: testing\n"
        "    spec:\n"
        "      containers:\n"
        f"      - image: {image}\n"
        "        name: nodejs\n"
        "        imagePullPolicy: IfNotPresent\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: testing\n"
    )


def _cmd(title, explanation, kubectl, command, **args) -> Step:
    return Step(title, explanation, kubectl, command, {"deployment": NAME, **args})


DEMO = Demo(
    key="k8s-in-action",
    title="k8s in action: upgrading a Deployment",
    description=(
        "The testqc Deployment of the book: trigger a rolling update with `set image`, roll "
        "back to revision 1, compare maxSurge 1/maxUnavailable 0 with 1/1, slow a rollout "
        "with minReadySeconds, and pause a rollout half way as a canary."
    ),
    source="k8s in action, chapter 6 Deployment (seed 003)",
    manifest=manifest(),
    steps=(
        _cmd("Upgrade to v2",
             "Changing the pod template's image triggers a rolling update; the old ReplicaSet "
             "is kept, scaled to 0, for rollbacks.",
             f"kubectl set image deployment {NAME} nodejs=qinchaowhut/allen:v2",
             "set-image", container="nodejs", image="qinchaowhut/allen:v2"),
        _cmd("Follow the rollout",
             "`rollout status` follows the upgrade until it is complete.",
             f"kubectl rollout status deployment {NAME}",
             "kubectl", args=f"rollout status deployment {NAME}"),
        _cmd("Read the history",
             "CHANGE-CAUSE comes from the kubernetes.io/change-cause annotation that "
             "`--record` wrote; it is copied into each new revision.",
             f"kubectl rollout history deployment {NAME}",
             "kubectl", args=f"rollout history deployment {NAME}"),
        _cmd("Roll back to revision 1",
             "The v1 ReplicaSet scales up again and takes the next revision number, 3.",
             f"kubectl rollout undo deployment {NAME} --to-revision=1",
             "undo", to_revision=1),
        apply_step("maxSurge 1, maxUnavailable 0",
                   "Upgrade to v2 again with one extra pod and none unavailable: each new pod "
                   "must be Ready before an old one is removed, so there are always 3 or 4 "
                   "pods.",
                   manifest(image="qinchaowhut/allen:v2", surge=1, unavailable=0)),
        apply_step("maxSurge 1, maxUnavailable 1",
                   "Back to v1 with one extra and one unavailable: two pods are replaced at "
                   "a time, and availability may drop to 2.",
                   manifest(image="qinchaowhut/allen:v1", surge=1, unavailable=1)),
        apply_step("minReadySeconds 10",
                   "A new pod counts as available only after being Ready for 10 seconds; the "
                   "rollout waits for that before going on, which holds back a release that "
                   "crashes soon after starting.",
                   manifest(image="qinchaowhut/allen:v2", surge=1, unavailable=0,
                            min_ready=10)),
        _cmd("Start a canary release",
             "Set a new image, let the first new pod be created (a second or so), then pause "
             "(next step): only that first pod is rolled out. Pausing before the controller "
             "acts would roll out nothing.",
             f"kubectl set image deployment {NAME} nodejs=qinchaowhut/allen:v1",
             "set-image", container="nodejs", image="qinchaowhut/allen:v1"),
        _cmd("Pause the rollout",
             "The Deployment stops where it is: old and new pods serve side by side.",
             f"kubectl rollout pause deployment {NAME}",
             "pause"),
        _cmd("Resume the rollout",
             "The new version looks fine: resume, and the rest of the pods are replaced.",
             f"kubectl rollout resume deployment {NAME}",
             "resume"),
    ),
)
