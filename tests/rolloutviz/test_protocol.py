"""The wire messages: shapes of contracts.md §2, one encoding per delta, msgpack-safe layer messages."""
import json

import pytest
from channels.layers import BaseChannelLayer
from channels_redis.serializers import registry

from rolloutviz import protocol

POD = {
    "type": "MODIFIED",
    "kind": "Pod",
    "name": "web-7d4b9c-abcde",
    "namespace": "default",
    "object": {"metadata": {"name": "web-7d4b9c-abcde", "labels": {"app": "web"}},
               "status": {"phase": "Running", "containerStatuses": [{"restartCount": 2, "ready": True}]}},
}
DELTA = protocol.delta_message(
    sim=3, seq=121, t=46.0, cause="step", changes=[POD],
    events=[{"reason": "ScalingReplicaSet", "message": "Scaled up replica set web-7d4b9c from 0 to 1", "count": 1}],
    deployments={"web": {"rollout_status": {"message": "Waiting ...\n", "done": False},
                         "history": [{"revision": 1, "change_cause": "", "images": ["nginx:1.14.2"]}]}},
    clock=protocol.clock_info(running=True, speed=0.5),
    markers=[protocol.marker(t=46.0, label="apply", detail="deployment.apps/web created")],
    timeline={"pods": {"web-7d4b9c-abcde": {"rs": "web-7d4b9c", "node": "node-1", "segments": [[46.0, "Ready"]],
                                             "marks": [], "deleted": None}}, "replicasets": {}, "deployments": {}},
)
STATE = protocol.state_dict(
    sim=3, seq=120, t=45.0, clock=protocol.clock_info(running=False, speed=1),
    objects={"pods": [POD["object"]]}, events=[], deployments={}, timeline={"pods": {}, "markers": []},
)
TEXT = protocol.encode(DELTA)

LAYER_MESSAGES = [
    pytest.param(protocol.layer_delta(seq=121, text=TEXT), id="delta"),
    pytest.param(protocol.layer_resync(seq=122), id="resync"),
    pytest.param(protocol.layer_gone(simulation_id=3), id="gone"),
]
WIRE_MESSAGES = [
    pytest.param(DELTA, id="delta"),
    pytest.param(protocol.snapshot_message(STATE), id="snapshot"),
    pytest.param(protocol.error_message(code=protocol.NOT_FOUND, message="simulation 9 not found"), id="error"),
]


@pytest.mark.parametrize("message", LAYER_MESSAGES)
def test_layer_messages_round_trip_through_msgpack(message):
    serializer = registry.get_serializer("msgpack")
    assert serializer.deserialize(serializer.serialize(message)) == message


@pytest.mark.parametrize("message", LAYER_MESSAGES)
def test_layer_message_types_map_to_consumer_handlers(message):
    from rolloutviz.consumers import SimulationConsumer

    assert callable(getattr(SimulationConsumer, message["type"].replace(".", "_")))


@pytest.mark.parametrize("message", WIRE_MESSAGES)
def test_wire_messages_are_versioned_json_that_survives_msgpack(message):
    assert message["v"] == 1
    assert protocol.decode(protocol.encode(message)) == message
    serializer = registry.get_serializer("msgpack")
    assert serializer.deserialize(serializer.serialize(message)) == message


def test_the_delta_is_forwarded_as_the_text_encoded_once():
    layer_message = protocol.layer_delta(seq=DELTA["seq"], text=TEXT)
    assert layer_message["text"] is TEXT
    assert json.loads(layer_message["text"]) == DELTA
    assert layer_message["seq"] == DELTA["seq"] == 121


def test_delta_has_the_contract_keys():
    assert {"v", "type", "sim", "seq", "t", "changes", "events", "deployments", "clock", "markers"} <= DELTA.keys()
    assert DELTA["type"] == "delta" and DELTA["clock"] == {"running": True, "speed": 0.5}


def test_snapshot_carries_the_state_and_its_seq():
    message = protocol.snapshot_message(STATE)
    assert (message["type"], message["sim"], message["seq"], message["t"]) == ("snapshot", 3, 120, 45.0)
    assert set(message["state"]["objects"]) == {"deployments", "replicasets", "pods", "nodes"}
    assert message["state"]["objects"]["replicasets"] == []


@pytest.mark.parametrize("simulation_id, expected", [(3, "simulation.3"), ("17", "simulation.17")], ids=["int", "str"])
def test_group_name_is_a_valid_channels_group(simulation_id, expected):
    name = protocol.group_name(simulation_id)
    assert name == expected
    assert BaseChannelLayer().require_valid_group_name(name)


def test_encode_refuses_values_json_cannot_carry():
    with pytest.raises(ValueError):
        protocol.encode({"t": float("nan")})
    with pytest.raises(TypeError):
        protocol.encode({"t": object()})


def test_a_snapshot_text_around_an_encoded_state_is_the_encoded_snapshot_message():
    state = protocol.state_dict(sim=3, seq=7, t=4.5, clock=protocol.clock_info(running=True, speed=2.0),
                                objects={}, events=[], deployments={}, timeline={})
    text = protocol.snapshot_text(state, protocol.encode(state))
    assert text == protocol.encode(protocol.snapshot_message(state))
