"""The building blocks in front of the real kubectl (1.32, through the dispatcher at
/usr/bin/kubectl): a small stdlib HTTP server answers with discovery, OpenAPI, Tables and
Status bodies computed by simulator.api, and reads and patches a running simulation through
its API operations (Cluster.read, read_list, patch), under a URL prefix as the Django side
will serve them. kubectl's own printing is the check:
of the Tables against the text views written after kubectl, of the errors against what
kubectl printed against a real cluster (../shared/kubernetes-api/requests.md).

kubectl sends a kubeconfig's bearer token only to an https server (client-go's
clientcmd reads credentials only "if we are secure"), so the server speaks TLS with a
certificate made for the test and named in the kubeconfig."""
import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from simulator.api import discovery, status
from simulator.api.status import StatusError
from simulator.api.tables import table
from simulator.cluster import Cluster
from simulator.kubectl.printers import get_text

KUBECTL = "/usr/bin/kubectl"
PREFIX = "/k8s/simulations/1"
TOKEN = "test-token"
DEPLOYMENT_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
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
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""


class Harness:
    """What the server answers from: a running simulation, through its API operations
    (Cluster.read, read_list, patch), and a ``refuse`` Status to answer every PATCH with."""

    def __init__(self):
        self.cluster = Cluster(seed=3)
        self.cluster.apply(DEPLOYMENT_YAML)
        self.cluster.advance(40)
        self.refuse: dict | None = None

    def deployment(self) -> dict:
        return self.cluster.read("deployments", "web")


def make_handler(harness: Harness):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def answer(self, code: int, body, content_type: str = "application/json"):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.handle_request()

        def do_PATCH(self):
            self.handle_request()

        def handle_request(self):
            try:
                self.route()
            except StatusError as error:
                self.answer(error.code, error.status)

        def route(self):
            url = urlsplit(self.path)
            assert url.path.startswith(PREFIX), url.path
            path, query = url.path[len(PREFIX):], parse_qs(url.query)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}" and path != "/version":
                raise StatusError(status.unauthorized())
            if harness.refuse and self.command == "PATCH":
                raise StatusError(harness.refuse)
            accept = self.headers.get("Accept", "")
            if path == "/version":
                return self.answer(200, discovery.version_info())
            if path in ("/api", "/apis"):
                if "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept:
                    return self.answer(200, discovery.aggregated_discovery(path == "/api"),
                                       discovery.AGGREGATED_CONTENT_TYPES["v2"])
                return self.answer(200, discovery.api_versions() if path == "/api"
                                   else discovery.api_group_list())
            if path.startswith("/openapi/v3"):
                document = (discovery.openapi_v3_root(PREFIX) if path == "/openapi/v3"
                            else discovery.openapi_v3_document(path[len("/openapi/v3/"):]))
                if document is None:
                    raise StatusError(status.not_found("", ""))
                return self.answer(200, document)
            parts = path.strip("/").split("/")
            group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
            rest = parts[2:] if parts[0] == "api" else parts[3:]
            if not rest:
                return self.answer(200, discovery.api_resource_list(group, version))
            if rest[0] == "namespaces":
                rest = rest[2:]
            resource = discovery.find_resource(group, version, rest[0])
            if len(rest) == 2:
                return self.item(resource, rest[1], query)
            listed = harness.cluster.read_list(resource.name,
                                               query.get("labelSelector", [""])[0],
                                               query.get("fieldSelector", [""])[0])
            if "as=Table" in accept:
                include = query.get("includeObject", ["Metadata"])[0]
                return self.answer(200, table(resource.kind, listed["items"], harness.cluster.now,
                                              include_object=include,
                                              resource_version=listed["metadata"]["resourceVersion"]),
                                   "application/json;as=Table;v=v1;g=meta.k8s.io")
            return self.answer(200, listed)

        def item(self, resource, name, query):
            if self.command == "PATCH":
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                done = harness.cluster.patch(
                    resource.name, name, body, self.headers.get("Content-Type", ""),
                    dry_run=query.get("dryRun") == ["All"],
                    field_validation=query.get("fieldValidation", ["Warn"])[0])
                return self.answer(done["code"], done["body"])
            return self.answer(200, harness.cluster.read(resource.name, name))

    return Handler


@pytest.fixture(scope="module")
def harness():
    return Harness()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def server(harness, certificate):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(harness))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}{PREFIX}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def kubectl(server, certificate, tmp_path):
    """Run kubectl with its own HOME (discovery is cached per host, not per path) and a
    kubeconfig for the server; returns (exit code, stdout, stderr)."""
    if not shutil.which(KUBECTL):
        pytest.fail(f"kubectl is needed for this test and was not found at {KUBECTL}")
    config = tmp_path / "config"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "sim",
        "clusters": [{"name": "sim", "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(certificate[0].read_bytes()).decode()}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "u",
                                                 "namespace": "default"}}]}))

    def run(*args, token: str = TOKEN):
        if token != TOKEN:
            config.write_text(config.read_text().replace(TOKEN, token))
        env = {"HOME": str(tmp_path), "KUBECONFIG": str(config), "PATH": os.environ["PATH"]}
        done = subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env,
                              timeout=60)
        return done.returncode, done.stdout, done.stderr

    return run


