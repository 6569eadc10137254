"""A real Daphne process killed mid-rollout and started again: the rollout goes on, no tick lost.

The server runs on a loopback port with a database of its own (a SQLite file, or a PostgreSQL
database); the clock starts inside it with no request. The recorded deltas of the interrupted
run must equal, one for one, those of an uninterrupted run with the same seed and commands
(made here, in the test's own database).
"""
import asyncio
import json

import pytest
import websockets

from live_scenario import WARM_UP_STEPS
from rolloutviz.local_processes import free_port, wait_for

from live_servers import Database, Processes, database, django, postgres, server_env  # noqa: F401
from rolloutviz import protocol
from rolloutviz.models import TickRecord
from rolloutviz.services import live

SETUP_SEQ = 1 + WARM_UP_STEPS + 1 + 1  # apply, warm-up steps, set_image, clock
KILL_AFTER = SETUP_SEQ + 5  # mid-rollout
COMPARE_UP_TO = SETUP_SEQ + 80  # the rollout has completed by then


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.kill_all()


@pytest.fixture
def server_db(database):
    env = server_env(database)
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c", "import live_scenario; print(live_scenario.prepared(running=True, speed=50))")
    sim_id, token = out.strip().splitlines()[-1].split()
    return database, env, int(sim_id), token


def _reference_payloads(count: int) -> list[dict]:
    import live_scenario

    live.forget()
    sim_id = live_scenario.prepare(running=True, speed=50)
    live.advance(simulation_id=sim_id, steps=count - SETUP_SEQ)
    return list(TickRecord.objects.filter(simulation_id=sim_id).order_by("seq").values_list("payload", flat=True))


@pytest.mark.django_db(transaction=True)
def test_killed_server_continues_the_rollout_without_losing_or_repeating_a_tick(server_db, processes):
    database, env, sim_id, _ = server_db
    db = Database(database)
    first = processes.daphne("daphne-1", free_port(), env)
    wait_for(lambda: db.simulation(sim_id)["seq"] >= KILL_AFTER, timeout=60, what="the clock to advance")
    processes.kill(first)
    killed_at = db.simulation(sim_id)["seq"]

    port = free_port()
    processes.daphne("daphne-2", port, env)
    wait_for(lambda: db.simulation(sim_id)["seq"] >= COMPARE_UP_TO, timeout=60,
             what="the restarted server to continue the rollout")

    recorded = db.ticks(sim_id)
    assert [p["seq"] for p in recorded] == list(range(1, len(recorded) + 1)), "a gap or a duplicate seq"
    steps = [p["t"] for p in recorded if p["cause"] == "step"]
    assert steps == [float(t) for t in range(1, len(steps) + 1)], "a tick lost or repeated"
    # ids differ by database; how well the clock kept its pace (clock.effective) is wall time, not simulation
    same_sim = lambda payloads: [  # noqa: E731
        {**p, "sim": None, "clock": {k: v for k, v in p["clock"].items() if k != "effective"}} for p in payloads]
    assert same_sim(recorded[:COMPARE_UP_TO]) == same_sim(_reference_payloads(COMPARE_UP_TO))
    done_at = next(p["seq"] for p in recorded[SETUP_SEQ:]
                   if p["deployments"].get("web", {}).get("rollout_status", {}).get("done"))
    assert killed_at < done_at <= COMPARE_UP_TO, "the rollout was interrupted and completed after the restart"


@pytest.mark.django_db(transaction=True)
async def test_restarted_server_streams_a_snapshot_then_the_next_deltas(server_db, processes):
    database, env, sim_id, token = server_db
    db = Database(database)
    first = processes.daphne("daphne-1", free_port(), env)
    wait_for(lambda: db.simulation(sim_id)["seq"] >= SETUP_SEQ + 5, timeout=60, what="the clock to advance")
    processes.kill(first)
    port = free_port()
    processes.daphne("daphne-2", port, env)
    url = f"ws://127.0.0.1:{port}/ws/simulations/{sim_id}/?token={token}"
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}", open_timeout=10) as socket:
        snapshot = json.loads(await asyncio.wait_for(socket.recv(), 15))
        assert snapshot["type"] == "snapshot" and snapshot["seq"] >= SETUP_SEQ + 5
        viewer = protocol.Viewer()
        viewer.load(snapshot["state"])
        assert {d["metadata"]["name"] for d in viewer.objects("Deployment")} == {"web"}
        seqs = []
        while len(seqs) < 5:
            message = json.loads(await asyncio.wait_for(socket.recv(), 15))
            assert message["type"] == "delta"
            seqs.append(message["seq"])
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 6))


def test_a_server_stopped_gracefully_releases_its_clock_lease(server_db, processes):
    database, env, sim_id, _ = server_db
    db = Database(database)
    server = processes.daphne("daphne", free_port(), env)
    owner = wait_for(lambda: db.simulation(sim_id)["lease_owner"], timeout=30, what="the clock lease")
    assert owner.split(":")[1] == str(server.pid)
    processes.terminate(server)
    assert db.simulation(sim_id)["lease_owner"] == ""
