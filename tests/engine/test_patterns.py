"""Activation patterns and region ids: one id per region, ids that stay put from frame to frame."""

import numpy as np
import pytest
from regionnets import layer_net, random_net

from app.engine.grid import GridEvaluator
from app.engine.network import Network
from app.engine.patterns import MAX_ID, RegionTracker, activation_patterns, region_map


# --- region map -----------------------------------------------------------------------------------
def test_region_map_gives_one_id_per_quadrant_and_row_zero_is_the_top():
    net = layer_net([[1, 0], [0, 1]], [0.0, 0.0])
    grid = GridEvaluator(box=(-4, 4), size=8)
    ids = region_map(net, grid)
    assert ids.shape == (8, 8) and ids.dtype == np.uint16
    # Ids follow first appearance in row-major order: top-left quadrant first, then top-right.
    assert np.all(ids[:4, :4] == 0) and np.all(ids[:4, 4:] == 1)
    assert np.all(ids[4:, :4] == 2) and np.all(ids[4:, 4:] == 3)


def test_region_map_of_one_dimensional_data_is_a_line_of_ids():
    net = Network([1, 2, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, 1]], [[1], [1]]], biases=[[1, -2], [0]])  # kinks at x1 = -1 and 2
    ids = region_map(net, GridEvaluator(box=(-3, 3), size=6, features=("x1",)))
    np.testing.assert_array_equal(ids, [0, 0, 1, 1, 1, 2])


def test_region_map_of_network_inputs_has_one_id_per_point():
    net = layer_net([[1, 0]], [0.0])
    ids = region_map(net, np.array([[-1.0, 5.0], [2.0, 0.0], [-3.0, -1.0]]))
    np.testing.assert_array_equal(ids, [0, 1, 0])
    with pytest.raises(ValueError, match="grid"):
        region_map(net, np.zeros((3, 3)))


def test_region_map_refuses_smooth_networks_naming_the_units():
    with pytest.raises(ValueError, match="piecewise-linear"):
        region_map(Network([2, 3, 1], activation="tanh"), GridEvaluator(size=4))


def test_region_ids_stay_put_when_a_new_region_appears_on_the_left():
    # Three vertical strips (kinks x1 = -3 and x1 = 3); a third unit's line starts outside the box.
    net = layer_net([[1, 0], [1, 0], [1, 0]], [-3.0, 3.0, -20.0])
    grid = GridEvaluator(box=(-6, 6), size=12)
    tracker = RegionTracker()
    before = region_map(net, grid, tracker)
    np.testing.assert_array_equal(before[0], [0] * 3 + [1] * 6 + [2] * 3)
    net.set_param("bias", 0, 2, 5.0)  # the third line moves to x1 = -5, splitting the left strip
    after = region_map(net, grid, tracker)
    np.testing.assert_array_equal(after[0], [3] + [0] * 2 + [1] * 6 + [2] * 3)
    fresh = region_map(net, grid)  # without the tracker every id shifts
    np.testing.assert_array_equal(fresh[0], [0] + [1] * 2 + [2] * 6 + [3] * 3)


def test_region_ids_survive_a_small_weight_change_in_a_deep_net():
    net = random_net("relu", [2, 8, 8, 1], 4)
    grid = GridEvaluator(size=60)
    tracker = RegionTracker()
    before = region_map(net, grid, tracker)
    net.weights[1][2, 3] += 1e-3
    after = region_map(net, grid, tracker)
    patterns = activation_patterns(net, grid.inputs)
    # Cells whose activation pattern did not change keep their id; almost all cells are such cells.
    unchanged = np.all(patterns == activation_patterns(_perturbed_back(net), grid.inputs), axis=1)
    assert unchanged.mean() > 0.97
    np.testing.assert_array_equal(after.ravel()[unchanged], before.ravel()[unchanged])


def _perturbed_back(net):
    clone = net.copy()
    clone.weights[1][2, 3] -= 1e-3
    return clone


def test_tracker_hands_out_the_overflow_id_when_full_and_recycles_ids_of_vanished_regions():
    tracker = RegionTracker(capacity=3)
    frame = np.array([[1], [2], [3], [4], [1]], dtype=np.uint8)
    np.testing.assert_array_equal(tracker.ids(frame), [0, 1, 2, MAX_ID, 0])
    # Patterns 1 and 2 vanish; 9 and 8 take their ids, pattern 3 keeps id 2.
    np.testing.assert_array_equal(tracker.ids(np.array([[3], [9], [8]], dtype=np.uint8)), [2, 0, 1])
    assert len(tracker) == 3


def test_tracker_starts_afresh_when_the_pattern_width_changes():
    tracker = RegionTracker()
    tracker.ids(np.array([[5], [6]], dtype=np.uint8))
    np.testing.assert_array_equal(tracker.ids(np.array([[6, 0], [7, 0]], dtype=np.uint8)), [0, 1])
    with pytest.raises(ValueError, match="capacity"):
        RegionTracker(capacity=MAX_ID + 1)
