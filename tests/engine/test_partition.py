"""regioncam's exact partition: polygons that tile the box, region boundaries, and why there are none."""

import numpy as np
import pytest
from regionnets import BOX, layer_net, needs_regioncam, random_net, tangent_lines

from app.engine import partition
from app.engine.grid import GridEvaluator
from app.engine.network import Network
from app.engine.patterns import RegionTracker, activation_patterns, region_map
from app.engine.regions import region_count


# --- exact polygons ----------------------------------------------------------------------------------
def _areas(p: partition.RegionPolygons) -> np.ndarray:
    """Shoelace area of every cell."""
    out = []
    for f in range(p.cells):
        v = p.vertices[p.indices[p.offsets[f]:p.offsets[f + 1]]]
        x, y = v[:, 0], v[:, 1]
        out.append(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return np.array(out)


@needs_regioncam
def test_xor_by_hand_polygons_are_three_regions_bounded_by_the_two_lines():
    net = Network([2, 2, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, 1], [1, 1]], [[1], [-2]]], biases=[[0, -1], [0]])
    p = partition.region_polygons(net, box=(-0.5, 1.5))
    assert p.count == 3 and p.cells == 3
    assert _areas(p).sum() == pytest.approx(4.0)
    ends = p.vertices[p.edges]  # (E, 2 ends, 2)
    sums = sorted(round(float(s), 6) for s in ends.sum(axis=2).mean(axis=1))
    assert sums == [0.0, 1.0]  # each edge has both ends on one line x1 + x2 = c
    assert np.allclose(ends.sum(axis=2)[:, 0], ends.sum(axis=2)[:, 1])
    lengths = sorted(np.linalg.norm(ends[:, 0] - ends[:, 1], axis=1).round(6))
    assert lengths == pytest.approx([np.sqrt(2), 2 * np.sqrt(2)])  # each line crosses the whole box


@needs_regioncam
@pytest.mark.parametrize(("activation", "options"), [
    ("relu", {}), ("leaky_relu", {"leaky_slope": 0.2}), ("prelu", {}), ("abs", {}), ("hard_tanh", {}),
    ("maxout", {"maxout_k": 3}),
])
def test_polygons_tile_the_box_and_their_regions_are_the_exact_count(activation, options):
    net = random_net(activation, [2, 6, 5, 1], 3, **options)
    p = partition.region_polygons(net, box=(-3, 3))
    assert p.count == region_count(net, box=(-3, 3), method="exact").count
    assert _areas(p).sum() == pytest.approx(36.0, rel=1e-5)
    assert np.all((p.vertices >= -3) & (p.vertices <= 3))
    # every boundary separates two regions: the patterns just either side of its middle differ
    a, b = p.vertices[p.edges[:, 0]], p.vertices[p.edges[:, 1]]
    long = np.linalg.norm(b - a, axis=1) > 1e-3
    mid, d = (a + b)[long] / 2, (b - a)[long]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.linalg.norm(d, axis=1)[:, None] * 1e-4
    left, right = activation_patterns(net, mid + normal), activation_patterns(net, mid - normal)
    assert long.sum() > 5 and np.all(np.any(left != right, axis=1))


@needs_regioncam
def test_polygon_region_ids_match_the_grid_maps_ids_through_one_tracker():
    net = random_net("relu", [2, 8, 8, 1], 4)
    grid = GridEvaluator(box=(-3, 3), size=60)
    tracker = RegionTracker()
    ids = region_map(net, grid, tracker)
    p = partition.region_polygons(net, box=(-3, 3))
    face_ids = tracker.ids(p.patterns)
    # a grid point inside a cell has the cell's id: test the point nearest each big cell's centroid
    area = _areas(p)
    checked = 0
    for f in np.nonzero(area > 0.2)[0]:
        v = p.vertices[p.indices[p.offsets[f]:p.offsets[f + 1]]]
        centre = v.mean(axis=0)
        step = 6 / 60
        c, r = int((centre[0] + 3) / step), int((3 - centre[1]) / step)
        point = grid.inputs[r * 60 + c]
        if np.hypot(*(point - centre)) < 0.5 * np.sqrt(area[f]) / 3:  # well inside
            assert ids[r, c] == face_ids[f]
            checked += 1
    assert checked >= 10


def test_polygons_unavailable_name_the_reason(monkeypatch):
    smooth = Network([2, 3, 1], activation="tanh")
    with pytest.raises(partition.PolygonsUnavailable, match="tanh"):
        partition.region_polygons(smooth)
    relu = Network([3, 3, 1], activation="relu")
    with pytest.raises(partition.PolygonsUnavailable, match="x1sq"):
        partition.region_polygons(relu, features=("x1", "x2", "x1sq"))
    with pytest.raises(ValueError, match="limit"):
        partition.region_polygons(Network([2, 3, 1], activation="relu"), limit=0)
    monkeypatch.setattr(partition, "regioncam", None)
    with pytest.raises(partition.PolygonsUnavailable, match="regioncam is not installed"):
        partition.region_polygons(Network([2, 3, 1], activation="relu"))


@needs_regioncam
def test_polygons_beyond_the_limit_are_refused_with_the_cell_count():
    normals, offsets = tangent_lines(6)  # 1 + 6 + 15 = 22 regions
    net = layer_net(normals, offsets)
    assert partition.region_polygons(net, box=BOX, limit=22).count == 22
    with pytest.raises(partition.PolygonsUnavailable, match="22 cells, more than the limit of 21"):
        partition.region_polygons(net, box=BOX, limit=21)
    net.biases[0][0] = np.nan
    with pytest.raises(partition.PolygonsUnavailable, match="not finite"):
        partition.region_polygons(net, box=BOX)


@needs_regioncam
def test_one_dimensional_regions_are_vertical_strips_split_at_the_kinks():
    net = Network([1, 4, 1], activation="relu", output="linear")
    net.set_parameters(weights=[[[1, 1, -1, 1]], [[1], [1], [1], [1]]], biases=[[2, -1, 0.5, -9], [0]])
    p = partition.region_polygons(net, box=(-4, 4), features=("x1",))
    assert p.count == 4 and p.cells == 4
    assert _areas(p).sum() == pytest.approx(64.0)
    ends = p.vertices[p.edges]  # vertical lines from the bottom of the box to the top
    assert sorted(ends[:, 0, 0].round(5)) == [-2.0, 0.5, 1.0]
    assert np.allclose(ends[:, 0, 0], ends[:, 1, 0]) and np.all(np.abs(ends[:, :, 1]) == 4)
