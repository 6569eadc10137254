"""Seed 001, the Kubernetes documentation's Deployment page with nginx: rolling update,
a typo'd image that stalls, rollout history and undo, proportional scaling, pause/resume,
and a progress deadline."""
from rolloutviz.demos import Demo, Step, apply_step

NAME = "nginx-deployment"


def manifest(image: str = "nginx:1.14.2", replicas: int = 3, surge: int | None = None,
             unavailable: int | None = None, extra_spec: str = "", resources: str = "") -> str:
    """The docs' nginx-deployment.yaml, optionally with explicit rolling-update limits."""
    strategy = (
        "  strategy:\n"
        "    type: RollingUpdate\n"
        "    rollingUpdate:\n"
        f"      maxSurge: {surge}\n"
        f"      maxUnavailable: {unavailable}\n"
    ) if surge is not None else ""
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: {NAME}\n"
        "  labels:\n"
        "    app: nginx\n"
        "spec:\n"
        f"  replicas: {replicas}\n"
        f"{strategy}{extra_spec}"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: nginx\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        "        app: nginx\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: nginx\n"
        f"        image: {image}\n"
        "        ports:\n"
        "        - containerPort: 80\n"
        f"{resources}"
    )


RESOURCES = (
    "        resources:\n"
    "          limits:\n"
    "            cpu: 200m\n"
    "            memory: 512Mi\n"
)


def _cmd(title, explanation, kubectl, command, **args) -> Step:
    return Step(title, explanation, kubectl, command, {"deployment": NAME, **args})


DEMO = Demo(
    key="nginx-docs",
    title="Kubernetes docs: the nginx Deployment",
    description=(
        "The walkthrough of the Kubernetes documentation: update nginx 1.14.2 to 1.16.1, "
        "stall on the typo 1.161, read the history and undo, see proportional scaling of a "
        "stuck 10-replica rollout, batch changes with pause/resume, and hit a progress "
        "deadline."
    ),
    source="kubernetes.io, Concepts > Workloads > Deployments (seed 001)",
    manifest=manifest(),
    steps=(
        _cmd("Update to nginx:1.16.1",
             "A new ReplicaSet is created and scaled up one pod at a time while the old one is "
             "scaled down: with 3 replicas and 25%/25% the Deployment keeps at least 3 pods "
             "available and at most 4 in total. `describe` lists the ScalingReplicaSet events "
             "in that order.",
             "kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1",
             "set-image", container="nginx", image="nginx:1.16.1"),
        _cmd("Watch the rollout finish",
             "`rollout status` reports the progress until every replica is updated and "
             "available.",
             "kubectl rollout status deployment/nginx-deployment",
             "kubectl", args="rollout status deployment/nginx-deployment"),
        _cmd("A typo: nginx:1.161",
             "The image cannot be pulled. The rollout stops with one new pod in "
             "ImagePullBackOff and the three old pods still available, because maxUnavailable "
             "allows no fewer than 3 available pods.",
             "kubectl set image deployment/nginx-deployment nginx=nginx:1.161",
             "set-image", container="nginx", image="nginx:1.161"),
        _cmd("Read the rollout history",
             "Three revisions, one per pod template: 1.14.2, 1.16.1 and 1.161.",
             "kubectl rollout history deployment/nginx-deployment",
             "kubectl", args="rollout history deployment/nginx-deployment"),
        _cmd("Undo the broken rollout",
             "`rollout undo` goes back to the previous template, nginx:1.16.1, whose "
             "ReplicaSet becomes revision 4 (revision 2 disappears). With apps/v1, kubectl "
             "rolls back by copying that template into the Deployment, so no "
             "DeploymentRollback event appears (the docs' output shows the old API's).",
             "kubectl rollout undo deployment/nginx-deployment",
             "undo"),
        apply_step(
            "10 replicas, maxSurge 3, maxUnavailable 2",
            "Scale to 10 with explicit limits for the proportional-scaling example. The "
            "template is unchanged, so this is a plain scale.",
            manifest(image="nginx:1.16.1", replicas=10, surge=3, unavailable=2)),
        _cmd("Roll out an image that cannot be pulled",
             "nginx:sometag is not in any registry. The rollout gets stuck with 8 old pods "
             "(10 - maxUnavailable) and 5 new ones (13 - 8) that never become available.",
             "kubectl set image deployment/nginx-deployment nginx=nginx:sometag",
             "set-image", container="nginx", image="nginx:sometag"),
        _cmd("Scale the stuck rollout to 15",
             "Proportional scaling: the 5 extra replicas are shared by the ReplicaSets in "
             "proportion to their size, 3 to the old one and 2 to the new one, giving 11 and "
             "7.",
             "kubectl scale deployment/nginx-deployment --replicas=15",
             "scale", replicas=15),
        _cmd("Undo to a good image",
             "Back to nginx:1.16.1: the old ReplicaSet takes all 15 replicas again.",
             "kubectl rollout undo deployment/nginx-deployment",
             "undo"),
        _cmd("Pause the Deployment",
             "While paused, changes to the pod template are recorded but start no rollout.",
             "kubectl rollout pause deployment/nginx-deployment",
             "pause"),
        apply_step(
            "Make several changes while paused",
            "A new image and resource limits in one edit: no new ReplicaSet appears and the "
            "history is unchanged while the Deployment is paused.",
            manifest(image="nginx:1.14.2", replicas=15, surge=3, unavailable=2,
                     resources=RESOURCES),
            kubectl="kubectl set image ... && kubectl set resources ..."),
        _cmd("Resume",
             "One rollout carries all the changes made while paused.",
             "kubectl rollout resume deployment/nginx-deployment",
             "resume"),
        apply_step(
            "A progress deadline",
            "With progressDeadlineSeconds 60 and an image that cannot be pulled, the "
            "Deployment reports Progressing=False with reason ProgressDeadlineExceeded after a "
            "minute without progress, and `rollout status` exits with an error.",
            manifest(image="nginx:sometag", replicas=15, surge=3, unavailable=2,
                     resources=RESOURCES, extra_spec="  progressDeadlineSeconds: 60\n"),
            kubectl="kubectl patch deployment/nginx-deployment "
                    "-p '{\"spec\":{\"progressDeadlineSeconds\":60}}'"),
    ),
)
