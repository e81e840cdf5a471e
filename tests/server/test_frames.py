"""The frame maker (app/frames.py): the maps of a frame against the network at the cell centres, the metrics
against the engine's loss and accuracy, the grid evaluator's lifetime, and diverged networks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from app import protocol as p
from app.config import SessionConfig
from app.engine.grid import GridEvaluator
from app.frames import FrameMaker, ViewState, thumbnail_steps
from app.pieces import finish
from app.session import Session


def cell_centres(s: Session, g: int) -> np.ndarray:
    """``(g * g, 2)`` cell centres of the view box, row 0 at the top (x2 = box hi)."""
    lo, hi = s.data.box
    c = lo + (np.arange(g) + 0.5) * (hi - lo) / g
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def test_default_scene_frame_fits_16_kb():
    s = Session(scene="playground")
    s.train(50)
    frame = p.encode_snapshot(s.snapshot())
    assert len(frame) <= 16 * 1024
    header, arrays = p.decode_frame(frame)
    assert arrays["output"].shape == (100, 100) and arrays["thumbnails"].shape == (6, 24, 24)
    assert header["step"] == 50 and header["sizes"] == [2, 4, 2, 1]


def test_output_map_is_the_network_at_cell_centres_row_zero_on_top():
    s = Session(SessionConfig(grid=20, output="sigmoid", seed=2))
    s.train(40)
    snap = s.snapshot()
    lo, hi = s.data.box
    centres = lo + (np.arange(20) + 0.5) * (hi - lo) / 20
    x1, x2 = np.meshgrid(centres, centres[::-1])  # row 0 is x2 = hi
    expected = s.network.predict(np.column_stack([x1.ravel(), x2.ravel()]))[:, 0].reshape(20, 20)
    assert np.allclose(snap.output, expected, atol=1e-5)
    assert snap.output_range == (0.0, 1.0)


def test_unit_map_and_thumbnails_show_the_hidden_units():
    s = Session(SessionConfig(grid=16, thumbnail=8, hidden=[3], activation="relu", seed=1))
    s.set_view(unit=(0, 2))
    snap = s.snapshot()
    lo, hi = s.data.box
    c = lo + (np.arange(16) + 0.5) * (hi - lo) / 16
    x1, x2 = np.meshgrid(c, c[::-1])
    z = np.column_stack([x1.ravel(), x2.ravel()]) @ s.network.weights[0] + s.network.biases[0]
    assert np.allclose(snap.unit_map, np.maximum(z[:, 2], 0).reshape(16, 16), atol=1e-4)
    assert snap.thumbnails.shape == (3, 8, 8)
    with pytest.raises(ValueError, match="unit"):
        s.set_view(unit=(1, 0))
    assert s.view.unit == (0, 2)


def test_features_without_x2_give_maps_constant_down_each_column():
    s = Session(SessionConfig(features=["x1", "x1sq"], grid=12, thumbnail=6))
    snap = s.snapshot()
    assert snap.output.shape == (12, 12) and np.all(snap.output == snap.output[0])
    assert snap.thumbnails.shape == (6, 6, 6)
    assert len(p.encode_snapshot(snap)) > 0


def test_softmax_frames_carry_classes_and_confidence():
    s = Session(SessionConfig(dataset="blobs", classes=4, output="softmax", grid=30))
    s.train(50)
    _, arrays = p.decode_frame(p.encode_snapshot(s.snapshot()))
    assert "output" not in arrays and arrays["classes"].max() <= 3 and arrays["confidence"].shape == (30, 30)
    probs = s.network.predict(s.data.train_x)
    assert probs.shape[1] == 4


def test_regions_view_reports_count_and_map_for_piecewise_linear_nets():
    pytest.importorskip("app.engine.regions")
    s = Session(scene="xor-by-hand")
    snap = s.snapshot()
    assert snap.regions["count"] >= 3 and snap.regions_drawn == "polygons"
    polygons, ids = snap.region_polygons
    assert polygons.count == 3 and ids.dtype == np.uint16 and snap.region_map is None


@pytest.mark.parametrize("config", [
    SessionConfig(output="tanh", loss="squared_error"),
    SessionConfig(output="sigmoid"),
    SessionConfig(dataset="blobs", classes=3, output="softmax"),
    SessionConfig(dataset="reg-gauss", output="linear"),
])
def test_frame_metrics_equal_the_engine_loss_and_accuracy(config):
    s = Session(config)
    s.train(30)
    m = p.frame_header(s.snapshot())
    net, d = s.network, s.data
    assert m["train_loss"] == pytest.approx(net.loss(d.train_x, d.train_t), rel=1e-12)
    assert m["test_loss"] == pytest.approx(net.loss(d.test_x, d.test_t), rel=1e-12)
    if d.regression:
        assert m["train_accuracy"] is None and m["test_accuracy"] is None
    else:
        assert m["train_accuracy"] == net.accuracy(d.train_x, d.train_y)
        assert m["test_accuracy"] == net.accuracy(d.test_x, d.test_y)



def test_softmax_class_and_confidence_maps_are_the_arg_max_and_max_at_the_cell_centres():
    s = Session(SessionConfig(dataset="blobs", classes=3, output="softmax", grid=12, seed=4))
    s.train(40)
    snap = s.snapshot()
    probs = s.network.predict(cell_centres(s, 12))
    assert snap.output is None
    assert np.array_equal(snap.classes, np.argmax(probs, axis=1).reshape(12, 12))
    assert np.allclose(snap.confidence, np.max(probs, axis=1).reshape(12, 12), atol=1e-5)


def test_a_frame_maker_keeps_its_grid_evaluator_for_the_same_grid_and_makes_a_new_one_for_another():
    s = Session(SessionConfig(hidden=[3], grid=20))
    maker = FrameMaker()
    grid = maker.evaluator(s.data, s.config)
    regions = maker.regions
    maker.network_changed(s.data, s.config)  # a reset: same box, grid and features
    assert maker.evaluator(s.data, s.config) is grid and maker.regions is not regions
    maker.network_changed(s.data, s.config.merged({"features": ["x1", "x2", "x1sq"]}))
    assert maker.grid is None
    grid = maker.evaluator(s.data, s.config)
    maker.regions.tracker = object()  # a numbering of the old map
    maker.grid_changed()
    assert maker.grid is None and maker.regions.tracker is None


def test_the_frame_maker_draws_the_network_and_view_it_is_given():
    s = Session(SessionConfig(hidden=[4, 2], activation="relu", grid=10, thumbnail=5, seed=3))
    s.train(10)
    s.view = ViewState(unit=(1, 1))
    s.playing = True
    snap = finish(FrameMaker().snapshot_steps(s))
    hidden = s.network.forward(cell_centres(s, 10)).a[2][:, 1]  # layer 1, unit 1
    assert np.allclose(snap.unit_map, hidden.reshape(10, 10), atol=1e-5)
    assert (snap.step, snap.epoch, snap.state, snap.unit) == (10, s.trainer.epochs_done(), "playing", (1, 1))
    assert snap.sizes == [2, 4, 2, 1]
    assert snap.thumbnails.shape == (6, 5, 5) and snap.regions is None and snap.region_map is None
    assert np.array_equal(snap.params.blocks[0].W(snap.params.values), s.network.weights[0])


def test_a_diverged_networks_frame_is_made_without_floating_point_warnings_and_with_null_losses():
    s = Session(SessionConfig(dataset="reg-plane", output="linear", hidden=[8, 8], activation="relu",
                              learning_rate=10.0, init="he"))
    s.train(500)
    assert s.state == "diverged"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning of NumPy fails the test
        snap = s.snapshot()
    assert snap.state == "diverged" and snap.metrics.train_loss is None and snap.metrics.test_loss is None
    header, _ = p.decode_frame(p.encode_snapshot(snap))
    assert header["train_loss"] is None and header["state"] == "diverged"



def test_a_pause_while_a_frame_is_made_in_pieces_is_the_state_its_header_says():
    s = Session(SessionConfig(hidden=[8, 8], grid=20))
    s.playing = True
    steps = s.snapshot_steps()
    next(steps)  # the hub's pause does not wait for a frame in progress
    s.playing = False
    assert finish(steps).state == "paused"


@pytest.mark.parametrize("config", [
    SessionConfig(hidden=[4, 2], activation="tanh"),
    SessionConfig(hidden=[3, 2], activation="maxout"),
    SessionConfig(hidden=[4], activation="prelu"),
    SessionConfig(hidden=[5], activation="rbf"),
])
def test_the_header_parameters_are_each_array_rounded_to_4_decimals(config):
    s = Session(config)
    s.train(25)
    header = p.frame_header(s.snapshot())
    net = s.network
    assert header["weights"] == [np.round(w, 4).tolist() for w in net.weights]
    assert header["biases"] == [np.round(b, 4).tolist() for b in net.biases]
    assert header["unit_params"] == [{k: np.round(v, 4).tolist() for k, v in u.items()}
                                     for u in net.unit_params]
    assert bool(header["unit_params"][0]) == (config.activation in ("prelu", "rbf"))  # slopes, widths


# calls of next(): one for a small network's; a big one's a layer a call, then the joining one
@pytest.mark.parametrize(("hidden", "grid", "thumb", "calls"),
                         [([4, 2], 100, 24, 1), ([64] * 8, 200, 64, 9)])
def test_thumbnails_sample_each_units_map_at_thumbnail_cell_centres_small_nets_in_one_piece(
        hidden, grid, thumb, calls):
    s = Session(SessionConfig(hidden=hidden, activation="relu", grid=grid, thumbnail=thumb, seed=3))
    s.train(3)
    result = s.frames.evaluator(s.data, s.config).evaluate(s.network)
    work = thumbnail_steps(result, thumb)
    got, count = None, 0
    while got is None:
        count += 1
        try:
            next(work)
        except StopIteration as done:
            got = done.value
    assert count == calls
    # the cell of the grid under each thumbnail pixel's centre, by a loop over pixels
    cells = [int((i + 0.5) * grid / thumb) for i in range(thumb)]
    maps = result.maps  # (units, G, G), gathered once: each access is a new array
    for unit in (0, len(maps) - 1):
        expected = [[maps[unit, r, c] for c in cells] for r in cells]
        assert np.array_equal(got[unit], np.array(expected))


def counting_grid_passes(monkeypatch) -> list[int]:
    """Count the grid passes every evaluator makes from now on."""
    calls = [0]
    original = GridEvaluator.evaluate_steps

    def evaluate_steps(self, net):
        calls[0] += 1
        return (yield from original(self, net))

    monkeypatch.setattr(GridEvaluator, "evaluate_steps", evaluate_steps)
    return calls


def test_a_paused_networks_next_frame_shows_its_last_grid_pass_again_until_the_network_changes(monkeypatch):
    s = Session(SessionConfig(hidden=[3], activation="relu", grid=12, thumbnail=4, seed=4))
    s.train(20)
    passes = counting_grid_passes(monkeypatch)
    first = s.snapshot()
    s.set_view(unit=(0, 1))  # a hovered unit: nothing of the network changed
    hovered = s.snapshot()
    assert passes[0] == 1
    assert np.array_equal(hovered.thumbnails, first.thumbnails)
    cells = [int((i + 0.5) * 12 / 4) for i in range(4)]  # thumbnail pixel centres' grid cells
    assert np.array_equal(hovered.thumbnails[1], hovered.unit_map[np.ix_(cells, cells)])
    z = cell_centres(s, 12) @ s.network.weights[0] + s.network.biases[0]
    assert np.allclose(hovered.unit_map, np.maximum(z[:, 1], 0).reshape(12, 12), atol=1e-4)
    s.set_param("weight", 0, [0, 1], 2.5)  # an edited weight: computed again, and shown
    edited = s.snapshot()
    assert passes[0] == 2
    z = cell_centres(s, 12) @ s.network.weights[0] + s.network.biases[0]
    assert np.allclose(edited.unit_map, np.maximum(z[:, 1], 0).reshape(12, 12), atol=1e-4)
    expected = s.network.predict(cell_centres(s, 12))[:, 0].reshape(12, 12)
    assert np.allclose(edited.output, expected, atol=1e-5)
    assert np.array_equal(edited.thumbnails[1], edited.unit_map[np.ix_(cells, cells)])
    assert not np.array_equal(edited.thumbnails[1], hovered.thumbnails[1])
    net, d = s.network, s.data
    assert edited.metrics.train_loss == pytest.approx(net.loss(d.train_x, d.train_t), rel=1e-12)


def test_new_data_or_training_makes_the_frame_compute_again(monkeypatch):
    s = Session(SessionConfig(hidden=[3], activation="tanh", grid=12, seed=5))
    passes = counting_grid_passes(monkeypatch)
    s.snapshot()
    s.regenerate()  # new points (the same network after a reset of its weights): new metrics
    regenerated = s.snapshot()
    d = s.data
    assert regenerated.metrics.train_loss == pytest.approx(s.network.loss(d.train_x, d.train_t), rel=1e-12)
    s.playing = True
    for _ in range(2):  # a playing session's frames: each a new pass, never one kept from before
        s.train(1)
        s.snapshot()
    s.playing = False
    s.snapshot()
    assert passes[0] == 5
