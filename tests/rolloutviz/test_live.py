"""The custodian of the authoritative cluster: records, persistence, publishing, several processes.

"Another process" is played in one process by swapping the custodian's per-process cache: the
database is the only thing processes share.
"""
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from live_scenario import MANIFEST, prepare
from rolloutviz import compact, protocol
from rolloutviz.models import CommandRecord, Deployment, Simulation, Snapshot, TickRecord
from rolloutviz.services import live
from simulator import Cluster, ValidationError

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit publishing must run


@pytest.fixture(autouse=True)
def fresh_process():
    live.forget()
    yield
    live.forget()


@pytest.fixture
def sim():
    return Simulation.objects.create(name="t", seed=3)


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(live, "publish", lambda simulation_id, messages: sent.extend(messages))
    return sent


def payloads(sim_id):
    return list(TickRecord.objects.filter(simulation_id=sim_id).order_by("seq").values_list("payload", flat=True))


def held(state: dict) -> protocol.Viewer:
    """What a page holds after a snapshot of ``state``."""
    viewer = protocol.Viewer()
    viewer.load(state)
    return viewer


def as_other_process(action):
    """Run ``action`` with an empty cache, then give this process its (now stale) cache back."""
    mine = dict(live._cache)
    live._cache.clear()
    try:
        return action()
    finally:
        live._cache.clear()
        live._cache.update(mine)


def test_apply_is_recorded_persisted_mirrored_and_published(sim, published):
    result = live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    assert result == ["deployment.apps/web created"]
    sim.refresh_from_db()
    assert sim.seq == 1
    command = CommandRecord.objects.get(simulation=sim)
    assert (command.index, command.name, command.sim_time, command.ok) == (0, "apply", 0.0, True)
    assert command.outcome == {"result": ["deployment.apps/web created"]}
    (delta,) = payloads(sim.id)
    assert (delta["seq"], delta["cause"], delta["t"]) == (1, "command", 0.0)
    changes, _ = protocol.payload_records(delta, compact.Mirror())  # the first delta: nothing held before
    assert ("ADDED", "Deployment", "web") in {(c["type"], c["kind"], c["name"]) for c in changes}
    # The command's own marker comes first (controllers may already have reacted to it).
    assert delta["markers"][0] == protocol.marker(t=0.0, label="apply", detail="deployment.apps/web created")
    assert delta["deployments"]["web"]["rollout_status"]["done"] is False
    assert Snapshot.objects.filter(simulation=sim, seq=1).exists()
    assert Deployment.objects.filter(simulation=sim, name="web").exists()
    (message,) = published
    assert (message["type"], message["seq"], json.loads(message["text"])) == ("simulation.delta", 1, delta)


def test_each_step_is_one_delta_and_snapshots_are_periodic(sim, published, settings):
    settings.SNAPSHOT_EVERY = 4
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    state = live.advance(simulation_id=sim.id, steps=10)
    assert (state.seq, state.t) == (11, 10.0)
    recorded = payloads(sim.id)
    assert [p["seq"] for p in recorded] == list(range(1, 12))
    assert [p["t"] for p in recorded[1:]] == [float(t) for t in range(1, 11)]
    assert {p["cause"] for p in recorded[1:]} == {"step"}
    assert list(Snapshot.objects.filter(simulation=sim).values_list("seq", flat=True)) == [1, 5, 9]
    assert [json.loads(m["text"]) for m in published] == recorded
    history = recorded[-1]["deployments"].get("web") or next(
        p["deployments"]["web"] for p in reversed(recorded) if "web" in p["deployments"])
    assert history["history"] == [{"revision": 1, "change_cause": None, "images": ["nginx:1.14.2"]}]


