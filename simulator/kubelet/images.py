"""How simulated container images behave: the built-in catalogue and our ``ImageBehavior`` kind.

An image's behaviour is data: how long its pull takes (or how it fails), when its ports start
listening, what each HTTP path answers as the container's uptime grows, what exec commands
return, whether the process exits by itself, and how long it takes to stop on SIGTERM.
``docs/image-behavior.md`` documents the YAML form users write next to their Deployment.
Every answer depends only on the uptime (seconds since the container started), so the
simulation stays deterministic.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from simulator.api.yaml_source import Manifest, attach_lines, load_manifests
from simulator.errors import FieldError, ValidationError, child_path

IMAGE_BEHAVIOR_API_VERSION = "rolloutviz.dev/v1"
IMAGE_BEHAVIOR_KIND = "ImageBehavior"

DEFAULT_PULL_SECONDS = 1.5
DEFAULT_STARTUP_SECONDS = 1.0
DEFAULT_SHUTDOWN_SECONDS = 0.5
PULL_FAILURES = ("NotFound", "AccessDenied", "RegistryUnreachable")
EXIT_REASONS = ("Error", "Completed", "OOMKilled")
MAX_BODY = 256   # an answer's body is a label on the traffic counts, not a page


@dataclass(frozen=True)
class Step:
    """From ``from_seconds`` of uptime on (until the next step), answer ``value``."""

    from_seconds: float
    value: int  # an HTTP status or an exit code
    delay_seconds: float = 0.0  # how long an HTTP answer takes
    body: str | None = None  # what an HTTP answer says (None: not described)


@dataclass(frozen=True)
class HttpRoute:
    path: str  # matched exactly; the query string of a request is ignored
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class HttpPort:
    port: int
    routes: tuple[HttpRoute, ...] = ()
    other_paths: int = 200  # status for paths no route matches
    open_after: float | None = None  # None: the image's start-up time
    other_paths_body: str | None = None  # body of the answer to paths no route matches


@dataclass(frozen=True)
class TcpPort:
    port: int
    open_after: float | None = None


@dataclass(frozen=True)
class ExecCommand:
    command: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class ImageBehavior:
    """What one image does.  ``uptime`` arguments are seconds since the container started.

    With neither ``http`` nor ``tcp`` ports listed the process listens on every port and
    answers 200 on every path (the healthy default); once any port is listed, only those do.
    """

    image: str
    description: str = ""
    pull_time: float = DEFAULT_PULL_SECONDS
    pull_failure: str | None = None  # one of PULL_FAILURES
    pull_failure_message: str | None = None  # replaces the registry's wording
    startup_time: float = DEFAULT_STARTUP_SECONDS
    http: tuple[HttpPort, ...] = ()
    tcp: tuple[TcpPort, ...] = ()
    exec_commands: tuple[ExecCommand, ...] = ()
    exec_default: int = 0
    exit_time: float | None = None
    exit_code: int = 1
    exit_reason: str | None = None  # None: "Error", or "Completed" for exit code 0
    shutdown_time: float = DEFAULT_SHUTDOWN_SECONDS
    serves_while_stopping: bool = False  # True: keeps accepting connections after SIGTERM

    # -- the questions the kubelet asks ------------------------------------------------------

    def pull_seconds(self) -> float:
        """How long the pull takes before it succeeds or fails."""
        return self.pull_time

    def pull_error(self) -> str | None:
        """kubelet's ``Failed to pull image ...`` event message, or None when the pull works."""
        if self.pull_failure is None:
            return None
        detail = self.pull_failure_message or _registry_error(self.image, self.pull_failure)
        return f'Failed to pull image "{self.image}": {detail}'

    def exit_after(self) -> tuple[float, int, str] | None:
        """(uptime, exitCode, reason) when the process exits by itself, else None."""
        if self.exit_time is None:
            return None
        reason = self.exit_reason or ("Completed" if self.exit_code == 0 else "Error")
        return self.exit_time, self.exit_code, reason

    def shutdown_seconds(self) -> float:
        """How long the process takes to exit after SIGTERM (the kubelet caps it at the grace
        period and then kills it)."""
        return self.shutdown_time

    def listens_after_sigterm(self) -> bool:
        """Whether the process still accepts new connections between SIGTERM and its exit
        (typical HTTP servers close their listener at once)."""
        return self.serves_while_stopping

    def http_status(self, port: int | str, path: str, uptime: float) -> int | None:
        """The status ``GET path`` on ``port`` gets, or None for connection refused."""
        answer = self._http_answer(port, path, uptime)
        return None if answer is None else answer[0]

    def http_delay(self, port: int | str, path: str, uptime: float) -> float:
        """Seconds the answer takes (a probe times out when this exceeds timeoutSeconds)."""
        answer = self._http_answer(port, path, uptime)
        return 0.0 if answer is None else answer[1]

    def http_response(self, port: int | str, path: str,
                      uptime: float) -> tuple[int, float, str | None] | None:
        """(status, seconds the answer takes, body or None) of ``GET path`` on ``port``, or
        None when nothing answers HTTP there (see ``tcp_open`` for whether it connects)."""
        return self._http_answer(port, path, uptime)

    def tcp_open(self, port: int | str, uptime: float) -> bool:
        """Whether a TCP connection to ``port`` is accepted."""
        number = _port_number(port)
        if not self.http and not self.tcp:
            return uptime >= self.startup_time
        for entry in (*self.http, *self.tcp):
            if entry.port == number:
                return uptime >= self._opens(entry.open_after)
        return False

    def exec_exit_code(self, command: list[str], uptime: float) -> int:
        """The exit code of ``command`` run inside the container."""
        for entry in self.exec_commands:
            if list(entry.command) == list(command):
                return _step_at(entry.steps, uptime, self.exec_default)[0]
        return self.exec_default

    # -- helpers -----------------------------------------------------------------------------

    def _opens(self, open_after: float | None) -> float:
        return self.startup_time if open_after is None else open_after

    def _http_answer(self, port, path: str, uptime: float) -> tuple[int, float, str | None] | None:
        number = _port_number(port)
        if not self.tcp_open(number, uptime):
            return None
        if not self.http and not self.tcp:
            return 200, 0.0, None  # the healthy default: every port, every path
        entry = next((p for p in self.http if p.port == number), None)
        if entry is None:
            return None  # a TCP-only port accepts the connection but does not speak HTTP
        route = _route_for(entry.routes, path.split("?", 1)[0] or "/")
        if route is None:
            return entry.other_paths, 0.0, entry.other_paths_body
        step = _step_in_force(route.steps, uptime)
        if step is None:   # before the first step: what other paths answer
            return entry.other_paths, 0.0, entry.other_paths_body
        return step.value, step.delay_seconds, step.body

    # -- (de)serialisation -------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The ``spec`` of the equivalent ImageBehavior document (JSON-serialisable)."""
        spec: dict = {"image": self.image}
        if self.description:
            spec["description"] = self.description
        pull: dict = {"seconds": self.pull_time}
        if self.pull_failure:
            pull["error"] = self.pull_failure
        if self.pull_failure_message:
            pull["message"] = self.pull_failure_message
        spec["pull"] = pull
        spec["startupSeconds"] = self.startup_time
        if self.http:
            spec["http"] = [_http_port_dict(p) for p in self.http]
        if self.tcp:
            spec["tcp"] = [_with_open({"port": p.port}, p.open_after) for p in self.tcp]
        if self.exec_commands or self.exec_default:
            spec["exec"] = {
                "commands": [
                    {"command": list(c.command),
                     "results": [{"fromSeconds": s.from_seconds, "exitCode": s.value}
                                 for s in c.steps]}
                    for c in self.exec_commands
                ],
                "defaultExitCode": self.exec_default,
            }
        if self.exit_time is not None:
            spec["exit"] = {"afterSeconds": self.exit_time, "exitCode": self.exit_code}
            if self.exit_reason:
                spec["exit"]["reason"] = self.exit_reason
        spec["shutdownSeconds"] = self.shutdown_time
        if self.serves_while_stopping:
            spec["servesWhileStopping"] = True
        return spec

    @classmethod
    def from_dict(cls, d: dict) -> ImageBehavior:
        """Rebuild from ``to_dict`` output (or any valid ``spec``); raises ValidationError."""
        errors: list[FieldError] = []
        behavior = _parse_spec(d, "spec", errors)
        if errors or behavior is None:
            raise ValidationError(errors, IMAGE_BEHAVIOR_KIND, str(d.get("image", "")))
        return behavior


