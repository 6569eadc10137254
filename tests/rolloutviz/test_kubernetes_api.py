"""The real kubectl (1.32 through the dispatcher at /usr/bin/kubectl, and the 1.33 binary) and the
official Python client against a live Daphne serving a simulation's Kubernetes API over HTTPS,
with a kubeconfig downloaded from ``/api/simulations/<id>/kubeconfig``.

kubectl's own printing and its own rollout logic are the check: what it prints is compared with
what it prints against a real cluster (the seed tutorials and ../shared/kubernetes-api/requests.md),
and its writes with the objects, the recorded commands and the page's stream that follow.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import yaml

from kubectl_servers import KUBECTL_133, WEB_YAML, ApiServer, headers, split
from live_servers import Viewer
from rolloutviz import local_processes
from rolloutviz.local_processes import wait_for


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = ApiServer(tmp_path_factory.mktemp("kubernetes-api")).start()
    yield started
    started.stop()


@pytest.fixture
def session(server, tmp_path):
    """A simulation whose Deployment ``web`` (3 replicas of nginx:1.14.2) has rolled out."""
    return server.session(tmp_path)


def image(deployment: dict) -> str:
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


# ---------------------------------------------------------------- access


def test_the_kubeconfig_names_the_simulation_and_a_kubeconfig_link(session):
    config = yaml.safe_load(session.kubeconfig.read_text())
    name = f"rolloutviz-{session.sim}"
    assert config["current-context"] == name
    assert config["contexts"][0]["context"] == {"cluster": name, "user": config["users"][0]["name"],
                                                "namespace": "default"}
    assert config["clusters"][0]["cluster"]["server"] == (
        f"{session.server.daphne.tls_url}/k8s/simulations/{session.sim}")
    links = session.server.call("GET", f"/api/simulations/{session.sim}/links")
    assert [(link["role"], link["label"]) for link in links if link["token"] == session.token()] == [
        ("edit", "kubeconfig")]


def test_version_reports_1_32_so_the_dispatcher_runs_kubectl_1_32(session):
    out = session.ok("version", "-o", "json")
    version = json.loads(out)["serverVersion"]
    assert (version["major"], version["minor"]) == ("1", "32")


def test_a_viewer_reads_and_is_forbidden_to_write(session):
    viewer = session.download_kubeconfig(session.link("view"), "view")
    assert session.token(viewer) != session.token()
    assert "web" in session.ok("get", "deploy", kubeconfig=viewer)
    code, _, err = session.kubectl("scale", "deploy/web", "--replicas=1", kubeconfig=viewer)
    assert code == 1
    assert err.startswith('Error from server (Forbidden): deployments.apps "web" is forbidden: User '
                          '"rolloutviz:view" cannot patch resource "deployments/scale" in API group "apps" in '
                          'the namespace "default"'), err
    assert session.deployment()["spec"]["replicas"] == 3


def test_an_unknown_or_revoked_token_is_unauthorized(session):
    assert session.ok("get", "deploy")  # discovery cached: the list's own 401 is what kubectl prints
    unknown = session.folder / "unknown.kubeconfig"
    unknown.write_text(session.kubeconfig.read_text().replace(session.token(), "not-a-token"))
    revoked = session.download_kubeconfig(session.link("edit"), "revoked")
    assert session.ok("get", "deploy", kubeconfig=revoked)
    session.server.call("DELETE", f"/api/simulations/{session.sim}/links/{session.token(revoked)}")
    for config in (unknown, revoked):
        code, _, err = session.kubectl("get", "deploy", kubeconfig=config)
        assert (code, err.strip()) == (1, "error: You must be logged in to the server (Unauthorized)")


def test_revoking_a_token_ends_its_open_watch(session):
    token = session.link("view")
    watched: list[dict] = []
    query = "?watch=true&timeoutSeconds=300"
    watcher = threading.Thread(target=lambda: watched.extend(
        session.raw(f"/apis/apps/v1/namespaces/default/deployments{query}", token=token, timeout=300)))
    watcher.start()
    wait_for(lambda: watched or watcher.is_alive(), timeout=30, what="the watch to open")
    time.sleep(1)
    session.server.call("DELETE", f"/api/simulations/{session.sim}/links/{token}")
    watcher.join(timeout=120)  # a hang guard: the watch's own timeout is 300 s
    assert not watcher.is_alive()
    assert [e["type"] for e in watched] == ["ADDED"]  # the state it started from, then the end


def test_another_simulations_token_is_unauthorized_here(server, session, tmp_path):
    other = server.session(tmp_path / "other", manifest=None)
    [status] = session.raw("/apis/apps/v1/namespaces/default/deployments", token=other.token())
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 401, "Unauthorized")


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("kind", ["pods", "rs", "nodes", "events"])
def test_get_prints_what_the_text_views_print(session, kind):
    """Tables computed from the objects by the server's printers; the text views follow kubectl."""
    assert session.ok("get", kind) == session.text_view(f"get {kind}")


