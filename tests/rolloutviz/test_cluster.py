"""`make run-cluster` (`rolloutviz.local_cluster`): PostgreSQL, Redis, two Daphnes, `runclock` and nginx
configured from deploy/nginx.conf, all on loopback, driven through nginx and stopped with Ctrl-C (SIGINT).
"""
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from rolloutviz.local_processes import ROOT, free_port, listening, wait_for

from live_servers import Api, Viewer, until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.nginx]
START_TIMEOUT = 240  # initdb, migrate, demos, collectstatic, two Daphnes: about 30 s on an idle machine


class Cluster:
    """A `python -m rolloutviz.local_cluster` process and what it printed."""

    def __init__(self, data: Path, port: int, output: Path) -> None:
        self.port, self.output = port, output
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CLOCK_MODE")}
        with open(output, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rolloutviz.local_cluster", "--data", str(data), "--port", str(port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def ports(self) -> list[int]:
        """Every port a part of it listens on (PostgreSQL, Redis, the Daphnes, nginx)."""
        return sorted({int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", self.printed())})

    def interrupt(self) -> int:
        """Ctrl-C; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=90)


@pytest.fixture
def cluster(tmp_path):
    data = Path(tempfile.mkdtemp(prefix="rolloutviz-cluster-"))  # under /tmp: the postgres account reaches it
    data.chmod(0o755)
    running = Cluster(data, free_port(), tmp_path / "cluster.out")
    try:
        wait_for(lambda: "Ctrl-C stops everything" in running.printed() or running.process.poll() is not None,
                 timeout=START_TIMEOUT, what="the cluster to start")
        assert running.process.poll() is None, running.printed()
        yield running
    finally:
        running.interrupt()
        shutil.rmtree(data, ignore_errors=True)


async def test_the_local_cluster_serves_through_nginx_and_stops_on_ctrl_c(cluster):
    base = f"http://127.0.0.1:{cluster.port}"
    token = re.search(r"Operator link \(keep it private\): (\S+)\?token=(\S+)", cluster.printed()).group(2)

    with urllib.request.urlopen(base + "/", timeout=30) as page:
        assert page.status == 200 and page.headers["Server"].startswith("nginx")
    # nginx serves the collected static files itself (its `expires 1h`), not a Daphne
    with urllib.request.urlopen(base + "/static/rolloutviz/dist/app.js", timeout=30) as script:
        assert script.headers["Cache-Control"] == "max-age=3600"
        assert script.read() == (ROOT / "static/rolloutviz/dist/app.js").read_bytes()

    api = Api(base, token)
    status, created = api.call("POST", "/api/simulations/", {"demo": "nginx-docs"})
    assert status == 201, created
    sim_id = created["id"]
    assert api.call("POST", f"/api/simulations/{sim_id}/commands/clock", {"running": True, "speed": 10})[0] == 200

    # Two pages' sockets through nginx: runclock's deltas reach them over Redis, whichever Daphne each landed on.
    viewers = [Viewer(cluster.port, sim_id, token) for _ in range(2)]
    tasks = [asyncio.create_task(v.run()) for v in viewers]
    try:
        await until(lambda: all(v.snapshot and v.latest() >= v.snapshot["seq"] + 3 for v in viewers),
                    "a snapshot and three deltas on both sockets")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert all(v.in_order() for v in viewers)

    # Too large for the API (over 1 MiB) and too large for nginx (over 2 MiB): both answer JSON.
    for size, limit in ((1_500_000, 1048576), (3_000_000, 2097152)):
        status, answer = api.call("POST", f"/api/simulations/{sim_id}/apply", {"yaml": "x" * size})
        assert (status, answer["errors"][0]["message"]) == (413, f"request body: larger than {limit} bytes")

    ports = cluster.ports()
    assert len(ports) == 5 and all(listening(p) for p in ports)  # PostgreSQL, Redis, two Daphnes, nginx
    assert cluster.interrupt() == 0, cluster.printed()
    assert cluster.printed().rstrip().endswith("stopped")
    assert not any(listening(p) for p in ports), "a part still listens after Ctrl-C"
