"""The Kubernetes API's request handling in process (Django's test client): how a path and an
Accept header are read, how timestamps are served, and that every refusal and failure under
/k8s/ is a Kubernetes ``Status`` (a 500 too). What kubectl makes of the answers is
tests/rolloutviz/test_kubernetes_api.py."""
import json
import logging

import pytest
from django.test import Client

from rolloutviz.services import kubernetes, links
from rolloutviz.services.kubernetes import not_found_path, request_info, served
from rolloutviz.views.kubernetes import aggregated_version, table_version
from simulator.api.status import StatusError

pytestmark = pytest.mark.django_db(transaction=True)

TABLE_V1 = "application/json;as=Table;v=v1;g=meta.k8s.io"


@pytest.mark.parametrize("method,path,watch,expected", [
    pytest.param("GET", "/api/v1/namespaces/default/pods", False, ("list", "Pod", "default", "", ""), id="list"),
    pytest.param("GET", "/api/v1/namespaces/default/pods", True, ("watch", "Pod", "default", "", ""), id="watch"),
    pytest.param("GET", "/api/v1/watch/namespaces/default/pods", False, ("watch", "Pod", "default", "", ""),
                 id="deprecated-watch-path"),
    pytest.param("GET", "/api/v1/pods", False, ("list", "Pod", "", "", ""), id="all-namespaces"),
    pytest.param("GET", "/apis/apps/v1/namespaces/default/deployments/web", False,
                 ("get", "Deployment", "default", "web", ""), id="get"),
    pytest.param("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", False,
                 ("patch", "Deployment", "default", "web", "scale"), id="patch-scale"),
    pytest.param("POST", "/api/v1/namespaces/default/pods/web-1/eviction", False,
                 ("create", "Pod", "default", "web-1", "eviction"), id="eviction"),
    pytest.param("DELETE", "/apis/apps/v1/namespaces/default/replicasets", False,
                 ("deletecollection", "ReplicaSet", "default", "", ""), id="delete-collection"),
    pytest.param("PATCH", "/api/v1/nodes/node-1", False, ("patch", "Node", "", "node-1", ""), id="node"),
    pytest.param("GET", "/api/v1/namespaces/default", False, ("get", "Namespace", "", "default", ""),
                 id="namespace"),
])
def test_request_info_reads_paths_as_the_api_server(method, path, watch, expected):
    info = request_info(method, path, watch)
    assert (info.verb, info.kind, info.namespace, info.name, info.subresource) == expected


@pytest.mark.parametrize("path", [
    pytest.param("/api/v1/namespaces/default/foos", id="unknown-resource"),
    pytest.param("/apis/apps/v1/namespaces/default/deployments/web/exec", id="unknown-subresource"),
    pytest.param("/api/v1/namespaces/default/nodes/node-1", id="namespaced-node"),
    pytest.param("/apis/apps/v1/deployments/web", id="namespaced-get-without-namespace"),
    pytest.param("/apis/apps/v1/namespaces/default/deployments/web/scale/more", id="too-deep"),
])
def test_request_info_refuses_what_is_not_served(path):
    with pytest.raises(StatusError) as refused:
        request_info("GET", path, False)
    assert refused.value.status == not_found_path().status


@pytest.mark.parametrize("accept,table,aggregated", [
    pytest.param(f"{TABLE_V1},application/json", "v1", None, id="kubectl-get"),
    pytest.param("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1beta1", None,
                 id="table-v1beta1"),
    pytest.param("application/json", None, None, id="objects"),
    pytest.param("application/json, " + TABLE_V1, None, None, id="json-first"),
    pytest.param("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                 "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
                 None, "v2", id="aggregated-discovery"),
    pytest.param("", None, None, id="none"),
])
def test_accept_headers(accept, table, aggregated):
    assert (table_version(accept), aggregated_version(accept)) == (table, aggregated)


