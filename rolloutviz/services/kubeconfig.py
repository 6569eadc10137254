"""Kubeconfigs: a file that points kubectl at one simulation's Kubernetes API, with a token of
the caller's role.

The token is a new link labelled ``kubeconfig`` (`permissions.kubeconfig_link_role` decides its
role: view for a viewer, edit otherwise), listed and revocable in the Share dialog like any
other: revoking it logs that kubectl out (401). The server address is ``KUBERNETES_API_URL``
when set (a TLS proxy with a public certificate), else the HTTPS endpoint of the host the page
was reached at (``KUBERNETES_TLS_PORT``), whose local CA the file carries.
"""
from __future__ import annotations

import base64
from pathlib import Path

import yaml
from django.conf import settings
from django.http.request import split_domain_port

from rolloutviz import permissions, tls
from rolloutviz.permissions import Role
from rolloutviz.services import links

LABEL = "kubeconfig"


def context_name(simulation_id: int) -> str:
    """The kubeconfig's context (and cluster) name."""
    return f"rolloutviz-{simulation_id}"


def api_url(simulation_id: int, request_host: str) -> str:
    """The simulation's Kubernetes API address as kubectl reaches it."""
    base = settings.KUBERNETES_API_URL
    if not base:
        host, _ = split_domain_port(request_host)
        host = host or "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        base = f"https://{host}:{settings.KUBERNETES_TLS_PORT}"
    return f"{base}/k8s/simulations/{simulation_id}"


def certificate_authority() -> bytes | None:
    """The PEM CA certificate kubectl is to trust: ``KUBERNETES_API_CA_FILE``, else the local CA
    when the API is served by `make run`'s own endpoint; None to trust the system's roots."""
    path = settings.KUBERNETES_API_CA_FILE
    if not path and not settings.KUBERNETES_API_URL:
        path = tls.Files(Path(settings.KUBERNETES_TLS_DIR)).authority
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def kubeconfig(*, simulation_id: int, role: Role, request_host: str) -> str:
    """A kubeconfig (YAML) for ``simulation_id`` with a new ``kubeconfig`` link's token."""
    link = links.link_create(simulation_id=simulation_id, role=permissions.kubeconfig_link_role(role), label=LABEL)
    name = context_name(simulation_id)
    cluster = {"server": api_url(simulation_id, request_host)}
    authority = certificate_authority()
    if authority is not None:
        cluster["certificate-authority-data"] = base64.b64encode(authority).decode()
    user = f"{name}-{link.role}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": link.token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
