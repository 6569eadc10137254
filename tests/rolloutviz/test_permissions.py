"""Roles: who may do what with a simulation (rolloutviz/permissions.py)."""
import pytest
from django.contrib.auth import get_user_model

from rolloutviz import permissions
from rolloutviz.models import Link, Simulation
from rolloutviz.permissions import Role, Unauthorized
from rolloutviz.services import links

pytestmark = pytest.mark.django_db

OWNER_ID = "owner-session-id"


@pytest.fixture
def world():
    """A presenter's simulation (owned by a session), a public demo, another session's sim, and links."""
    sim = Simulation.objects.create(name="class demo", owner_session=OWNER_ID)
    demo = Simulation.objects.create(name="demo", public=True)
    other = Simulation.objects.create(name="someone else's", owner_session="another-session")
    view = links.link_create(simulation_id=sim.id, role="view")
    edit = links.link_create(simulation_id=sim.id, role="edit", label="kubeconfig")
    operator = links.operator_link()
    users = get_user_model().objects
    return {
        "sim": sim, "demo": demo, "other": other, "view": view, "edit": edit, "operator": operator,
        "user": users.create_user("teacher", password="x"),
        "admin": users.create_superuser("admin", password="x"),
    }


def _session_principal(world, *, owner="", tokens=(), operator="", user=None):
    session = {permissions.SESSION_OWNER: owner, permissions.SESSION_LINKS: [world[t].token for t in tokens],
               permissions.SESSION_OPERATOR: world[operator].token if operator else ""}
    return permissions.principal(session=session, user=world[user] if user else None)


@pytest.mark.parametrize(
    "who, sim, role",
    [
        ("stranger", "sim", None),
        ("stranger", "demo", Role.VIEW),
        ("viewer", "sim", Role.VIEW),
        ("viewer", "other", None),
        ("editor", "sim", Role.EDIT),
        ("viewer-and-editor", "sim", Role.EDIT),
        ("owner", "sim", Role.OWNER),
        ("owner", "other", None),
        ("owner", "demo", Role.VIEW),
        ("account-owner", "sim", Role.OWNER),
        ("superuser", "other", Role.OPERATOR),
        ("operator-token", "other", Role.OPERATOR),
        ("plain-user", "sim", None),
    ],
)
def test_session_roles(world, who, sim, role):
    world["sim"].owner_user = world["user"]
    world["sim"].save()
    principal = {
        "stranger": lambda: _session_principal(world),
        "viewer": lambda: _session_principal(world, tokens=["view"]),
        "editor": lambda: _session_principal(world, tokens=["edit"]),
        "viewer-and-editor": lambda: _session_principal(world, tokens=["view", "edit"]),
        "owner": lambda: _session_principal(world, owner=OWNER_ID),
        "account-owner": lambda: _session_principal(world, user="user"),
        "superuser": lambda: _session_principal(world, user="admin"),
        "operator-token": lambda: _session_principal(world, operator="operator"),
        "plain-user": lambda: permissions.principal(
            session={}, user=get_user_model().objects.create_user("student", password="x")),
    }[who]()
    assert permissions.role_in(principal, world[sim]) == role
    assert (world[sim] in permissions.visible(principal)) == (role is not None)


@pytest.mark.parametrize(
    "token, sim, role",
    [("view", "sim", Role.VIEW), ("edit", "sim", Role.EDIT), ("edit", "other", None),
     ("edit", "demo", None), ("operator", "other", Role.OPERATOR)],
)
def test_a_bearer_token_alone_decides(world, token, sim, role):
    principal = permissions.principal(session={permissions.SESSION_OWNER: "another-session"},
                                      bearer=world[token].token)
    assert permissions.role_in(principal, world[sim]) == role
    assert list(permissions.visible(principal).filter(pk=world[sim].pk)) == ([world[sim]] if role else [])


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_an_unknown_bearer_token_is_unauthorized(world, token):
    with pytest.raises(Unauthorized):
        permissions.principal(bearer=token)


def test_revoking_a_link_ends_its_grants(world):
    viewer = _session_principal(world, tokens=["view"])
    assert permissions.role_in(viewer, world["sim"]) == Role.VIEW
    links.link_revoke(simulation_id=world["sim"].id, token=world["view"].token)
    assert permissions.role_in(viewer, world["sim"]) is None
    with pytest.raises(Unauthorized):
        permissions.principal(bearer=world["view"].token)