def test_get_wide_prints_kubectls_columns(session):
    out = session.ok("get", "deploy,rs,pods,nodes", "-o", "wide")
    assert headers(out) == [
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
         "CONTAINER-RUNTIME"]]
    [deployment] = [row for row in split(out) if row[0] == "deployment.apps/web"]
    assert deployment == ["deployment.apps/web", "3/3", "3", "3", "40s", "app", "nginx:1.14.2", "app=web"]


@pytest.mark.parametrize("output,parse", [
    pytest.param("json", json.loads, id="json"),
    pytest.param("yaml", yaml.safe_load, id="yaml"),
])
def test_get_objects_as_json_and_yaml(session, output, parse):
    listed = parse(session.ok("get", "deploy,rs,pods", "-o", output))
    kinds = [item["kind"] for item in listed["items"]]
    assert kinds == ["Deployment", "ReplicaSet", "Pod", "Pod", "Pod"]
    deployment = listed["items"][0]
    assert deployment["status"] == {**deployment["status"], "replicas": 3, "readyReplicas": 3,
                                    "availableReplicas": 3, "updatedReplicas": 3}
    assert all(item["metadata"]["resourceVersion"].isdigit() for item in listed["items"])


def test_ages_follow_the_simulated_clock(session):
    """kubectl computes -o yaml ages from its own clock: timestamps are served shifted so the
    Deployment, made 40 simulated seconds ago, is 40 s old (a second either way)."""
    created = session.deployment()["metadata"]["creationTimestamp"]
    age = time.time() - time.mktime(time.strptime(created, "%Y-%m-%dT%H:%M:%SZ")) + time.timezone
    assert 39 <= age <= 42, age


@pytest.mark.parametrize("args,out", [
    pytest.param(("get", "svc"), "No resources found in default namespace.", id="services"),
    pytest.param(("get", "endpoints"), "No resources found in default namespace.", id="endpoints"),
    pytest.param(("get", "deploy", "-l", "app=nope"), "No resources found in default namespace.",
                 id="no-label-match"),
])
def test_empty_lists(session, args, out):
    code, stdout, err = session.kubectl(*args)
    assert (code, stdout, err.strip()) == (0, "", out)


@pytest.mark.parametrize("args,err", [
    pytest.param(("get", "deploy", "nope"), 'Error from server (NotFound): deployments.apps "nope" not found',
                 id="missing-deployment"),
    pytest.param(("get", "pods", "--field-selector", "spec.image=x"),
                 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector '
                 '"", field selector "spec.image=x": field label not supported: spec.image',
                 id="unsupported-field-selector"),
    pytest.param(("get", "pods", "-l", "app in web"),
                 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector '
                 '"app in web", field selector "": unable to parse requirement: found \'web\' expected: \'(\'',
                 id="bad-label-selector"),
])
def test_read_errors(session, args, err):
    code, _, stderr = session.kubectl(*args)
    assert (code, stderr.strip()) == (1, err)


def test_show_labels_and_selectors_use_the_row_objects(session):
    rows = split(session.ok("get", "pods", "--show-labels", "-l", "app=web", "--field-selector",
                            "status.phase=Running"))
    assert rows[0][-1] == "LABELS" and len(rows) == 4
    assert all(row[-1].startswith("app=web,pod-template-hash=") for row in rows[1:])


def test_all_namespaces_and_sort_by_read_the_row_objects(session):
    """-A prints the namespace from each row's object; --sort-by asks for whole objects."""
    assert [row[0] for row in split(session.ok("get", "pods", "-A"))] == ["NAMESPACE"] + ["default"] * 3
    assert session.ok("get", "pods", "--sort-by=.metadata.name") == session.text_view("get pods")


