"""Which simulations belong to a comparison: its members in order, their times, what a member's
page says of its comparison, and the refusal of a member's own clock (its comparison's clock
drives it, in lockstep with the others)."""
from __future__ import annotations

from rolloutviz.models import ComparisonMember, Simulation
from rolloutviz.services.errors import Refused


def member_ids(comparison_id: int) -> list[int]:
    """The member simulations' ids, in position order."""
    return list(ComparisonMember.objects.filter(comparison_id=comparison_id)
                .order_by("position").values_list("simulation_id", flat=True))


def member_times(comparison_id: int) -> dict[int, float]:
    """Member simulation id -> its simulated time."""
    return dict(Simulation.objects.filter(comparison_member__comparison_id=comparison_id)
                .values_list("id", "sim_time"))


def membership(simulation_id: int) -> dict | None:
    """``{"comparison": id, "label": variant label}`` when the simulation is a comparison's member."""
    found = ComparisonMember.objects.filter(simulation_id=simulation_id).values_list("comparison_id", "label").first()
    return None if found is None else {"comparison": found[0], "label": found[1]}


def refuse_member_clock(simulation_id: int) -> None:
    """Refuse a member's own clock, step or reset: its comparison's clock drives it."""
    member = ComparisonMember.objects.filter(simulation_id=simulation_id).first()
    if member is not None:
        raise Refused(f"simulation {simulation_id} is part of comparison {member.comparison_id}: "
                      f"its clock is the comparison's (/compare/{member.comparison_id}/)")