@pytest.mark.parametrize(
    "command, args, error",
    [
        ("apply", {"source": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: -1}\n"},
         ValidationError),
        ("scale", {"name": "nope", "replicas": 2}, KeyError),
        ("rollout_resume", {"name": "web"}, ValueError),
    ],
    ids=["invalid-manifest", "unknown-deployment", "resume-not-paused"],
)
def test_a_refused_command_is_recorded_re_raised_and_changes_nothing(sim, published, command, args, error):
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    before = live.state(simulation_id=sim.id)
    with pytest.raises(error) as raised:
        live.execute(simulation_id=sim.id, command=command, args=args)
    record = CommandRecord.objects.get(simulation=sim, index=1)
    assert (record.name, record.ok, record.outcome["message"]) == (command, False, str(raised.value))
    sim.refresh_from_db()
    assert sim.seq == 1 and len(published) == 1
    assert live.state(simulation_id=sim.id) == before


def test_unknown_commands_are_rejected_before_anything_happens(sim):
    with pytest.raises(ValueError, match="unknown command"):
        live.execute(simulation_id=sim.id, command="snapshot", args={})
    assert not CommandRecord.objects.exists()


def test_the_database_is_the_truth_a_new_process_sees_the_same_state(sim, published, settings):
    settings.SNAPSHOT_EVERY = 7
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    live.advance(simulation_id=sim.id, steps=12)
    live.execute(simulation_id=sim.id, command="scale", args={"name": "web", "replicas": 6})
    live.advance(simulation_id=sim.id, steps=9)
    here = live.state(simulation_id=sim.id)
    assert as_other_process(lambda: live.state(simulation_id=sim.id)) == here
    assert here["seq"] == 23 and here["t"] == 21.0
    assert len(held(here).objects("Pod")) == 6


def test_a_command_at_another_process_applies_once_and_the_clock_process_catches_up(published):
    reference = prepare(running=False)
    live.execute(simulation_id=reference, command="scale", args={"name": "web", "replicas": 2})
    live.advance(simulation_id=reference, steps=4)
    live.forget()

    sim_id = prepare(running=False)  # this process caches it as it goes
    as_other_process(lambda: live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 2}))
    live.advance(simulation_id=sim_id, steps=2)  # stale cache: must reload the command's snapshot
    as_other_process(lambda: live.advance(simulation_id=sim_id, steps=1))
    live.advance(simulation_id=sim_id, steps=1)  # stale by one step: replays it

    assert CommandRecord.objects.filter(simulation_id=sim_id, name="scale").count() == 1
    strip = lambda ps: [{**p, "sim": 0} for p in ps]  # noqa: E731
    assert strip(payloads(sim_id)) == strip(payloads(reference))


def test_only_the_lease_owner_steps_with_a_lease(sim, published):
    Simulation.objects.filter(pk=sim.pk).update(running=True, lease_owner="other")
    assert live.advance(simulation_id=sim.id, steps=3, lease_owner="me") is None
    assert not TickRecord.objects.exists()
    Simulation.objects.filter(pk=sim.pk).update(lease_owner="me")
    state = live.advance(simulation_id=sim.id, steps=3, lease_owner="me")
    assert (state.seq, state.t, state.running) == (3, 3.0, True)
    sim.refresh_from_db()
    assert sim.lease_expires is not None
    Simulation.objects.filter(pk=sim.pk).update(running=False)
    assert live.advance(simulation_id=sim.id, steps=1, lease_owner="me") is None


@pytest.mark.parametrize("steps", [0, -1], ids=["zero", "negative"])
def test_advance_needs_a_positive_step_count(sim, steps):
    with pytest.raises(ValueError):
        live.advance(simulation_id=sim.id, steps=steps)


def test_set_clock_publishes_a_clock_delta(sim, published):
    state = live.set_clock(simulation_id=sim.id, running=True, speed=50)
    assert (state.running, state.speed, state.seq) == (True, 50.0, 1)
    (delta,) = payloads(sim.id)
    assert (delta["cause"], delta["clock"], delta["objects"], delta["events"]) == (
        "clock", {"running": True, "speed": 50.0}, [], [])
    assert delta["markers"][0]["label"] == "clock"


