"""Discovery documents and the OpenAPI stub: shapes from k8s.io/api apidiscovery/v2 and
metav1, values as a v1.32 API server lists them, and what kubectl 1.32 reads from them
(../shared/kubernetes-api/README.md)."""
import json

import pytest

from simulator.api import discovery


def test_version_reports_1_32():
    info = discovery.version_info()
    assert (info["major"], info["minor"]) == ("1", "32")
    assert info["gitVersion"].startswith("v1.32.")
    assert list(info) == ["major", "minor", "gitVersion", "gitCommit", "gitTreeState",
                          "buildDate", "goVersion", "compiler", "platform"]


def test_legacy_root():
    assert discovery.api_versions() == {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": []}
    assert discovery.api_versions("127.0.0.1:8000")["serverAddressByClientCIDRs"] == [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:8000"}]


def test_group_list():
    groups = discovery.api_group_list()
    assert (groups["kind"], groups["apiVersion"]) == ("APIGroupList", "v1")
    assert [g["name"] for g in groups["groups"]] == ["apps", "discovery.k8s.io"]
    assert groups["groups"][0] == {"name": "apps",
                                   "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                                   "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}


def resource_names(group, version):
    return [r["name"] for r in discovery.api_resource_list(group, version)["resources"]]


RESOURCE_LISTS = [
    ("core", "", "v1", ["endpoints", "events", "namespaces", "nodes", "pods", "pods/eviction",
                        "pods/log", "pods/status", "services"]),
    ("apps", "apps", "v1", ["deployments", "deployments/scale", "deployments/status",
                            "replicasets", "replicasets/scale", "replicasets/status"]),
    ("discovery", "discovery.k8s.io", "v1", ["endpointslices"]),
    # known (Eviction's and Scale's groups) but not advertised: see test_advertised_groups
    ("policy", "policy", "v1", []),
    ("autoscaling", "autoscaling", "v1", []),
]


@pytest.mark.parametrize("group,version,names", [c[1:] for c in RESOURCE_LISTS],
                         ids=[c[0] for c in RESOURCE_LISTS])
def test_resource_lists(group, version, names):
    assert resource_names(group, version) == names


def test_unknown_group_version_is_not_listed():
    assert discovery.api_resource_list("batch", "v1") is None
    assert discovery.api_resource_list("apps", "v1beta1") is None


def find(group, version, name):
    return next(r for r in discovery.api_resource_list(group, version)["resources"]
                if r["name"] == name)


def test_pods_entry_as_the_apiserver_lists_it():
    assert find("", "v1", "pods") == {
        "name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                  "watch"],
        "shortNames": ["po"], "categories": ["all"], "storageVersionHash": "xPOwRZ+Yhw8="}


def test_eviction_names_its_group():
    """kubectl drain looks for pods/eviction in the legacy /api/v1 and reads its group."""
    assert find("", "v1", "pods/eviction") == {
        "name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
        "version": "v1", "kind": "Eviction", "verbs": ["create"]}


def test_scale_subresource():
    assert find("apps", "v1", "deployments/scale") == {
        "name": "deployments/scale", "singularName": "", "namespaced": True,
        "group": "autoscaling", "version": "v1", "kind": "Scale",
        "verbs": ["get", "patch", "update"]}


@pytest.mark.parametrize("group,name,short,categories,namespaced,hash_", [
    ("", "nodes", ["no"], None, False, "XwShjMxG9Fs="),
    ("", "events", ["ev"], None, True, None),
    ("", "namespaces", ["ns"], None, False, None),
    ("", "services", ["svc"], ["all"], True, None),
    ("", "endpoints", ["ep"], None, True, None),
    ("apps", "deployments", ["deploy"], ["all"], True, "8aSe+NMegvE="),
    ("apps", "replicasets", ["rs"], ["all"], True, None),
    ("discovery.k8s.io", "endpointslices", None, None, True, None),
])
def test_short_names_categories_scope(group, name, short, categories, namespaced, hash_):
    entry = find(group, "v1", name)
    assert (entry.get("shortNames"), entry.get("categories"), entry["namespaced"]) == (
        short, categories, namespaced)
    if hash_:
        assert entry["storageVersionHash"] == hash_


def test_core_list_has_no_api_version_named_groups_do():
    assert "apiVersion" not in discovery.api_resource_list("", "v1")
    apps = discovery.api_resource_list("apps", "v1")
    assert (apps["kind"], apps["apiVersion"], apps["groupVersion"]) == (
        "APIResourceList", "v1", "apps/v1")


def test_aggregated_core():
    got = discovery.aggregated_discovery(core=True)
    assert (got["kind"], got["apiVersion"], got["metadata"]) == (
        "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2", {})
    (item,) = got["items"]
    assert item["metadata"] == {"creationTimestamp": None}
    (version,) = item["versions"]
    assert (version["version"], version["freshness"]) == ("v1", "Current")
    pods = next(r for r in version["resources"] if r["resource"] == "pods")
    assert pods == {
        "resource": "pods", "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
        "scope": "Namespaced", "singularResource": "pod",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                  "watch"],
        "shortNames": ["po"], "categories": ["all"],
        "subresources": [
            {"subresource": "eviction",
             "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"},
             "verbs": ["create"]},
            {"subresource": "log", "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
             "verbs": ["get"]},
            {"subresource": "status",
             "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
             "verbs": ["get", "patch", "update"]}]}


