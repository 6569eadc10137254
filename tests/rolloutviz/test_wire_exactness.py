"""The v2 wire is exact, end to end through the services the page uses: every built-in demo (the
seed scenarios) run step by step, read as a page reads it — a snapshot, then each published delta
applied — gives exactly the state the simulator reports (objects, events, Deployment facts,
timeline); the stored history read from its start gives the same; and the state rebuilt from the
database after the live copy is forgotten equals the live run's. (`test_compact.py` checks the
object codec alone over the soak scenarios.)"""
import pytest

from rolloutviz import compact, demos, protocol
from rolloutviz.models import TickRecord
from rolloutviz.services import live, simulations
from rolloutviz.services.named_commands import run_demo_step

pytestmark = pytest.mark.django_db(transaction=True)  # deltas are published after their commit

SECONDS_PER_STEP = 40  # simulated seconds after each demo step: rollouts move on between them


class Page:
    """A page of one simulation fed with the published layer messages, as the consumer forwards them."""

    def __init__(self, simulation_id: int) -> None:
        self.simulation_id = simulation_id
        self.viewer = protocol.Viewer()
        self.resyncs = 0
        self.load()

    def load(self) -> None:
        self.viewer.load(live.state(simulation_id=self.simulation_id))

    def receive(self, messages: list[dict]) -> None:
        for message in messages:
            if message["seq"] <= self.viewer.seq:
                continue  # published before this page's snapshot
            if message["type"] == protocol.LAYER_RESYNC:
                self.resyncs += 1
                self.load()
            else:
                assert message["seq"] == self.viewer.seq + 1, "a delta was skipped"
                self.viewer.apply(protocol.decode(message["text"]))


# The Deployment facts deltas keep current (a snapshot's ``describe`` is a picture of the moment;
# a delta's ``manifest_change`` says what a command just did).
FOLLOWED = ("manifest", "rollout_status", "history")


def holds(viewer: protocol.Viewer) -> tuple:
    """What a viewer holds, comparable as a whole."""
    deployments = {name: {key: facts.get(key) for key in FOLLOWED} for name, facts in viewer.deployments.items()}
    return viewer.seq, viewer.t, viewer.mirror.objects, viewer.events(), deployments, viewer.timeline


def reported(simulation_id: int) -> tuple[dict, dict]:
    """The objects and events the simulator reports now, by kind and name."""
    cluster = live.cluster_for_read(simulation_id=simulation_id)
    mirror = compact.Mirror.of(cluster)
    return mirror.objects, mirror.events


@pytest.mark.parametrize("key", sorted(d.key for d in demos.all_demos()))
def test_a_page_the_stored_history_and_a_restart_all_hold_what_the_simulator_reports(key, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda simulation_id, messages: sent.extend(messages))
    sim = simulations.simulation_create(demo=key)
    page = Page(sim.id)
    simulations.clock_step(simulation_id=sim.id, count=SECONDS_PER_STEP)
    for step in demos.get_demo(key).steps:
        run_demo_step(simulation_id=sim.id, command=step.command, args=step.args)
        simulations.clock_step(simulation_id=sim.id, count=SECONDS_PER_STEP)
        page.receive(sent)
        sent.clear()
        objects, events = reported(sim.id)
        assert (page.viewer.mirror.objects, page.viewer.events()) == (objects, events), step.title
        fresh = protocol.Viewer()  # a page connecting now: the snapshot alone
        fresh.load(live.state(simulation_id=sim.id))
        assert holds(page.viewer) == holds(fresh), step.title
    assert page.resyncs == 0
    # what each Service's client got, step by step, adds up to the simulator's totals
    cluster = live.cluster_for_read(simulation_id=sim.id)
    for service, entry in page.viewer.timeline["traffic"].items():
        totals = cluster.traffic(service)
        assert [sum(p[1] for p in entry["series"]), sum(p[2] for p in entry["series"])] == \
            [totals["ok"], totals["failed"]]
    assert bool(page.viewer.timeline["traffic"]) == any(s.command == "traffic" for s in demos.get_demo(key).steps)

    stored = protocol.Viewer()  # the stored history, read from its start
    for payload in TickRecord.objects.filter(simulation_id=sim.id).order_by("seq").values_list("payload", flat=True):
        stored.apply(payload)
    assert holds(stored) == holds(page.viewer)

    before = live.state(simulation_id=sim.id)
    live.forget()  # a restart: the state is rebuilt from the stored snapshot and the deltas after it
    assert live.state(simulation_id=sim.id) == before
    assert reported(sim.id) == (page.viewer.mirror.objects, page.viewer.events())
