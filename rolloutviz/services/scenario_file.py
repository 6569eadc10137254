"""The scenario file (``"kind": "RolloutvizScenario"``): its commands' names, and checking an
untrusted document into a `Plan` the import replays, every error with its field path, before
anything is created (docs/contracts.md, "Scenario files")."""
from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass

from django.conf import settings

from rolloutviz import demos
from rolloutviz.services import commands, live, manifests, named_commands
from rolloutviz.services.errors import ServiceError
from simulator import Cluster
from simulator.api.pod_budget import demand
from simulator.api.validation import admit
from simulator.errors import FieldError, ValidationError, child_path
from simulator.timers import ms

KIND = "RolloutvizScenario"
VERSION = 1
CLUSTER_DEFAULTS = {name: p.default for name, p in inspect.signature(Cluster).parameters.items()}
ENGINE_FIELDS = ("seed", "tick", "nodes", "pod_budget", "proxy_delay")
TOP_FIELDS = {"kind", "version", "name", "demo", "engine", "manifests", "start", "commands", "position"}
ENTRY_FIELDS = {"t", "command", "args", "label", "reason"}

# A command by its API name (POST …/commands/<name>, the demos' steps) -> the `Cluster` method the
# custodian runs, the function turning its arguments into that method's (the endpoints' own
# checks), and how each of the method's arguments is called in the API.
NAMED = {
    "apply": ("apply", None, {"source": "yaml"}),
    "scale": ("scale", commands.scale_args, {"name": "deployment", "replicas": "replicas"}),
    "set-image": ("set_image", commands.set_image_args,
                  {"name": "deployment", "container": "container", "image": "image"}),
    "undo": ("rollout_undo", commands.rollback_args, {"name": "deployment", "to_revision": "to_revision"}),
    "pause": ("rollout_pause", commands.deployment_args, {"name": "deployment"}),
    "resume": ("rollout_resume", commands.deployment_args, {"name": "deployment"}),
    "restart": ("rollout_restart", commands.deployment_args, {"name": "deployment"}),
    "delete-pod": ("delete_pod", commands.pod_delete_args, {"name": "pod"}),
    "node": ("set_node_ready", commands.node_args, {"node_name": "node", "ready": "ready"}),
    "traffic": ("send_traffic", commands.traffic_args,
                {"service": "service", "rate": "rate", "path": "path", "port": "port"}),
}
BY_METHOD = {method: name for name, (method, _, _) in NAMED.items()}
CLOCK = "clock"  # a run/pause/speed change: a delta without a change to the cluster
# The Kubernetes API's writes keep their `Cluster` names and arguments (kubectl's requests).
API_WRITE_ARGS = {
    name: {p.name: p.default is inspect.Parameter.empty
           for p in inspect.signature(getattr(Cluster, name)).parameters.values()
           if p.name not in ("self", "resource_version")}
    for name in live.API_WRITES
}
SCENARIO_COMMANDS = sorted([*NAMED, CLOCK, *API_WRITE_ARGS])


def max_bytes() -> int:
    """The largest scenario file an import reads (setting ``SCENARIO_MAX_BYTES``)."""
    return int(getattr(settings, "SCENARIO_MAX_BYTES", 2 * 1024 * 1024))


def max_commands() -> int:
    """Commands one scenario may hold (setting ``SCENARIO_MAX_COMMANDS``)."""
    return int(getattr(settings, "SCENARIO_MAX_COMMANDS", 1000))


def max_seconds() -> float:
    """Simulated seconds one import may replay (setting ``SCENARIO_MAX_SECONDS``)."""
    return float(getattr(settings, "SCENARIO_MAX_SECONDS", 3600))


def max_steps() -> int:
    """Steps one import may replay, whatever the tick (setting ``SCENARIO_MAX_STEPS``)."""
    return int(getattr(settings, "SCENARIO_MAX_STEPS", 7200))


def max_pod_steps() -> int:
    """Steps times pods one import may replay (setting ``SCENARIO_MAX_POD_STEPS``): a step costs about
    what its pods cost (see `rolloutviz.bench_scenario`)."""
    return int(getattr(settings, "SCENARIO_MAX_POD_STEPS", 500_000))