def split(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


@pytest.mark.parametrize("kind", ["pods", "rs", "nodes", "events"])
def test_get_prints_the_tables_as_the_text_views(harness, kubectl, kind):
    code, out, err = kubectl("get", kind)
    assert code == 0, err
    assert out == get_text(harness.cluster, kind)


def test_get_wide_headers_are_kubectls(kubectl):
    """requests.md 10-get-wide and 35-get-nodes-wide."""
    code, out, err = kubectl("get", "deploy,rs,pods,nodes", "-o", "wide")
    assert code == 0, err
    headers = [line.split("   ") for line in out.splitlines() if line.startswith("NAME")]
    assert [[h.strip() for h in header if h.strip()] for header in headers] == [
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
         "READINESS GATES"],
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
         "KERNEL-VERSION", "CONTAINER-RUNTIME"]]
    assert "deployment.apps/web " in out and "replicaset.apps/web-" in out and "pod/web-" in out


def test_show_labels_and_selectors_use_the_row_objects(harness, kubectl):
    code, out, err = kubectl("get", "pods", "--show-labels", "-l", "app=web",
                             "--field-selector", "status.phase=Running")
    assert code == 0, err
    rows = split(out)
    assert rows[0][-1] == "LABELS" and len(rows) == 4
    assert all(row[-1].startswith("app=web,pod-template-hash=") for row in rows[1:])


def test_all_namespaces_and_sort_by_read_the_row_objects(harness, kubectl):
    """requests.md 72-get-A-labels and 73-get-sort: -A prints the namespace from each row's
    PartialObjectMetadata; --sort-by asks for whole objects (includeObject=Object)."""
    code, out, err = kubectl("get", "pods", "-A")
    assert code == 0, err
    assert [row[0] for row in split(out)] == ["NAMESPACE"] + ["default"] * 3
    code, out, err = kubectl("get", "pods", "--sort-by=.metadata.name")
    assert (code, out) == (0, get_text(harness.cluster, "pods")), err


