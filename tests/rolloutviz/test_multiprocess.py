"""Two Daphne processes on one database (SQLite and PostgreSQL) and a real Redis channel layer.

Viewers on both processes see the same stream, byte for byte, although only the process
holding the clock lease advances the simulation; when that process is killed, the other one
takes the lease over and the stream goes on with no tick lost or repeated. Commands sent to
both servers at once while a clock host steps are each applied exactly once.
"""
import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from rolloutviz import compact, protocol
from rolloutviz.local_processes import free_port, wait_for

from live_servers import (TIMEOUT, Api, Database, Processes, Viewer, database, django, postgres,  # noqa: F401
                          redis_server, serializable_by_default, server_env, until)

pytestmark = pytest.mark.redis


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.kill_all()


@pytest.fixture
def redis_url(processes):
    return redis_server(processes, free_port())[1]


def prepare(env: dict, *, speed: float) -> tuple[int, str]:
    """Migrate the shared database and put a running rollout in it; (simulation id, operator token)."""
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c",
                 f"import live_scenario; print(live_scenario.prepared(running=True, speed={speed}))")
    sim_id, token = out.strip().splitlines()[-1].split()
    return int(sim_id), token


def assert_no_tick_lost_or_repeated(recorded: list[dict]) -> None:
    assert [p["seq"] for p in recorded] == list(range(1, len(recorded) + 1)), "a gap or a duplicate seq"
    steps = [p["t"] for p in recorded if p["cause"] == "step"]
    assert steps == [float(t) for t in range(1, len(steps) + 1)], "a tick lost or repeated"


async def test_two_servers_stream_identically_and_the_clock_fails_over(processes, redis_url, database):
    env = server_env(database, REDIS_URL=redis_url, CLOCK_MODE="inprocess")
    sim_id, token = prepare(env, speed=10)
    db = Database(database)

    ports = [free_port(), free_port()]
    servers = [processes.daphne(f"daphne-{i}", port, env) for i, port in enumerate(ports)]
    owner_pid = int(wait_for(lambda: db.simulation(sim_id)["lease_owner"], timeout=TIMEOUT,
                             what="a server to take the clock lease").split(":")[1])
    assert owner_pid in {s.pid for s in servers}
    owner = next(i for i, s in enumerate(servers) if s.pid == owner_pid)
    survivor = 1 - owner

    viewers = [Viewer(port, sim_id, token) for port in ports]
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
    assert_no_tick_lost_or_repeated(recorded)
    for seq, text in viewers[survivor].deltas.items():
        assert json.loads(text) == recorded[seq - 1], "a streamed delta differs from the recorded one"


async def test_with_a_clock_host_the_servers_only_serve(processes, redis_url, database):
    env = server_env(database, REDIS_URL=redis_url, CLOCK_MODE="external")
    sim_id, token = prepare(env, speed=10)
    db = Database(database)
    port = free_port()
    server = processes.daphne("daphne", port, env)
    viewer = Viewer(port, sim_id, token)
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


WAVES = 4  # of concurrent commands, each after the clock stepped again
PER_SERVER = 4  # commands per server and wave


