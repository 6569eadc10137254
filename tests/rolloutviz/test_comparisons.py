"""Comparisons against a real database: creation (and nothing created on a bad variant), lockstep,
group commands at one instant, the members' own clocks refused, and each member's rollout figures."""
import asyncio

import pytest
from channels.db import database_sync_to_async

from rolloutviz.clock import comparison_lease
from rolloutviz.clock.comparison_registry import ComparisonDriver, ComparisonRegistry
from rolloutviz.demos import zero_downtime
from rolloutviz.demos.nginx_docs import NAME, manifest
from rolloutviz.models import CommandRecord, Comparison, ComparisonCommand, Simulation, TickRecord
from rolloutviz.permissions import Principal
from rolloutviz.services import comparison_clock, comparisons, copies, live, simulations
from rolloutviz.services.comparison_members import member_ids, member_times
from rolloutviz.limits import Limited
from rolloutviz.services.errors import InvalidInput, NotFound, Refused

pytestmark = pytest.mark.django_db(transaction=True)

OPERATOR = Principal(superuser=True)
RECREATE = "  strategy:\n    type: Recreate\n"
SET_IMAGE = {"deployment": NAME, "container": "nginx", "image": "nginx:1.16.1"}


def _variants(*specs):
    return [{"label": label, "yaml": text} for label, text in specs]


def _two():
    return _variants(("maxSurge 1", manifest(surge=1, unavailable=0)), ("Recreate", manifest(extra_spec=RECREATE)))


def _strategy(simulation_id):
    found = live.cluster_for_read(simulation_id=simulation_id).get("deployment", NAME)
    return found["spec"]["strategy"]


# ---------------------------------------------------------------- creation


