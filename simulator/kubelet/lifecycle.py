"""Container lifecycle hooks as the kubelet runs them when it stops a container: how long
the preStop hook holds back SIGTERM, and how long the process then has before SIGKILL
(pkg/kubelet/kuberuntime killContainer / executePreStopHook).

Our images do not run commands, so a hook takes the time it says it sleeps: the ``sleep``
action, or an ``exec`` of ``sleep N`` (directly or through ``sh -c``); any other hook
returns at once.
"""
from __future__ import annotations

import re

from simulator.timers import ms

MINIMUM_GRACE_MS = 2_000   # minimumGracePeriodInSeconds: SIGTERM always gets this long
_SHELLS = ("sh", "bash", "ash", "dash")
_NUMBER = r"([0-9]{1,9}(?:\.[0-9]{1,3})?)"   # seconds, to the millisecond
_SECONDS = re.compile(_NUMBER)
_SLEEP = re.compile(rf"\s*(?:exec\s+)?sleep\s+{_NUMBER}\s*;?\s*")


def pre_stop_ms(container: dict) -> int:
    """How long the container's preStop hook runs, in ms (0 without one)."""
    handler = (container.get("lifecycle") or {}).get("preStop") or {}
    sleep = handler.get("sleep")
    if sleep is not None:
        return ms(sleep.get("seconds") or 0)
    command = (handler.get("exec") or {}).get("command") or []
    if len(command) == 2 and command[0].rsplit("/", 1)[-1] == "sleep":
        match = _SECONDS.fullmatch(command[1])
    elif len(command) == 3 and command[0].rsplit("/", 1)[-1] in _SHELLS and command[1] == "-c":
        match = _SLEEP.fullmatch(command[2])
    else:
        match = None
    return ms(float(match.group(1))) if match else 0


def stop_plan(now: int, grace_ms: int, hook_ms: int, shutdown_ms: int) -> tuple[int, int]:
    """(SIGTERM instant, exit instant) of a container stopped at ``now``: the hook runs for
    at most the grace period; SIGTERM follows, and the process has what is left of the
    grace period, but at least MINIMUM_GRACE_MS, to exit before SIGKILL."""
    hook = min(hook_ms, grace_ms)
    sigterm = now + hook
    window = max(grace_ms - hook, MINIMUM_GRACE_MS)
    return sigterm, sigterm + min(shutdown_ms, window)
