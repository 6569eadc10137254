"""The WebSocket stream through Channels' WebsocketCommunicator: snapshot, deltas, re-syncs, status."""
import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from live_scenario import MANIFEST
from rolloutviz import protocol
from rolloutviz.consumers import GAP_GRACE_SECONDS, RESYNC_MIN_SECONDS
from rolloutviz.models import Simulation, TickRecord
from rolloutviz.routing import websocket_urlpatterns
from rolloutviz.services import commands, live
from rolloutviz.services.links import operator_link

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5
PUBLISH = live.publish


OPERATOR = {}  # the operator's token, for sockets that may see every simulation


@pytest.fixture(autouse=True)
async def clean(settings):
    settings.CLOCK_MODE = "external"  # the tests drive time themselves
    live.forget()
    OPERATOR["token"] = await database_sync_to_async(lambda: operator_link().token)()
    yield
    await get_channel_layer().flush()
    live.forget()


@pytest.fixture
async def sim_id():
    def make():
        sim = Simulation.objects.create(name="ws", seed=5)
        live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
        return sim.id

    return await database_sync_to_async(make)()


def communicator(simulation_id, token=None):
    """A socket to the simulation's stream, as the operator unless another ``token`` is given."""
    return WebsocketCommunicator(URLRouter(websocket_urlpatterns),
                                 f"/ws/simulations/{simulation_id}/?token={token or OPERATOR['token']}")


async def connected(simulation_id):
    client = communicator(simulation_id)
    ok, _ = await client.connect(timeout=TIMEOUT)
    assert ok
    return client


async def receive(client):
    return json.loads(await client.receive_from(timeout=TIMEOUT))


def held(snapshot: dict) -> protocol.Viewer:
    """What a page holds after ``snapshot``."""
    viewer = protocol.Viewer()
    viewer.load(snapshot["state"])
    return viewer


async def advance(simulation_id, steps):
    return await database_sync_to_async(live.advance)(simulation_id=simulation_id, steps=steps)


async def recorded_text(simulation_id, seq):
    payload = await database_sync_to_async(
        lambda: TickRecord.objects.get(simulation_id=simulation_id, seq=seq).payload)()
    return protocol.encode(payload)


async def test_snapshot_on_connect_then_the_deltas_as_recorded(sim_id):
    client = await connected(sim_id)
    snapshot = await receive(client)
    assert (snapshot["v"], snapshot["type"], snapshot["sim"], snapshot["seq"]) == (2, "snapshot", sim_id, 1)
    assert [d["metadata"]["name"] for d in held(snapshot).objects("Deployment")] == ["web"]
    assert snapshot["state"]["timeline"]["markers"][0]["label"] == "apply"
    await advance(sim_id, 3)
    texts = [await client.receive_from(timeout=TIMEOUT) for _ in range(3)]
    assert [json.loads(t)["seq"] for t in texts] == [2, 3, 4]
    assert [json.loads(t) for t in texts] == [json.loads(await recorded_text(sim_id, seq)) for seq in (2, 3, 4)]
    assert await client.receive_nothing()
    await client.disconnect()


async def test_two_viewers_get_identical_deltas(sim_id):
    first, second = await connected(sim_id), await connected(sim_id)
    assert (await receive(first))["seq"] == (await receive(second))["seq"] == 1
    await advance(sim_id, 4)
    await database_sync_to_async(live.execute)(
        simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 2})
    a = [await first.receive_from(timeout=TIMEOUT) for _ in range(5)]
    b = [await second.receive_from(timeout=TIMEOUT) for _ in range(5)]
    assert a == b
    assert [json.loads(t)["cause"] for t in a] == ["step"] * 4 + ["command"]
    await first.disconnect()
    await second.disconnect()


async def test_resync_request_gets_a_fresh_snapshot(sim_id):
    client = await connected(sim_id)
    await receive(client)
    await advance(sim_id, 2)
    await receive(client), await receive(client)
    await client.send_to(text_data=json.dumps({"type": "resync"}))
    snapshot = await receive(client)
    assert (snapshot["type"], snapshot["seq"], snapshot["t"]) == ("snapshot", 3, 2.0)
    await client.disconnect()


