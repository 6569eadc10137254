"""Generated pod names: generateName's 5 safe characters, drawn as rng.choice draws them."""
import random

import pytest

from simulator.names import SAFE_ALPHABET, generated_name


@pytest.mark.parametrize("seed", [0, 1, 7, 2026, 123456789])
def test_generated_names_are_the_draws_of_random_choice(seed):
    ours, reference = random.Random(seed), random.Random(seed)
    for _ in range(2000):
        expected = "web-abc-" + "".join(reference.choice(SAFE_ALPHABET) for _ in range(5))
        assert generated_name("web-abc-", ours) == expected
    assert ours.getstate() == reference.getstate()   # the generator moved on equally


def test_a_long_prefix_is_cut_to_58_characters():
    name = generated_name("x" * 80, random.Random(0))
    assert name.startswith("x" * 58) and len(name) == 63
    assert all(ch in SAFE_ALPHABET for ch in name[58:])
