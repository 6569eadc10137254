"""`make run-cluster`: the production layout on this machine — PostgreSQL, Redis, N Daphnes, `runclock`, nginx.

``python -m rolloutviz.local_cluster [--data .cluster] [--port 8080] [--daphnes 2]``

Every part is a child process listening on loopback only; everything they keep (the
PostgreSQL cluster, the collected static files, nginx's files, the logs) is in the ``--data``
folder, so nothing is installed or registered beyond Debian's packages. The Daphnes only serve
(``CLOCK_MODE=external``); `runclock` advances the simulations; nginx, configured from
``deploy/nginx.conf``, is the one address. Ctrl-C (or SIGTERM) stops everything, front to back.
If a part dies, the others are stopped too and the exit code is 1 (its log is named).
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from rolloutviz.local_processes import (ROOT, daphne_command, free_port, listening, manage, server_env, start, stop,
                                        wait_for)
from rolloutviz.local_services import MissingDependency, NginxServer, PostgresServer, RedisServer

DATABASE = "rolloutviz"


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


def _stop_on_signal(signum, frame) -> None:
    raise Stopped()


def ensure_database(server: PostgresServer, name: str) -> str:
    """The cluster's database for the app, made on first use; its ``DATABASE_URL``."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return server.url(name) if exists else server.create_database(name)


class LocalCluster:
    """The parts, started in dependency order; `stop` ends those that started, front to back."""

    def __init__(self, data: Path, *, port: int, daphnes: int, out=sys.stdout) -> None:
        self.data = data.resolve()
        self.port = port
        self.daphnes = daphnes
        self.out = out
        self.logs = self.data / "logs"
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.nginx: NginxServer | None = None
        self.processes: dict[str, subprocess.Popen] = {}  # in start order: the Daphnes, the clock

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def log_of(self, part: str) -> Path:
        """Where a part writes its log."""
        return {"postgres": self.data / "postgres" / "postgres.log",
                "nginx": self.data / "nginx" / "error.log"}.get(part, self.logs / f"{part}.log")

    def start(self) -> None:
        """Start every part, in dependency order, and print where each one is."""
        if listening(self.port):
            raise RuntimeError(f"port {self.port} is taken: choose another (CLUSTER_PORT=... for make, or --port)")
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres = PostgresServer(self.data / "postgres", free_port())
        self.postgres.initdb()
        self.postgres.start()
        self.say(f"PostgreSQL  127.0.0.1:{self.postgres.port}  (data in {self.postgres.data})")
        self.redis = RedisServer(free_port(), self.logs / "redis.log").start()
        self.say(f"Redis       {self.redis.url}")
        static = self.data / "static"
        env = server_env(ensure_database(self.postgres, DATABASE), REDIS_URL=self.redis.url, CLOCK_MODE="external",
                         ROLLOUTVIZ_STATIC_ROOT=str(static))
        manage(env, "migrate", "--noinput")
        manage(env, "load_demos", "--if-empty")
        manage(env, "collectstatic", "--noinput")
        ports = [free_port() for _ in range(self.daphnes)]
        for number, port in enumerate(ports, 1):
            self._process(f"daphne-{number}", daphne_command(port), env)
            wait_for(lambda: listening(port) or self._dead(), timeout=60, what=f"Daphne {number} to listen")
            if self._dead():
                raise RuntimeError(f"{self._dead()} exited at start (see {self.log_of(self._dead())})")
            self.say(f"Daphne {number}    127.0.0.1:{port}")
        self._process("runclock", [sys.executable, "-m", "django", "runclock"], env)
        self.say("runclock    advances the running simulations")
        self.nginx = NginxServer(self.data / "nginx", listen=self.port, upstreams=ports, static_root=static).start()
        self.say(f"nginx       {self.address}  (configuration from deploy/nginx.conf: {self.nginx.folder})")
        self.say(manage(env, "operator_link", "--base", self.address).strip())
        self.say(f"Open {self.address}/ — logs in {self.logs}; Ctrl-C stops everything.")

    def _process(self, name: str, argv: list[str], env: dict) -> None:
        self.processes[name] = start(argv, env, self.logs / f"{name}.log")

    def _dead(self) -> str | None:
        """The first part that exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        for name, part in (("nginx", self.nginx), ("redis", self.redis), ("postgres", self.postgres)):
            if part is not None and part.process is not None and part.process.poll() is not None:
                return name
        return None

    def watch(self) -> str:
        """Wait until a part exits; its name."""
        while True:
            dead = self._dead()
            if dead:
                return dead
            time.sleep(0.5)

    def stop(self) -> None:
        """nginx first (no new requests), the Daphnes and the clock (they release their leases), then the stores."""
        if self.nginx is not None:
            self.nginx.stop()
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                stop(process, timeout=20)
        for part in (self.redis, self.postgres):
            if part is not None:
                part.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the cluster until Ctrl-C or SIGTERM (exit code 0) or until a part dies (1)."""
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.local_cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".cluster",
                        help="folder for everything kept (default .cluster)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's loopback port (default 8080)")
    parser.add_argument("--daphnes", type=int, default=2, help="Daphne processes behind nginx (default 2)")
    args = parser.parse_args(argv)
    if args.daphnes < 1:
        parser.error("--daphnes must be at least 1")
    cluster = LocalCluster(args.data, port=args.port, daphnes=args.daphnes)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    try:
        cluster.start()
        dead = cluster.watch()
        cluster.say(f"{dead} exited (see {cluster.log_of(dead)}); stopping the others")
        return 1
    except Stopped:
        cluster.say("stopping...")
        return 0
    except (MissingDependency, RuntimeError, PermissionError, AssertionError) as error:
        cluster.say(f"cannot start the cluster: {error}")
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the shutdown short
            signal.signal(signum, signal.SIG_IGN)
        cluster.stop()
        cluster.say("stopped")


if __name__ == "__main__":
    sys.exit(main())
