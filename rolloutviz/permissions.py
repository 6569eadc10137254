"""Who may do what with a simulation: the one place roles are decided, for HTTP and WebSocket.

Roles grow: view ⊂ edit ⊂ owner ⊂ operator.

* **view** reads everything (state, stream, kubectl views, history, timeline, export) and
  changes nothing;
* **edit** also runs every command and apply, but cannot delete the simulation or manage its
  links;
* **owner** is whoever created it (a browser session, or the account it was adopted by);
* **operator** is the owner of every simulation: a superuser, or a session that opened the
  operator link `make run` prints (as Jupyter's token link). The demos `load_demos` preloads
  belong to the operator and are ``public``: everyone may view and copy them.

Who is asking (a `Principal`) is a browser session with the links it opened, or a bearer token
(``Authorization: Bearer``, a WebSocket's ``?token=``), which stands alone. A session is told
apart by an id kept *inside* its data (`owner_id`), not by its key: Django rotates the key on
login, and a session's simulations must stay its own until the account adopts them.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from enum import IntEnum

from django.conf import settings
from django.db.models import Q, QuerySet

from rolloutviz.models import Comparison, Link, Simulation

SESSION_OWNER = "rolloutviz.owner"  # the session's owner id (see the module docstring)
SESSION_LINKS = "rolloutviz.links"  # tokens of the links this session opened
SESSION_OPERATOR = "rolloutviz.operator"  # the operator token this session opened
MAX_SESSION_LINKS = 100  # a session that opens more forgets its oldest
REMEMBER_SECONDS = 2.0  # how long a process may answer a read with a role it found (`remembered_role`)
REMEMBERED_MAX = 10_000  # roles remembered at most per process (then all are forgotten at once)


class Role(IntEnum):
    """What a principal may do with one simulation; a higher role includes the lower ones."""

    VIEW = 1
    EDIT = 2
    OWNER = 3
    OPERATOR = 4

    @classmethod
    def of_link(cls, role: str) -> "Role":
        return {Link.VIEW: cls.VIEW, Link.EDIT: cls.EDIT, Link.OPERATOR: cls.OPERATOR}[role]

    @property
    def title(self) -> str:
        """How the page names it ("watching", "editing", ...)."""
        return {Role.VIEW: "watching", Role.EDIT: "editing", Role.OWNER: "owner",
                Role.OPERATOR: "operator"}[self]


class Unauthorized(Exception):
    """A bearer token that names no link (never issued, or revoked): 401."""


@dataclass(frozen=True)
class Principal:
    """Who is asking. With ``bearer`` set, the token alone decides; the session is ignored."""

    owner_id: str = ""
    user_id: int | None = None
    superuser: bool = False
    link_tokens: tuple[str, ...] = ()
    operator_token: str = ""
    bearer: Link | None = None

    @property
    def operator(self) -> bool:
        """Whether this principal moderates every simulation."""
        if self.bearer is not None:
            return self.bearer.role == Link.OPERATOR
        if self.superuser:
            return True
        return bool(self.operator_token) and Link.objects.filter(
            token=self.operator_token, role=Link.OPERATOR).exists()


def new_token() -> str:
    """A fresh unguessable token (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def owner_id(session) -> str:
    """The id this session owns simulations by, made on first use (the session is then saved)."""
    value = session.get(SESSION_OWNER)
    if not value:
        value = session[SESSION_OWNER] = new_token()
    return value


def bearer_link(token: str) -> Link:
    """The link a bearer token names; `Unauthorized` when there is none (bad or revoked)."""
    link = Link.objects.filter(token=token).first() if token else None
    if link is None and token and secrets.compare_digest(token, configured_operator_token() or "\0"):
        link = configured_operator_link()
    if link is None:
        raise Unauthorized("the token is not valid (unknown or revoked)")
    return link


def configured_operator_token() -> str:
    """The operator token the environment fixes (setting ``OPERATOR_TOKEN``), if any."""
    return getattr(settings, "OPERATOR_TOKEN", "")


def configured_operator_link() -> Link | None:
    """The operator link of ``OPERATOR_TOKEN``, made on first use; None when the setting is empty."""
    token = configured_operator_token()
    if not token:
        return None
    return Link.objects.get_or_create(token=token, defaults={"role": Link.OPERATOR, "label": "operator"})[0]


def principal(*, session=None, user=None, bearer: str | None = None) -> Principal:
    """The principal of a request or a socket: its session and user, or its bearer token."""
    if bearer is not None:
        return Principal(bearer=bearer_link(bearer))
    authenticated = user is not None and user.is_authenticated
    session = session if session is not None else {}
    return Principal(
        owner_id=session.get(SESSION_OWNER, ""),
        user_id=user.pk if authenticated else None,
        superuser=bool(authenticated and user.is_superuser),
        link_tokens=tuple(session.get(SESSION_LINKS, ())),
        operator_token=session.get(SESSION_OPERATOR, ""),
    )


def role_in(who: Principal, sim: Simulation) -> Role | None:
    """The principal's role in ``sim``, or None (then the simulation does not exist for them)."""
    if who.bearer is not None:
        if who.bearer.role == Link.OPERATOR:
            return Role.OPERATOR
        return Role.of_link(who.bearer.role) if who.bearer.simulation_id == sim.pk else None
    if who.operator:
        return Role.OPERATOR
    if (who.user_id is not None and sim.owner_user_id == who.user_id) or (
            who.owner_id and sim.owner_session == who.owner_id):
        return Role.OWNER
    roles = [Role.of_link(role) for role in Link.objects.filter(
        simulation_id=sim.pk, token__in=who.link_tokens).values_list("role", flat=True)] if who.link_tokens else []
    if sim.public:
        roles.append(Role.VIEW)
    return max(roles, default=None)


KUBERNETES_READ_VERBS = frozenset({"get", "list", "watch"})


def kubernetes_role_needed(verb: str) -> Role:
    """The role a Kubernetes API request of ``verb`` takes: reading (get, list, watch) takes view,
    every write edit (a dry run too, as RBAC authorizes it by its verb)."""
    return Role.VIEW if verb in KUBERNETES_READ_VERBS else Role.EDIT


def kubeconfig_link_role(role: Role) -> str:
    """The role of the link a kubeconfig downloaded with ``role`` carries: view for a viewer, edit
    for everyone who may change the simulation (an owner's or the operator's kubeconfig included:
    the Kubernetes API offers nothing beyond edit, and a kubeconfig must never carry the operator's
    own token, which reaches every simulation)."""
    return Link.EDIT if role >= Role.EDIT else Link.VIEW


def embed_link(token: str) -> Link | None:
    """The link an embedded player (`/embed/<token>/`) reads with: a view link only, since its token
    sits in the address of a page anyone may read (a course page's source); None otherwise."""
    return Link.objects.filter(token=token, role=Link.VIEW).select_related("simulation").first() if token else None


def role_by_id(who: Principal, simulation_id: int) -> tuple[Simulation | None, Role | None]:
    """The simulation with that id and the principal's role in it; (row or None, None) without a role."""
    sim = Simulation.objects.filter(pk=simulation_id).first()
    return sim, (role_in(who, sim) if sim is not None else None)


def visible(who: Principal) -> QuerySet[Simulation]:
    """Every simulation the principal has a role in."""
    if who.bearer is not None:
        if who.bearer.role == Link.OPERATOR:
            return Simulation.objects.all()
        return Simulation.objects.filter(pk=who.bearer.simulation_id)
    if who.operator:
        return Simulation.objects.all()
    mine = Q(public=True)
    if who.user_id is not None:
        mine |= Q(owner_user_id=who.user_id)
    if who.owner_id:
        mine |= Q(owner_session=who.owner_id)
    if who.link_tokens:
        mine |= Q(pk__in=Link.objects.filter(token__in=who.link_tokens).values("simulation_id"))
    return Simulation.objects.filter(mine)


def owned_by(who: Principal) -> dict:
    """The owner fields a simulation created by ``who`` gets (the operator's: none, i.e. the operator's own)."""
    if who.bearer is not None:
        return {}
    return {"owner_session": who.owner_id, "owner_user_id": who.user_id}


def remember_link(session, link: Link) -> None:
    """Grant a link's role to a session (opening its URL)."""
    if link.role == Link.OPERATOR:
        session[SESSION_OPERATOR] = link.token
        return
    tokens = [t for t in session.get(SESSION_LINKS, []) if t != link.token]
    session[SESSION_LINKS] = (tokens + [link.token])[-MAX_SESSION_LINKS:]


def adopt(session, user) -> int:
    """At login, the session's simulations become the account's; returns how many."""
    session_owner = session.get(SESSION_OWNER)
    if not session_owner or user is None or not user.is_authenticated:
        return 0
    return Simulation.objects.filter(owner_session=session_owner, owner_user__isnull=True).update(owner_user=user)


def comparison_role(who: Principal, comparison) -> Role | None:
    """The principal's role in a comparison: its owner's (or the operator's), else the least of its
    roles in the member simulations (a link to every member gives that link's role; None without)."""
    if who.bearer is None and not who.operator and (
            (who.user_id is not None and comparison.owner_user_id == who.user_id)
            or (who.owner_id and comparison.owner_session == who.owner_id)):
        return Role.OWNER
    if who.operator:
        return Role.OPERATOR
    members = Simulation.objects.filter(comparison_member__comparison=comparison)
    roles = [role_in(who, sim) for sim in members]
    return min(roles) if roles and None not in roles else None


def comparison_role_by_id(who: Principal, comparison_id: int):
    """The comparison with that id and the principal's role in it; (row or None, None) without a role."""
    comparison = Comparison.objects.filter(pk=comparison_id).first()
    return comparison, (comparison_role(who, comparison) if comparison is not None else None)


def visible_comparisons(who: Principal) -> QuerySet[Comparison]:
    """The comparisons the principal may have a role in (its own, or with a member it sees);
    `comparison_role` decides each."""
    if who.operator:
        return Comparison.objects.all()
    mine = Q(members__simulation__in=visible(who))
    if who.bearer is None and who.user_id is not None:
        mine |= Q(owner_user_id=who.user_id)
    if who.bearer is None and who.owner_id:
        mine |= Q(owner_session=who.owner_id)
    return Comparison.objects.filter(mine).distinct()


# ---------------------------------------------------------------- roles remembered for polled reads

_remembered: dict[tuple, tuple[float, Role]] = {}
_remembered_lock = threading.Lock()


def identity(*, session_key: str | None, bearer: str | None) -> tuple:
    """Who asks, as a key that needs no query: the bearer token, else the session's key (its cookie)."""
    return ("bearer", bearer) if bearer is not None else ("session", session_key)


def remembered_role(who: tuple, simulation_id: int) -> Role | None:
    """The role `remember_role` noted for ``who`` in ``simulation_id`` within `REMEMBER_SECONDS`, else None.

    Only reads use it (a class polling ``kubectl get deploy`` asks again and again), never a change.
    Only roles found are remembered, so a grant takes effect at once; a revocation in this process
    forgets them all (`forget_roles`), in another one it takes effect within `REMEMBER_SECONDS`."""
    with _remembered_lock:
        noted = _remembered.get((who, simulation_id))
    return noted[1] if noted is not None and time.monotonic() < noted[0] else None


def remember_role(who: tuple, simulation_id: int, role: Role) -> None:
    """Note ``who``'s role in ``simulation_id`` for `remembered_role`."""
    with _remembered_lock:
        if len(_remembered) >= REMEMBERED_MAX:
            _remembered.clear()
        _remembered[(who, simulation_id)] = (time.monotonic() + REMEMBER_SECONDS, role)


def forget_roles() -> None:
    """Forget every remembered role (a link was revoked: some may be gone)."""
    with _remembered_lock:
        _remembered.clear()
