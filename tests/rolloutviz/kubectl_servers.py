"""The real kubectl (and the official Python client) in front of a real Daphne that serves the
simulations' Kubernetes API on its TLS endpoint.

`ApiServer` is one Daphne (HTTP for the JSON API and the page's stream, HTTPS for kubectl) on a
SQLite file of its own; `Session` is one simulation as a person at a terminal sees it: a
kubeconfig downloaded from ``/api/simulations/<id>/kubeconfig`` with a role, and kubectl run
with its own ``HOME`` (kubectl caches discovery per host and port, not per URL path). The
simulated clock only moves when a test says so (`Session.step`), so what kubectl prints is
fixed by the commands, never by the wall clock.
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from live_servers import Api, server_env
from rolloutviz import local_processes

KUBECTL = "/usr/bin/kubectl"  # the dispatcher: the kubectl of the server's minor version (1.32)
KUBECTL_133 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
TIMEOUT = 60  # generous: a hang guard, never a speed check
WEB_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""


def require(program: str) -> str:
    """The program's path; the test fails (never skips) when it is absent."""
    if not (os.path.exists(program) and os.access(program, os.X_OK)):
        pytest.fail(f"{program} is needed by this test and is missing: install the Google Cloud SDK's "
                    "kubectl (kubectl 1.27-1.33 behind the dispatcher at /usr/bin/kubectl)", pytrace=False)
    return program


