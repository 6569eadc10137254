"""What-if: what applying an edited manifest would do, predicted before it is applied
(`prediction`: the controller's arithmetic and the images' timings) and checked by running the
same manifest on a copy of the cluster (`trial`). `Cluster.predict` is the entry point for the
prediction; `check` runs the trial on a snapshot."""
from __future__ import annotations

from simulator.whatif import trial


def check(state: dict, source, prediction: dict, *, wall_seconds: float) -> dict:
    """Run ``source`` on a copy restored from ``state`` (a `Cluster.snapshot()`), for as long
    as ``prediction`` says it takes plus a margin, at most ``wall_seconds`` of wall time
    (`trial.run`'s answer). Raises the apply's ValidationError."""
    # (imported here: the cluster imports the prediction from this package)
    from simulator.cluster import Cluster

    cluster = Cluster.restore(state, tick=trial.trial_tick(state["time"]))
    return trial.run(cluster, source, simulated_seconds=trial.simulated_limit(prediction),
                     wall_seconds=wall_seconds)