def test_api_resources_lists_what_a_cluster_lists(session):
    """The rows a v1.32 cluster prints for these resources."""
    assert split(session.ok("api-resources")) == [
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
        ["endpoints", "ep", "v1", "true", "Endpoints"],
        ["events", "ev", "v1", "true", "Event"],
        ["namespaces", "ns", "v1", "false", "Namespace"],
        ["nodes", "no", "v1", "false", "Node"],
        ["pods", "po", "v1", "true", "Pod"],
        ["services", "svc", "v1", "true", "Service"],
        ["deployments", "deploy", "apps/v1", "true", "Deployment"],
        ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"],
        ["endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"]]


def test_describe_deployment(session):
    out = session.ok("describe", "deployment", "web")
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for expected in ("Name: web", "Namespace: default", "Selector: app=web",
                     "Replicas: 3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
                     "StrategyType: RollingUpdate", "RollingUpdateStrategy: 25% max unavailable, 25% max surge",
                     "Image: nginx:1.14.2", "Available True MinimumReplicasAvailable",
                     "Progressing True NewReplicaSetAvailable"):
        assert expected in lines, (expected, out)
    rs = split(session.ok("get", "rs", "-o", "name"))[0][0].split("/")[1]
    assert f"NewReplicaSet: {rs} (3/3 replicas created)" in lines
    [event] = [line.split(" ", 3) for line in lines if line.startswith("Normal ScalingReplicaSet")]
    # kubectl computes the age from its own clock: 40 simulated seconds, give or take the one it took
    assert event[:2] == ["Normal", "ScalingReplicaSet"] and event[2] in ("40s", "41s"), event
    assert event[3] == f"deployment-controller Scaled up replica set {rs} from 0 to 3"


def test_logs_say_there_are_none(session):
    pod = session.ok("get", "pods", "-o", "name").split()[0].split("/")[1]
    assert session.ok("logs", pod) == f"rolloutviz: no logs in a simulation (pod {pod}, container app)\n"


# ---------------------------------------------------------------- writing


def test_apply_creates_configures_and_leaves_unchanged(server, tmp_path):
    session = server.session(tmp_path, manifest=None)
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB_YAML)
    assert session.ok("apply", "-f", str(manifest)) == "deployment.apps/web created\n"
    assert session.ok("apply", "-f", str(manifest)) == "deployment.apps/web unchanged\n"
    manifest.write_text(WEB_YAML.replace("replicas: 3", "replicas: 2"))
    assert session.ok("apply", "-f", str(manifest)) == "deployment.apps/web configured\n"
    manifest.write_text(WEB_YAML.replace("nginx:1.14.2", "nginx:1.16.1"))
    assert session.ok("apply", "--server-side", "-f", str(manifest)) == "deployment.apps/web serverside-applied\n"
    deployment = session.deployment()
    assert (deployment["spec"]["replicas"], image(deployment)) == (3, "nginx:1.16.1")
    commands = session.timeline()["commands"]
    # "unchanged" sends no write; a server-side apply over a client-side one also moves the
    # last-applied annotation (kubectl's own second request)
    assert [c["name"] for c in commands][:3] == ["create", "patch", "patch"]
    assert {(c["label"], c["ok"]) for c in commands} == {("kubectl apply", True)}


def test_an_invalid_apply_prints_each_cause_and_changes_nothing(session):
    invalid = WEB_YAML.replace("  replicas: 3\n", "  replicas: 3\n  strategy:\n    rollingUpdate:\n"
                                                  "      maxSurge: 0\n      maxUnavailable: 0\n")
    code, _, err = session.kubectl("apply", "-f", "-", stdin=invalid)
    assert (code, err.strip()) == (1, 'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: '
                                      "Invalid value: 0: may not be 0 when `maxSurge` is 0")
    assert session.deployment()["metadata"]["generation"] == 1


def test_diff_is_a_dry_run(session):
    """kubectl sends the apply patch with dryRun=All and compares the would-be object with the
    live one (exit 1 when they differ); nothing changes."""
    before = session.deployment()["metadata"]["resourceVersion"]
    code, out, err = session.kubectl("diff", "-f", "-", stdin=WEB_YAML.replace("replicas: 3", "replicas: 2"))
    assert code == 1, err
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[1:2] != line[:1]]
    assert changed == ["-  generation: 1", "+  generation: 2", "-  replicas: 3", "+  replicas: 2"], out
    assert session.deployment()["metadata"]["resourceVersion"] == before