def test_an_empty_owner_id_owns_nothing(world):
    """The operator's simulations have no owner session: an empty id must not match them."""
    unowned = Simulation.objects.create(name="operator's")
    assert permissions.role_in(_session_principal(world, owner=""), unowned) is None


def test_the_owner_id_lives_in_the_session_data_and_survives_key_rotation(world, client):
    session = client.session
    first = permissions.owner_id(session)
    assert first and permissions.owner_id(session) == first
    session.cycle_key()  # what login() does
    assert permissions.owner_id(session) == first


def test_login_adopts_the_session_simulations(world):
    session = {permissions.SESSION_OWNER: OWNER_ID}
    assert permissions.adopt(session, world["user"]) == 1
    world["sim"].refresh_from_db()
    assert world["sim"].owner_user == world["user"]
    # the account now owns it from any device
    assert permissions.role_in(permissions.principal(session={}, user=world["user"]), world["sim"]) == Role.OWNER


def test_remember_link_keeps_a_bounded_list(world):
    session = {}
    for _ in range(permissions.MAX_SESSION_LINKS + 5):
        permissions.remember_link(session, Link(token=permissions.new_token(), role="view"))
    assert len(session[permissions.SESSION_LINKS]) == permissions.MAX_SESSION_LINKS
    permissions.remember_link(session, world["operator"])
    assert session[permissions.SESSION_OPERATOR] == world["operator"].token


@pytest.mark.parametrize(
    "role, label, field",
    [("owner", "", "role"), ("operator", "", "role"), (None, "", "role"), ("view", "x" * 101, "label"),
     ("view", 5, "label")],
)
def test_link_create_refuses_bad_input(world, role, label, field):
    from rolloutviz.services.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        links.link_create(simulation_id=world["sim"].id, role=role, label=label)
    assert refused.value.errors[0]["field"] == field


def test_the_operator_link_is_made_once(world):
    assert links.operator_link().token == world["operator"].token
    assert links.link_path(world["operator"]) == f"/?token={world['operator'].token}"
    assert links.link_path(world["view"]) == f"/simulations/{world['sim'].id}/?token={world['view'].token}"


# ---------------------------------------------------------------- roles remembered for polled reads

SESSION, TOKEN = permissions.identity(session_key="k", bearer=None), permissions.identity(session_key="k", bearer="t")


def remembered_after(change) -> Role | None:
    permissions.forget_roles()
    permissions.remember_role(SESSION, 7, Role.EDIT)
    change()
    return permissions.remembered_role(SESSION, 7)


# (name, what happens after the role was noted, the role remembered then)
REMEMBERED = {
    "nothing": (lambda: None, Role.EDIT),
    "a-link-revoked": (permissions.forget_roles, None),
    "another-simulation": (lambda: permissions.remember_role(SESSION, 8, Role.VIEW), Role.EDIT),
}


@pytest.mark.parametrize("change, role", REMEMBERED.values(), ids=REMEMBERED.keys())
def test_a_role_is_remembered_until_a_revocation(change, role):
    assert remembered_after(change) == role


def test_a_remembered_role_lasts_remember_seconds_and_is_the_asker_s_own(monkeypatch):
    permissions.forget_roles()
    permissions.remember_role(SESSION, 7, Role.EDIT)
    assert permissions.remembered_role(TOKEN, 7) is None  # (a token is not the session it came with)
    monkeypatch.setattr(permissions, "REMEMBER_SECONDS", -1.0)
    permissions.remember_role(SESSION, 7, Role.EDIT)
    assert permissions.remembered_role(SESSION, 7) is None


def test_revoking_a_link_forgets_the_remembered_roles_when_it_is_committed(world, django_capture_on_commit_callbacks):
    permissions.remember_role(SESSION, world["sim"].id, Role.VIEW)
    with django_capture_on_commit_callbacks(execute=True):
        links.link_revoke(simulation_id=world["sim"].id, token=world["view"].token)
        assert permissions.remembered_role(SESSION, world["sim"].id) == Role.VIEW  # (a read still finds the link)
    assert permissions.remembered_role(SESSION, world["sim"].id) is None