class ImageCatalogue:
    """Image reference → behaviour: user-described images, then the built-ins, then the
    healthy default."""

    def __init__(self, custom: dict[str, ImageBehavior] | None = None):
        self._custom: dict[str, ImageBehavior] = {}
        self._resolved: dict[str, ImageBehavior] = {}  # lookups are per probe run: keep them cheap
        for behavior in (custom or {}).values():
            self.add(behavior)

    def lookup(self, image: str) -> ImageBehavior:
        """The behaviour of ``image`` (``nginx:1.14.2`` and ``docker.io/library/nginx:1.14.2``
        are the same image)."""
        behavior = self._resolved.get(image)
        if behavior is None:
            key = normalize_reference(image)
            behavior = self._custom.get(key) or _BUILTIN_BY_REFERENCE.get(key)
            if behavior is None:
                behavior = ImageBehavior(image=image, description="healthy default")
            elif behavior.image != image:
                # Same image written differently: messages quote the pod's spelling.
                behavior = dataclasses.replace(behavior, image=image)
            self._resolved[image] = behavior
        return behavior

    def add(self, behavior: ImageBehavior) -> None:
        """Describe (or re-describe) an image; later documents replace earlier ones."""
        self._custom[normalize_reference(behavior.image)] = behavior
        self._resolved.clear()

    def to_dict(self) -> dict:
        return {"custom": [b.to_dict() for b in self._custom.values()]}

    @classmethod
    def from_dict(cls, d: dict) -> ImageCatalogue:
        catalogue = cls()
        for spec in d.get("custom", []):
            catalogue.add(ImageBehavior.from_dict(spec))
        return catalogue