@pytest.mark.parametrize("text", ["not json", json.dumps({"type": "apply"}), json.dumps([1])],
                         ids=["not-json", "command-over-socket", "not-an-object"])
async def test_other_client_messages_get_an_error_and_the_stream_goes_on(sim_id, text):
    client = await connected(sim_id)
    await receive(client)
    await client.send_to(text_data=text)
    error = await receive(client)
    assert (error["type"], error["code"]) == ("error", protocol.BAD_REQUEST)
    await advance(sim_id, 1)
    assert (await receive(client))["seq"] == 2
    await client.disconnect()


async def test_a_slow_viewer_whose_channel_dropped_deltas_re_syncs(sim_id, monkeypatch):
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "capacity", 2)  # the viewer's channel holds two pending messages
    client = await connected(sim_id)
    await receive(client)
    held = []
    monkeypatch.setattr(live, "publish", lambda simulation_id, messages: held.extend(messages))
    await advance(sim_id, 5)  # seq 2..6, held back to arrive all at once
    monkeypatch.setattr(live, "publish", PUBLISH)
    (channel,) = layer.groups[protocol.group_name(sim_id)]
    delivered = []
    for message in held:  # what group_send does, without letting the viewer read in between
        try:
            await layer.send(channel, message)
            delivered.append(message["seq"])
        except ChannelFull:
            pass
    assert delivered == [2, 3]
    assert [(await receive(client))["seq"] for _ in range(2)] == [2, 3]
    await advance(sim_id, 1)  # seq 7 arrives after the gap, which is never filled
    snapshot = await receive(client)
    assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 7)
    await advance(sim_id, 1)
    assert (await receive(client))["seq"] == 8
    await client.disconnect()


async def test_deltas_from_two_publishers_arriving_out_of_order_are_sent_in_order(sim_id, monkeypatch):
    client = await connected(sim_id)
    await receive(client)
    held = []
    monkeypatch.setattr(live, "publish", lambda simulation_id, messages: held.extend(messages))
    await advance(sim_id, 3)
    monkeypatch.setattr(live, "publish", PUBLISH)
    group = protocol.group_name(sim_id)
    for message in (held[2], held[0], held[1]):  # seq 4 overtakes 2 and 3
        await get_channel_layer().group_send(group, message)
    assert [(await receive(client))["seq"] for _ in range(3)] == [2, 3, 4]
    assert await client.receive_nothing(timeout=2 * GAP_GRACE_SECONDS)
    await client.disconnect()


async def test_deltas_already_in_the_snapshot_are_not_sent_again(sim_id):
    client = await connected(sim_id)
    await receive(client)
    text = await recorded_text(sim_id, 1)
    await get_channel_layer().group_send(protocol.group_name(sim_id),
                                         protocol.layer_delta(simulation_id=sim_id, seq=1, text=text))
    assert await client.receive_nothing()
    await client.disconnect()


async def test_a_reset_sends_every_viewer_a_fresh_snapshot(sim_id):
    client = await connected(sim_id)
    await receive(client)
    await advance(sim_id, 2)
    await receive(client), await receive(client)
    await database_sync_to_async(live.reset)(simulation_id=sim_id)
    delta = await receive(client)
    assert (delta["type"], delta["cause"], delta["seq"]) == ("delta", "reset", 4)
    snapshot = await receive(client)
    assert (snapshot["type"], snapshot["seq"], held(snapshot).objects("Deployment")) == ("snapshot", 4, [])
    await client.disconnect()


async def test_unknown_simulation_gets_an_error_and_is_closed():
    client = communicator(424242)
    ok, _ = await client.connect(timeout=TIMEOUT)
    assert ok
    error = await receive(client)
    assert (error["type"], error["code"]) == ("error", protocol.NOT_FOUND)
    assert (await client.receive_output(timeout=TIMEOUT))["type"] == "websocket.close"


async def test_a_deleted_simulation_closes_its_streams(sim_id):
    client = await connected(sim_id)
    await receive(client)
    await get_channel_layer().group_send(protocol.group_name(sim_id), protocol.layer_gone(simulation_id=sim_id))
    error = await receive(client)
    assert (error["type"], error["code"]) == ("error", protocol.NOT_FOUND)
    assert (await client.receive_output(timeout=TIMEOUT))["type"] == "websocket.close"


