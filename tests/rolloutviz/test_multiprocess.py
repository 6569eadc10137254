"""Two Daphne processes on one database and a real Redis channel layer.

Viewers on both processes see the same stream, byte for byte, although only the process
holding the clock lease advances the simulation; when that process is killed, the other one
takes the lease over and the stream goes on with no tick lost or repeated.
"""
import asyncio
import json
import sys

import pytest

from rolloutviz.local_processes import free_port, wait_for

from live_servers import TIMEOUT, Database, Processes, Viewer, django, redis_server, server_env, until

pytestmark = pytest.mark.redis


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.kill_all()


@pytest.fixture
def redis_url(processes):
    return redis_server(processes, free_port())[1]


async def test_two_servers_stream_identically_and_the_clock_fails_over(tmp_path, processes, redis_url):
    db_path = tmp_path / "shared.sqlite3"
    env = server_env(db_path, REDIS_URL=redis_url, CLOCK_MODE="inprocess")
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c", "import live_scenario; print(live_scenario.prepare(running=True, speed=10))")
    sim_id = int(out.strip().splitlines()[-1])
    db = Database(db_path)

    ports = [free_port(), free_port()]
    servers = [processes.daphne(f"daphne-{i}", port, env) for i, port in enumerate(ports)]
    owner_pid = int(wait_for(lambda: db.simulation(sim_id)["lease_owner"], timeout=TIMEOUT,
                             what="a server to take the clock lease").split(":")[1])
    assert owner_pid in {s.pid for s in servers}
    owner = next(i for i, s in enumerate(servers) if s.pid == owner_pid)
    survivor = 1 - owner

    viewers = [Viewer(port, sim_id) for port in ports]
    tasks = [asyncio.create_task(v.run()) for v in viewers]
    try:
        await until(lambda: all(v.snapshot for v in viewers), "both snapshots")
        start = max(v.snapshot["seq"] for v in viewers)
        await until(lambda: all(start + 10 in v.deltas for v in viewers), "ten deltas on both servers")
        common = range(start + 1, start + 11)
        assert [viewers[0].deltas[s] for s in common] == [viewers[1].deltas[s] for s in common]

        # A command from a third process (not the clock's): applied once, streamed to both.
        django(env, "shell", "-c", "from rolloutviz.services import live; live.execute("
               f"simulation_id={sim_id}, command='scale', args={{'name': 'web', 'replicas': 3}})")
        command_seq = next(p["seq"] for p in db.ticks(sim_id) if p["markers"] and p["markers"][0]["label"] == "scale")
        await until(lambda: all(v.latest() >= command_seq + 5 for v in viewers), "deltas after the command")
        # Its delta may overtake or trail the clock's (two publishers): then a viewer re-syncs.
        both = set(viewers[0].deltas) & set(viewers[1].deltas)
        assert all(viewers[0].deltas[seq] == viewers[1].deltas[seq] for seq in both)
        assert sum(1 for p in db.ticks(sim_id) if p["cause"] == "command") == 3  # apply, set_image, scale

        processes.kill(servers[owner])
        killed_at = db.simulation(sim_id)["seq"]
        await until(lambda: viewers[owner].closed, "the viewer of the killed server to be disconnected")
        await until(lambda: str(servers[survivor].pid) == db.simulation(sim_id)["lease_owner"].split(":")[1],
                    "the other server to take the clock over")
        await until(lambda: viewers[survivor].latest() >= killed_at + 10, "the stream to go on after the takeover")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert all(v.in_order() for v in viewers), "a viewer got a delta out of order without a re-sync"
    recorded = db.ticks(sim_id)
    assert [p["seq"] for p in recorded] == list(range(1, len(recorded) + 1))
    steps = [p["t"] for p in recorded if p["cause"] == "step"]
    assert steps == [float(t) for t in range(1, len(steps) + 1)], "a tick lost or repeated in the takeover"
    for seq, text in viewers[survivor].deltas.items():
        assert json.loads(text) == recorded[seq - 1], "a streamed delta differs from the recorded one"


async def test_with_a_clock_host_the_servers_only_serve(tmp_path, processes, redis_url):
    db_path = tmp_path / "shared.sqlite3"
    env = server_env(db_path, REDIS_URL=redis_url, CLOCK_MODE="external")
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c", "import live_scenario; print(live_scenario.prepare(running=True, speed=10))")
    sim_id = int(out.strip().splitlines()[-1])
    db = Database(db_path)
    port = free_port()
    server = processes.daphne("daphne", port, env)
    viewer = Viewer(port, sim_id)
    task = asyncio.create_task(viewer.run())
    try:
        await until(lambda: viewer.snapshot is not None, "the snapshot")
        start = viewer.snapshot["seq"]
        assert db.simulation(sim_id)["seq"] == start and db.simulation(sim_id)["lease_owner"] == ""
        clock = processes.start("runclock", [sys.executable, "-m", "django", "runclock"], env)
        await until(lambda: viewer.latest() >= start + 5, "deltas from the clock host")
        owner_pid = int(db.simulation(sim_id)["lease_owner"].split(":")[1])
        assert owner_pid == clock.pid != server.pid
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert viewer.in_order()