class ApiServer:
    """One Daphne serving the page (HTTP) and the Kubernetes API (HTTPS) on a SQLite file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = server_env(folder / "db.sqlite3", KUBERNETES_TLS_DIR=str(folder / "tls"),
                              LIMIT_COMMANDS_PER_SECOND="0", LIMIT_CREATIONS_PER_MINUTE="0")
        self.daphne = local_processes.DaphneServer(self.env, folder / "daphne.log", tls=True)
        self.api = Api("", local_processes.LOCAL_OPERATOR_TOKEN)

    def start(self, *, migrate: bool = True) -> "ApiServer":
        self.daphne.start(migrate=migrate)
        self.api.base = self.daphne.url
        return self

    def restart(self) -> None:
        """Stop the process and start another on the same database and certificates."""
        self.daphne.stop()
        self.daphne = local_processes.DaphneServer(self.env, self.folder / "daphne.log", tls=True)
        self.start(migrate=False)

    def stop(self) -> None:
        self.daphne.stop()

    def call(self, method: str, path: str, body: dict | None = None):
        """The JSON API as the operator; the decoded answer (AssertionError unless 2xx)."""
        status, answer = self.api.call(method, path, body)
        assert 200 <= status < 300, (status, answer)
        return answer

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.folder / "tls" / "ca.pem"))

    def session(self, folder: Path, *, manifest: str | None = WEB_YAML, steps: int = 40) -> "Session":
        """A new simulation (``manifest`` applied through the JSON API and ``steps`` simulated
        seconds run) and an edit kubeconfig for it."""
        sim = self.call("POST", "/api/simulations/", {"name": "kubectl"})["id"]
        session = Session(self, sim, folder)
        if manifest:
            self.call("POST", f"/api/simulations/{sim}/apply", {"yaml": manifest})
            session.step(steps)
        return session


class Session:
    """One simulation at a terminal: kubectl with a kubeconfig of a role."""

    def __init__(self, server: ApiServer, sim: int, folder: Path) -> None:
        self.server = server
        self.sim = sim
        self.folder = folder
        self.home = folder / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = self.download_kubeconfig(local_processes.LOCAL_OPERATOR_TOKEN, "edit")

    def download_kubeconfig(self, bearer: str, name: str) -> Path:
        """``GET /api/simulations/<id>/kubeconfig`` as the holder of ``bearer``, saved as a file."""
        request = urllib.request.Request(f"{self.server.daphne.url}/api/simulations/{self.sim}/kubeconfig",
                                         headers={"Authorization": f"Bearer {bearer}"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            path = self.folder / f"{name}.kubeconfig"
            path.write_bytes(answer.read())
        return path

    def token(self, kubeconfig: Path | None = None) -> str:
        config = yaml.safe_load((kubeconfig or self.kubeconfig).read_text())
        return config["users"][0]["user"]["token"]

    def link(self, role: str) -> str:
        """A new share link of ``role``; its token."""
        return self.server.call("POST", f"/api/simulations/{self.sim}/links", {"role": role})["token"]

    def step(self, seconds: int) -> None:
        """Advance the paused simulated clock by ``seconds`` one-second ticks."""
        self.server.call("POST", f"/api/simulations/{self.sim}/commands/step", {"count": seconds})

    def text_view(self, args: str) -> str:
        """rolloutviz's own kubectl text view (``GET …/kubectl?args=``) of the same state."""
        query = urllib.parse.urlencode({"args": args})
        return self.server.call("GET", f"/api/simulations/{self.sim}/kubectl?{query}")["text"]

    def timeline(self) -> dict:
        return self.server.call("GET", f"/api/simulations/{self.sim}/timeline")

    def env(self, kubeconfig: Path | None = None) -> dict:
        return {"HOME": str(self.home), "KUBECONFIG": str(kubeconfig or self.kubeconfig),
                "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def kubectl(self, *args: str, kubeconfig: Path | None = None, stdin: str | None = None,
                binary: str = KUBECTL, extra_env: dict | None = None) -> tuple[int, str, str]:
        """Run kubectl to its end: (exit code, stdout, stderr)."""
        env = {**self.env(kubeconfig), **(extra_env or {})}
        done = subprocess.run([require(binary), *args], capture_output=True, text=True, env=env,
                              input=stdin, timeout=TIMEOUT, cwd=self.folder)
        return done.returncode, done.stdout, done.stderr

    def ok(self, *args: str, **options) -> str:
        """kubectl's stdout; AssertionError naming stderr unless it exits 0."""
        code, out, err = self.kubectl(*args, **options)
        assert code == 0, f"kubectl {' '.join(args)} exited {code}: {err}"
        return out

    def start(self, *args: str) -> subprocess.Popen:
        """kubectl in the background (a watch, a command that waits for the clock)."""
        return subprocess.Popen([require(KUBECTL), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env(), cwd=self.folder)

    def start_logged(self, *args: str, name: str) -> tuple[subprocess.Popen, Path]:
        """kubectl in the background writing stdout and stderr to a file (read while it runs)."""
        path = self.folder / f"{name}.out"
        with open(path, "w") as out:
            process = subprocess.Popen([require(KUBECTL), *args], stdout=out, stderr=subprocess.STDOUT,
                                       text=True, env=self.env(), cwd=self.folder)
        return process, path

    def stepping_until_done(self, process: subprocess.Popen, *, seconds: int = 5,
                            limit: int = 40) -> tuple[int, str, str]:
        """Step the clock while a background kubectl waits on it; its (code, stdout, stderr)."""
        for _ in range(limit):
            if process.poll() is not None:
                break
            self.step(seconds)
            time.sleep(0.2)
        out, err = process.communicate(timeout=TIMEOUT)
        return process.returncode, out, err

    def deployment(self, name: str = "web") -> dict:
        return json.loads(self.ok("get", "deployment", name, "-o", "json"))

    def raw(self, path: str, *, token: str | None = None, timeout: float = TIMEOUT, base: str = "") -> list[dict]:
        """The JSON lines of one HTTPS GET of the Kubernetes API (a watch: every event until the
        server ends it); an error answer's Status as the one line. ``base``: another server's
        HTTPS address (the same certificates)."""
        url = f"{base or self.server.daphne.tls_url}/k8s/simulations/{self.sim}{path}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token or self.token()}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=self.server.ssl_context()) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def split(text: str) -> list[list[str]]:
    """kubectl's columns, split on runs of spaces (names hold none)."""
    return [line.split() for line in text.splitlines() if line.strip()]


def headers(text: str) -> list[list[str]]:
    """The header line of each table kubectl printed, its columns split on two or more spaces."""
    return [[h.strip() for h in line.split("  ") if h.strip()] for line in text.splitlines()
            if line.startswith(("NAME ", "LAST SEEN"))]
