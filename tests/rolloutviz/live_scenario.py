"""A rollout in progress, built the same way in the test process and in live-server processes.

`prepare` applies a 6-replica Deployment (one pod at a time: maxSurge 1, maxUnavailable 0), lets it become available, starts a rolling update
to a new image, and sets the clock; the clock (or the test) carries the rollout on from there.
"""
from rolloutviz.models import Simulation
from rolloutviz.services import live
from rolloutviz.services.links import operator_link

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 6
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
        readinessProbe:
          httpGet: {path: /, port: 80}
          initialDelaySeconds: 5
          periodSeconds: 2
"""
SEED = 7
WARM_UP_STEPS = 20


def prepare(*, running: bool = True, speed: float = 10.0) -> int:
    """Create the simulation mid-rollout; returns its id."""
    sim = Simulation.objects.create(name="rollout in progress", seed=SEED)
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    live.advance(simulation_id=sim.id, steps=WARM_UP_STEPS)
    live.execute(
        simulation_id=sim.id, command="set_image",
        args={"name": "web", "container": "app", "image": "nginx:1.16.1"},
    )
    live.set_clock(simulation_id=sim.id, running=running, speed=speed)
    return sim.id


def prepared(*, running: bool = True, speed: float = 10.0) -> str:
    """`prepare`, for a live-server test's set-up process: "<simulation id> <operator token>".

    The simulation is the operator's (no owner), so a test's viewers and scripts bring the
    operator's token (a WebSocket's ``?token=``, ``Authorization: Bearer``).
    """
    return f"{prepare(running=running, speed=speed)} {operator_link().token}"