def test_api_resources_lists_what_a_cluster_lists(kubectl):
    """The rows a v1.32 cluster prints for these resources."""
    code, out, err = kubectl("api-resources")
    assert code == 0, err
    assert split(out) == [
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


def test_not_found(kubectl):
    """requests.md 42-get-missing."""
    code, out, err = kubectl("get", "deploy", "nope")
    assert (code, err.strip()) == (1, 'Error from server (NotFound): deployments.apps "nope" '
                                      "not found")


def test_bad_label_selector(kubectl):
    code, _, err = kubectl("get", "pods", "-l", "app in web")
    assert code == 1
    assert "unable to parse requirement: found 'web' expected: '('" in err


def test_unsupported_field_selector(kubectl):
    """The server's 400, in the sentence kubectl (cli-runtime) wraps list errors in."""
    code, _, err = kubectl("get", "pods", "--field-selector", "spec.image=x")
    assert (code, err.strip()) == (1, 'Error from server (BadRequest): Unable to find "/v1, '
                                      'Resource=pods" that match label selector "", field '
                                      'selector "spec.image=x": field label not supported: '
                                      "spec.image")


def test_unauthorized(kubectl):
    """requests.md 47-unauth: with discovery cached, the list's 401 Status is printed."""
    assert kubectl("get", "deploy")[0] == 0
    code, _, err = kubectl("get", "deploy", token="wrong")
    assert (code, err.strip()) == (1, "error: You must be logged in to the server "
                                      "(Unauthorized)")


def test_set_image_is_merged_by_the_strategic_patch(harness, kubectl):
    """requests.md 16-set-image: kubectl sends $setElementOrder/containers."""
    code, out, err = kubectl("set", "image", "deployment/web", "app=nginx:1.16.1")
    assert (code, out.strip()) == (0, "deployment.apps/web image updated"), err
    (container,) = harness.deployment()["spec"]["template"]["spec"]["containers"]
    assert (container["image"], container["ports"]) == (
        "nginx:1.16.1", [{"containerPort": 80, "protocol": "TCP"}])


def test_apply_reads_the_openapi_stub(harness, kubectl, tmp_path):
    """requests.md 07-apply-patch: apply downloads the group-version's OpenAPI document
    (it fails without), learns that PATCH takes fieldValidation, and sends a strategic
    merge patch built from its compiled-in types."""
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT_YAML.replace("nginx:1.14.2", "nginx:1.17.0"))
    code, out, err = kubectl("apply", "-f", str(manifest))
    assert (code, out.strip()) == (0, "deployment.apps/web configured"), err
    assert "openapi" not in err
    (container,) = harness.deployment()["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.17.0"
    annotations = harness.deployment()["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in annotations


@pytest.mark.parametrize("args,check", [
    (("rollout", "pause", "deployment/web"), lambda d: d["spec"]["paused"] is True),
    (("rollout", "resume", "deployment/web"), lambda d: "paused" not in d["spec"]),
    (("label", "deployment", "web", "tier=fe"), lambda d: d["metadata"]["labels"]["tier"] == "fe"),
    (("patch", "deployment", "web", "--type=merge", "-p", '{"spec":{"replicas":4}}'),
     lambda d: d["spec"]["replicas"] == 4),
    (("patch", "deployment", "web", "--type=json", "-p",
      '[{"op":"replace","path":"/spec/minReadySeconds","value":5}]'),
     lambda d: d["spec"]["minReadySeconds"] == 5),
], ids=["pause", "resume", "label", "merge-patch", "json-patch"])
def test_patches_kubectl_sends(harness, kubectl, args, check):
    code, _, err = kubectl(*args)
    assert code == 0, err
    assert check(harness.deployment())


def test_invalid_patch_prints_each_cause(kubectl):
    """requests.md 39-apply-invalid: kubectl builds the text from details and causes."""
    code, _, err = kubectl("patch", "deployment", "web", "--type=merge", "-p",
                           '{"spec":{"replicas":-1,"strategy":{"rollingUpdate":'
                           '{"maxSurge":0,"maxUnavailable":0}}}}')
    assert code == 1
    assert err.strip() == (
        'The Deployment "web" is invalid: \n'
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        "* spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when "
        "`maxSurge` is 0")


def test_failing_json_patch(kubectl):
    code, _, err = kubectl("patch", "deployment", "web", "--type=json", "-p",
                           '[{"op":"test","path":"/spec/replicas","value":99}]')
    assert (code, err.strip()) == (1, "The request is invalid: the server rejected our request "
                                      "due to an error in our request")


FORBIDDEN = ('deployments.apps "web" is forbidden: User "system:serviceaccount:default:demo" '
             'cannot patch resource "deployments" in API group "apps" in the namespace "default"')


@pytest.mark.parametrize("refusal,command,message", [
    (status.conflict("deployments", "web", group="apps"), ("rollout", "pause", "deployment/web"),
     'error: failed to patch: Operation cannot be fulfilled on deployments.apps "web": the '
     "object has been modified; please apply your changes to the latest version and try again"),
    (status.forbidden_request("system:serviceaccount:default:demo", "patch", "deployments",
                              group="apps", namespace="default", name="web"),
     ("patch", "deployment", "web", "--type=merge", "-p", '{"spec":{"replicas":2}}'),
     f"Error from server (Forbidden): {FORBIDDEN}"),
    (status.forbidden_request("system:serviceaccount:default:demo", "patch", "deployments",
                              group="apps", namespace="default", name="web"),
     ("rollout", "pause", "deployment/web"), f"error: failed to patch: {FORBIDDEN}"),
], ids=["conflict", "forbidden", "forbidden-rollout"])
def test_refused_patch(harness, kubectl, refusal, command, message):
    """requests.md 46-conflict and 45-forbidden (kubectl's rollout commands wrap the
    server's message in "failed to patch")."""
    harness.refuse = refusal
    try:
        code, _, err = kubectl(*command)
    finally:
        harness.refuse = None
    assert (code, err.strip()) == (1, message)


def test_cordon_and_uncordon(harness, kubectl):
    """requests.md cordon: a strategic merge patch of spec.unschedulable; the STATUS column
    then says SchedulingDisabled."""
    code, out, err = kubectl("cordon", "node-2")
    assert (code, out.strip()) == (0, "node/node-2 cordoned"), err
    assert harness.cluster.read("nodes", "node-2")["spec"]["unschedulable"] is True
    code, out, err = kubectl("get", "nodes")
    assert [row[:2] for row in split(out) if row[0] == "node-2"] == [
        ["node-2", "Ready,SchedulingDisabled"]], err
    code, out, err = kubectl("uncordon", "node-2")
    assert (code, out.strip()) == (0, "node/node-2 uncordoned"), err
    assert "unschedulable" not in harness.cluster.read("nodes", "node-2")["spec"]


def test_diff_is_a_dry_run_patch(harness, kubectl, tmp_path):
    """requests.md diff: kubectl sends the apply patch with dryRun=All and compares the
    would-be object with the live one (exit 1 when they differ); nothing changes."""
    before = harness.deployment()
    replicas = before["spec"]["replicas"]
    image = before["spec"]["template"]["spec"]["containers"][0]["image"]
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT_YAML.replace("replicas: 3", f"replicas: {replicas + 1}")
                        .replace("nginx:1.14.2", image))
    code, out, err = kubectl("diff", "-f", str(manifest))
    assert code == 1, err
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[1:2] != line[:1]]
    generation = before["metadata"]["generation"]   # the server's would-be object bumps it
    assert changed == [f"-  generation: {generation}", f"+  generation: {generation + 1}",
                       f"-  replicas: {replicas}", f"+  replicas: {replicas + 1}"], out
    assert harness.deployment() == before
