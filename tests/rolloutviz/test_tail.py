"""The tail (`rolloutviz.runner.tail`): what it publishes for stored deltas is what was published
when they were committed, read as stored text (never decoded and encoded again)."""
import pytest

from live_scenario import prepare
from rolloutviz import protocol, runner
from rolloutviz.models import Simulation
from rolloutviz.runner import tail
from rolloutviz.services import live

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit publishing must run


def test_the_tail_replays_stored_deltas_as_they_were_published_with_a_resync_after_a_reset():
    sim_id = prepare(running=False)
    start = Simulation.objects.get(pk=sim_id).seq
    with runner.collecting() as published:
        live.advance(simulation_id=sim_id, steps=3)
        live.execute(simulation_id=sim_id, command="scale", args={"name": "web", "replicas": 2})
        live.reset(simulation_id=sim_id)
    end = Simulation.objects.get(pk=sim_id).seq
    rows = tail._missing(sim_id, start, end)
    assert [seq for seq, _, _, _ in rows] == list(range(start + 1, end + 1))
    assert [(int(version), cause) for _, version, cause, _ in rows] == [
        (protocol.VERSION, cause) for cause in ("step", "step", "step", "command", "reset")]
    assert tail.fill_messages(sim_id, rows) == [message for _, batch in published for message in batch]
    assert tail.fill_messages(sim_id, rows)[-1] == protocol.layer_resync(simulation_id=sim_id, seq=end)


def test_a_stored_delta_of_the_first_wire_is_replayed_as_a_resync():
    rows = [(4, None, "step", '{"v":1}'), (5, "1", "command", '{"v":1}')]
    assert tail.fill_messages(7, rows) == [protocol.layer_resync(simulation_id=7, seq=4),
                                           protocol.layer_resync(simulation_id=7, seq=5)]
