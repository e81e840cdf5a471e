"""app/importing.py through the session's hooks: the JSON export read back exactly, a CSV made the session's
data, and every refusal naming what was wrong while the session stays as it was."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.config import SessionConfig
from app.engine.csvdata import parse_csv
from app.importing import EXPORT_FORMAT, EXPORT_VERSION, ImportFault, read_export
from app.session import Session

XOR_CSV = "x1,x2,label\n" + "".join(f"{x},{y},{int((x > 0) != (y > 0))}\n"
                                    for x in (-2, -1, 1, 2) for y in (-3, -1, 1, 3))


def trained(**config) -> Session:
    s = Session(SessionConfig(seed=5, hidden=[5, 3], activation=["prelu", "tanh"], optimizer="adam",
                              learning_rate=0.02, **config))
    s.train(37)
    s.set_param("slope", 0, 2, 0.37)  # a unit parameter the export must carry too (set by hand)
    return s


def parameters(s: Session) -> list[np.ndarray]:
    net = s.network
    return [*net.weights, *net.biases, *(v for layer in net.unit_params for v in layer.values())]


def assert_same_network(a: Session, b: Session) -> None:
    assert a.config == b.config and a.step_count == b.step_count
    for x, y in zip(parameters(a), parameters(b), strict=True):
        np.testing.assert_array_equal(x, y)


def assert_untouched(s: Session, before: list[np.ndarray], step: int, config: SessionConfig) -> None:
    assert s.step_count == step and s.config == config
    for x, y in zip(parameters(s), before, strict=True):
        np.testing.assert_array_equal(x, y)


# --- the JSON export, read back ---------------------------------------------------------------------------


def test_the_export_names_its_format_and_version():
    doc = json.loads(trained().export("json")[1])
    assert (doc["format"], doc["version"]) == (EXPORT_FORMAT, EXPORT_VERSION) == ("mlp-playground", 1)
    assert list(doc) == ["format", "version", "config", "step", "parameters"]


def test_export_then_import_restores_config_every_parameter_step_frame_maps_and_losses():
    a = trained()
    _, text = a.export("json")
    b = Session()  # the default scene: another dataset, network and step
    result = b.import_json(text)
    assert_same_network(a, b)
    assert (result.kind, result.step, result.rows) == ("json", 37, len(a.data.train_y) + len(a.data.test_y))
    np.testing.assert_array_equal(a.data.train_raw, b.data.train_raw)  # the data made again from the seed
    snap_a, snap_b = a.snapshot(), b.snapshot()
    np.testing.assert_array_equal(snap_a.output, snap_b.output)
    np.testing.assert_array_equal(snap_a.thumbnails, snap_b.thumbnails)
    assert snap_a.metrics == snap_b.metrics
    assert b.network.unit_params[0]["slope"][2] == 0.37


def test_an_import_restarts_the_optimizer_and_the_history_at_the_imported_step():
    b = Session()
    b.import_json(trained().export("json")[1])
    assert b.history.steps == [37]
    assert b.trainer.optimizer.m is None  # Adam's moments start afresh: they are not in the file
    assert b.train(5) == 5 and b.step_count == 42


def test_the_notes_say_that_a_stateful_optimizer_starts_afresh_and_sgd_has_nothing_to_lose():
    notes = Session().import_json(trained().export("json")[1]).notes  # Adam at step 37
    assert notes == ["the adam optimizer starts afresh: its running averages are not in the file, so "
                     "training on takes its own path from here"]
    sgd = Session(SessionConfig(seed=2))
    sgd.train(5)
    assert Session().import_json(sgd.export("json")[1]).notes == []


def test_an_import_keeps_playing_and_drops_the_scene():
    b = Session(scene="xor-by-hand")
    b.playing = True
    b.import_json(trained().export("json")[1])
    assert b.playing and b.scene is None


def test_reset_after_an_import_goes_to_the_configs_initial_weights():
    a = trained()
    b = Session()
    b.import_json(a.export("json")[1])
    b.reset()
    fresh = Session(a.config)
    assert b.step_count == 0
    for x, y in zip(parameters(b), parameters(fresh), strict=True):
        np.testing.assert_array_equal(x, y)


def test_an_export_written_before_versions_is_read_as_version_1_with_a_note():
    a = trained()
    doc = json.loads(a.export("json")[1])
    del doc["format"], doc["version"]
    b = Session()
    result = b.import_json(json.dumps(doc))
    assert_same_network(a, b)
    assert result.notes[0] == ("the file has no version: it was read as version 1, the layout exports had "
                               "before they carried one")


def _refused(text: str | bytes, field: str, mentions: str, config: bool = False) -> ImportFault:
    s = Session()
    s.train(3)
    s.playing = True
    before, step, cfg = [x.copy() for x in parameters(s)], s.step_count, s.config
    with pytest.raises(ImportFault) as err:
        s.import_json(text)
    assert err.value.field == field and mentions in str(err.value), str(err.value)
    assert err.value.config is config
    assert_untouched(s, before, step, cfg)
    assert s.playing
    return err.value


def _export(**changes) -> str:
    doc = json.loads(trained().export("json")[1])
    doc.update(changes)
    return json.dumps(doc)


def test_another_version_is_refused_naming_version():
    _refused(_export(version=2), "version", "the file is version 2; this server reads version 1")
    _refused(_export(version="1"), "version", "version '1'")


@pytest.mark.parametrize("text", ['[1, 2]', '{"hello": 1}', '{"format": "tf-playground", "version": 1}'])
def test_a_file_that_is_not_an_export_is_refused_naming_format(text):
    _refused(text, "format", "not an MLP Playground export")


def test_json_that_does_not_parse_names_its_line_and_column():
    err = _refused('{\n "format": "mlp-playground",\n "version": 1,,\n}', "content", "line 3, column")
    assert (err.row, err.column) == (3, 15)  # the second comma


def test_an_empty_file_and_bytes_that_are_not_utf8_are_refused_naming_content():
    _refused("  \n", "content", "the file is empty")
    _refused(b'{"a": "\xff"}', "content", "not UTF-8")


def test_a_config_this_server_refuses_names_the_config_field():
    doc = json.loads(_export())
    doc["config"]["hidden"] = [100, 3]
    _refused(json.dumps(doc), "config.hidden.0", "less than or equal to 64", config=True)
    doc["config"]["hidden"] = [5, 3]
    doc["config"]["optimiser"] = "adam"
    _refused(json.dumps(doc), "config.optimiser", "unknown field", config=True)


def test_a_config_that_cannot_be_built_names_the_field_under_config():
    doc = json.loads(_export())
    doc["config"]["batch_size"] = 4000  # above the 250 training points
    _refused(json.dumps(doc), "config.batch_size", "training-set size", config=True)


def test_parameters_that_do_not_fit_the_files_network_are_refused_naming_parameters():
    doc = json.loads(_export())
    doc["parameters"]["weights"][1] = [[0.0]]
    _refused(json.dumps(doc), "parameters", "weights[1] has shape [1, 1], expected [5, 3]")
    doc = json.loads(_export())
    doc["parameters"]["weights"][0][0] = [1, [2], 3]
    _refused(json.dumps(doc), "parameters", "nested lists of numbers")
    doc = json.loads(_export())
    doc["parameters"]["unit_params"][0] = {"slope": [float("nan")] * 5}
    _refused(json.dumps(doc), "parameters", "finite numbers")
    doc = json.loads(_export())
    del doc["parameters"]["biases"]
    _refused(json.dumps(doc), "parameters", "weights, biases and unit_params")


@pytest.mark.parametrize("step", [-1, 1.5, "12", 2**60])
def test_a_bad_step_is_refused_naming_step(step):
    _refused(_export(step=step), "step", "step: expected a whole number")


def test_a_file_over_four_mebibytes_is_refused_before_parsing():
    _refused(" " * (4 * 1024 * 1024 + 1), "content", "the limit is 4,194,304 bytes")


def test_read_export_returns_the_checked_config_parameters_and_step():
    a = trained()
    doc = read_export(a.export("json")[1])
    assert doc.config == a.config and doc.step == 37 and doc.notes == []
    assert set(doc.parameters) == {"weights", "biases", "unit_params"}


# --- a CSV of the user's points ------------------------------------------------------------------------


def test_a_csv_becomes_the_user_dataset_with_its_points_and_box_from_step_0():
    s = Session()
    s.train(10)
    result = s.import_csv(XOR_CSV)
    data = parse_csv(XOR_CSV)
    assert (result.kind, result.rows, result.regression, result.classes, result.step) == ("csv", 16, False,
                                                                                           2, 0)
    assert s.step_count == 0 and s.config.dataset == "user" and tuple(s.config.custom_box) == data.box
    held = np.concatenate([np.column_stack([s.data.train_raw, s.data.train_y]),
                           np.column_stack([s.data.test_raw, s.data.test_y])])
    assert sorted(map(tuple, held.tolist())) == sorted(map(tuple, np.column_stack([data.X, data.y]).tolist()))
    assert s.data.box == data.box and not s.data.regression


def test_a_regression_csv_switches_a_classifier_to_a_linear_output_and_says_why():
    s = Session(SessionConfig(output="sigmoid"))
    result = s.import_csv("x1,x2,y\n0,0,10\n1,0,20\n0,1,30\n1,1,45\n2,2,50\n3,1,12\n")
    assert s.config.output == "linear" and s.config.loss is None and s.config.custom_regression
    assert result.regression and result.classes == 0
    assert result.notes[0] == ("the output is now linear, with its own loss: the targets span 10..50 "
                               "(sigmoid is not a regression output)")
    np.testing.assert_array_equal(np.sort(np.concatenate([s.data.train_y, s.data.test_y])),
                                  [10, 12, 20, 30, 45, 50])


def test_a_tanh_output_stays_for_targets_within_minus_one_and_one():
    s = Session(SessionConfig(output="tanh"))
    result = s.import_csv("x1,x2,y\n0,0,-0.5\n1,0,0.25\n0,1,1\n1,1,-1\n")
    assert s.config.output == "tanh" and not any("output" in note for note in result.notes)


def test_three_classes_switch_to_softmax_and_two_keep_the_current_output():
    s = Session(SessionConfig(output="tanh"))
    s.import_csv(XOR_CSV)
    assert s.config.output == "tanh"
    result = s.import_csv(XOR_CSV.replace("\n2,3,0", "\n2,3,2"))
    assert s.config.output == "softmax" and s.config.classes == 3 and result.classes == 3
    assert any("3 classes need it" in note for note in result.notes)


def test_a_batch_larger_than_the_training_set_is_cut_to_it_with_a_note():
    s = Session(SessionConfig(batch_size=30, train_ratio=0.5))
    result = s.import_csv(XOR_CSV)  # 16 points: 8 train
    assert s.config.batch_size == 8
    assert "the batch size is now 8, the whole training set (it was 30)" in result.notes


def test_the_session_csv_export_reads_back_as_the_same_points():
    a = Session()
    a.import_csv("x1,x2,y\n0,0,10\n1,0,20\n0,1,30\n1,1,45\n2,2,50\n3,1,12\n")
    b = Session()
    result = b.import_csv(a.export("csv")[1])
    assert result.regression and any("'set' column" in note for note in result.notes)
    assert sorted(b.config.custom_points) == sorted(a.config.custom_points)


def test_a_csv_import_then_a_json_export_and_import_restores_the_user_data():
    a = Session()
    a.import_csv("x1,x2,y\n10,20,1.5\n12,25,3\n11,30,2\n15,22,0\n13,21,1\n")
    a.train(4)
    b = Session()
    b.import_json(a.export("json")[1])
    assert_same_network(a, b)
    assert b.data.box == a.data.box and b.data.regression


def test_a_bad_csv_names_row_and_column_and_leaves_the_session_playing_as_it_was():
    s = Session()
    s.train(4)
    s.playing = True
    before, step, cfg = [x.copy() for x in parameters(s)], s.step_count, s.config
    with pytest.raises(ImportFault) as err:
        s.import_csv(XOR_CSV.replace("\n1,1,0", "\n1,x,0"))
    assert (err.value.field, err.value.row, err.value.column) == ("content", 12, 2)
    assert "row 12, column 2 (x2): 'x' is not a number" in str(err.value)
    assert_untouched(s, before, step, cfg)
    assert s.playing


@pytest.mark.parametrize("rows", [0, 10**6], ids=["empty", "a-million-rows"])
def test_an_empty_or_million_row_csv_is_refused_with_a_clear_message(rows):
    s = Session()
    text = "x1,x2,label\n" + "0.5,0.5,1\n" * rows
    mentions = "0 data row(s); at least 4 are needed" if rows == 0 else (
        "the file is 10,000,012 bytes; the limit is 1,048,576 bytes (1 MiB)")
    with pytest.raises(ImportFault) as err:
        s.import_csv(text)
    assert err.value.field == "content" and mentions in str(err.value)
    assert s.config.dataset != "user"


def test_five_thousand_custom_points_export_in_pieces_and_read_back_exactly():
    r = np.random.default_rng(2)
    xs, labels = r.normal(size=(5000, 2)).tolist(), r.integers(0, 3, 5000).tolist()
    points = [[a, b, c] for (a, b), c in zip(xs, labels, strict=True)]
    a = Session(SessionConfig(dataset="user", custom_points=points, classes=3, output="softmax",
                              custom_box=[-4.5, 4.5]))
    steps, pieces = a.export_steps("json"), 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            _, text = done.value
            break
    assert pieces == 5 + len(a.network.weights)  # 1,000 points a piece, then a weight matrix a piece
    assert json.loads(text)["config"]["custom_points"] == points
    b = Session()
    assert b.import_json(text).rows == 5000
    assert_same_network(a, b)
    np.testing.assert_array_equal(a.data.train_raw, b.data.train_raw)


def test_a_curve_fitting_scenes_x1_only_inputs_become_x1_x2_for_2d_points():
    s = Session(scene="universality")
    assert s.config.features == ["x1"]
    result = s.import_csv(XOR_CSV)
    assert s.config.features == ["x1", "x2"] and s.data.train_x.shape[1] == 2
    assert "the input features are now x1, x2: the points are 2-D (they were x1)" in result.notes
