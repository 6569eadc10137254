"""`python -m simulator.bench` runs end to end at toy sizes (its figures are not checked:
speed is measured by running the benchmark, never asserted in tests)."""
from simulator import bench


def test_rolling_update_reports_its_ticks_and_pod_transitions():
    result = bench.rolling_update(8)
    assert result["ticks"] > 0
    # 8 new pods are created and 8 old ones deleted, each with several changes on the way
    assert result["pod_transitions"] >= 2 * 8 * 2
    pods = result["cluster"].list("pod")
    assert {p["spec"]["containers"][0]["image"] for p in pods} <= {"nginx:1.16.1", "nginx:1.14.2"}


def test_main_prints_every_figure(capsys):
    bench.main(["--sizes", "6", "--repeat", "3"])
    out = capsys.readouterr().out
    assert "rolling update      6 replicas" in out and "(runs: " in out
    assert "idle tick with" in out and "steady state" in out
    assert "traffic, 1,000 requests/s through a Service during a rollout" in out