def normalize_reference(image: str) -> str:
    """The fully qualified reference containerd pulls.

    ``nginx`` → ``docker.io/library/nginx:latest``; ``user/app:1`` → ``docker.io/user/app:1``.
    """
    name, digest = (image.split("@", 1) + [""])[:2]
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    if not tag and not digest:
        tag = "latest"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _registry_error(image: str, failure: str) -> str:
    """containerd's wording for a failed pull, as the kubelet relays it."""
    ref = normalize_reference(image)
    prefix = f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}"'
    if failure == "NotFound":
        return f"rpc error: code = NotFound desc = {prefix}: {ref}: not found"
    if failure == "AccessDenied":
        return (f"rpc error: code = Unknown desc = {prefix}: pull access denied, repository does "
                "not exist or may require authorization: server message: insufficient_scope: "
                "authorization failed")
    registry = ref.split("/", 1)[0]
    return (f"rpc error: code = Unknown desc = {prefix}: failed to do request: Head "
            f'"https://{registry}/v2/": dial tcp: lookup {registry}: no such host')


def _port_number(port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    return int(port) if str(port).isdigit() else None


def _route_for(routes: tuple[HttpRoute, ...], path: str) -> HttpRoute | None:
    return next((route for route in routes if route.path == path), None)


def _step_in_force(steps: tuple[Step, ...], uptime: float) -> Step | None:
    """The last step begun at ``uptime``, None before the first."""
    found = None
    for step in steps:
        if uptime >= step.from_seconds:
            found = step
    return found


def _step_at(steps: tuple[Step, ...], uptime: float, before: int) -> tuple[int, float]:
    """The answer in force at ``uptime``; ``before`` until the first step begins."""
    step = _step_in_force(steps, uptime)
    return (before, 0.0) if step is None else (step.value, step.delay_seconds)


def _with_open(d: dict, open_after: float | None) -> dict:
    if open_after is not None:
        d["openAfterSeconds"] = open_after
    return d


def _http_port_dict(port: HttpPort) -> dict:
    d: dict = {"port": port.port}
    if port.routes:
        d["paths"] = [
            {"path": r.path,
             "responses": [dict({"fromSeconds": s.from_seconds, "status": s.value},
                                **({"delaySeconds": s.delay_seconds} if s.delay_seconds else {}),
                                **({"body": s.body} if s.body is not None else {}))
                           for s in r.steps]}
            for r in port.routes
        ]
    d["otherPaths"] = port.other_paths
    if port.other_paths_body is not None:
        d["otherPathsBody"] = port.other_paths_body
    return _with_open(d, port.open_after)


# ---------------------------------------------------------------------------------------------
# Parsing and validation of the YAML form, with Kubernetes-style field errors

_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "spec": {"image", "description", "pull", "startupSeconds", "http", "tcp", "exec", "exit",
             "shutdownSeconds", "servesWhileStopping"},
    "pull": {"seconds", "error", "message"},
    "http": {"port", "paths", "otherPaths", "otherPathsBody", "openAfterSeconds"},
    "path": {"path", "responses"},
    "response": {"fromSeconds", "status", "delaySeconds", "body"},
    "tcp": {"port", "openAfterSeconds"},
    "exec": {"commands", "defaultExitCode"},
    "command": {"command", "results"},
    "result": {"fromSeconds", "exitCode"},
    "exit": {"afterSeconds", "exitCode", "reason"},
}


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or value is None:
        return "null" if value is None else str(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value)


