"""A small kubectl over the services: parse a kubectl command line and answer with what
kubectl prints.

Read-only views (`get`, `describe deployment`, `rollout status|history`) serve the API's
text view; the management command also runs the changing ones (`apply -f`, `scale`,
`set image`, `rollout undo|pause|resume|restart`, `delete pod`).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Callable, Iterator

from rolloutviz.services import commands, live, rewind, shared_reads
from rolloutviz.services.errors import InvalidInput, NotFound
from rolloutviz.services.history import require_deployment
from simulator.kubectl import printers as views

# Resource spellings kubectl accepts → the kind key of `simulator.kubectl.printers.get_text`.
GET_KINDS = {
    **dict.fromkeys(["deployment", "deployments", "deploy", "deployment.apps"], "deployments"),
    **dict.fromkeys(["replicaset", "replicasets", "rs", "replicaset.apps"], "rs"),
    **dict.fromkeys(["pod", "pods", "po"], "pods"),
    **dict.fromkeys(["node", "nodes", "no"], "nodes"),
    **dict.fromkeys(["event", "events", "ev"], "events"),
    **dict.fromkeys(["service", "services", "svc"], "svc"),
    **dict.fromkeys(["endpointslice", "endpointslices", "endpointslice.discovery.k8s.io"],
                    "endpointslices"),
    **dict.fromkeys(["endpoints", "ep"], "ep"),
}
DEPLOYMENT_WORDS = {"deployment", "deployments", "deploy", "deployment.apps"}
SERVICE_WORDS = {"service", "services", "svc"}
VALUE_OPTIONS = {"--revision", "--to-revision", "--replicas", "-f", "--filename", "--watch",
                 "--timeout"}
MAX_ARGS_LENGTH = 1000  # a kubectl line of the API's text view
READ_ONLY = {"get", "describe", "describe service", "rollout status", "rollout history"}
CHANGING = {"apply", "scale", "set image", "rollout undo", "rollout pause", "rollout resume",
            "rollout restart", "delete pod"}
USAGE = ("supported: get deploy|rs|pods|nodes|events|svc|endpointslices|ep [NAME], "
         "describe deployment|service NAME, "
         "rollout status|history|undo|pause|resume|restart deployment/NAME, "
         "scale deployment/NAME --replicas=N, set image deployment/NAME CONTAINER=IMAGE, "
         "apply -f FILE, delete pod NAME")


@dataclass
class Invocation:
    """A parsed kubectl command line."""

    verb: str  # "get", "describe", "rollout status", ..., "set image", "apply", "delete pod"
    kind: str = ""  # get: the kind key for get_text
    name: str = ""  # the object's name
    options: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # set image: container -> image


def parse(args: str | list[str]) -> Invocation:
    """Parse ``get pods`` / ``rollout undo deployment/web --to-revision=2`` / ... ."""
    try:
        argv = shlex.split(args) if isinstance(args, str) else list(args)
    except ValueError as error:
        raise InvalidInput(f"error: {error}") from None
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    words, options = _split_options(argv)
    if not words:
        raise InvalidInput(f"error: no command given; {USAGE}")
    verb, rest = words[0], words[1:]
    if verb in ("rollout", "set", "delete") and rest:
        verb, rest = f"{verb} {rest[0]}", rest[1:]
    if verb == "get":
        return _parse_get(rest, options)
    if verb == "apply":
        if "-f" not in options:
            raise InvalidInput("error: must specify -f (--filename)")
        return Invocation("apply", options=options)
    if verb == "delete pod":
        return Invocation("delete pod", name=_single(rest, "pod"), options=options)
    if verb == "describe" and rest and rest[0].partition("/")[0].lower() in SERVICE_WORDS:
        kind, slash, name = rest[0].partition("/")
        words = ([name] if slash else []) + rest[1:]
        if len(words) != 1:
            raise InvalidInput("error: describe service takes one NAME")
        return Invocation("describe service", name=_checked(words[0]), options=options)
    if verb == "describe" or verb.startswith("rollout ") or verb in ("scale", "set image"):
        if verb not in READ_ONLY | CHANGING:
            raise InvalidInput(f'error: unknown command "{verb}"; {USAGE}')
        name, rest = _deployment_name(rest)
        invocation = Invocation(verb, name=name, options=options)
        if verb == "set image":
            invocation.images = _images(rest)
        elif rest:
            raise InvalidInput(f"error: unexpected arguments {' '.join(rest)!r}")
        return invocation
    raise InvalidInput(f'error: unknown command "{verb}" for "kubectl"; {USAGE}')


def kubectl_view(*, simulation_id: int, args: str | list[str], seq: int | None = None) -> str:
    """The text of a read-only kubectl command on the simulation's current state (or as it was at
    a past ``seq``: `rewind.read_at`)."""
    invocation = read_only(args)
    if seq is not None:
        return rewind.read_at(simulation_id, seq, view_text, invocation)
    return shared_reads.answer(simulation_id, shared_key(invocation),
                               lambda: commands.read(simulation_id, view_text, invocation))


def read_only(args: str | list[str]) -> Invocation:
    """The parsed command line of a read-only view; `InvalidInput` for a bad or a changing one."""
    if isinstance(args, str) and len(args) > MAX_ARGS_LENGTH:
        raise InvalidInput(f"args: longer than {MAX_ARGS_LENGTH} characters", field="args")
    invocation = parse(args)
    if invocation.verb not in READ_ONLY:
        raise InvalidInput(f'error: "{invocation.verb}" changes the cluster; use the commands '
                           "API for it")
    return invocation


def shared_key(invocation: Invocation) -> tuple:
    """What `shared_reads` files this view's answer under."""
    return ("kubectl", repr(invocation))


