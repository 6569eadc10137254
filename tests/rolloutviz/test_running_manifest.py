"""The editor's manifest text follows what commands change in the running Deployment."""
import pytest
import yaml

from rolloutviz.services.running_manifest import applied_texts, follow_command
from simulator import Cluster
from simulator.api.yaml_source import load_manifests

TEXT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the demo
spec:
  replicas: 3 # three
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: "nginx:1.14.2"  # the old one
"""


def run(command, **args):
    """(Deployment before, Deployment after) ``command`` on a cluster running TEXT."""
    cluster = Cluster(seed=3)
    cluster.apply(TEXT)
    for _ in range(3):
        cluster.step()
    before = cluster.get("deployment", "web")
    getattr(cluster, command)(name="web", **args)
    return before, cluster.get("deployment", "web")


def data(text):
    (document,) = load_manifests(text)
    return document.obj


@pytest.mark.parametrize("command, args, expected", [
    ("set_image", {"container": "app", "image": "nginx:1.16.1"},
     TEXT.replace('"nginx:1.14.2"', "nginx:1.16.1")),
    ("scale", {"replicas": 5}, TEXT.replace("replicas: 3", "replicas: 5")),
], ids=["set-image", "scale"])
def test_a_changed_scalar_is_rewritten_on_its_line_keeping_comments(command, args, expected):
    assert follow_command(TEXT, *run(command, **args)) == expected


def test_a_new_key_re_dumps_the_document_with_the_data_the_cluster_now_has():
    before, after = run("rollout_restart")
    text = follow_command(TEXT, before, after)
    obj = data(text)
    stamp = after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert obj["spec"]["template"]["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": stamp}
    assert {**obj, "spec": {**obj["spec"], "template": data(TEXT)["spec"]["template"]}} == data(TEXT)


def test_pause_then_resume_returns_to_the_text_as_it_was_in_data():
    paused_before, paused_after = run("rollout_pause")
    paused = follow_command(TEXT, paused_before, paused_after)
    assert data(paused)["spec"]["paused"] is True
    resumed_after = {**paused_after, "spec": {k: v for k, v in paused_after["spec"].items() if k != "paused"}}
    assert data(follow_command(paused, paused_after, resumed_after)) == data(TEXT)


@pytest.mark.parametrize("text", ["", "kind: [unclosed"], ids=["no-text", "not-yaml"])
def test_a_text_that_cannot_follow_is_kept(text):
    assert follow_command(text, *run("scale", replicas=5)) == text


def test_server_annotations_never_reach_the_text():
    before, after = run("set_image", container="app", image="nginx:1.16.1")
    after["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "2"
    assert "deployment.kubernetes.io" not in follow_command(TEXT, before, after)


def test_a_block_scalar_value_falls_back_to_a_dump():
    text = TEXT.replace('image: "nginx:1.14.2"  # the old one', "image:\n            nginx:1.14.2")
    result = follow_command(text, *run("set_image", container="app", image="nginx:1.16.1"))
    assert data(result) == data(TEXT.replace("nginx:1.14.2", "nginx:1.16.1"))


TWO = TEXT + "---\n" + TEXT.replace("name: web ", "name: api ")


@pytest.mark.parametrize("source, expected", [
    (TEXT, {"web": TEXT}),
    (TWO, {"web": TWO, "api": TWO}),
    ([data(TEXT)], {"web": yaml.safe_dump(data(TEXT), sort_keys=False)}),
], ids=["one-document-as-typed", "several-documents-as-typed", "dicts-dumped"])
def test_applied_texts(source, expected):
    assert applied_texts(source) == expected


@pytest.mark.parametrize("command, args, expected", [
    ("set_image", {"container": "app", "image": "nginx:1.16.1"},
     TEXT.replace('"nginx:1.14.2"', "nginx:1.16.1") + "---\n" + TEXT.replace("name: web ", "name: api ")),
    ("rollout_pause", {}, None),
], ids=["in-place", "re-dumped"])
def test_only_the_commanded_deployments_document_changes(command, args, expected):
    result = follow_command(TWO, *run(command, **args))
    if expected is not None:
        assert result == expected
    web, api = [d.obj for d in load_manifests(result)]
    assert api == data(TEXT.replace("name: web ", "name: api "))
    assert web["spec"].get("paused", False) is (command == "rollout_pause")