class _Reader:
    """Reads one mapping, recording Kubernetes-style errors against its field path."""

    def __init__(self, data, path: str, fields: str, errors: list[FieldError]):
        self.path, self.errors = path, errors
        self.data = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            errors.append(FieldError(path, f"Invalid value: {_shown(data)}: must be an object"))
        for key in self.data:
            if key not in _FIELDS[fields]:
                unknown = child_path(path, key)
                errors.append(FieldError(unknown, f'unknown field "{unknown}"'))

    def at(self, key: str) -> str:
        return child_path(self.path, key)

    def seconds(self, key: str, default: float | None) -> float | None:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must "
                                                        "be a number of seconds, 0 or more"))
            return default
        return float(value)

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        value = self.data.get(key)
        if value is None:
            if default is None:
                self.errors.append(FieldError(self.at(key), "Required value"))
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must be "
                                                        f"between {low} and {high}, inclusive"))
            return default
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.errors.append(FieldError(self.at(key), "Required value"))
            return None
        if not isinstance(value, str):
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must be "
                                                        "a string"))
            return None
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must be "
                                                        "true or false"))
            return False
        return value

    def body(self, key: str) -> str | None:
        """An HTTP body: any string up to MAX_BODY characters (the empty one included)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must be "
                                                        "a string"))
            return None
        if len(value) > MAX_BODY:
            self.errors.append(FieldError(self.at(key), f"Too long: may not be more than "
                                                        f"{MAX_BODY} bytes"))
            return None
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(key)
        if value is not None and value not in allowed:
            supported = ", ".join(json.dumps(a) for a in allowed)
            self.errors.append(FieldError(self.at(key), f"Unsupported value: {_shown(value)}: "
                                                        f"supported values: {supported}"))
            return None
        return value

    def items(self, key: str) -> list[tuple[str, object]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(FieldError(self.at(key), f"Invalid value: {_shown(value)}: must be "
                                                        "a list"))
            return []
        return [(child_path(self.at(key), i), item) for i, item in enumerate(value)]


def _steps(reader: _Reader, key: str, kind: str, value_key: str, low: int,
           high: int) -> tuple[Step, ...]:
    """A list of ``{fromSeconds, <value_key>}`` steps in ascending order."""
    steps: list[Step] = []
    items = reader.items(key)
    if not items:
        reader.errors.append(FieldError(reader.at(key), "Required value: at least one entry"))
    for path, item in items:
        r = _Reader(item, path, kind, reader.errors)
        start = r.seconds("fromSeconds", 0.0)
        value = r.integer(value_key, None, low, high)
        delay = r.seconds("delaySeconds", 0.0) if kind == "response" else 0.0
        body = r.body("body") if kind == "response" else None
        if steps and start is not None and start <= steps[-1].from_seconds:
            reader.errors.append(FieldError(r.at("fromSeconds"), f"Invalid value: {_shown(start)}: "
                                            "must be greater than the previous entry's fromSeconds"))
        if value is not None and start is not None:
            steps.append(Step(start, value, delay or 0.0, body))
    return tuple(steps)


def _parse_spec(spec, path: str, errors: list[FieldError]) -> ImageBehavior | None:
    r = _Reader(spec, path, "spec", errors)
    image = r.text("image", required=True)
    if image is not None and (image != image.strip() or " " in image):
        errors.append(FieldError(r.at("image"), f"Invalid value: {_shown(image)}: must not contain "
                                                "spaces"))
    description = r.text("description") or ""
    pull = _Reader(r.data.get("pull") or {}, r.at("pull"), "pull", errors)
    pull_time = pull.seconds("seconds", DEFAULT_PULL_SECONDS)
    pull_failure = pull.choice("error", PULL_FAILURES)
    pull_message = pull.text("message")
    startup_time = r.seconds("startupSeconds", DEFAULT_STARTUP_SECONDS)
    http_ports: list[HttpPort] = []
    seen_ports: set[int] = set()
    for ppath, item in r.items("http"):
        h = _Reader(item, ppath, "http", errors)
        port = h.integer("port", None, 1, 65535)
        if port in seen_ports:
            errors.append(FieldError(h.at("port"), f"Duplicate value: {port}"))
        seen_ports.add(port)
        routes: list[HttpRoute] = []
        seen_paths: set[str] = set()
        for rpath, route in h.items("paths"):
            rr = _Reader(route, rpath, "path", errors)
            route_path = rr.text("path", required=True)
            if route_path is not None and not route_path.startswith("/"):
                errors.append(FieldError(rr.at("path"), f"Invalid value: {_shown(route_path)}: "
                                                        "must start with '/'"))
            if route_path in seen_paths:
                errors.append(FieldError(rr.at("path"), f"Duplicate value: {_shown(route_path)}"))
            seen_paths.add(route_path)
            steps = _steps(rr, "responses", "response", "status", 100, 599)
            if route_path is not None:
                routes.append(HttpRoute(route_path, steps))
        other = h.integer("otherPaths", 200, 100, 599)
        other_body = h.body("otherPathsBody")
        if port is not None:
            opens = h.seconds("openAfterSeconds", None)
            http_ports.append(HttpPort(port, tuple(routes), other, opens, other_body))
    tcp_ports: list[TcpPort] = []
    for tpath, item in r.items("tcp"):
        t = _Reader(item, tpath, "tcp", errors)
        port = t.integer("port", None, 1, 65535)
        if port in seen_ports:
            errors.append(FieldError(t.at("port"), f"Duplicate value: {port}"))
        seen_ports.add(port)
        if port is not None:
            tcp_ports.append(TcpPort(port, t.seconds("openAfterSeconds", None)))
    exec_reader = _Reader(r.data.get("exec") or {}, r.at("exec"), "exec", errors)
    commands: list[ExecCommand] = []
    for cpath, item in exec_reader.items("commands"):
        c = _Reader(item, cpath, "command", errors)
        argv = c.data.get("command")
        if not argv or not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            errors.append(FieldError(c.at("command"), "Required value: a list of strings"
                                     if not argv else f"Invalid value: {_shown(argv)}: must be a "
                                                      "list of strings"))
            argv = []
        steps = _steps(c, "results", "result", "exitCode", 0, 255)
        commands.append(ExecCommand(tuple(argv), steps))
    exec_default = exec_reader.integer("defaultExitCode", 0, 0, 255)
    exit_data = r.data.get("exit")
    exit_reader = _Reader(exit_data or {}, r.at("exit"), "exit", errors)
    exit_time = exit_reader.seconds("afterSeconds", 0.0) if exit_data is not None else None
    exit_code = exit_reader.integer("exitCode", 1, 0, 255)
    exit_reason = exit_reader.choice("reason", EXIT_REASONS)
    behavior = ImageBehavior(
        image=image or "",
        description=description,
        pull_time=pull_time,
        pull_failure=pull_failure,
        pull_failure_message=pull_message,
        startup_time=startup_time,
        http=tuple(http_ports),
        tcp=tuple(tcp_ports),
        exec_commands=tuple(commands),
        exec_default=exec_default,
        exit_time=exit_time,
        exit_code=exit_code,
        exit_reason=exit_reason,
        shutdown_time=r.seconds("shutdownSeconds", DEFAULT_SHUTDOWN_SECONDS),
        serves_while_stopping=r.flag("servesWhileStopping"),
    )
    return behavior if image else None


def parse_image_behavior(manifest: Manifest) -> ImageBehavior:
    """The behaviour an ``rolloutviz.dev/v1 ImageBehavior`` document describes.

    Raises ``ValidationError`` carrying every problem with its field path and YAML line.
    """
    obj = manifest.obj
    errors: list[FieldError] = []
    top = _Reader(obj, "", "", errors)
    if obj.get("apiVersion") != IMAGE_BEHAVIOR_API_VERSION:
        errors.append(FieldError("apiVersion", f"Unsupported value: {_shown(obj.get('apiVersion'))}: "
                                               f'supported values: "{IMAGE_BEHAVIOR_API_VERSION}"'))
    if obj.get("kind") != IMAGE_BEHAVIOR_KIND:
        errors.append(FieldError("kind", f"Unsupported value: {_shown(obj.get('kind'))}: "
                                         f'supported values: "{IMAGE_BEHAVIOR_KIND}"'))
    meta = obj.get("metadata")
    name = ""
    if meta is not None:
        if not isinstance(meta, dict):
            errors.append(FieldError("metadata", f"Invalid value: {_shown(meta)}: must be an object"))
        else:
            name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if obj.get("spec") is None:
        errors.append(FieldError("spec", "Required value"))
        behavior = None
    else:
        behavior = _parse_spec(top.data["spec"], "spec", errors)
    if errors or behavior is None:
        raise ValidationError(attach_lines(errors, manifest.lines), IMAGE_BEHAVIOR_KIND,
                              name or (behavior.image if behavior else ""))
    return behavior


# ---------------------------------------------------------------------------------------------
# The built-in catalogue: every image the seed tutorials use, written in the users' own form.

_NGINX_PATHS = """
  http:
  - port: 80
    paths:
    - path: /
      responses: [{fromSeconds: 0, status: 200, body: Welcome to nginx!}]
    - path: /index.html
      responses: [{fromSeconds: 0, status: 200, body: Welcome to nginx!}]
    - path: /50x.html
      responses: [{fromSeconds: 0, status: 200, body: An error occurred.}]
    otherPaths: 404
    otherPathsBody: 404 Not Found"""

BUILTIN_YAML = f"""
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: hellok8s-v1}}
spec:
  image: guangzhengli/hellok8s:v1
  description: 'Go server on :3000; every path answers "[v1] Hello, Kubernetes!"'
  pull: {{seconds: 2.1}}
  startupSeconds: 0.5
  http:
  - port: 3000
    otherPathsBody: "[v1] Hello, Kubernetes!"
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: hellok8s-v2}}
spec:
  image: guangzhengli/hellok8s:v2
  description: 'Go server on :3000; every path answers "[v2] Hello, Kubernetes!"'
  pull: {{seconds: 2.2}}
  startupSeconds: 0.5
  http:
  - port: 3000
    otherPathsBody: "[v2] Hello, Kubernetes!"
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: hellok8s-liveness}}
spec:
  image: guangzhengli/hellok8s:liveness
  description: >-
    /healthz answers 200 for the first 15 s after start, then 500 for ever; other paths
    answer "[v2] Hello, Kubernetes!"
  pull: {{seconds: 2.2}}
  startupSeconds: 0.5
  http:
  - port: 3000
    paths:
    - path: /healthz
      responses:
      - {{fromSeconds: 0, status: 200, body: ok}}
      - {{fromSeconds: 15, status: 500, body: error}}
    otherPathsBody: "[v2] Hello, Kubernetes!"
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: hellok8s-bad}}
spec:
  image: guangzhengli/hellok8s:bad
  description: a broken release; /healthz always answers 500
  pull: {{seconds: 2.2}}
  startupSeconds: 0.5
  http:
  - port: 3000
    paths:
    - path: /healthz
      responses: [{{fromSeconds: 0, status: 500, body: error}}]
    otherPathsBody: "[v2] Hello, Kubernetes!"
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-1.14.2}}
spec:
  image: nginx:1.14.2
  description: nginx serving its welcome page on :80; other paths are 404
  pull: {{seconds: 3.2}}
  startupSeconds: 0.3{_NGINX_PATHS}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-1.16.1}}
