"""Comparisons: make one (two to four copies of a scenario, each with its variant applied at the same
instant), read it with each member's rollout figures, list, share and delete them.

A variant is a Deployment manifest checked as an apply is: its errors carry Kubernetes' field
paths and lines and name the variant (``variants[1].yaml``); any error leaves nothing created. Members start from one base at one instant: copies of a
simulation (`copies.simulation_copy`: same seed, same state, same history) or new simulations of
one demo with one seed.
"""
from __future__ import annotations

import threading
from urllib.parse import urlencode

from django.db import transaction

from rolloutviz import demos, permissions, protocol, rollout_figures, runner
from rolloutviz.models import Comparison, ComparisonCommand, ComparisonMember, Link, Simulation
from rolloutviz.permissions import Principal, Role
from rolloutviz.services import commands, copies, links, manifests, simulations
from rolloutviz.services.comparison_members import member_ids
from rolloutviz.services.errors import InvalidInput, NotFound, ServiceError
from simulator.errors import ValidationError

MIN_VARIANTS, MAX_VARIANTS = 2, 4
MAX_LABEL_LENGTH = 100
RECENT_COMMANDS = 20  # the group commands a comparison's answer lists, newest last


class InvalidVariants(InvalidInput):
    """Variants refused, each error naming its variant (``variants[i].yaml``) and its line there."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message"], field=errors[0]["field"], line=errors[0]["line"])
        self.errors = errors


def _variant_errors(index: int, errors: list[dict]) -> list[dict]:
    """The errors of variant ``index``'s YAML: the variant as the field, Kubernetes' path in the message."""
    where = f"variants[{index}].yaml"
    return [{"field": where, "line": e.get("line"),
             "message": f"{e['field']}: {e['message']}" if e.get("field") else e["message"]} for e in errors]


def _refusal_errors(refusal: Exception) -> list[dict]:
    if isinstance(refusal, ValidationError):
        return [e.as_dict() for e in refusal.errors] or [{"field": "", "message": str(refusal), "line": None}]
    return refusal.errors


def _checked_variant(index: int, variant) -> tuple[str, str, str]:
    """(label, yaml, Deployment name) of one variant, or `InvalidVariants` naming it."""
    where = f"variants[{index}]"
    if not isinstance(variant, dict):
        raise InvalidVariants([{"field": where, "message": "must be an object with \"yaml\"", "line": None}])
    unknown = sorted(set(variant) - {"label", "yaml"})
    if unknown:
        raise InvalidVariants([{"field": f"{where}.{unknown[0]}", "message": "unknown field", "line": None}])
    label = variant.get("label", "") or ""
    if not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH or "\0" in label:
        raise InvalidVariants([{"field": f"{where}.label", "line": None,
                                "message": f"must be a string of at most {MAX_LABEL_LENGTH} characters"}])
    text = variant.get("yaml")
    try:
        loaded = manifests.manifest_load(yaml_text=text)
    except (ServiceError, ValidationError) as refusal:
        raise InvalidVariants(_variant_errors(index, _refusal_errors(refusal))) from None
    deployments = [m for m in loaded if m.obj.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise InvalidVariants([{"field": f"{where}.yaml", "line": None,
                                "message": f"must hold exactly one Deployment (it holds {len(deployments)})"}])
    name = (deployments[0].obj.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise InvalidVariants([{"field": f"{where}.yaml", "line": deployments[0].lines.get(""),
                                "message": "metadata.name: Required value"}])
    return label or f"variant {index + 1}", text, name


def comparison_create(*, who: Principal, variants, base: int | None = None, demo: str | None = None,
                      name: str = "", owner_session: str = "", owner_user_id: int | None = None) -> Comparison:
    """A paused comparison of 2–4 variants of ``base`` (a simulation the caller may view) or of ``demo``.

    Each member is a copy of the base at its current time (or the demo's first state), with its
    variant applied at that instant. On any error what was made is deleted again before the
    error is raised: nothing is left (one transaction would hold the database's write lock while
    every member's apply computes)."""
    if (base is None) == (demo is None):
        raise InvalidInput("base: give either base (a simulation id) or demo", field="base")
    if not isinstance(variants, list) or not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise InvalidInput(f"variants: must be a list of {MIN_VARIANTS} to {MAX_VARIANTS} variants", field="variants")
    if not isinstance(name, str) or len(name) > simulations.MAX_NAME_LENGTH or "\0" in name:
        raise InvalidInput(f"name: must be a string of at most {simulations.MAX_NAME_LENGTH} characters",
                           field="name")
    if demo is not None and (not isinstance(demo, str) or demos.get_demo(demo) is None):
        keys = ", ".join(d.key for d in demos.all_demos())
        raise InvalidInput(f"demo: Unsupported value: {demo!r}: supported values: {keys}", field="demo")
    checked = [_checked_variant(i, v) for i, v in enumerate(variants)]
    source = None
    if base is not None:
        if isinstance(base, bool) or not isinstance(base, int):
            raise InvalidInput("base: must be a simulation id", field="base")
        source, role = permissions.role_by_id(who, base)
        if role is None:
            raise NotFound(f"simulation {base} not found")
    owner = {"owner_session": owner_session, "owner_user_id": owner_user_id}
    title = name or (source.name if source is not None else "") or demo or "comparison"
    comparison = Comparison.objects.create(name=title, tick=source.tick if source else 1.0, **owner)
    made: list[int] = []
    try:
        for index, (label, _, _) in enumerate(checked):
            if source is not None:
                # the first copy is paused: the others copy it, so all are at one instant even when
                # the base's clock runs on meanwhile
                member = copies.simulation_copy(simulation_id=made[0] if made else source.pk, **owner)
            else:
                member = simulations.simulation_create(demo=demo, **owner)
            made.append(member.pk)
            Simulation.objects.filter(pk=member.pk).update(name=f"{title} · {label}"[:simulations.MAX_NAME_LENGTH])
        for index, ((label, text, deployment), simulation_id) in enumerate(zip(checked, made)):
            try:
                # outside any transaction: the apply runs where the member lives, holding no database lock
                commands.manifest_apply(simulation_id=simulation_id, yaml_text=text)
            except (ServiceError, ValidationError) as refusal:
                raise InvalidVariants(_variant_errors(index, _refusal_errors(refusal))) from None
            ComparisonMember.objects.create(comparison=comparison, simulation_id=simulation_id, position=index,
                                            label=label, yaml=text, deployment=deployment)
    except BaseException:
        _discard(comparison.pk, made)
        raise
    return comparison


def _discard(comparison_id: int, simulation_ids: list[int]) -> None:
    """Undo a creation that failed half-way: the comparison and the members made so far."""
    Comparison.objects.filter(pk=comparison_id).delete()
    for simulation_id in simulation_ids:
        try:
            simulations.simulation_delete(simulation_id=simulation_id)
        except NotFound:
            pass


def comparison_get(*, comparison_id: int) -> Comparison:
    """The comparison row, or `NotFound`."""
    comparison = Comparison.objects.filter(pk=comparison_id).first()
    if comparison is None:
        raise NotFound(f"comparison {comparison_id} not found")
    return comparison


def comparison_list(who: Principal) -> list[dict]:
    """The comparisons ``who`` has a role in: ``{"id", "name", "running", "members", "role"}`` each."""
    listed = []
    for comparison in permissions.visible_comparisons(who).order_by("id"):
        role = permissions.comparison_role(who, comparison)
        if role is not None:
            listed.append({"id": comparison.pk, "name": comparison.name, "running": comparison.running,
                           "members": member_ids(comparison.pk), "role": role.name.lower()})
    return listed


def comparison_delete(*, comparison_id: int) -> None:
    """Delete the comparison and its member simulations (their viewers are told they are gone)."""
    ids = member_ids(comparison_id)
    deleted, _ = Comparison.objects.filter(pk=comparison_id).delete()
    if not deleted:
        raise NotFound(f"comparison {comparison_id} not found")
    for simulation_id in ids:
        try:
            simulations.simulation_delete(simulation_id=simulation_id)
        except NotFound:
            pass  # deleted meanwhile


# ---------------------------------------------------------------- reading, with the figures


_figures: dict[int, tuple[int, dict]] = {}  # simulation id -> (seq, figures): computed once per seq
_figures_guard = threading.Lock()
MAX_FIGURES = 256  # members whose figures a process keeps


def member_figures(*, simulation_id: int, deployment: str) -> dict:
    """``{"t", "seq", "summary"}`` of one member: its time and its rollout's figures (`rollout_figures`),
    computed where the member lives (`runner`: its state is decoded there, not in a request's thread)."""
    return runner.run(simulation_id, _figures_of, simulation_id=simulation_id, deployment=deployment)


def _figures_of(*, simulation_id: int, deployment: str) -> dict:
    seq = Simulation.objects.filter(pk=simulation_id).values_list("seq", flat=True).first()
    with _figures_guard:
        cached = _figures.get(simulation_id)
    if cached is not None and cached[0] == seq:
        return cached[1]
    state = simulations.simulation_state(simulation_id=simulation_id)
    viewer = protocol.Viewer()  # the state read as a page reads it
    viewer.load(state)
    found = viewer.mirror.objects["Deployment"].get(deployment)
    figures = {"t": state["t"], "seq": state["seq"],
               "summary": rollout_figures.summary(viewer.timeline, deployment, found, state["t"])}
    with _figures_guard:
        if len(_figures) >= MAX_FIGURES:
            _figures.clear()
        _figures[simulation_id] = (state["seq"], figures)
    return figures


def comparison_detail(*, comparison_id: int, role: Role | None = None) -> dict:
    """The comparison as the API answers it: its clock, each member with its figures, the recent commands."""
    comparison = comparison_get(comparison_id=comparison_id)
    members = []
    for member in ComparisonMember.objects.filter(comparison=comparison).order_by("position"):
        members.append({"simulation": member.simulation_id, "position": member.position, "label": member.label,
                        "deployment": member.deployment, "yaml": member.yaml,
                        **member_figures(simulation_id=member.simulation_id, deployment=member.deployment)})
    recent = ComparisonCommand.objects.filter(comparison=comparison).order_by("-id")[:RECENT_COMMANDS]
    return {
        "id": comparison.pk, "name": comparison.name, "running": comparison.running, "speed": comparison.speed,
        "tick": comparison.tick, "t": max((m["t"] for m in members), default=0.0), "members": members,
        "commands": [{"id": c.pk, "name": c.name, "args": c.args, "done": c.done, "t": c.sim_time,
                      "results": c.results} for c in reversed(recent)],
        "role": role.name.lower() if role else None,
    }


# ---------------------------------------------------------------- sharing


def comparison_links_create(*, comparison_id: int, role) -> list[str]:
    """A new ``role`` link to every member (labelled with the comparison): their tokens, in member order.

    Opening the comparison's page with all of them (`comparison_link_path`) gives that role in it."""
    comparison_get(comparison_id=comparison_id)
    with transaction.atomic():  # all or none (a member may be at its cap of links)
        return [links.link_create(simulation_id=sid, role=role, label=f"comparison {comparison_id}").token
                for sid in member_ids(comparison_id)]


def comparison_link_path(comparison_id: int, tokens: list[str]) -> str:
    """The comparison page's address that opens ``tokens`` (one per member)."""
    return f"/compare/{comparison_id}/?" + urlencode([("token", token) for token in tokens])


def comparison_links_open(session, comparison_id: int, tokens: list[str]) -> bool:
    """Opening a comparison's link: grant each token's role on its member; False (nothing granted)
    when a token names no link to one of this comparison's members."""
    members = set(member_ids(comparison_id))
    found = list(Link.objects.filter(token__in=tokens, simulation_id__in=members))
    if not tokens or len(found) != len(set(tokens)):
        return False
    for link in found:
        links.link_open(session, link.token, link.simulation_id)
    return True
