"""The three kinds of y, encoded and decoded."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skemo.utils._targets import TargetConverter, target_kind


def test_kinds():
    assert target_kind(np.array([[0, 1], [1, 0]])) == "indicator"
    assert target_kind([["joy"], []]) == "label_lists"
    assert target_kind(np.array(["joy", "fear"])) == "single"
    with pytest.raises(ValueError, match="mixes label lists and single labels"):
        target_kind([["joy"], "fear"])


def test_indicator_round_trip_with_names():
    Y = np.array([[1, 0, 1], [0, 0, 1]])
    enc = TargetConverter(["joy", "fear", "anger"]).fit(Y)
    assert enc.classes_.tolist() == ["joy", "fear", "anger"]
    assert enc.transform(Y).dtype == np.float32
    np.testing.assert_array_equal(enc.inverse_transform(enc.transform(Y)), Y)


def test_label_lists_round_trip():
    y = [["joy", "anger"], [], ["fear"]]
    enc = TargetConverter().fit(y)
    assert enc.classes_.tolist() == ["anger", "fear", "joy"]
    assert enc.inverse_transform(enc.transform(y)) == [["anger", "joy"], [], ["fear"]]


def test_single_label_ids_take_names_from_label_names():
    enc = TargetConverter(["sadness", "joy", "love"]).fit(np.array([2, 0, 2]))
    assert enc.classes_.tolist() == [0, 2]
    assert enc.label_names_ == ["sadness", "love"]


@pytest.mark.parametrize("y, message", [
    (np.array([[0, 2]]), "only 0 and 1"),
    (np.array([[0.0, np.nan]]), "NaN"),
    (["joy", None], r"y\[1\] is None"),
])
def test_bad_targets_are_named(y, message):
    with pytest.raises(ValueError, match=message):
        TargetConverter().fit(y)


def test_unknown_labels_at_transform():
    enc = TargetConverter().fit(["joy", "fear"])
    with pytest.raises(ValueError, match=r"not seen during fit: \['rage'\]"):
        enc.transform(["joy", "rage"])
    with pytest.raises(ValueError, match="kind 'label_lists'"):
        enc.transform([["joy"]])


def test_label_support_warns_or_raises():
    enc = TargetConverter(["a", "b", "c"]).fit(np.array([[1, 0, 1], [0, 0, 1]]))
    Y = enc.transform(np.array([[1, 0, 1], [0, 0, 1]]))
    with pytest.warns(UserWarning, match=r"\['c'\] are positive for every text"):
        with pytest.warns(UserWarning, match=r"\['b'\] have no positive example"):
            enc.check_label_support(Y, require_positives=False)
    with pytest.raises(ValueError, match=r"\['b'\] have no positive example.*balanced"):
        enc.check_label_support(Y, require_positives=True)


def test_state_round_trip():
    enc = TargetConverter().fit([["joy"], ["fear", "joy"]])
    again = TargetConverter.from_state("label_lists", ["fear", "joy"], ["fear", "joy"])
    np.testing.assert_array_equal(again.transform([["joy"]]), enc.transform([["joy"]]))


# ----------------------------------------------------- columns by name (item 7)
def test_dataframe_columns_are_matched_by_name():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([[1, 0, 0], [0, 1, 1]], columns=["joy", "fear", "anger"])
    enc = TargetConverter().fit(frame)
    expected = enc.transform(frame)
    np.testing.assert_array_equal(enc.transform(frame[["anger", "joy", "fear"]]), expected)
    with pytest.raises(ValueError, match=r"columns of y \['joy', 'fear', 'rage'\] are not"):
        enc.transform(frame.set_axis(["joy", "fear", "rage"], axis=1))
    positional = pd.DataFrame(frame.to_numpy())  # default RangeIndex: by position
    np.testing.assert_array_equal(enc.transform(positional), expected)
    with pytest.raises(ValueError, match="are not the labels"):
        TargetConverter(["a", "b", "c"]).fit(frame)  # label_names contradict the columns


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(range(5)), seed=st.integers(0, 1000))
def test_any_column_order_encodes_alike(order, seed):
    pd = pytest.importorskip("pandas")
    names = ["a", "b", "c", "d", "e"]
    Y = np.random.RandomState(seed).randint(0, 2, (6, 5))
    frame = pd.DataFrame(Y, columns=names)
    enc = TargetConverter().fit(frame)
    shuffled = frame[[names[i] for i in order]]
    np.testing.assert_array_equal(enc.transform(shuffled), Y.astype(np.float32))


# -------------------------------------------- ambiguous and bad labels (items 8, 16)
def test_indicator_rows_as_lists_warn():
    with pytest.warns(UserWarning, match="rows of 3 zeros and ones: it is read as label"):
        enc = TargetConverter().fit([[1, 0, 0], [0, 1, 1]])
    assert enc.kind == "label_lists" and enc.classes_.tolist() == [0, 1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=20))
def test_float_labels_are_whole_finite_numbers_or_refused(values):
    whole = all(np.isfinite(v) and float(v).is_integer() for v in values)
    if whole and len(set(values)) == 1:
        with pytest.raises(ValueError, match="only one class"):
            TargetConverter().fit(values)
    elif whole:
        assert len(TargetConverter().fit(values).classes_) == len(set(values))
    else:
        with pytest.raises(ValueError, match="continuous value|must be finite"):
            TargetConverter().fit(values)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.text(min_size=1, max_size=3), st.integers(-5, 5)),
                min_size=2, max_size=12))
def test_labels_of_mixed_types_are_refused(values):
    kinds = {type(v) for v in values}
    if len(kinds) > 1:
        with pytest.raises(ValueError, match="mixes label types"):
            TargetConverter().fit(values)
    elif len(set(values)) == 1:
        with pytest.raises(ValueError, match="only one class"):
            TargetConverter().fit(values)
    else:
        assert len(TargetConverter().fit(values).classes_) == len(set(values))


@pytest.mark.parametrize("label_names, y, error, message", [
    ("joy", [0, 1], TypeError, "not the single string 'joy'"),
    (["a", "b", "a"], [0, 1, 2], ValueError, "'a' twice"),
    (["a"], [0, 1], ValueError, r"class ids \[0, 1\] but label_names has 1"),
    (None, [[], []], ValueError, "every label list of y is empty"),
])
def test_bad_label_names_and_empty_label_sets(label_names, y, error, message):
    with pytest.raises(error, match=message):
        TargetConverter(label_names).fit(y)


def test_targets_given_through_array_only():
    class ArrayOnly:
        def __array__(self, dtype=None, copy=None):
            return np.array(["joy", "fear", "joy"])

    enc = TargetConverter().fit(ArrayOnly())
    assert enc.transform(ArrayOnly()).tolist() == [1, 0, 1]


# ------------------------------------------------ label_names of string labels
@pytest.mark.parametrize("y", [[["joy"], ["fear"]], ["joy", "fear"]])
def test_labels_that_label_names_does_not_list_are_refused(y):
    message = ("y has the labels ['fear'], which label_names ['joy', 'anger'] does not "
               "list; label_names must name every label of y (it sets the columns of "
               "predict_proba). Add them, or leave label_names out.")
    with pytest.raises(ValueError, match=re.escape(message)):
        TargetConverter(["joy", "anger"]).fit(y)


def test_label_names_are_the_columns_of_string_labels_in_their_order():
    lists = TargetConverter(["joy", "anger", "fear"]).fit([["anger"], ["joy", "anger"]])
    assert lists.classes_.tolist() == lists.label_names_ == ["joy", "anger", "fear"]
    Y = lists.transform([["anger"], ["joy", "anger"]])
    assert Y.tolist() == [[0, 1, 0], [1, 1, 0]]
    with pytest.warns(UserWarning, match=r"\['fear'\] have no positive example"):
        lists.check_label_support(Y, require_positives=False)
    assert lists.inverse_transform([[0, 1, 1]]) == [["anger", "fear"]]

    single = TargetConverter(["sadness", "joy", "love"]).fit(["joy", "sadness", "joy"])
    assert single.classes_.tolist() == ["sadness", "joy", "love"]
    assert single.transform(["joy", "sadness"]).tolist() == [1, 0]
    assert single.inverse_transform([2, 0]).tolist() == ["love", "sadness"]
    with pytest.warns(UserWarning, match=r"\['love'\] have no positive example"):
        single.check_label_support(single.transform(["joy", "sadness"]),
                                   require_positives=True)
    saved = TargetConverter.from_state("single", single.classes_, single.label_names_)
    assert saved.transform(["love", "sadness"]).tolist() == [2, 0]
    assert saved.inverse_transform([1]).tolist() == ["joy"]


# ------------------------------------------------------- one class of y
@pytest.mark.parametrize("y, shown", [(["joy", "joy", "joy"], "'joy'"),
                                      (np.array(["joy", "joy"]), "'joy'"),
                                      ([3, 3], "3")])
def test_a_single_label_y_of_one_class_is_refused(y, shown):
    message = ("y needs samples of at least 2 classes in the data, but the data contains "
               f"only one class: {shown}. To detect one emotion, give label lists instead "
               "(e.g. [['joy'], []]).")
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        TargetConverter().fit(y)


def test_one_label_in_label_lists_is_a_detector():
    enc = TargetConverter().fit([["joy"], [], ["joy"]])
    assert enc.multilabel and enc.classes_.tolist() == ["joy"]
    assert enc.transform([[], ["joy"]]).tolist() == [[0.0], [1.0]]


# ------------------------------------------------- labels unseen in fit
def test_labels_unseen_in_fit_are_named_with_the_known_ones():
    enc = TargetConverter().fit([["joy"], ["anger"]])
    message = ("y has labels not seen during fit: ['fear']; the estimator knows ['anger', "
               "'joy'] and can only be scored on those. To know labels that the y of fit "
               "lacks (a fold of a cross-validation), fit with label_names listing every "
               "label.")
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        enc.transform([["joy"], ["fear"]])
    ids = TargetConverter().fit([0, 1, 0])
    message = ("y has labels not seen during fit: [7]; the estimator knows [0, 1] and can "
               "only be scored on those.")
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        ids.transform(np.array([0, 7]))