def _apply(sid, text):
    return commands.manifest_apply(simulation_id=sid, yaml_text=text)


MANIFEST_CHANGES = [
    # (command run through the services, the manifest text the delta must carry, change)
    (lambda sid: _apply(sid, MANIFEST.replace("nginx:1.14.2", "nginx:1.16.1")),
     MANIFEST.replace("nginx:1.14.2", "nginx:1.16.1"), {"command": "kubectl apply", "revision": 2}),
    (lambda sid: commands.deployment_set_image(simulation_id=sid, deployment="web", container="app",
                                               image="nginx:1.17"),
     MANIFEST.replace("nginx:1.14.2", "nginx:1.17"), {"command": "kubectl set image", "revision": 2}),
    (lambda sid: commands.deployment_scale(simulation_id=sid, deployment="web", replicas=4),
     MANIFEST.replace("replicas: 6", "replicas: 4"), {"command": "kubectl scale", "revision": 1}),
]


@pytest.mark.parametrize("run, manifest, change", MANIFEST_CHANGES, ids=["apply", "set-image", "scale"])
async def test_a_delta_that_changes_the_manifest_carries_it_and_a_tick_does_not(sim_id, run, manifest, change):
    client = await connected(sim_id)
    snapshot = await receive(client)
    assert snapshot["state"]["deployments"]["web"]["manifest"] == MANIFEST
    await database_sync_to_async(run)(sim_id)
    delta = await receive(client)
    assert delta["cause"] == "command"
    assert delta["deployments"]["web"]["manifest"] == manifest
    assert delta["deployments"]["web"]["manifest_change"] == change
    await advance(sim_id, 1)
    tick = await receive(client)
    assert tick["cause"] == "step" and tick["seq"] == delta["seq"] + 1
    assert "manifest" not in json.dumps(tick)
    await client.disconnect()
    late = await connected(sim_id)  # a page opened now starts from the same text
    assert (await receive(late))["state"]["deployments"]["web"]["manifest"] == manifest
    await late.disconnect()


@pytest.mark.parametrize("run", [
    lambda sid: _apply(sid, MANIFEST),
    lambda sid: commands.pod_delete(simulation_id=sid, deployment="web"),
    lambda sid: commands.node_set_ready(simulation_id=sid, node="node-1", ready=False),
], ids=["same-text-again", "delete-pod", "node-down"])
async def test_a_command_that_leaves_the_manifest_alone_does_not_carry_it(sim_id, run):
    await advance(sim_id, 5)
    client = await connected(sim_id)
    await receive(client)
    await database_sync_to_async(run)(sim_id)
    delta = await receive(client)
    assert delta["cause"] == "command" and delta["deployments"]["web"]["rollout_status"]
    assert "manifest" not in delta["deployments"]["web"]
    assert "manifest_change" not in delta["deployments"]["web"]
    await client.disconnect()


async def test_a_rollback_carries_the_earlier_template_back_into_the_manifest(sim_id):
    await database_sync_to_async(commands.deployment_set_image)(
        simulation_id=sim_id, deployment="web", container="app", image="nginx:1.16.1")
    client = await connected(sim_id)
    assert (await receive(client))["state"]["deployments"]["web"]["manifest"] == MANIFEST.replace(
        "nginx:1.14.2", "nginx:1.16.1")
    await database_sync_to_async(commands.deployment_rollback)(simulation_id=sim_id, deployment="web")
    web = (await receive(client))["deployments"]["web"]
    assert web["manifest"] == MANIFEST
    assert web["manifest_change"] == {"command": "kubectl rollout undo", "revision": 3}
    await client.disconnect()