FORBIDDEN = ('deployments.apps "web" is forbidden: User "rolloutviz:view" cannot patch resource "deployments" in '
             'API group "apps" in the namespace "default": this kubeconfig\'s link has the view role: it reads the '
             "simulation and changes nothing (ask the owner for an edit link)")


@pytest.mark.parametrize("args,viewer,err", [
    pytest.param(("patch", "deployment", "web", "--type=merge", "-p",
                  '{"spec":{"replicas":-1,"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}}}'), False,
                 'The Deployment "web" is invalid: \n'
                 "* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
                 "* spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
                 id="invalid-with-two-causes"),
    pytest.param(("patch", "deployment", "web", "--type=json", "-p",
                  '[{"op":"test","path":"/spec/replicas","value":99}]'), False,
                 "The request is invalid: the server rejected our request due to an error in our request",
                 id="failing-json-patch-test"),
    pytest.param(("patch", "deployment", "web", "--type=merge", "-p",
                  '{"metadata":{"resourceVersion":"1"},"spec":{"replicas":2}}'), False,
                 'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object '
                 "has been modified; please apply your changes to the latest version and try again",
                 id="stale-resource-version"),
    pytest.param(("patch", "deployment", "web", "--type=merge", "-p", '{"spec":{"replicas":2}}'), True,
                 f"Error from server (Forbidden): {FORBIDDEN}", id="forbidden"),
    pytest.param(("rollout", "pause", "deployment/web"), True, f"error: failed to patch: {FORBIDDEN}",
                 id="forbidden-rollout"),
])
def test_refused_writes_change_nothing(session, args, viewer, err):
    """kubectl's wording of the server's Status (kubectl's rollout commands wrap it in "failed to
    patch"); the Deployment stays as it was."""
    before = session.deployment()["metadata"]["resourceVersion"]
    config = session.download_kubeconfig(session.link("view"), "view") if viewer else None
    code, _, stderr = session.kubectl(*args, kubeconfig=config)
    assert (code, stderr.strip()) == (1, err)
    assert session.deployment()["metadata"]["resourceVersion"] == before