def kubectl_run(*, simulation_id: int, args: str | list[str],
                read_file: Callable[[str], str]) -> str:
    """Run any supported kubectl command; ``read_file`` reads the file of ``apply -f``."""
    invocation = parse(args)
    if invocation.verb in READ_ONLY:
        return commands.read(simulation_id, view_text, invocation)
    name, options, sim = invocation.name, invocation.options, {"simulation_id": simulation_id}
    if invocation.verb == "apply":
        return "\n".join(commands.manifest_apply(**sim, yaml_text=read_file(options["-f"])))
    if invocation.verb == "scale":
        replicas = _int_option(options, "--replicas", required=True)
        return commands.deployment_scale(**sim, deployment=name, replicas=replicas)
    if invocation.verb == "set image":
        return "\n".join(
            commands.deployment_set_image(**sim, deployment=name, container=c, image=i)
            for c, i in invocation.images.items()
        )
    if invocation.verb == "rollout undo":
        to_revision = _int_option(options, "--to-revision") or 0
        return commands.deployment_rollback(**sim, deployment=name, to_revision=to_revision)
    if invocation.verb == "delete pod":
        return commands.pod_delete(**sim, pod=name)
    action = {"rollout pause": commands.deployment_pause,
              "rollout resume": commands.deployment_resume,
              "rollout restart": commands.deployment_restart}[invocation.verb]
    return action(**sim, deployment=name)


def rollout_status_watch(*, simulation_id: int, deployment: str,
                         timeout: float = 600.0) -> Iterator[tuple[str, bool]]:
    """`kubectl rollout status` with watching: advance tick by tick, yield each new line.

    Yields ``(message, done)``; it stops after the rollout is done, past its progress deadline
    (kubectl's ``error: ... exceeded its progress deadline``), or after ``timeout`` simulated
    seconds (kubectl's ``error: timed out waiting for the condition``).
    """
    start, last = None, None
    while True:
        message, done, now = commands.read(simulation_id, rollout_status_at, deployment)
        start = now if start is None else start
        if message != last:
            yield message, done
            last = message
        if done or message.startswith("error:"):
            return
        if now - start >= timeout:
            yield "error: timed out waiting for the condition\n", False
            return
        live.advance(simulation_id=simulation_id, steps=1)


