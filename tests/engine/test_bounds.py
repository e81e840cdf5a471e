"""Bounds on the number of linear regions: hand-computed values, and no network above its upper bound."""

import pytest

from app.engine.bounds import theoretical_bound, upper_bound
from app.engine.network import Network
from app.engine.regions import region_count


# --- theoretical bound ----------------------------------------------------------------------------
@pytest.mark.parametrize(("sizes", "expected"), [
    ([2, 1], 1),                   # no hidden layer: affine
    ([2, 1, 1], 2),                # one line
    ([2, 3, 1], 7),                # 1 + 3 + 3
    ([2, 8, 1], 37),               # 1 + 8 + 28
    ([2, 8, 3], 37),               # outputs add nothing
    ([2, 4, 4, 1], 44),            # floor(4/2)^2 * (1 + 4 + 6)
    ([2, 5, 4, 1], 44),            # floor(5/2) = 2
    ([2, 8, 8, 8, 8, 1], 151552),  # 4^2 * 4^2 * 4^2 * 37
    ([1, 3, 3, 1], 12),            # n0 = 1: 3 * (1 + 3)
    ([2, 1, 5, 1], 6),             # bottleneck of width 1: d = 1, 1 * (1 + 5)
    ([3, 6, 1], 42),               # 1 + 6 + 15 + 20
])
def test_theoretical_bound_equals_hand_computed_values(sizes, expected):
    assert theoretical_bound(sizes) == expected


def test_theoretical_bound_refuses_bad_sizes():
    for bad in ([2], [2, 0, 1]):
        with pytest.raises(ValueError, match="sizes"):
            theoretical_bound(bad)


# --- upper bound ------------------------------------------------------------------------------------
def test_upper_bound_equals_the_one_layer_maximum_for_rectifiers():
    for n in (1, 2, 5, 8, 20):
        assert upper_bound([2, n, 1], "relu") == theoretical_bound([2, n, 1]) == 1 + n + n * (n - 1) // 2


def test_upper_bound_by_hand_for_deep_hard_tanh_and_maxout():
    assert upper_bound([2, 4, 2, 1], "relu") == 11 * 4  # (1+4+6) * (1+2+1)
    assert upper_bound([2, 3, 1], "hard_tanh") == 1 + 6 + 15  # 6 lines
    assert upper_bound([2, 2, 1], "maxout", maxout_k=3) == 1 + 6 + 15  # 2 units x C(3,2) = 6 lines
    assert upper_bound([2, 3, 1], "linear") == 1


@pytest.mark.parametrize("activation", ["relu", "abs", "hard_tanh", "maxout", "leaky_relu"])
def test_no_network_exceeds_its_upper_bound(activation):
    for seed in range(4):
        net = Network([2, 5, 4, 1], activation=activation, init="he", seed=seed)
        info = region_count(net, box=(-6, 6))
        assert info.upper == upper_bound(net.sizes, net.activations, net.options["maxout_k"])
        assert info.count <= info.upper


def test_upper_bound_refuses_bad_sizes_and_smooth_or_miscounted_units_naming_the_argument():
    with pytest.raises(ValueError, match=r"^sizes: expected"):
        upper_bound([2, 0, 1], "relu")
    with pytest.raises(ValueError, match=r"^activations: 'tanh' is not piecewise linear"):
        upper_bound([2, 3, 1], "tanh")
    with pytest.raises(ValueError, match=r"^activations: 1 names for 2 hidden layers"):
        upper_bound([2, 3, 3, 1], ["relu"])
