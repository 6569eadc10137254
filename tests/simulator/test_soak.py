"""The soak suite: hundreds of long random scenarios (soak.py), each step under a wall-time
guard, with invariants checked after every step, the same future after a snapshot and
restore at a random step, and the same stream from the same seed.

The default run covers DEFAULT_SCENARIOS seeds (about half a minute here). With
SOAK_MINUTES=60 in the environment, test_soak_for_minutes goes on with further seeds for
that long (README, "Simulator"); a failure names the seed, and SOAK_SEED=<seed> runs that
one scenario alone.
"""
import os
import random
import time

import pytest

import soak
from simulator import Cluster

DEFAULT_SCENARIOS = 200
RERUN_EVERY = 4            # every 4th scenario runs twice from scratch: same seed, same stream
SOAK_MINUTES = float(os.environ.get("SOAK_MINUTES") or 0)
SOAK_SEED = os.environ.get("SOAK_SEED")


def check_scenario(seed: int) -> int:
    """Run the scenario of `seed` with every check; returns how many steps it ran."""
    scenario = soak.generate(seed)
    snapshot_at = random.Random(-seed).randrange(scenario.steps)
    mirror = soak.Mirror(scenario)
    run = soak.drive(scenario, soak.start(scenario), 0, snapshot_at=snapshot_at, mirror=mirror)
    mirror.matches(run.cluster)
    restored = Cluster.restore(run.snapshot)
    future = soak.drive(scenario, restored, snapshot_at)
    assert future.digests == run.digests[snapshot_at:], (
        f"{scenario.describe()}: restored at step {snapshot_at}, the future differs from step "
        f"{snapshot_at + _first_difference(future.digests, run.digests[snapshot_at:])}")
    if seed % RERUN_EVERY == 0:
        again = soak.drive(scenario, soak.start(scenario), 0)
        assert again.digests == run.digests, (
            f"{scenario.describe()}: the same seed gave another stream from step "
            f"{_first_difference(again.digests, run.digests)}")
    return scenario.steps


def _first_difference(a: list, b: list) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


SEEDS = [int(SOAK_SEED)] if SOAK_SEED else range(DEFAULT_SCENARIOS)


@pytest.mark.parametrize("seed", SEEDS)
def test_soak_scenario(seed):
    assert check_scenario(seed) >= 15 * 60 / max(soak.TICKS)   # at least 15 simulated minutes


@pytest.mark.skipif(not SOAK_MINUTES, reason="set SOAK_MINUTES=60 to soak for an hour")
def test_soak_for_minutes():
    deadline = time.monotonic() + SOAK_MINUTES * 60
    seed = DEFAULT_SCENARIOS
    while time.monotonic() < deadline:
        check_scenario(seed)
        seed += 1
    print(f"soaked {seed - DEFAULT_SCENARIOS} more scenarios in {SOAK_MINUTES:g} minutes")


# --- the checks themselves can fail -------------------------------------------------------
def _pod(name: str, owner: str, deleting: bool = False) -> dict:
    meta = {"name": name, "ownerReferences": [{"name": owner}]}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:10Z"
    return {"type": "ADDED", "kind": "Pod", "name": name,
            "object": {"metadata": meta, "status": {"phase": "Running"}}}


def _replica_set(name: str, replicas: int, owner: str | None = "web") -> dict:
    meta = {"name": name, **({"ownerReferences": [{"name": owner}]} if owner else {})}
    return {"type": "MODIFIED", "kind": "ReplicaSet", "name": name,
            "object": {"metadata": meta, "spec": {"replicas": replicas}}}


def _deployment(replicas: int, surge) -> dict:
    spec = {"replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge}}}
    return {"type": "MODIFIED", "kind": "Deployment", "name": "web",
            "object": {"metadata": {"name": "web"}, "spec": spec}}


SCENARIO = soak.Scenario(seed=0, tick=1.0, nodes=1, steps=1, pod_budget=12)


@pytest.mark.parametrize("records, broken", [
    pytest.param([_deployment(3, 1), _replica_set("web-a", 2), _pod("p1", "web-a"),
                  _pod("p2", "web-a"), _pod("p3", "web-a", deleting=True)], None,
                 id="terminating-pods-do-not-count"),
    pytest.param([_deployment(3, 1), _replica_set("web-a", 2), _pod("p1", "web-a"),
                  _pod("p2", "web-a"), _pod("p3", "web-a")], "has 3 active pods",
                 id="more-active-pods-than-replicas"),
    pytest.param([_deployment(3, "34%"), _replica_set("web-a", 3), _replica_set("web-b", 2)],
                 None, id="a-percentage-surge-rounds-up"),
    pytest.param([_deployment(3, 1), _replica_set("web-a", 3), _replica_set("web-b", 2)],
                 "grew to 5 replicas, more than the 4", id="more-than-replicas-plus-surge"),
    pytest.param([_deployment(3, 1), _replica_set("bare", 9, owner=None)],
                 "ask for 13 pods, over the budget of 12", id="over-the-pod-budget"),
])
def test_the_invariants_catch_what_the_controllers_never_do(records, broken):
    mirror = soak.Mirror(SCENARIO)
    mirror.apply(records)
    if broken is None:
        mirror.check(1)
        return
    with pytest.raises(soak.InvariantBroken, match=broken):
        mirror.check(1)


def test_the_wall_guard_names_the_scenario_and_the_step():
    with pytest.raises(soak.StepHung, match=r"seed=7 .*: step 42 did not return"):
        with soak.wall_guard(soak.generate(7).describe(), 42, seconds=0.2):
            while True:
                pass
