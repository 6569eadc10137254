"""`manage.py kubectl [--sim ID] ...`: a small kubectl over a simulation, printing what
kubectl prints, so scripted demos need no browser.

Without ``--sim`` it works on the newest simulation (an ``apply`` creates one when there is
none). ``rollout status`` watches by default, as kubectl does: it advances the simulation
tick by tick and prints each new status line until the rollout is done, fails its progress
deadline, or ``--timeout`` simulated seconds pass (``--watch=false`` prints it once).
"""
import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from rolloutviz.models import Simulation
from rolloutviz.services import kubectl, simulations
from rolloutviz.services.errors import NotFound, ServiceError
from simulator.errors import ValidationError


def read_file(path: str) -> str:
    """`-f FILE` (``-`` is standard input)."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise NotFound(f'error: the path "{path}" does not exist ({error.strerror})') from None


def error_line(message: str, server: bool = False) -> str:
    """kubectl's wording: the API server's NotFound answers (they end in "not found") get
    "Error from server (NotFound): ", kubectl's own refusals "error: "."""
    if message.startswith(("error", "Error")):
        return message
    return f"Error from server (NotFound): {message}" if server else f"error: {message}"


class Command(BaseCommand):
    help = "Run a kubectl command (get, describe, apply, scale, set image, rollout ...) on a simulation."

    def add_arguments(self, parser):
        parser.add_argument("--sim", type=int, help="simulation id (default: the newest)")
        parser.add_argument("kubectl_args", nargs=argparse.REMAINDER)

    def handle(self, *args, sim=None, kubectl_args=(), **options):
        try:
            simulation_id = sim if sim is not None else self._default_simulation(kubectl_args)
            invocation = kubectl.parse(list(kubectl_args))
            if invocation.verb == "rollout status" and \
                    invocation.options.get("--watch", "true") != "false":
                self._watch(simulation_id, invocation)
                return
            text = kubectl.kubectl_run(simulation_id=simulation_id, args=list(kubectl_args),
                                       read_file=read_file)
        except NotFound as error:
            self._fail(error_line(error.message, server=error.message.endswith("not found")))
        except ServiceError as error:
            self._fail(error_line(error.message))
        except ValidationError as error:
            self._fail(str(error))
        self.stdout.write(text.rstrip("\n"))

    def _default_simulation(self, kubectl_args) -> int:
        newest = Simulation.objects.order_by("-id").first()
        if newest is not None:
            return newest.id
        if kubectl_args and kubectl_args[0] == "apply":
            return simulations.simulation_create(name="kubectl").id
        raise NotFound("error: no simulation exists; create one with `kubectl apply -f FILE`")

    def _watch(self, simulation_id: int, invocation) -> None:
        timeout = kubectl.seconds_option(invocation.options.get("--timeout", "600"))
        done = False
        for message, done in kubectl.rollout_status_watch(
                simulation_id=simulation_id, deployment=invocation.name, timeout=timeout):
            self.stdout.write(message.rstrip("\n"))
        if not done:
            sys.exit(1)

    def _fail(self, message: str) -> None:
        self.stderr.write(message.rstrip("\n"))
        sys.exit(1)
