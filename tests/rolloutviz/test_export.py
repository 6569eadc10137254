"""The full recorded history (GET …/history.json) streams: the same JSON document as ever, sent in pieces read a page
at a time, so exporting a record of many megabytes keeps only a few pages in memory."""
import json
import re
import tracemalloc
import urllib.request
from pathlib import Path

import pytest
from django.test import AsyncClient

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, DaphneServer, manage, server_env
from rolloutviz.models import CommandRecord, Simulation, Snapshot, TickRecord
from rolloutviz.services import commands, history, live, simulations

pytestmark = pytest.mark.django_db(transaction=True)


def exported(sim_id: int) -> dict:
    return json.loads("".join(history.recorded_history(simulation_id=sim_id)))


WEB = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n"
       "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
       "    spec:\n      containers: [{name: app, image: nginx:1.14.2}]\n")


def record_history(simulation: Simulation) -> Simulation:
    """Give ``simulation`` commands, steps and snapshots."""
    sid = {"simulation_id": simulation.id}
    commands.manifest_apply(**sid, yaml_text=WEB)
    simulations.clock_step(**sid, count=12)
    commands.deployment_scale(**sid, deployment="web", replicas=2)
    commands.deployment_set_image(**sid, deployment="web", container="app", image="nginx:1.16.1")
    simulations.clock_step(**sid, count=70)
    return simulation


@pytest.fixture
def recorded(simulation):
    return record_history(simulation)


@pytest.mark.parametrize("page_bytes", [1, 2_000, 2 * 1024 * 1024], ids=["one-row-pages", "small-pages", "default"])
def test_the_document_holds_the_whole_record(recorded, monkeypatch, page_bytes):
    monkeypatch.setattr(history, "EXPORT_PAGE_BYTES", page_bytes)
    sim = Simulation.objects.get(pk=recorded.id)
    document = exported(sim.id)
    assert list(document) == ["v", "simulation", "deployments", "commands", "snapshots", "deltas"]
    assert document["simulation"]["seq"] == sim.seq == len(document["deltas"])
    assert document["deltas"] == list(sim.ticks.order_by("seq").values_list("payload", flat=True))
    snapshots = Snapshot.objects.filter(simulation=sim).order_by("seq", "id")
    assert document["snapshots"] == [{"seq": s.seq, "t": s.sim_time, "state": s.state} for s in snapshots]
    assert [c["name"] for c in document["commands"]] == ["apply", "scale", "set_image"]
    assert [r["revision"] for r in document["deployments"][0]["revisions"]] == [1, 2]


@pytest.mark.parametrize(
    "sizes, budget, bounds",
    [
        ([], 10, []),
        ([(1, 3), (2, 3), (3, 3)], 10, [(1, 3)]),
        ([(1, 3), (2, 3), (3, 3), (4, 3)], 10, [(1, 3), (4, 4)]),
        ([(1, 50), (2, 1), (3, 1)], 10, [(1, 1), (2, 3)]),
        ([(1, 1), (2, 50), (3, 1)], 10, [(1, 1), (2, 2), (3, 3)]),
        ([(5, 10), (9, 10)], 10, [(5, 5), (9, 9)]),
    ],
    ids=["nothing", "all-fit", "one-more", "big-row-first", "big-row-between", "each-exactly-the-budget"],
)
def test_page_bounds(sizes, budget, bounds):
    assert history.page_bounds(sizes, budget) == bounds


def test_an_empty_record(simulation):
    document = exported(simulation.id)
    assert (document["commands"], document["snapshots"], document["deltas"]) == ([], [], [])


def test_the_record_is_the_one_when_the_export_began(recorded):
    pieces = history.recorded_history(simulation_id=recorded.id)
    seq = Simulation.objects.get(pk=recorded.id).seq
    simulations.clock_step(simulation_id=recorded.id, count=5)  # while the download is under way
    commands.deployment_scale(simulation_id=recorded.id, deployment="web", replicas=3)
    document = json.loads("".join(pieces))
    assert len(document["deltas"]) == seq
    assert [c["name"] for c in document["commands"]] == ["apply", "scale", "set_image"]