# (name, kubectl arguments, exit code, what it prints (stdout, else stderr), simulated seconds after,
#  what the Deployment then is)
ROLLOUT_SESSION = [
    ("set image", ("set", "image", "deployment/web", "app=nginx:1.16.1"), 0,
     "deployment.apps/web image updated", 150, lambda d: image(d) == "nginx:1.16.1"),
    ("status", ("rollout", "status", "deployment/web"), 0,
     'deployment "web" successfully rolled out', 0, None),
    ("history", ("rollout", "history", "deployment/web"), 0,
     "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>", 0, None),
    ("undo", ("rollout", "undo", "deployment/web"), 0, "deployment.apps/web rolled back", 150,
     lambda d: image(d) == "nginx:1.14.2" and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"),
    ("history after undo", ("rollout", "history", "deployment/web"), 0,
     "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>", 0, None),
    ("undo to a revision", ("rollout", "undo", "deployment/web", "--to-revision=2"), 0,
     "deployment.apps/web rolled back", 150, lambda d: image(d) == "nginx:1.16.1"),
    ("undo to a missing revision", ("rollout", "undo", "deployment/web", "--to-revision=9"), 1,
     "error: unable to find specified revision 9 in history", 0, None),
    ("pause", ("rollout", "pause", "deployment/web"), 0, "deployment.apps/web paused", 0,
     lambda d: d["spec"]["paused"] is True),
    ("undo while paused", ("rollout", "undo", "deployment/web"), 1,
     "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try "
     "again", 0, None),
    ("resume", ("rollout", "resume", "deployment/web"), 0, "deployment.apps/web resumed", 0,
     lambda d: "paused" not in d["spec"]),
    ("restart", ("rollout", "restart", "deployment/web"), 0, "deployment.apps/web restarted", 150,
     lambda d: "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]),
    ("scale", ("scale", "deployment/web", "--replicas=5"), 0, "deployment.apps/web scaled", 60,
     lambda d: d["spec"]["replicas"] == 5 and d["status"]["readyReplicas"] == 5),
    ("label", ("label", "deployment", "web", "tier=frontend"), 0, "deployment.apps/web labeled", 0,
     lambda d: d["metadata"]["labels"]["tier"] == "frontend"),
    ("edit through a patch", ("patch", "deployment", "web", "--type=merge", "-p",
                              '{"spec":{"minReadySeconds":2}}'), 0, "deployment.apps/web patched", 0,
     lambda d: d["spec"]["minReadySeconds"] == 2),
    ("json patch", ("patch", "deployment", "web", "--type=json", "-p",
                    '[{"op":"replace","path":"/spec/replicas","value":4}]'), 0, "deployment.apps/web patched", 30,
     lambda d: d["spec"]["replicas"] == 4),
]


def test_a_rollout_session(session):
    """Each step's output as kubectl prints it against a real cluster, then the object; every
    write recorded under kubectl's own command name."""
    for name, args, code, printed, seconds, check in ROLLOUT_SESSION:
        done = session.kubectl(*args)
        assert (done[0], (done[1] if code == 0 else done[2]).rstrip("\n")) == (code, printed), (name, done)
        session.step(seconds) if seconds else None
        if check is not None:
            assert check(session.deployment()), name
    labels = {command["label"] for command in session.timeline()["commands"] if command["ok"]}
    assert {"kubectl set image", "kubectl rollout undo", "kubectl rollout pause", "kubectl rollout resume",
            "kubectl rollout restart", "kubectl scale", "kubectl label", "kubectl patch"} <= labels


def test_edit_patches_what_the_editor_changed(session):
    """kubectl edit: GET, the editor on the object's YAML, then a strategic merge patch of the difference."""
    editor = {"EDITOR": "sed -i 's/^  replicas: 3$/  replicas: 4/'"}
    assert session.ok("edit", "deployment", "web", extra_env=editor) == "deployment.apps/web edited\n"
    assert session.deployment()["spec"]["replicas"] == 4


def test_delete_deployment_collects_its_replicasets_and_pods(session):
    assert session.ok("delete", "deployment", "web") == 'deployment.apps "web" deleted\n'
    assert session.ok("get", "rs") == ""
    session.step(40)  # the pods' grace period
    code, out, err = session.kubectl("get", "deploy,rs,pods")
    assert (code, out, err.strip()) == (0, "", "No resources found in default namespace.")


def test_rollout_status_waits_for_the_simulated_rollout(session):
    session.ok("set", "image", "deployment/web", "app=nginx:1.16.1")
    waiting = session.start("rollout", "status", "deployment/web")
    code, out, err = session.stepping_until_done(waiting, seconds=2)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert all(line.startswith('Waiting for deployment "web" rollout to finish: ') for line in lines[:-1])
    assert 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...' in lines


def test_delete_pod_waits_until_it_is_gone_and_the_replicaset_replaces_it(session):
    pods = session.ok("get", "pods", "-o", "name").split()
    deleting = session.start("delete", pods[0])
    code, out, err = session.stepping_until_done(deleting)
    assert (code, out) == (0, f'pod "{pods[0].split("/")[1]}" deleted\n'), err
    session.step(10)
    after = session.ok("get", "pods", "-o", "name").split()
    assert pods[0] not in after and len(after) == 3


def test_cordon_drain_and_uncordon(session):
    assert session.ok("cordon", "node-1") == "node/node-1 cordoned\n"
    assert split(session.ok("get", "node", "node-1"))[1][:2] == ["node-1", "Ready,SchedulingDisabled"]
    assert session.ok("uncordon", "node-1") == "node/node-1 uncordoned\n"
    on_node = lambda: [row[0] for row in split(session.ok("get", "pods", "-o", "wide"))[1:]  # noqa: E731
                       if row[6] == "node-2"]
    evicted = on_node()
    assert evicted
    draining = session.start("drain", "node-2", "--ignore-daemonsets")
    code, out, err = session.stepping_until_done(draining)
    assert code == 0, err
    lines = out.splitlines() + err.splitlines()
    assert {"node/node-2 cordoned", "node/node-2 drained"} <= set(lines)
    assert {f"pod/{pod} evicted" for pod in evicted} <= set(lines)
    session.step(20)
    assert on_node() == []
    assert session.deployment()["status"]["readyReplicas"] == 3


def test_get_watch_prints_the_rollout_as_it_happens(session):
    old = {row[0] for row in split(session.ok("get", "pods"))[1:]}
    watching, path = session.start_logged("get", "pods", "-w", name="watch")
    try:
        wait_for(lambda: len(path.read_text().splitlines()) >= 4, timeout=30, what="the watch's first list")
        session.ok("set", "image", "deployment/web", "app=nginx:1.16.1")
        for _ in range(30):
            session.step(2)
        wait_for(lambda: sum(line.split()[0] in old and "Terminating" in line
                             for line in path.read_text().splitlines()) >= 3, timeout=30,
                 what="the old pods to be seen terminating")
    finally:
        watching.kill()
        watching.wait(timeout=30)
    rows = split(path.read_text())
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    new = {row[0] for row in rows[1:] if row[0] not in old}
    assert len(new) == 3, rows
    assert all(any(row[0] == pod and row[1:3] == ["1/1", "Running"] for row in rows) for pod in new)


def test_kubectl_writes_reach_the_page_stream(server, session):
    """A viewer of the page's stream receives the delta of a kubectl write, labelled as kubectl
    labels its request."""
    viewer = Viewer(server.daphne.port, session.sim)

    async def scenario():
        task = asyncio.create_task(viewer.run())
        try:
            await asyncio.to_thread(lambda: wait_for(lambda: viewer.snapshot is not None, timeout=30, what="the snapshot"))
            start = viewer.latest()
            await asyncio.to_thread(session.ok, "scale", "deployment/web", "--replicas=4")
            await asyncio.to_thread(lambda: wait_for(lambda: viewer.latest() > start, timeout=30, what="the delta"))
        finally:
            task.cancel()
        return [viewer.deltas[seq] for seq in sorted(viewer.deltas) if seq > start]

    deltas = asyncio.run(scenario())
    assert any('"kubectl scale"' in text for text in deltas)
    [command] = [c for c in session.timeline()["commands"] if c["label"] == "kubectl scale"]
    assert (command["name"], command["ok"]) == ("patch_scale", True)


def test_kubectl_1_33_reads_and_writes(session):
    assert "3/3" in session.ok("get", "deploy", "web", binary=KUBECTL_133)
    assert session.ok("scale", "deploy/web", "--replicas=2", binary=KUBECTL_133) == "deployment.apps/web scaled\n"
    assert session.deployment()["spec"]["replicas"] == 2


# ---------------------------------------------------------------- watches


def test_a_watch_resumes_from_a_resource_version_after_a_restart_and_ends_at_a_reset(tmp_path):
    (tmp_path / "server").mkdir()
    server = ApiServer(tmp_path / "server").start()
    try:
        session = server.session(tmp_path / "session")
        listed = session.raw("/apis/apps/v1/namespaces/default/deployments")[0]
        version = listed["metadata"]["resourceVersion"]
        session.ok("scale", "deployment/web", "--replicas=5")
        server.restart()
        query = f"?watch=true&resourceVersion={version}&timeoutSeconds=1"
        events = session.raw(f"/apis/apps/v1/namespaces/default/deployments{query}")
        assert events and all(event["type"] == "MODIFIED" for event in events)
        assert events[0]["object"]["spec"]["replicas"] == 5
        assert int(events[0]["object"]["metadata"]["resourceVersion"]) > int(version)
        server.call("POST", f"/api/simulations/{session.sim}/commands/reset", {})
        *before, error = session.raw(f"/apis/apps/v1/namespaces/default/deployments{query}")
        versions = [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in events]
        assert [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in before] == versions
        assert (error["type"], error["object"]["code"], error["object"]["reason"]) == ("ERROR", 410, "Expired")
    finally:
        server.stop()


@pytest.mark.parametrize("query,annotations", [
    pytest.param("allowWatchBookmarks=true&timeoutSeconds=3", {}, id="bookmarks"),
    pytest.param("allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                 "&timeoutSeconds=1", {"k8s.io/initial-events-end": "true"}, id="initial-events-end"),
])
def test_a_watch_sends_bookmarks_at_the_current_version(session, query, annotations):
    """The state as ADDED events, then BOOKMARKs (every second in these tests' settings)."""
    listed = session.raw("/apis/apps/v1/namespaces/default/deployments")[0]
    events = session.raw(f"/apis/apps/v1/namespaces/default/deployments?watch=true&{query}")
    assert events[0]["type"] == "ADDED"
    bookmarks = [e["object"] for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks, events
    assert {b["metadata"]["resourceVersion"] for b in bookmarks} == {listed["metadata"]["resourceVersion"]}
    assert bookmarks[0]["kind"] == "Deployment" and bookmarks[0]["metadata"].get("annotations", {}) == annotations


def test_a_watch_on_one_server_hears_a_write_made_through_another(tmp_path):
    """Two Daphnes on one database: a watch opened on the second is told of kubectl's write
    through the first (read from the stored history, not from the process that made it)."""
    (tmp_path / "server").mkdir()
    first = ApiServer(tmp_path / "server").start()
    second = local_processes.DaphneServer(dict(first.env), tmp_path / "second.log", tls=True)
    try:
        second.start(migrate=False)
        session = first.session(tmp_path / "session")
        version = session.raw("/apis/apps/v1/namespaces/default/deployments")[0]["metadata"]["resourceVersion"]
        watched: list[dict] = []
        query = f"?watch=true&resourceVersion={version}&timeoutSeconds=8"
        watcher = threading.Thread(target=lambda: watched.extend(session.raw(
            f"/apis/apps/v1/namespaces/default/deployments{query}", base=second.tls_url)))
        watcher.start()
        time.sleep(1)
        session.ok("scale", "deployment/web", "--replicas=5")
        watcher.join(timeout=60)
        assert not watcher.is_alive()
        assert [(e["type"], e["object"]["spec"]["replicas"]) for e in watched][:1] == [("MODIFIED", 5)]
    finally:
        second.stop()
        first.stop()


# ---------------------------------------------------------------- the official Python client


def test_the_python_client_lists_patches_watches_and_discovers(session):
    from kubernetes import client, config, dynamic, watch

    api_client = config.new_client_from_config(config_file=str(session.kubeconfig))
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    assert [d.metadata.name for d in apps.list_namespaced_deployment("default").items] == ["web"]
    assert len(core.list_namespaced_pod("default", label_selector="app=web").items) == 3
    assert [n.metadata.name for n in core.list_node().items] == ["node-1", "node-2", "node-3"]
    assert apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}}).spec.replicas == 4
    patched = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"team": "a"}}})
    assert patched.metadata.labels == {"team": "a"}
    events = [(e["type"], e["object"].spec.replicas)
              for e in watch.Watch().stream(apps.list_namespaced_deployment, "default", timeout_seconds=1)]
    assert events == [("ADDED", 4)]
    deployments = dynamic.DynamicClient(api_client).resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.get(name="web", namespace="default").spec.replicas == 4
    assert {e.reason for e in core.list_namespaced_event("default").items} >= {"ScalingReplicaSet", "Scheduled"}


