"""Debian's PostgreSQL, redis-server and nginx as private processes on loopback, for the tests and `make run-cluster`.

Each runs from a folder of its own (data, configuration, log), is a child of the caller (no
daemon, nothing installed or registered globally) and is stopped with `stop`, whatever happened.
A missing program raises `MissingDependency`, which names the Debian package to install:
the tests fail with it rather than skip.
"""
from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import psycopg

from rolloutviz.local_processes import ROOT, kill, listening, stop, wait_for

NGINX_SAMPLE = ROOT / "deploy" / "nginx.conf"
POSTGRES_SUPERUSER = "rolloutviz"


class MissingDependency(RuntimeError):
    """A program these services need is not installed (the message names its Debian package)."""


def _program(name: str, package: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None)
    if path is None:
        raise MissingDependency(f"{name} is not installed: install Debian's {package} "
                                "(`make system-deps` does, as root)")
    return path


def _log(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "ab")


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb`` and ``postgres``."""
    versions = sorted(
        (d for d in Path("/usr/lib/postgresql").glob("*/bin") if (d / "initdb").exists() and (d / "postgres").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    if not versions:
        raise MissingDependency("PostgreSQL's initdb and postgres are not in /usr/lib/postgresql/*/bin: "
                                "install Debian's postgresql (`make system-deps` does, as root)")
    return versions[-1]


def _postgres_account() -> pwd.struct_passwd | None:
    """Who runs PostgreSQL: the ``postgres`` account when we are root (PostgreSQL refuses root), else us."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise MissingDependency("running as root, PostgreSQL needs the postgres account: install Debian's "
                                "postgresql (`make system-deps` does)") from None


def _reachable_by(account: pwd.struct_passwd, folder: Path) -> None:
    """Fail clearly when ``account`` cannot walk down to ``folder`` (e.g. a checkout under /root)."""
    for parent in reversed(folder.resolve().parents):
        mode = parent.stat()
        if mode.st_uid != account.pw_uid and not mode.st_mode & stat.S_IXOTH:
            raise PermissionError(f"PostgreSQL runs as {account.pw_name}, which cannot enter {parent}: "
                                  f"use a data folder it can reach, or `chmod o+x {parent}`")