def _inflate(sim: Simulation, megabytes: int) -> int:
    """Add recorded steps and snapshots, each as big as a 500-pod one, to about ``megabytes``
    (the steps in the first wire's shape, whole objects: the export passes old records through too)."""
    sim.refresh_from_db()
    delta = sim.ticks.order_by("-seq").values_list("payload", flat=True)[0]
    pod = live.cluster_for_read(simulation_id=sim.id).list("pod")[0]
    big = {**delta, "v": 1, "changes": [{"type": "MODIFIED", "kind": "Pod", "name": f"p{i}", "namespace": "default",
                                 "object": pod} for i in range(500)]}
    size = len(json.dumps(big))
    rows = megabytes * 1024 * 1024 // size
    seq = sim.seq
    TickRecord.objects.bulk_create(
        [TickRecord(simulation=sim, seq=seq + i + 1, sim_time=seq + i + 1, payload={**big, "seq": seq + i + 1})
         for i in range(rows // 2)], batch_size=20)
    Snapshot.objects.bulk_create(
        [Snapshot(simulation=sim, seq=seq + i + 1, sim_time=seq + i + 1, state={"pods": big["changes"]})
         for i in range(rows // 2)], batch_size=20)
    Simulation.objects.filter(pk=sim.id).update(seq=seq + rows // 2)
    return rows * size


async def test_exporting_a_large_record_keeps_little_in_memory(recorded, operator_token):
    from asgiref.sync import sync_to_async

    record_bytes = await sync_to_async(_inflate)(recorded, 80)
    response = await AsyncClient().get(f"/api/simulations/{recorded.id}/history.json",
                                       headers={"Authorization": f"Bearer {operator_token}"})
    assert response.status_code == 200 and response.is_async  # streamed, not built first
    assert response["Content-Disposition"] == f'attachment; filename="simulation-{recorded.id}-history.json"'
    tracemalloc.start()
    try:
        pieces, sent = [], 0
        async for piece in response.streaming_content:
            sent += len(piece)
            pieces.append(len(piece))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent > record_bytes * 0.95
    # Built in memory (before), an 80 MB record peaked at 456 MiB; streamed, a page or two of
    # EXPORT_PAGE_BYTES (2 MiB): about 4 MiB measured, bounded here generously.
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while sending {sent / 2**20:.1f} MiB"
    assert max(pieces) < 8 * 1024 * 1024
    assert await sync_to_async(CommandRecord.objects.filter(simulation_id=recorded.id).count)() == 3


def _peak_rss(pid: int) -> int:
    """The process's peak resident set so far (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


@pytest.mark.django_db(transaction=False)
def test_a_real_server_streams_a_large_record_in_bounded_memory(tmp_path):
    env = server_env(tmp_path / "export.sqlite3", path=(Path(__file__).parent,), CLOCK_MODE="external")
    manage(env, "migrate", "--noinput")
    out = manage(env, "shell", "-c", "import test_export as t; from rolloutviz.services import simulations as s; "
                                     "sim = t.record_history(s.simulation_create(name='big')); "
                                     "print(sim.id, t._inflate(sim, 120))")
    sim_id, record_bytes = map(int, out.splitlines()[-1].split())
    with DaphneServer(env, tmp_path / "daphne.log").start(migrate=False) as server:
        url = f"{server.url}/api/simulations/{sim_id}/history.json"
        operator = {"Authorization": f"Bearer {LOCAL_OPERATOR_TOKEN}"}
        urllib.request.urlopen(urllib.request.Request(f"{server.url}/api/simulations/{sim_id}/timeline?until=1",
                                                      headers=operator)).read()  # warm up
        before = _peak_rss(server.process.pid)
        with urllib.request.urlopen(urllib.request.Request(url, headers=operator), timeout=120) as answer:
            assert answer.headers["Transfer-Encoding"] == "chunked"
            body = answer.read()
        grown = _peak_rss(server.process.pid) - before
    document = json.loads(body)
    assert len(body) > record_bytes * 0.95 and document["simulation"]["id"] == sim_id
    assert len(document["deltas"]) == document["simulation"]["seq"]
    # Built in memory the server grew by several times the record (120 MB); streamed, by pages.
    assert grown < 64 * 1024 * 1024, f"the server's peak RSS grew by {grown / 2**20:.0f} MiB"