@pytest.mark.parametrize("speed", [0, 3, -1, 100], ids=["zero", "three", "negative", "hundred"])
def test_set_clock_refuses_unsupported_speeds(sim, speed):
    with pytest.raises(ValidationError, match="Unsupported value"):
        live.set_clock(simulation_id=sim.id, speed=speed)
    sim.refresh_from_db()
    assert (sim.speed, sim.seq) == (1.0, 0)


def test_reset_replaces_the_cluster_keeps_seq_going_and_asks_viewers_to_resync(sim, published):
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    live.advance(simulation_id=sim.id, steps=5)
    fresh = Cluster(seed=sim.seed, tick=sim.tick)
    seq = live.reset(simulation_id=sim.id, cluster=fresh)
    assert seq == 7
    assert published[-1] == protocol.layer_resync(simulation_id=sim.id, seq=7)
    state = live.state(simulation_id=sim.id)
    assert (state["seq"], state["t"], held(state).objects("Deployment")) == (7, 0.0, [])
    assert state["timeline"]["pods"] == [] and [m["label"] for m in state["timeline"]["markers"]] == ["reset"]
    assert as_other_process(lambda: live.state(simulation_id=sim.id)) == state


def test_cluster_for_read_is_a_private_copy(sim, published):
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    copy = live.cluster_for_read(simulation_id=sim.id)
    copy.step()
    assert live.state(simulation_id=sim.id)["t"] == 0.0


def test_publish_sends_to_the_simulation_group(sim):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(protocol.group_name(sim.id), channel)
    live.publish(sim.id, [protocol.layer_resync(simulation_id=sim.id, seq=4)])
    assert async_to_sync(layer.receive)(channel) == protocol.layer_resync(simulation_id=sim.id, seq=4)


def test_missing_simulations_raise_does_not_exist():
    with pytest.raises(Simulation.DoesNotExist):
        live.state(simulation_id=999)
    with pytest.raises(Simulation.DoesNotExist):
        live.advance(simulation_id=999)


def _jsonb_order(value):
    """Reorder JSON object keys as PostgreSQL's jsonb stores them (shorter keys first)."""
    if isinstance(value, dict):
        return {k: _jsonb_order(value[k]) for k in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [_jsonb_order(v) for v in value]
    return value


def test_stored_snapshots_do_not_depend_on_json_key_order(published):
    reference = prepare(running=False)
    live.execute(simulation_id=reference, command="scale", args={"name": "web", "replicas": 2})
    live.advance(simulation_id=reference, steps=40)
    live.forget()

    sim_id = prepare(running=False)
    live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 2})
    for snapshot in Snapshot.objects.filter(simulation_id=sim_id):
        Snapshot.objects.filter(pk=snapshot.pk).update(state=_jsonb_order(snapshot.state))
    live.forget()  # the next step restores from a reordered snapshot
    live.advance(simulation_id=sim_id, steps=40)
    strip = lambda ps: [{**p, "sim": 0} for p in ps]  # noqa: E731
    assert strip(payloads(sim_id)) == strip(payloads(reference))


@pytest.mark.parametrize("snapshot_every", [1, 3, 20], ids=["snapshot-each-step", "replay-up-to-2", "replay-up-to-19"])
def test_a_process_restarted_before_every_step_records_the_same_deltas(published, settings, snapshot_every):
    settings.SNAPSHOT_EVERY = snapshot_every
    reference = prepare(running=False)
    live.advance(simulation_id=reference, steps=40)
    live.forget()
    sim_id = prepare(running=False)
    for _ in range(40):
        live.forget()  # every step starts from the database alone
        live.advance(simulation_id=sim_id, steps=1)
    strip = lambda ps: [{**p, "sim": 0} for p in ps]  # noqa: E731
    assert strip(payloads(sim_id)) == strip(payloads(reference))


