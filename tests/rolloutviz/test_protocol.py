"""The wire messages: shapes of contracts.md §2, one encoding per delta, msgpack-safe layer messages."""
import json

import pytest
from channels.layers import BaseChannelLayer
from channels_redis.serializers import registry

from rolloutviz import compact, protocol

POD = {
    "type": "ADDED",
    "kind": "Pod",
    "name": "web-7d4b9c-abcde",
    "namespace": "default",
    "object": {"metadata": {"name": "web-7d4b9c-abcde", "labels": {"app": "web"}},
               "status": {"phase": "Running", "containerStatuses": [{"restartCount": 2, "ready": True}]}},
}
CHANGES = compact.encode(compact.Mirror(), [POD])
PATCH = {"pods": {"web-7d4b9c-abcde": {"rs": "web-7d4b9c", "node": "node-1", "segments": [[46.0, "Ready"]],
                                       "marks": [[46.0, "restart", "app: Error (exit code 1)"]]},
                  "web-other": {"segments": [[46.0, "Terminating"], [46.0, "Unknown"]], "marks": []}},
         "replicasets": {}, "deployments": {}}
DELTA = protocol.delta_message(
    sim=3, seq=121, t=46.0, cause="step", changes=CHANGES,
    deployments={"web": {"rollout_status": {"message": "Waiting ...\n", "done": False},
                         "history": [{"revision": 1, "change_cause": "", "images": ["nginx:1.14.2"]}]}},
    clock=protocol.clock_info(running=True, speed=0.5),
    markers=[protocol.marker(t=46.0, label="apply", detail="deployment.apps/web created")],
    timeline=PATCH,
)
STATE = protocol.state_dict(
    sim=3, seq=120, t=45.0, clock=protocol.clock_info(running=False, speed=1),
    objects=compact.everything(compact.Mirror()), deployments={},
    timeline={"pods": {"web-7d4b9c-abcde": {"rs": "web-7d4b9c", "node": None, "segments": [[40.0, "Pending"]],
                                            "marks": [], "deleted": None}},
              "replicasets": {}, "deployments": {}, "markers": []},
)
TEXT = protocol.encode(DELTA)

LAYER_MESSAGES = [
    pytest.param(protocol.layer_delta(simulation_id=3, seq=121, text=TEXT), id="delta"),
    pytest.param(protocol.layer_resync(simulation_id=3, seq=122), id="resync"),
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
    assert message["v"] == 2
    assert protocol.decode(protocol.encode(message)) == message
    serializer = registry.get_serializer("msgpack")
    assert serializer.deserialize(serializer.serialize(message)) == message


def test_the_delta_is_forwarded_as_the_text_encoded_once():
    layer_message = protocol.layer_delta(simulation_id=3, seq=DELTA["seq"], text=TEXT)
    assert layer_message["text"] is TEXT
    assert json.loads(layer_message["text"]) == DELTA
    assert layer_message["seq"] == DELTA["seq"] == 121


def test_delta_has_the_contract_keys():
    assert {"v", "type", "sim", "seq", "t", "objects", "events", "deployments", "clock", "markers",
            "timeline"} <= DELTA.keys()
    assert DELTA["type"] == "delta" and DELTA["clock"] == {"running": True, "speed": 0.5}


def test_snapshot_carries_the_state_and_its_seq():
    message = protocol.snapshot_message(STATE)
    assert (message["type"], message["sim"], message["seq"], message["t"]) == ("snapshot", 3, 120, 45.0)
    assert (message["state"]["objects"], message["state"]["events"]) == ([], [])
    assert message["state"]["timeline"]["pods"] == [["web-7d4b9c-abcde", "web-7d4b9c", None, None, [40.0, 0], []]]


def test_a_deltas_timeline_rows_name_pods_by_their_record_and_carry_only_what_changed():
    assert DELTA["timeline"]["pods"] == [
        [0, protocol.STATES.index("Ready"), {"rs": "web-7d4b9c", "node": "node-1",
                                            "marks": [["restart", "app: Error (exit code 1)"]]}],
        ["web-other", [protocol.STATES.index("Terminating"), "Unknown"]],
    ]


def test_a_viewer_reads_back_the_snapshot_and_the_delta():
    viewer = protocol.Viewer()
    viewer.load(protocol.decode(protocol.encode(STATE)))
    assert viewer.timeline["pods"]["web-7d4b9c-abcde"]["segments"] == [[40.0, "Pending"]]
    records = viewer.apply(protocol.decode(TEXT))
    assert records == [POD] and viewer.objects("Pod") == [POD["object"]] and viewer.seq == 121
    lane = viewer.timeline["pods"]["web-7d4b9c-abcde"]
    assert (lane["node"], lane["segments"][-1], lane["marks"]) == (
        "node-1", [46.0, "Ready"], [[46.0, "restart", "app: Error (exit code 1)"]])
    assert viewer.timeline["pods"]["web-other"]["segments"] == [[46.0, "Terminating"], [46.0, "Unknown"]]
    assert viewer.deployments["web"]["history"][0]["images"] == ["nginx:1.14.2"]


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
                                objects={}, deployments={}, timeline={})
    text = protocol.snapshot_text(state, protocol.encode(state))
    assert text == protocol.encode(protocol.snapshot_message(state))


# A presenter's view as its page sends it, and what the server passes on (None: refused).
PRESENTER_VIEWS = {
    "window only": ({"start": 1, "span": 60.0, "follow": True, "selected": None},
                    {"start": 1.0, "span": 60.0, "follow": True, "selected": None}),
    "live (rewound null)": ({"start": 0.0, "span": 5.0, "rewound": None, "playing": False},
                            {"start": 0.0, "span": 5.0, "rewound": None, "playing": False}),
    "rewound, playing back": ({"rewound": 120, "playing": True, "playback_speed": 10},
                              {"rewound": 120, "playing": True, "playback_speed": 10.0}),
    "a seq that is a bool": ({"rewound": True}, None),
    "a fractional seq": ({"rewound": 1.5}, None),
    "a negative seq": ({"rewound": -1}, None),
    "a seq as text": ({"rewound": "12"}, None),
    "a zero playback speed": ({"rewound": 3, "playback_speed": 0}, None),
    "an unknown field": ({"rewound": 3, "volume": 11}, None),
}


@pytest.mark.parametrize("case", list(PRESENTER_VIEWS))
def test_a_presenters_view_keeps_only_known_well_typed_fields(case):
    sent, passed_on = PRESENTER_VIEWS[case]
    assert protocol.clean_view(sent) == passed_on
