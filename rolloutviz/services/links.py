"""Share links: tokens that grant ``view`` or ``edit`` in one simulation, and the operator's token.

A link's URL opens the simulation's page and grants its role to the browser's session; its
token also works as a bearer token (API, kubeconfig) and as a WebSocket's ``?token=``.
"""
from __future__ import annotations

from rolloutviz.models import Link
from rolloutviz.permissions import new_token
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
    if not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(f"label: must be a string of at most {MAX_LABEL_LENGTH} characters", field="label")
    if Link.objects.filter(simulation_id=simulation_id).count() >= MAX_LINKS_PER_SIMULATION:
        raise InvalidInput(f"a simulation has at most {MAX_LINKS_PER_SIMULATION} links; revoke some first")
    return Link.objects.create(simulation_id=simulation_id, token=new_token(), role=role, label=label)


def link_list(*, simulation_id: int) -> list[Link]:
    """The simulation's links, oldest first."""
    return list(Link.objects.filter(simulation_id=simulation_id).order_by("id"))


def link_revoke(*, simulation_id: int, token: str) -> Link:
    """Revoke a link: every grant made through it ends (returns what was revoked)."""
    link = Link.objects.filter(simulation_id=simulation_id, token=token).first()
    if link is None:
        raise NotFound(f'link "{token}" not found')
    link.delete()
    return link


def operator_link() -> Link:
    """The operator's token (made once, then the same one every time)."""
    link = Link.objects.filter(role=Link.OPERATOR, label="operator").order_by("id").first()
    if link is None:
        link = Link.objects.create(token=new_token(), role=Link.OPERATOR, label="operator")
    return link