def test_a_process_keeps_only_the_most_recently_used_simulations(published, settings):
    settings.LIVE_CACHE_SIZE = 2
    ids = [Simulation.objects.create(seed=i).id for i in range(3)]
    for sim_id in ids:
        live.advance(simulation_id=sim_id, steps=1)
    assert list(live._cache) == ids[1:]
    live.state(simulation_id=ids[0])  # reloaded from the database, evicting the oldest
    assert list(live._cache) == [ids[2], ids[0]]
    assert live.state(simulation_id=ids[1])["t"] == 1.0


def test_a_snapshot_that_no_longer_loads_is_replaced_by_replaying_the_whole_history(published, settings):
    settings.SNAPSHOT_EVERY = 10
    sim_id = prepare(running=False)
    with pytest.raises(ValueError):  # a refused command: recorded, no delta, not replayed
        live.execute(simulation_id=sim_id, command="rollout_resume", args={"name": "web"})
    live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 3})
    live.advance(simulation_id=sim_id, steps=15)
    expected = live.state(simulation_id=sim_id)
    Snapshot.objects.filter(simulation_id=sim_id).update(state={"version": 999})  # an unknown format
    live.forget()
    assert live.state(simulation_id=sim_id) == expected
    live.advance(simulation_id=sim_id, steps=1)  # and it goes on, with a fresh snapshot soon
    assert Snapshot.objects.filter(simulation_id=sim_id).exclude(state={"version": 999}).exists()


# ---------------------------------------------------------------- optimistic commits


def _racing(monkeypatch, rival, times):
    """Make another process commit ``rival()`` just before each of this process's next ``times`` commits."""
    original = live._Mutation.commit
    left = [times]

    def commit(self, *, locked):
        if left[0] > 0:
            left[0] -= 1
            as_other_process(rival)
        return original(self, locked=locked)

    monkeypatch.setattr(live._Mutation, "commit", commit)


@pytest.mark.parametrize("losses", [1, live.OPTIMISTIC_TRIES], ids=["one-lost-race", "always-loses-then-locks"])
def test_a_command_that_loses_the_commit_race_is_computed_again_and_applied_once(published, monkeypatch, losses):
    reference = prepare(running=False)
    live.advance(simulation_id=reference, steps=losses)
    live.execute(simulation_id=reference, command="scale", args={"name": "web", "replicas": 2})
    live.forget()

    sim_id = prepare(running=False)
    live.state(simulation_id=sim_id)  # this process has a warm copy
    _racing(monkeypatch, lambda: live.advance(simulation_id=sim_id, steps=1), losses)
    result = live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 2})

    assert result == "deployment.apps/web scaled"
    assert CommandRecord.objects.filter(simulation_id=sim_id, name="scale").count() == 1
    strip = lambda ps: [{**p, "sim": 0} for p in ps]  # noqa: E731
    assert strip(payloads(sim_id)) == strip(payloads(reference))  # the command came after the rival's steps
    assert live.state(simulation_id=sim_id) == as_other_process(lambda: live.state(simulation_id=sim_id))


def test_a_clock_batch_that_loses_the_race_to_a_command_steps_after_it(published, monkeypatch):
    sim_id = prepare(running=False)
    Simulation.objects.filter(pk=sim_id).update(running=True, lease_owner="me")
    start = Simulation.objects.get(pk=sim_id).seq
    _racing(monkeypatch, lambda: live.execute(simulation_id=sim_id, command="scale",
                                              args={"name": "web", "replicas": 2}), 1)
    state = live.advance(simulation_id=sim_id, steps=3, lease_owner="me")
    assert state.seq == start + 4
    assert [p["cause"] for p in payloads(sim_id)[start:]] == ["command", "step", "step", "step"]