async def test_commands_sent_to_both_servers_while_the_clock_runs_apply_exactly_once(processes, redis_url, database):
    if isinstance(database, str):
        # The commits' compare-and-set needs READ COMMITTED, which the settings ask for on every
        # connection: without that, these races were "could not serialize access" 500s here.
        serializable_by_default(database)
    # Rate limits off: the test fires commands faster than a person would.
    env = server_env(database, REDIS_URL=redis_url, CLOCK_MODE="external", LIMIT_COMMANDS_PER_SECOND="0")
    sim_id, token = prepare(env, speed=50)
    db = Database(database)
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        processes.daphne(f"daphne-{i}", port, env)
    processes.start("runclock", [sys.executable, "-m", "django", "runclock"], env)
    apis = [Api(f"http://127.0.0.1:{port}", token) for port in ports]
    viewers = [Viewer(port, sim_id, token) for port in ports]
    tasks = [asyncio.create_task(v.run()) for v in viewers]
    sent: list[int] = []
    answers: list[tuple[int, object]] = []
    try:
        await until(lambda: all(v.snapshot for v in viewers), "both snapshots")
        with ThreadPoolExecutor(max_workers=2 * PER_SERVER) as pool:
            for wave in range(WAVES):
                t = db.simulation(sim_id)["t"]
                await until(lambda: db.simulation(sim_id)["t"] > t, "the clock to step between waves")
                replicas = [7 + wave * 2 * PER_SERVER + n for n in range(2 * PER_SERVER)]  # each one distinct
                sent += replicas
                calls = [pool.submit(apis[n % 2].call, "POST", f"/api/simulations/{sim_id}/commands/scale",
                                     {"deployment": "web", "replicas": r}) for n, r in enumerate(replicas)]
                answers += await asyncio.gather(*(asyncio.wrap_future(c) for c in calls))
        final = db.simulation(sim_id)["seq"]
        await until(lambda: all(v.latest() >= final for v in viewers), "both viewers to catch up")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert [status for status, _ in answers] == [200] * len(sent), answers
    recorded = db.ticks(sim_id)
    assert_no_tick_lost_or_repeated(recorded)
    commands = db.query('SELECT "index", name, args FROM rolloutviz_commandrecord WHERE simulation_id = ? AND ok '
                        'ORDER BY "index"', sim_id)
    assert [index for index, _, _ in commands] == list(range(len(commands))), "command records numbered with a gap"
    scaled = [json.loads(args) if isinstance(args, str) else args for _, name, args in commands if name == "scale"]
    assert sorted(a["replicas"] for a in scaled) == sorted(sent), "a command lost or applied twice"
    # Records and deltas agree one for one, in the same order: each delta carries its command's change.
    held = compact.Mirror()  # the stored history read from its start, as a page reads the wire
    changes = {p["seq"]: protocol.payload_records(p, held)[0] for p in recorded}
    command_deltas = [p for p in recorded if p["cause"] == "command"][-len(sent):]
    assert [next(c["object"]["spec"]["replicas"] for c in changes[p["seq"]] if c["kind"] == "Deployment")
            for p in command_deltas] == [a["replicas"] for a in scaled]
    first, last = command_deltas[0]["seq"], command_deltas[-1]["seq"]
    assert any(p["cause"] == "step" for p in recorded[first - 1:last]), "the clock stepped among the commands"
    status, state = apis[0].call("GET", f"/api/simulations/{sim_id}/")
    assert status == 200
    reader = protocol.Viewer()
    reader.load(state)
    assert reader.objects("Deployment")[0]["spec"]["replicas"] == scaled[-1]["replicas"]
    for viewer in viewers:
        assert viewer.in_order(), "a viewer got a delta out of order without a re-sync"
        assert all(json.loads(text) == recorded[seq - 1] for seq, text in viewer.deltas.items())


@pytest.mark.postgres
async def test_owners_and_links_hold_across_servers_and_a_revoked_link_closes_sockets_on_both(
        processes, redis_url, postgres):
    env = server_env(postgres.new_database(), REDIS_URL=redis_url, CLOCK_MODE="inprocess",
                     LIMIT_COMMANDS_PER_SECOND="0")
    django(env, "migrate", "--noinput")
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        processes.daphne(f"daphne-{i}", port, env)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    owner = [Api(bases[0])]
    owner.append(Api(bases[1], jar=owner[0].jar))  # the same browser session, on the other server

    status, created = owner[0].call("POST", "/api/simulations/", {"demo": "nginx-docs"})
    assert status == 201, created
    sim = f"/api/simulations/{created['id']}/"
    assert owner[1].call("GET", sim)[0] == 200, "the owner is the owner on every server"
    assert Api(bases[1]).call("GET", sim)[0] == 404, "a stranger sees nothing"
    status, link = owner[1].call("POST", sim + "links", {"role": "view"})
    assert status == 201 and link["role"] == "view", link
    viewer = [Api(base, link["token"]) for base in bases]
    assert viewer[0].call("GET", sim)[0] == 200 and viewer[1].call("GET", sim)[0] == 200
    assert viewer[1].call("POST", sim + "commands/scale", {"deployment": "nginx-deployment", "replicas": 5})[0] == 403

    sockets = [Viewer(port, created["id"], link["token"]) for port in ports]
    tasks = [asyncio.create_task(s.run()) for s in sockets]
    try:
        await until(lambda: all(s.snapshot for s in sockets), "the link's sockets on both servers to get a snapshot")
        assert owner[0].call("DELETE", sim + f"links/{link['token']}")[0] == 204
        await until(lambda: all(s.closed for s in sockets), "both sockets to close after the revocation", timeout=15)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert [v.call("GET", sim)[0] for v in viewer] == [401, 401], "a revoked token is refused everywhere"
    assert owner[1].call("GET", sim)[0] == 200
