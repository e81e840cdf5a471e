"""Frames carry the exact region polygons where regioncam can make them, else the grid map, and say which."""

from __future__ import annotations

import asyncio
import dataclasses

import numpy as np
import pytest

from app import protocol as p
from app import regioncount, regionview
from app.config import SessionConfig
from app.engine import partition, regions
from app.hub import Hub
from app.session import Session
from app.settings import Settings

from .test_hub import attached

pytestmark = pytest.mark.skipif(not partition.available(), reason="regioncam is not installed")


@pytest.fixture(scope="module", autouse=True)
def stop_worker():
    yield
    regioncount.shutdown()


def frame(s: Session):
    return p.decode_frame(p.encode_snapshot(s.snapshot()))


def test_xor_by_hand_frame_carries_the_two_lines_as_region_edges():
    s = Session(scene="xor-by-hand")
    header, arrays = frame(s)
    assert header["regions_drawn"] == "polygons" and "region_map" not in arrays
    v, edges = arrays["region_vertices"], arrays["region_edges"]
    assert v.dtype == np.float32 and v.shape[1] == 2 and edges.dtype == np.uint16
    ends = v[edges.astype(int)].astype(float)  # (E, 2, 2)
    assert sorted(ends.sum(axis=2)[:, 0].round(5)) == [0.0, 1.0]
    assert np.allclose(ends.sum(axis=2)[:, 0], ends.sum(axis=2)[:, 1], atol=1e-6)
    cells = arrays["region_cells"]
    assert cells[0] == 0 and cells[-1] == len(arrays["region_corners"]) == 10
    assert sorted(arrays["region_ids"].tolist()) == [0, 1, 2]


def test_region_ids_of_polygons_and_of_the_grid_map_are_one_numbering():
    s = Session(scene="depth")
    _, arrays = frame(s)
    poly_ids = set(arrays["region_ids"].tolist())
    # the same network drawn through the fallback: the grid map's ids are the polygons' ids
    maker = s.frames.regions.maker
    maker.last = dataclasses.replace(maker.last, polygons=None, why="forced")
    header, grid = frame(s)
    assert header["regions_drawn"] == "grid map: forced"
    assert set(np.unique(grid["region_map"]).tolist()) <= poly_ids


def test_one_dimensional_data_gets_strips_as_polygons():
    s = Session(config=SessionConfig(features=["x1"], dataset="sine", output="linear", loss="squared_error",
                                     activation="relu", hidden=[12], init="he"))
    s.set_view(regions=True)
    s.train(200)
    header, arrays = frame(s)
    assert header["regions_drawn"] == "polygons" and len(arrays["region_ids"]) >= header["regions"]["count"]


def test_without_polygons_the_frame_carries_the_grid_map_and_says_why():
    config, why = SessionConfig(features=["x1", "x2", "x1sq"], activation="relu"), "not (x1, x2)"
    s = Session(config=config)
    s.set_view(regions=True)
    header, arrays = frame(s)
    assert header["regions_drawn"].startswith("grid map:") and why in header["regions_drawn"]
    assert arrays["region_map"].shape == (s.config.grid, s.config.grid) and "region_vertices" not in arrays


def test_smooth_units_get_neither_polygons_nor_a_map():
    s = Session(scene="playground")
    s.set_view(regions=True)
    header, arrays = frame(s)
    assert header["regions"]["count"] is None and header["regions_drawn"] is None
    assert not any(name.startswith("region") for name in arrays)


def test_beyond_the_polygon_limit_the_grid_map_is_drawn(monkeypatch):
    monkeypatch.setattr(partition, "POLYGON_LIMIT", 5)
    s = Session(scene="depth")
    header, arrays = frame(s)
    # the partition stops at the first layer past the limit (later layers only split cells)
    assert header["regions_drawn"] == "grid map: at least 8 cells, more than the limit of 5"
    assert "region_map" in arrays


def test_a_big_network_gets_its_polygons_from_the_worker_when_paused_and_the_grid_while_playing(monkeypatch):
    monkeypatch.setattr(regionview, "POLYGONS_SLOW_S", 0.0)  # however fast this machine makes them
    s = Session(config=SessionConfig(hidden=[40, 40], activation="relu"))  # beyond regioncount.small
    s.set_view(regions=True)
    header, arrays = frame(s)
    assert header["regions_drawn"] == "grid map: making the exact polygons\u2026"
    pending = s.region_count_pending()
    while pending is not None:  # first the count, then the polygons
        pending.result(timeout=120)
        s.snapshot()
        pending = s.region_count_pending()
    header, arrays = frame(s)
    assert header["regions_drawn"] == "polygons"
    want = regions.region_polygons(s.network, s.data.box)
    assert len(arrays["region_ids"]) == want.cells
    assert np.allclose(arrays["region_vertices"], want.vertices, atol=1e-5)
    s.playing = True
    s.train(1)
    header, arrays = frame(s)  # a playing big net is not held up for its polygons
    assert "region_vertices" not in arrays and "paused" in header["regions_drawn"]


def test_slow_polygons_of_a_small_net_move_to_the_worker(monkeypatch):
    monkeypatch.setattr(regionview, "POLYGONS_SLOW_S", 0.0)
    s = Session(scene="depth")
    s.playing = False
    assert frame(s)[0]["regions_drawn"] == "polygons"  # the first ones, made at once
    s.set_param("bias", 0, 0, 0.5)
    assert frame(s)[0]["regions_drawn"] == "grid map: making the exact polygons\u2026"
    s.region_count_pending().result(timeout=120)
    assert frame(s)[0]["regions_drawn"] == "polygons"


def test_pausing_a_big_playing_network_brings_a_frame_with_its_exact_polygons():
    async def go():
        hub = Hub(Settings())
        s = Session(config=SessionConfig(hidden=[40, 40], activation="relu"))  # beyond regioncount.small
        live, ws = await attached(hub, s)
        s.set_view(regions=True)
        s.playing = True
        s.snapshot()  # a frame while playing: the grid map, polygons held back
        assert s.polygons_held
        await hub.handle(live, p.Pause(type="pause"))
        for _ in range(600):  # "making the exact polygons", then, from the worker, the polygons
            drawn = [p.decode_frame(m)[0]["regions_drawn"] for m in ws.sent if isinstance(m, bytes)]
            if "polygons" in drawn:
                break
            await asyncio.sleep(0.1)
        await hub.shutdown()
        return drawn

    drawn = asyncio.run(go())
    assert drawn[-1] == "polygons", drawn
