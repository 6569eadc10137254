"""Rewind (`rolloutviz.services.rewind`, GET …/state?t=|seq=, copy at a moment): the state at any
recorded moment of a driven scenario equals the state that was live then — every seq, and every
time (the last change at or before it) — through the service and over HTTP; runs before a reset
stay reachable by seq; bad moments are refused with their field and change nothing; a copy made at
a moment continues exactly as the source did; the kubectl texts and the Why panel at a moment are
those of then; who may rewind is who may view."""
import json
import math

import pytest
from django.test import Client

from rolloutviz import protocol
from rolloutviz.models import CommandRecord, Simulation, TickRecord
from rolloutviz.services import explanations, kubectl, links, live, rewind, rewind_record, simulations

pytestmark = pytest.mark.django_db(transaction=True)

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
        readinessProbe:
          httpGet: {path: /, port: 80}
          periodSeconds: 2
"""

# (what, command, args, steps after it): a rolling update, a typo image, undo, scale, a pod
# deleted, a node down and up again, with the clock's speed changed on the way
SCENARIO = [
    ("apply", "apply", {"source": MANIFEST}, 12),
    ("rolling update", "set_image", {"name": "web", "container": "app", "image": "nginx:1.16.1"}, 15),
    ("typo image", "set_image", {"name": "web", "container": "app", "image": "nginx:1.161"}, 8),
    ("undo", "rollout_undo", {"name": "web"}, 10),
    ("scale", "scale", {"name": "web", "replicas": 5}, 8),
    ("pod deletion", "delete_pod", None, 6),
    ("node down", "set_node_ready", {"node_name": "node-1", "ready": False}, 8),
    ("node up", "set_node_ready", {"node_name": "node-1", "ready": True}, 6),
]


def _first_pod(sim_id: int) -> str:
    return live.read(simulation_id=sim_id, view=first_pod_name)


def first_pod_name(reader) -> str:
    """(A `live.read` view: module-level.)"""
    return reader.mirror.names("Pod")[0]


def drive(sim_id: int, scenario=SCENARIO) -> dict[int, dict]:
    """Run the scenario one delta at a time; the live state after each delta, by seq."""
    seen = {}

    def note():
        state = live.state(simulation_id=sim_id)
        seen[state["seq"]] = state

    for _, command, args, steps in scenario:
        live.execute(simulation_id=sim_id, command=command, args=args or {"name": _first_pod(sim_id)})
        note()
        if command == "scale":
            live.set_clock(simulation_id=sim_id, speed=2.0)
            note()
        for _ in range(steps):
            live.advance(simulation_id=sim_id, steps=1)
            note()
    return seen


@pytest.fixture
def driven():
    sim = Simulation.objects.create(name="rewind", seed=11)
    return sim.id, drive(sim.id)


def at(sim_id: int, seq: int) -> dict:
    return protocol.decode(rewind.state_text_at(simulation_id=sim_id, seq=seq))


def test_every_recorded_seq_rewinds_to_exactly_the_state_that_was_live_then(driven):
    sim_id, seen = driven
    assert len(seen) > 80
    order = sorted(seen)
    # backwards (each seek rebuilt from the record), then forwards (each from the moment before)
    for seq in [*reversed(order[::7]), *order]:
        assert at(sim_id, seq) == seen[seq], seq


@pytest.fixture
def cold():
    """A process that has rebuilt nothing yet: no folded run, no kept moment, no state answered."""
    def forget():
        rewind_record._runs.clear()
        rewind._kept.clear()
        rewind._texts.clear()
    forget()
    yield forget
    forget()


# the order seeks come in, from a process that has folded nothing: each reads the run folded so
# far back, or extends it past its end
SEEK_ORDERS = {
    "from the middle, then back, then on past the fold's end": lambda seqs: [
        *seqs[len(seqs) // 2::-3], *seqs[len(seqs) // 2::2]],
    "forward one at a time": lambda seqs: seqs,
    "to and fro over one stretch": lambda seqs: [seq for pair in zip(seqs[20:40], reversed(seqs[10:30]))
                                                 for seq in pair],
}


@pytest.mark.parametrize("order", list(SEEK_ORDERS))
def test_the_folded_run_answers_any_seq_exactly_whichever_order_seeks_come_in(driven, cold, order):
    sim_id, seen = driven
    for seq in SEEK_ORDERS[order](sorted(seen)):
        assert at(sim_id, seq) == seen[seq], seq
        if seq % 11 == 0:  # now and then a process that starts again
            cold()


def test_seeks_on_both_sides_of_a_reset_read_each_run_apart(cold):
    sim = Simulation.objects.create(name="reset", seed=3)
    before = drive(sim.id, SCENARIO[:3])
    reset_seq = simulations.simulation_reset(simulation_id=sim.id)
    after = {reset_seq: live.state(simulation_id=sim.id), **drive(sim.id, SCENARIO[:2])}
    seen = {**before, **after}
    last_before = max(before)
    # after the reset first (its run folded from the reset on), then the run before it, then across
    for seq in [max(after), reset_seq + 3, reset_seq, last_before, last_before - 4, 2,
                reset_seq + 1, last_before - 1, max(after) - 1, reset_seq]:
        assert at(sim.id, seq) == seen[seq], seq
    assert at(sim.id, last_before)["timeline"]["pods"] and not at(sim.id, reset_seq)["timeline"]["pods"]


def test_a_time_rewinds_to_the_last_change_at_or_before_it(driven):
    sim_id, seen = driven
    last_at: dict[float, int] = {}
    for seq, state in sorted(seen.items()):
        last_at[state["t"]] = seq
    end = max(last_at)
    for t, seq in sorted(last_at.items())[::3]:
        for asked in (t, t + 0.5) if t < end else (t,):  # between two steps (1 s each): still the earlier
            found = rewind.resolve(sim_id, t=asked)
            assert found == seq, asked
            assert at(sim_id, found) == seen[seq]


def test_a_run_before_a_reset_is_reached_by_seq_and_times_are_those_since_the_reset():
    sim = Simulation.objects.create(name="reset", seed=3)
    before = drive(sim.id, SCENARIO[:2])
    reset_seq = simulations.simulation_reset(simulation_id=sim.id)
    fresh = live.state(simulation_id=sim.id)
    after = drive(sim.id, SCENARIO[:1])
    for seq in sorted(before)[::5] + sorted(after)[::5]:
        assert at(sim.id, seq) == {**before, **after}[seq], seq
    assert at(sim.id, reset_seq) == fresh
    assert fresh["timeline"]["pods"] == [] and not [o for o in fresh["objects"] if o[1] == "Pod"]
    # t=5 names the run since the reset, not the same instant before it
    assert rewind.resolve(sim.id, t=5.0) > reset_seq
    assert at(sim.id, rewind.resolve(sim.id, t=5.0)) == after[rewind.resolve(sim.id, t=5.0)]


def test_the_kubectl_texts_and_the_why_panel_at_a_moment_are_those_of_then(driven):
    sim_id, seen = driven
    for seq in sorted(seen)[5::17]:
        now = live.state(simulation_id=sim_id)["seq"]
        assert now > seq
        described = kubectl.kubectl_view(simulation_id=sim_id, args="describe deployment web", seq=seq)
        assert described == seen[seq]["deployments"]["web"]["describe"]
        pods_then = kubectl.kubectl_view(simulation_id=sim_id, args="get pods", seq=seq)
        names_then = {row[2] for row in seen[seq]["objects"] if row[1] == "Pod" and row[0] == "A"}
        assert {line.split()[0] for line in pods_then.splitlines()[1:]} == names_then
        why = explanations.explanations(simulation_id=sim_id, seq=seq)
        assert why["t"] == seen[seq]["t"]


def test_a_copy_at_a_moment_continues_exactly_as_the_source_did():
    sim = Simulation.objects.create(name="branch", seed=5)
    seen = drive(sim.id, SCENARIO[:3])
    moment = sorted(seen)[-6]  # five steps before the end: only steps follow it
    copy_id = rewind.copy_at(simulation_id=sim.id, seq=moment)
    copy = Simulation.objects.get(pk=copy_id)
    assert (copy.seq, copy.running, copy.sim_time) == (moment, False, seen[moment]["t"])
    copied = live.state(simulation_id=copy_id)
    assert {**copied, "sim": sim.id} == seen[moment]
    assert CommandRecord.objects.filter(simulation_id=copy_id).count() == 3
    live.advance(simulation_id=copy_id, steps=5)
    source = TickRecord.objects.filter(simulation_id=sim.id, seq__gt=moment).order_by("seq")
    branch = TickRecord.objects.filter(simulation_id=copy_id, seq__gt=moment).order_by("seq")
    assert [{**t.payload, "sim": 0} for t in branch] == [{**t.payload, "sim": 0} for t in source]
    assert live.state(simulation_id=copy_id)["timeline"] == seen[max(seen)]["timeline"]


# ---------------------------------------------------------------- over HTTP


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def owned():
    owner = Client()
    sim_id = post(owner, "/api/simulations/", {"name": "http"}).json()["id"]
    assert post(owner, f"/api/simulations/{sim_id}/apply", {"yaml": MANIFEST}).status_code == 200
    assert post(owner, f"/api/simulations/{sim_id}/commands/step", {"count": 10}).status_code == 200
    return owner, sim_id


BAD_MOMENTS = {
    "not a number": ("t=abc", "t", 400),
    "NaN": ("t=nan", "t", 400),
    "infinity": ("t=inf", "t", 400),
    "before the record": ("t=-1", "t", 400),
    "after the record": ("t=10.5", "t", 400),
    "both": ("t=1&seq=1", "t", 400),
    "neither": ("", "t", 400),
    "negative seq": ("seq=-1", "seq", 400),
    "fractional seq": ("seq=1.5", "seq", 400),
    "seq never recorded": ("seq=12", "", 404),
}


@pytest.mark.parametrize("case", list(BAD_MOMENTS))
def test_a_bad_moment_is_refused_with_its_field_and_changes_nothing(owned, case):
    owner, sim_id = owned
    query, field, status = BAD_MOMENTS[case]
    before = Simulation.objects.get(pk=sim_id).seq
    for answer in (owner.get(f"/api/simulations/{sim_id}/state?{query}"),
                   owner.get(f"/api/simulations/{sim_id}/kubectl?args=get+pods&{query or 'seq=x'}"),
                   post(owner, f"/api/simulations/{sim_id}/copy", _body(query) or {"t": None})):
        assert answer.status_code == status, (case, answer.content)
        errors = answer.json()["errors"]
        assert errors[0]["message"] and (errors[0]["field"] or "") == (field if query else errors[0]["field"])
    assert Simulation.objects.get(pk=sim_id).seq == before
    assert Simulation.objects.count() == 1


def _body(query: str) -> dict:
    body = {}
    for part in filter(None, query.split("&")):
        key, _, value = part.partition("=")
        try:
            number = float(value)
            body[key] = int(number) if number.is_integer() and "." not in value else number
        except ValueError:
            body[key] = value
        if isinstance(body[key], float) and not math.isfinite(body[key]):
            body[key] = value  # JSON has no NaN: sent as text
    return body


def test_over_http_state_at_a_time_is_the_detail_answered_then_and_copy_takes_t(owned):
    owner, sim_id = owned
    then = owner.get(f"/api/simulations/{sim_id}/").json()
    assert post(owner, f"/api/simulations/{sim_id}/commands/step", {"count": 5}).status_code == 200
    assert owner.get(f"/api/simulations/{sim_id}/state?t={then['t']}").json() == then
    assert owner.get(f"/api/simulations/{sim_id}/state?seq={then['seq']}").json() == then
    text = owner.get(f"/api/simulations/{sim_id}/kubectl?args=describe+deployment+web&t={then['t']}").json()["text"]
    assert text == then["deployments"]["web"]["describe"]
    made = post(owner, f"/api/simulations/{sim_id}/copy", {"t": then["t"]})
    assert made.status_code == 201 and (made.json()["seq"], made.json()["t"]) == (then["seq"], then["t"])
    assert {**owner.get(f"/api/simulations/{made.json()['id']}/").json(), "sim": sim_id} == then


def test_who_may_rewind_is_who_may_view(owned):
    owner, sim_id = owned
    viewer = Client()
    link = links.link_create(simulation_id=sim_id, role="view")
    assert viewer.get(links.link_path(link)).status_code == 302
    stranger = Client()
    assert stranger.get(f"/api/simulations/{sim_id}/state?seq=1").status_code == 404
    assert post(stranger, f"/api/simulations/{sim_id}/copy", {"seq": 1}).status_code == 404
    assert viewer.get(f"/api/simulations/{sim_id}/state?seq=1").json()["seq"] == 1
    made = post(viewer, f"/api/simulations/{sim_id}/copy", {"seq": 1})
    assert made.status_code == 201 and made.json()["role"] == "owner"
    assert owner.get(f"/api/simulations/{made.json()['id']}/").status_code == 404  # the viewer's own
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {link.token}")
    assert bearer.get(f"/api/simulations/{sim_id}/state?t=0").status_code == 200


def test_played_back_deltas_bring_the_state_at_a_moment_to_any_later_one(driven):
    sim_id, seen = driven
    order = sorted(seen)
    start, end = order[10], order[-1]
    viewer = protocol.Viewer()
    viewer.load(at(sim_id, start))
    position = start
    while position < end:
        deltas = protocol.decode(rewind.deltas_text(sim_id, after=position, upto=end))["deltas"]
        assert deltas and deltas[0]["seq"] == position + 1
        for delta in deltas:
            viewer.apply(delta)
        position = deltas[-1]["seq"]
    fresh = protocol.Viewer()
    fresh.load(seen[end])
    assert (viewer.seq, viewer.mirror.objects, viewer.events(), viewer.timeline) == (
        fresh.seq, fresh.mirror.objects, fresh.events(), fresh.timeline)


@pytest.mark.parametrize("query,field,status", [
    pytest.param("after=3&upto=3", "upto", 400, id="empty range"),
    pytest.param("after=x&upto=3", "after", 400, id="not a seq"),
    pytest.param("upto=3", "after", 400, id="after missing"),
    pytest.param("after=0&upto=99", "", 404, id="past the record"),
])
def test_a_bad_playback_range_is_refused(owned, query, field, status):
    owner, sim_id = owned
    answer = owner.get(f"/api/simulations/{sim_id}/deltas?{query}")
    assert answer.status_code == status and (answer.json()["errors"][0]["field"] or "") == field
    assert len(owner.get(f"/api/simulations/{sim_id}/deltas?after=0&upto=3").json()["deltas"]) == 3


def test_a_simulation_with_nothing_recorded_rewinds_to_its_empty_start():
    owner = Client()
    sim_id = post(owner, "/api/simulations/", {"name": "empty"}).json()["id"]
    empty = owner.get(f"/api/simulations/{sim_id}/").json()
    assert empty["seq"] == 0
    assert owner.get(f"/api/simulations/{sim_id}/state?seq=0").json() == empty
    assert owner.get(f"/api/simulations/{sim_id}/state?t=0").json() == empty
    assert owner.get(f"/api/simulations/{sim_id}/state?t=0.5").status_code == 400
