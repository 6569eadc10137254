"""`python -m rolloutviz.bench whatif` runs end to end at a toy size (its figures are not
checked: speed is measured by running it, never asserted in tests)."""
from simulator.whatif import bench


def test_main_prints_a_row_per_size_and_the_prediction_agrees(capsys):
    bench.main(["--sizes", "8", "--repeat", "1"])
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("| replicas | prediction (CPU)")
    assert rows[2].startswith("| 8 |") and rows[2].endswith("| yes |")
