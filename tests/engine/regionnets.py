"""Networks whose linear regions are known by construction, shared by the region tests
(test_regions, test_patterns, test_partition, test_bounds)."""

import numpy as np
import pytest

from app.engine import partition
from app.engine.network import Network

needs_regioncam = pytest.mark.skipif(not partition.available(), reason="regioncam is not installed")
SINGLE_KINK = ["relu", "leaky_relu", "prelu", "rrelu", "abs"]
BOX = (-10.0, 10.0)


def layer_net(normals, offsets, activation="relu", **options):
    """One hidden layer whose unit i has the line normals[i] . x = offsets[i] as its kink."""
    normals = np.asarray(normals, dtype=float)
    net = Network([2, len(normals), 1], activation=activation, output="linear",
                  activation_options=options or None)
    net.set_parameters(weights=[normals.T, np.ones((len(normals), 1))],
                       biases=[-np.asarray(offsets, dtype=float), [0.0]])
    return net


def tangent_lines(k):
    """k tangents of the unit circle at distinct angles in [0, 0.9 pi): no two parallel, no three through
    one point (a point outside a circle has only two tangents), every crossing within 6.4 of the origin."""
    angles = 0.9 * np.pi * np.arange(k) / k + 0.05
    return np.stack([np.cos(angles), np.sin(angles)], axis=1), np.ones(k)


def random_net(activation, sizes, seed, **options):
    net = Network(sizes, activation=activation, init="he", seed=seed, activation_options=options or None)
    rng = np.random.default_rng(seed)
    for b in net.biases:
        b[:] = rng.normal(0.0, 1.0, size=b.shape)
    for params in net.unit_params:
        if "slope" in params:
            params["slope"][:] = rng.uniform(-0.5, 0.9, size=params["slope"].size)
    return net
