"""Reading the user's own CSV of 2-D points: what is accepted, and errors that name row and column."""

import numpy as np
import pytest

from app.engine.csvdata import MAX_BYTES, MAX_ROWS, CsvError, parse_csv

CLASSES = "x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"


def test_a_labelled_csv_with_a_header_gives_classes():
    data = parse_csv(CLASSES)
    assert not data.regression and data.classes == 2
    np.testing.assert_array_equal(data.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(data.y, [0, 1, 1, 0])
    assert data.y.dtype == np.int64 and data.notes == []


def test_a_y_header_gives_a_regression_target_even_for_whole_numbers():
    data = parse_csv("x1,x2,y\n0,0,1\n1,0,2\n0,1,3\n2,2,4\n")
    assert data.regression
    np.testing.assert_array_equal(data.y, [1.0, 2.0, 3.0, 4.0])


def test_without_a_header_fractional_targets_mean_regression_and_the_note_says_so():
    data = parse_csv("0,0,0.5\n1,0,-2.25\n0,1,3\n2,2,4\n")
    assert data.regression
    assert data.notes == ["no header: the third column was read as a regression target"]


def test_without_a_header_small_whole_numbers_are_labels():
    data = parse_csv("0,0,0\n1,0,2\n0,1,1\n2,2,2\n")
    assert not data.regression and data.classes == 3


def test_minus_one_plus_one_labels_become_classes_zero_and_one():
    data = parse_csv("x1,x2,label\n0,0,-1\n1,0,1\n0,1,1\n2,2,-1\n")
    np.testing.assert_array_equal(data.y, [0, 1, 1, 0])
    assert "labels -1 and +1 were read as classes 0 and 1" in data.notes


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolons_and_tabs_separate_fields_too(sep):
    data = parse_csv(CLASSES.replace(",", sep))
    np.testing.assert_array_equal(data.y, [0, 1, 1, 0])


def test_blank_lines_comments_a_bom_and_utf8_bytes_are_accepted():
    text = "\ufeff# exported from my notebook\nx1,x2,label\n\n0,0,0\n0,1,1\n\n1,0,1\n1,1,0\n"
    data = parse_csv(text.encode("utf-8"))
    assert data.X.shape == (4, 2)


def test_a_word_in_a_number_cell_names_its_row_and_column():
    text = CLASSES.replace("1,0,1", "1,abc,1")
    with pytest.raises(CsvError, match=r"row 4, column 2 \(x2\): 'abc' is not a number") as err:
        parse_csv(text)
    assert (err.value.row, err.value.column) == (4, 2)


def test_rows_are_numbered_as_in_the_file_counting_skipped_lines():
    with pytest.raises(CsvError, match="row 5, column 1"):
        parse_csv("x1,x2,label\n\n0,0,0\n# note\nnan,1,1\n1,0,1\n1,1,0\n")


def test_a_short_row_says_how_many_columns_it_has():
    with pytest.raises(CsvError, match=r"row 3: expected 3 columns .* got 2"):
        parse_csv("x1,x2,label\n0,0,0\n0,1\n1,0,1\n1,1,0\n")


def test_a_label_out_of_range_is_named():
    message = r"row 2, column 3 \(label\): labels must be whole numbers 0 to 5, got 7"
    with pytest.raises(CsvError, match=message):
        parse_csv("x1,x2,label\n0,0,7\n0,1,1\n1,0,1\n1,1,0\n")


def test_a_fractional_label_under_a_label_header_is_refused():
    with pytest.raises(CsvError, match=r"got 0\.5"):
        parse_csv("x1,x2,label\n0,0,0.5\n0,1,1\n1,0,1\n1,1,0\n")


def test_one_class_only_is_refused():
    with pytest.raises(CsvError, match="at least two classes"):
        parse_csv("x1,x2,label\n0,0,1\n0,1,1\n1,0,1\n1,1,1\n")


def test_an_unknown_third_header_name_suggests_label_or_y():
    with pytest.raises(CsvError, match="name it 'label' for classes or 'y'"):
        parse_csv("a,b,colour\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")


def test_an_empty_file_is_refused():
    with pytest.raises(CsvError, match="no rows"):
        parse_csv("")
    with pytest.raises(CsvError, match="0 data row"):
        parse_csv("x1,x2,label\n")


def test_a_million_rows_are_refused_before_any_is_parsed_by_the_byte_limit():
    big = "x1,x2,label\n" + "0.5,0.5,1\n" * 1_000_000
    with pytest.raises(CsvError, match="limit is 1,048,576 bytes"):
        parse_csv(big.encode())
    assert len(big) > MAX_BYTES


def test_more_rows_than_a_data_set_may_have_are_refused_with_the_limit():
    rows = "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(CsvError, match=f"{MAX_ROWS + 1:,} data rows; the limit is {MAX_ROWS:,}"):
        parse_csv(rows)


def test_infinite_coordinates_are_refused():
    with pytest.raises(CsvError, match="'inf' is not a finite number"):
        parse_csv("x1,x2,y\n0,inf,1\n0,1,1\n1,0,1\n1,1,0\n")


def test_bytes_that_are_not_utf8_are_refused_by_position():
    with pytest.raises(CsvError, match="not UTF-8"):
        parse_csv(b"x1,x2,label\n0,0,\xff\n")


def test_the_box_holds_every_point_with_a_margin():
    data = parse_csv("x1,x2,y\n10,20,1\n12,25,1\n11,30,2\n15,22,0\n")
    lo, hi = data.box
    assert lo < data.X.min() and data.X.max() < hi
    assert hi - lo == pytest.approx((30 - 10) * 1.1)


def test_kind_overrides_what_the_header_says():
    data = parse_csv(CLASSES, kind="regression")
    assert data.regression and data.y.dtype == np.float64


def test_a_regression_has_no_classes_as_a_regression_dataset():
    assert parse_csv("x1,x2,y\n0,0,0.5\n1,0,2\n0,1,3\n2,2,4\n").classes == 0


def test_the_set_column_of_an_export_is_read_past_with_a_note():
    text = "x1,x2,label,set\n0,0,0,train\n0,1,1,test\n1,0,1,train\n1,1,0,test\n"
    data = parse_csv(text)
    np.testing.assert_array_equal(data.y, [0, 1, 1, 0])
    assert any("'set' column" in note for note in data.notes)


def test_a_fourth_column_other_than_set_is_named():
    with pytest.raises(CsvError, match="column 4: only a 'set' column") as err:
        parse_csv("x1,x2,label,colour\n0,0,0,red\n0,1,1,red\n1,0,1,red\n1,1,0,red\n")
    assert (err.value.row, err.value.column) == (1, 4)


def test_a_row_without_its_set_names_the_count_of_columns_expected():
    with pytest.raises(CsvError, match=r"row 3: expected 4 columns \(x1, x2, label or y, set\), got 3"):
        parse_csv("x1,x2,label,set\n0,0,0,train\n0,1,1\n1,0,1,train\n1,1,0,test\n")


def test_a_coordinate_beyond_a_million_names_its_row_and_column():
    with pytest.raises(CsvError, match=r"row 3, column 1 \(x1\): '2e6' is beyond") as err:
        parse_csv("x1,x2,y\n0,0,1\n2e6,1,1\n1,0,1\n1,1,0\n")
    assert (err.value.row, err.value.column) == (3, 1)
    assert parse_csv("x1,x2,y\n0,0,1e300\n1e6,1,1\n1,0,1\n1,1,0\n").y[0] == 1e300  # targets: any finite


def test_a_full_file_reads_back_every_number_exactly_as_written():
    r = np.random.default_rng(4)
    X, y = r.normal(size=(MAX_ROWS, 2)) * 50, r.normal(size=MAX_ROWS) * 1e3
    rows = zip(X.tolist(), y.tolist(), strict=True)
    text = "x1,x2,y\n" + "".join(f"{a!r},{b!r},{t!r}\n" for (a, b), t in rows)
    data = parse_csv(text)
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)


def test_quoted_fields_are_read_and_an_unclosed_quote_stays_on_its_row():
    data = parse_csv('x1,x2,label\n"0",0,0\n0,"1",1\n1,0,1\n1,1,0\n')
    np.testing.assert_array_equal(data.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    with pytest.raises(CsvError, match=r"row 3: expected 3 columns .* got 2") as err:
        parse_csv('x1,x2,label\n0,0,0\n0,"1,1\n1,0,1\n1,1,0\n')
    assert err.value.row == 3