def test_aggregated_groups():
    got = discovery.aggregated_discovery(core=False, version="v2beta1")
    assert got["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    assert [i["metadata"] for i in got["items"]] == [
        {"name": g, "creationTimestamp": None} for g in ("apps", "discovery.k8s.io")]
    apps = got["items"][0]["versions"][0]["resources"]
    assert [r["resource"] for r in apps] == ["deployments", "replicasets"]
    assert apps[0]["subresources"][0] == {
        "subresource": "scale",
        "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        "verbs": ["get", "patch", "update"]}
    nodes = next(r for r in discovery.aggregated_discovery(True)["items"][0]["versions"][0][
        "resources"] if r["resource"] == "nodes")
    assert nodes["scope"] == "Cluster"


def test_advertised_groups_all_serve_resources():
    """kubectl takes an advertised group-version without resources for discovery it could
    not get, and fetches discovery again on every command (then a 401 prints as discovery
    errors): only group-versions with resources are advertised."""
    for item in discovery.aggregated_discovery(core=False)["items"]:
        assert all(version["resources"] for version in item["versions"])
    for group in discovery.api_group_list()["groups"]:
        (version,) = group["versions"]
        assert discovery.api_resource_list(group["name"], version["version"])["resources"]


def test_aggregated_content_types():
    assert discovery.AGGREGATED_CONTENT_TYPES == {
        "v2": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        "v2beta1": "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"}


@pytest.mark.parametrize("args,found", [
    (("apps", "v1", "deployments"), "Deployment"), (("", "v1", "pods"), "Pod"),
    (("apps", "v1", "pods"), None), (("", "v1", "deployments"), None),
])
def test_find_resource(args, found):
    resource = discovery.find_resource(*args)
    assert (resource.kind if resource else None) == found


def test_qualified_resource_names():
    assert discovery.find_resource("apps", "v1", "deployments").qualified == "deployments.apps"
    assert discovery.find_resource("", "v1", "pods").qualified == "pods"
    assert discovery.find_resource("", "v1", "pods").group_version == "v1"


# --- OpenAPI v3 ----------------------------------------------------------------------------------

def test_openapi_root_links_every_document_with_its_hash_under_the_prefix():
    root = discovery.openapi_v3_root("/k8s/simulations/7")
    assert list(root["paths"]) == ["api/v1", "apis/apps/v1", "apis/discovery.k8s.io/v1"]
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url == ("/k8s/simulations/7/openapi/v3/apis/apps/v1?hash="
                   + discovery.openapi_v3_hash("apis/apps/v1"))
    assert len(discovery.openapi_v3_hash("apis/apps/v1")) == 128


def test_openapi_document_has_a_patch_operation_per_kind():
    """What kubectl's query-param verifier looks for: a PATCH whose
    x-kubernetes-group-version-kind is the kind, with a fieldValidation query parameter;
    and no strategic merge patch body, so kubectl keeps its compiled-in patch metadata."""
    document = discovery.openapi_v3_document("apis/apps/v1")
    operations = {path: item["patch"] for path, item in document["paths"].items()}
    assert list(operations) == ["/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
                                "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}"]
    patch = operations["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment",
                                                        "version": "v1"}
    assert patch["operationId"] == "patchAppsV1NamespacedDeployment"
    assert {"fieldValidation", "dryRun", "fieldManager", "force"} <= {
        p["name"] for p in patch["parameters"] if p["in"] == "query"}
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]


def test_openapi_core_document():
    document = discovery.openapi_v3_document("api/v1")
    assert "/api/v1/nodes/{name}" in document["paths"]
    node = document["paths"]["/api/v1/nodes/{name}"]
    assert [p["name"] for p in node["parameters"]] == ["name"]
    assert node["patch"]["operationId"] == "patchCoreV1Node"
    assert document["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"][
        "x-kubernetes-group-version-kind"] == {"group": "", "kind": "Pod", "version": "v1"}


def test_openapi_unknown_document():
    assert discovery.openapi_v3_document("apis/batch/v1") is None


def test_documents_are_json():
    for document in (discovery.aggregated_discovery(True), discovery.aggregated_discovery(False),
                     discovery.openapi_v3_root(), discovery.openapi_v3_document("api/v1"),
                     discovery.api_resource_list("", "v1"), discovery.api_group_list()):
        assert json.loads(json.dumps(document)) == document