def test_served_shifts_timestamps_but_not_user_data():
    obj = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z",
                        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}},
           "status": {"conditions": [{"lastTransitionTime": "2026-01-01T00:00:59.5Z", "message": "x"}]}}
    shifted = served(obj, 61)
    assert shifted["metadata"]["creationTimestamp"] == "2026-01-01T00:01:01Z"
    assert shifted["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:02:00.5Z"
    assert shifted["metadata"]["annotations"] == obj["metadata"]["annotations"]
    assert served(shifted, -61) == obj
    assert obj["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"  # the given one is left as it was


# ---------------------------------------------------------------- over HTTP, in process


@pytest.fixture
def bearer(simulation):
    """An edit link's token of ``simulation``, as a kubeconfig carries it."""
    return links.link_create(simulation_id=simulation.pk, role="edit", label="kubeconfig").token


def status_of(answer, code: int) -> dict:
    """The answer's body, checked to be a Kubernetes Status with ``code``."""
    assert answer.status_code == code, answer.content[:500]
    assert answer["Content-Type"] == "application/json"
    body = json.loads(answer.content)
    assert (body["kind"], body["apiVersion"], body["status"], body["code"]) == ("Status", "v1", "Failure", code)
    return body


@pytest.mark.parametrize("path,method,headers,code,reason", [
    pytest.param("/apis/apps/v1/namespaces/default/deployments", "get", {}, 401, "Unauthorized", id="no-token"),
    pytest.param("/apis/apps/v1/namespaces/default/deployments", "get", {"HTTP_AUTHORIZATION": "Bearer nope"},
                 401, "Unauthorized", id="unknown-token"),
    pytest.param("/apis/apps/v1/namespaces/default/deployments/nope", "get", None, 404, "NotFound",
                 id="missing-object"),
    pytest.param("/apis/apps/v1/namespaces/default/foos", "get", None, 404, "NotFound", id="unknown-resource"),
    pytest.param("/apis/apps/v1/namespaces/default/deployments", "post", None, 415, "UnsupportedMediaType",
                 id="unsupported-media-type"),
    pytest.param("/api/v1/namespaces/default/services/x", "delete", None, 405, "MethodNotAllowed",
                 id="service-delete"),
])
def test_refusals_are_status_objects(simulation, bearer, path, method, headers, code, reason):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if headers is None else headers
    extra = {"data": "x", "content_type": "text/plain"} if method == "post" else {}
    answer = getattr(Client(), method)(f"/k8s/simulations/{simulation.pk}{path}", **extra, **headers)
    assert status_of(answer, code)["reason"] == reason


def test_a_watch_from_a_version_not_reached_is_a_504_after_the_wait(simulation, bearer, monkeypatch):
    from simulator.api import resource_versions

    monkeypatch.setattr(resource_versions, "TOO_LARGE_WAIT_SECONDS", 0.3)
    answer = Client().get(
        f"/k8s/simulations/{simulation.pk}/apis/apps/v1/namespaces/default/deployments",
        {"watch": "true", "resourceVersion": "999999"}, HTTP_AUTHORIZATION=f"Bearer {bearer}")
    body = status_of(answer, 504)
    assert (body["reason"], body["message"]) == ("Timeout", "Too large resource version: 999999, current: 0")
    assert body["details"] == {"causes": [{"reason": "ResourceVersionTooLarge",
                                           "message": "Too large resource version"}], "retryAfterSeconds": 1}


def test_an_address_outside_any_simulation_is_a_status():
    assert status_of(Client().get("/k8s/nothing/here"), 404)["reason"] == "NotFound"


def test_version_needs_no_token(simulation):
    answer = Client().get(f"/k8s/simulations/{simulation.pk}/version")
    assert answer.status_code == 200 and json.loads(answer.content)["minor"] == "32"


def test_a_failure_is_a_500_status_naming_the_reference_in_the_log(simulation, bearer, monkeypatch, caplog):
    def broken(**_):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(kubernetes, "read", broken)
    with caplog.at_level(logging.ERROR, logger="rolloutviz.api"):
        answer = Client(raise_request_exception=False).get(
            f"/k8s/simulations/{simulation.pk}/api/v1/namespaces/default/pods", HTTP_AUTHORIZATION=f"Bearer {bearer}")
    body = status_of(answer, 500)
    assert body["reason"] == "InternalError"
    reference = body["message"].rsplit("reference ", 1)[1].rstrip(")")
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_write_is_recorded_with_kubectls_command_label(simulation, bearer, web_yaml):
    from rolloutviz.services import commands

    commands.manifest_apply(simulation_id=simulation.pk, yaml_text=web_yaml())
    answer = Client().patch(
        f"/k8s/simulations/{simulation.pk}/apis/apps/v1/namespaces/default/deployments/web/scale",
        json.dumps({"spec": {"replicas": 5}}), content_type="application/merge-patch+json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}", HTTP_KUBECTL_COMMAND="kubectl scale")
    assert answer.status_code == 200, answer.content
    assert json.loads(answer.content)["spec"] == {"replicas": 5}
    record = simulation.commands.order_by("-index").first()
    assert (record.name, record.label, record.ok) == ("patch_scale", "kubectl scale", True)