# ---------------------------------------------------------------- determinism

# (kubectl arguments, the same command through the page's buttons (JSON API), simulated seconds after)
SAME_SESSION = [
    (("set", "image", "deployment/web", "app=nginx:1.16.1"),
     ("set-image", {"deployment": "web", "container": "app", "image": "nginx:1.16.1"}), 60),
    (("scale", "deployment/web", "--replicas=5"), ("scale", {"deployment": "web", "replicas": 5}), 30),
    (("rollout", "undo", "deployment/web"), ("undo", {"deployment": "web"}), 60),
    (("rollout", "pause", "deployment/web"), ("pause", {"deployment": "web"}), 0),
    (("rollout", "resume", "deployment/web"), ("resume", {"deployment": "web"}), 10),
]


def _comparable(delta) -> dict:
    """A recorded delta without what names how a command came (its marker's label, detail and
    spoken words: kubectl's "set image" beside the button's "set image nginx:1.16.1") and which
    simulation it is."""
    delta = json.loads(delta) if isinstance(delta, str) else delta
    markers = [{k: v for k, v in m.items() if m.get("kind") != "command" or k not in ("label", "detail", "words")}
               for m in delta.get("markers", ())]
    return {**{k: v for k, v in delta.items() if k != "sim"}, "markers": markers}


def test_kubectl_and_the_buttons_make_the_same_stream(server, tmp_path):
    """The same commands through kubectl and through the buttons, on the same seed: identical
    objects, events and deltas (``rollout restart`` is left out: kubectl writes its own wall
    clock into the template)."""
    by_kubectl, by_buttons = server.session(tmp_path / "kubectl"), server.session(tmp_path / "buttons")
    for args, (name, body), seconds in SAME_SESSION:
        by_kubectl.ok(*args)
        server.call("POST", f"/api/simulations/{by_buttons.sim}/commands/{name}", body)
        for session in (by_kubectl, by_buttons):
            session.step(seconds) if seconds else None
    recorded = [[_comparable(d) for d in s.timeline()["deltas"]] for s in (by_kubectl, by_buttons)]
    assert len(recorded[0]) > 150
    assert recorded[0] == recorded[1]