def test_a_comparison_of_a_demo_has_one_paused_member_per_variant_with_its_variant_applied():
    comparison = comparisons.comparison_create(who=OPERATOR, demo="nginx-docs", variants=_two(), name="surge")
    ids = member_ids(comparison.pk)
    assert len(ids) == 2 and not comparison.running
    assert _strategy(ids[0])["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert _strategy(ids[1]) == {"type": "Recreate"}
    rows = Simulation.objects.filter(pk__in=ids).order_by("pk")
    assert [(r.seed, r.running, r.sim_time) for r in rows] == [(0, False, 0.0)] * 2
    assert [r.name for r in rows] == ["surge · maxSurge 1", "surge · Recreate"]


def test_members_of_a_simulation_are_copies_at_its_time_and_the_base_is_untouched():
    base = simulations.simulation_create(demo="nginx-docs", seed=42)
    simulations.clock_step(simulation_id=base.pk, count=20)
    base.refresh_from_db()
    comparison = comparisons.comparison_create(who=OPERATOR, base=base.pk, variants=_two())
    for sid in member_ids(comparison.pk):
        member = Simulation.objects.get(pk=sid)
        assert (member.seed, member.sim_time) == (42, 20.0)
        assert CommandRecord.objects.filter(simulation_id=sid, name="apply").last().sim_time == 20.0
    after = Simulation.objects.get(pk=base.pk)
    assert (after.seq, after.sim_time) == (base.seq, base.sim_time)


def test_a_base_the_caller_cannot_see_is_not_found_and_nothing_is_made():
    base = simulations.simulation_create(demo="nginx-docs", owner_session="someone")
    with pytest.raises(NotFound):
        comparisons.comparison_create(who=Principal(owner_id="stranger"), base=base.pk, variants=_two())
    assert not Comparison.objects.exists() and Simulation.objects.count() == 1


BAD_SELECTOR = manifest(surge=1, unavailable=0).replace("app: nginx", "app: web")  # immutable once applied
BOTH_ZERO = manifest(surge=0, unavailable=0)


@pytest.mark.parametrize(
    "variants, field, message, line",
    [
        ("not a list", "variants", "must be a list of 2 to 4 variants", None),
        (_two()[:1], "variants", "must be a list of 2 to 4 variants", None),
        (_two() * 3, "variants", "must be a list of 2 to 4 variants", None),
        ([_two()[0], "x"], "variants[1]", 'must be an object with "yaml"', None),
        ([_two()[0], {"yaml": "a: b", "colour": "red"}], "variants[1].colour", "unknown field", None),
        ([_two()[0], {"yaml": "kind: [\n"}], "variants[1].yaml", "error converting YAML to JSON", 2),
        ([_two()[0], {"yaml": 7}], "variants[1].yaml", "yaml: must be a string", None),
        ([{"label": "x" * 101, "yaml": BOTH_ZERO}, _two()[0]], "variants[0].label", "at most 100 characters", None),
        ([_two()[0], {"yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"}], "variants[1].yaml",
         "must hold exactly one Deployment (it holds 0)", None),
        ([_two()[0], {"yaml": BOTH_ZERO}], "variants[1].yaml",
         "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0", 13),
        ([_two()[0], {"yaml": BAD_SELECTOR}], "variants[1].yaml", "spec.selector: Invalid value", 14),
    ],
    ids=["not-a-list", "one", "six", "not-an-object", "unknown-key", "yaml-syntax", "yaml-not-text", "label-long",
         "no-deployment", "surge-and-unavailable-zero", "selector-immutable"],
)
def test_bad_variants_are_refused_with_their_field_path_and_line_and_nothing_is_made(variants, field, message, line):
    base = simulations.simulation_create(demo="nginx-docs")
    counts = (Simulation.objects.count(), CommandRecord.objects.count())
    with pytest.raises(InvalidInput) as caught:
        comparisons.comparison_create(who=OPERATOR, base=base.pk, variants=variants)
    first = caught.value.errors[0]
    assert first["field"] == field and message in first["message"] and first["line"] == line, first
    assert not Comparison.objects.exists()
    assert (Simulation.objects.count(), CommandRecord.objects.count()) == counts


@pytest.mark.parametrize(
    "kwargs, field",
    [({}, "base"), ({"base": 1, "demo": "nginx-docs"}, "base"), ({"base": "1"}, "base"),
     ({"demo": "nope"}, "demo"), ({"demo": "nginx-docs", "name": "x" * 201}, "name")],
    ids=["neither", "both", "base-not-an-id", "unknown-demo", "name-long"],
)
def test_a_bad_base_or_name_is_refused(kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        comparisons.comparison_create(who=OPERATOR, variants=_two(), **kwargs)
    assert caught.value.errors[0]["field"] == field
    assert not Comparison.objects.exists() and not Simulation.objects.exists()


# ---------------------------------------------------------------- one clock


@pytest.fixture
def comparison():
    return comparisons.comparison_create(who=OPERATOR, demo="nginx-docs", variants=_variants(
        ("maxSurge 1", manifest(surge=1, unavailable=0)), ("25 %", manifest(surge="25%", unavailable="25%")),
        ("maxUnavailable 1", manifest(surge=0, unavailable=1)), ("Recreate", manifest(extra_spec=RECREATE))))


@pytest.mark.parametrize("lagging", [0, 3], ids=["together", "one-member-behind"])
def test_after_n_steps_every_member_is_at_the_same_time(comparison, lagging):
    ids = member_ids(comparison.pk)
    if lagging:  # the others ahead, as after a member's failed batch
        for sid in ids[1:]:
            live.advance(simulation_id=sid, steps=lagging)
    comparison_clock.clock_step(comparison_id=comparison.pk, count=7)
    assert set(member_times(comparison.pk).values()) == {7.0 + lagging}


@pytest.mark.parametrize(
    "times, tick, steps, expected",
    [({1: 5.0, 2: 5.0}, 1.0, 3, {1: 3, 2: 3}), ({1: 5.0, 2: 3.0}, 1.0, 0, {1: 0, 2: 2}),
     ({1: 2.5, 2: 1.5}, 0.5, 1, {1: 1, 2: 3})],
    ids=["together", "catch-up-only", "half-second-ticks"],
)
def test_lockstep_steps_bring_every_member_to_one_target(times, tick, steps, expected):
    assert comparison_clock.lockstep_steps(times, tick, steps) == expected


def test_a_group_command_lands_at_the_same_instant_on_every_member(comparison):
    comparison_clock.clock_step(comparison_id=comparison.pk, count=12)
    answer = comparison_clock.group_command(comparison_id=comparison.pk, name="set-image", args=SET_IMAGE)
    assert answer["done"] and answer["t"] == 12.0
    assert [r["result"] for r in answer["results"]] == [f"deployment.apps/{NAME} image updated"] * 4
    records = CommandRecord.objects.filter(simulation_id__in=member_ids(comparison.pk), name="set_image")
    assert sorted(r.sim_time for r in records) == [12.0] * 4


def test_a_command_sent_while_another_holds_the_lease_waits_and_then_runs_on_every_member(comparison):
    assert comparison_lease.acquire(comparison.pk, "clock-host") is not None
    answer = comparison_clock.group_command(comparison_id=comparison.pk, name="scale",
                                            args={"deployment": NAME, "replicas": 5})
    assert answer == {"done": False, "id": answer["id"]}
    assert not CommandRecord.objects.filter(name="scale").exists()
    assert not comparison_lease.release_if_idle(comparison.pk, "clock-host")  # a command waits
    comparison_clock.step_members(comparison.pk, 1.0, 4)
    assert comparison_clock.drain(comparison.pk, "clock-host") == 1
    assert comparison_lease.release_if_idle(comparison.pk, "clock-host")
    ran = ComparisonCommand.objects.get(pk=answer["id"])
    assert ran.done and ran.sim_time == 4.0 and len(ran.results) == 4
    assert sorted(r.sim_time for r in CommandRecord.objects.filter(name="scale")) == [4.0] * 4


def test_a_refusal_on_one_member_is_reported_for_that_member(comparison):
    answer = comparison_clock.group_command(comparison_id=comparison.pk, name="undo", args={"deployment": NAME})
    assert answer["done"] and {r["status"] for r in answer["results"]} == {409}


@pytest.mark.parametrize(
    "name, args, error",
    [("clock", {}, NotFound), ("reset", {}, NotFound), ("scale", {"deployment": NAME}, InvalidInput),
     ("scale", {"deployment": NAME, "replicas": 2, "x": 1}, InvalidInput), ("apply", {"yaml": "a: ["}, Exception)],
    ids=["clock", "reset", "missing-argument", "unknown-argument", "bad-yaml"],
)
def test_a_bad_group_command_is_refused_before_anything_is_queued(comparison, name, args, error):
    with pytest.raises(error):
        comparison_clock.group_command(comparison_id=comparison.pk, name=name, args=args)
    assert not ComparisonCommand.objects.exists()


@pytest.mark.parametrize(
    "call",
    [lambda sid: simulations.clock_set(simulation_id=sid, running=True),
     lambda sid: simulations.clock_step(simulation_id=sid, count=1),
     lambda sid: simulations.simulation_reset(simulation_id=sid)],
    ids=["play", "step", "reset"],
)
def test_a_members_own_clock_is_refused(comparison, call):
    sid = member_ids(comparison.pk)[0]
    with pytest.raises(Refused, match=f"part of comparison {comparison.pk}"):
        call(sid)
    assert Simulation.objects.get(pk=sid).sim_time == 0.0


@pytest.mark.parametrize(
    "kwargs, field", [({"speed": 3}, "speed"), ({"speed": True}, "speed"), ({"running": "yes"}, "running")],
    ids=["speed-unsupported", "speed-bool", "running-not-bool"])
def test_bad_clock_settings_are_refused(comparison, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        comparison_clock.clock_set(comparison_id=comparison.pk, **kwargs)
    assert caught.value.errors[0]["field"] == field


def test_play_pause_and_speed_are_the_comparisons_and_stepping_a_driven_one_is_refused(comparison):
    assert comparison_clock.clock_set(comparison_id=comparison.pk, running=True, speed=5) == \
        {"running": True, "speed": 5.0}
    assert comparison_lease.acquire(comparison.pk, "clock-host", running=True) is not None
    with pytest.raises(Refused, match="running"):
        comparison_clock.clock_step(comparison_id=comparison.pk, count=1)
    assert not any(Simulation.objects.filter(pk__in=member_ids(comparison.pk)).values_list("running", flat=True))


def test_deleting_a_comparison_deletes_its_members(comparison):
    ids = member_ids(comparison.pk)
    comparisons.comparison_delete(comparison_id=comparison.pk)
    assert not Simulation.objects.filter(pk__in=ids).exists() and not Comparison.objects.exists()
    with pytest.raises(NotFound):
        comparisons.comparison_delete(comparison_id=comparison.pk)


# ---------------------------------------------------------------- the figures of each member


def test_the_figures_of_an_nginx_rollout_by_strategy(comparison):
    """3 replicas, nginx:1.14.2 → 1.16.1. By hand: maxSurge 1/maxUnavailable 0 keeps 3 available
    with at most 4 pods; 25 % of 3 rounds to surge 1 (up) and unavailable 0 (down): the same;
    maxSurge 0/maxUnavailable 1 never goes over 3 pods and keeps 2 available; Recreate stops all
    3 first (none available) and starts 3 new ones at once (one wave)."""
    comparison_clock.clock_step(comparison_id=comparison.pk, count=30)
    comparison_clock.group_command(comparison_id=comparison.pk, name="set-image", args=SET_IMAGE)
    comparison_clock.clock_step(comparison_id=comparison.pk, count=90)
    detail = comparisons.comparison_detail(comparison_id=comparison.pk)
    figures = {m["label"]: m["summary"] for m in detail["members"]}
    assert {label: (f["peak_pods"], f["min_available"], f["waves"]) for label, f in figures.items()} == {
        "maxSurge 1": (4, 3, 3), "25 %": (4, 3, 3), "maxUnavailable 1": (3, 2, 3), "Recreate": (3, 0, 1)}
    assert all(f["done"] and f["start"] == 30.0 and f["end"] == 30.0 + f["duration"] for f in figures.values())
    assert all(f["failed_requests"] == 0 for f in figures.values())
    assert detail["t"] == 120.0 and [m["t"] for m in detail["members"]] == [120.0] * 4
    assert [c["name"] for c in detail["commands"]] == ["set-image"]


def test_before_any_change_the_figures_are_empty():
    comparison = comparisons.comparison_create(who=OPERATOR, demo="nginx-docs", variants=_variants(
        ("a", manifest(surge=1, unavailable=0)), ("b", manifest(surge=0, unavailable=1))))
    comparison_clock.clock_step(comparison_id=comparison.pk, count=20)
    for member in comparisons.comparison_detail(comparison_id=comparison.pk)["members"]:
        # the demo's own apply at t=0 is the rollout measured: from nothing to 3 available
        assert member["summary"]["start"] == 0.0 and member["summary"]["done"]


# ---------------------------------------------------------------- the comparisons' clock host

ASYNC_TIMEOUT = 20


async def _until(predicate, what):
    async def poll():
        while not await predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), ASYNC_TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _times(comparison_id):
    return sorted(member_times(comparison_id).values())


async def test_a_playing_comparison_steps_its_members_in_lockstep_and_runs_commands_between_steps(settings):
    settings.CLOCK_LEASE_SECONDS = 1.0
    made = await database_sync_to_async(comparisons.comparison_create)(who=OPERATOR, demo="nginx-docs",
                                                                       variants=_two())
    cid = made.pk
    await database_sync_to_async(comparison_clock.clock_set)(comparison_id=cid, running=True, speed=50)
    registry = ComparisonRegistry(ComparisonDriver(owner="host"), scan_interval=0.05, renew_interval=0.2)
    task = asyncio.create_task(registry.run())

    async def reached(t):
        return min(await database_sync_to_async(_times)(cid)) >= t

    await _until(lambda: reached(10), "ten seconds on every member")
    queued = await database_sync_to_async(comparison_clock.group_command)(
        comparison_id=cid, name="set-image", args=SET_IMAGE)
    await _until(lambda: reached(30), "thirty seconds on every member")
    await database_sync_to_async(comparison_clock.clock_set)(comparison_id=cid, running=False)

    async def let_go():
        row = await database_sync_to_async(Comparison.objects.get)(pk=cid)
        return row.lease_owner == "" and registry.tasks[cid].done()

    await _until(let_go, "the clock to stop and give the lease up")
    times = await database_sync_to_async(_times)(cid)
    assert len(set(times)) == 1, times  # every member at the same instant
    await asyncio.sleep(0.3)  # several scans: a paused comparison is not stepped
    assert await database_sync_to_async(_times)(cid) == times
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    def recorded():
        ran = ComparisonCommand.objects.get(pk=queued["id"])
        at = [r.sim_time for r in CommandRecord.objects.filter(name="set_image")]
        ticks = [list(TickRecord.objects.filter(simulation_id=sid).order_by("seq").values_list("sim_time", flat=True))
                 for sid in member_ids(cid)]
        return ran, at, ticks

    ran, at, ticks = await database_sync_to_async(recorded)()
    assert ran.done and at == [ran.sim_time] * 2 and ran.sim_time >= 10
    assert ticks[0] == ticks[1]  # the same steps, commands and clock changes at the same times


def test_failed_requests_with_and_without_a_readiness_probe():
    """The zero-downtime demo at 5 requests/s rolled v0.1 → v0.2: a pod without a readiness probe
    joins the Service before its app listens, so its requests fail; Recreate leaves no endpoint."""
    made = comparisons.comparison_create(who=OPERATOR, demo="zero-downtime", variants=_variants(
        ("readiness probe", zero_downtime.manifest()), ("no readiness probe", zero_downtime.manifest(probes=False)),
        ("Recreate", zero_downtime.manifest(strategy=zero_downtime.RECREATE))))
    comparison_clock.clock_step(comparison_id=made.pk, count=60)
    comparison_clock.group_command(comparison_id=made.pk, name="traffic", args=zero_downtime.TRAFFIC)
    comparison_clock.clock_step(comparison_id=made.pk, count=10)
    comparison_clock.group_command(comparison_id=made.pk, name="set-image", args={
        "deployment": zero_downtime.NAME, "container": "app", "image": f"{zero_downtime.IMAGE}:v0.2"})
    comparison_clock.clock_step(comparison_id=made.pk, count=120)
    figures = {m["label"]: m["summary"] for m in comparisons.comparison_detail(comparison_id=made.pk)["members"]}
    assert all(f["done"] and f["start"] == 70.0 and f["requests"] > 0 for f in figures.values()), figures
    assert figures["readiness probe"]["failed_requests"] < figures["no readiness probe"]["failed_requests"], figures
    assert figures["Recreate"]["failed_requests"] > 0 and figures["Recreate"]["min_available"] == 0


def test_playing_counts_every_member_against_the_owners_running_cap(settings):
    settings.LIMIT_RUNNING_PER_SESSION = 3
    made = comparisons.comparison_create(who=Principal(owner_id="s"), demo="nginx-docs", variants=_two(),
                                         owner_session="s")
    other = simulations.simulation_create(demo="nginx-docs", owner_session="s")
    simulations.clock_set(simulation_id=other.pk, running=True)
    assert comparison_clock.clock_set(comparison_id=made.pk, running=True)["running"]  # 1 + 2 members
    second = comparisons.comparison_create(who=Principal(owner_id="s"), demo="nginx-docs", variants=_two(),
                                           owner_session="s")
    with pytest.raises(Limited):
        comparison_clock.clock_set(comparison_id=second.pk, running=True)
    assert not Comparison.objects.get(pk=second.pk).running


def test_a_member_that_fails_a_command_does_not_make_the_others_run_it_twice(comparison, monkeypatch):
    broken = member_ids(comparison.pk)[1]
    real = live.execute

    def execute(*, simulation_id, **kwargs):
        if simulation_id == broken:
            raise RuntimeError("worker lost")
        return real(simulation_id=simulation_id, **kwargs)

    monkeypatch.setattr(live, "execute", execute)
    answer = comparison_clock.group_command(comparison_id=comparison.pk, name="scale",
                                            args={"deployment": NAME, "replicas": 4})
    assert [r.get("status") for r in answer["results"]] == [None, 500, None, None]
    assert CommandRecord.objects.filter(name="scale").count() == 3
    assert comparison_clock.drain(comparison.pk, "anyone") == 0  # nothing left to run again


def test_members_of_a_running_base_are_copies_of_one_instant(monkeypatch):
    base = simulations.simulation_create(demo="nginx-docs")
    real = copies.simulation_copy

    def copy_while_the_base_runs(**kwargs):  # the base's clock takes a step between two copies
        live.advance(simulation_id=base.pk, steps=1)
        return real(**kwargs)

    monkeypatch.setattr(copies, "simulation_copy", copy_while_the_base_runs)
    made = comparisons.comparison_create(who=OPERATOR, base=base.pk, variants=_two() * 2)
    assert set(member_times(made.pk).values()) == {1.0}