def rollout_status_at(cluster, deployment: str) -> tuple[str, bool, float]:
    """kubectl's rollout status line of a Deployment, whether it is done, and the sim time (`NotFound`)."""
    require_deployment(cluster, deployment)
    return (*cluster.rollout_status(deployment), cluster.now)


def seconds_option(value: str) -> float:
    """A kubectl duration (``600``, ``90s``, ``10m``, ``1h``) in seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)?", value.strip())
    if match is None:
        raise InvalidInput(f'error: invalid argument "{value}" for "--timeout" flag')
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def view_text(cluster, invocation: Invocation) -> str:
    """What a read-only kubectl command prints (`NotFound` for a missing object)."""
    name = invocation.name
    if invocation.verb == "get":
        text = views.get_text(cluster, invocation.kind, name or None)
    elif invocation.verb == "describe service":
        text = views.describe_service(cluster, name)
    else:
        require_deployment(cluster, name)
        if invocation.verb == "describe":
            text = views.describe_deployment(cluster, name)
        elif invocation.verb == "rollout status":
            text = cluster.rollout_status(name)[0]
        else:
            revision = _int_option(invocation.options, "--revision")
            text = views.rollout_history_text(cluster, name, revision or None)
    if text.startswith(("Error from server (NotFound)", "error: unable to find")):
        raise NotFound(text.strip())
    return text


def _split_options(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    words, options = [], {}
    items = iter(argv)
    for item in items:
        if not item.startswith("-"):
            words.append(item)
            continue
        key, has_value, value = item.partition("=")
        if key == "--filename":
            key = "-f"
        if key not in VALUE_OPTIONS:
            raise InvalidInput(f"error: unknown flag: {key}")
        if not has_value:
            value = next(items, None)
            if value is None:
                raise InvalidInput(f"error: flag needs an argument: {key}")
        options[key] = value
    return words, options


def _parse_get(rest: list[str], options: dict) -> Invocation:
    if not rest:
        raise InvalidInput("error: you must specify the type of resource to get")
    kind_word, _, name = rest[0].partition("/")
    kind = GET_KINDS.get(kind_word.lower())
    if kind is None:
        raise InvalidInput(f'error: the server doesn\'t have a resource type "{kind_word}"')
    if len(rest) > 2 or (name and len(rest) > 1):
        raise InvalidInput(f"error: unexpected arguments {' '.join(rest[1:])!r}")
    return Invocation("get", kind=kind, name=name or (rest[1] if len(rest) > 1 else ""),
                      options=options)


def _deployment_name(rest: list[str]) -> tuple[str, list[str]]:
    """``deployment/NAME ...`` or ``deployment NAME ...`` → (NAME, the words after it)."""
    if not rest:
        raise InvalidInput("error: required resource not specified (deployment/NAME)")
    kind, slash, name = rest[0].partition("/")
    if kind.lower() not in DEPLOYMENT_WORDS:
        raise InvalidInput(f'error: the server doesn\'t have a resource type "{kind}"')
    if slash:
        return _checked(name), rest[1:]
    if len(rest) < 2:
        raise InvalidInput("error: required resource not specified (deployment/NAME)")
    return _checked(rest[1]), rest[2:]


def _checked(name: str) -> str:
    if not name:
        raise InvalidInput("error: resource name may not be empty")
    return name


def _single(rest: list[str], what: str) -> str:
    if len(rest) != 1:
        raise InvalidInput(f"error: expected exactly one {what} name")
    kind, slash, name = rest[0].partition("/")
    return _checked(name if slash and kind in ("pod", "pods", "po") else rest[0])


def _images(rest: list[str]) -> dict[str, str]:
    images = {}
    for item in rest:
        container, equals, image = item.partition("=")
        if not equals or not container or not image:
            raise InvalidInput(f"error: invalid image update {item!r}; expected CONTAINER=IMAGE")
        images[container] = image
    if not images:
        raise InvalidInput("error: at least one image update is required")
    return images


def _int_option(options: dict, key: str, required: bool = False) -> int | None:
    value = options.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"error: required flag(s) \"{key.lstrip('-')}\" not set")
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f'error: invalid argument "{value}" for "{key}" flag') from None