spec:
  image: nginx:1.16.1
  description: nginx serving its welcome page on :80; other paths are 404
  pull: {{seconds: 3.4}}
  startupSeconds: 0.3{_NGINX_PATHS}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-latest}}
spec:
  image: nginx:latest
  description: nginx serving its welcome page on :80; other paths are 404
  pull: {{seconds: 3.6}}
  startupSeconds: 0.3{_NGINX_PATHS}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-1.161}}
spec:
  image: nginx:1.161
  description: the typo of the Kubernetes docs; the tag does not exist
  pull: {{seconds: 1.2, error: NotFound}}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-1.91}}
spec:
  image: nginx:1.91
  description: the same typo as the docs' describe output shows it; the tag does not exist
  pull: {{seconds: 1.2, error: NotFound}}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: nginx-sometag}}
spec:
  image: nginx:sometag
  description: a tag that does not exist
  pull: {{seconds: 1.2, error: NotFound}}
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: allen-v1}}
spec:
  image: qinchaowhut/allen:v1
  description: "Node.js echo server from 'Kubernetes in Action' on :8080; every path answers 200"
  pull: {{seconds: 4.1}}
  startupSeconds: 1
  http:
  - port: 8080
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: allen-v2}}
spec:
  image: qinchaowhut/allen:v2
  description: "Node.js echo server, version 2, on :8080; every path answers 200"
  pull: {{seconds: 4.1}}
  startupSeconds: 1
  http:
  - port: 8080
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: k8s-rollout-demo-v0.1}}
spec:
  image: dejan1998/k8s-rollout-demo:v0.1
  description: >-
    FastAPI app of the zero-downtime tutorial: takes 15 s to start listening on :8000;
    GET /version sleeps 15 s before answering "v0.1"; unknown paths are 404
  pull: {{seconds: 5.0}}
  startupSeconds: 15
  http:
  - port: 8000
    paths:
    - path: /version
      responses: [{{fromSeconds: 0, status: 200, delaySeconds: 15, body: '"v0.1"'}}]
    - path: /docs
      responses: [{{fromSeconds: 0, status: 200}}]
    - path: /openapi.json
      responses: [{{fromSeconds: 0, status: 200}}]
    otherPaths: 404
    otherPathsBody: '{{"detail":"Not Found"}}'