@dataclass(frozen=True)
class Entry:
    """One command to replay at ``t``: the `Cluster` method and its arguments, or a clock note."""

    index: int
    t: float
    method: str  # a Cluster method, or CLOCK
    args: dict  # the method's arguments; a clock note's {"running"?, "speed"?}
    label: str = ""
    reason: str = ""
    deployment: str = ""  # delete-pod by Deployment: its first pod, found when replayed
    pods: int = 0  # the pods it asks for (an apply's or a scale's), to bound the replay's cost


@dataclass
class Plan:
    """A checked scenario, ready to replay."""

    name: str
    demo: str
    seed: int
    tick: float
    entries: list[Entry]
    position_t: float
    position_seq: int | None
    manifests: dict[str, str] | None
    start: dict | None = None  # {"t", "seq", "state", "manifests"}
    speed: float = 1.0

    @property
    def start_t(self) -> float:
        return self.start["t"] if self.start else 0.0


class _Errors:
    """Field errors gathered over the whole document."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))


def _number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _shown(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse(document, *, pod_budget: int) -> Plan:
    """The `Plan` of a decoded scenario document; `ValidationError` with every problem's field path.

    Checks the kind and version, the engine settings this server can reproduce, each command's
    name and arguments (as its endpoint checks them; an apply's manifests are parsed and admitted),
    times (on the tick grid, non-decreasing, within the position), the limits on commands,
    simulated seconds, steps and steps times pods, and the pod budget of every apply and scale.
    """
    found = _Errors()
    if not isinstance(document, dict):
        raise ValidationError([FieldError("", "Invalid value: must be a JSON object")])
    if document.get("kind") != KIND:
        found.add("kind", f'Unsupported value: {_shown(document.get("kind"))}: supported values: "{KIND}"')
    if document.get("version") != VERSION or isinstance(document.get("version"), bool):
        found.add("version", f"Unsupported value: {_shown(document.get('version'))}: supported values: {VERSION}")
    if found.errors:  # another kind of file: its fields mean nothing here
        raise ValidationError(found.errors)
    for key in sorted(set(document) - TOP_FIELDS):
        found.add(key, "Forbidden: unknown field")
    name, demo = _names(document, found)
    seed, tick = _engine(document.get("engine"), found)
    start = _start(document.get("start"), found, pod_budget)
    start_t = start["t"] if start else 0.0
    position_t, position_seq = _position(document.get("position"), found, start_t, tick)
    wanted = document.get("manifests")
    if wanted is not None and not (isinstance(wanted, dict)
                                   and all(isinstance(v, str) for v in wanted.values())):
        found.add("manifests", "Invalid value: must map each Deployment's name to its manifest text")
        wanted = None
    entries, speed = _entries(document.get("commands"), found, start_t=start_t, end_t=position_t, tick=tick,
                              pod_budget=pod_budget)
    _check_cost(found, entries, start, position_t - start_t, tick)
    if found.errors:
        raise ValidationError(found.errors)
    return Plan(name=name, demo=demo, seed=seed, tick=tick, entries=entries, position_t=float(position_t),
                position_seq=position_seq, manifests=wanted, start=start, speed=speed)


def _names(document: dict, found: _Errors) -> tuple[str, str]:
    """The simulation's name and demo key."""
    name = document.get("name", "")
    if not isinstance(name, str) or len(name) > 200 or "\0" in name:
        found.add("name", "Invalid value: must be a string of at most 200 characters, without NUL")
        name = ""
    demo = document.get("demo", "") or ""
    if demo and (not isinstance(demo, str) or demos.get_demo(demo) is None):
        found.add("demo", f"Unsupported value: {_shown(demo)}: supported values: "
                          + ", ".join(f'"{d.key}"' for d in demos.all_demos()))
        demo = ""
    return name, demo


def _position(position, found: _Errors, start_t: float, tick: float) -> tuple[float, int | None]:
    """Where the replay ends (``t`` on the tick grid, within the limits) and the seq it must reach, if given."""
    if not isinstance(position, dict):
        found.add("position", "Required value: {\"t\": seconds, \"seq\"?: n}")
        return start_t, None
    for key in sorted(set(position) - {"t", "seq"}):
        found.add(f"position.{key}", "Forbidden: unknown field")
    t, seq = position.get("t"), position.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
        found.add("position.seq", f"Invalid value: {_shown(seq)}: must be a non-negative integer")
        seq = None
    if not _number(t) or t < start_t:
        found.add("position.t", f"Invalid value: {_shown(t)}: must be a number of seconds, at least {start_t:g}")
        return start_t, seq
    if tick and not _on_grid(t, start_t, tick):
        found.add("position.t", f"Invalid value: {t!r}: must be {start_t:g} plus a whole number of ticks "
                                f"({tick:g} s)")
    elif t - start_t > max_seconds():
        found.add("position.t", f"Invalid value: {t!r}: a scenario replays at most {max_seconds():g} "
                                "simulated seconds here")
    elif tick and ms(t - start_t) // ms(tick) > max_steps():
        found.add("position.t", f"Invalid value: {t!r}: a scenario replays at most {max_steps()} steps here "
                                f"({tick:g} s each)")
    return t, seq


def _check_cost(found: _Errors, entries: list[Entry], start: dict | None, seconds: float, tick: float) -> None:
    """Steps times the most pods any apply, scale or the starting state asks for, within `max_pod_steps`."""
    if not tick or found.errors:
        return
    steps = ms(seconds) // ms(tick)
    pods = max([entry.pods for entry in entries] + [len(start["state"].get("pods") or []) if start else 0, 1])
    if steps * pods > max_pod_steps():
        found.add("position.t", f"Invalid value: {seconds + (start['t'] if start else 0):g}: replaying {steps} steps "
                                f"with up to {pods} pods is more than one import replays here "
                                f"({max_pod_steps()} pod-steps)")


def _on_grid(t: float, start_t: float, tick: float) -> bool:
    return ms(t) == round(t * 1000, 6) and (ms(t) - ms(start_t)) % ms(tick) == 0


def _engine(engine, found: _Errors) -> tuple[int, float]:
    from rolloutviz.services.simulations import MAX_SEED, MAX_TICK, MIN_TICK

    if not isinstance(engine, dict):
        found.add("engine", "Required value: {\"seed\", \"tick\", ...}")
        return 0, 0.0
    for key in sorted(set(engine) - set(ENGINE_FIELDS)):
        found.add(f"engine.{key}", "Forbidden: unknown field")
    seed, tick = engine.get("seed", 0), engine.get("tick", 1.0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        found.add("engine.seed", f"Invalid value: {_shown(seed)}: must be an integer from 0 to {MAX_SEED}")
        seed = 0
    if not _number(tick) or not MIN_TICK <= tick <= MAX_TICK or ms(tick) / 1000 != tick:
        found.add("engine.tick", f"Invalid value: {_shown(tick)}: must be a number from {MIN_TICK:g} to "
                                 f"{MAX_TICK:g} in whole milliseconds")
        tick = 0.0
    # the cluster an import starts from is this server's: only its fixed settings reproduce
    for key in ("nodes", "proxy_delay"):
        if key in engine and engine[key] != CLUSTER_DEFAULTS[key]:
            found.add(f"engine.{key}", f"Unsupported value: {_shown(engine[key])}: supported values: "
                                       f"{CLUSTER_DEFAULTS[key]}")
    budget = engine.get("pod_budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        found.add("engine.pod_budget", f"Invalid value: {_shown(budget)}: must be a positive integer")
    return seed, float(tick)


def _start(start, found: _Errors, pod_budget: int) -> dict | None:
    if start is None:
        return None
    if not isinstance(start, dict):
        found.add("start", "Invalid value: must be an object {\"t\", \"seq\", \"state\", \"manifests\"}")
        return None
    for key in sorted(set(start) - {"t", "seq", "state", "manifests"}):
        found.add(f"start.{key}", "Forbidden: unknown field")
    t, seq, state = start.get("t"), start.get("seq"), start.get("state")
    texts = start.get("manifests", {})
    ok = True
    if not _number(t) or t < 0:
        found.add("start.t", f"Invalid value: {_shown(t)}: must be a number of seconds")
        ok = False
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        found.add("start.seq", f"Invalid value: {_shown(seq)}: must be a positive integer")
        ok = False
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        found.add("start.manifests", "Invalid value: must map each Deployment's name to its manifest text")
        ok = False
    if not isinstance(state, dict):
        found.add("start.state", "Required value: the engine snapshot the history begins from")
        return None
    pods = state.get("pods")
    if isinstance(pods, list) and len(pods) > pod_budget:
        found.add("start.state.pods", f"Too many: {len(pods)}: must have at most {pod_budget} items "
                                      "(this server's pod budget)")
        ok = False
    return {"t": float(t), "seq": seq, "state": state, "manifests": texts} if ok else None


def _entries(items, found: _Errors, *, start_t: float, end_t: float, tick: float,
             pod_budget: int) -> tuple[list[Entry], float]:
    if items is None:
        items = []
    if not isinstance(items, list):
        found.add("commands", "Invalid value: must be a list")
        return [], 1.0
    if len(items) > max_commands():
        found.add("commands", f"Too many: {len(items)}: must have at most {max_commands()} items")
        return [], 1.0
    entries, last_t, speed = [], start_t, 1.0
    for index, item in enumerate(items):
        path = f"commands[{index}]"
        if not isinstance(item, dict):
            found.add(path, "Invalid value: must be an object {\"t\", \"command\", \"args\"}")
            continue
        for key in sorted(set(item) - ENTRY_FIELDS):
            found.add(f"{path}.{key}", "Forbidden: unknown field")
        t = item.get("t")
        if not _number(t):
            found.add(f"{path}.t", f"Invalid value: {_shown(t)}: must be a number of seconds")
            continue
        if t < last_t:
            before = "the command before it" if index else "the start"
            found.add(f"{path}.t", f"Invalid value: {t!r}: must not be before {before} ({last_t:g})")
        elif t > end_t:
            found.add(f"{path}.t", f"Invalid value: {t!r}: must not be after position.t ({end_t:g})")
        elif tick and not _on_grid(t, start_t, tick):
            found.add(f"{path}.t", f"Invalid value: {t!r}: must be {start_t:g} plus a whole number of "
                                   f"ticks ({tick:g} s)")
        last_t = max(last_t, t)
        entry = _entry(index, float(t), item, found, pod_budget)
        if entry is not None:
            entries.append(entry)
            if entry.method == CLOCK and "speed" in entry.args:
                speed = float(entry.args["speed"])
    return entries, speed


def _entry(index: int, t: float, item: dict, found: _Errors, pod_budget: int) -> Entry | None:
    path = f"commands[{index}]"
    name, args = item.get("command"), item.get("args", {})
    label, reason = item.get("label", ""), item.get("reason", "")
    if not isinstance(args, dict):
        found.add(f"{path}.args", "Invalid value: must be an object")
        return None
    for key, value in (("label", label), ("reason", reason)):
        if not isinstance(value, str) or len(value) > 200 or "\0" in value:
            found.add(f"{path}.{key}", "Invalid value: must be a string of at most 200 characters")
            return None
    if name not in SCENARIO_COMMANDS:
        found.add(f"{path}.command", f"Unsupported value: {_shown(name)}: supported values: "
                                     + ", ".join(f'"{n}"' for n in SCENARIO_COMMANDS))
        return None
    if reason and name != CLOCK:
        found.add(f"{path}.reason", "Forbidden: only a clock command has a reason")
        return None
    try:
        if name == CLOCK:
            return Entry(index, t, CLOCK, _clock_args(args), reason=reason)
        if name in API_WRITE_ARGS:
            return Entry(index, t, name, _api_write_args(name, args), label=label)
        method, check, _ = NAMED[name]
        if name == "apply":
            pods = _apply_args(args, pod_budget)
            return Entry(index, t, method, {"source": args["yaml"]}, label=label, pods=pods)
        args = named_commands.checked_arguments(name, args)
        if name == "delete-pod" and "pod" not in args:
            commands.deployment_args(deployment=args.get("deployment"))
            return Entry(index, t, method, {}, label=label, deployment=args["deployment"])
        args = {k: v for k, v in args.items() if not (name == "delete-pod" and k == "deployment")}
        cluster_args = check(**args)
        if name == "scale" and not 0 <= cluster_args["replicas"] <= pod_budget:
            raise _ArgError("replicas", f"Invalid value: {cluster_args['replicas']}: must be from 0 to "
                                        f"{pod_budget} (this server's pod budget)")
        return Entry(index, t, method, cluster_args, label=label, pods=cluster_args.get("replicas", 0))
    except ServiceError as error:
        reported = error.errors[0]
        argument = reported["field"] or ""
        message = reported["message"]
        if argument and message.startswith(f"{argument}: "):
            message = message[len(argument) + 2:]
        found.add(child_path(f"{path}.args", argument) if argument else f"{path}.args", message)
    except _ArgError as error:
        found.add(child_path(f"{path}.args", error.argument), error.message)
    except ValidationError as error:
        for problem in error.errors:  # the manifest's own field, and its line in the text
            found.errors.append(FieldError(f"{path}.args.yaml", f"{problem.field + ': ' if problem.field else ''}"
                                                                 f"{problem.message}", problem.line))
    return None


class _ArgError(Exception):
    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument, self.message = argument, message


def _clock_args(args: dict) -> dict:
    for key in sorted(set(args) - {"running", "speed"}):
        raise _ArgError(key, "Forbidden: unknown field")
    if "running" in args and not isinstance(args["running"], bool):
        raise _ArgError("running", f"Invalid value: {_shown(args['running'])}: must be true or false")
    if "speed" in args and (not _number(args["speed"]) or float(args["speed"]) not in live.SPEEDS):
        raise _ArgError("speed", f"Unsupported value: {_shown(args['speed'])}: supported values: "
                                 + ", ".join(f'"{s:g}"' for s in live.SPEEDS))
    return dict(args)


def _api_write_args(name: str, args: dict) -> dict:
    parameters = API_WRITE_ARGS[name]
    for key in sorted(set(args) - set(parameters)):
        raise _ArgError(key, "Forbidden: unknown field")
    for key in sorted(k for k, required in parameters.items() if required and k not in args):
        raise _ArgError(key, "Required value")
    for key in ("kind", "name", "patch_type", "field_manager", "field_validation"):
        if args.get(key) is not None and not isinstance(args[key], str):
            raise _ArgError(key, f"Invalid value: {_shown(args[key])}: must be a string")
    for key in ("body", "options"):
        if args.get(key) is not None and not isinstance(args[key], dict):
            raise _ArgError(key, "Invalid value: must be an object")
    if args.get("dry_run"):
        raise _ArgError("dry_run", "Forbidden: a dry run changes nothing and is not recorded")
    return dict(args)


def _apply_args(args: dict, pod_budget: int) -> int:
    """Check an apply's arguments and manifests; the pods its Deployments and ReplicaSets ask for."""
    for key in sorted(set(args) - {"yaml"}):
        raise _ArgError(key, "Forbidden: unknown field")
    if "yaml" not in args:
        raise _ArgError("yaml", "Required value")
    asked = 0
    for manifest in manifests.manifest_load(yaml_text=args["yaml"]):
        obj = manifest.obj
        if obj.get("apiVersion") == "apps/v1" and obj.get("kind") in ("Deployment", "ReplicaSet"):
            stored = admit(manifest)
            asked += demand(obj["kind"], stored.get("spec") or {})
    if asked > pod_budget:
        raise _ArgError("yaml", f"Invalid value: its Deployments and ReplicaSets ask for {asked} pods: must be "
                                f"at most {pod_budget} (this server's pod budget)")
    return asked