def test_a_failed_commit_leaves_nothing_behind_in_the_cache_or_the_database(published, monkeypatch):
    from django.db import OperationalError

    sim_id = prepare(running=False)
    before = live.state(simulation_id=sim_id)

    def full(self, *, locked):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(live._Mutation, "commit", full)
    with pytest.raises(OperationalError):
        live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 1})
    with pytest.raises(OperationalError):
        live.advance(simulation_id=sim_id, steps=5)
    assert sim_id not in live._cache
    monkeypatch.undo()
    assert live.state(simulation_id=sim_id) == before
    assert not CommandRecord.objects.filter(simulation_id=sim_id, name="scale").exists()


def test_a_clock_batch_stops_after_its_time_slice(sim, published):
    Simulation.objects.filter(pk=sim.pk).update(running=True, lease_owner="me")
    state = live._advance(simulation_id=sim.id, steps=10, lease_owner="me", slice_seconds=0.0, effective=0.4)
    assert (state.done, state.seq) == (1, 1)
    (delta,) = payloads(sim.id)
    assert delta["clock"] == {"running": True, "speed": 1.0, "effective": 0.4}
    assert live.state(simulation_id=sim.id)["clock"]["effective"] == 0.4


def test_stepping_many_ticks_goes_in_slices_to_the_end(sim, published, settings):
    settings.SIM_TIME_SLICE = 0.0  # every slice is one step
    state = live.advance(simulation_id=sim.id, steps=7)
    assert (state.seq, state.t, state.done) == (7, 7.0, 7)


def test_a_snapshot_text_is_built_once_per_seq(sim, published, monkeypatch):
    built = []
    original = live.state_of
    monkeypatch.setattr(live, "state_of", lambda s, copy: built.append(copy.seq) or original(s, copy))
    first = live.snapshot_text(simulation_id=sim.id)
    assert live.snapshot_text(simulation_id=sim.id) is not None and built == [0]
    live.advance(simulation_id=sim.id, steps=1)
    assert live.snapshot_text(simulation_id=sim.id)[0] == 1 and built == [0, 1]
    assert first[0] == 0


@pytest.mark.parametrize(
    "steps_since, last_bytes, due",
    [(49, 0, False), (50, 0, True), (50, 40_000_000, False), (199, 40_000_000, False), (200, 40_000_000, True)],
    ids=["small-not-yet", "small-due", "big-not-yet", "big-just-before", "big-due"],
)
def test_a_big_simulation_snapshots_less_often(settings, steps_since, last_bytes, due):
    settings.SNAPSHOT_EVERY = 50
    assert live.snapshot_due(steps_since, last_bytes) is due


def test_the_state_text_is_the_encoded_state(sim, published):
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    assert json.loads(live.state_text(simulation_id=sim.id)) == live.state(simulation_id=sim.id)


@pytest.mark.parametrize("replayed", [False, True], ids=["live-copy", "rebuilt-from-the-database"])
def test_every_object_carries_the_seq_of_the_delta_that_last_changed_it_as_its_resource_version(
        published, settings, replayed):
    settings.SNAPSHOT_EVERY = 7  # restores start from a snapshot and replay steps after it
    sim_id = prepare(running=False)
    live.advance(simulation_id=sim_id, steps=12)
    live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 4})
    live.advance(simulation_id=sim_id, steps=9)
    last_change, held = {}, compact.Mirror()
    for payload in payloads(sim_id):
        for change in protocol.payload_records(payload, held)[0]:
            last_change[(change["kind"], change["name"])] = payload["seq"]
    if replayed:
        live.forget()
    viewer = protocol.Viewer()
    viewer.load(live.state(simulation_id=sim_id))
    versions = {(obj["kind"], obj["metadata"]["name"]): obj["metadata"]["resourceVersion"]
                for kind in ("Deployment", "ReplicaSet", "Pod") for obj in viewer.objects(kind)}
    assert len(versions) > 5
    assert versions == {key: str(last_change[key]) for key in versions}