class PostgresServer:
    """A PostgreSQL cluster of its own in ``folder``, listening on 127.0.0.1:``port`` only.

    The superuser `POSTGRES_SUPERUSER` logs in with a password (scram) made at `initdb` and
    kept in ``folder/password``; there is no Unix socket. ``settings`` are extra server
    settings (the tests turn durability off: their clusters are thrown away).
    """

    def __init__(self, folder: Path, port: int, *, settings: dict[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.port = port
        self.settings = settings or {}
        self.account = _postgres_account()
        self.process: subprocess.Popen | None = None

    @property
    def password(self) -> str:
        return (self.folder / "password").read_text().strip()

    def url(self, database: str) -> str:
        """The ``DATABASE_URL`` of one database of this cluster."""
        return f"postgres://{POSTGRES_SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self) -> dict:
        if self.account is None:
            return {}
        return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}

    def initdb(self) -> None:
        """Create the cluster, unless ``folder`` already holds one."""
        if (self.data / "PG_VERSION").exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        password = self.folder / "password"
        password.write_text(secrets.token_urlsafe(18) + "\n")
        password.chmod(0o600)
        if self.account is not None:
            _reachable_by(self.account, self.folder)
            os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)
            os.chown(password, self.account.pw_uid, self.account.pw_gid)
        done = subprocess.run(
            [str(postgres_bin() / "initdb"), "-D", str(self.data), "-U", POSTGRES_SUPERUSER, "-E", "UTF8",
             "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={password}"],
            cwd=self.folder, capture_output=True, text=True, timeout=120, **self._as_owner(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> "PostgresServer":
        """Start the server (after `initdb`) and wait (60 s at most) until it takes connections."""
        options = {"listen_addresses": "127.0.0.1", "port": str(self.port), "unix_socket_directories": "",
                   "logging_collector": "off", **self.settings}
        argv = [str(postgres_bin() / "postgres"), "-D", str(self.data)]
        for name, value in options.items():
            argv += ["-c", f"{name}={value}"]
        with _log(self.folder / "postgres.log") as log:
            self.process = subprocess.Popen(argv, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, **self._as_owner())
        wait_for(lambda: self._accepts() or self.process.poll() is not None, timeout=60,
                 what="PostgreSQL to take connections")
        if self.process.poll() is not None:
            raise RuntimeError("PostgreSQL exited at start:\n" + self.log())
        return self

    def _accepts(self) -> bool:
        if not listening(self.port):
            return False
        try:
            self.execute("SELECT 1")
        except Exception:  # e.g. "the database system is starting up"
            return False
        return True

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE DATABASE needs that)."""
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its ``DATABASE_URL``."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def log(self) -> str:
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster ends the sessions, then the server); SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill(self.process)


# ---------------------------------------------------------------- Redis


def redis_command(port: int) -> list[str]:
    """The command line of a redis-server on 127.0.0.1:``port`` that keeps nothing on disk."""
    return [_program("redis-server", "redis-server"), "--bind", "127.0.0.1", "--port", str(port),
            "--save", "", "--appendonly", "no"]


class RedisServer:
    """A redis-server on 127.0.0.1:``port`` that keeps nothing on disk (the channel layer and counters only)."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        """Start it and wait (15 s at most) until it listens."""
        with _log(self.log_path) as log:
            self.process = subprocess.Popen(redis_command(self.port), cwd=self.log_path.parent, env={}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: listening(self.port) or self.process.poll() is not None, timeout=15, what="redis-server")
        if self.process.poll() is not None:
            raise RuntimeError("redis-server exited at start:\n" + self.log_path.read_text(errors="replace")[-4000:])
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


# ---------------------------------------------------------------- nginx


def render_site(sample: str, *, listen: int, upstreams: list[int], static_root: Path) -> str:
    """``deploy/nginx.conf`` with this machine's ports and static folder (ValueError if its shape changed).

    The sample is valid nginx as it stands; what a real deployment edits — the upstream
    servers, the ``listen`` line, the server name and the static folder — is what this replaces.
    """
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)
    replacements = [
        (r"(?m)^(    server 127\.0\.0\.1:\d+;\n)+", servers),
        (r"(?m)^    listen 80;$", f"    listen 127.0.0.1:{listen};"),
        (r"(?m)^    server_name \S+;$", "    server_name 127.0.0.1 localhost;"),
        (r"(?m)^        alias /srv/rolloutviz/staticfiles/;$", f"        alias {static_root}/;"),
    ]
    for pattern, replacement in replacements:
        sample, count = re.subn(pattern, replacement.replace("\\", "\\\\"), sample)
        if count != 1:
            raise ValueError(f"deploy/nginx.conf: expected exactly one match of {pattern!r}, found {count}")
    return sample


def write_main_config(folder: Path, site: Path) -> Path:
    """Write the top level around ``site`` into ``folder``, where everything nginx writes stays; its path."""
    # As root, nginx's workers would run as nobody, who may not read the checkout's files.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = ""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / kind).mkdir(parents=True, exist_ok=True)
        temp += f"    {kind}_temp_path {folder / 'temp' / kind};\n"
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {folder / 'access.log'};\n"
        f"{temp}"
        f"    include {site};\n"
        "}\n"
    )
    return main


def _nginx(folder: Path, main: Path, *args: str) -> list[str]:
    return [_program("nginx", "nginx"), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main), *args]


def check_config(folder: Path, main: Path) -> None:
    """``nginx -t`` on a configuration written by `write_main_config`; RuntimeError with nginx's words if refused."""
    checked = subprocess.run(_nginx(folder, main, "-t", "-q"), capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused {main}:\n{checked.stderr[-3000:]}")


class NginxServer:
    """Debian's nginx from ``folder``, with the site rendered from ``deploy/nginx.conf``."""

    def __init__(self, folder: Path, *, listen: int, upstreams: list[int], static_root: Path,
                 sample: Path = NGINX_SAMPLE) -> None:
        self.folder = Path(folder)
        self.listen = listen
        self.upstreams = upstreams
        self.static_root = static_root
        self.sample = sample
        self.process: subprocess.Popen | None = None

    def configure(self) -> Path:
        """Write the site and the top-level configuration and check them (``nginx -t``); the top level's path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        site = self.folder / "rolloutviz.conf"
        site.write_text(render_site(self.sample.read_text(), listen=self.listen, upstreams=self.upstreams,
                                    static_root=self.static_root))
        main = write_main_config(self.folder, site)
        check_config(self.folder, main)
        return main

    def start(self) -> "NginxServer":
        """Configure, start in the foreground (a child of ours) and wait (15 s at most) until it listens."""
        main = self.configure()
        with _log(self.folder / "nginx.out") as log:
            self.process = subprocess.Popen(_nginx(self.folder, main, "-g", "daemon off;"), cwd=self.folder,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: listening(self.listen) or self.process.poll() is not None, timeout=15, what="nginx")
        if self.process.poll() is not None:
            raise RuntimeError("nginx exited at start:\n" + (self.folder / "error.log").read_text(errors="replace"))
        return self

    def stop(self) -> None:
        """SIGTERM: nginx's fast shutdown."""
        if self.process is not None:
            stop(self.process)