async def test_a_flood_of_resync_requests_costs_one_snapshot(sim_id, monkeypatch):
    client = await connected(sim_id)
    await receive(client)
    await advance(sim_id, 1)
    assert (await receive(client))["seq"] == 2
    built = []
    original = live._snapshot_text
    monkeypatch.setattr(live, "_snapshot_text", lambda **kw: built.append(kw) or original(**kw))
    for _ in range(100):
        await client.send_to(text_data=json.dumps({"type": "resync"}))
    snapshot = await receive(client)
    assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 2)
    assert await client.receive_nothing(timeout=2 * RESYNC_MIN_SECONDS)
    assert len(built) == 1
    await client.send_to(text_data=json.dumps({"type": "resync"}))  # nothing new since: nothing to send
    assert await client.receive_nothing(timeout=2 * RESYNC_MIN_SECONDS)
    await advance(sim_id, 1)  # and the stream goes on
    assert (await receive(client))["seq"] == 3
    await client.disconnect()


async def test_viewers_asking_at_once_share_one_snapshot_build(sim_id, monkeypatch):
    calls, built = [], []
    original_text, original_state = live._snapshot_text, live.state_of

    def slow_first(**kw):  # the first build runs while every other viewer connects and asks
        calls.append(kw)
        if len(calls) == 1:
            time.sleep(1.0)
        return original_text(**kw)

    monkeypatch.setattr(live, "_snapshot_text", slow_first)
    monkeypatch.setattr(live, "state_of", lambda sim, copy: built.append(copy.seq) or original_state(sim, copy))
    clients = [communicator(sim_id) for _ in range(10)]
    assert all(ok for ok, _ in await asyncio.gather(*(c.connect(timeout=TIMEOUT) for c in clients)))
    assert {(await receive(c))["seq"] for c in clients} == {1}
    assert len(calls) <= 2  # one running, one queued behind it for those who came later
    assert built == [1]  # and the text for seq 1 was built once
    for client in clients:
        await client.disconnect()


async def test_deltas_wait_behind_a_snapshot_in_flight(sim_id, monkeypatch):
    client = await connected(sim_id)
    await receive(client)
    await advance(sim_id, 1)
    assert (await receive(client))["seq"] == 2
    await asyncio.sleep(RESYNC_MIN_SECONDS)
    original = live._snapshot_text

    def slow(**kw):  # read at once, delivered late
        import time
        text = original(**kw)
        time.sleep(0.5)
        return text

    monkeypatch.setattr(live, "_snapshot_text", slow)
    await client.send_to(text_data=json.dumps({"type": "resync"}))
    await asyncio.sleep(0.1)  # the snapshot at seq 2 is being built ...
    await advance(sim_id, 2)  # ... while seq 3 and 4 are published
    messages = [await receive(client) for _ in range(3)]
    assert [(m["type"], m["seq"]) for m in messages] == [("snapshot", 2), ("delta", 3), ("delta", 4)]
    await client.disconnect()


async def test_a_status_published_for_the_simulation_reaches_its_viewers(sim_id):
    client = await connected(sim_id)
    await receive(client)
    group = protocol.group_name(sim_id)
    await get_channel_layer().group_send(group, protocol.layer_status(
        simulation_id=sim_id, state=protocol.STALLED, reason="the database disk is full"))
    status = await receive(client)
    assert status == {"v": 2, "type": "status", "sim": sim_id, "state": "stalled", "reason": "the database disk is full"}
    await client.disconnect()


async def test_a_snapshot_that_fails_tells_the_viewer_stalled_and_comes_when_the_fault_is_gone(sim_id, monkeypatch):
    from django.db import OperationalError

    original = live._snapshot_text
    failing = [True]

    def flaky(**kw):
        if failing[0]:
            raise OperationalError("unable to open database file")
        return original(**kw)

    monkeypatch.setattr(live, "_snapshot_text", flaky)
    client = await connected(sim_id)
    status = await receive(client)
    assert (status["type"], status["state"], status["reason"]) == ("status", "stalled",
                                                                   "the database cannot be reached")
    failing[0] = False
    snapshot = await receive(client)
    assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 1)
    await client.disconnect()


async def test_an_open_socket_marks_its_simulation_watched(sim_id):
    client = await connected(sim_id)
    await receive(client)

    async def watched():
        return await database_sync_to_async(lambda: Simulation.objects.get(pk=sim_id).last_watched)()

    for _ in range(100):
        if await watched() is not None:
            break
        await asyncio.sleep(0.05)
    assert await watched() is not None
    await client.disconnect()
