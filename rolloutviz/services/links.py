"""Share links: tokens that grant ``view`` or ``edit`` in one simulation, and the operator's token.

A link's URL opens the simulation's page and grants its role to the browser's session; its
token also works as a bearer token (API, kubeconfig) and as a WebSocket's ``?token=``.
"""
from __future__ import annotations

from django.db import transaction

from rolloutviz import protocol
from rolloutviz.models import Link
from rolloutviz.permissions import configured_operator_link, forget_roles, new_token, remember_link
from rolloutviz.services import live
from rolloutviz.services.errors import InvalidInput, NotFound

SHARE_ROLES = (Link.VIEW, Link.EDIT)
MAX_LINKS_PER_SIMULATION = 100
MAX_LABEL_LENGTH = 100


def link_path(link: Link) -> str:
    """Where a link's URL points: the simulation's page (or the home page for the operator) with the token."""
    if link.role == Link.OPERATOR:
        return f"/?token={link.token}"
    return f"/simulations/{link.simulation_id}/?token={link.token}"


def link_create(*, simulation_id: int, role, label="") -> Link:
    """A new ``view`` or ``edit`` link to a simulation."""
    if role not in SHARE_ROLES:
        raise InvalidInput(f'role: Unsupported value: {role!r}: supported values: "view", "edit"', field="role")
    if not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH or "\0" in label:
        raise InvalidInput(f"label: must be a string of at most {MAX_LABEL_LENGTH} characters, "
                           "without the NUL character", field="label")
    if Link.objects.filter(simulation_id=simulation_id).count() >= MAX_LINKS_PER_SIMULATION:
        raise InvalidInput(f"a simulation has at most {MAX_LINKS_PER_SIMULATION} links; revoke some first")
    return Link.objects.create(simulation_id=simulation_id, token=new_token(), role=role, label=label)


def link_list(*, simulation_id: int) -> list[Link]:
    """The simulation's links, oldest first."""
    return list(Link.objects.filter(simulation_id=simulation_id).order_by("id"))


def link_revoke(*, simulation_id: int, token: str) -> Link:
    """Revoke a link: every grant made through it ends, and the sockets opened through it close
    (their consumers check their role again). Returns what was revoked."""
    link = Link.objects.filter(simulation_id=simulation_id, token=token).first()
    if link is None:
        raise NotFound(f'link "{token}" not found')
    link.delete()
    transaction.on_commit(forget_roles)  # (at commit: until then a read still finds the link)
    transaction.on_commit(lambda: live.publish(simulation_id, [protocol.layer_revoked(simulation_id=simulation_id)]))
    return link


def link_open(session, token: str, simulation_id: int | None = None) -> Link | None:
    """Opening a link's URL: grant its role to the browser's session. A link opens only on its
    own simulation's page (the operator's anywhere); None when the token names no such link."""
    link = Link.objects.filter(token=token).first() if token else None
    if link is None or (link.role != Link.OPERATOR and link.simulation_id != simulation_id):
        return None
    remember_link(session, link)
    return link


def operator_link() -> Link:
    """The operator's token: the one ``OPERATOR_TOKEN`` fixes, else one made once and kept."""
    link = configured_operator_link() or Link.objects.filter(role=Link.OPERATOR, label="operator").order_by("id").first()
    if link is None:
        link = Link.objects.create(token=new_token(), role=Link.OPERATOR, label="operator")
    return link