---
apiVersion: {IMAGE_BEHAVIOR_API_VERSION}
kind: {IMAGE_BEHAVIOR_KIND}
metadata: {{name: k8s-rollout-demo-v0.2}}
spec:
  image: dejan1998/k8s-rollout-demo:v0.2
  description: >-
    FastAPI app, second release: takes 15 s to start listening on :8000;
    GET /version sleeps 5 s before answering "v0.2"; unknown paths are 404
  pull: {{seconds: 5.0}}
  startupSeconds: 15
  http:
  - port: 8000
    paths:
    - path: /version
      responses: [{{fromSeconds: 0, status: 200, delaySeconds: 5, body: '"v0.2"'}}]
    - path: /docs
      responses: [{{fromSeconds: 0, status: 200}}]
    - path: /openapi.json
      responses: [{{fromSeconds: 0, status: 200}}]
    otherPaths: 404
    otherPathsBody: '{{"detail":"Not Found"}}'
"""


def _load_builtins() -> dict[str, ImageBehavior]:
    behaviors = (parse_image_behavior(m) for m in load_manifests(BUILTIN_YAML))
    return {b.image: b for b in behaviors}


BUILTIN_IMAGES: dict[str, ImageBehavior] = _load_builtins()
_BUILTIN_BY_REFERENCE = {normalize_reference(k): v for k, v in BUILTIN_IMAGES.items()}
