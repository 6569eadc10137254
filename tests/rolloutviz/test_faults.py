"""Faults with real parts, seen from an open page's socket and from the API: a full disk, a read-only
database, Redis killed and restarted, and a change made by another process (the CLI) on the
embedded default. Each stalls visibly ("stalled: <reason>") and recovers by itself, with no delta
lost or repeated after the recovery.
"""
import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, free_port, wait_for

from live_servers import TIMEOUT, Database, Processes, Viewer, django, redis_server, server_env, until


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.kill_all()


@pytest.fixture
def disk(tmp_path):
    """A small tmpfs of its own, to fill up or make read-only (root only)."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def prepared(env: dict, *, running: bool, speed: float = 10) -> int:
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c",
                 f"import live_scenario; print(live_scenario.prepare(running={running}, speed={speed}))")
    return int(out.strip().splitlines()[-1])


def api(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     headers={"Origin": f"http://127.0.0.1:{port}",
                                              "Authorization": f"Bearer {LOCAL_OPERATOR_TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


async def watching(viewer: Viewer):
    task = asyncio.create_task(viewer.run())
    await until(lambda: viewer.snapshot is not None, "the first snapshot")
    return task


async def stop(task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def recorded_in_order(db: Database, sim_id: int) -> None:
    recorded = db.ticks(sim_id)
    assert [p["seq"] for p in recorded] == list(range(1, len(recorded) + 1)), "a gap or a duplicate seq"
    steps = [p["t"] for p in recorded if p["cause"] == "step"]
    assert steps == [float(t) for t in range(1, len(steps) + 1)], "a tick lost or repeated"


async def test_a_cli_command_reaches_an_open_page_on_the_embedded_default(tmp_path, processes):
    env = server_env(tmp_path / "db.sqlite3")  # in-memory channel layer: nothing is shared but the database
    sim_id = prepared(env, running=False)
    port = free_port()
    processes.daphne("daphne", port, env)
    viewer = Viewer(port, sim_id)
    task = await watching(viewer)
    try:
        start = viewer.latest()
        out = django(env, "kubectl", "--sim", str(sim_id), "scale", "deployment/web", "--replicas=2")
        assert "scaled" in out
        loop = asyncio.get_running_loop()
        committed = loop.time()
        await until(lambda: start + 1 in viewer.deltas, "the CLI's delta on the open page")
        print(f"the CLI's delta reached the page {loop.time() - committed:.2f} s after the command ended")
        delta = json.loads(viewer.deltas[start + 1])
        assert (delta["cause"], delta["markers"][0]["label"]) == ("command", "scale")
    finally:
        await stop(task)
    assert viewer.in_order()


async def _stall_and_recover(db_path, disk, processes, *, break_it, mend_it, reason):
    env = server_env(db_path)
    sim_id = prepared(env, running=True)
    db = Database(db_path)
    port = free_port()
    processes.daphne("daphne", port, env)
    viewer = Viewer(port, sim_id)
    task = await watching(viewer)
    try:
        await until(lambda: viewer.latest() >= viewer.snapshot["seq"] + 5, "the clock to run")
        break_it()
        await until(lambda: viewer.stalled() is not None, "the page to be told it stalled")
        assert viewer.stalled() == reason
        # The API answers at once, in JSON (SQLite may refuse even reads on a full disk: then 503
        # with the reason).
        status, body = api(port, f"/api/simulations/{sim_id}/")
        assert status in (200, 503), body
        if status == 503:
            assert json.loads(body)["errors"][0]["message"].startswith("the database")
        frozen = viewer.latest()
        await asyncio.sleep(1.5)  # the clock keeps trying, and stays stalled
        assert viewer.stalled() == reason and viewer.latest() == frozen
        mend_it()
        await until(lambda: viewer.latest() >= frozen + 5, "the clock to go on by itself")
        assert viewer.stalled() is None
        status, body = api(port, f"/api/simulations/{sim_id}/")
        assert status == 200 and json.loads(body)["seq"] > frozen
    finally:
        await stop(task)
    assert viewer.in_order(), "a delta out of order or repeated after the recovery"
    recorded_in_order(db, sim_id)
    assert [s for s, _ in viewer.statuses] == ["stalled", "live"]


async def test_a_full_disk_stalls_the_page_visibly_and_it_recovers(disk, processes):
    filler = disk / "filler"

    def fill():
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)

    await _stall_and_recover(disk / "db.sqlite3", disk, processes, break_it=fill, mend_it=filler.unlink,
                             reason="the database disk is full")


async def test_a_read_only_database_stalls_the_page_visibly_and_it_recovers(disk, processes):
    def remount(mode):
        def run():
            # the kernel refuses a read-only remount ("mount point is busy") while a write is in
            # flight on the file system; the server writes every tick, so try again a moment later
            for _ in range(50):
                done = subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], capture_output=True, text=True)
                if done.returncode == 0:
                    return
                assert "busy" in done.stderr, done.stderr
                time.sleep(0.1)
            raise AssertionError(f"remount,{mode} of {disk}: still busy after 5 s")
        return run

    await _stall_and_recover(disk / "db.sqlite3", disk, processes, break_it=remount("ro"), mend_it=remount("rw"),
                             reason="the database is read-only")


@pytest.mark.redis
async def test_redis_killed_and_restarted_stalls_the_page_and_it_recovers(tmp_path, processes):
    redis_port = free_port()
    redis, url = redis_server(processes, redis_port)
    db_path = tmp_path / "db.sqlite3"
    env = server_env(db_path, REDIS_URL=url)
    sim_id = prepared(env, running=True)
    port = free_port()
    processes.daphne("daphne", port, env)
    viewer = Viewer(port, sim_id)
    task = await watching(viewer)
    try:
        await until(lambda: viewer.latest() >= viewer.snapshot["seq"] + 5, "the clock to run")
        processes.kill(redis)
        await until(lambda: viewer.stalled() is not None, "the page to be told the layer is lost")
        assert viewer.stalled() == "the channel layer (Redis) cannot be reached"
        status, _ = api(port, f"/api/simulations/{sim_id}/")  # the API does not need the layer
        assert status == 200
        at_loss = viewer.latest()
        redis_server(processes, redis_port, name="redis-again")
        await until(lambda: viewer.latest() >= at_loss + 10, "the stream to come back by itself")
        assert viewer.stalled() is None
    finally:
        await stop(task)
    assert viewer.in_order()
    assert [kind for kind, _ in viewer.stream].count("snapshot") >= 2  # what was missed came as a snapshot
    recorded_in_order(Database(db_path), sim_id)


def test_sigterm_stops_the_server_and_its_workers_promptly(tmp_path, processes):
    env = server_env(tmp_path / "db.sqlite3")
    prepared(env, running=True)
    port = free_port()
    server = processes.daphne("daphne", port, env)
    wait_for(lambda: len(_children(server.pid)) >= 2, timeout=TIMEOUT, what="the simulation workers")
    workers = _children(server.pid)
    assert Processes.terminate(server, timeout=20) == 0
    wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=10, what="the workers to end")


def _children(pid: int) -> list[int]:
    done = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


def _alive(pid: int) -> bool:
    done = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(done.stdout.strip()) and not done.stdout.strip().startswith("Z")

